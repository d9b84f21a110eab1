"""The relay handoff end to end with the real `claude` (issue 10: exact relay handoff; issue 11:
one data dir, the relay's cost). The loopback mock plays every model: the main thread calls an
agent, and the relay "model" runs the command its prompt names, or an attacker's instead."""

import os

import pytest

from claude_harness import claude, claude_bin, mock, run_claude  # noqa: F401 (fixtures)
from conftest import ROOT, run_cli
from mocks import fake_copilot as copilot
from test_agents_e2e import main_thread, scripted_model, subagent

pytestmark = pytest.mark.e2e

# About 50 KB of what breaks shell quoting: quotes, $(), backticks, the old heredoc delimiter
# on a line of its own, non-ASCII text, a right-to-left override.
NASTY_LINE = ("It's \"quoted\" $(touch {canary}) `touch {canary}` ${{HOME}} \\ ; touch {canary} #\n"
              "LLM_ROUTER_TASK_EOF\n"
              "żółć · 漢字 · emoji 🔌 · \u202eRTL\u202c · tab\there\n")


def big_task(canary) -> str:
    line = NASTY_LINE.format(canary=canary)
    return "Map this repository.\n" + line * (50_000 // len(line.encode()) + 1)


@pytest.fixture
def world(tmp_path):
    folder = tmp_path / "fakebin"
    log = copilot.install(folder)
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "FAKE_COPILOT_LOG": log}
    return {"env": env, "log": log, "canary": tmp_path / "pwned"}


def crafted_from_the_review(canary):
    """The security review's bypass of the old heredoc rule (issue 10.1)."""
    return (f"\"{ROOT}/bin/llm-router delegate --tier haiku <<'LLM_ROUTER_TASK_EOF'\n"
            f"x\"; touch {canary} #\nLLM_ROUTER_TASK_EOF")


@pytest.mark.parametrize("attack", ["review", "suffix", "prefix"])
def test_a_crafted_relay_call_is_not_pre_approved(claude, mock, world, attack):
    run_cli("mode", "on")
    canary = world["canary"]
    relay = {"review": lambda command: crafted_from_the_review(canary),
             "suffix": lambda command: f"{command}; touch {canary}",
             "prefix": lambda command: f"touch {canary}; {command}"}[attack]
    mock.responder = scripted_model("llm-router:explorer", relay=relay)
    proc = claude("map this project", extra_env=world["env"])
    assert proc.returncode == 0, proc.stderr
    assert subagent(mock), "the relay never ran"
    assert not canary.exists()
    assert copilot.calls(world["log"]) == []


def test_the_real_handoff_forwards_a_50kb_task_byte_identical(claude, mock, world, data_dir):
    run_cli("mode", "on")
    task = big_task(world["canary"])
    assert len(task.encode()) >= 50_000
    mock.responder = scripted_model("llm-router:explorer", task=task)
    proc = claude("map this project", extra_env=world["env"])
    assert proc.returncode == 0, proc.stderr
    calls = copilot.calls(world["log"])
    assert len(calls) == 1, "the relay's command was not run once without a prompt"
    assert calls[0]["stdin"] == task.encode("utf-8")
    assert not world["canary"].exists()
    assert "EXTERNAL-ANSWER from claude-haiku-4.5" in main_thread(mock)[-1].text()
    relay_requests = subagent(mock)
    assert all("Map this repository." not in r.text() for r in relay_requests)  # never retyped
    assert sum(r.size for r in relay_requests) < 40_000


def test_hooks_and_the_relay_share_claude_codes_data_dir(claude, mock, world, tmp_path):
    """Issue 11.1: --plugin-dir, no LLM_ROUTER_HOME. The hooks use Claude Code's data dir;
    the Bash tool's environment has no CLAUDE_PLUGIN_DATA, yet the relay's delegate must see
    that same dir (mode ON there), never a stray default one (mode OFF there) or Claude."""
    home = claude.home
    plugin_data = home / ".claude" / "plugins" / "data" / "llm-router-inline"
    stray = home / ".claude" / "plugins" / "data" / "llm-router"
    stray.mkdir(parents=True)
    assert run_cli("mode", "on", env={"LLM_ROUTER_HOME": str(plugin_data)}).returncode == 0
    mock.responder = scripted_model("llm-router:explorer")
    # No LLM_ROUTER_HOME at all (the harness's claude_env passes only what it lists).
    proc = run_claude(["-p", "--output-format", "json", "--plugin-dir", str(ROOT), "map this project"],
                      home, mock.url, world["env"])
    assert proc.returncode == 0, proc.stderr
    assert [c["stdin"] for c in copilot.calls(world["log"])] == [b"List the modules of this project."]
    assert "EXTERNAL-ANSWER" in main_thread(mock)[-1].text()
    assert os.listdir(stray) == []
    assert list((plugin_data / "relay-jobs").glob("*.used"))


# ---- issue 11.2: what the relay costs, per delegation -------------------------------------------

def relay_cost(mock) -> dict:
    """Requests and bytes the relay sent to Claude, and what it 'said' (the command it ran and
    the answer it echoed), from the mock's records."""
    from llm_router.routing.taskdetect import estimate_tokens
    from test_agents_e2e import _result_text, _tool_results

    relay = subagent(mock)
    command = next((r for r in relay if not _tool_results(r.body)), None)
    said_command = ""
    if command is not None:
        from test_agents_e2e import relay_command

        said_command = relay_command(command.body) or ""
    echoed = "".join(_result_text(part) for r in relay for part in _tool_results(r.body))
    return {"requests": len(relay), "request_bytes": sum(r.size for r in relay),
            "output_tokens_command": estimate_tokens(said_command),
            "output_tokens_echo": estimate_tokens(echoed)}


@pytest.mark.parametrize("size", ["short", "50kb"])
def test_relay_cost_is_small_and_independent_of_the_task(claude, mock, world, size, capsys):
    task = "List the modules of this project." if size == "short" else big_task(world["canary"])
    mock.responder = scripted_model("llm-router:explorer", task=task)
    assert claude("map this project").returncode == 0  # mode off: the agent itself, one turn
    agent_first = subagent(mock)[0].size
    run_cli("mode", "on")
    mock.requests.clear()
    assert claude("map this project", extra_env=world["env"]).returncode == 0
    cost = relay_cost(mock)
    with capsys.disabled():
        print(f"\nrelay cost ({size} task): {cost}; the original agent's first request alone: "
              f"{agent_first} bytes")
    assert cost["requests"] == 2
    assert cost["request_bytes"] < 2 * 13_000  # the task is not in them, whatever its size
    assert cost["output_tokens_command"] < 100
