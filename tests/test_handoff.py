"""Relay jobs and /pa arguments (handoff.py): stored by a hook, taken once by the command the
hook caused, in the same data dir whatever the Bash tool's environment lacks (issue 10: exact
relay handoff, /pa without shell text; issue 11.1: one data dir)."""

import json
import os
import re
import stat
import subprocess
import threading

import pytest
from conftest import ROOT, run_cli
from llm_router import handoff
from llm_router.errors import UsageError
from llm_router.hooks import prompt as prompt_hook
from mocks import fake_copilot

SESSION = "5f0c7f8e-0000-4000-8000-000000000002"
NASTY = ("quotes ' \" and $(touch {canary}) and `touch {canary}` and ${{HOME}} \\ \n"
         "LLM_ROUTER_TASK_EOF\nLLM_ROUTER_TASK_EOF_2\nnon-ASCII: żółć 漢字 🔌 \u202e\n; touch {canary}\n")


def make_job(data, prompt="task", session=SESSION, **fields):
    spec = {"tier": "haiku", "agent": "llm-router:explorer", "cwd": str(data.parent),
            "scope": "read-only", **fields}
    return handoff.create(prompt, session_id=session, data_dir=str(data), **spec)


# ---- the job store ---------------------------------------------------------------------------

def test_a_job_is_a_private_file_with_everything_the_delegation_needs(data_dir):
    job_id = make_job(data_dir, prompt="p", cwd="/w", scope="write", tier="opus", agent="a")
    path = data_dir / handoff.JOBS_DIR / f"{job_id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    job = json.loads(path.read_text())
    assert {k: job[k] for k in ("id", "prompt", "tier", "agent", "cwd", "data_dir", "session_id", "scope")} == {
        "id": job_id, "prompt": "p", "tier": "opus", "agent": "a", "cwd": "/w",
        "data_dir": str(data_dir), "session_id": SESSION, "scope": "write"}
    assert isinstance(job["created_at"], float)
    assert handoff.is_job_id(job_id) and job_id != make_job(data_dir)


def test_any_text_comes_back_exactly(data_dir):
    text = NASTY.format(canary="/x") + "\udcff lone surrogate"
    assert handoff.consume(make_job(data_dir, prompt=text), SESSION, str(data_dir))["prompt"] == text


def test_a_job_is_taken_once(data_dir):
    job_id = make_job(data_dir)
    assert handoff.consume(job_id, SESSION, str(data_dir))["prompt"] == "task"
    with pytest.raises(UsageError, match="already run"):
        handoff.consume(job_id, SESSION, str(data_dir))
    assert "task" not in (data_dir / handoff.JOBS_DIR / f"{job_id}.used").read_text()


def test_concurrent_takers_get_it_once(data_dir):
    job_id = make_job(data_dir)
    results = []

    def take():
        try:
            results.append(handoff.consume(job_id, SESSION, str(data_dir))["id"])
        except UsageError:
            results.append("refused")

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [job_id] + ["refused"] * 7


@pytest.mark.parametrize("job_id, says", [
    ("0123456789abcdef0123456789abcdef", "does not exist"),
    ("../../etc/passwd", "not a relay job id"),
    ("0123456789ABCDEF0123456789ABCDEF", "not a relay job id"),
])
def test_unknown_or_malformed_ids_are_clear_errors(data_dir, job_id, says):
    with pytest.raises(UsageError, match=says):
        handoff.consume(job_id, SESSION, str(data_dir))


def test_another_sessions_job_is_refused_and_stays(data_dir):
    job_id = make_job(data_dir)
    with pytest.raises(UsageError, match="another Claude Code session"):
        handoff.consume(job_id, "other-session", str(data_dir))
    assert handoff.pending(job_id, str(data_dir)) is not None


def test_old_jobs_are_pruned(data_dir):
    old = make_job(data_dir)
    path = data_dir / handoff.JOBS_DIR / f"{old}.json"
    os.utime(path, (1, 1))
    make_job(data_dir)
    assert not path.exists()


# ---- the allowed command, run by a real /bin/sh -------------------------------------------------

def bash_tool_env(home, extra=None) -> dict:
    """What the Bash tool's environment has (checked with claude 2.1.330): no
    CLAUDE_PLUGIN_DATA, no CLAUDE_PLUGIN_ROOT, the session id, and here no LLM_ROUTER_HOME."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LLM_ROUTER_HOME", "CLAUDE_PLUGIN_DATA", "CLAUDE_PLUGIN_ROOT")}
    env.update({"HOME": str(home), "CLAUDE_CODE_SESSION_ID": SESSION, **(extra or {})})
    return env


@pytest.fixture
def relay_world(tmp_path):
    """A data dir whose name needs quoting, with external mode ON, a fake copilot, a fake
    claude that must never run, and a stray default data dir with the mode OFF."""
    data = tmp_path / "plugin data's $(touch canary) `x`"
    assert run_cli("mode", "on", env={"LLM_ROUTER_HOME": str(data)}).returncode == 0
    home = tmp_path / "home"
    stray = home / ".claude" / "plugins" / "data" / "llm-router"
    stray.mkdir(parents=True)
    fakes = tmp_path / "fakebin"
    log = fake_copilot.install(fakes)
    claude_log = tmp_path / "claude-ran"
    (fakes / "claude").write_text(f"#!/bin/sh\ntouch '{claude_log}'\nexit 1\n")
    (fakes / "claude").chmod(0o755)
    env = bash_tool_env(home, {"PATH": f"{fakes}:{os.environ['PATH']}", "FAKE_COPILOT_LOG": log})
    return {"data": data, "home": home, "stray": stray, "log": log, "env": env,
            "claude_log": claude_log, "canary": tmp_path / "canary", "cwd": tmp_path}


def run_sh(command, world):
    return subprocess.run(["/bin/sh", "-c", command], env=world["env"], cwd=world["cwd"],
                          capture_output=True, timeout=60, check=False)


def test_the_allowed_command_can_only_run_its_job(relay_world):
    world = relay_world
    task = NASTY.format(canary=world["canary"]) * 300  # about 50 KB
    job_id = make_job(world["data"], prompt=task, cwd=str(world["cwd"]))
    command = handoff.command(job_id, str(world["data"]), str(ROOT))
    proc = run_sh(command, world)
    assert proc.returncode == 0, proc.stderr.decode()
    # the job's scope (make_job: read-only) shows in the indicator
    assert re.match(r"🔌 \[External: copilot/claude-haiku-4\.5 · read-only · thread [a-z2-7]{5}\]\n",
                    proc.stdout.decode())
    calls = fake_copilot.calls(world["log"])
    assert len(calls) == 1 and calls[0]["stdin"] == task.encode()  # byte for byte
    assert calls[0]["cwd"] == str(world["cwd"])
    assert not world["canary"].exists() and not (world["cwd"] / "canary").exists()
    assert not world["claude_log"].exists()
    assert os.listdir(world["stray"]) == []  # the stray default data dir was never used
    again = run_sh(command, world)
    assert again.returncode == 2 and b"already run" in again.stderr
    assert len(fake_copilot.calls(world["log"])) == 1


def test_a_relay_job_never_falls_back_to_claude_when_the_mode_looks_off(relay_world):
    """Issue 11.1: the mode was ON when the hook made the job; the relay's command must reach
    the external model even if the mode it can see is off (here: turned off since)."""
    world = relay_world
    job_id = make_job(world["data"], prompt="list the modules", cwd=str(world["cwd"]))
    assert run_cli("mode", "off", env={"LLM_ROUTER_HOME": str(world["data"])}).returncode == 0
    proc = run_sh(handoff.command(job_id, str(world["data"]), str(ROOT)), world)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [c["stdin"] for c in fake_copilot.calls(world["log"])] == [b"list the modules"]
    assert not world["claude_log"].exists()


def test_a_job_from_another_session_does_not_run(relay_world):
    world = relay_world
    job_id = make_job(world["data"], session="the-other-session")
    proc = run_sh(handoff.command(job_id, str(world["data"]), str(ROOT)), world)
    assert proc.returncode == 2 and b"another Claude Code session" in proc.stderr
    assert fake_copilot.calls(world["log"]) == []


@pytest.mark.parametrize("extra", [["--tier", "opus"], ["-p", "x"], ["--cwd", "/"], ["--prompt-file", "/etc/hosts"]])
def test_job_takes_nothing_from_the_command_line(data_dir, extra):
    job_id = make_job(data_dir)
    proc = run_cli("delegate", "--job", job_id, *extra)
    assert proc.returncode == 2
    assert handoff.pending(job_id, str(data_dir)) is not None


# ---- /pa arguments --------------------------------------------------------------------------

@pytest.mark.parametrize("typed, arguments", [
    ("/pa --external on", "--external on"), ("/llm-router:pa --stats", "--stats"),
    ("/llm-router pa hi", "hi"), ("/pa", ""), ("  /pa\nline one\nline two  ", "line one\nline two"),
    ("/path/to/file", None), ("/pause", None), ("please /pa x", None), ("/llm-router:pal x", None),
])
def test_pa_arguments_from_the_raw_prompt(typed, arguments):
    assert handoff.pa_arguments(typed) == arguments


def test_stashed_arguments_are_taken_once_by_their_session(data_dir):
    assert handoff.stash_pa(SESSION, "--stats", str(data_dir))
    assert handoff.take_pa("other", str(data_dir)) is None
    assert handoff.take_pa(SESSION, str(data_dir)) == "--stats"
    assert handoff.take_pa(SESSION, str(data_dir)) is None


def test_stale_or_unusable_stashes_are_ignored(data_dir):
    handoff.stash_pa(SESSION, "--external on", str(data_dir), now=1000.0)
    assert handoff.take_pa(SESSION, str(data_dir), now=1000.0 + handoff.PA_MAX_AGE_S + 1) is None
    assert not handoff.stash_pa("../escape", "x", str(data_dir))
    assert not handoff.stash_pa("", "x", str(data_dir))
    assert handoff.take_pa(None, str(data_dir)) is None


def test_the_prompt_hook_stashes_pa_arguments(data_dir):
    prompt_hook.handle({"prompt": "/pa hi $(touch x)", "session_id": SESSION})
    assert handoff.take_pa(SESSION, str(data_dir)) == "hi $(touch x)"
    prompt_hook.handle({"prompt": "hello /pa", "session_id": SESSION})
    assert handoff.take_pa(SESSION, str(data_dir)) is None


def run_pa_line(data, home, extra_env=None):
    """commands/pa.md's `!` line as Claude Code runs it: CLAUDE_PLUGIN_DATA substituted into
    the command, missing from the environment."""
    line = f'"{ROOT}/bin/llm-router" pa --stashed "{data}"'
    env = bash_tool_env(home, extra_env)
    return subprocess.run(["/bin/sh", "-c", line], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_pa_line_acts_on_the_stashed_arguments_in_the_hooks_data_dir(tmp_path):
    data = tmp_path / "plugins" / "data" / "llm-router-inline"
    handoff.stash_pa(SESSION, "--external on", str(data))
    proc = run_pa_line(data, tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "external mode is ON" in proc.stdout
    assert json.loads((data / "external-mode.json").read_text())["enabled"] is True
    assert not (tmp_path / "home" / ".claude").exists()  # no stray data dir


@pytest.mark.parametrize("typed, enabled, prefer", [
    ("on", True, None), ("off", False, None), ("on codex", True, "codex"), ("enable", True, None),
    ("?", False, None), ("on, vendor codex, model gpt-5-codex", True, "codex"),  # settings typed as settings
])
def test_pa_short_forms_switch_the_mode_instead_of_asking_a_model(tmp_path, typed, enabled, prefer):
    """"/pa off" is what users type for "/pa --external off": never a one-word request to a model."""
    data = tmp_path / "data"
    handoff.stash_pa(SESSION, typed, str(data))
    proc = run_pa_line(data, tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "Claude answers this request" not in proc.stdout
    mode = json.loads((data / "external-mode.json").read_text()) if enabled else None
    if enabled:
        assert mode["enabled"] is True and mode.get("prefer") == prefer, proc.stdout
    else:
        assert "external mode is OFF" in proc.stdout or "OFF" in proc.stdout, proc.stdout


def test_pa_line_runs_nothing_from_the_arguments(tmp_path):
    data = tmp_path / "data"
    canary = tmp_path / "pwned"
    handoff.stash_pa(SESSION, f"hi $(touch {canary}) `touch {canary}`; touch {canary} 'quote\n"
                              f"LLM_ROUTER_PA_ARGS_9f4c2e\n--external on", str(data))
    proc = run_pa_line(data, tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "Claude answers this request" in proc.stdout
    assert not canary.exists()
    assert not (data / "external-mode.json").exists()  # the old delimiter line started nothing


def test_pa_line_without_a_stash_says_what_failed(tmp_path):
    proc = run_pa_line(tmp_path / "data", tmp_path / "home")
    assert proc.returncode == 0
    assert "could not read the arguments of this /pa command" in proc.stdout and "fix:" in proc.stdout


def test_pa_line_prefers_llm_router_home_as_the_hooks_do(tmp_path):
    home_dir = tmp_path / "router-home"
    handoff.stash_pa(SESSION, "--external on", str(home_dir))
    proc = run_pa_line(tmp_path / "plugin-data", tmp_path / "home", {"LLM_ROUTER_HOME": str(home_dir)})
    assert "external mode is ON" in proc.stdout, proc.stdout + proc.stderr
    assert (home_dir / "external-mode.json").exists()
    assert not (tmp_path / "plugin-data" / "external-mode.json").exists()
