"""Problem log: a 0600 file in the data dir, rotated at 1 MB. Never stdout (hooks own it)."""

import os
import time

from . import paths

_MAX_BYTES = 1_000_000


def log_problem(message: str) -> None:
    """Append one line; swallow every error because logging must never break a caller."""
    try:
        directory = paths.ensure_data_dir()
        path = os.path.join(directory, "llm-router.log")
        try:
            if os.path.getsize(path) > _MAX_BYTES:
                os.replace(path, path + ".1")
        except OSError:
            pass
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(f"{stamp} pid={os.getpid()} {message}\n")
    except Exception:  # noqa: BLE001 - the log is best effort by design
        pass
