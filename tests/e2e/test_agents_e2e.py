"""Issue 5 end to end with the real `claude` binary. The loopback Messages mock plays the model:
its first main-thread answer is an Agent tool call for one of the plugin's agents.

Mode off: the subagent's request carries the model id of the agent's tier.
Mode on: the PreToolUse hook stores the task as a relay job and turns the call into
llm-router:external-delegate, whose one Bash call (`llm-router delegate --job <id>`, taken from
its prompt as a model would) runs the external CLI mapped from the tier (a fake `copilot` on
PATH that records its prompt); the answer reaches the main thread with the indicator, and a
failing provider is reported, not hidden."""

import json
import os
import re

import pytest
from claude_harness import claude, claude_bin, mock  # noqa: F401 (fixtures)
from conftest import run_cli
from mocks import fake_copilot as copilot
from mocks.messages_api import Reply

pytestmark = pytest.mark.e2e


RELAY_PROMPT = re.compile(r"\[llm-router job ([0-9a-f]{32})\]\n([^\n]+)")
TASK = "List the modules of this project."


def texts(body):
    """Every text the model was sent in `body`'s messages, unescaped."""
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    yield part["text"]


def relay_command(body):
    """The command the relay's prompt asks it to run, or None."""
    for text in texts(body):
        found = RELAY_PROMPT.search(text)
        if found:
            return found.group(2)
    return None


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


def scripted_model(agent, task=TASK, relay=None):
    """The mock's 'model': call `agent` with `task`, run the relay's command as a model would
    (or `relay(command)` instead), echo results."""
    def respond(body, index):
        system = json.dumps(body.get("system", ""))
        results = _tool_results(body)
        if "cc_is_subagent=true" not in system:
            if results:
                return Reply(text="MAIN-SAW: " + _result_text(results[0]))
            return Reply(tool_name=_agent_tool(body), tool_input={
                "subagent_type": agent, "description": "map the code",
                "prompt": task, "run_in_background": False})
        if results:  # the relay hands back the command output verbatim
            return Reply(text=_result_text(results[0]))
        command = relay_command(body)
        if command is None:
            return Reply(text="SUBAGENT-DID-THE-WORK-ITSELF")
        command = relay(command) if relay else command
        return Reply(tool_name="Bash", tool_input={"command": command, "description": "delegate", "timeout": 600000})
    return respond


@pytest.fixture
def fake_copilot(tmp_path):
    folder = tmp_path / "fakebin"
    log = copilot.install(folder)
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "FAKE_COPILOT_LOG": log}
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
    calls = copilot.calls(log)
    assert calls, "the external CLI was never called"
    assert calls[0]["argv"][calls[0]["argv"].index("--model") + 1] == "claude-haiku-4.5"
    assert calls[0]["stdin"] == TASK.encode()
    final = main_thread(mock)[-1].text()
    # explorer has only Read/Grep/Glob: the task goes out read-only, and copilot gets no write tools
    assert "--allow-all-tools" not in calls[0]["argv"] and "--deny-tool=write" in calls[0]["argv"]
    line = "[External: copilot/claude-haiku-4.5 \N{MIDDLE DOT} read-only \N{MIDDLE DOT} thread "
    escaped = "\\ud83d\\udd0c " + line.replace("\N{MIDDLE DOT}", "\\u00b7")  # as JSON may carry it
    assert "\N{ELECTRIC PLUG} " + line in final or escaped in final
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


# ---- issue 14.3: every tiered agent, built-ins included, follows external mode -----------------

@pytest.mark.parametrize("agent,session_model,external", [
    ("general-purpose", "haiku", "claude-haiku-4.5"),  # inherits: the session's tier
    ("general-purpose", "opus", "gpt-5.2"),
    ("Plan", "opus", "gpt-5.2"),
    ("Explore", "opus", "claude-haiku-4.5"),           # built-in with its own tier
])
def test_mode_on_built_in_agents_go_to_the_external_model_of_their_tier(
        claude, mock, fake_copilot, data_dir, agent, session_model, external):
    env, log = fake_copilot
    run_cli("mode", "on")
    mock.responder = scripted_model(agent)
    proc = claude("map this project", extra_env=env, extra_args=("--model", session_model))
    assert proc.returncode == 0, proc.stderr
    calls = copilot.calls(log)
    assert calls, f"{agent} was not sent to the external CLI"
    assert calls[0]["argv"][calls[0]["argv"].index("--model") + 1] == external
    assert "SUBAGENT-DID-THE-WORK-ITSELF" not in main_thread(mock)[-1].text()
    assert all("haiku" in r.model for r in subagent(mock))  # only the relay ran on Claude


def test_mode_on_with_a_preset_sends_the_tier_to_that_vendor(claude, mock, fake_copilot, data_dir):
    """A user preset onto copilot's o3 (a model the plain map never picks) proves the preset
    chose the model; the fake copilot stands in for any vendor's CLI."""
    env, log = fake_copilot
    (data_dir / "model-policy.json").write_text(json.dumps({"presets": {"openai": {
        "claude_to_external_map": {"opus": "copilot/o3", "sonnet": "copilot/o3", "haiku": "copilot/o3"}}}}))
    assert run_cli("mode", "on", "--prefer", "openai").returncode == 0
    mock.responder = scripted_model("llm-router:explorer")
    proc = claude("map this project", extra_env=env)
    assert proc.returncode == 0, proc.stderr
    calls = copilot.calls(log)
    assert calls and calls[0]["argv"][calls[0]["argv"].index("--model") + 1] == "o3"
