"""Run the real `claude` binary against the loopback Messages mock, isolated from the
developer's own Claude Code: its own HOME, no inherited session variables, this repo loaded
with --plugin-dir (or installed through the marketplace by the test)."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = Path(os.environ.get("LLM_ROUTER_TOOLS_BIN", ROOT / ".tools" / "node_modules" / ".bin"))


def claude_binary() -> str | None:
    candidate = TOOLS_BIN / "claude"
    if candidate.exists():
        return str(candidate)
    return shutil.which("claude")


def claude_env(home: Path, mock_url: str, extra: dict | None = None) -> dict:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "TERM", "LLM_ROUTER_PYTHON")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": mock_url,
        "ANTHROPIC_API_KEY": "sk-ant-test-loopback-only-0000000000",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "LLM_ROUTER_AUTO_SETUP": "0",  # no background pip installs inside tests
    })
    env.update(extra or {})
    return env


def run_claude(args: list[str], home: Path, mock_url: str, extra_env: dict | None = None,
               cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    binary = claude_binary()
    assert binary, "the claude binary is not installed (run .ci/run or `npm ci` in .tools/)"
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([binary, *args], env=claude_env(home, mock_url, extra_env),
                          cwd=str(cwd or home), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


# ---- pytest fixtures for e2e tests (import them into the test module) -------------------

import pytest  # noqa: E402

from mocks.messages_api import MessagesMock  # noqa: E402


@pytest.fixture(scope="session")
def claude_bin():
    binary = claude_binary()
    if not binary:
        if not os.environ.get("CI"):
            pytest.skip("the claude binary is not installed (scripts/test installs it into .tools/)")
        pytest.fail("CI must have the claude binary: scripts/test installs it into .tools/")
    return binary


@pytest.fixture
def mock():
    with MessagesMock() as server:
        yield server


@pytest.fixture
def claude(claude_bin, mock, tmp_path, data_dir):
    """claude(prompt, ...) -> CompletedProcess, with this repo as --plugin-dir by default."""
    home = tmp_path / "home"

    def run(prompt, plugin_dir=ROOT, extra_env=None, extra_args=(), timeout=120):
        args = ["-p", "--output-format", "json", *extra_args]
        if plugin_dir is not None:
            args += ["--plugin-dir", str(plugin_dir)]
        env = {"LLM_ROUTER_HOME": str(data_dir), **(extra_env or {})}
        return run_claude([*args, prompt], home, mock.url, env, timeout=timeout)

    run.home = home
    return run
