"""Hermetic test setup shared by every test.

Each test gets its own data dir (LLM_ROUTER_HOME and CLAUDE_PLUGIN_DATA), its own project
dir, no provider overrides from the developer's shell, and `bin/llm-router` running under
the test interpreter (LLM_ROUTER_PYTHON) so the packages from requirements are importable.
"""

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
BIN = ROOT / "bin" / "llm-router"
sys.path.insert(0, str(LIB))

_LEAKY_VARS = (
    "LLM_ROUTER_MODEL", "LLM_ROUTER_PROVIDER", "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SESSION_ID", "CLAUDE_PLUGIN_ROOT", "CLAUDE_ENV_FILE",
    "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    data = tmp_path / "data"
    project = tmp_path / "project"
    data.mkdir()
    project.mkdir()
    monkeypatch.setenv("LLM_ROUTER_HOME", str(data))
    monkeypatch.setenv("CLAUDE_PLUGIN_DATA", str(data))
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(project))
    monkeypatch.setenv("LLM_ROUTER_PYTHON", sys.executable)
    for var in _LEAKY_VARS:
        monkeypatch.delenv(var, raising=False)
    return {"data": data, "project": project}


@pytest.fixture
def data_dir(isolated_env):
    return isolated_env["data"]


@pytest.fixture
def project_dir(isolated_env):
    return isolated_env["project"]


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    """A folder put first on PATH; `make(name, python_body)` drops an executable there."""
    folder = tmp_path / "fakebin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")

    def make(name: str, body: str) -> Path:
        path = folder / name
        path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    make.folder = folder
    return make


def run_cli(*args: str, input: str | bytes | None = None, env: dict | None = None,
            timeout: float = 60, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run bin/llm-router as a user would; text in, text out."""
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run([str(BIN), *args], input=data, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, cwd=cwd,
                          stdin=None if data is not None else subprocess.DEVNULL)
    proc.stdout = proc.stdout.decode("utf-8", "replace")
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    return proc


@pytest.fixture
def cli():
    return run_cli
