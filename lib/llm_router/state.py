"""External-mode state: `external-mode.json` in the data dir.

Shape: {"enabled": bool, "activated_at": ISO-8601 | null, "reason": str | null,
        "prefer": preset name | null, "updated_at": ISO-8601, "changed_by": str}.
`prefer` is the vendor preset (presets.py) bound for this mode session; `mode off` clears it.
A missing file means "off". A corrupt or unreadable file means "off" plus one warning;
the next write replaces it. Standard library only: the hooks read this on every prompt.
"""

import time

from . import paths
from .io import fastjson

FILE_NAME = "external-mode.json"
OFF = {"enabled": False, "activated_at": None, "reason": None, "prefer": None}
MAX_BYTES = 64 * 1024  # the file is ~200 bytes; anything bigger is not ours
LOCK_WAIT_S = 5.0  # the CLI's wait for another writer; hooks pass their own, much shorter one


def state_path() -> str:
    return paths.data_file(FILE_NAME)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def load_mode() -> tuple[dict, str | None]:
    """(state, warning). The warning is None unless the file exists but cannot be used."""
    path = state_path()
    try:
        raw = _read(path)
    except FileNotFoundError:
        return dict(OFF), None
    except OSError as exc:
        return dict(OFF), f"cannot read {path} ({exc.strerror}); external mode treated as OFF"
    try:
        data = fastjson.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("enabled"), bool):
        return dict(OFF), (
            f"{path} is corrupt; external mode treated as OFF "
            "(run `llm-router mode on` or `mode off` to rewrite it)"
        )
    state = dict(OFF)
    state.update(data)
    return state, None


def _read(path: str) -> bytes:
    from .io.fileio import read_regular  # a FIFO or /dev/zero here must not hang a hook

    return read_regular(path, MAX_BYTES)


def is_enabled() -> bool:
    return load_mode()[0]["enabled"]


def set_mode(enabled: bool, reason: str | None = None, changed_by: str = "cli",
             lock_wait: float = LOCK_WAIT_S, prefer: str | None = None) -> dict:
    """The new mode, written; StorageError when the file cannot be written (disk full,
    read-only). The mode then stays as it was: the old file is only ever replaced whole."""
    try:
        paths.ensure_data_dir()
        return _write_mode(enabled, reason, changed_by, lock_wait, prefer)
    except OSError as exc:
        raise _not_saved(exc, enabled) from exc


def _not_saved(exc: OSError, enabled: bool):
    from .errors import StorageError

    wanted = "on" if enabled else "off"
    return StorageError(
        f"cannot turn external mode {wanted.upper()}: writing {state_path()} failed "
        f"({exc.strerror or exc}); {describe(load_mode()[0])}",
        f"free space on that disk (or make {paths.data_dir()} writable), then run "
        f"`llm-router mode {wanted}` again")


def _write_mode(enabled: bool, reason: str | None, changed_by: str, lock_wait: float,
                prefer: str | None) -> dict:
    """Write the new mode atomically under the lock and return it.

    Turning on an already-on mode keeps its original activation time, so "since when"
    stays true when a hook and the /pa command both act on the same request; it keeps the
    preset too unless a new one is named. Turning it off clears the preset. Waits at most
    `lock_wait` seconds for another writer, then raises RouterError and changes nothing.
    """
    from .io import fileio  # only writers pay for contextlib and json

    path = state_path()
    with _ModeLock(path, lock_wait):
        current, _ = load_mode()
        stamp = now_iso()
        if enabled:
            since = current["activated_at"] if current["enabled"] and current["activated_at"] else stamp
            kept_reason = current.get("reason") if current["enabled"] else None
            kept_prefer = current.get("prefer") if current["enabled"] else None
            new = {"enabled": True, "activated_at": since,
                   "reason": reason if reason is not None else kept_reason,
                   "prefer": prefer if prefer is not None else kept_prefer}
        else:
            new = {"enabled": False, "activated_at": None, "reason": reason, "prefer": None}
        new["updated_at"] = stamp
        new["changed_by"] = changed_by
        fileio.atomic_write_json(path, new)
    return new


class _ModeLock:
    """fileio.locked with a bounded wait; past it, a RouterError that says the mode is unchanged."""

    def __init__(self, path: str, wait: float) -> None:
        from .io import fileio

        self.lock = fileio.locked(path, timeout=wait)

    def __enter__(self) -> None:
        from .io import fileio

        try:
            self.lock.__enter__()
        except fileio.LockTimeout as exc:
            from .errors import RouterError

            raise RouterError(f"cannot change external mode: {exc.filename} {exc.strerror}; "
                              "the mode is unchanged",
                              "retry in a moment; if it persists, find the process holding that lock "
                              f"(fuser {exc.filename}) or remove the lock file") from None

    def __exit__(self, *exc) -> None:
        self.lock.__exit__(*exc)


def tier_text(tiers: dict, arrow: str = " -> ", sep: str = "; ") -> str:
    """{"opus": "copilot/gpt-5.2", ...} -> "opus -> copilot/gpt-5.2; ..." """
    return sep.join(f"{tier}{arrow}{model}" for tier, model in tiers.items())


def describe(state: dict) -> str:
    if not state["enabled"]:
        return "external mode is OFF (Claude answers everything)"
    text = f"external mode is ON since {state['activated_at']}"
    if state.get("reason"):
        text += f" (reason: {state['reason']})"
    if state.get("prefer"):
        text += f", preset {state['prefer']}"
    return text
