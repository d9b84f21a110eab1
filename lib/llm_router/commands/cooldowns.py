"""llm-router cooldowns [list [--json] | clear [KEY]]

A target that failed `routing.cooldown_after_failures` times in a row with a retryable error
is skipped for `routing.cooldown_s` seconds. The key says what failed: the provider, the
model, and after `@` the endpoint's URL or the CLI's binary (two endpoint names for one server
share a key). `list` shows the ones in force and the failures counted so far; `clear` ends one
(give its key as `list` prints it) or every one. A cooldown also ends by itself early when a
cheap probe of the endpoint (GET its model list) answers before a call.
"""

import json

from ..errors import UsageError


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = sub.add_parser("list", help="show cooldowns in force and pending failure counts")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    clear = sub.add_parser("clear", help="end one cooldown (KEY) or every one")
    clear.add_argument("key", nargs="?", help="a key exactly as `llm-router cooldowns list` prints it")


def store():
    from .. import invocation
    from ..routing import router

    settings = router.settings(invocation.load_policy())
    return invocation._cooldowns(settings)


def run(args) -> int:
    cools = store()
    if getattr(args, "action", None) == "clear":
        gone = cools.clear(args.key)
        if args.key and not gone:
            raise UsageError(f"no cooldown with the key '{args.key}'",
                             "copy a key from `llm-router cooldowns list`")
        print(f"cleared {len(gone)} cooldown entr{'y' if len(gone) == 1 else 'ies'}"
              + "".join(f"\n  {key}" for key in gone))
        return 0
    active = cools.active()
    pending = cools.pending()
    if getattr(args, "json", False):
        print(json.dumps({"cooling_down": active, "failures_pending": pending}))
        return 0
    print(describe(active, pending))
    return 0


def describe(active: dict, pending: dict) -> str:
    if not active and not pending:
        return "no cooldowns: every provider and endpoint may be called"
    lines = [f"cooling down  {key}: {entry['remaining_s']} s left "
             f"(last error {entry.get('last_error') or '?'})" for key, entry in active.items()]
    lines += [f"failures      {key}: {int(entry.get('failures') or 0)} in a row so far "
              f"(last error {entry.get('last_error') or '?'})" for key, entry in pending.items()]
    if active:
        lines.append("fix: `llm-router cooldowns clear` ends them all now, "
                     "`llm-router cooldowns clear 'KEY'` one")
    return "\n".join(lines)
