"""The one place that starts an external CLI.

Rules every CLI call follows (each one fixes a hang or a leak seen with the real CLIs):
  * argv list only, never a shell; the prompt goes to the child's stdin, never argv (argv is
    capped at 128 KiB per string on Linux and is visible in `ps`).
  * stdin is always written and closed, or /dev/null: codex and opencode wait forever on an
    open stdin.
  * the child gets its own session (process group) so that on timeout the whole group is
    killed, including grandchildren that still hold our pipes.
  * one thread, one poll() loop over stdin/stdout/stderr with a single deadline, so neither
    a child that never reads stdin nor one that never exits can block us.
  * os.posix_spawn, not subprocess: `import subprocess` (signal, enum, threading, selectors,
    locale) cost about 15 ms of every cold `llm-router invoke`, more than half the router's
    overhead budget. posix_spawn gives what subprocess did here: pipes on 0/1/2, a new
    session, signals restored, exec errors raised in the parent, no shell.
  * the environment is built on purpose: the variables Claude Code gives its hooks are removed
    so the child does not think it is nested, and LLM_ROUTER_DEPTH counts the nesting so the
    router can refuse to call itself through a child.
  * stderr is kept as a bounded tail with anything that looks like a secret redacted.
  * stdout and stderr are capped (MAX_OUTPUT_BYTES each unless the caller says otherwise): a
    CLI that prints past the cap is killed with its group and the call fails (OutputTooLarge),
    so a runaway CLI costs bounded memory (1 GiB of output once took 3 GiB of RSS).
  * the child gets the caller's umask back (paths.CALLER_UMASK): our own files are private,
    but what a CLI writes into the user's project must not be.
"""

from __future__ import annotations

import atexit
import os
import select
import time

from .. import paths
from ..errors import BadRequest, ConfigError, NotInstalled, OutputTooLarge, ProviderTimeout, Terminated

try:  # the C module behind `signal`, which wraps the same numbers in enums (enum: ~3 ms cold)
    import _signal as _signals
except ImportError:  # pragma: no cover - interpreters without it
    import signal as _signals

SIGTERM, SIGKILL = _signals.SIGTERM, _signals.SIGKILL
# Signals that end us while a CLI runs: the CLI sits in its own session, so unless we kill its
# group on the way out it would outlive us (SIGKILL cannot be caught; nothing helps there).
ENDING_SIGNALS = tuple(getattr(_signals, name) for name in ("SIGTERM", "SIGHUP")
                       if hasattr(_signals, name))
# Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across exec: give the
# child the defaults back, as subprocess's restore_signals does.
RESTORED_SIGNALS = tuple(getattr(_signals, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ")
                         if hasattr(_signals, name))

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
MAX_OUTPUT_BYTES = 32 << 20  # per stream; a provider's `max_output_mb` option changes it
_MIB = 1 << 20

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
    from ..redact import redact as scrub

    return scrub(text, {**os.environ, **(env or {})})


def output_cap(max_output_mb, label: str) -> int:
    """The byte cap for a provider's `max_output_mb` option (None: MAX_OUTPUT_BYTES)."""
    if max_output_mb is None:
        return MAX_OUTPUT_BYTES
    if isinstance(max_output_mb, bool) or not isinstance(max_output_mb, (int, float)) \
            or not max_output_mb > 0:
        raise ConfigError(f"providers.{label}.max_output_mb must be a number > 0, "
                          f"not {max_output_mb!r}",
                          f"set providers.{label}.max_output_mb to a size in MiB, or remove it "
                          f"(default {MAX_OUTPUT_BYTES // _MIB})",
                          json_path=f"providers.{label}.max_output_mb")
    return int(max_output_mb * _MIB)


def run(argv: list, *, stdin: bytes | None, env: dict, timeout: float, cwd: str | None = None,
        on_line=None, on_stderr_line=None, label: str = "",
        install_hint: str = "", max_output: int = MAX_OUTPUT_BYTES,
        idle_timeout: float | None = None) -> Completed:
    """Run argv to completion or until `timeout` seconds pass (then kill its group and raise
    ProviderTimeout) or it prints more than `max_output` bytes on stdout or on stderr (then
    kill its group and raise OutputTooLarge). `on_line`/`on_stderr_line` get each complete
    line as soon as it arrives; an exception raised there stops the child (that is how a
    provider cuts a CLI's own retry loop short) and propagates to the caller. `idle_timeout`:
    a child that has printed nothing at all (stdout or stderr) after that many seconds is
    stopped the same way."""
    label = label or os.path.basename(argv[0])
    if cwd and not os.path.isdir(cwd):  # else Popen's error would read like a missing binary
        raise BadRequest(f"{label}: the working directory {cwd} does not exist",
                         "pass an existing directory as the request's cwd", provider=label)
    started = time.monotonic()
    try:
        child = Child.spawn([str(arg) for arg in argv], env, cwd, with_stdin=stdin is not None)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise NotInstalled(f"{label}: cannot start {argv[0]}: {exc.strerror or exc}",
                           install_hint, provider=label) from exc
    _live_groups.add(child.pid)
    guard = _EndingSignalsGuard()
    try:
        guard.install()
        pump = _Pump(child, stdin, _Lines(on_line), _Lines(on_stderr_line, STDERR_KEEP), max_output)
        idle_until = started + idle_timeout if idle_timeout and idle_timeout < timeout else None
        timed_out = not pump.run(started + timeout, idle_until)
    finally:
        _kill_group(child)
        _live_groups.discard(child.pid)
        guard.restore()
    stderr = redact(pump.stderr_tail(), env)
    if pump.overflowed:
        pump.stdout = bytearray()  # the output is dropped: free it before anything else runs
        raise OutputTooLarge(
            f"{label} printed more than {_size(max_output)} on {pump.overflowed} (killed)",
            f"if an answer that long is expected, raise providers.{label}.max_output_mb in the "
            f"policy (default {MAX_OUTPUT_BYTES // _MIB}); otherwise ask for a shorter answer",
            provider=label, detail=stderr[-DETAIL_CHARS:])
    if timed_out and idle_until is not None and pump.silent:
        raise ProviderTimeout(f"{label} printed nothing at all within {idle_timeout:g} s (killed)",
                              "raise routing.cli_idle_timeout_s, or check that the CLI starts "
                              "(`llm-router doctor`)", provider=label)
    if timed_out:
        raise ProviderTimeout(f"{label} gave no answer within {timeout:g} s (killed)",
                              "raise routing.call_timeout_s, or pick a faster model",
                              provider=label, detail=stderr[-DETAIL_CHARS:])
    elapsed = int((time.monotonic() - started) * 1000)
    return Completed(list(argv), child.returncode, bytes(pump.stdout), stderr, elapsed)


def _size(nbytes: int) -> str:
    return f"{nbytes / _MIB:g} MiB" if nbytes >= _MIB else f"{nbytes} bytes"


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(signum)


class _EndingSignalsGuard:
    """While a child runs, SIGTERM/SIGHUP raise Terminated instead of ending us on the spot.
    Only signals still at their default action are taken over (an embedding program's own
    handlers are left alone), and only in the main thread, where Python allows it."""

    def __init__(self) -> None:
        self.previous: dict = {}

    def install(self) -> None:
        for signum in ENDING_SIGNALS:
            try:
                if _signals.getsignal(signum) == _signals.SIG_DFL:
                    self.previous[signum] = _signals.signal(signum, _raise_terminated)
            except (ValueError, OSError):  # not the main thread
                return

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            _signals.signal(signum, handler)
        self.previous.clear()


def which(name: str, path: str | None = None) -> str | None:
    """shutil.which(name) for an executable file, without importing shutil (it pulls in bz2,
    lzma and fnmatch: ~3 ms of a cold call). `path` defaults to $PATH."""
    if os.path.dirname(name):
        return name if _executable(name) else None
    folders = (os.environ.get("PATH", os.defpath) if path is None else path).split(os.pathsep)
    for folder in dict.fromkeys(folders):
        candidate = os.path.join(folder, name)
        if _executable(candidate):
            return candidate
    return None


def _executable(path: str) -> bool:
    return os.access(path, os.X_OK) and os.path.exists(path) and not os.path.isdir(path)


class Child:
    """A started child: its pid, our ends of its pipes (-1 once closed), its exit code."""

    __slots__ = ("pid", "stdin", "stdout", "stderr", "returncode")

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int) -> None:
        self.pid, self.stdin, self.stdout, self.stderr = pid, stdin, stdout, stderr
        self.returncode: int | None = None

    @classmethod
    def spawn(cls, argv: list[str], env: dict, cwd: str | None, with_stdin: bool) -> "Child":
        """Start argv with pipes on 0/1/2 (stdin from /dev/null unless `with_stdin`) in a new
        session. os.pipe() ends are close-on-exec, so the child keeps only its copies on 0/1/2."""
        path = argv[0] if os.path.dirname(argv[0]) else which(argv[0], env.get("PATH", os.defpath))
        if path is None:
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        _stop_passing_on_inherited_fds()
        fds: list[int] = []
        try:
            in_r, in_w = _pipe(fds) if with_stdin else (-1, -1)
            out_r, out_w = _pipe(fds)
            err_r, err_w = _pipe(fds)
            actions = [(os.POSIX_SPAWN_DUP2, in_r, 0) if with_stdin
                       else (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                       (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
            pid = _spawn_in(cwd, path, argv, env, actions)
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        for fd in (in_r, out_w, err_w):
            if fd >= 0:
                os.close(fd)
        if in_w >= 0:
            os.set_blocking(in_w, False)
        return cls(pid, in_w, out_r, err_r)

    def poll(self) -> int | None:
        """The exit code once the child has exited (reaping it), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: its code is lost
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, deadline: float) -> bool:
        """Wait until the child exits (True) or time.monotonic() reaches `deadline` (False)."""
        if self.poll() is None:
            self._wait_for_exit_event(deadline)
        pause = 0.0002
        while self.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.02)
        return True

    def _wait_for_exit_event(self, deadline: float) -> None:
        """Sleep until the child exits, woken by the kernel through a pidfd (Linux 5.3+) rather
        than by polling; returns early at the deadline or when pidfds are not available."""
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            return
        try:
            watch = select.poll()
            watch.register(pidfd, select.POLLIN)
            watch.poll(max(0.0, deadline - time.monotonic()) * 1000)
        finally:
            os.close(pidfd)

    def close(self, fd: int) -> None:
        """Close one of our pipe ends (by fd) and forget it."""
        for name in ("stdin", "stdout", "stderr"):
            if getattr(self, name) == fd and fd >= 0:
                setattr(self, name, -1)
                try:
                    os.close(fd)
                except OSError:
                    pass


_fds_checked = False


def _stop_passing_on_inherited_fds() -> None:
    """What subprocess's close_fds=True did: descriptors we inherited beyond 0/1/2 (Python's own
    are close-on-exec already) must not reach the CLI, or a CLI that leaves a daemon behind
    could hold our caller's pipes open. They are made close-on-exec here, once per process."""
    global _fds_checked
    if _fds_checked:
        return
    _fds_checked = True
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            fd = int(name)
            try:
                if fd > 2 and os.get_inheritable(fd):
                    os.set_inheritable(fd, False)
            except OSError:
                pass  # the listing's own descriptor, closed by now
        return


def _pipe(fds: list[int]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    fds += (read_end, write_end)
    return read_end, write_end


def _spawn_in(cwd: str | None, path: str, argv: list[str], env: dict, actions: list) -> int:
    """posix_spawn in `cwd`, with the caller's umask. posix_spawn has neither a chdir action
    (before Python 3.13 / glibc 2.29's addchdir_np is not exposed) nor a umask one, so we set
    both around the call and back: safe because the router runs one thread."""
    saved = os.open(".", getattr(os, "O_PATH", os.O_RDONLY)) if cwd else -1
    caller_umask = paths.CALLER_UMASK
    own_umask = os.umask(caller_umask) if caller_umask is not None else None
    try:
        if cwd:
            os.chdir(cwd)
        return _posix_spawn(path, argv, env, actions)
    finally:
        if own_umask is not None:
            os.umask(own_umask)
        if saved >= 0:
            os.fchdir(saved)
            os.close(saved)


def _posix_spawn(path: str, argv: list[str], env: dict, actions: list) -> int:
    try:
        return os.posix_spawn(path, argv, env, file_actions=actions, setsid=True,
                              setsigdef=RESTORED_SIGNALS)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID: a new process group is what we need
        return os.posix_spawn(path, argv, env, file_actions=actions, setpgroup=0,
                              setsigdef=RESTORED_SIGNALS)


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

    def __init__(self, child: Child, data: bytes | None, out: _Lines, err: _Lines,
                 cap: int = MAX_OUTPUT_BYTES) -> None:
        self.child = child
        self.data = memoryview(data or b"")
        self.out_lines, self.err_lines = out, err
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.cap = cap
        self.stderr_total = 0
        self.overflowed = ""  # "stdout" or "stderr" once that stream passed the cap
        self._exited_at: float | None = None
        self.poller = select.poll()
        self.open: set[int] = set()
        if child.stdin >= 0:
            self._watch(child.stdin, select.POLLOUT)
        self._watch(child.stdout, select.POLLIN)
        self._watch(child.stderr, select.POLLIN)

    def _watch(self, fd: int, events: int) -> None:
        self.poller.register(fd, events)
        self.open.add(fd)

    @property
    def silent(self) -> bool:
        return not self.stdout and not self.stderr

    def run(self, deadline: float, idle_until: float | None = None) -> bool:
        """True when the child finished; False when the deadline passed first, or `idle_until`
        while the child had printed nothing yet."""
        while self.open:
            if self.overflowed:
                return True  # stop reading at once; run() kills the group
            now = time.monotonic()
            if now >= deadline or (idle_until is not None and now >= idle_until and self.silent):
                return False
            if self._pipes_held_too_long(now):
                break  # the child is gone; a grandchild keeps the pipe: stop waiting
            for fd, _events in self.poller.poll(min(deadline - now, 0.1) * 1000):
                self._service(fd)
        self.out_lines.flush()
        self.err_lines.flush()
        return self.child.wait(deadline)  # False: closed its pipes but kept running

    def _pipes_held_too_long(self, now: float) -> bool:
        if self._exited_at is None and self.child.poll() is not None:
            self._exited_at = now
        return self._exited_at is not None and now - self._exited_at > PIPE_GRACE_S

    def _service(self, fd: int) -> None:
        if fd == self.child.stdin:
            self._write(fd)
            return
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close(fd)
        elif fd == self.child.stdout:
            if len(self.stdout) + len(chunk) > self.cap:
                self.overflowed = "stdout"
                return
            self.stdout += chunk
            self.out_lines.feed(chunk)
        else:
            self.stderr_total += len(chunk)
            if self.stderr_total > self.cap:
                self.overflowed = "stderr"
                return
            self.stderr += chunk
            del self.stderr[:-STDERR_KEEP]
            self.err_lines.feed(chunk)

    def _write(self, fd: int) -> None:
        try:
            written = os.write(fd, self.data[:65536])
        except BlockingIOError:
            return
        except OSError:  # EPIPE and the like: the child stopped reading, that is its choice
            written = len(self.data)
        self.data = self.data[written:]
        if not self.data:
            self._close(fd)

    def _close(self, fd: int) -> None:
        self.poller.unregister(fd)
        self.open.discard(fd)
        self.child.close(fd)

    def stderr_tail(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def _kill_group(child: Child) -> None:
    """SIGTERM the child's whole group, wait a little, then SIGKILL whatever is left."""
    for sig, grace in ((SIGTERM, KILL_GRACE_S), (SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except (ProcessLookupError, PermissionError):
            break  # nobody left in the group
        if not _group_alive(child, grace):
            break
    for fd in (child.stdin, child.stdout, child.stderr):
        child.close(fd)
    child.poll()  # reap it if the group was already empty when we looked


def _group_alive(child: Child, grace: float) -> bool:
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
            os.killpg(pgid, SIGKILL)
        except OSError:
            pass
