"""The idle watchdog of the local model's server (run as a script; standard library only, no
llm_router imports, so it starts fast and outlives the call that started it).

  python3 -I _local_watchdog.py STATE LAST_USED BUSY_LOCK IDLE_S PORT -- SERVER_ARGV...

It forks once and the first process exits at once, so the caller reaps it and the watchdog is
nobody's child (no zombie lingers in a long-lived caller). The watchdog then starts the server
in its own process group (the caller started this one in a new session), writes STATE (its pid,
the server's pid, the group and the port; atomic), and polls:
  - the server exited (crashed, killed): remove STATE and exit, so the next call restarts it;
  - nothing touched LAST_USED for IDLE_S seconds and no call holds BUSY_LOCK (calls hold it
    shared while they run): stop the server, remove STATE, exit;
  - SIGTERM/SIGHUP: stop the server and exit.
STATE is removed only while it still names this watchdog (a newer server may own it by then).
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time

STOP_GRACE_S = 10


def main(argv: list) -> int:
    state, last_used, busy, idle_s, port = argv[:5]
    server_argv = argv[argv.index("--") + 1:]
    if os.fork():
        return 0
    watchdog = Watchdog(state, last_used, busy, float(idle_s), int(port))
    return watchdog.run(server_argv)


class Watchdog:
    def __init__(self, state: str, last_used: str, busy: str, idle_s: float, port: int) -> None:
        self.state, self.last_used, self.busy, self.idle_s, self.port = state, last_used, busy, idle_s, port
        self.server = None
        self.started = time.time()

    def run(self, server_argv: list) -> int:
        self.server = subprocess.Popen(server_argv, stdin=subprocess.DEVNULL)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_signal)
        self._write_state()
        poll = max(0.2, min(2.0, self.idle_s / 4))
        while self.server.poll() is None:
            time.sleep(poll)
            if self._idle() and self._stop_if_unused():
                return 0
        self._remove_state()
        return 0

    def _write_state(self) -> None:
        record = {"pid": os.getpid(), "server_pid": self.server.pid, "pgid": os.getpgid(0),
                  "port": self.port, "started": self.started}
        tmp = f"{self.state}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle)
        os.replace(tmp, self.state)

    def _idle(self) -> bool:
        try:
            last = max(self.started, os.stat(self.last_used).st_mtime)
        except OSError:
            last = self.started
        return time.time() - last >= self.idle_s

    def _stop_if_unused(self) -> bool:
        fd = os.open(self.busy, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a call is running: not idle
            if not self._idle():  # touched between the check and the lock
                return False
            self._stop_server()
            self._remove_state()
            return True
        finally:
            os.close(fd)  # releases the lock: a waiting call then finds no server and starts one

    def _stop_server(self) -> None:
        if self.server.poll() is not None:
            return
        self.server.terminate()
        try:
            self.server.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait(STOP_GRACE_S)

    def _remove_state(self) -> None:
        try:
            with open(self.state, encoding="utf-8") as handle:
                mine = json.load(handle).get("pid") == os.getpid()
        except (OSError, ValueError, AttributeError):
            return
        if mine:
            try:
                os.unlink(self.state)
            except OSError:
                pass

    def _on_signal(self, _signum, _frame) -> None:
        self._stop_server()
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
