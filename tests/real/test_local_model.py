"""The embedded local model (issue 13.3) for real: `local/gemma3-270m` from the shipped policy,
with no credentials and no server started by hand. llm-router starts llama-cpp-python's server
itself (providers/local_llama.py), under its idle watchdog, and these tests check that it
answers, streams, skips a prompt that cannot fit, stops when idle and comes back when killed.

The "local venv" is .test-venvs/llama and its GGUF (LLM_ROUTER_LOCAL_VENV/_GGUF), which
scripts/test installs, so CI does not build llama-cpp-python twice; `setup --local` itself is
tested hermetically in tests/test_setup_local.py.
"""

import fcntl
import json
import os
import signal
import time

import pytest
from _servers import GGUF, LLAMA_PYTHON, run_cli

pytestmark = [pytest.mark.real_server, pytest.mark.slow]

SHORT = "test/local-short"  # the same server, a 16-token reply: the lifecycle tests stay quick


@pytest.fixture
def local(data_dir, monkeypatch):
    if not (LLAMA_PYTHON.exists() and GGUF.exists()):
        reason = "the local-model tests need .test-venvs/llama and its GGUF (scripts/test installs them)"
        if os.environ.get("CI"):
            pytest.fail("CI must run the real-server tests: " + reason)
        pytest.skip(reason)
    for name in ("LLAMACPP_BASE_URL", "OPENROUTER_API_KEY", "LITELLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLM_ROUTER_LOCAL_VENV", str(LLAMA_PYTHON.parent.parent))
    monkeypatch.setenv("LLM_ROUTER_LOCAL_GGUF", str(GGUF))
    write_policy(data_dir)
    yield data_dir
    from llm_router.providers import local_llama

    local_llama.stop_server()


def write_policy(data_dir, **provider):
    policy = {"external_models": {SHORT: {"tier": "haiku", "max_tokens": 16, "temperature": 0,
                                          "context_window": 4096,
                                          "via": [{"provider": "local-llama", "model": "gemma"}]}},
              "providers": {"local-llama": provider} if provider else {},
              "routing": {"retries": 0}}
    (data_dir / "model-policy.json").write_text(json.dumps(policy))


def state(data_dir) -> dict | None:
    try:
        return json.loads((data_dir / "local-model" / "server.json").read_text())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.25)
    return False


def test_invoke_answers_with_no_credentials_and_no_server_started_by_hand(local):
    assert state(local) is None
    done = run_cli("invoke", "--json", "--model", "local/gemma3-270m", "-p", "Name one colour.", timeout=300)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["text"].strip() and reply["model"] == "local/gemma3-270m"
    running = state(local)
    assert running and alive(running["server_pid"])
    doctor = run_cli("doctor").stdout
    assert f"server running on 127.0.0.1:{running['port']}, pid {running['server_pid']}" in doctor
    again = run_cli("invoke", "--model", SHORT, "-p", "Name one fruit.", timeout=120)
    assert again.returncode == 0, again.stderr
    assert state(local)["server_pid"] == running["server_pid"]  # reused, not restarted


def test_a_stream_from_the_local_model(local):
    done = run_cli("invoke", "--stream", "--model", SHORT, "-p", "Name one animal.", timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_a_prompt_over_the_window_is_skipped_with_the_reason_and_never_sent(local):
    prompt = "word " * 5000  # ~25,000 bytes: over 4096 tokens by the router's estimate
    done = run_cli("invoke", "--model", "local/gemma3-270m", "-p", prompt, timeout=120)
    assert done.returncode != 0
    assert "context_window of 4096" in done.stderr and "local/gemma3-270m" in done.stderr
    assert state(local) is None  # skipped before any server was started


def test_the_server_stops_after_the_idle_period(local):
    write_policy(local, idle_s=3)
    done = run_cli("invoke", "--model", SHORT, "-p", "Say yes.", timeout=300)
    assert done.returncode == 0, done.stderr
    running = state(local)
    assert running, "no server state after a call"
    with open(local / "local-model" / "busy") as busy:  # a call in flight holds it shared
        fcntl.flock(busy, fcntl.LOCK_SH)
        time.sleep(6)
        assert alive(running["server_pid"]), "the watchdog stopped a server during a call"
    assert gone_within(running["server_pid"], 30), "the idle server was not stopped"
    assert gone_within(running["pid"], 10) and state(local) is None
    assert "server stopped" in run_cli("doctor").stdout


def test_a_server_killed_between_calls_is_started_again(local):
    first = run_cli("invoke", "--model", SHORT, "-p", "Say yes.", timeout=300)
    assert first.returncode == 0, first.stderr
    old = state(local)
    os.kill(old["server_pid"], signal.SIGKILL)
    assert gone_within(old["server_pid"], 10)
    second = run_cli("invoke", "--model", SHORT, "-p", "Say no.", timeout=300)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip()
    new = state(local)
    assert new and new["server_pid"] != old["server_pid"] and alive(new["server_pid"])


def test_a_server_whose_watchdog_was_killed_is_replaced_not_left_running(local):
    first = run_cli("invoke", "--model", SHORT, "-p", "Say yes.", timeout=300)
    assert first.returncode == 0, first.stderr
    old = state(local)
    os.kill(old["pid"], signal.SIGKILL)  # the watchdog alone: its server lives on, unwatched
    assert gone_within(old["pid"], 10) and alive(old["server_pid"])
    second = run_cli("invoke", "--model", SHORT, "-p", "Say no.", timeout=300)
    assert second.returncode == 0, second.stderr
    assert gone_within(old["server_pid"], 10), "the unwatched server was left running"
    new = state(local)
    assert new and new["pid"] != old["pid"] and alive(new["server_pid"])
