"""`llm-router digest`: a generated log with facts planted at known lines; the digest names
each with its line, stays within the budget, and the map calls ran in parallel."""

import json

import pytest

from mocks.reading_model import ReadingModel, policy

FACTS = {1234: "PLANTED disk /dev/sdb failed", 2345: "PLANTED certificate expired",
         4321: "PLANTED OOM killer took pid 4242"}


def write_log(path, lines: int = 4500) -> None:
    with open(path, "w") as handle:
        for number in range(1, lines + 1):
            handle.write(FACTS.get(number, f"2026-12-01T03:{number % 60:02d} INFO request {number} ok")
                         + "\n")


@pytest.fixture
def reader(data_dir):
    with ReadingModel(delay=0.15) as model:
        (data_dir / "model-policy.json").write_text(json.dumps(policy(model.url)))
        yield model


def test_digest_cites_planted_lines_within_budget_in_parallel(reader, tmp_path, cli):
    log = tmp_path / "app.log"
    write_log(log)
    proc = cli("digest", str(log), "--question", "What failed?", "--budget", "300", "--json",
               "--parallel", "4")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for line, fact in FACTS.items():
        assert f"{log}:{line}: {fact}" in out["digest"]
    assert out["tokens"] <= 300 and out["chunks"] > 8 and not out["failed"]
    assert reader.max_in_flight >= 3  # the calls overlapped, at most --parallel at once
    assert reader.max_in_flight <= 4
    assert len(reader.prompts) == out["chunks"]  # every chunk read once, no reduce needed
    assert all(len(p) // 4 <= 2000 for p in reader.prompts)  # each fits the 2000-token window


@pytest.mark.parametrize("facts,merged_by_model", [(8, True), (1000, False)])
def test_digest_over_budget_is_reduced_then_cut_and_says_so(reader, tmp_path, cli, facts,
                                                            merged_by_model):
    """Findings over the budget go to the model to merge when they fit its window (2000
    tokens here), else straight to the cut; either way the cut says so."""
    reader.keep = 1000  # the "model" merges nothing away: the cut must happen
    log = tmp_path / "m.log"
    log.write_text("".join(f"PLANTED fact {i}\n" if i % 3 == 0 else "x\n"
                           for i in range(1, 3 * facts + 1)))
    proc = cli("digest", str(log), "-q", "facts?", "--budget", "60", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["tokens"] <= 60 and out["cut_to_budget"]
    assert out["reduced_by_model"] is merged_by_model
    assert "[digest cut to the 60-token budget:" in out["digest"]
    assert any(p.startswith("Merge these findings") for p in reader.prompts) is merged_by_model


def test_digest_names_chunks_that_failed(reader, tmp_path, cli, data_dir):
    pol = policy(reader.url)
    pol["external_models"]["mock/broken"] = {
        "tier": "haiku", "context_window": 2000,
        "via": [{"provider": "openai-http", "endpoint": "nowhere", "model": "x"}]}
    pol["endpoints"]["nowhere"] = {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}
    (data_dir / "model-policy.json").write_text(json.dumps(pol))
    log = tmp_path / "a.log"
    write_log(log, 100)
    proc = cli("digest", str(log), "-q", "q", "--model", "mock/broken", "--timeout", "5")
    assert proc.returncode == 1
    assert "every chunk failed" in proc.stderr and "fix:" in proc.stderr


def test_digest_reads_stdin_and_uses_the_haiku_model(reader, cli):
    proc = cli("digest", "-q", "what?", input="a\nPLANTED here\nb\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "- stdin:2: PLANTED here"


def test_split_keeps_line_numbers_and_sources_apart():
    from llm_router.distill.chunks import Source, split

    chunks = split([Source("a", "1\n2\n3\n4\n"), Source("b", "5\n")], max_tokens=6)
    assert [c.where for c in chunks] == ["a:1-2", "a:3-4", "b:1-1"]
    assert chunks[1].render() == "3| 3\n4| 4\n"
