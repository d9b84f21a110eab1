"""The real `claude plugin validate` accepts the plugin (directory profile) and the marketplace."""

import os
import subprocess

import pytest

from claude_harness import claude_bin  # noqa: F401 (fixture)
from conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("args", [["--strict", "--profile", "directory", "."],
                                  ["--strict", ".claude-plugin/marketplace.json"]])
def test_validate_passes_without_warnings(claude_bin, tmp_path, args):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    proc = subprocess.run([claude_bin, "plugin", "validate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation passed" in proc.stdout and "⚠" not in proc.stdout
