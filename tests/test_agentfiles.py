"""Reading agent files, and writing `model:` so that nothing else changes by a single byte."""

import difflib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from llm_router.cli import main
from llm_router.errors import MissingDependency
from llm_router.subagents import agentfiles

DATA = Path(__file__).parent / "data" / "agents"
WITH_FRONTMATTER = sorted(p.name for p in DATA.glob("*.md") if p.name not in ("README.md", "broken-yaml.md"))


def changed_lines(old: bytes, new: bytes) -> list[tuple[str, list[bytes], list[bytes]]]:
    """difflib opcodes (other than equal) between the byte lines of two files."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(op, a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def assert_only_model_line(old: bytes, new: bytes, model: str) -> None:
    if agentfiles.parse_frontmatter(old.decode())[0].get("model") == model:
        assert new == old  # rewriting the same value is a no-op
        return
    [(op, removed, added)] = changed_lines(old, new)
    assert op in ("insert", "replace") and len(added) == 1 and len(removed) <= 1
    assert added[0].lstrip().startswith(b"model: ")
    assert model.encode() in added[0]
    if removed:
        assert removed[0].lstrip().startswith(b"model:")


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "agents"
    shutil.copytree(DATA, target)
    return target


# ---- reading ----------------------------------------------------------------------------------

def test_reads_metadata_with_python_frontmatter():
    agent = agentfiles.read_agent(str(DATA / "doc-summarizer.md"))
    assert agent.problem is None
    assert agent.name == "doc-summarizer" and agent.model is None
    assert agent.meta["description"].startswith("Summarizes long documentation")


def test_empty_model_counts_as_unset():
    assert agentfiles.read_agent(str(DATA / "release-notes.md")).model is None
    assert agentfiles.read_agent(str(DATA / "quick-lookup.md")).model == "opus"


@pytest.mark.parametrize("content, problem", [
    (b"# Title\n\nno frontmatter\n", "no YAML frontmatter (the file must start with a '---' line)"),
    (b"---\nname: x\n", "frontmatter has no closing '---' line"),
    (b"---\n- a\n- b\n---\nbody\n", "frontmatter is not a list of `key: value` pairs"),
    (b"---\nname: \xff\n---\n", "not UTF-8 text"),
    (b"---\nname: x\ndescription: [unclosed\n---\n", "invalid YAML in the frontmatter at line"),
])
def test_unusable_files_are_reported_not_raised(tmp_path, content, problem):
    path = tmp_path / "agent.md"
    path.write_bytes(content)
    agent = agentfiles.read_agent(str(path))
    assert agent.problem.startswith(problem)
    assert agent.meta == {}


def test_yaml_error_names_the_line_in_the_file():
    agent = agentfiles.read_agent(str(DATA / "broken-yaml.md"))
    assert agent.problem.startswith("invalid YAML in the frontmatter at line 5")


def test_empty_frontmatter_is_valid():
    agent = agentfiles.read_agent(os.devnull)  # no frontmatter at all
    assert agent.problem.startswith("no YAML frontmatter")
    assert agentfiles.parse_frontmatter("---\n---\nbody\n") == ({}, None)


def test_name_falls_back_to_the_file_name(tmp_path):
    path = tmp_path / "nameless.md"
    path.write_text("---\ndescription: x\n---\n")
    assert agentfiles.read_agent(str(path)).name == "nameless"


def test_missing_python_frontmatter_is_a_missing_dependency(monkeypatch):
    monkeypatch.setitem(sys.modules, "frontmatter", None)
    monkeypatch.setitem(sys.modules, "frontmatter.default_handlers", None)
    with pytest.raises(MissingDependency) as info:
        agentfiles.parse_frontmatter("---\nname: x\n---\n")
    assert info.value.package == "python-frontmatter"
    assert "reading agent files" in info.value.message


def test_markdown_files_walks_folders_and_accepts_single_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b.md", "a.md", "notes.txt", "sub/c.md", ".hidden/d.md"):
        (tmp_path / name).write_text("x")
    found = [os.path.relpath(p, tmp_path) for p in agentfiles.markdown_files(str(tmp_path))]
    assert found == ["a.md", "b.md", os.path.join("sub", "c.md")]
    assert agentfiles.markdown_files(str(tmp_path / "a.md")) == [str(tmp_path / "a.md")]


# ---- writing: only the model line changes ---------------------------------------------------

@pytest.mark.parametrize("file_name", WITH_FRONTMATTER)
@pytest.mark.parametrize("model", ["haiku", "opus"])
def test_every_fixture_round_trips_byte_for_byte(file_name, model):
    old = (DATA / file_name).read_bytes()
    new = agentfiles.with_model(old, model)
    assert_only_model_line(old, new, model)


@pytest.mark.parametrize("file_name", WITH_FRONTMATTER)
def test_crlf_files_stay_crlf(file_name):
    old = (DATA / file_name).read_bytes().replace(b"\n", b"\r\n")
    new = agentfiles.with_model(old, "sonnet")
    assert_only_model_line(old, new, "sonnet")
    assert new.count(b"\n") == new.count(b"\r\n")


def test_inserted_after_tools_before_the_next_keys_comment():
    new = agentfiles.with_model((DATA / "code-explorer.md").read_bytes(), "haiku").decode()
    assert "  - Glob\nmodel: haiku\n\n# Cyan so it stands out in the transcript.\ncolor: cyan\n" in new
    assert new.startswith("---\n# Read-only helper I use before every refactor.\n")


def test_inserted_after_description_when_there_is_no_tools_key():
    new = agentfiles.with_model((DATA / "system-architect.md").read_bytes(), "opus").decode()
    assert 'trade-offs between options."\nmodel: opus\ncolor: purple\n' in new


def test_inserted_after_a_literal_block_description():
    new = agentfiles.with_model((DATA / "migration-planner.md").read_bytes(), "opus").decode()
    assert "  and writes a rollback strategy.\nmodel: opus\n---\n" in new


def test_inserted_after_tools_even_when_tools_comes_first():
    new = agentfiles.with_model((DATA / "helper.md").read_bytes(), "sonnet").decode()
    assert "Bash(git diff:*), Read\nmodel: sonnet\nname: helper\n" in new


def test_replacing_keeps_quote_style_and_comment():
    new = agentfiles.with_model((DATA / "quick-lookup.md").read_bytes(), "haiku").decode()
    assert '\nmodel: "haiku"  # pinned while we evaluate\n' in new


def test_filling_an_empty_model_keeps_its_comment():
    new = agentfiles.with_model((DATA / "release-notes.md").read_bytes(), "haiku").decode()
    assert "\nmodel: haiku   # fill in after the trial\n" in new


@pytest.mark.parametrize("old_line, new_line", [
    ("model: sonnet", "model: opus"),
    ("model: 'sonnet'", "model: 'opus'"),
    ("model: ~", "model: opus"),
    ("model:", "model: opus"),
    ("model: claude-sonnet-4-5 # pinned", "model: opus # pinned"),
])
def test_replacing_model_values(old_line, new_line):
    old = f"---\nname: x\n{old_line}\ncolor: red\n---\nbody\n".encode()
    assert agentfiles.with_model(old, "opus") == f"---\nname: x\n{new_line}\ncolor: red\n---\nbody\n".encode()


def test_keep_chomped_block_scalar_keeps_its_trailing_lines():
    # Moving the insert point up over the blank lines would cut them off the `|+` value.
    old = b"---\nname: x\ndescription: |+\n  keep\n\n\ncolor: red\n---\n"
    new = agentfiles.with_model(old, "sonnet")
    assert new == b"---\nname: x\ndescription: |+\n  keep\n\n\nmodel: sonnet\ncolor: red\n---\n"


def test_hash_lines_inside_a_block_scalar_are_content_not_comments():
    old = b"---\nname: x\ndescription: |\n  Does things.\n  # not a comment\ncolor: red\n---\n"
    new = agentfiles.with_model(old, "haiku")
    assert new == b"---\nname: x\ndescription: |\n  Does things.\n  # not a comment\nmodel: haiku\ncolor: red\n---\n"


def test_empty_frontmatter_gets_a_model_line():
    assert agentfiles.with_model(b"---\n---\nbody\n", "haiku") == b"---\nmodel: haiku\n---\nbody\n"


def test_byte_order_mark_is_kept():
    old = "\ufeff---\nname: x\ndescription: y\n---\n".encode()
    assert agentfiles.with_model(old, "haiku") == "\ufeff---\nname: x\ndescription: y\nmodel: haiku\n---\n".encode()


def test_body_with_dashes_and_yaml_like_text_is_untouched():
    body = b"\nmodel: not frontmatter\n---\n\n- list\n---\n"
    old = b"---\nname: x\ndescription: y\n---" + body
    assert agentfiles.with_model(old, "opus") == b"---\nname: x\ndescription: y\nmodel: opus\n---" + body


def test_flow_mapping_frontmatter_is_refused_not_mangled():
    with pytest.raises(agentfiles.AgentFileError, match="add it by hand"):
        agentfiles.with_model(b"---\n{name: x, description: y}\n---\n", "haiku")


def test_no_frontmatter_cannot_be_written():
    with pytest.raises(agentfiles.AgentFileError, match="no YAML frontmatter"):
        agentfiles.with_model(b"# just text\n", "haiku")


def test_only_tier_names_are_written():
    with pytest.raises(agentfiles.AgentFileError):
        agentfiles.with_model(b"---\nname: x\n---\n", "haiku\nevil: true")


# ---- write_model: atomic, mode-preserving, symlink-safe -----------------------------------------

def test_write_keeps_file_mode(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"---\nname: a\ndescription: explores\n---\n")
    path.chmod(0o664)
    agentfiles.write_model(agentfiles.read_agent(str(path)), "haiku")
    assert path.read_bytes() == b"---\nname: a\ndescription: explores\nmodel: haiku\n---\n"
    assert path.stat().st_mode & 0o777 == 0o664


def test_write_through_a_symlink_edits_the_target(tmp_path):
    target = tmp_path / "dotfiles" / "a.md"
    target.parent.mkdir()
    target.write_bytes(b"---\nname: a\n---\n")
    link = tmp_path / "a.md"
    link.symlink_to(target)
    agentfiles.write_model(agentfiles.read_agent(str(link)), "opus")
    assert link.is_symlink()
    assert target.read_bytes() == b"---\nname: a\nmodel: opus\n---\n"


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"---\nname: a\n---\n")
    agent = agentfiles.read_agent(str(path))
    path.write_bytes(b"---\nname: a\ncolor: red\n---\n")
    with pytest.raises(agentfiles.AgentFileError, match="changed since"):
        agentfiles.write_model(agent, "opus")
    assert path.read_bytes() == b"---\nname: a\ncolor: red\n---\n"


# ---- tier-agents --apply ----------------------------------------------------------------------

def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.md"))}


def apply(capsys, *args) -> tuple[int, dict]:
    code = main(["tier-agents", *args, "--json"])
    return code, {Path(row["file"]).name: row for row in json.loads(capsys.readouterr().out)}


def test_apply_sets_only_unset_models(tmp_path, capsys):
    folder = copy_data(tmp_path)
    before = snapshot(folder)
    code, rows = apply(capsys, str(folder), "--apply")
    after = snapshot(folder)
    assert code == 0
    untouched = {"README.md", "broken-yaml.md", "code-reviewer.md", "quick-lookup.md"}
    for name, old in before.items():
        if name in untouched:
            assert after[name] == old, name
            assert rows[name]["changed"] is False
        else:
            assert_only_model_line(old, after[name], rows[name]["suggested"])
            assert rows[name]["changed"] is True and rows[name]["action"].startswith("set ")
    assert rows["quick-lookup.md"]["action"] == "keep (model set; --force replaces it)"
    assert rows["code-reviewer.md"]["action"] == "keep (already set)"


def test_apply_twice_changes_nothing_the_second_time(tmp_path, capsys):
    folder = copy_data(tmp_path)
    apply(capsys, str(folder), "--apply")
    once = snapshot(folder)
    _code, rows = apply(capsys, str(folder), "--apply")
    assert snapshot(folder) == once
    assert not any(row["changed"] for row in rows.values())


def test_force_replaces_a_set_model(tmp_path, capsys):
    folder = copy_data(tmp_path)
    old = (folder / "quick-lookup.md").read_bytes()
    _code, rows = apply(capsys, str(folder / "quick-lookup.md"), "--apply", "--force")
    assert rows["quick-lookup.md"]["action"] == "replaced opus -> haiku"
    assert_only_model_line(old, (folder / "quick-lookup.md").read_bytes(), "haiku")


def test_apply_on_crlf_file_through_the_cli(tmp_path, cli):
    path = tmp_path / "crlf.md"
    old = (DATA / "security-auditor.md").read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(old)
    proc = cli("tier-agents", str(path), "--apply")
    assert proc.returncode == 0, proc.stderr
    assert "set opus" in proc.stdout
    assert_only_model_line(old, path.read_bytes(), "opus")
    assert b"model: opus\r\n" in path.read_bytes()


def test_write_failure_exits_1(tmp_path, capsys, monkeypatch):
    folder = copy_data(tmp_path)

    def fail(agent, model):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(agentfiles, "write_model", fail)
    code, rows = apply(capsys, str(folder / "test-writer.md"), "--apply")
    assert code == 1
    assert rows["test-writer.md"]["action"].startswith("failed: cannot write")
    assert rows["test-writer.md"]["error"]


def test_file_ruamel_cannot_edit_is_reported_in_one_line(tmp_path, capsys):
    path = tmp_path / "dup.md"
    path.write_bytes(b"---\nname: a\nname: b\ndescription: explores code\n---\n")
    code, rows = apply(capsys, str(path), "--apply")
    assert code == 1
    assert rows["dup.md"]["error"] == ('ruamel.yaml cannot edit this file: invalid YAML in the frontmatter '
                                       'at line 3: found duplicate key "name" with value "b" (original value: "a")')
    assert path.read_bytes() == b"---\nname: a\nname: b\ndescription: explores code\n---\n"
