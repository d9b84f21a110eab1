"""Issue 5 end to end with the real `claude` binary. The loopback Messages mock plays the model:
its first main-thread answer is an Agent tool call for one of the plugin's agents.

Mode off: the subagent's request carries the model id of the agent's tier.
Mode on: the PreToolUse hook turns the call into llm-router:external-delegate, whose Bash call
runs `llm-router delegate`, which runs the external CLI mapped from the tier (a fake `copilot`
on PATH that records its prompt); the answer reaches the main thread with the indicator, and a
failing provider is reported, not hidden."""

import json
import os
import re
import stat
import sys

import pytest

from claude_harness import claude, claude_bin, mock  # noqa: F401 (fixtures)
from conftest import run_cli
from mocks.messages_api import Reply

pytestmark = pytest.mark.e2e

FAKE_COPILOT = r'''
import json, os, sys
args = sys.argv[1:]
prompt = sys.stdin.buffer.read()
with open(os.environ["FAKE_COPILOT_LOG"], "ab") as log:
    log.write(json.dumps({"argv": args, "prompt": prompt.decode("utf-8", "replace")}).encode() + b"\n")
model = args[args.index("--model") + 1]
def emit(kind, data):
    print(json.dumps({"type": kind, "data": data, "id": "x", "timestamp": "2026-11-22T00:00:00Z"}), flush=True)
emit("user.message", {"content": prompt.decode()})
if os.environ.get("FAKE_COPILOT_FAIL"):
    emit("session.error", {"errorType": "authentication", "statusCode": 401,
                           "message": "Authentication failed with provider (HTTP 401)."})
    print(json.dumps({"type": "result", "exitCode": 1, "sessionId": "s"}), flush=True)
    sys.exit(1)
emit("assistant.message", {"content": f"EXTERNAL-ANSWER from {model}: the repo has 3 modules.", "model": model})
print(json.dumps({"type": "result", "exitCode": 0, "sessionId": "s",
                  "usage": {"premiumRequests": 1, "totalApiDurationMs": 5}}), flush=True)
if "--usage-output-file" in args:
    with open(args[args.index("--usage-output-file") + 1], "w") as out:
        json.dump({"totalPremiumRequestCost": 1, "modelMetrics": {model: {"requests": {"count": 1, "cost": 1},
                   "usage": {"inputTokens": 40, "outputTokens": 9, "cacheReadTokens": 0, "cacheWriteTokens": 0}}}}, out)
'''

HEADER = re.compile(r"\[llm-router tier=(\w+) agent=(\S+) cwd=([^\]\n]*)\]")


def _tool_results(body):
    # Claude Code may append a trailing "system" message (reminders); skip it.
    last = next(m for m in reversed(body["messages"]) if m.get("role") != "system")
    content = last.get("content") if isinstance(last.get("content"), list) else []
    return [part for part in content if isinstance(part, dict) and part.get("type") == "tool_result"]


def _result_text(part):
    content = part.get("content")
    if isinstance(content, list):
        return "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content)


def _agent_tool(body):
    names = [t.get("name") for t in body.get("tools", [])]
    return "Agent" if "Agent" in names else "Task"


def scripted_model(agent):
    """The mock's 'model': call `agent`, relay as external-delegate would, echo results."""
    def respond(body, index):
        system = json.dumps(body.get("system", ""))
        results = _tool_results(body)
        if "cc_is_subagent=true" not in system:
            if results:
                return Reply(text="MAIN-SAW: " + _result_text(results[0]))
            return Reply(tool_name=_agent_tool(body), tool_input={
                "subagent_type": agent, "description": "map the code",
                "prompt": "List the modules of this project.", "run_in_background": False})
        if results:  # the relay hands back the command output verbatim
            return Reply(text=_result_text(results[0]))
        found = HEADER.search(json.dumps(body["messages"]).replace("\\n", "\n"))
        if not found:
            return Reply(text="SUBAGENT-DID-THE-WORK-ITSELF")
        tier, _agent, cwd = found.groups()
        root = os.environ["LLM_ROUTER_TEST_ROOT"]
        command = (f'"{root}/bin/llm-router" delegate --tier {tier} --cwd \'{cwd}\' '
                   "<<'LLM_ROUTER_TASK_EOF'\nList the modules of this project.\nLLM_ROUTER_TASK_EOF")
        return Reply(tool_name="Bash", tool_input={"command": command, "description": "delegate", "timeout": 600000})
    return respond


@pytest.fixture
def fake_copilot(tmp_path):
    folder = tmp_path / "fakebin"
    folder.mkdir()
    path = folder / "copilot"
    path.write_text(f"#!{sys.executable}\n{FAKE_COPILOT}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "copilot-calls.jsonl"
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "FAKE_COPILOT_LOG": str(log),
           "LLM_ROUTER_TEST_ROOT": str(__import__("conftest").ROOT)}
    os.environ["LLM_ROUTER_TEST_ROOT"] = env["LLM_ROUTER_TEST_ROOT"]
    return env, log


def main_thread(mock):
    return [r for r in mock.model_requests() if not r.is_subagent()]


def subagent(mock):
    return [r for r in mock.model_requests() if r.is_subagent()]


@pytest.mark.parametrize("agent,tier_word", [("llm-router:explorer", "haiku"), ("llm-router:architect", "opus")])
def test_mode_off_subagents_run_on_their_tier(claude, mock, agent, tier_word):
    mock.responder = scripted_model(agent)
    proc = claude("map this project")
    assert proc.returncode == 0, proc.stderr
    assert subagent(mock), "the subagent never ran"
    assert tier_word in subagent(mock)[0].model
    assert "SUBAGENT-DID-THE-WORK-ITSELF" in main_thread(mock)[-1].text()


def test_mode_on_work_reaches_the_external_model_of_the_tier(claude, mock, fake_copilot, data_dir):
    env, log = fake_copilot
    run_cli("mode", "on")
    mock.responder = scripted_model("llm-router:explorer")
    proc = claude("map this project", extra_env=env)
    assert proc.returncode == 0, proc.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls, "the external CLI was never called"
    assert calls[0]["argv"][calls[0]["argv"].index("--model") + 1] == "claude-haiku-4.5"
    assert "List the modules of this project." in calls[0]["prompt"]
    final = main_thread(mock)[-1].text()
    assert "🔌 [External: copilot/claude-haiku-4.5]" in final or "\\ud83d\\udd0c [External: copilot/claude-haiku-4.5]" in final
    assert "EXTERNAL-ANSWER from claude-haiku-4.5" in final
    assert all("haiku" in r.model for r in subagent(mock))  # only the cheap relay ran on Claude


def test_mode_on_a_failing_provider_is_reported_not_hidden(claude, mock, fake_copilot, data_dir):
    env, log = fake_copilot
    env = {**env, "FAKE_COPILOT_FAIL": "1"}
    run_cli("mode", "on")
    mock.responder = scripted_model("llm-router:explorer")
    proc = claude("map this project", extra_env=env)
    assert proc.returncode == 0, proc.stderr
    final = main_thread(mock)[-1].text()
    assert "EXTERNAL-ANSWER" not in final and "SUBAGENT-DID-THE-WORK-ITSELF" not in final
    assert "AuthError" in final or "failed" in final
