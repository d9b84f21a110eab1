"""The ledger: schema and migrations, cheap opening, concurrent writers from real processes,
busy retries, the spool that keeps rows when the database cannot take them, reset."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from conftest import LIB
from llm_router.usage import accounting, journal, ledger


def _row(**overrides) -> dict:
    return {"outcome": "ok", "model_used": "acme/m", "provider": "opencode", "latency_ms": 10, **overrides}


def test_first_open_creates_a_private_wal_database_at_the_latest_version(data_dir):
    conn = ledger.connect()
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(ledger.MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in conn.execute("PRAGMA table_info(calls)")]
        assert columns == ["id", *ledger.COLUMNS]
    finally:
        conn.close()
    assert os.stat(ledger.ledger_path()).st_mode & 0o777 == 0o600


def test_opening_an_up_to_date_ledger_runs_no_migration(data_dir, monkeypatch):
    ledger.connect().close()

    def boom(*_args):
        raise AssertionError("migrated again")

    monkeypatch.setattr(ledger, "_migrate", boom)
    ledger.connect().close()


def test_a_ledger_behind_the_code_is_migrated_forward(data_dir, monkeypatch):
    ledger.connect().close()
    extra = ("ALTER TABLE calls ADD COLUMN future TEXT",)
    monkeypatch.setattr(ledger, "MIGRATIONS", [*ledger.MIGRATIONS, extra])
    conn = ledger.connect()
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(ledger.MIGRATIONS)
        assert "future" in [r[1] for r in conn.execute("PRAGMA table_info(calls)")]
    finally:
        conn.close()


def test_a_version_1_ledger_gets_the_later_migrations_and_keeps_its_rows(data_dir, monkeypatch):
    with monkeypatch.context() as patched:  # an older plugin wrote this ledger
        patched.setattr(ledger, "MIGRATIONS", ledger.MIGRATIONS[:1])
        ledger.insert(_row(outcome="error", error_class="RateLimited"))
    conn = ledger.connect()
    try:
        indexes = [r[1] for r in conn.execute("PRAGMA index_list(calls)")]
        assert "calls_errors" in indexes and ledger.count(conn) == 1
        assert ledger.failures_by_class(conn, 0.0) == {"RateLimited": 1}
    finally:
        conn.close()


def test_a_ledger_from_before_scopes_gets_the_column_and_its_old_rows_stay_null(data_dir, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(ledger, "MIGRATIONS", ledger.MIGRATIONS[:2])
        patched.setattr(ledger, "COLUMNS", tuple(c for c in ledger.COLUMNS if c != "scope"))
        patched.setattr(ledger, "_INSERT", ledger._INSERT.replace(", scope", "").replace(", :scope", ""))
        ledger.insert(_row())
    ledger.insert(_row(scope="read-only"))
    conn = ledger.connect()
    try:
        assert [r[0] for r in conn.execute("SELECT scope FROM calls ORDER BY id")] == [None, "read-only"]
    finally:
        conn.close()


def test_readers_do_not_create_the_ledger(data_dir):
    assert ledger.connect(create=False) is None
    assert not os.path.exists(ledger.ledger_path())


def test_insert_fills_time_and_day_and_keeps_unknown_keys_out(data_dir):
    row_id = ledger.insert(_row(not_a_column="x", one_shot=True))
    conn = ledger.connect()
    try:
        ts, day, one_shot = conn.execute(
            "SELECT ts, day, one_shot FROM calls WHERE id = ?", (row_id,)).fetchone()
    finally:
        conn.close()
    assert ts > 0 and len(day) == 10 and one_shot == 1


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {lib!r})
    from llm_router.usage import accounting, ledger, journal
    {setup}
    for i in range(100):
        {write}({{"outcome": "ok", "model_used": "m/%s" % sys.argv[1], "latency_ms": i,
                  "fallback_position": 0, "session_id": sys.argv[1]}})
""")


def run_writers(tmp_path, count: int, write: str, setup: str = "") -> list[bytes]:
    """`count` processes each writing 100 rows through `write`; their stderr outputs."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(lib=str(LIB), setup=setup, write=write))
    procs = [subprocess.Popen([sys.executable, str(script), str(n)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=os.environ.copy()) for n in range(count)]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (_out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err.decode()
    return [err for _out, err in outputs]


@pytest.mark.slow
def test_twenty_processes_writing_a_hundred_rows_each_lose_nothing(data_dir, tmp_path):
    for err in run_writers(tmp_path, 20, "ledger.insert"):
        assert b"locked" not in err.lower() and b"busy" not in err.lower(), err.decode()
    assert not os.path.exists(ledger.spool_path()), "rows were spooled: the retries gave up"
    conn = ledger.connect()
    try:
        assert ledger.count(conn) == 2000
        per_writer = conn.execute("SELECT session_id, COUNT(*) FROM calls GROUP BY session_id").fetchall()
    finally:
        conn.close()
    assert sorted(n for _, n in per_writer) == [100] * 20
    log = data_dir / "llm-router.log"
    assert not log.exists() or "ledger" not in log.read_text()


def _busy() -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("database is locked")
    exc.sqlite_errorcode = 5  # SQLITE_BUSY, as the real one carries on 3.11+
    return exc


def test_busy_is_retried_then_succeeds(data_dir, monkeypatch):
    real = ledger._insert_rows
    failures = iter([_busy(), _busy()])
    monkeypatch.setattr(ledger.time, "sleep", lambda _s: None)

    def flaky(conn, rows):
        exc = next(failures, None)
        if exc:
            raise exc
        return real(conn, rows)

    monkeypatch.setattr(ledger, "_insert_rows", flaky)
    assert ledger.insert(_row()) == 1


def test_other_errors_are_not_retried():
    calls = []

    def broken():
        calls.append(1)
        raise sqlite3.OperationalError("no such table: calls")

    with pytest.raises(sqlite3.OperationalError):
        ledger._with_retry(broken)
    assert calls == [1]


def test_a_locked_database_spools_the_row_and_the_next_write_loads_it(data_dir, monkeypatch, capsys):
    real = ledger._insert_rows
    monkeypatch.setattr(ledger.time, "sleep", lambda _s: None)
    monkeypatch.setattr(ledger, "_insert_rows", lambda conn, rows: (_ for _ in ()).throw(_busy()))
    assert ledger.insert(_row(model_used="first")) is None
    assert json.loads(open(ledger.spool_path()).read())["model_used"] == "first"
    assert capsys.readouterr().err == ""  # nothing reaches the user
    monkeypatch.setattr(ledger, "_insert_rows", real)
    assert ledger.insert(_row(model_used="second")) is not None
    assert not os.path.exists(ledger.spool_path())
    conn = ledger.connect()
    try:
        assert [r[0] for r in conn.execute("SELECT model_used FROM calls ORDER BY id")] == ["first", "second"]
    finally:
        conn.close()


def test_a_corrupt_database_spools_instead_of_raising(data_dir):
    with open(ledger.ledger_path(), "wb") as handle:
        handle.write(b"this is not sqlite" * 100)
    assert ledger.insert(_row()) is None
    assert os.path.exists(ledger.spool_path())


def test_reset_deletes_rows_and_the_spool(data_dir):
    for _ in range(3):
        ledger.insert(_row())
    open(ledger.spool_path(), "w").write(json.dumps(_row()) + "\n")
    assert ledger.reset() == 4  # a journal row is a ledger row: it is counted, then deleted
    conn = ledger.connect()
    try:
        assert ledger.count(conn) == 0
    finally:
        conn.close()
    assert not os.path.exists(ledger.spool_path())


@pytest.mark.parametrize("values, p50, p95", [
    (list(range(1, 101)), 50, 95), ([7], 7, 7), ([1, 2], 1, 2), ([], None, None),
    ([10, 20, 30, 40, 50, 60, 70, 80, 90, 1000], 50, 1000),
])
def test_nearest_rank_percentiles(values, p50, p95):
    assert (ledger.percentile(values, 50), ledger.percentile(values, 95)) == (p50, p95)


def test_session_delegations_count_chains_by_their_first_attempt(data_dir):
    for position in (0, 1, 2):
        ledger.insert(_row(session_id="s", prompt_sha256="aa", fallback_position=position))
    ledger.insert(_row(session_id="s", prompt_sha256="bb", fallback_position=0))
    ledger.insert(_row(session_id="other", prompt_sha256="aa", fallback_position=0))
    conn = ledger.connect()
    try:
        assert ledger.session_delegations(conn, "s", "aa") == (2, 1)
        assert ledger.session_delegations(conn, "nobody", "aa") == (0, 0)
    finally:
        conn.close()


# ---- the write-behind journal (what invoke writes) ------------------------------------------

def test_a_recorded_attempt_waits_in_the_journal_until_someone_reads(data_dir):
    accounting.record({"outcome": "ok", "model_used": "m/x", "provider": "opencode", "policy": {}})
    assert not os.path.exists(ledger.ledger_path()), "invoke must not open SQLite"
    conn = ledger.connect(create=False)  # a reader (stats, budgets) moves the journal in
    try:
        assert ledger.count(conn) == 1
    finally:
        conn.close()
    assert not os.path.exists(ledger.spool_path())


def test_a_journal_past_its_size_is_moved_in_by_the_writer(data_dir, monkeypatch):
    monkeypatch.setattr(journal, "DRAIN_BYTES", 1500)
    for _ in range(5):
        accounting.record({"outcome": "ok", "model_used": "m/x", "policy": {}})
    assert os.path.exists(ledger.ledger_path())
    left = os.path.getsize(ledger.spool_path()) if os.path.exists(ledger.spool_path()) else 0
    assert left < 1500


@pytest.mark.slow
def test_appends_racing_drains_lose_and_double_nothing(data_dir, tmp_path):
    # a tiny drain size: drains run all the time, racing the appends
    run_writers(tmp_path, 12, "accounting._append", setup="journal.DRAIN_BYTES = 3000")
    conn = ledger.connect()
    try:
        assert ledger.count(conn) == 1200
        per_writer = dict(conn.execute("SELECT session_id, COUNT(*) FROM calls GROUP BY session_id").fetchall())
        latencies = conn.execute("SELECT COUNT(DISTINCT session_id || '/' || latency_ms) FROM calls").fetchone()[0]
    finally:
        conn.close()
    assert per_writer == {str(n): 100 for n in range(12)}
    assert latencies == 1200  # every (writer, i) exactly once


def test_a_journal_that_cannot_be_loaded_yet_does_not_stop_a_reader(data_dir, monkeypatch):
    ledger.insert(_row(model_used="stored"))
    accounting.record({"outcome": "ok", "model_used": "journalled", "policy": {}})
    monkeypatch.setattr(ledger.time, "sleep", lambda _s: None)
    monkeypatch.setattr(ledger, "_insert_rows", lambda conn, rows: (_ for _ in ()).throw(_busy()))
    conn = ledger.connect(create=False)
    try:
        assert ledger.count(conn) == 1  # what SQLite holds is readable
    finally:
        conn.close()
    assert "journalled" in open(ledger.spool_path()).read()  # kept for the next open


# ---- crashes and full disks -----------------------------------------------------------------

DRAIN_THAT_STOPS_BEFORE_THE_UNLINK = """
import os, sys, time
sys.path.insert(0, {lib!r})
from llm_router.usage import journal, ledger

unlink = os.unlink

def stop_here(path, *args, **kwargs):
    if path == journal.journal_path():  # the drain has committed: wait here to be killed
        print("committed", flush=True)
        time.sleep(120)
    return unlink(path, *args, **kwargs)

os.unlink = stop_here
ledger.drain_journal()
"""


def test_a_drain_killed_between_its_commit_and_the_unlink_adds_no_row_twice(data_dir):
    for n in range(5):
        journal.append(_row(latency_ms=n))
    drain = subprocess.Popen([sys.executable, "-c", DRAIN_THAT_STOPS_BEFORE_THE_UNLINK.format(lib=str(LIB))],
                             stdout=subprocess.PIPE)
    try:
        assert drain.stdout.readline() == b"committed\n"
    finally:
        drain.kill()  # SIGKILL: no cleanup of any kind
        drain.wait()
    assert os.path.exists(ledger.spool_path())  # the journal survived, as a crash leaves it
    journal.append(_row(latency_ms=99))  # a row that came after the crash
    conn = ledger.connect()  # loads the journal again
    try:
        latencies = sorted(r[0] for r in conn.execute("SELECT latency_ms FROM calls"))
    finally:
        conn.close()
    assert latencies == [0, 1, 2, 3, 4, 99]
    assert not os.path.exists(ledger.spool_path())


def test_every_row_gets_an_id_when_first_written_and_keeps_it(data_dir):
    journal.append(_row())
    line = json.loads(open(ledger.spool_path()).read())
    assert len(line["row_id"]) == 16
    conn = ledger.connect()
    try:
        assert conn.execute("SELECT row_id FROM calls").fetchall() == [(line["row_id"],)]
    finally:
        conn.close()
    assert ledger.insert(_row()) == 2


APPEND_WITH_ROOM_FOR_A_FEW_BYTES = """
import os, resource, sys
sys.path.insert(0, {lib!r})
from llm_router.usage import journal
size = os.path.getsize(journal.journal_path())
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 10, resource.RLIM_INFINITY))
try:
    journal.append({{"outcome": "ok", "model_used": "cut/short"}})
except OSError as exc:
    print("refused:", exc)
"""


def test_a_row_the_disk_cuts_short_is_removed_so_the_next_row_is_whole(data_dir):
    journal.append(_row(model_used="before"))
    out = subprocess.run([sys.executable, "-c", APPEND_WITH_ROOM_FOR_A_FEW_BYTES.format(lib=str(LIB))],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("refused:"), out.stdout + out.stderr
    journal.append(_row(model_used="after"))
    conn = ledger.connect()
    try:
        assert [r[0] for r in conn.execute("SELECT model_used FROM calls ORDER BY id")] == ["before", "after"]
    finally:
        conn.close()
