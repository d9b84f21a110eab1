"""Atomic JSON files and an advisory lock, standard library only.

Every state file is written as temp file + fsync + os.replace, so a reader sees either the
old or the new content, never a torn write. Read-modify-write cycles take `locked()`.

Config and state files are read with `read_regular()`: a repository or a mistake can put a
FIFO, /dev/zero or a multi-gigabyte file where a small JSON file belongs, and a plain open()
+ read() then hangs a hook forever or eats all memory.
"""

import os

# Larger than any policy or state file we write by two orders of magnitude.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a directory, not a regular file."""


class FileTooLarge(OSError):
    """The file is larger than the cap its reader set."""


class LockTimeout(OSError):
    """Another process held the lock for longer than the caller was willing to wait."""


def read_regular(path: str, max_bytes: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of `path` if it is a regular file (symlinks followed) of at most `max_bytes`.

    O_NONBLOCK makes the open itself return at once for a FIFO with no writer; fstat on the
    open descriptor (not stat on the name) decides, so a swap between check and read cannot
    slip a device in. FileNotFoundError passes through unchanged.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if (info.st_mode & 0o170000) != 0o100000:  # stat.S_ISREG without importing stat
            raise NotRegularFile(22, "not a regular file (a FIFO, device or directory?)", path)
        if info.st_size > max_bytes:
            raise FileTooLarge(27, f"larger than {max_bytes:,} bytes", path)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, max_bytes + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # grew after the fstat
                raise FileTooLarge(27, f"larger than {max_bytes:,} bytes", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str, data: bytes, mode: int = 0o600) -> None:
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    # The rename itself is durable only once the directory entry is flushed.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_json(path: str, obj: object, mode: int = 0o600) -> None:
    import json  # pretty, sorted output for files people read; not on the invoke path

    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"), mode)


class locked:
    """Exclusive advisory lock on `<path>.lock`, held for the body of the `with`.
    (A class rather than @contextmanager: contextlib costs ~1 ms of a cold invoke.)

    With `timeout` (seconds) the wait is bounded: LockTimeout when another process holds the
    lock that long. Hooks use a short one, so a stuck writer can never stall a prompt.
    """

    def __init__(self, path: str, timeout: float | None = None) -> None:
        self.path = path
        self.timeout = timeout
        self.fd = -1

    def __enter__(self) -> None:
        import fcntl

        os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        # O_NONBLOCK: a FIFO planted as the lock file must not hang the open
        self.fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
        try:
            if self.timeout is None:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            else:
                self._wait(fcntl)
        except BaseException:
            os.close(self.fd)
            raise

    def _wait(self, fcntl) -> None:
        import time

        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(11, f"still locked by another process after {self.timeout:g} s",
                                      f"{self.path}.lock") from None
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.1)

    def __exit__(self, *exc) -> None:
        import fcntl

        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
