"""The write-behind journal in front of the SQLite ledger: what `invoke` writes on its way out.

Importing sqlite3 and opening, migrating-checking and committing to the ledger cost about 12 ms
of every cold `llm-router invoke`, half the router's whole overhead budget. So an attempt's
row is appended here instead, as one JSON line under a lock, and moved into SQLite
(ledger.drain_journal) by whoever next opens the ledger: `stats`, the budget and runaway checks,
a traced call, or the append that takes the journal past DRAIN_BYTES. Every reader therefore
sees every row, and the journal stays small even when nothing reads for weeks.

The same file takes the rows of a write that failed (database locked for a minute, disk full),
so a row is never dropped. Durability matches the ledger's own `synchronous=NORMAL`: a row is
lost only to an OS crash, never to a process crash or a concurrent writer. Nor is a row ever
counted twice: each gets a random `row_id` when first written, and the ledger ignores an id it
already has, so a drain killed between its COMMIT and the journal's unlink (the next drain
loads the same lines again) adds nothing the second time.
"""

import os
import time

from .. import paths
from ..io import fastjson

FILE_NAME = "ledger-pending.jsonl"
DRAIN_BYTES = 64 * 1024  # about a hundred rows
_MAX_REOPENS = 20


def journal_path() -> str:
    return paths.data_file(FILE_NAME)


# The lock is a POSIX record lock (os.lockf) on the journal itself, which needs no `fcntl`
# import and no separate lock file. Its one trap: closing ANY descriptor of the file drops
# the process's lock, so each function below touches the file through one descriptor only.

def new_row_id() -> str:
    """64 random bits: the chance of two equal ids is about 3 in 10^8 at a million rows."""
    return os.urandom(8).hex()


def append(row: dict) -> bool:
    """Add one row (stamped with the time now unless it has `ts`, and with a new `row_id`
    unless it has one); True when the journal has grown past DRAIN_BYTES and should be moved
    into SQLite. OSError when it cannot be written (e.g. the disk is full)."""
    paths.ensure_data_dir()  # narrows a data dir an earlier version left wide
    row = dict(row)
    if row.get("ts") is None:
        row["ts"] = time.time()
    if row.get("row_id") is None:
        row["row_id"] = new_row_id()
    line = (fastjson.dumps(row) + "\n").encode("ascii")
    for _ in range(_MAX_REOPENS):
        fd = _open(os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.lockf(fd, os.F_LOCK, 0)
            before = os.fstat(fd)
            if before.st_nlink == 0:
                continue  # drained and unlinked while we waited for the lock: open the new one
            _write_line(fd, line, before.st_size)
            return before.st_size + len(line) >= DRAIN_BYTES
        finally:
            os.close(fd)  # releases the lock
    raise OSError(f"{journal_path()}: kept being replaced while appending")


def _write_line(fd: int, line: bytes, size: int) -> None:
    """One write() of one line, so a reader never sees half a row. A disk that fills up midway
    can still leave part of it: cut that off again (we hold the lock), or the next row would
    be glued to it and lost too."""
    try:
        written = os.write(fd, line)
    except OSError:
        _cut(fd, size)
        raise
    if written != len(line):
        _cut(fd, size)
        raise OSError(f"{journal_path()}: only {written} of {len(line)} bytes written (disk full?)")


def _cut(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
    except OSError:
        pass


def take(load) -> None:
    """Hand the journal's raw lines to `load(lines)` under the lock, then remove the journal.
    If `load` raises, the journal stays as it was (and the error propagates)."""
    try:
        fd = os.open(journal_path(), os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        os.lockf(fd, os.F_LOCK, 0)
        if os.fstat(fd).st_nlink == 0:
            return  # another process took it while we waited
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        load(b"".join(chunks).decode("utf-8", "replace").splitlines())
        os.unlink(journal_path())  # still under the lock: no append can land in between
    finally:
        os.close(fd)


def _open(flags: int) -> int:
    try:
        return os.open(journal_path(), flags, 0o600)
    except FileNotFoundError:  # no data dir yet
        paths.ensure_data_dir()
        return os.open(journal_path(), flags, 0o600)
