"""Special files where a config or state file belongs (issue 10, finding 6).

A policy symlinked to /dev/zero drove every hook and `invoke` to 13 GiB; a FIFO as the state
file or the user policy hung every hook until killed; a held state lock stalled the prompt
hook for 15 s+. Each case here must leave every hook answering within a second of its normal
time, and `invoke` failing with a clear error. The children run under a 2 GiB memory cap and
a timeout, so a regression fails the test instead of hurting the machine.
"""

import json
import os
import resource
import subprocess
import sys
import time

import pytest

from conftest import BIN, ROOT

BOUND_S = 1.0
TOGGLE = "switch to external models"


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(argv: list, stdin: bytes = b"") -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
           "LLM_ROUTER_AUTO_SETUP": "0"}
    started = time.monotonic()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=30,
                          preexec_fn=_capped)
    return proc, time.monotonic() - started


def hook(name: str, event: dict):
    return run(["/bin/sh", str(ROOT / "hooks" / "launch.sh"), name], json.dumps(event).encode())


EVENTS = {
    "session_start": {"session_id": "s1", "hook_event_name": "SessionStart", "source": "startup"},
    "user_prompt_submit": {"session_id": "s1", "hook_event_name": "UserPromptSubmit", "prompt": TOGGLE},
    "pre_tool_use": {"session_id": "s1", "hook_event_name": "PreToolUse", "tool_name": "Agent",
                     "tool_input": {"subagent_type": "llm-router:explorer", "prompt": "look"}},
}


def hooks_answer_in_time(baseline: dict, again=None) -> None:
    """Each hook; `again()` before each one re-creates the attack (a hook may replace the file)."""
    for name, event in EVENTS.items():
        if again:
            again()
        proc, elapsed = hook(name, event)
        assert proc.returncode == 0, (name, proc.stderr[-300:])
        assert proc.stdout.count(b"\n") <= 1
        assert elapsed < baseline[name] + BOUND_S, (name, elapsed, baseline[name])


@pytest.fixture
def baseline(data_dir):
    """Each hook's time on a healthy data dir (mode on, so every hook does its full work)."""
    run([str(BIN), "mode", "on"])
    times = {}
    for name, event in EVENTS.items():
        times[name] = min(hook(name, event)[1] for _ in range(2))
    os.unlink(data_dir / "external-mode.json")
    return times


def _fifo(path) -> None:
    if os.path.lexists(path):
        os.unlink(path)
    os.mkfifo(path)


def _dev_zero(path) -> None:
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink("/dev/zero", path)


def _user_policy(data_dir, project_dir):
    return data_dir / "model-policy.json"


def _project_policy(data_dir, project_dir):
    (project_dir / ".claude").mkdir(exist_ok=True)
    return project_dir / ".claude" / "llm-router.json"


@pytest.mark.parametrize("make", [_dev_zero, _fifo], ids=["dev-zero", "fifo"])
@pytest.mark.parametrize("where", [_user_policy, _project_policy], ids=["user-policy", "project-policy"])
def test_policy_that_is_a_special_file(baseline, data_dir, project_dir, make, where):
    run([str(BIN), "mode", "on"])
    target = where(data_dir, project_dir)
    make(target)
    hooks_answer_in_time(baseline)
    proc, elapsed = run([str(BIN), "invoke", "-p", "hi"])
    assert proc.returncode == 2 and elapsed < 10
    assert f"{target}: cannot read policy file (not a regular file" in proc.stderr.decode()


@pytest.mark.parametrize("make", [_dev_zero, _fifo], ids=["dev-zero", "fifo"])
def test_state_file_that_is_a_special_file(baseline, data_dir, make):
    hooks_answer_in_time(baseline, again=lambda: make(data_dir / "external-mode.json"))
    make(data_dir / "external-mode.json")
    status, elapsed = run([str(BIN), "mode", "status"])
    assert status.returncode == 0 and elapsed < 10
    assert "not a regular file" in status.stderr.decode()
    on, _ = run([str(BIN), "mode", "on"])  # the next write replaces it with a real file
    assert on.returncode == 0 and json.loads((data_dir / "external-mode.json").read_text())["enabled"]


def test_cooldowns_file_that_is_a_fifo(data_dir):
    _fifo(data_dir / "cooldowns.json")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from llm_router.routing.cooldown import Cooldowns; "
            "print(Cooldowns(3, 60).remaining('copilot m'))")
    proc, elapsed = run([sys.executable, "-I", "-S", "-c", code, str(ROOT / "lib")])
    assert proc.stdout == b"0.0\n" and elapsed < 10


@pytest.mark.parametrize("name", ["trusted-projects.json", "intent-vocabulary.json", "policy-cache.json"])
def test_other_state_files_that_are_fifos(baseline, data_dir, project_dir, name):
    _fifo(data_dir / name)
    (project_dir / ".claude").mkdir()
    (project_dir / ".claude" / "llm-router.json").write_text('{"providers": {"codex": {"binary": "x"}}}')
    hooks_answer_in_time(baseline)
    proc, elapsed = run([str(BIN), "route", "-p", "hi"])
    assert proc.returncode == 0 and elapsed < 10


def test_held_state_lock_costs_the_prompt_hook_under_a_second(baseline, data_dir):
    from llm_router import state
    from llm_router.errors import RouterError

    lock = data_dir / "external-mode.json.lock"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
                               str(lock)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"held\n"
        hooks_answer_in_time(baseline)
        assert "still locked" in (data_dir / "llm-router.log").read_text()
        with pytest.raises(RouterError, match="still locked by another process after 0.2 s"):
            state.set_mode(True, lock_wait=0.2)
        assert state.load_mode()[0]["enabled"] is False  # unchanged
        proc, elapsed = run([str(BIN), "invoke", "-p", "hi"])  # invoke takes no state lock
        assert elapsed < 10 and "Traceback" not in proc.stderr.decode()
    finally:
        holder.kill()
        holder.wait()


def test_bounded_reader_refuses_special_and_oversized_files(tmp_path):
    from llm_router.io import fileio

    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    with pytest.raises(fileio.FileTooLarge):
        fileio.read_regular(str(big), 1024)
    assert fileio.read_regular(str(big), 4096) == b" " * 2048
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for special in (str(fifo), "/dev/zero", str(tmp_path)):
        with pytest.raises(fileio.NotRegularFile):
            fileio.read_regular(special)
    with pytest.raises(FileNotFoundError):
        fileio.read_regular(str(tmp_path / "missing"))


@pytest.mark.parametrize("text", ["{bad", '{"a" 1}', "[1,]"])
def test_broken_json_is_a_value_error_in_a_fresh_interpreter(text):
    # without `json` imported, the C scanner once raised SystemError for these: a traceback in
    # `doctor` and `invoke` for a policy file with a typo
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from llm_router.io import fastjson\n"
            "try:\n    fastjson.loads(sys.argv[2])\nexcept ValueError:\n    print('ValueError')")
    proc, _ = run([sys.executable, "-I", "-S", "-c", code, str(ROOT / "lib"), text])
    assert proc.stdout == b"ValueError\n", proc.stderr
