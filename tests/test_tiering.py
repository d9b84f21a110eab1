"""Tier suggestions for users' own subagents, and the `tier-agents` command's output."""

import json
from pathlib import Path

import frontmatter
import pytest
from llm_router.cli import main
from llm_router.subagents import tiering

DATA = Path(__file__).parent / "data" / "agents"
SHIPPED = Path(__file__).resolve().parents[1] / "agents"

EXPECTED = {
    "code-explorer.md": "haiku",        # read-only tools + exploring wording
    "doc-summarizer.md": "haiku",       # summarizing, read-only tools
    "log-triage.md": "haiku",           # reads logs quickly, even with Bash
    "quick-lookup.md": "haiku",         # lookups with read-only tools (model pinned to opus)
    "release-notes.md": "haiku",        # condensing a git log
    "system-architect.md": "opus",      # architecture, design, trade-offs
    "security-auditor.md": "opus",      # security audit beats "only reads code"
    "migration-planner.md": "opus",     # complex plans, trade-offs, root cause
    "test-writer.md": "sonnet",         # writes tests, edits files
    "feature-implementer.md": "sonnet",  # implements features
    "code-reviewer.md": "sonnet",       # review: sonnet even with read-only tools
    "ux-copywriter.md": "sonnet",       # writing/editing, no tools list
    "helper.md": "sonnet",              # no signal at all: the default
}


def meta_of(path: Path) -> dict:
    return frontmatter.load(str(path)).metadata


@pytest.mark.parametrize("file_name, tier", sorted(EXPECTED.items()))
def test_suggests_tier_for_real_looking_agents(file_name, tier):
    suggestion = tiering.suggest(meta_of(DATA / file_name))
    assert suggestion.tier == tier, suggestion.reason


def test_fixture_set_is_big_enough():
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("name", ["explorer", "summarizer", "implementer", "reviewer", "architect"])
def test_shipped_agents_get_their_own_tier(name):
    meta = meta_of(SHIPPED / f"{name}.md")
    assert tiering.suggest(meta).tier == meta["model"]


def test_reason_lists_the_deciding_signals_first():
    suggestion = tiering.suggest(meta_of(DATA / "code-explorer.md"))
    assert suggestion.reason.startswith("read-only tools (Read, Grep, Glob) +2 haiku")
    assert "'explorer' +2 haiku" in suggestion.reason
    assert suggestion.scores["haiku"] > suggestion.scores["sonnet"]


def test_security_wording_outweighs_read_only_tools():
    meta = {"description": "Security audit: finds vulnerabilities", "tools": ["Read", "Grep"]}
    suggestion = tiering.suggest(meta)
    assert suggestion.tier == "opus"
    assert "read-only tools (Read, Grep) +2 haiku" in suggestion.reason


def test_no_signal_means_sonnet_with_a_reason():
    suggestion = tiering.suggest({"name": "thing", "description": "Helps out.", "tools": "Bash"})
    assert suggestion.tier == "sonnet"
    assert suggestion.reason == "no clear signal; sonnet is the default"


def test_tie_goes_to_sonnet():
    # read-only tools (+2 haiku) against "review" (+2 sonnet) and "design" (+2 opus)
    suggestion = tiering.suggest({"description": "design review", "tools": "Read"})
    assert suggestion.scores == {"haiku": 2, "sonnet": 2, "opus": 2}
    assert suggestion.tier == "sonnet"


def test_name_counts_when_description_is_missing():
    assert tiering.suggest({}, fallback_name="repo-explorer").tier == "haiku"


@pytest.mark.parametrize("tools, names", [
    ("Read, Grep,Glob", ["Read", "Grep", "Glob"]),
    (["Read", "Bash(git diff:*)"], ["Read", "Bash"]),
    ("", []),
    (None, None),
])
def test_tool_names_accept_lists_and_comma_strings(tools, names):
    assert tiering.tool_names(tools) == names


def test_missing_tools_list_counts_as_inheriting_everything():
    signals = tiering.tool_signals(None)
    assert signals == [("inherits every tool (no `tools` list)", "sonnet", 1)]


def test_words_match_whole_words_only():
    assert tiering.wording_signals("a specialist in prefixes and breakfast") == []


# ---- the command ----------------------------------------------------------------------------

def run_json(capsys, *args) -> tuple[int, list]:
    code = main(["tier-agents", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_output_shape(capsys):
    code, rows = run_json(capsys, str(DATA))
    assert code == 0
    assert isinstance(rows, list) and len(rows) == len(list(DATA.glob("*.md")))
    keys = {"file", "name", "current_model", "suggested", "reason", "reasons", "scores", "action",
            "changed", "problem", "error"}
    assert all(set(row) == keys for row in rows)
    by_name = {Path(row["file"]).name: row for row in rows}
    explorer = by_name["code-explorer.md"]
    assert explorer["suggested"] == "haiku" and explorer["action"] == "would set haiku"
    assert explorer["reasons"][0] == {"signal": "read-only tools (Read, Grep, Glob)", "tier": "haiku",
                                      "weight": 2}
    assert set(explorer["scores"]) == {"haiku", "sonnet", "opus"}
    assert Path(explorer["file"]).is_absolute() and explorer["changed"] is False
    pinned = by_name["quick-lookup.md"]
    assert pinned["current_model"] == "opus"
    assert pinned["action"] == "keep (model set; --force replaces it)"
    broken = by_name["broken-yaml.md"]
    assert broken["suggested"] is None and broken["action"] == "skip"
    assert broken["problem"].startswith("invalid YAML in the frontmatter at line")


def test_json_with_force_shows_replacements(capsys):
    _code, rows = run_json(capsys, str(DATA / "quick-lookup.md"), "--force")
    assert rows[0]["action"] == "would replace opus -> haiku"


def test_table_output(capsys, monkeypatch):
    monkeypatch.chdir(DATA)
    assert main(["tier-agents", "."]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["FILE", "NAME", "MODEL", "SUGGESTED", "ACTION", "REASON"]
    explorer = next(line for line in lines if line.startswith("code-explorer.md"))
    assert "haiku" in explorer and "would set haiku" in explorer and "read-only tools" in explorer
    readme = next(line for line in lines if line.startswith("README.md"))
    assert "skip" in readme and "no YAML frontmatter" in readme
    assert "add --apply" in captured.out
    assert "Skipped files" in captured.err


def test_default_paths_are_user_and_project_agents(capsys, monkeypatch, tmp_path, project_dir):
    user = tmp_path / "claude-config"
    (user / "agents").mkdir(parents=True)
    (project_dir / ".claude" / "agents").mkdir(parents=True)
    (user / "agents" / "a.md").write_text("---\nname: a\ndescription: explores code\n---\n")
    (project_dir / ".claude" / "agents" / "b.md").write_text("---\nname: b\ndescription: x\n---\n")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(user))
    _code, rows = run_json(capsys)
    assert [row["name"] for row in rows] == ["a", "b"]


def test_no_agents_found(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "nothing"))
    assert main(["tier-agents"]) == 0
    assert "no agent files found" in capsys.readouterr().out


def test_bad_path_is_a_usage_error(capsys, tmp_path):
    assert main(["tier-agents", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_end_to_end(cli):
    proc = cli("tier-agents", str(DATA / "system-architect.md"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["suggested"] == "opus"
