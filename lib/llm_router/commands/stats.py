"""llm-router stats [--since 7d|24h|30m|2w|YYYY-MM-DD] [--by model|provider|task|scope|day]
                   [--json | --compact] [--plot FILE.png] [--sessions [--limit N]] [--reset [--yes]]

Usage, cost and latency of external calls, from the ledger (<data dir>/ledger.sqlite3).
  (default)   an aligned table for a terminal
  --compact   a Markdown table, what `/pa --stats` shows inside Claude Code
  --json      one object: {"total": {..., "errors": {class: n}}, "rows": [{"key", ..., "p50_ms",
              "p95_ms"}], "since", "by", "ledger"}
  --sessions  the latest calls that left a provider session id (to resume with that CLI)
  --plot      also draw cost and calls per day into a PNG (no extra packages needed)
  --reset     show how many rows would be deleted; with --yes, delete them all
"calls" are attempts that reached a provider (skipped ones - unavailable, cooling down, too long -
are counted apart); latency percentiles are over successful calls.
"""

import json
import re
import sys
import time

from ..errors import UsageError
from ..usage import ledger

_RELATIVE = re.compile(r"^(\d+)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
COMPACT_ROWS = 10


def configure(parser) -> None:
    parser.add_argument("--since", metavar="WHEN",
                        help="only calls since then: 30m, 24h, 7d, 2w, or a day YYYY-MM-DD (local time)")
    parser.add_argument("--by", choices=sorted(ledger.GROUPS), default="model",
                        help="one row per model (default), provider, task, scope (read-only | "
                             "write) or day")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--compact", action="store_true", help="a short Markdown table (for /pa --stats)")
    parser.add_argument("--plot", metavar="FILE.png", help="also write a PNG chart of cost and calls per day")
    parser.add_argument("--sessions", action="store_true",
                        help="list recent calls with their provider session id, to resume them")
    parser.add_argument("--limit", type=int, default=20, help="how many --sessions rows (default 20)")
    parser.add_argument("--reset", action="store_true",
                        help="clear the ledger: prints what it would delete unless --yes is given")
    parser.add_argument("--yes", action="store_true", help="with --reset: really delete")


def run(args) -> int:
    if args.reset:
        return _reset(args)
    since_ts, since_label = parse_since(args.since)
    conn = ledger.connect(create=False)
    try:
        if args.sessions:
            return _sessions(conn, since_ts, args)
        if conn is None:
            total, rows = ledger.empty_total(), []
        else:
            total, rows = ledger.aggregate(conn, since_ts, args.by)
        total["errors"] = ledger.failures_by_class(conn, since_ts) if total["failures"] else {}
        total["skips"] = ledger.failures_by_class(conn, since_ts, "skipped") if total["skipped"] else {}
        if args.plot:
            days = ledger.daily(conn, since_ts) if conn is not None else []
            _plot(args.plot, days, since_ts, since_label, total)
    finally:
        if conn is not None:
            conn.close()
    if args.json:
        print(json.dumps({"since": _iso(since_ts) if since_ts else None, "by": args.by,
                          "ledger": ledger.ledger_path(), "total": total, "rows": rows}, indent=2))
    elif args.compact:
        print(compact_table(total, rows, args.by, since_label))
    else:
        print(plain_table(total, rows, args.by, since_label))
    return 0


# ---- --since ------------------------------------------------------------------------------

def parse_since(text: str | None, now: float | None = None) -> tuple[float, str]:
    """(unix time, label) for --since; (0.0, "all time") without it."""
    if not text:
        return 0.0, "all time"
    now = time.time() if now is None else now
    text = text.strip()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - amount * _UNIT_S[unit], f"last {amount}{unit}"
    try:
        day = time.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise UsageError(f"--since {text!r}: not a duration or a day",
                         "use a number and a unit (30m, 24h, 7d, 2w) or a day like 2026-01-31") from None
    return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1)), f"since {text}"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(ts))


# ---- tables -------------------------------------------------------------------------------

def human_tokens(value: int | float) -> str:
    value = int(value or 0)
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1000, "k")):
        if value >= size:
            return f"{value / size:.1f}".removesuffix(".0") + unit
    return str(value)


def human_ms(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value}ms" if value < 1000 else f"{value / 1000:.1f}s"


def human_usd(row: dict) -> str:
    """"-" when nothing here has a dollar price (subscriptions, unpriced models)."""
    cost = row["cost_usd"]
    if cost == 0 and row["unpriced_calls"] and row["unpriced_calls"] >= row["calls"] - row["failures"]:
        return "-"
    return f"${cost:.2f}" if cost >= 100 else f"${cost:.4f}"


def _saved(row: dict) -> str:
    tokens = row["claude_tokens_saved_est"]
    if not tokens:
        return "-"
    usd = row["claude_usd_saved_est"]
    return f"~{human_tokens(tokens)} (~${usd:.2f})" if usd else f"~{human_tokens(tokens)}"


def _cells(row: dict, quota: bool) -> list[str]:
    cells = [str(row["calls"]), str(row["failures"]), human_tokens(row["input_tokens"]),
             human_tokens(row["output_tokens"]), human_tokens(row["cached_tokens"]), human_usd(row)]
    if quota:
        cells.append(f"{row['quota_units']:g}" if row["quota_units"] else "-")
    return cells + [human_ms(row["p50_ms"]), human_ms(row["p95_ms"]), _saved(row)]


def _headers(by: str, quota: bool) -> list[str]:
    return [by, "calls", "failed", "in", "out", "cached", "cost"] + (["quota"] if quota else []) \
        + ["p50", "p95", "Claude saved (est.)"]


def _empty_text(since_label: str) -> str:
    when = "" if since_label == "all time" else f" ({since_label})"
    return f"llm-router: no external calls recorded{when}; ledger: {ledger.ledger_path()}"


def plain_table(total: dict, rows: list[dict], by: str, since_label: str) -> str:
    if not rows:
        return _empty_text(since_label)
    quota = any(r["quota_units"] for r in rows)
    table = [_headers(by, quota)] + [[str(r["key"])] + _cells(r, quota) for r in rows]
    table.append(["total"] + _cells(total, quota))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [f"llm-router usage, {since_label}, by {by}"]
    for n, line in enumerate(table):
        if n == len(table) - 1:
            lines.append("  ".join("-" * w for w in widths))
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))]
        lines.append("  ".join(cells))
    lines += _footnotes(total)
    return "\n".join(lines)


def compact_table(total: dict, rows: list[dict], by: str, since_label: str) -> str:
    """Markdown, at most COMPACT_ROWS rows plus the total: readable inside Claude Code."""
    if not rows:
        return _empty_text(since_label)
    quota = any(r["quota_units"] for r in rows)
    shown = rows[:COMPACT_ROWS]
    lines = [f"**llm-router usage, {since_label}, by {by}**", "",
             "| " + " | ".join(_headers(by, quota)) + " |",
             "|" + "---|" * len(_headers(by, quota))]
    for row in shown:
        lines.append("| " + " | ".join([f"`{row['key']}`"] + _cells(row, quota)) + " |")
    if len(rows) > len(shown):
        lines.append(f"| ({len(rows) - len(shown)} more) |" + " |" * (len(_headers(by, quota)) - 1))
    lines.append("| **total** | " + " | ".join(_cells(total, quota)) + " |")
    return "\n".join(lines + [""] + _footnotes(total))


def _footnotes(total: dict) -> list[str]:
    notes = ["cost: reported by the provider where it does (opencode, claude, OpenRouter), else "
             "computed from config/prices.json; \"-\" = subscription or no price"]
    if total["errors"]:
        notes.append("failed: " + ", ".join(f"{name} {n}" for name, n in total["errors"].items()))
    if total["unpriced_calls"]:
        notes.append(f"{total['unpriced_calls']} successful calls have no dollar cost "
                     "(subscriptions count tokens and quota units instead)")
    if total["skipped"]:
        why = ", ".join(f"{name} {n}" for name, n in (total.get("skips") or {}).items())
        notes.append(f"{total['skipped']} attempts skipped before a call ({why or 'reasons unknown'}; "
                     "CoolingDown: see `llm-router cooldowns`)")
    notes.append("Claude saved (est.): tokens this work would have used on the Claude tier it replaced, "
                 "at that tier's list price; an estimate, not a measurement")
    return notes


# ---- --sessions, --plot, --reset ----------------------------------------------------------

def _sessions(conn, since_ts: float, args) -> int:
    rows = ledger.provider_sessions(conn, since_ts, max(args.limit, 1)) if conn is not None else []
    if args.json:
        print(json.dumps({"sessions": rows}, indent=2))
        return 0
    if not rows:
        print("llm-router: no provider session ids recorded yet")
        return 0
    print("latest calls with a provider session id (resume with that provider's CLI, e.g. "
          "opencode run --session ID, gemini --resume ID, claude --resume ID):")
    for row in rows:
        print(f"  {_iso(row['ts'])}  {row['provider'] or '?':<14} {row['model_used'] or '?':<28} "
              f"{row['outcome']:<7} {row['provider_session_id']}")
    return 0


def _plot(path: str, days: list, since_ts: float, since_label: str, total: dict) -> None:
    from ..io import fileio
    from ..usage import statsplot

    series = fill_days(days, since_ts)
    title = f"llm-router: cost and calls per day, {since_label}"
    note = "cost excludes subscription calls (no USD price)" if total["unpriced_calls"] else ""
    try:
        fileio.atomic_write_bytes(path, statsplot.render(series, title, note), 0o644)
    except OSError as exc:
        raise UsageError(f"--plot {path}: cannot write it ({exc.strerror or exc})",
                         "pick a writable path ending in .png") from exc
    print(f"llm-router: wrote {path} ({len(series)} days)", file=sys.stderr)


def fill_days(days: list[tuple[str, float, int, int]], since_ts: float, today: str | None = None) -> list:
    """Every day from the start (--since, else the first call) to today, zeros where idle."""
    import datetime

    today = today or time.strftime("%Y-%m-%d")
    by_day = {d[0]: d for d in days}
    if since_ts:
        first = time.strftime("%Y-%m-%d", time.localtime(since_ts))
    else:
        first = days[0][0] if days else today
    start = datetime.date.fromisoformat(first)
    end = max(datetime.date.fromisoformat(today), datetime.date.fromisoformat(days[-1][0]) if days else start)
    out = []
    while start <= end:
        key = start.isoformat()
        out.append(by_day.get(key, (key, 0.0, 0, 0)))
        start += datetime.timedelta(days=1)
    return out


def _reset(args) -> int:
    if args.since:
        raise UsageError("--reset clears the whole ledger; --since does not apply to it",
                         "run `llm-router stats --reset --yes` without --since")
    conn = ledger.connect(create=False)
    rows = 0
    if conn is not None:
        try:
            rows = ledger.count(conn)
        finally:
            conn.close()
    if not args.yes:
        print(f"llm-router: --reset would delete {rows} rows from {ledger.ledger_path()} "
              "(traces and transcripts are kept); add --yes to delete them")
        return 0
    removed = ledger.reset()
    print(f"llm-router: deleted {removed} rows from {ledger.ledger_path()}")
    return 0
