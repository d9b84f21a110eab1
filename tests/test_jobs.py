"""Background jobs end to end: bin/llm-router processes with fake models (tests/mocks/fake_models.py)."""

import json
import os
import re
import signal
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import run_cli
from llm_router.jobs import store
from mocks.fake_models import fake_models_env, policy_for, spawned
from test_chain import fakes  # noqa: F401 - the fixture is used by name


@pytest.fixture
def fake(tmp_path, data_dir):
    (data_dir / "model-policy.json").write_text(json.dumps(policy_for(["a", "slow", "spawner"])))

    def make(plan: dict) -> dict:
        return fake_models_env(tmp_path, plan)

    return make


def start(env: dict, *args: str) -> str:
    out = run_cli("jobs", "start", "--json", *args, env=env)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["state"] == "queued"
    return payload["id"]


def result(env: dict, job_id: str, wait: float = 20) -> subprocess.CompletedProcess:
    return run_cli("jobs", "result", job_id, "--wait", str(wait), env=env)


def alive(pid: int) -> bool:
    return store.process_start(pid) is not None


def test_twelve_jobs_started_at_once_from_twelve_processes_are_each_listed_once(fake):
    env = fake({"a": {"echo": True, "delay": 0.3}})
    with ThreadPoolExecutor(12) as pool:
        ids = list(pool.map(lambda n: start(env, "--model", "f/a", "-p", f"prompt number {n}"), range(12)))
    assert len(set(ids)) == 12
    for n, job_id in enumerate(ids):
        out = result(env, job_id)
        assert out.returncode == 0, out.stderr
        # every external answer is a turn of a thread (issue 16), a job's too
        assert re.fullmatch(f"\N{ELECTRIC PLUG} \\[External: f/a \N{MIDDLE DOT} thread [a-z2-7]{{5}}\\]\n"
                            f"echo: prompt number {n}\n", out.stdout), out.stdout
    listed = json.loads(run_cli("jobs", "list", "--json", env=env).stdout)
    assert sorted(job["id"] for job in listed) == sorted(ids)
    assert all(job["state"] == "done" and job["model"] == "f/a" for job in listed)


def test_a_job_outlives_the_process_that_started_it_and_writes_its_ledger_row(fake, data_dir):
    env = fake({"slow": {"delay": 4, "text": "late answer"}})
    began = time.monotonic()
    job_id = start(env, "--model", "f/slow", "-p", "take your time", "--label", "bg")
    # start returned before the answer existed, and its worker did not keep our pipes open
    # (run_cli reads stdout and stderr to their end)
    assert time.monotonic() - began < 3
    status = json.loads(run_cli("jobs", "status", job_id, "--json", env=env).stdout)
    assert status["state"] in ("queued", "running") and status["label"] == "bg"
    out = result(env, job_id)
    assert out.returncode == 0 and out.stdout.endswith("late answer\n")
    stats = run_cli("stats", "--json", env=env)
    assert stats.returncode == 0 and "f/slow" in stats.stdout


def test_result_before_the_end_says_not_finished_with_exit_4(fake):
    env = fake({"slow": {"delay": 3}})
    job_id = start(env, "--model", "f/slow", "-p", "x")
    out = run_cli("jobs", "result", job_id, env=env)
    assert out.returncode == 4 and "still" in out.stderr and "--wait 540" in out.stderr
    out = run_cli("jobs", "result", job_id, "--wait", "900", env=env)
    assert out.returncode == 0 and "waiting at most 540 s, not 900" in out.stderr


def test_job_files_are_0600_and_its_folder_0700(fake, data_dir):
    env = fake({"a": {"deltas": 2, "text": "two parts"}})
    job_id = start(env, "--model", "f/a", "-p", "x")
    assert result(env, job_id).returncode == 0
    folder = data_dir / "jobs" / job_id
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = sorted(p.name for p in folder.iterdir())
    assert {"request.json", "state.json", "answer.json", "output.txt", "heartbeat"} <= set(names)
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in folder.iterdir()} == \
        {name: "0o600" for name in names}
    assert (folder / "output.txt").read_text() == "two parts"
    request = json.loads((folder / "request.json").read_text())
    assert "prompt" not in request and request["prompt_chars"] == 1  # not kept once the call ran


def test_a_worker_killed_mid_run_is_reported_stale_not_running(fake):
    env = fake({"slow": {"delay": 30}})
    job_id = start(env, "--model", "f/slow", "-p", "x")
    state = wait_state(env, job_id, "running")
    os.kill(state["pid"], signal.SIGKILL)
    deadline = time.monotonic() + store.STALE_AFTER_S
    while time.monotonic() < deadline:
        state = json.loads(run_cli("jobs", "status", job_id, "--json", env=env).stdout)
        if state["state"] != "running":
            break
        time.sleep(0.2)
    assert state["state"] == "stale" and "gone" in state["stale_reason"]
    out = run_cli("jobs", "result", job_id, env=env)
    assert out.returncode == 1 and "stale" in out.stderr


def test_a_silent_heartbeat_makes_a_live_worker_stale(data_dir):
    job_id = store.create({"kind": "invoke", "prompt": "x"})
    store.update_state(job_id, {"state": "running", "pid": os.getpid(),
                                "pid_start": store.process_start(os.getpid()), "started_at": time.time()})
    store.touch_heartbeat(job_id)
    assert store.status(job_id)["state"] == "running"
    old = time.time() - store.STALE_AFTER_S - 1
    os.utime(data_dir / "jobs" / job_id / "heartbeat", (old, old))
    state = store.status(job_id)
    assert state["state"] == "stale" and "heartbeat" in state["stale_reason"]


def test_cancel_kills_the_worker_and_every_process_it_started(fake):
    env = fake({"spawner": {"spawn": True, "delay": 60}})
    job_id = start(env, "--model", "f/spawner", "-p", "x")
    state = wait_state(env, job_id, "running")
    deadline = time.monotonic() + 10
    while not spawned(env) and time.monotonic() < deadline:
        time.sleep(0.05)
    [grandchild] = spawned(env)
    assert alive(grandchild) and alive(state["pid"])
    out = run_cli("jobs", "cancel", job_id, env=env)
    assert out.returncode == 0, out.stderr
    assert not alive(grandchild) and not alive(state["pid"])
    assert not [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                if _group(pid) in (state["pid"], grandchild)]
    assert json.loads(run_cli("jobs", "status", job_id, "--json", env=env).stdout)["state"] == "cancelled"
    again = run_cli("jobs", "cancel", job_id, env=env)
    assert again.returncode == 1 and "already ended" in again.stderr


def test_prune_removes_only_ended_jobs(fake, data_dir):
    env = fake({"a": {}, "slow": {"delay": 5}})
    done = start(env, "--model", "f/a", "-p", "x")
    assert result(env, done).returncode == 0
    running = start(env, "--model", "f/slow", "-p", "x")
    out = run_cli("jobs", "prune", "--older-than", "0s", "--json", env=env)
    assert json.loads(out.stdout)["removed"] == [done]
    assert not (data_dir / "jobs" / done).exists() and (data_dir / "jobs" / running).exists()
    run_cli("jobs", "cancel", running, env=env)


@pytest.mark.parametrize("args, says", [
    (("jobs", "result", "nope"), "no job 'nope'"),
    (("jobs", "status", "../x"), "not a job id"),
    (("jobs", "prune", "--older-than", "soon"), "not a duration"),
    (("jobs", "start", "--model", "no/such", "-p", "x"), "no/such"),
])
def test_mistakes_are_usage_errors_that_say_what_to_do(fake, args, says):
    out = run_cli(*args, env=fake({}))
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr


def wait_state(env: dict, job_id: str, wanted: str, within: float = 15) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        state = json.loads(run_cli("jobs", "status", job_id, "--json", env=env).stdout)
        if state["state"] == wanted:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {wanted}: {state}")


def _group(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return None if fields[0] in (b"Z", b"X") else int(fields[2])
    except (OSError, IndexError):
        return None


def test_a_job_deadline_past_the_foreground_one_lets_one_call_use_it(fakes):
    from llm_router import invocation

    invocation.answer("x", model="copilot/gpt-5.2", timeout=3600)
    invocation.answer("x", model="copilot/gpt-5.2", timeout=100)
    invocation.answer("x", model="copilot/gpt-5.2")
    timeouts = [round(call[1]) for call in fakes.table["copilot"].calls]
    assert timeouts[0] > 3500 and timeouts[1] <= 100 and timeouts[2] == 480
