"""llm-router threads [list] [--json]
llm-router threads show ID [--json]
llm-router threads prune --older-than AGE

Every external answer is a turn of a thread (README, "Threads"): `list` shows them newest
first (id, model, provider, turns, last use, cwd), `show ID` one thread with its turns (digests,
ledger row ids; prompts are never stored), `prune` removes threads unused for AGE
(e.g. 30d, 12h, 90m, or seconds). A damaged thread file is reported, never fatal to the others.
"""

import time

from ..errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action")
    listing = sub.add_parser("list", help="the threads, newest first")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    show = sub.add_parser("show", help="one thread and its turns")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    prune = sub.add_parser("prune", help="remove threads not used for a while")
    prune.add_argument("--older-than", required=True, metavar="AGE", type=age,
                       help="e.g. 30d, 12h, 90m or a number of seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def age(text: str) -> float:
    """Seconds from `30d`, `12h`, `90m`, `45s` or a plain number; argparse error otherwise."""
    unit = text[-1:].lower()
    number = text[:-1] if unit in _UNITS else text
    try:
        value = float(number) * _UNITS.get(unit, 1)
    except ValueError:
        value = -1.0
    if not value >= 0:
        import argparse

        raise argparse.ArgumentTypeError(f"expected an age such as 30d, 12h or 90m, got '{text}'")
    return value


def run(args) -> int:
    from .. import threads
    from ..io import fastjson

    action = args.action or "list"
    if action == "show":
        thread = threads.load(args.id)
        print(fastjson.dumps(thread) if args.json else _describe(thread))
        return 0
    if action == "prune":
        removed = threads.prune(args.older_than)
        print(f"removed {len(removed)} thread(s)" + (": " + ", ".join(removed) if removed else ""))
        return 0
    found, damaged = threads.list_threads()
    if args.json:
        print(fastjson.dumps({"threads": [_row(t) for t in found], "damaged": damaged}))
        return 0
    if not found and not damaged:
        print("no threads yet: every answer of `llm-router invoke` or `delegate` starts one")
    for thread in found:
        row = _row(thread)
        print(f"{row['id']}  {row['model']:<28} {row['provider']:<10} {row['turns']:>3} turn(s)  "
              f"{_when(row['updated_at'])}  {row['cwd'] or ''}")
    for thread_id in damaged:
        print(f"{thread_id}  (damaged: `llm-router threads show {thread_id}` says why)")
    return 0


def _row(thread: dict) -> dict:
    return {"id": thread.get("id"), "model": thread.get("model") or "?",
            "provider": thread.get("provider") or "?", "turns": len(thread.get("turns") or []),
            "updated_at": thread.get("updated_at"), "cwd": thread.get("cwd"),
            "scope": thread.get("scope")}


def _when(stamp) -> str:
    if not isinstance(stamp, (int, float)):
        return "?"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _describe(thread: dict) -> str:
    if not thread.get("turns"):
        raise UsageError(f"thread {thread.get('id')} has no turns yet", "run `llm-router threads list`")
    lines = [f"thread {thread['id']}: {thread.get('model')} via {thread.get('provider')} "
             f"(session {thread.get('provider_session_id') or 'none'}), scope {thread.get('scope')}",
             f"  cwd: {thread.get('cwd')}",
             f"  started {_when(thread.get('created_at'))}, last used {_when(thread.get('updated_at'))}"]
    for turn in thread["turns"]:
        switched = f", switched from {turn['switched_from']}" if turn.get("switched_from") else ""
        lines.append(f"  turn {turn.get('n')} at {_when(turn.get('at'))}: {turn.get('model')}"
                     f"{switched}; prompt {str(turn.get('prompt_sha256'))[:12]}, answer "
                     f"{str(turn.get('answer_sha256'))[:12]}, ledger rows "
                     + ", ".join(turn.get("row_ids") or []))
    lines.append(f"continue it: llm-router invoke --continue {thread['id']} -p \"...\"")
    return "\n".join(lines)
