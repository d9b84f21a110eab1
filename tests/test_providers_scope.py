"""Scope (issue 10, finding 7): each CLI provider maps request.scope to its CLI's own mechanism.

Read-only must take away writing and running commands; write must stay what it was. Fake CLIs
record the real argv and environment. Whether the real CLIs honour these flags is checked
against the binaries in tests/contract/test_cli_scope.py."""

import json

import pytest
from llm_router import providers
from llm_router.errors import NotConfigured
from llm_router.providers import gemini
from llm_router.providers.base import Request
from mocks.fake_cli import FakeCLI

OK = {
    "claude": [{"type": "result", "is_error": False, "result": "pong", "session_id": "s"}],
    "codex": [{"type": "thread.started", "thread_id": "t"},
              {"type": "item.completed", "item": {"type": "agent_message", "text": "pong"}},
              {"type": "turn.completed", "usage": {}}],
    "copilot": [{"type": "assistant.message", "data": {"content": "pong"}},
                {"type": "result", "sessionId": "s", "exitCode": 0}],
    "gemini": [json.dumps({"session_id": "s", "response": "pong", "stats": {}})],
    "opencode": [{"type": "text", "sessionID": "s", "part": {"type": "text", "text": "pong"}}],
}
MODEL = {"claude": "claude-haiku-4-5", "codex": "gpt-5.2", "copilot": "gpt-5.2",
         "gemini": "gemini-2.5-flash", "opencode": "zai/glm-4.7"}


@pytest.fixture
def cli(fake_bin, tmp_path):
    """run(name, scope, **options) -> the fake's recorded call."""

    def run(name, scope, request=None, **options):
        folder = tmp_path / f"{name}-{scope}-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        fake = FakeCLI(fake_bin, folder, name)
        opts = fake.script(stdout=OK[name], **options)
        result = providers.get(name).run(Request(prompt="read the code", model=MODEL[name],
                                                 cwd=str(tmp_path), options=opts, scope=scope,
                                                 **(request or {})), 10)
        assert result.text == "pong"
        return fake

    return run


def flag_value(argv, flag):
    return argv[argv.index(flag) + 1] if flag in argv else None


# ---- codex -----------------------------------------------------------------------------------

def test_codex_read_only_is_the_read_only_sandbox_whatever_the_policy_says(cli):
    argv = cli("codex", "read-only", sandbox="danger-full-access").argv
    assert flag_value(argv, "--sandbox") == "read-only"
    assert argv.count("--sandbox") == 1


def test_codex_write_keeps_the_policy_sandbox_or_none(cli):
    assert flag_value(cli("codex", "write", sandbox="workspace-write").argv, "--sandbox") == "workspace-write"
    assert "--sandbox" not in cli("codex", "write").argv


def test_codex_resumed_read_only_sets_the_sandbox_through_config(cli):
    argv = cli("codex", "read-only", request={"resume_session_id": "01a2"}).argv
    assert argv[:3] == ["exec", "resume", "01a2"]
    assert "--sandbox" not in argv  # `exec resume` rejects it
    assert 'sandbox_mode="read-only"' in argv and argv[argv.index('sandbox_mode="read-only"') - 1] == "-c"


# ---- copilot ---------------------------------------------------------------------------------

def test_copilot_read_only_offers_only_reading_tools_and_never_allows_all(cli):
    argv = cli("copilot", "read-only").argv
    assert "--allow-all-tools" not in argv and "--yolo" not in argv and "--allow-all" not in argv
    assert "--available-tools=view,grep,glob" in argv
    assert {"--deny-tool=write", "--deny-tool=shell"} <= set(argv)
    assert "--no-ask-user" in argv  # still never waits for a question


def test_copilot_write_keeps_allow_all_tools(cli):
    argv = cli("copilot", "write").argv
    assert "--allow-all-tools" in argv
    assert not any(arg.startswith(("--available-tools", "--deny-tool")) for arg in argv)


# ---- gemini ----------------------------------------------------------------------------------

def test_gemini_read_only_is_plan_mode_with_an_admin_policy_and_no_skip_trust(cli):
    argv = cli("gemini", "read-only", approval_mode="yolo").argv
    assert "--skip-trust" not in argv
    assert flag_value(argv, "--approval-mode") == "plan" and argv.count("--approval-mode") == 1
    assert flag_value(argv, "--admin-policy").endswith("read-only.toml")


def test_gemini_write_keeps_skip_trust_and_the_policy_mode(cli):
    argv = cli("gemini", "write", approval_mode="auto_edit").argv
    assert "--skip-trust" in argv and "--admin-policy" not in argv
    assert flag_value(argv, "--approval-mode") == "auto_edit"
    assert "--approval-mode" not in cli("gemini", "write").argv


def test_gemini_read_only_policy_denies_everything_but_reading(tmp_path):
    import tomllib

    providers.get("gemini").command(
        Request(prompt="x", model="m", scope="read-only"), "gemini", str(tmp_path))
    rules = tomllib.loads((tmp_path / "read-only.toml").read_text())["rule"]
    deny = next(rule for rule in rules if rule["decision"] == "deny")
    allow = next(rule for rule in rules if rule["decision"] == "allow")
    assert deny["toolName"] == "*" and allow["priority"] > deny["priority"]
    assert set(allow["toolName"]) == {"read_file", "read_many_files", "list_directory", "glob",
                                      "grep_search"}
    assert not {"write_file", "replace", "run_shell_command", "exit_plan_mode"} & set(allow["toolName"])


def test_gemini_read_only_refuses_when_system_policies_would_shadow_ours(cli, tmp_path, monkeypatch):
    system = tmp_path / "etc-policies"
    system.mkdir()
    (system / "corp.toml").write_text("")
    monkeypatch.setattr(gemini, "SYSTEM_POLICIES", str(system))
    with pytest.raises(NotConfigured, match="ignore the policy"):
        cli("gemini", "read-only")


def test_gemini_untrusted_folder_in_read_only_says_why_and_how(fake_bin, tmp_path):
    fake = FakeCLI(fake_bin, tmp_path, "gemini")
    options = fake.script(stderr="Gemini CLI is not running in a trusted directory.\n", exit=55)
    with pytest.raises(NotConfigured) as info:
        providers.get("gemini").run(Request(prompt="x", model="m", options=options,
                                            scope="read-only"), 10)
    assert "never passes --skip-trust" in info.value.message
    assert "trust the folder in gemini" in info.value.hint


# ---- opencode --------------------------------------------------------------------------------

def test_opencode_read_only_is_the_plan_agent_with_a_read_only_permission(cli):
    fake = cli("opencode", "read-only", agent="build")
    assert flag_value(fake.argv, "--agent") == "plan" and fake.argv.count("--agent") == 1
    permission = json.loads(fake.env["OPENCODE_PERMISSION"])
    assert permission["*"] == "deny"
    allowed = {name for name, rule in permission.items() if rule != "deny"}
    assert allowed == {"read", "grep", "glob", "list"}
    assert permission["read"]["*.env"] == "deny"
    assert fake.env["OPENCODE_DISABLE_PROJECT_CONFIG"] == "1"  # a repo cannot loosen `plan`


def test_opencode_write_keeps_the_policy_agent_and_permissions(cli):
    fake = cli("opencode", "write", agent="build")
    assert flag_value(fake.argv, "--agent") == "build"
    assert "OPENCODE_PERMISSION" not in fake.env and "OPENCODE_DISABLE_PROJECT_CONFIG" not in fake.env
    assert "--agent" not in cli("opencode", "write").argv


# ---- claude ----------------------------------------------------------------------------------

@pytest.mark.parametrize("tools, expected", [
    ("", ""), ("default", "Read,Grep,Glob"), ("Bash,Edit,Read,Grep", "Read,Grep"),
    (["Write", "Glob", "Bash(git *)"], "Glob"), ("Read Grep", "Read,Grep")])
def test_claude_read_only_keeps_only_reading_tools_in_plan_mode(cli, tools, expected):
    argv = cli("claude", "read-only", tools=tools, permission_mode="bypassPermissions").argv
    assert flag_value(argv, "--tools") == expected
    assert flag_value(argv, "--permission-mode") == "plan" and argv.count("--permission-mode") == 1


def test_claude_write_keeps_the_policy_tools_and_mode(cli):
    argv = cli("claude", "write", tools="default", permission_mode="acceptEdits").argv
    assert flag_value(argv, "--tools") == "default"
    assert flag_value(argv, "--permission-mode") == "acceptEdits"
    argv = cli("claude", "write").argv
    assert flag_value(argv, "--tools") == "" and "--permission-mode" not in argv


# ---- the policy cannot undo read-only ------------------------------------------------------

@pytest.mark.parametrize("name, options", [
    ("copilot", {"args": ["--allow-all-tools"]}), ("copilot", {"args": ["--yolo"]}),
    ("copilot", {"args": ["--allow-tool=shell"]}), ("copilot", {"env": {"COPILOT_ALLOW_ALL": "true"}}),
    ("codex", {"args": ["--sandbox", "danger-full-access"]}),
    ("codex", {"args": ["--dangerously-bypass-approvals-and-sandbox"]}),
    ("codex", {"args": ["-c", 'sandbox_mode="workspace-write"']}),
    ("gemini", {"args": ["--yolo"]}), ("gemini", {"args": ["--approval-mode=auto_edit"]}),
    ("gemini", {"args": ["--skip-trust"]}), ("gemini", {"env": {"GEMINI_CLI_TRUST_WORKSPACE": "true"}}),
    ("opencode", {"args": ["--agent", "build"]}), ("opencode", {"args": ["--auto"]}),
    ("opencode", {"env": {"OPENCODE_PERMISSION": '{"*": "allow"}'}}),
    ("claude", {"args": ["--permission-mode", "bypassPermissions"]}),
    ("claude", {"args": ["--dangerously-skip-permissions"]}), ("claude", {"args": ["--tools=Bash"]}),
])
def test_read_only_refuses_policy_args_or_env_that_would_undo_it(cli, name, options):
    with pytest.raises(NotConfigured, match="refused a read-only task") as info:
        cli(name, "read-only", **options)
    assert "remove" in info.value.hint


@pytest.mark.parametrize("name, options", [
    ("copilot", {"args": ["--allow-all-tools"]}), ("gemini", {"args": ["--yolo"]}),
    ("opencode", {"args": ["--auto"]}), ("claude", {"args": ["--dangerously-skip-permissions"]}),
])
def test_write_scope_passes_the_same_args_through(cli, name, options):
    assert options["args"][0] in cli(name, "write", **options).argv


def test_harmless_extra_args_do_not_block_read_only(cli):
    assert "--reasoning-effort=low" in cli("copilot", "read-only", args=["--reasoning-effort=low"]).argv


def test_an_unknown_scope_fails_closed(cli):
    argv = cli("copilot", "none-such").argv
    assert "--allow-all-tools" not in argv


def test_opencode_runs_in_the_requested_folder_not_in_pwd(cli, tmp_path):
    """opencode takes its project (permissions, config, external_directory) from --dir or $PWD,
    never from the process's cwd: without --dir it judged the caller's folder."""
    assert flag_value(cli("opencode", "read-only").argv, "--dir") == str(tmp_path)
