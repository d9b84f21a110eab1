"""The stdio MCP server, driven by the official SDK's client over stdio (`llm-router mcp`)."""

import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN, run_cli
from mocks.llm_backend import LLMBackend
from mocks.reading_model import ReadingModel, policy

if importlib.util.find_spec("mcp") is None:  # found, not imported: see mocks/mcp_client.py
    if os.environ.get("CI"):
        pytest.fail("CI must have the MCP SDK: scripts/test installs requirements.txt", pytrace=False)
    pytestmark = pytest.mark.skip(reason="the MCP SDK is not installed: pip install -r requirements.txt")
CLIENT = Path(__file__).parent / "mocks" / "mcp_client.py"


def http_policy(url: str) -> dict:
    return {"external_models": {"mock/gpt": {
        "tier": "sonnet", "via": [{"provider": "openai-http", "endpoint": "mock", "model": "gpt-x"}]}},
        "claude_to_external_map": {"sonnet": "mock/gpt"}, "task_routing": {"default": "mock/gpt"},
        "endpoints": {"mock": {"kind": "openai", "base_url": url + "/v1"}}}


class Result:
    def __init__(self, item: dict) -> None:
        self.text, self.is_error = item["text"], item["is_error"]


def session(data_dir, project_dir, calls, extra_env=None) -> tuple[list, list]:
    """Start `llm-router mcp` under the SDK's client (in its own process); (tools, results)."""
    env = {"PATH": os.environ["PATH"], "LLM_ROUTER_HOME": str(data_dir),
           "CLAUDE_PLUGIN_DATA": str(data_dir), "LLM_ROUTER_PYTHON": sys.executable,
           "CLAUDE_PROJECT_DIR": str(project_dir), **(extra_env or {})}
    spec = {"command": str(BIN), "env": env, "cwd": str(project_dir), "calls": calls}
    proc = subprocess.run([sys.executable, str(CLIENT)], input=json.dumps(spec), text=True,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    return out["tools"], [Result(item) for item in out["results"]]


def call(data_dir, project_dir, name, arguments, extra_env=None):
    tools, results = session(data_dir, project_dir, [[name, arguments]], extra_env)
    return tools, results[0]


def test_lists_three_small_tools(data_dir, project_dir):
    tools, _ = session(data_dir, project_dir, [])
    assert [t["name"] for t in tools] == ["ask", "consensus", "digest"]
    size = sum(len(json.dumps(t, separators=(",", ":"))) for t in tools)
    assert size < 900, size  # the schema bytes themselves; the e2e test measures the context


def test_ask_answers_with_indicator_records_ledger_and_ignores_external_mode(data_dir, project_dir):
    with LLMBackend(reply="MCP-ANSWER 42") as backend:
        (data_dir / "model-policy.json").write_text(json.dumps(http_policy(backend.url)))
        _, result = call(data_dir, project_dir, "ask", {"prompt": "six times seven?", "tier": "sonnet"})
    assert not result.is_error, result.text
    assert result.text == "\N{ELECTRIC PLUG} [External: mock/gpt]\nMCP-ANSWER 42"
    assert backend.posts()[0].json["messages"][-1]["content"] == "six times seven?"
    stats = json.loads(run_cli("stats", "--json").stdout)
    assert stats["total"]["calls"] == 1  # the ledger saw it (external mode was off all along)


def test_long_answer_is_cut_with_a_pointer_to_the_saved_whole(data_dir, project_dir):
    whole = "".join(f"line {i} of a long answer\n" for i in range(2000))
    with LLMBackend(reply=whole) as backend:
        (data_dir / "model-policy.json").write_text(json.dumps(http_policy(backend.url)))
        _, result = call(data_dir, project_dir, "ask", {"prompt": "long", "model": "mock/gpt"},
                         {"MAX_MCP_OUTPUT_TOKENS": "2000"})
    text = result.text
    assert not result.is_error and len(text) <= 6000
    assert "[answer cut at" in text and "the whole answer is in" in text
    saved = text.rsplit("the whole answer is in ", 1)[1].split(":")[0]
    assert saved.startswith(str(data_dir))
    assert open(saved).read().endswith(whole)
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600


def test_errors_are_tool_errors_with_the_fix(data_dir, project_dir):
    _, result = call(data_dir, project_dir, "ask", {"prompt": "x", "model": "no/such-model"})
    assert result.is_error
    assert "unknown model 'no/such-model'" in result.text
    assert "fix:" in result.text


def test_digest_tool(data_dir, project_dir):
    log = project_dir / "app.log"
    log.write_text("ok\n" * 50 + "PLANTED the fan stopped\n" + "ok\n" * 50)
    with ReadingModel() as model:
        (data_dir / "model-policy.json").write_text(json.dumps(policy(model.url)))
        _, result = call(data_dir, project_dir, "digest",
                         {"question": "what broke?", "paths": ["app.log"], "budget": 200})
    assert not result.is_error, result.text
    assert result.text.endswith(f"- {log}:51: PLANTED the fan stopped")


def test_ask_is_read_only_unless_the_server_was_started_with_write():
    from llm_router.mcp_server.tools import Server
    from llm_router.providers.base import Result
    from llm_router.routing.chain import Attempt

    seen = {}

    def answer(prompt, **kwargs):
        seen.update(kwargs)
        return Result(text="ok", model="m", provider="p"), [], None

    assert Server(answer=answer).call("ask", {"prompt": "p"}) == (
        "\N{ELECTRIC PLUG} [External: ?]\nok", False)
    assert seen["scope"] == "read-only"
    Server(scope="write", answer=answer).call("ask", {"prompt": "p"})
    assert seen["scope"] == "write"
    text, is_error = Server(answer=answer).call("ask", {"prompt": "p", "shell": "rm -rf /"})
    assert is_error and "unknown argument(s): shell" in text and "fix:" in text
    text, is_error = Server(answer=answer).call("ask", {})
    assert is_error and "missing: prompt" in text


@pytest.mark.parametrize("attack", ["absolute", "dotdot", "symlink", "symlink-in-folder"])
def test_digest_tool_cannot_read_outside_the_project(tmp_path, project_dir, attack):
    """A prompt-injected model asking the digest tool for a secret outside the project gets a
    tool error, and no model sees the file."""
    from llm_router.mcp_server.tools import Server

    secret = tmp_path / "secret.txt"
    secret.write_text("PLANTED-SECRET\n")
    paths = {"absolute": [str(secret)], "dotdot": ["../secret.txt"]}.get(attack)
    if attack == "symlink":
        (project_dir / "link.txt").symlink_to(secret)
        paths = ["link.txt"]
    elif attack == "symlink-in-folder":
        (project_dir / "docs").mkdir()
        (project_dir / "docs" / "notes.txt").symlink_to(secret)
        paths = ["docs"]
    read = []
    server = Server(cwd=str(project_dir), digest=lambda sources, *a, **k: read.extend(sources))
    text, is_error = server.call("digest", {"question": "q", "paths": paths})
    assert is_error and "outside the project" in text and "fix:" in text
    assert read == []


def test_ask_is_refused_by_the_budget_like_invoke(data_dir, project_dir):
    with LLMBackend(reply="SHOULD-NOT-BE-ASKED") as backend:
        pol = http_policy(backend.url)
        pol["budgets"] = {"daily_usd": 0.0001}
        pol["pricing"] = {"models": {"mock/gpt": {"input": 1000.0, "output": 1000.0}}}
        (data_dir / "model-policy.json").write_text(json.dumps(pol))
        _, result = call(data_dir, project_dir, "ask", {"prompt": "x" * 4000, "model": "mock/gpt"})
        assert backend.posts() == []
    assert result.is_error, result.text
    assert "budget" in result.text.lower() and "fix:" in result.text


def panel_policy(url: str) -> dict:
    """Three HTTP models on one loopback backend; the one whose model id is err500 always fails."""
    via = {"mock/a": "gpt-a", "mock/b": "gpt-b", "mock/bad": "err500"}
    return {"external_models": {key: {"tier": "sonnet", "via": [
        {"provider": "openai-http", "endpoint": "mock", "model": model}]} for key, model in via.items()},
        "claude_to_external_map": {"sonnet": "mock/a"}, "task_routing": {"default": "mock/a"},
        "consensus": {"models": ["mock/a", "mock/b"], "timeout_s": 60},
        "endpoints": {"mock": {"kind": "openai", "base_url": url + "/v1"}}}


def test_consensus_tool_asks_every_model_blind_and_names_failures(data_dir, project_dir):
    with LLMBackend(reply="PANEL-ANSWER") as backend:
        (data_dir / "model-policy.json").write_text(json.dumps(panel_policy(backend.url)))
        _, results = session(data_dir, project_dir, [
            ["consensus", {"prompt": "tabs or spaces?"}],                       # policy consensus.models
            ["consensus", {"prompt": "tabs or spaces?", "models": ["mock/a", "mock/bad"]}],
            ["consensus", {"prompt": "tabs or spaces?", "models": ["mock/bad"]}],
            ["consensus", {"prompt": "x", "models": ["no/such-model"]}],
            ["consensus", {"prompt": "x", "models": "mock/a"}]])
        posts = backend.posts()
    both, some, none, unknown, bad_type = results
    assert not both.is_error, both.text
    assert "2 of 2 models answered" in both.text
    assert "[External: mock/a]" in both.text and "[External: mock/b]" in both.text
    assert both.text.count("PANEL-ANSWER") == 2
    assert not some.is_error and "1 of 2 models answered" in some.text
    assert "- mock/bad: ServerError" in some.text
    assert none.is_error and "no model answered" in none.text and "fix:" in none.text
    assert unknown.is_error and "fix:" in unknown.text
    assert "unknown model key(s): no/such-model" in unknown.text
    assert bad_type.is_error
    # blind: every request carries the question alone, never another model's answer
    asked = [p for p in posts if p.json["model"] in ("gpt-a", "gpt-b")]
    assert len(asked) == 3
    assert all(p.json["messages"][-1]["content"] == "tabs or spaces?" for p in asked)
    assert not any("PANEL-ANSWER" in json.dumps(p.json) for p in posts)
    stats = json.loads(run_cli("stats", "--json").stdout)
    assert stats["total"]["calls"] >= 3  # each member's call is in the ledger
