"""The one place that starts an external CLI.

Rules every CLI call follows (each one fixes a hang or a leak seen with the real CLIs):
  * argv list only, never a shell; the prompt goes to the child's stdin, never argv (argv is
    capped at 128 KiB per string on Linux and is visible in `ps`).
  * stdin is always written and closed, or /dev/null: codex and opencode wait forever on an
    open stdin.
  * the child gets its own session (process group) so that on timeout the whole group is
    killed, including grandchildren that still hold our pipes.
  * one thread, one selector loop over stdin/stdout/stderr with a single deadline, so neither
    a child that never reads stdin nor one that never exits can block us.
  * the environment is built on purpose: the variables Claude Code gives its hooks are removed
    so the child does not think it is nested, and LLM_ROUTER_DEPTH counts the nesting so the
    router can refuse to call itself through a child.
  * stderr is kept as a bounded tail with anything that looks like a secret redacted.
"""

from __future__ import annotations

import atexit
import os
import selectors
import signal
import subprocess
import time

from .errors import BadRequest, NotInstalled, ProviderTimeout

# What Claude Code exports to hooks and plugin processes; a CLI started from the plugin must
# not inherit them (the claude CLI refuses to start "inside another session" on some versions).
HOOK_VARS = (
    "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_SESSION_ID", "CLAUDE_PLUGIN_ROOT",
    "CLAUDE_PLUGIN_DATA", "CLAUDE_PROJECT_DIR", "CLAUDE_ENV_FILE", "CLAUDE_EFFORT",
    "CLAUDE_CODE_SSE_PORT",
)
HOOK_PREFIXES = ("CLAUDE_PLUGIN_OPTION_",)
DEPTH_VAR = "LLM_ROUTER_DEPTH"

KILL_GRACE_S = 1.0  # SIGTERM, then this long, then SIGKILL
PIPE_GRACE_S = 1.0  # after the child exits, how long a grandchild may keep our pipes open
STDERR_KEEP = 64 * 1024  # stderr bytes kept for parsing
DETAIL_CHARS = 2000  # stderr characters attached to an error

_live_groups: set[int] = set()


class Completed:
    __slots__ = ("argv", "returncode", "stdout", "stderr", "elapsed_ms")

    def __init__(self, argv: list, returncode: int, stdout: bytes, stderr: str, elapsed_ms: int) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr  # redacted tail (at most STDERR_KEEP bytes' worth)
        self.elapsed_ms = elapsed_ms

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


def child_env(extra: dict | None = None, drop: tuple = ()) -> dict:
    """os.environ minus the hook variables and `drop`, plus `extra` (a None value removes)."""
    env = {k: v for k, v in os.environ.items()
           if k not in HOOK_VARS and k not in drop and not k.startswith(HOOK_PREFIXES)}
    env[DEPTH_VAR] = str(_int(os.environ.get(DEPTH_VAR)) + 1)
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def redact(text: str, env: dict | None = None) -> str:
    """The one redaction (redact.py), also covering secrets we put into the child's env."""
    from .redact import redact as scrub

    return scrub(text, {**os.environ, **(env or {})})


def run(argv: list, *, stdin: bytes | None, env: dict, timeout: float, cwd: str | None = None,
        on_line=None, on_stderr_line=None, label: str = "",
        install_hint: str = "") -> Completed:
    """Run argv to completion or until `timeout` seconds pass (then kill its group and raise
    ProviderTimeout). `on_line`/`on_stderr_line` get each complete line as soon as it arrives;
    an exception raised there stops the child (that is how a provider cuts a CLI's own retry
    loop short) and propagates to the caller."""
    label = label or os.path.basename(argv[0])
    if cwd and not os.path.isdir(cwd):  # else Popen's error would read like a missing binary
        raise BadRequest(f"{label}: the working directory {cwd} does not exist",
                         "pass an existing directory as the request's cwd", provider=label)
    started = time.monotonic()
    try:
        child = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
            start_new_session=True, close_fds=True)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise NotInstalled(f"{label}: cannot start {argv[0]}: {exc.strerror or exc}",
                           install_hint, provider=label) from exc
    _live_groups.add(child.pid)
    try:
        pump = _Pump(child, stdin, _Lines(on_line), _Lines(on_stderr_line, STDERR_KEEP))
        timed_out = not pump.run(started + timeout)
    finally:
        _kill_group(child)
        _live_groups.discard(child.pid)
    stderr = redact(pump.stderr_tail(), env)
    if timed_out:
        raise ProviderTimeout(f"{label} gave no answer within {timeout:g} s (killed)",
                              "raise routing.call_timeout_s, or pick a faster model",
                              provider=label, detail=stderr[-DETAIL_CHARS:])
    elapsed = int((time.monotonic() - started) * 1000)
    return Completed(list(argv), child.returncode, bytes(pump.stdout), stderr, elapsed)


class _Lines:
    """Cuts a byte stream into lines for a callback; a no-op without one. `cap` bounds a
    line that never ends (stderr only: a stdout JSON line must reach the parser whole)."""

    def __init__(self, callback, cap: int | None = None) -> None:
        self.callback = callback
        self.cap = cap
        self.partial = bytearray()

    def feed(self, chunk: bytes) -> None:
        if self.callback is None:
            return
        parts = chunk.split(b"\n")
        self.partial += parts[0]
        if len(parts) == 1:
            if self.cap:
                del self.partial[:-self.cap]
            return
        lines = [bytes(self.partial), *parts[1:-1]]
        self.partial = bytearray(parts[-1])
        for line in lines:
            self.callback(line)

    def flush(self) -> None:
        if self.callback is not None and self.partial:
            line, self.partial = bytes(self.partial), bytearray()
            self.callback(line)


class _Pump:
    """Moves bytes between us and the child until its pipes close or the deadline passes."""

    def __init__(self, child: subprocess.Popen, data: bytes | None, out: _Lines, err: _Lines) -> None:
        self.child = child
        self.data = memoryview(data or b"")
        self.out_lines, self.err_lines = out, err
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._exited_at: float | None = None
        self.sel = selectors.DefaultSelector()
        if child.stdin is not None:
            os.set_blocking(child.stdin.fileno(), False)
            self.sel.register(child.stdin, selectors.EVENT_WRITE)
        self.sel.register(child.stdout, selectors.EVENT_READ)
        self.sel.register(child.stderr, selectors.EVENT_READ)

    def run(self, deadline: float) -> bool:
        """True when the child finished; False when the deadline passed first."""
        with self.sel:
            while self.sel.get_map():
                now = time.monotonic()
                if now >= deadline:
                    return False
                if self._pipes_held_too_long(now):
                    break  # the child is gone; a grandchild keeps the pipe: stop waiting
                for key, _ in self.sel.select(min(deadline - now, 0.1)):
                    self._service(key.fileobj)
        self.out_lines.flush()
        self.err_lines.flush()
        try:
            self.child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False  # closed its pipes but kept running
        return True

    def _pipes_held_too_long(self, now: float) -> bool:
        if self._exited_at is None and self.child.poll() is not None:
            self._exited_at = now
        return self._exited_at is not None and now - self._exited_at > PIPE_GRACE_S

    def _service(self, pipe) -> None:
        if pipe is self.child.stdin:
            self._write(pipe)
            return
        chunk = os.read(pipe.fileno(), 65536)
        if not chunk:
            self._close(pipe)
        elif pipe is self.child.stdout:
            self.stdout += chunk
            self.out_lines.feed(chunk)
        else:
            self.stderr += chunk
            del self.stderr[:-STDERR_KEEP]
            self.err_lines.feed(chunk)

    def _write(self, pipe) -> None:
        try:
            written = os.write(pipe.fileno(), self.data[:65536])
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError):
            written = len(self.data)  # the child stopped reading: that is its choice
        self.data = self.data[written:]
        if not self.data:
            self._close(pipe)

    def _close(self, pipe) -> None:
        self.sel.unregister(pipe)
        try:
            pipe.close()
        except OSError:
            pass

    def stderr_tail(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def _kill_group(child: subprocess.Popen) -> None:
    """SIGTERM the child's whole group, wait a little, then SIGKILL whatever is left."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except (ProcessLookupError, PermissionError):
            break  # nobody left in the group
        if not _group_alive(child, grace):
            break
    for pipe in (child.stdin, child.stdout, child.stderr):
        if pipe is not None and not pipe.closed:
            try:
                pipe.close()
            except OSError:
                pass


def _group_alive(child: subprocess.Popen, grace: float) -> bool:
    """Reap the child and poll the group until it is empty or `grace` seconds pass."""
    end = time.monotonic() + grace
    while True:
        child.poll()
        if not _has_live_members(child.pid):
            return False
        if time.monotonic() >= end:
            return True
        time.sleep(0.02)


def _has_live_members(pgid: int) -> bool:
    """Is anything but zombies left in the group? Orphaned zombies wait for PID 1 to reap them,
    and in some containers PID 1 never does; they must not cost us the whole grace period."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc/self"):
        return True  # no /proc (macOS): trust killpg
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            group, state = _group_and_state(entry.name)
            if group == pgid and state not in (b"Z", b"X"):
                return True
    return False


def _group_and_state(pid: str) -> tuple:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        fields = stat[stat.rindex(b")") + 2:].split()
        return int(fields[2]), fields[0]
    except (OSError, ValueError, IndexError):
        return (None, None)


@atexit.register
def _kill_leftovers() -> None:
    """If the interpreter exits mid-call (Ctrl-C), do not leave CLIs running."""
    for pgid in list(_live_groups):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
