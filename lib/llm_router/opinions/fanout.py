"""Ask several models the same prompt at once, each blind to the others.

Each model runs in a process of its own (`llm-router consensus --member KEY`, the prompt on
stdin, one JSON object back on stdout), which calls invocation.answer with scope "read-only":
its own fallback chain, cooldowns, deadline and ledger rows, exactly like a foreground call.
Processes rather than threads because io/proc.py sets the umask and cwd around each spawn,
which is only safe with one thread per process; and a process per model is what makes the
blindness structural: no member can see another's prompt, answer or memory.

A member that overruns its deadline by MEMBER_GRACE_S is killed with its process group; if we
are ended by SIGTERM/SIGHUP, every member's group is killed on the way out."""

from __future__ import annotations

import os
import time

from .. import paths
from ..errors import Terminated

MEMBER_GRACE_S = 15.0  # a member's own chain deadline fires first; this is the backstop


def member_argv(model_key: str, timeout_s: float, cwd: str | None) -> list[str]:
    argv = [os.path.join(paths.plugin_root(), "bin", "llm-router"), "consensus", "--member", model_key,
            "--timeout", f"{timeout_s:g}"]
    return argv + (["--cwd", cwd] if cwd else [])


def ask_all(prompt: str, model_keys: list[str], timeout_s: float, cwd: str | None = None) -> list[dict]:
    """One result dict per model key, in the same order (see opinions/consensus.member)."""
    return ask_each([(key, prompt) for key in model_keys], timeout_s, cwd)


def ask_each(calls: list[tuple[str, str]], timeout_s: float, cwd: str | None = None) -> list[dict]:
    """(model key, prompt) pairs, all at once; one result dict per pair, in the same order."""
    import subprocess
    import threading

    env = dict(os.environ)
    env["LLM_ROUTER_HOME"] = paths.data_dir()
    if paths.CALLER_UMASK is not None:
        env[paths.CALLER_UMASK_VAR] = format(paths.CALLER_UMASK, "o")
    model_keys = [key for key, _prompt in calls]
    children, results = [], [None] * len(calls)
    started = time.monotonic()
    for key in model_keys:  # spawned from this one thread; only the waiting is parallel
        children.append(subprocess.Popen(member_argv(key, timeout_s, cwd), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                         start_new_session=True, close_fds=True))

    def collect(index: int) -> None:
        data = calls[index][1].encode("utf-8", "surrogatepass")
        results[index] = _collect(children[index], model_keys[index], data, timeout_s + MEMBER_GRACE_S,
                                  started)

    threads = [threading.Thread(target=collect, args=(i,), daemon=True) for i in range(len(children))]
    previous = _take_ending_signals()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)  # short joins: a signal handler can run between them
    finally:
        _restore(previous)
        for child in children:
            _kill_group(child)
    return results


def _collect(child, key: str, data: bytes, limit: float, started: float) -> dict:
    import subprocess

    try:
        out, err = child.communicate(data, timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        child.communicate()
        return failed(key, "ProviderTimeout", f"no answer within {limit:g} s (killed)", started)
    except OSError as exc:
        return failed(key, type(exc).__name__, str(exc), started)
    from ..io import fastjson

    try:
        result = fastjson.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = err.decode("utf-8", "replace").strip()[-500:]
        return failed(key, "BadOutput", f"its process exited {child.returncode} without a result: {tail}",
                      started)
    result["elapsed_s"] = round(time.monotonic() - started, 2)
    return result


def failed(key: str, error_class: str, message: str, started: float) -> dict:
    return {"ok": False, "requested": key, "model": key, "error_class": error_class, "message": message,
            "elapsed_s": round(time.monotonic() - started, 2), "attempts": []}


def _kill_group(child) -> None:
    """SIGTERM the member's group (it then kills its CLI's group), SIGKILL after a second."""
    import signal
    import subprocess

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            child.wait(1.0)
            return
        except subprocess.TimeoutExpired:
            continue


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(signum)


def _take_ending_signals() -> dict:
    import signal

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        try:
            if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
                previous[signum] = signal.signal(signum, _raise_terminated)
        except ValueError:  # not the main thread
            break
    return previous


def _restore(previous: dict) -> None:
    import signal

    for signum, handler in previous.items():
        signal.signal(signum, handler)

