"""Persisted cooldowns: `cooldowns.json` in the data dir.

Shape: {"<provider> <model> @<what failed>": {"failures": int, "until": epoch seconds,
         "last_error": error class name, "updated": epoch seconds}}

A provider+model that fails with a retryable error `threshold` times in a row is put on a
cooldown until `until`, and every process skips it until then. The failure count is
persisted too, so "in a row" spans processes: three one-shot `invoke`s that each hit a 429
count the same as one process retrying three times. A success clears the entry.

Reads take no lock (writes are atomic, see fileio); read-modify-write cycles hold
fileio.locked(). A missing or corrupt file means "no cooldowns" and is rewritten on the
next failure. Wall-clock time (time.time) because the value outlives the process.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (hot path)
if TYPE_CHECKING:
    from collections.abc import Callable

from .. import paths
from ..io import fastjson, fileio

FILE_NAME = "cooldowns.json"


def entry_key(provider: str, model: str, target: str | None = None) -> str:
    """`target` is what failed: an endpoint's URL or a CLI's binary (routing.chain.cooldown_key)."""
    return f"{provider} {model}" + (f" @{target}" if target else "")


class Cooldowns:
    def __init__(self, threshold: int, cooldown_s: float, *, path: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.threshold = max(1, int(threshold))
        self.cooldown_s = float(cooldown_s)
        self.path = path or paths.data_file(FILE_NAME)
        self.clock = clock
        self._snapshot: dict | None = None  # read once per process; refreshed by writes

    def remaining(self, key: str) -> float:
        """Seconds left on this key's cooldown; 0 when it may be called."""
        return max(0.0, _number(self._entries().get(key), "until") - self.clock())

    def last_error(self, key: str) -> str:
        entry = self._entries().get(key)
        return str(entry.get("last_error") or "") if isinstance(entry, dict) else ""

    def active(self) -> dict[str, dict]:
        """{key: entry with `remaining_s`} for every key cooling down now."""
        now = self.clock()
        return {key: {**entry, "remaining_s": round(_number(entry, "until") - now)}
                for key, entry in self._entries().items() if _number(entry, "until") > now}

    def pending(self) -> dict[str, dict]:
        """{key: entry} for keys with failures counted but no cooldown in force yet."""
        now = self.clock()
        return {key: entry for key, entry in self._entries().items()
                if _number(entry, "failures") and _number(entry, "until") <= now}

    def clear(self, key: str | None = None) -> list[str]:
        """End one key's cooldown (and its failure count), or every one; the keys removed."""
        with fileio.locked(self.path):
            entries = self._read()
            gone = [k for k in entries if key is None or k == key]
            if gone:
                self._write({k: v for k, v in entries.items() if k not in gone})
        return gone

    def failures(self, key: str) -> int:
        return int(_number(self._entries().get(key), "failures"))

    def failure(self, key: str, error_class: str) -> float:
        """Count one retryable failure; returns the cooldown seconds it started (0 if none)."""
        with fileio.locked(self.path):
            entries = self._read()
            now = self.clock()
            count = int(_number(entries.get(key), "failures")) + 1
            started = self.cooldown_s if count >= self.threshold and self.cooldown_s > 0 else 0.0
            entries[key] = {"failures": 0 if started else count,
                            "until": now + started if started else _number(entries.get(key), "until"),
                            "last_error": error_class, "updated": now}
            self._write(_prune(entries, now))
        return started

    def success(self, key: str) -> None:
        """Forget past failures; writes only when there was something to forget."""
        if key not in self._entries():
            return
        with fileio.locked(self.path):
            entries = self._read()
            if entries.pop(key, None) is not None:
                self._write(entries)

    def _entries(self) -> dict:
        if self._snapshot is None:
            self._snapshot = self._read()
        return self._snapshot

    def _read(self) -> dict:
        try:
            data = fastjson.loads(fileio.read_regular(self.path))  # no FIFO or /dev/zero here
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, entries: dict) -> None:
        fileio.atomic_write_json(self.path, entries)
        self._snapshot = entries


def _number(entry: object, name: str) -> float:
    """A numeric field of an entry; anything unusable (hand-edited, corrupt) counts as 0."""
    value = entry.get(name, 0) if isinstance(entry, dict) else 0
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _prune(entries: dict, now: float) -> dict:
    """Drop entries whose cooldown is over and that have no failures pending."""
    return {key: entry for key, entry in entries.items()
            if _number(entry, "failures") or _number(entry, "until") > now}
