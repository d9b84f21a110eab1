"""The embedded local model (issue 13.3): Gemma 3 270M on llama-cpp-python's OpenAI-compatible
server, installed by `llm-router setup --local` (setup/local_model.py) and started on demand.

A call:
  1. holds a shared lock on `local-model/busy` while it runs (the idle watchdog never stops a
     server in the middle of a call);
  2. under the exclusive start lock, reuses the server named by `local-model/server.json` when
     its watchdog's pid is alive AND its port answers GET /v1/models; otherwise stops what is
     left of it and starts a new one on a free 127.0.0.1 port, waiting (bounded by
     start_timeout_s and the call's timeout) until it answers;
  3. touches `local-model/last-used`, then goes through the openai-http provider's code with
     base_url set to that server (no key: the server is on loopback and takes none).

The server runs under _local_watchdog.py, detached in its own session, so it outlives the call;
the watchdog stops it after `idle_s` seconds without a call, and forgets it when it dies, so a
crashed or killed server is simply started again by the next call. Its output goes to
`local-model/server.log`.

Options (`providers.local-llama` in the policy, or a via's options): idle_s (600), n_ctx
(4096, Gemma 3 270M's context as served here), threads (2), start_timeout_s (120).
"""

import json
import os
import time

from ..errors import NotInstalled, ProviderTimeout, ServerError
from ..setup import local_model
from . import _http
from .openai_http import OpenAIHTTPProvider

DEFAULTS = {"idle_s": 600, "n_ctx": 4096, "threads": 2, "start_timeout_s": 120}
MODEL_ALIAS = "gemma"  # what the server calls the model (--model_alias), the via's `model`
SETUP_HINT = "run `llm-router setup --local` (installs llama-cpp-python and Gemma 3 270M)"
WATCHDOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_local_watchdog.py")


def _file(name: str) -> str:
    return os.path.join(local_model.model_dir(), name)


def _setting(options: dict, name: str) -> float:
    value = (options or {}).get(name)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else DEFAULTS[name]


class LocalLlamaProvider(OpenAIHTTPProvider):
    name = "local-llama"
    login_hint = "check the local server's log in <data dir>/local-model/server.log"

    def available(self, options: dict) -> tuple[bool, str]:
        if not local_model.is_installed():
            return False, f"not installed: {SETUP_HINT}"
        running = status()
        return True, (f"running on 127.0.0.1:{running['port']}" if running
                      else "installed; the server starts on the first call")

    def probe(self, options: dict) -> bool:
        """Installed is enough to end a cooldown: the next call starts a fresh server."""
        return local_model.is_installed()

    def run(self, request, timeout: float):
        if not local_model.is_installed():
            raise NotInstalled("local-llama: the local model is not installed", SETUP_HINT,
                               provider=self.name)
        options = request.options or {}
        started = time.monotonic()
        with _Busy():
            base = ensure_server(options, timeout)
            _touch()
            try:
                remaining = max(1.0, timeout - (time.monotonic() - started))
                local = {**options, "base_url": base, "base_url_env": None, "api_key_env": None}
                return super().run(request.replace(options=local), remaining)
            finally:
                _touch()


class _Busy:
    """A shared flock on local-model/busy for the length of a call (see _local_watchdog)."""

    def __enter__(self) -> None:
        import fcntl

        os.makedirs(local_model.model_dir(), mode=0o700, exist_ok=True)
        self.fd = os.open(_file("busy"), os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_SH)

    def __exit__(self, *exc) -> None:
        os.close(self.fd)


def _touch() -> None:
    path = _file("last-used")
    with open(path, "a"):
        pass
    os.utime(path)


def _read_state() -> dict | None:
    try:
        with open(_file("server.json"), encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("port"), int) else None


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(port: int) -> bool:
    return _http.probe(f"http://127.0.0.1:{port}/v1/models", {})


def status() -> dict | None:
    """The running server ({pid, server_pid, port, ...}) or None: its watchdog is alive and it
    answers (used by doctor and `models`)."""
    state = _read_state()
    if state and _alive(state.get("pid")) and _answers(state["port"]):
        return state
    return None


def ensure_server(options: dict, timeout: float) -> str:
    """The base URL of a live server, started if needed (see the module docstring)."""
    from ..io import fileio

    wait = min(float(_setting(options, "start_timeout_s")), timeout)
    try:
        with fileio.locked(_file("server"), timeout=wait + 5):
            state = _read_state()
            if state and _alive(state.get("pid")) and _answers(state["port"]):
                return f"http://127.0.0.1:{state['port']}"
            if state:
                _stop(state)
            return _start(options, wait)
    except fileio.LockTimeout as exc:
        raise ProviderTimeout(f"local-llama: another call was still starting the local server after {wait + 5:g} s",
                              f"try again, or read {_file('server.log')}", provider="local-llama") from exc


def _stop(state: dict) -> None:
    """What is left of an old server: its watchdog hung or its port no longer answers."""
    import signal

    pgid = state.get("pgid")
    if isinstance(pgid, int) and pgid > 1 and any(_in_group(state.get(key), pgid) for key in ("pid", "server_pid")):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.unlink(_file("server.json"))
    except OSError:
        pass


def _in_group(pid, pgid: int) -> bool:
    """pid is alive and still in that process group (a watchdog killed alone leaves its server
    running; a recycled pid in another group is never signalled)."""
    try:
        return isinstance(pid, int) and pid > 0 and os.getpgid(pid) == pgid
    except OSError:
        return False


def stop_server() -> bool:
    """Stop the running server now (tests, `doctor` users). True if one was running."""
    state = _read_state()
    if not state:
        return False
    _stop(state)
    return True


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_argv(options: dict, port: int) -> list:
    return [local_model.venv_python(), "-m", "llama_cpp.server", "--model", local_model.gguf_path(),
            "--model_alias", MODEL_ALIAS, "--chat_format", "gemma",  # the GGUF has no chat template
            "--n_ctx", str(int(_setting(options, "n_ctx"))),
            "--n_threads", str(int(_setting(options, "threads"))),
            "--host", "127.0.0.1", "--port", str(port)]


def _start(options: dict, wait: float) -> str:
    import subprocess
    import sys

    from ..io import proc

    port = _free_port()
    argv = [sys.executable, "-I", WATCHDOG, _file("server.json"), _file("last-used"), _file("busy"),
            str(_setting(options, "idle_s")), str(port), "--", *_server_argv(options, port)]
    log = os.open(_file("server.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        first = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, env=proc.child_env())
    finally:
        os.close(log)
    first.wait(30)  # the watchdog forks and this first process exits at once
    return _wait_ready(port, wait)


def _wait_ready(port: int, wait: float) -> str:
    deadline = time.monotonic() + wait
    seen = False
    while time.monotonic() < deadline:
        state = _read_state()
        if state and state.get("port") == port:
            seen = True
            if not _alive(state.get("pid")):
                break
            if _answers(port):
                return f"http://127.0.0.1:{port}"
        elif seen or time.monotonic() > deadline - wait + 10:
            break  # the watchdog wrote no state in 10 s, or removed it: the server exited
        time.sleep(0.25)
    else:
        stop_server()
        raise ProviderTimeout(f"local-llama: the local server did not answer within {wait:g} s",
                              "raise providers.local-llama.start_timeout_s, or read "
                              f"{_file('server.log')}", provider="local-llama", detail=_log_tail())
    raise ServerError("local-llama: the local server exited while starting: " + _log_tail()[-300:],
                      f"read {_file('server.log')}; `llm-router setup --local --force` reinstalls it",
                      provider="local-llama", detail=_log_tail())


def _log_tail(chars: int = 2000) -> str:
    try:
        with open(_file("server.log"), "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - chars))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
