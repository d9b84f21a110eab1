"""`llm-router export litellm` against a REAL LiteLLM proxy (scripts/test-litellm installs it
into .tools/litellm-venv), in front of the loopback mock backend: the proxy must accept the
exported config, answer `invoke` through it, fall back inside itself when the mock fails a
model with 500, and report a cost that lands in the ledger."""

import json
import os
import subprocess
import sys
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from mocks.llm_backend import LLMBackend

PROXY = ROOT / ".tools" / "litellm-venv" / "bin" / "litellm"
MASTER = "sk-llm-router-test-master-0000"
BACKEND_KEY = "sk-backend-test-0000"


def team_policy(backend_url: str) -> dict:
    def model(name, fallbacks=(), window=None):
        entry = {"tier": "sonnet", "fallbacks": list(fallbacks),
                 "via": [{"provider": "openai-http", "endpoint": "backend", "model": name}]}
        if window:
            entry["context_window"] = window
        return entry
    return {
        "external_models": {
            "team/good": model("gpt-ok", window=8000),
            "team/flaky": model("err500-model", ["team/backup"]),
            "team/backup": model("backup-model", window=100000),
            "copilot/only-cli": {"tier": "haiku", "via": [{"provider": "copilot", "model": "x"}]}},
        "claude_to_external_map": {"sonnet": "team/good", "haiku": "copilot/only-cli"},
        "task_routing": {"default": "team/good"},
        "endpoints": {"backend": {"kind": "openai", "base_url": backend_url + "/v1",
                                  "api_key_env": "TEAM_BACKEND_KEY"}},
        "pricing": {"models": {"team/good": {"input": 1.0, "output": 2.0},
                               "team/flaky": {"input": 1.0, "output": 2.0},
                               "team/backup": {"input": 1.0, "output": 2.0}}},
        "budgets": {"monthly_usd": 50, "session_calls": 100},
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProxyRejected(AssertionError):
    pass


def start_proxy(config: Path, log: Path, timeout: float = 180):
    """The running proxy and its URL; ProxyRejected (a test failure) if it exits or never
    becomes ready: LiteLLM refused the config."""
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(log.parent), "TEAM_BACKEND_KEY": BACKEND_KEY,
           "LITELLM_MASTER_KEY": MASTER, "LITELLM_TELEMETRY": "False",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_PROXY": "127.0.0.1,localhost"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(PROXY), "--config", str(config), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProxyRejected(f"the LiteLLM proxy exited ({proc.returncode}):\n"
                                + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(url + "/health/readiness", timeout=2) as reply:
                if reply.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    stop_proxy(proc)
    raise ProxyRejected("the LiteLLM proxy never became ready:\n" + log.read_text()[-3000:])


def stop_proxy(proc) -> None:
    try:
        os.killpg(proc.pid, 15)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, 9)


@pytest.fixture(scope="module")
def proxy_bin():
    if not PROXY.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have the LiteLLM proxy: scripts/test runs scripts/test-litellm")
        pytest.skip("the LiteLLM proxy is not installed: run scripts/test-litellm")
    return PROXY


@pytest.fixture(scope="module")
def gateway(proxy_bin, tmp_path_factory):
    """The mock backend, the exported config, and a real proxy serving it."""
    work = tmp_path_factory.mktemp("gateway")
    (work / "data").mkdir()
    with LLMBackend() as backend:
        policy = team_policy(backend.url)
        (work / "data" / "model-policy.json").write_text(json.dumps(policy))
        env = {"LLM_ROUTER_HOME": str(work / "data"), "CLAUDE_PLUGIN_DATA": str(work / "data"),
               "LLM_ROUTER_PYTHON": sys.executable}
        exported = run_cli("export", "litellm", "--out", str(work / "config.yaml"), env=env)
        assert exported.returncode == 0, exported.stderr
        fragment = run_cli("export", "litellm", "--policy", env=env)
        assert fragment.returncode == 0, fragment.stderr
        proc, url = start_proxy(work / "config.yaml", work / "proxy.log")
        try:
            yield {"backend": backend, "url": url, "policy": policy,
                   "config": (work / "config.yaml").read_text(),
                   "fragment": json.loads(fragment.stdout), "fragment_stderr": fragment.stderr}
        finally:
            stop_proxy(proc)


@pytest.fixture
def through_proxy(gateway, data_dir):
    """This test's user policy is the team policy with the --policy fragment laid over it (a
    project file could not re-point models at the proxy without `policy trust`)."""
    from llm_router.policy import deep_merge

    policy = deep_merge(gateway["policy"], gateway["fragment"])
    (data_dir / "model-policy.json").write_text(json.dumps(policy))
    gateway["backend"].requests.clear()
    return {"LITELLM_BASE_URL": gateway["url"], "LITELLM_API_KEY": MASTER,
            "TEAM_BACKEND_KEY": "not-used-locally"}


def test_config_holds_env_names_never_values(gateway):
    config = gateway["config"]
    assert "os.environ/TEAM_BACKEND_KEY" in config and BACKEND_KEY not in config
    assert "os.environ/LITELLM_MASTER_KEY" in config and MASTER not in config
    assert "Stays local: copilot/only-cli" in config
    assert "copilot/only-cli" in gateway["fragment_stderr"]
    assert {"team/good", "team/flaky", "team/backup"} <= set(gateway["fragment"]["external_models"])
    assert "copilot/only-cli" not in gateway["fragment"]["external_models"]


def test_invoke_goes_through_the_proxy_and_its_cost_lands_in_the_ledger(gateway, through_proxy):
    proc = run_cli("invoke", "--tier", "sonnet", "-p", "hello proxy", "--json", env=through_proxy)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["text"] == "MOCK-REPLY pong" and out["model"] == "team/good"
    assert out["provider_model"] and len(out["attempts"]) == 1
    seen = gateway["backend"].posts()[-1]
    assert seen.json["model"] == "gpt-ok"  # the proxy called the backend with the real id
    assert seen.headers["authorization"] == f"Bearer {BACKEND_KEY}"  # the proxy's key, not ours
    expected = 11 * 1e-6 + 3 * 2e-6  # the mock's usage at the exported prices
    assert out["cost_usd"] == pytest.approx(expected, rel=1e-6)
    stats = json.loads(run_cli("stats", "--json").stdout)
    assert stats["total"]["cost_usd"] == pytest.approx(expected, rel=1e-6)


def test_a_model_failing_with_500_falls_back_inside_the_proxy(gateway, through_proxy):
    proc = run_cli("invoke", "--model", "team/flaky", "-p", "hi", "--json", env=through_proxy)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["text"] == "MOCK-REPLY pong"
    assert [a["outcome"] for a in out["attempts"]] == ["ok"]  # one call from us ...
    models = [r.json["model"] for r in gateway["backend"].posts()]
    assert "err500-model" in models and models[-1] == "backup-model"  # ... the proxy fell back


def test_a_config_litellm_rejects_fails(proxy_bin, tmp_path):
    """The check above is real: a config the proxy cannot load is reported, not skipped."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list:\n  - model_name: x\n    litellm_params: 7\n")
    with pytest.raises(ProxyRejected):
        proc, _ = start_proxy(bad, tmp_path / "bad.log", timeout=120)
        stop_proxy(proc)
