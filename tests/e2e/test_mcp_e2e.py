"""The plugin's MCP server inside the real `claude` (issue 13.2): the mock model calls the
`ask` tool, a fake copilot answers, and Claude's next request carries that answer; and what
the server's tools cost in context, measured from the real request bytes with and without it."""

import json
import os
import shutil

import pytest

from claude_harness import claude, claude_bin, mock  # noqa: F401 (fixtures)
from conftest import ROOT
from mocks import fake_copilot as copilot
from mocks.messages_api import Reply
from test_agents_e2e import _result_text, _tool_results

pytestmark = pytest.mark.e2e
TOKEN_LIMIT = 600
BYTES_PER_TOKEN = 3  # conservative for JSON schemas (the ledger's own estimate uses 4)


ASK = "mcp__plugin_llm-router_llm-router__ask"
# The SDK's server takes a few seconds to start here (importing `mcp` alone is ~2 s on this
# 2-core machine), and `claude -p` sends its first request without waiting for it; the mock
# model waits with a Bash sleep first, as a slow model would take its time.
WAIT = "sleep 12"
ALLOWED = ["--allowedTools", f"Bash({WAIT}),ToolSearch,{ASK}"]


def mcp_tools(body: dict) -> list[dict]:
    return [t for t in body.get("tools", []) if t.get("name", "").startswith("mcp__")]


def ask_model(body, index):
    """Wait for the server, load the tool through ToolSearch (Claude Code defers MCP tools),
    call it, then say what it returned."""
    answers = [_result_text(r) for r in _tool_results(body) if "EXTERNAL-ANSWER" in _result_text(r)]
    if index == 0:
        return Reply(tool_name="Bash", tool_input={"command": WAIT, "description": "wait"})
    if answers:
        return Reply(text="MAIN-SAW: " + answers[0])
    if any(t["name"] == ASK for t in mcp_tools(body)):
        return Reply(tool_name=ASK, tool_input={"prompt": "How many modules?", "tier": "haiku"})
    if index == 1:
        return Reply(tool_name="ToolSearch", tool_input={"query": f"select:{ASK}", "max_results": 5})
    return Reply(text="NO-MCP-TOOL")


def test_the_mock_model_calls_ask_and_the_next_request_holds_the_external_answer(
        claude, mock, tmp_path):
    folder = tmp_path / "fakebin"
    log = copilot.install(folder)
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "FAKE_COPILOT_LOG": log}
    mock.responder = ask_model
    proc = claude("ask another model", extra_env=env, extra_args=ALLOWED, timeout=180)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    calls = copilot.calls(log)
    assert len(calls) == 1, f"the MCP ask never reached the external CLI: {proc.stdout[-500:]}"
    assert calls[0]["stdin"] == b"How many modules?"
    answered = [_result_text(r) for q in mock.model_requests() for r in _tool_results(q.body)
                if "EXTERNAL-ANSWER" in _result_text(r)]
    assert answered, "no request after the tool call carried the external answer"
    result = answered[0]
    assert "EXTERNAL-ANSWER from claude-haiku-4.5" in result
    assert result.startswith("\N{ELECTRIC PLUG} [External: copilot/claude-haiku-4.5]")
    assert json.loads(proc.stdout)["result"].startswith("MAIN-SAW: ")


def plugin_without_mcp(tmp_path):
    copy = tmp_path / "plugin-no-mcp"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tools", "tests", "bench", "docs", "__pycache__", ".mcp.json"))
    return copy


def waiting_model(body, index):
    if index == 0:
        return Reply(tool_name="Bash", tool_input={"command": WAIT, "description": "wait"})
    return Reply(text="done")


def second_request(claude, mock, plugin_dir, env) -> tuple[int, dict]:
    """The request Claude sends once the server had time to connect."""
    mock.requests.clear()
    mock.responder = waiting_model
    proc = claude("hello", plugin_dir=plugin_dir, extra_env=env, extra_args=ALLOWED, timeout=180)
    assert proc.returncode == 0, proc.stderr
    second = mock.model_requests()[1]
    return second.size, second.body


def context_cost(claude, mock, tmp_path, tool_search: bool) -> dict:
    """Request bytes with the server minus without it, once it is connected. With tool search
    off, Claude Code puts every MCP tool's full schema into each request (the worst case);
    with it on (its default for first-party hosts), only the names until a tool is loaded."""
    env = {} if tool_search else {"ENABLE_TOOL_SEARCH": "false"}
    with_size, body = second_request(claude, mock, ROOT, env)
    without_size, _ = second_request(claude, mock, plugin_without_mcp(tmp_path), env)
    tools = mcp_tools(body)
    delta = with_size - without_size
    return {"tool_search": tool_search, "request_bytes_with": with_size,
            "request_bytes_without": without_size, "delta_bytes": delta,
            "mcp_tool_json_bytes": len(json.dumps(tools, separators=(",", ":")).encode()),
            # Claude Code adds this tool of its own whenever a plugin has an MCP server
            "claude_code_wait_tool_bytes": len(json.dumps(
                [t for t in body.get("tools", []) if t.get("name") == "WaitForMcpServers"],
                separators=(",", ":")).encode()),
            "tokens_bytes_over_3": -(-delta // BYTES_PER_TOKEN), "tokens_bytes_over_4": -(-delta // 4),
            "tools_in_schema": [t["name"] for t in tools]}


def test_all_mcp_tools_cost_at_most_600_tokens_of_context(claude, mock, tmp_path):
    cost = context_cost(claude, mock, tmp_path, tool_search=False)
    print(json.dumps(cost))
    assert len(cost["tools_in_schema"]) == 3, cost  # the full schemas really were sent
    assert cost["delta_bytes"] > 0
    assert cost["tokens_bytes_over_3"] <= TOKEN_LIMIT, cost  # everything the server adds
    assert -(-cost["mcp_tool_json_bytes"] // BYTES_PER_TOKEN) <= TOKEN_LIMIT // 2, cost  # ours
