"""Issue 16 end to end with the real `claude`: a delegated explorer task, then a SendMessage to
the same agent id, reaches the same external thread.

The loopback mock plays the model. Main thread: an Agent call for llm-router:explorer (external
mode on: the hook turns it into the relay), then a SendMessage to the agent id the Agent result
names, then a final text. The relay, each time, runs the last relay command in its
conversation. The fake `copilot` records its argv: the second call must resume the session the
first one reported (`--resume=s`), and both answers must name the same thread."""

import json
import os
import re

import pytest
from claude_harness import claude, claude_bin, mock  # noqa: F401 (fixtures)
from conftest import run_cli
from mocks import fake_copilot as copilot
from mocks.messages_api import Reply
from test_agents_e2e import _agent_tool, _result_text, _tool_results, texts

pytestmark = pytest.mark.e2e

RELAY_PROMPT = re.compile(r"\[llm-router job ([0-9a-f]{32})\]\n([^\n]+)")
AGENT_ID = re.compile(r"agentId:\s*([A-Za-z0-9_-]+)")
THREAD = re.compile(r"thread ([a-z2-7]{5})\]")


def last_relay_command(body):
    found = [m.group(2) for text in texts(body) for m in RELAY_PROMPT.finditer(text)]
    return found[-1] if found else None


def scripted(state):
    def respond(body, index):
        system = json.dumps(body.get("system", ""))
        results = _tool_results(body)
        if "cc_is_subagent=true" in system:
            command = last_relay_command(body)
            if command is None or command in state["ran"]:  # hand back the last output
                return Reply(text=_result_text(results[-1]) if results else "RELAY-IDLE")
            state["ran"].append(command)
            return Reply(tool_name="Bash", tool_input={"command": command, "description": "delegate",
                                                       "timeout": 600000})
        if not results:
            return Reply(tool_name=_agent_tool(body), tool_input={
                "subagent_type": "llm-router:explorer", "description": "map the code",
                "prompt": "Find the bug.", "run_in_background": False})
        text = _result_text(results[-1])
        if text not in state["results"]:
            state["results"].append(text)
        found = AGENT_ID.search(text)
        if found and state["agent"] in (None, found.group(1)) and len(state["results"]) == 1:
            state["agent"] = found.group(1)
            return Reply(tool_name="SendMessage", tool_input={
                "to": found.group(1), "summary": "fix the bug found", "message": "Now fix it."})
        return Reply(text="MAIN-DONE: " + text)
    return respond


def test_a_message_to_the_same_agent_reaches_the_same_thread(claude, mock, tmp_path, data_dir):
    folder = tmp_path / "fakebin"
    log = copilot.install(folder)
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "FAKE_COPILOT_LOG": log}
    run_cli("mode", "on")
    state = {"ran": [], "results": [], "agent": None}
    mock.responder = scripted(state)
    proc = claude("find the bug, then fix it", extra_env=env, timeout=240)
    assert proc.returncode == 0, (proc.stdout[-3000:], state["results"], state["ran"])
    assert state["agent"], f"the Agent result named no agent id: {state['results']}"
    calls = copilot.calls(log)
    assert len(calls) == 2, f"the external CLI ran {len(calls)} time(s); main saw {state['results']}"
    assert not any(a.startswith("--resume") for a in calls[0]["argv"])
    assert "--resume=s" in calls[1]["argv"]
    assert calls[1]["stdin"] == b"Now fix it."
    # both answers name one thread: the first in the Agent result, the second in its job's output
    from llm_router import threads

    first = THREAD.findall(state["results"][0])
    assert first and len(threads.load(first[0])["turns"]) == 2
