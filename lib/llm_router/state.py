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


def state_path() -> str:
    return paths.data_file(FILE_NAME)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def load_mode() -> tuple[dict, str | None]:
    """(state, warning). The warning is None unless the file exists but cannot be used."""
    path = state_path()
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
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


def is_enabled() -> bool:
    return load_mode()[0]["enabled"]


def set_mode(enabled: bool, reason: str | None = None, changed_by: str = "cli",
             prefer: str | None = None) -> dict:
    """The new mode, written; StorageError when the file cannot be written (disk full,
    read-only). The mode then stays as it was: the old file is only ever replaced whole."""
    try:
        paths.ensure_data_dir()
        return _write_mode(enabled, reason, changed_by, prefer)
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


def _write_mode(enabled: bool, reason: str | None, changed_by: str, prefer: str | None) -> dict:
    """Write the new mode atomically under the lock and return it.

    Turning on an already-on mode keeps its original activation time, so "since when"
    stays true when a hook and the /pa command both act on the same request; it keeps the
    preset too unless a new one is named. Turning it off clears the preset.
    """
    from .io import fileio  # only writers pay for contextlib and json

    path = state_path()
    with fileio.locked(path):
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
