#!/usr/bin/env python3
"""What the plugin's MCP server costs in Claude's context: the real `claude` binary's request
bytes with the server and without it (a copy of the plugin minus .mcp.json), once the server
has connected, with Claude Code's tool search off (every MCP schema in every request: the
worst case) and on (names only until a tool is loaded). Tokens are bytes/3 (conservative for
JSON) and bytes/4 (the ledger's estimate); no tokenizer is downloaded.

  python3 bench/mcp_context.py        (needs the claude binary: scripts/test installs it)
"""

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from claude_harness import run_claude  # noqa: E402
from mocks.messages_api import MessagesMock, Reply  # noqa: E402

WAIT = "sleep 12"  # the SDK server takes seconds to start; `claude -p` does not wait for it


def wait_then_stop(body, index):
    if index == 0:
        return Reply(tool_name="Bash", tool_input={"command": WAIT, "description": "wait"})
    return Reply(text="done")


def second_request(plugin: Path, env: dict, tmp: Path) -> dict:
    with MessagesMock(wait_then_stop) as mock:
        proc = run_claude(["-p", "--output-format", "json", "--allowedTools", f"Bash({WAIT})",
                           "--plugin-dir", str(plugin), "hello"], tmp / "home", mock.url,
                          {"LLM_ROUTER_HOME": str(tmp / "data"), "LLM_ROUTER_PYTHON": sys.executable,
                           **env}, timeout=180)
        if proc.returncode:
            sys.exit(proc.stderr)
        request = mock.model_requests()[1]
        return {"size": request.size, "body": request.body}


def compact(obj) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def measure(tool_search: bool, base: Path) -> dict:
    env = {} if tool_search else {"ENABLE_TOOL_SEARCH": "false"}
    without = base / "plugin-no-mcp"
    if not without.exists():
        shutil.copytree(ROOT, without, ignore=shutil.ignore_patterns(
            ".git", ".venv", ".tools", "tests", "bench", "docs", "__pycache__", ".mcp.json"))
    runs = {}
    for name, plugin in (("with", ROOT), ("without", without)):
        tmp = base / f"{name}-{tool_search}"
        (tmp / "data").mkdir(parents=True)
        runs[name] = second_request(plugin, env, tmp)
    tools = runs["with"]["body"].get("tools", [])
    ours = [t for t in tools if t["name"].startswith("mcp__plugin_llm-router")]
    delta = runs["with"]["size"] - runs["without"]["size"]
    return {"tool_search": tool_search, "delta_bytes": delta, "delta_tokens_bytes_over_3": -(-delta // 3),
            "delta_tokens_bytes_over_4": -(-delta // 4), "our_tool_schema_bytes": compact(ours),
            "our_tools_tokens_bytes_over_3": -(-compact(ours) // 3),
            "claude_code_WaitForMcpServers_bytes": compact(
                [t for t in tools if t["name"] == "WaitForMcpServers"])}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps([measure(False, Path(tmp)), measure(True, Path(tmp))], indent=2))


if __name__ == "__main__":
    main()
