"""bin/llm-router: exit codes, JSON shapes, errors in one or two lines without tracebacks."""

import json

from llm_router import __version__


def test_version(cli):
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"llm-router {__version__}"


def test_no_command_and_unknown_command_are_usage_errors(cli):
    assert cli().returncode == 2
    out = cli("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_mode_on_off_status_json(cli, data_dir):
    assert cli("mode", "on", "--reason", "try it").returncode == 0
    status = json.loads(cli("mode", "status", "--json").stdout)
    assert status["enabled"] is True and status["reason"] == "try it"
    assert status["activated_at"].endswith("Z")
    assert status["tier_map"] == {"opus": "copilot/gpt-5.2", "sonnet": "copilot/claude-sonnet-4.5",
                                  "haiku": "copilot/claude-haiku-4.5"}
    assert cli("mode", "off").returncode == 0
    assert json.loads(cli("mode", "status", "--json").stdout)["enabled"] is False
    assert json.loads((data_dir / "external-mode.json").read_text())["enabled"] is False


def test_corrupt_state_warns_once_on_stderr(cli, data_dir):
    (data_dir / "external-mode.json").write_text("{oops")
    out = cli("mode", "status", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["enabled"] is False
    assert out.stderr.count("is corrupt;") == 1


def test_invalid_policy_is_a_config_error_without_traceback(cli, data_dir):
    (data_dir / "model-policy.json").write_text('{"claude_to_external_map": {"opus": 3}}')
    for args in (("mode", "status"), ("policy", "validate")):
        out = cli(*args)
        assert out.returncode == 2
        assert "Traceback" not in out.stderr
        assert "model-policy.json: $.claude_to_external_map.opus" in out.stderr
        assert 1 <= len(out.stderr.strip().splitlines()) <= 2


def test_policy_show_and_validate_json(cli):
    shown = json.loads(cli("policy", "show", "--json").stdout)
    assert "external_models" in shown["policy"] and shown["files"][0].endswith("model-policy.json")
    valid = json.loads(cli("policy", "validate", "--json").stdout)
    assert valid["valid"] is True


def test_doctor_reports_each_cli_with_a_fix(cli, fake_bin):
    fake_bin("codex", "print('codex-cli 9.9.9')")
    out = cli("doctor", env={"PATH": str(fake_bin.folder) + ":/usr/bin:/bin", "CODEX_API_KEY": ""})
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    codex = next(line for line in lines if line[2:].startswith("codex:"))
    assert "codex-cli 9.9.9" in codex and "no login found" in codex
    gemini_at = next(i for i, line in enumerate(lines) if line[2:].startswith("gemini:"))
    assert "not on PATH" in lines[gemini_at] and "npm install -g @google/gemini-cli" in lines[gemini_at + 1]
    for word in ("python", "data dir", "venv", "policy", "mode"):
        assert any(line[2:].startswith(word) for line in lines), word


def test_doctor_fails_on_an_unusable_data_dir(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = cli("doctor", env={"LLM_ROUTER_HOME": str(blocker / "data")})
    assert out.returncode == 1 and "data dir" in out.stdout and "fix:" in out.stdout


def test_a_reader_that_goes_away_gets_exit_1_and_no_noise(data_dir):
    import os
    import subprocess

    from conftest import BIN

    read_end, write_end = os.pipe()
    os.close(read_end)  # like `llm-router ... | head -c0` once head has exited
    try:
        proc = subprocess.run([str(BIN), "mode", "status", "--json"], stdout=write_end,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 1
    assert b"Exception ignored" not in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
