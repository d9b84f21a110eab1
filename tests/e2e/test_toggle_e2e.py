"""Issue 4 end to end with the real `claude` binary: the UserPromptSubmit hook toggles on clear
requests, tells the model, and leaves everything else alone."""

import json

import pytest

from claude_harness import claude, claude_bin, mock  # noqa: F401 (fixtures)
from conftest import run_cli

pytestmark = pytest.mark.e2e


def state(data_dir):
    path = data_dir / "external-mode.json"
    return json.loads(path.read_text()) if path.exists() else None


def last_text(mock):
    return mock.model_requests()[-1].text()


def test_go_back_to_claude_turns_mode_off_and_tells_the_model(claude, mock, data_dir):
    run_cli("mode", "on")
    proc = claude("ok, go back to claude please")
    assert proc.returncode == 0, proc.stderr
    assert state(data_dir)["enabled"] is False
    seen = last_text(mock)
    assert "UserPromptSubmit hook additional context: llm-router:toggle-applied external-mode:disabled" in seen


def test_switch_to_external_turns_mode_on(claude, mock, data_dir):
    proc = claude("Switch to external models for the rest of this session.")
    assert proc.returncode == 0
    assert state(data_dir)["enabled"] is True
    assert "llm-router:toggle-applied external-mode:enabled" in last_text(mock)


def test_talk_about_the_topic_changes_nothing_and_adds_nothing(claude, mock, data_dir):
    run_cli("mode", "on")
    before = state(data_dir)
    proc = claude("refactor the external API client")
    assert proc.returncode == 0
    assert state(data_dir) == before
    seen = last_text(mock)
    assert "UserPromptSubmit hook" not in seen and "toggle-applied" not in seen


def test_once_leaves_the_state_unchanged_and_marks_the_prompt(claude, mock, data_dir):
    proc = claude("use external for this: summarize the README in two lines")
    assert proc.returncode == 0
    assert state(data_dir) is None or state(data_dir)["enabled"] is False
    assert "llm-router:once" in last_text(mock)
