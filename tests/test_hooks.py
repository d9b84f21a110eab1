"""Hooks as Claude Code runs them (through hooks/launch.sh): output contract and failing open.

Every hook must exit 0 and print nothing on bad input, and print at most one JSON object.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

LAUNCH = ROOT / "hooks" / "launch.sh"
HOOKS = ("session_start", "user_prompt_submit", "pre_tool_use")


def run_hook(name, stdin, env=None, root=ROOT):
    data = stdin if isinstance(stdin, bytes) else stdin.encode()
    full_env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
                "LLM_ROUTER_AUTO_SETUP": "0", **(env or {})}
    proc = subprocess.run(["/bin/sh", str(root / "hooks" / "launch.sh"), name], input=data,
                          capture_output=True, env=full_env, timeout=60)
    return proc


def event(name, **fields):
    base = {"session_id": "s1", "transcript_path": "/tmp/x.jsonl", "cwd": "/tmp", "hook_event_name": name}
    base.update(fields)
    return json.dumps(base)


def test_session_start_prints_nothing_when_mode_is_off():
    proc = run_hook("session_start", event("SessionStart", source="startup"))
    assert proc.returncode == 0 and proc.stdout == b""


def test_session_start_announces_mode_to_model_and_user(cli):
    cli("mode", "on", "--reason", "saving quota")
    proc = run_hook("session_start", event("SessionStart", source="startup"))
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    context = out["hookSpecificOutput"]["additionalContext"]
    assert out["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert context.startswith("external-mode:enabled")
    assert "since 20" in context and "saving quota" in context
    assert "opus -> copilot/gpt-5.2" in context and "haiku -> copilot/claude-haiku-4.5" in context
    assert out["systemMessage"].startswith("🔌 llm-router: external mode is ON")
    assert proc.stdout.count(b"\n") == 1  # exactly one JSON object


def test_announcement_follows_the_policy_override(cli, project_dir):
    (project_dir / ".claude").mkdir()
    (project_dir / ".claude" / "llm-router.json").write_text('{"claude_to_external_map": {"haiku": "opencode/big-pickle"}}')
    cli("mode", "on")
    proc = run_hook("session_start", event("SessionStart", source="resume"))
    assert "haiku -> opencode/big-pickle" in json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]


BAD_INPUTS = {
    "empty": b"",
    "invalid json": b"{not json",
    "not an object": b"[1, 2, 3]",
    "missing fields": b"{}",
    "non utf8": b'{"prompt": "\xff\xfe"}',
    "ten megabytes": json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": "x" * 10_000_000}).encode(),
}


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("label", BAD_INPUTS)
def test_hooks_survive_bad_input_silently(hook, label):
    proc = run_hook(hook, BAD_INPUTS[label])
    assert proc.returncode == 0 and proc.stdout == b"", proc.stderr


@pytest.mark.parametrize("hook", HOOKS)
def test_hooks_survive_a_corrupt_state_file(hook, data_dir):
    (data_dir / "external-mode.json").write_bytes(b"\x00garbage{")
    payload = {"session_start": event("SessionStart", source="startup"),
               "user_prompt_submit": event("UserPromptSubmit", prompt="hello there"),
               "pre_tool_use": event("PreToolUse", tool_name="Agent", tool_input={"subagent_type": "x"})}[hook]
    proc = run_hook(hook, payload)
    assert proc.returncode == 0 and proc.stdout == b""
    if hook == "session_start":  # the one hook that reads the mode on every run
        log = data_dir / "llm-router.log"
        assert "corrupt" in log.read_text()
        assert oct(log.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("hook", HOOKS)
def test_hooks_survive_an_unwritable_data_dir(hook, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = {"LLM_ROUTER_HOME": str(blocker / "data"), "CLAUDE_PLUGIN_DATA": str(blocker / "data")}
    proc = run_hook(hook, event("SessionStart", source="startup", prompt="hello there"), env)
    assert proc.returncode == 0 and proc.stdout == b""


def test_a_toggle_that_cannot_be_saved_fails_open(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = {"LLM_ROUTER_HOME": str(blocker / "data"), "CLAUDE_PLUGIN_DATA": str(blocker / "data")}
    proc = run_hook("user_prompt_submit", event("UserPromptSubmit", prompt="switch to external models"), env)
    assert proc.returncode == 0 and proc.stdout == b""


_IMPORTS_AFTER_HOOK = """
import io, os, sys
sys.argv = sys.argv[1:]
sys.stdin = io.TextIOWrapper(io.BytesIO(os.environ["EVENT"].encode()))
try:
    exec(compile(open(sys.argv[0]).read(), sys.argv[0], "exec"), {"__name__": "__main__", "__file__": sys.argv[0]})
except SystemExit:
    pass
heavy = {"json", "re", "subprocess", "jsonschema", "ruamel", "frontmatter", "jq", "urllib", "sqlite3",
         "contextlib", "dataclasses", "typing"}
print(sorted(m for m in sys.modules if m.split(".")[0] in heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("hook,payload", [
    ("session_start", event("SessionStart", source="startup")),
    ("user_prompt_submit", event("UserPromptSubmit", prompt="please refactor the parser in utils.py")),
    ("pre_tool_use", event("PreToolUse", tool_name="Agent", tool_input={"subagent_type": "llm-router:explorer"})),
])
def test_hot_path_imports_only_light_standard_modules(hook, payload):
    """With mode off, a hook must not import json/re or any heavy module (that is its speed)."""
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", _IMPORTS_AFTER_HOOK, str(ROOT / "hooks" / "run.py"), hook],
                          env={**os.environ, "EVENT": payload, "LLM_ROUTER_AUTO_SETUP": "0"},
                          capture_output=True, text=True, timeout=30)
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_hooks_json_uses_the_launcher_with_timeouts():
    config = json.loads((ROOT / "hooks" / "hooks.json").read_text())["hooks"]
    assert config["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    for entries in config.values():
        for handler in entries[0]["hooks"]:
            assert handler["command"] == "/bin/sh"
            assert handler["args"][0] == "${CLAUDE_PLUGIN_ROOT}/hooks/launch.sh"
            assert 0 < handler["timeout"] <= 10


def test_hooks_stay_silent_inside_a_cli_the_router_started(cli):
    cli("mode", "on")
    proc = run_hook("session_start", event("SessionStart", source="startup"), {"LLM_ROUTER_DEPTH": "1"})
    assert proc.returncode == 0 and proc.stdout == b""
    proc = run_hook("user_prompt_submit", event("UserPromptSubmit", prompt="go back to claude"),
                    {"LLM_ROUTER_DEPTH": "1"})
    assert proc.returncode == 0 and proc.stdout == b""
