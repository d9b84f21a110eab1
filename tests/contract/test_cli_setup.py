"""How the contract tests find the real CLIs: LLM_ROUTER_TOOLS_BIN (default .tools/node_modules/.bin);
a missing one is a skip on a laptop and a failure under CI."""

import pytest
from _contract import real_binary, tools_bin

pytestmark = pytest.mark.contract


def test_the_tools_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LLM_ROUTER_TOOLS_BIN", str(tmp_path))
    assert tools_bin() == tmp_path
    monkeypatch.delenv("LLM_ROUTER_TOOLS_BIN")
    assert tools_bin().parts[-3:] == (".tools", "node_modules", ".bin")


def test_a_missing_cli_skips_outside_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("LLM_ROUTER_TOOLS_BIN", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        real_binary("codex")


def test_a_missing_cli_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("LLM_ROUTER_TOOLS_BIN", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        real_binary("codex")
