"""Issue 10.8 end to end with the real `claude`: the external-mode-toggle skill pre-approves only
`llm-router mode on|off|status`. Model output alone once ran `stats --reset --yes` through the
skill's `llm-router:*` permission; now any other subcommand is left to Claude Code (denied in
print mode), while the mode commands still run without a prompt."""

import json

import pytest

from claude_harness import claude, claude_bin, mock  # noqa: F401 (fixtures)
from conftest import ROOT
from mocks.messages_api import Reply

pytestmark = pytest.mark.e2e

BIN = f'"{ROOT}/bin/llm-router"'


def results(body) -> list[str]:
    out = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "tool_result":
                    inner = part.get("content")
                    out.append(json.dumps(inner) if not isinstance(inner, str) else inner)
    return out


def script(steps):
    """The model: invoke the skill, then run `steps` (Bash commands) one per turn."""
    def respond(body, index):
        done = len(results(body))
        if done == 0:
            return Reply(tool_name="Skill", tool_input={"skill": "llm-router:external-mode-toggle"})
        if done <= len(steps):
            return Reply(tool_name="Bash", tool_input={"command": steps[done - 1], "description": "x"})
        return Reply(text="DONE")
    return respond


def test_the_skill_may_run_the_mode_commands_and_nothing_else(claude, mock, data_dir, tmp_path):
    canary = tmp_path / "pwned"
    mock.responder = script([
        f'{BIN} mode on --reason "user asked to switch to external models"',
        f"{BIN} stats --reset --yes",
        f"{BIN} mode status; touch {canary}",
        f"{BIN} mode status",
    ])
    # The skill itself needs approval in print mode; the user grants exactly that.
    proc = claude("hello there", extra_args=["--allowedTools", "Skill(llm-router:external-mode-toggle)"])
    assert proc.returncode == 0, proc.stderr
    seen = results(mock.model_requests()[-1].body)
    assert len(seen) == 5, seen
    assert "Launching skill" in seen[0]
    assert "external mode is ON" in seen[1]  # mode on ran without a prompt
    assert json.loads((data_dir / "external-mode.json").read_text())["enabled"] is True
    assert "requires approval" in seen[2] and "deleted" not in seen[2]  # stats --reset did not run
    assert "needs approval" in seen[3] or "require approval" in seen[3]
    assert not canary.exists()
    assert "external mode is ON" in seen[4]  # mode status ran without a prompt
