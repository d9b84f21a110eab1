"""The usage ledger: one SQLite row per attempt, in <data dir>/ledger.sqlite3.

Many processes write at once (parallel delegations, subagents), so:
  - WAL mode: readers never block the writer, and the writer never blocks readers;
  - every write is its own short `BEGIN IMMEDIATE` transaction (taking the write lock up
    front avoids the read-then-upgrade deadlock that SQLite answers with an instant BUSY);
  - a busy_timeout plus a bounded retry with jitter for the rare BUSY that still escapes;
  - if the database stays unwritable (locked for a minute, disk full, corrupt), the row goes
    to the journal next to it (usage/journal.py) and is loaded by the next successful open.
    A row is never dropped and "database is locked" never reaches the user.
`invoke` does not open the database at all: it appends its rows to that journal, and
`connect()` moves the journal's rows in before anyone reads or writes (see usage/journal.py).
Opening is cheap: one `PRAGMA user_version` read; migrations run only when it is behind.
Standard library only.
"""

import os
import sqlite3
import time

from .. import paths
from ..errors import StorageError
from ..io import fileio
from ..log import log_problem
from . import journal

FILE_NAME = "ledger.sqlite3"
SPOOL_NAME = journal.FILE_NAME
BUSY_TIMEOUT_S = 10.0
RETRIES = 6
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6

# Every column a caller may set, in table order (`id` is the rowid).
COLUMNS = (
    "ts", "day", "session_id", "task", "tier", "requested_model", "model_used", "provider",
    "provider_model", "transport", "outcome", "error_class", "error_message",
    "input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens",
    "cost_usd", "cost_source", "quota_units", "quota_kind", "latency_ms", "fallback_position",
    "one_shot", "prompt_sha256", "claude_tier", "claude_tokens_saved_est", "claude_usd_saved_est",
    "provider_session_id", "row_id", "scope",
)

# Migration N (1-based) is MIGRATIONS[N-1]; `PRAGMA user_version` holds the last one applied.
# Append only: never edit a migration that has shipped.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,                -- unix time of the record
            day TEXT NOT NULL,               -- local calendar day of ts, YYYY-MM-DD
            session_id TEXT,                 -- Claude Code session (CLAUDE_CODE_SESSION_ID)
            task TEXT, tier TEXT, requested_model TEXT, model_used TEXT,
            provider TEXT, provider_model TEXT, transport TEXT,
            outcome TEXT NOT NULL,           -- ok | error | skipped
            error_class TEXT, error_message TEXT,
            input_tokens INTEGER, output_tokens INTEGER, cached_tokens INTEGER,
            cache_write_tokens INTEGER, reasoning_tokens INTEGER,
            cost_usd REAL,                   -- NULL when unknown or a subscription
            cost_source TEXT,                -- provider | table | NULL
            quota_units REAL, quota_kind TEXT, -- e.g. 1.0 premium_requests (Copilot)
            latency_ms INTEGER, fallback_position INTEGER, one_shot INTEGER,
            prompt_sha256 TEXT,
            claude_tier TEXT, claude_tokens_saved_est INTEGER, claude_usd_saved_est REAL,
            provider_session_id TEXT         -- for resume/continue with the provider's CLI
        )""",
        "CREATE INDEX calls_ts ON calls (ts, cost_usd)",
        "CREATE INDEX calls_session ON calls (session_id, prompt_sha256)",
        "CREATE INDEX calls_provider_session ON calls (provider_session_id) "
        "WHERE provider_session_id IS NOT NULL",
    ),
    (
        # `stats` breaks failures down by class; errors are a few percent of the rows.
        "CREATE INDEX calls_errors ON calls (error_class) WHERE outcome = 'error'",
    ),
    (
        # Each row's random id from when it was first written (usage/journal.py): a journal
        # loaded twice, after a drain was killed between its COMMIT and the unlink, adds
        # nothing the second time. Older rows keep NULL (NULLs never conflict).
        "ALTER TABLE calls ADD COLUMN row_id TEXT",
        "CREATE UNIQUE INDEX calls_row_id ON calls (row_id)",
    ),
    (
        # read-only | write: what the model's CLI was allowed to do (NULL: rows from before)
        "ALTER TABLE calls ADD COLUMN scope TEXT",
    ),
]


def ledger_path() -> str:
    return paths.data_file(FILE_NAME)


def spool_path() -> str:
    return journal.journal_path()


# ---- opening ------------------------------------------------------------------------------

def connect(create: bool = True) -> sqlite3.Connection | None:
    """A connection with the schema up to date and the journal's rows moved in; None if there
    is neither a ledger nor a journal and `create` is False (readers such as `stats` must not
    create files)."""
    path = ledger_path()
    if not os.path.exists(path):
        if not create and not os.path.exists(spool_path()):
            return None
        paths.ensure_data_dir()
        _create_private_file(path)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so no implicit transactions.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        # In WAL mode NORMAL skips the fsync on every commit (it cost ~8 ms per call); a commit
        # can then be lost only to an OS crash or power loss, never to a process crash or to
        # concurrent writers.
        conn.execute("PRAGMA synchronous=NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
            _with_retry(lambda: _migrate(conn, path))
    except BaseException:
        conn.close()
        raise
    try:
        _drain_spool(conn)
    except (sqlite3.Error, OSError) as exc:  # the rows stay in the journal; reading goes on
        log_problem(f"ledger: journal not loaded yet: {type(exc).__name__}: {exc}")
    return conn


def _create_private_file(path: str) -> None:
    # SQLite gives the -wal and -shm files the main file's mode, so 0600 here covers all three.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _migrate(conn: sqlite3.Connection, path: str) -> None:
    # The flock keeps twenty first-time writers from all trying to switch to WAL at once.
    with fileio.locked(path):
        conn.execute("PRAGMA journal_mode=WAL")  # persistent; must run outside a transaction
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[number - 1]:
                    conn.execute(statement)
            # PRAGMA takes no parameters; this is our own constant, never user input.
            conn.execute(f"PRAGMA user_version = {int(len(MIGRATIONS))}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc)  # 3.10 has only the message
    return "locked" in text or "busy" in text


def _with_retry(operation):
    """Run `operation`, retrying BUSY/LOCKED with jittered backoff on top of busy_timeout."""
    for attempt in range(RETRIES):
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or attempt == RETRIES - 1:
                raise
            import random  # only on contention: keeps it off the invoke path

            time.sleep(min(0.05 * 2 ** attempt, 1.0) * (0.5 + random.random()))
    raise AssertionError("unreachable")


# ---- writing ------------------------------------------------------------------------------

def normalize(row: dict) -> dict:
    """Only known columns, with ts/day (and a row_id, if it has none yet) filled in."""
    clean = {name: row.get(name) for name in COLUMNS}
    if clean["row_id"] is None:
        clean["row_id"] = journal.new_row_id()
    if clean["ts"] is None:
        clean["ts"] = time.time()
    if clean["day"] is None:
        clean["day"] = time.strftime("%Y-%m-%d", time.localtime(clean["ts"]))
    if clean["outcome"] is None:
        clean["outcome"] = "error"
    if isinstance(clean["one_shot"], bool):
        clean["one_shot"] = int(clean["one_shot"])
    return clean


# A row_id already present is a row loaded before: skip it (see MIGRATIONS[2]).
_INSERT = (f"INSERT INTO calls ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join(':' + name for name in COLUMNS)}) ON CONFLICT (row_id) DO NOTHING")


def _insert_rows(conn: sqlite3.Connection, rows: list[dict]) -> int:
    """Insert in one transaction; the rowid of the last row."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = None
        for row in rows:
            cursor = conn.execute(_INSERT, row)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return cursor.lastrowid if cursor is not None else 0


def insert(row: dict) -> int | None:
    """Append one row; its id, or None when it had to be spooled (it is kept all the same).
    StorageError when it could be written neither here nor to the journal (disk full)."""
    clean = normalize(row)
    try:
        conn = connect()
        try:
            return _with_retry(lambda: _insert_rows(conn, [clean]))
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        log_problem(f"ledger: {type(exc).__name__}: {exc}; row kept in {SPOOL_NAME}")
        _spool(clean, exc)
        return None


def insert_many(rows: list[dict]) -> None:
    """Bulk load (benchmarks, imports): one transaction, no spool."""
    conn = connect()
    try:
        _with_retry(lambda: _insert_rows(conn, [normalize(r) for r in rows]))
    finally:
        conn.close()


def _spool(row: dict, first: Exception) -> None:
    try:
        journal.append(row)
    except OSError as exc:
        log_problem(f"ledger: cannot spool a row either ({exc}); it is lost")
        raise StorageError(
            f"the usage ledger could not record this call: {ledger_path()}: {first}; "
            f"{spool_path()}: {exc.strerror or exc}",
            f"free space on the disk that holds {paths.data_dir()} (or make it writable); "
            "until then budgets and `llm-router stats` do not count such calls") from exc


def drain_journal() -> None:
    """Move the journal's rows into SQLite now (what connect() does); never raises."""
    try:
        conn = connect()
    except (sqlite3.Error, OSError) as exc:
        log_problem(f"ledger: journal not loaded yet: {type(exc).__name__}: {exc}")
        return
    conn.close()


def _drain_spool(conn: sqlite3.Connection) -> None:
    """Load the journal's rows: those `invoke` appended and those an earlier write could not
    insert. One failed open() when there are none."""

    def load(lines: list[str]) -> None:
        import json

        rows = []
        for line in lines:
            try:
                rows.append(normalize(json.loads(line)))
            except (ValueError, AttributeError):
                log_problem("ledger: skipped a corrupt journal line")
        if rows:
            _with_retry(lambda: _insert_rows(conn, rows))

    journal.take(load)


def reset() -> int:
    """Delete every row (and the spool); how many rows there were."""
    conn = connect(create=False)
    removed = 0
    if conn is not None:
        try:
            removed = _with_retry(lambda: _delete_all(conn))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # shrink the -wal file too
            conn.execute("VACUUM")  # deleted pages could still hold old prompts' metadata
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            # Rows are gone; another process holding the db just postpones the compaction.
        finally:
            conn.close()
    try:
        os.unlink(spool_path())
    except FileNotFoundError:
        pass
    return removed


def _delete_all(conn: sqlite3.Connection) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        count = conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        conn.execute("DELETE FROM calls")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return count


# ---- reading ------------------------------------------------------------------------------

def count(conn: sqlite3.Connection, since_ts: float = 0.0) -> int:
    return conn.execute("SELECT COUNT(*) FROM calls WHERE ts >= ?", (since_ts,)).fetchone()[0]


def spend_since(conn: sqlite3.Connection, since_ts: float) -> float:
    """USD spent since `since_ts` (unknown costs count as 0)."""
    return conn.execute("SELECT TOTAL(cost_usd) FROM calls WHERE ts >= ?", (since_ts,)).fetchone()[0]


def session_delegations(conn: sqlite3.Connection, session_id: str,
                        prompt_sha256: str | None) -> tuple[int, int]:
    """(delegations in this session, of which with this prompt). A delegation is a chain,
    counted by its first attempt (fallback_position 0)."""
    row = conn.execute(
        "SELECT COUNT(*), TOTAL(prompt_sha256 = ?) FROM calls "
        "WHERE session_id = ? AND COALESCE(fallback_position, 0) = 0",
        (prompt_sha256 or "", session_id)).fetchone()
    return int(row[0]), int(row[1])


# Group keys for `stats --by`. These are constant SQL fragments chosen from this table,
# never text from the user, so interpolating them is safe.
GROUPS = {
    "model": "COALESCE(model_used, requested_model, '?')",
    "provider": "COALESCE(provider, '?')",
    "task": "COALESCE(task, '-')",
    "scope": "COALESCE(scope, '-')",
    "day": "day",
}

# One scan answers everything: per-group sums, and the successful calls' latencies as a
# comma list (group_concat) that Python sorts for nearest-rank percentiles. The overall
# total is the sum of the groups. Window functions or a second scan for the total each
# cost as much again: this keeps `stats` over 100k rows in the low hundreds of ms.
# `id >= ?` turns --since into a rowid range (see _first_id); `+ts` keeps SQLite from
# walking the ts index row by row instead of reading the table in order.
_AGGREGATE = """
SELECT {key} AS key,
       TOTAL(outcome != 'skipped'), TOTAL(outcome = 'error'), TOTAL(outcome = 'skipped'),
       TOTAL(input_tokens), TOTAL(output_tokens), TOTAL(cached_tokens),
       TOTAL(cache_write_tokens), TOTAL(reasoning_tokens),
       TOTAL(cost_usd), TOTAL(cost_usd IS NULL AND outcome = 'ok'), TOTAL(quota_units),
       TOTAL(claude_tokens_saved_est), TOTAL(claude_usd_saved_est),
       group_concat(CASE WHEN outcome = 'ok' THEN latency_ms END)
FROM calls WHERE id >= ? AND +ts >= ? GROUP BY key
"""
_AGG_FIELDS = ("calls", "failures", "skipped", "input_tokens", "output_tokens", "cached_tokens",
               "cache_write_tokens", "reasoning_tokens", "cost_usd", "unpriced_calls",
               "quota_units", "claude_tokens_saved_est", "claude_usd_saved_est")
_FLOAT_FIELDS = {"cost_usd", "quota_units", "claude_usd_saved_est"}


def _first_id(conn: sqlite3.Connection, since_ts: float) -> int | None:
    """The smallest id with ts >= since_ts (None: no such row). Every row at or after
    since_ts has an id at least this, so `id >= first AND ts >= since` is exact, and rows
    are nearly in ts order, so the scan reads only the tail of the table."""
    if since_ts <= 0:
        return 0
    return conn.execute("SELECT MIN(id) FROM calls WHERE ts >= ?", (since_ts,)).fetchone()[0]


def aggregate(conn: sqlite3.Connection, since_ts: float, by: str) -> tuple[dict, list[dict]]:
    """(total, rows): sums per group plus p50_ms/p95_ms over successful calls; rows by
    day for --by day, else by cost, then calls."""
    first = _first_id(conn, since_ts)
    if first is None:
        return empty_total(), []
    rows, everything = [], []
    for record in conn.execute(_AGGREGATE.format(key=GROUPS[by]), (first, since_ts)):
        latencies = sorted(map(int, record[-1].split(","))) if record[-1] else []
        everything.extend(latencies)
        rows.append(_row(record[0], record[1:-1], latencies))
    everything.sort()
    total = _row(None, [sum(r[name] for r in rows) for name in _AGG_FIELDS], everything)
    total.pop("key")
    if by == "day":
        rows.sort(key=lambda r: r["key"])
    else:
        rows.sort(key=lambda r: (-r["cost_usd"], -r["calls"], str(r["key"])))
    return total, rows


def _row(key, sums, latencies: list[int]) -> dict:
    row = {"key": key}
    for name, value in zip(_AGG_FIELDS, sums):
        row[name] = round(value, 6) if name in _FLOAT_FIELDS else int(value)
    row["p50_ms"] = percentile(latencies, 50)
    row["p95_ms"] = percentile(latencies, 95)
    return row


def percentile(ordered: list[int], pct: int) -> int | None:
    """Nearest-rank percentile of an ascending list: the value at rank ceil(pct/100 * n)."""
    if not ordered:
        return None
    rank = -(-len(ordered) * pct // 100)
    return ordered[max(rank, 1) - 1]


def failures_by_class(conn: sqlite3.Connection, since_ts: float,
                      outcome: str = "error") -> dict[str, int]:
    """{error class: count} of failed (or, with outcome="skipped", skipped) attempts, most
    frequent first."""
    first = _first_id(conn, since_ts)
    if first is None:
        return {}
    counts = conn.execute(
        "SELECT COALESCE(error_class, '?'), COUNT(*) FROM calls "
        "WHERE outcome = ? AND id >= ? AND +ts >= ? GROUP BY error_class",
        (outcome, first, since_ts))
    return dict(sorted(counts, key=lambda pair: (-pair[1], pair[0])))


def empty_total() -> dict:
    """The `total` of a ledger with no rows."""
    total = _row(None, [0] * len(_AGG_FIELDS), [])
    total.pop("key")
    return total


def daily(conn: sqlite3.Connection, since_ts: float) -> list[tuple[str, float, int, int]]:
    """(day, cost_usd, calls, failures) per local day, oldest first."""
    first = _first_id(conn, since_ts)
    if first is None:
        return []
    return [(day, cost, int(calls), int(failures)) for day, cost, calls, failures in conn.execute(
        "SELECT day, TOTAL(cost_usd), TOTAL(outcome != 'skipped'), TOTAL(outcome = 'error') "
        "FROM calls WHERE id >= ? AND +ts >= ? GROUP BY day ORDER BY day", (first, since_ts))]


def provider_sessions(conn: sqlite3.Connection, since_ts: float, limit: int) -> list[dict]:
    """The latest calls that left a provider session id (to resume it with that CLI)."""
    cursor = conn.execute(
        "SELECT id, ts, session_id, task, model_used, provider, provider_session_id, outcome "
        "FROM calls WHERE provider_session_id IS NOT NULL AND ts >= ? "
        "ORDER BY ts DESC, id DESC LIMIT ?", (since_ts, limit))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, record)) for record in cursor]
