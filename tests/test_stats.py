"""`llm-router stats`: empty ledger, the JSON shape and numbers, grouping, --since parsing and
filtering, the Markdown table, --sessions, --reset, and the PNG from --plot."""

import json
import struct
import time
import zlib

import pytest
from conftest import run_cli
from llm_router import cli
from llm_router.commands import stats
from llm_router.errors import UsageError
from llm_router.usage import ledger

FIELDS = {"calls", "failures", "input_tokens", "output_tokens", "cached_tokens",
          "reasoning_tokens", "cost_usd", "claude_tokens_saved_est"}


def run_stats(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["stats", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def seed_three_models() -> None:
    now = time.time()
    rows = [
        {"model_used": "a/one", "provider": "opencode", "task": "default", "outcome": "ok", "latency_ms": 100,
         "scope": "read-only",
         "input_tokens": 1000, "output_tokens": 100, "cached_tokens": 200, "reasoning_tokens": 10,
         "cost_usd": 0.25, "claude_tokens_saved_est": 1100, "claude_usd_saved_est": 0.5},
        {"model_used": "a/one", "provider": "opencode", "task": "review", "outcome": "ok", "latency_ms": 300,
         "input_tokens": 3000, "output_tokens": 300, "cost_usd": 0.75, "claude_tokens_saved_est": 3300},
        {"model_used": "a/one", "provider": "opencode", "task": "default", "outcome": "error",
         "latency_ms": 9000, "error_class": "RateLimited"},
        {"model_used": "copilot/x", "provider": "copilot", "task": "default", "outcome": "ok",
         "latency_ms": 50, "input_tokens": 10, "output_tokens": 5, "quota_units": 1.0,
         "provider_session_id": "cop-123", "scope": "write"},
        {"model_used": "b/two", "provider": "gemini", "task": "default", "outcome": "skipped"},
    ]
    for offset, row in enumerate(rows):
        ledger.insert({"ts": now - 100 + offset, **row})


def test_empty_ledger_is_a_friendly_line_and_creates_nothing(capsys, data_dir):
    code, out, _ = run_stats(capsys)
    assert code == 0 and "no external calls recorded" in out
    code, out, _ = run_stats(capsys, "--json")
    payload = json.loads(out)
    assert payload["rows"] == [] and FIELDS <= set(payload["total"])
    assert all(payload["total"][f] == 0 for f in FIELDS)
    assert not (data_dir / "ledger.sqlite3").exists()


def test_json_shape_and_numbers(capsys):
    seed_three_models()
    code, out, _ = run_stats(capsys, "--json")
    assert code == 0
    payload = json.loads(out)
    total = payload["total"]
    assert (total["calls"], total["failures"], total["skipped"]) == (4, 1, 1)
    assert (total["input_tokens"], total["output_tokens"], total["cached_tokens"]) == (4010, 405, 200)
    assert total["reasoning_tokens"] == 10
    assert total["cost_usd"] == pytest.approx(1.0) and total["claude_tokens_saved_est"] == 4400
    assert total["quota_units"] == 1.0 and total["unpriced_calls"] == 1
    assert total["errors"] == {"RateLimited": 1}
    by_key = {row["key"]: row for row in payload["rows"]}
    assert set(by_key) == {"a/one", "copilot/x", "b/two"}
    for row in payload["rows"]:
        assert FIELDS | {"key", "p50_ms", "p95_ms"} <= set(row)
    one = by_key["a/one"]
    assert (one["calls"], one["failures"], one["p50_ms"], one["p95_ms"]) == (3, 1, 100, 300)
    assert payload["rows"][0]["key"] == "a/one"  # most expensive first
    assert by_key["b/two"]["p50_ms"] is None and by_key["b/two"]["skipped"] == 1


@pytest.mark.parametrize("by, keys", [
    ("provider", {"opencode", "copilot", "gemini"}),
    ("task", {"default", "review"}),
    ("day", {time.strftime("%Y-%m-%d")}),
    ("scope", {"read-only", "write", "-"}),  # "-": rows from before the scope column
])
def test_grouping(capsys, by, keys):
    seed_three_models()
    _, out, _ = run_stats(capsys, "--json", "--by", by)
    assert {row["key"] for row in json.loads(out)["rows"]} == keys


def test_plain_table_lists_models_and_a_total(capsys):
    seed_three_models()
    code, out, _ = run_stats(capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "llm-router usage, all time, by model"
    assert lines[1].split()[:3] == ["model", "calls", "failed"]
    row = next(line for line in lines if line.startswith("a/one"))
    assert row.split()[1:3] == ["3", "1"] and "$1.0000" in row and "100ms" in row
    assert next(line for line in lines if line.startswith("copilot/x")).split()[6] == "-"  # no dollars
    assert any(line.startswith("total") for line in lines)
    assert "Claude saved (est.)" in out and "estimate" in out
    assert "failed: RateLimited 1" in out


def test_compact_is_a_markdown_table(capsys):
    seed_three_models()
    _, out, _ = run_stats(capsys, "--compact")
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table[0].startswith("| model | calls | failed") and table[1].startswith("|---|")
    assert table[-1].startswith("| **total** | 4 | 1 |")
    assert any("`a/one`" in line for line in table)


NOW = time.mktime((2026, 3, 10, 15, 30, 0, 0, 0, -1))


@pytest.mark.parametrize("text, seconds_ago, label", [
    ("30m", 1800, "last 30m"), ("24h", 86400, "last 24h"), ("7d", 7 * 86400, "last 7d"),
    ("2w", 14 * 86400, "last 2w"), ("45s", 45, "last 45s"),
])
def test_since_durations(text, seconds_ago, label):
    assert stats.parse_since(text, NOW) == (NOW - seconds_ago, label)


def test_since_day_is_local_midnight_and_absent_is_all_time():
    midnight = time.mktime((2026, 3, 1, 0, 0, 0, 0, 0, -1))
    assert stats.parse_since("2026-03-01", NOW) == (midnight, "since 2026-03-01")
    assert stats.parse_since(None, NOW) == (0.0, "all time")


@pytest.mark.parametrize("text", ["7", "d7", "7 days", "2026-13-01", "yesterday", "-3d"])
def test_since_rejects_anything_else(text):
    with pytest.raises(UsageError):
        stats.parse_since(text, NOW)


def test_since_filters_rows_and_a_bad_value_exits_2(capsys):
    ledger.insert({"model_used": "old/m", "outcome": "ok", "ts": time.time() - 10 * 86400})
    ledger.insert({"model_used": "new/m", "outcome": "ok", "ts": time.time() - 60})
    _, out, _ = run_stats(capsys, "--json", "--since", "7d")
    assert [row["key"] for row in json.loads(out)["rows"]] == ["new/m"]
    _, out, _ = run_stats(capsys, "--since", "1m")
    assert "no external calls recorded (last 1m)" in out
    code, _, err = run_stats(capsys, "--since", "lately")
    assert code == 2 and "--since 'lately'" in err and "7d" in err


def test_sessions_lists_provider_session_ids(capsys):
    seed_three_models()
    _, out, _ = run_stats(capsys, "--sessions", "--json")
    sessions = json.loads(out)["sessions"]
    assert [(s["provider"], s["provider_session_id"]) for s in sessions] == [("copilot", "cop-123")]
    _, out, _ = run_stats(capsys, "--sessions")
    assert "cop-123" in out and "resume" in out


def test_reset_asks_for_yes_then_deletes(capsys, data_dir):
    seed_three_models()
    code, out, _ = run_stats(capsys, "--reset")
    assert code == 0 and "would delete 5 rows" in out and "--yes" in out
    conn = ledger.connect()
    assert ledger.count(conn) == 5
    conn.close()
    code, out, _ = run_stats(capsys, "--reset", "--yes")
    assert code == 0 and "deleted 5 rows" in out
    _, out, _ = run_stats(capsys, "--json")
    assert json.loads(out)["total"]["calls"] == 0
    code, _, err = run_stats(capsys, "--reset", "--yes", "--since", "7d")
    assert code == 2 and "--since does not apply" in err


def _png_chunks(blob: bytes) -> list[tuple[bytes, bytes]]:
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(blob):
        (length,) = struct.unpack(">I", blob[pos:pos + 4])
        kind, data = blob[pos + 4:pos + 8], blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF, kind
        chunks.append((kind, data))
        pos += 12 + length
    return chunks


@pytest.mark.parametrize("seeded", [True, False])
def test_plot_writes_a_valid_png(capsys, tmp_path, seeded):
    if seeded:
        seed_three_models()
        three_days_ago = time.time() - 3 * 86400
        ledger.insert({"model_used": "a/one", "outcome": "ok", "cost_usd": 2.0, "ts": three_days_ago})
    target = tmp_path / "usage.png"
    code, _, err = run_stats(capsys, "--plot", str(target), "--since", "7d")
    assert code == 0 and f"wrote {target}" in err
    chunks = _png_chunks(target.read_bytes())
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, color) == (8, 2) and width >= 720 and height > 400
    pixels = zlib.decompress(chunks[1][1])
    assert len(pixels) == height * (1 + 3 * width)
    assert (b"\x34\x65\xa4" in pixels) == seeded  # cost bars are drawn only with spending


def test_fill_days_covers_idle_days():
    days = [("2026-03-02", 1.0, 2, 0), ("2026-03-04", 0.5, 1, 1)]
    filled = stats.fill_days(days, 0.0, today="2026-03-05")
    assert [d[0] for d in filled] == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert filled[1] == ("2026-03-03", 0.0, 0, 0)


def test_stats_through_the_real_launcher():
    seed_three_models()
    proc = run_cli("stats", "--json", "--by", "provider")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"]["calls"] == 4
    proc = run_cli("stats", "--json", "--compact")
    assert proc.returncode == 2 and "not allowed with" in proc.stderr
