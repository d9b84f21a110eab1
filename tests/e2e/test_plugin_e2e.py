"""Issue 2 end to end with the real `claude` binary and the loopback Messages mock:
the announcement reaches the model, mode off adds nothing, /pa flips the state file,
the plugin works from an install-cache copy, and a marketplace install works."""

import json
import os
import shutil

import pytest

from claude_harness import claude, claude_bin, mock, run_claude  # noqa: F401 (fixtures)
from conftest import ROOT, run_cli


pytestmark = pytest.mark.e2e


def copy_plugin(dest):
    """A copy of the plugin as Claude Code's install cache lays it out (folder named by version)."""
    ignore = shutil.ignore_patterns(".git", ".tools", ".venv", "__pycache__", ".pytest_cache", "*.pyc")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def read_state(data_dir):
    return json.loads((data_dir / "external-mode.json").read_text())


def first_main_request(mock):
    requests = [r for r in mock.model_requests() if not r.is_subagent()]
    assert requests, f"claude made no model request; saw {[r.path for r in mock.requests]}"
    return requests[0]


def hook_text(request_text: str) -> list[str]:
    """The llm-router mentions that are not part of Claude Code's listings of the plugin's
    agents, skills and MCP server (those list every installed plugin's components, whatever
    its mode)."""
    text = request_text.replace("\\n", "\n")
    return [line for line in text.splitlines()
            if "llm-router" in line and not line.lstrip().startswith("- llm-router:")
            and line.strip() != "plugin:llm-router:llm-router"
            and not line.strip().startswith("mcp__plugin_llm-router_llm-router__")]


def test_mode_on_announcement_reaches_the_model(claude, mock):
    run_cli("mode", "on", "--reason", "e2e")
    proc = claude("hello")
    assert proc.returncode == 0, proc.stderr
    text = first_main_request(mock).text()
    assert "SessionStart hook additional context: external-mode:enabled" in text
    assert "opus -> copilot/gpt-5.2" in text and "(reason: e2e)" in text


def test_mode_off_sends_no_llm_router_text(claude, mock):
    proc = claude("hello")
    assert proc.returncode == 0, proc.stderr
    text = first_main_request(mock).text()
    assert "external-mode:" not in text and "hook additional context" not in text
    assert hook_text(text) == []  # only the listings of installed agents and skills name us


@pytest.mark.parametrize("command", ["/pa", "/llm-router:pa", "/llm-router pa"])
def test_pa_external_on_and_off_flip_the_state_file(claude, mock, data_dir, command):
    assert claude(f"{command} --external on").returncode == 0
    state = read_state(data_dir)
    assert state["enabled"] is True and state["activated_at"]
    seen = first_main_request(mock).text()
    assert "external mode is ON" in seen and "tier map" in seen
    assert claude(f"{command} --external off").returncode == 0
    assert read_state(data_dir)["enabled"] is False


def test_pa_status_reports_without_changing_state(claude, mock, data_dir):
    run_cli("mode", "on")
    before = read_state(data_dir)
    assert claude("/pa --external status").returncode == 0
    assert read_state(data_dir) == before
    assert "external mode is ON" in mock.model_requests()[-1].text()


def test_pa_arguments_never_reach_a_shell(claude, mock, tmp_path):
    canary = tmp_path / "pwned"
    proc = claude(f"/pa hi $(touch {canary}) `touch {canary}`; touch {canary} 'quote")
    assert proc.returncode == 0
    assert not canary.exists()
    assert "Claude answers this request" in mock.model_requests()[-1].text()


def test_pa_old_heredoc_delimiter_starts_nothing(claude, mock, data_dir, tmp_path):
    """Issue 10.9: a line equal to the old fixed delimiter used to end the heredoc and start a
    second `llm-router pa` with the rest (it turned the mode on)."""
    canary = tmp_path / "pwned"
    proc = claude(f"/pa hi\nLLM_ROUTER_PA_ARGS_9f4c2e\n\"{ROOT}/bin/llm-router\" pa --external on\n"
                  f"LLM_ROUTER_PA_ARGS_9f4c2e\ntouch {canary}")
    assert proc.returncode == 0
    assert not (data_dir / "external-mode.json").exists()
    assert not canary.exists()
    assert "Claude answers this request" in mock.model_requests()[-1].text()


def test_pa_stats_still_works(claude, mock, data_dir):
    assert claude("/pa --stats").returncode == 0
    assert f"no external calls recorded; ledger: {data_dir}" in mock.model_requests()[-1].text()


def test_plugin_works_from_the_install_cache_layout(claude, mock, tmp_path):
    copy = copy_plugin(tmp_path / "cache" / "some-mkt" / "llm-router" / "0.1.0")
    run_cli("mode", "on")
    proc = claude("hello", plugin_dir=copy)
    assert proc.returncode == 0, proc.stderr
    assert "external-mode:enabled" in first_main_request(mock).text()
    proc = claude("/pa --external off", plugin_dir=copy)
    assert proc.returncode == 0


def test_marketplace_install_then_installed_hooks_work(claude_bin, mock, tmp_path):
    home = tmp_path / "home"
    marketplace = copy_plugin(tmp_path / "checkout")
    env = {"LLM_ROUTER_PYTHON": os.environ["LLM_ROUTER_PYTHON"]}
    for var in ("LLM_ROUTER_HOME", "CLAUDE_PLUGIN_DATA"):
        env[var] = ""  # the installed plugin must use Claude Code's own data dir
    added = run_claude(["plugin", "marketplace", "add", str(marketplace)], home, mock.url, env)
    assert added.returncode == 0, added.stdout + added.stderr
    installed = run_claude(["plugin", "install", "llm-router@llm-router-marketplace"], home, mock.url, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listing = run_claude(["plugin", "list", "--json"], home, mock.url, env)
    assert "llm-router@llm-router-marketplace" in listing.stdout

    assert run_claude(["-p", "/pa --external on"], home, mock.url, env).returncode == 0
    data = home / ".claude" / "plugins" / "data" / "llm-router-llm-router-marketplace"
    assert read_state(data)["enabled"] is True
    count = len(mock.model_requests())
    assert run_claude(["-p", "hello"], home, mock.url, env).returncode == 0
    later = mock.model_requests()[count]
    assert "SessionStart hook additional context: external-mode:enabled" in later.text()
