"""The hook protocol in one place: read the event from stdin, call a handler, print at most
one JSON object, and exit 0 whatever happens.

Hooks must never break a Claude Code session: any internal error is logged to the data
dir's log file and the hook exits 0 with no output (fail open). Nothing here blocks a
prompt (no exit 2, no "decision": "block"). Standard library only, and cheap to import.
"""

import sys

from ..io import fastjson

# Events larger than this are not parsed: no hook of ours acts on a prompt this long, and
# parsing 10 MB of JSON would cost the user a noticeable pause on every such prompt.
DEFAULT_MAX_EVENT_BYTES = 512 * 1024


def read_event(raw: bytes, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> dict | None:
    if not raw or len(raw) > max_bytes:
        return None
    try:
        event = fastjson.loads(raw)
    except ValueError as exc:  # includes invalid UTF-8
        _log(f"ignored hook input that is not JSON ({exc})")
        return None
    if not isinstance(event, dict):
        _log("ignored hook input that is not a JSON object")
        return None
    return event


def run(handler, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
    """Run `handler(event) -> dict | None` and exit 0. Never raises, never blocks."""
    output = None
    try:
        import os

        if os.environ.get("LLM_ROUTER_DEPTH", "0") not in ("", "0"):
            sys.exit(0)  # a CLI llm-router started (e.g. `claude -p`): never route from inside it
        event = read_event(sys.stdin.buffer.read(), max_bytes)
        if event is not None:
            output = handler(event)
    except BaseException as exc:  # noqa: BLE001 - fail open is the contract
        _log(f"hook failed: {type(exc).__name__}: {exc}")
        output = None
    if output:
        try:
            sys.stdout.write(fastjson.dumps(output) + "\n")
            sys.stdout.flush()
        except BaseException as exc:  # noqa: BLE001 - e.g. a closed stdout
            _log(f"hook could not write its output: {exc}")
    sys.exit(0)


def _log(message: str) -> None:
    from ..log import log_problem

    log_problem(message)
