"""A full disk: `mode on/off` fail with a clear error and leave the mode as it was; `invoke` says
that its ledger row could not be written instead of "ok" with no row.

The full disk is real, two ways (each test runs with both):
  rlimit  RLIMIT_FSIZE = 0 in the process under test: creating a file works, the first byte
          written to a regular file fails (EFBIG), which is how ENOSPC strikes a real disk
          (the inode is there, the data block is not). Works unprivileged on any Linux/macOS.
  tmpfs   a small tmpfs filled up with `dd`, in a user and mount namespace (`unshare -rm`): a
          true ENOSPC. Skipped where unprivileged user namespaces are off.
"""

import json
import os
import resource
import shutil
import subprocess
import sys

import pytest

from conftest import BIN
from test_invoke_cli import DROP_INTERPRETER_ARGS, FAKE_MODULE, LAUNCHER, OVERRIDE, write_policy

LIB = str(BIN.parent.parent / "lib")

# Inside the namespace: mount a small tmpfs, copy the data dir in, fill it, run the command,
# then copy the result back out so that the test can look at it.
_IN_NAMESPACE = r'''
mnt=$1 src=$2; shift 2
mount -t tmpfs -o size=16m tmpfs "$mnt" || exit 97
cp -a "$src"/. "$mnt"/ || exit 98
dd if=/dev/zero of="$mnt/.fill" bs=65536 2>/dev/null
"$@"; rc=$?
rm -f "$mnt/.fill"
cp -a "$mnt"/. "$src"/
exit $rc
'''


def _tmpfs_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def _no_file_growth() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


@pytest.fixture(params=["rlimit", "tmpfs"])
def full_disk(request, data_dir, tmp_path):
    """run(argv, env) -> CompletedProcess (text): argv with the data dir on a full disk."""
    if request.param == "tmpfs" and not _tmpfs_works():
        pytest.skip("no unprivileged user+mount namespaces here (unshare -rm)")
    mount = tmp_path / "full"
    mount.mkdir()

    def run(argv, env=None):
        env = {**os.environ, **(env or {})}
        if request.param == "rlimit":
            return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60,
                                  stdin=subprocess.DEVNULL, preexec_fn=_no_file_growth)
        env.update(LLM_ROUTER_HOME=str(mount), CLAUDE_PLUGIN_DATA=str(mount))
        out = subprocess.run(["unshare", "-rm", "sh", "-c", _IN_NAMESPACE, "sh", str(mount),
                              str(data_dir), *argv],
                             capture_output=True, text=True, env=env, timeout=60,
                             stdin=subprocess.DEVNULL)
        assert out.returncode not in (97, 98), out.stderr
        return out

    run.kind = request.param
    return run


def leftovers(data_dir) -> list[str]:
    return sorted(name for name in os.listdir(data_dir) if ".tmp." in name)


@pytest.mark.parametrize("start, action", [(True, "off"), (False, "on")])
def test_mode_on_a_full_disk_fails_clearly_and_keeps_the_mode(cli, data_dir, full_disk, start, action):
    assert cli("mode", "on" if start else "off").returncode == 0
    before = (data_dir / "external-mode.json").read_bytes()
    out = full_disk([str(BIN), "mode", action])
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr
    assert f"cannot turn external mode {action.upper()}" in out.stderr
    assert f"external mode is {'ON' if start else 'OFF'}" in out.stderr  # what is still true
    assert "fix: free space" in out.stderr
    assert (data_dir / "external-mode.json").read_bytes() == before
    assert leftovers(data_dir) == []
    status = json.loads(cli("mode", "status", "--json").stdout)
    assert status["enabled"] is start


@pytest.fixture
def fake_providers(tmp_path, data_dir):
    """Env for bin/llm-router with fake providers that write no file (the disk is full)."""
    write_policy(data_dir, OVERRIDE)
    folder = tmp_path / "fakeprov"
    folder.mkdir()
    (folder / "fake_providers.py").write_text(FAKE_MODULE)
    (folder / "launch.py").write_text(LAUNCHER.format(lib=LIB, fake_dir=str(folder)))
    python = folder / "python"
    python.write_text(f'#!/bin/sh\n{DROP_INTERPRETER_ARGS}exec "{sys.executable}" "{folder / "launch.py"}" "$@"\n')
    python.chmod(0o755)
    return {"LLM_ROUTER_PYTHON": str(python), "FAKE_PROVIDERS": "{}", "FAKE_CALLS": os.devnull}


def ledger_rows(cli) -> int:
    stats = json.loads(cli("stats", "--json").stdout)
    return stats["total"]["calls"]


def test_invoke_on_a_full_disk_says_its_row_was_not_recorded(cli, full_disk, fake_providers):
    out = full_disk([str(BIN), "invoke", "--model", "t/one", "-p", "hi"], fake_providers)
    assert out.returncode == 0, out.stderr  # the answer was delivered: see commands/invoke.py
    assert out.stdout == "answer from copilot\n"
    assert "Traceback" not in out.stderr
    assert "warning: 1 attempt(s) of this call not recorded" in out.stderr
    assert "fix: free space on the disk" in out.stderr

    out = full_disk([str(BIN), "invoke", "--model", "t/one", "-p", "hi", "--json"], fake_providers)
    payload = json.loads(out.stdout)
    assert payload["text"] == "answer from copilot"
    assert "could not record this call" in payload["ledger_error"]
    assert ledger_rows(cli) == 0  # nothing claims a row that is not there


def test_invoke_reports_a_ledger_failure_when_every_provider_fails_too(cli, full_disk, fake_providers):
    plan = {name: {"error": "AuthError"} for name in ("copilot", "opencode", "gemini")}
    out = full_disk([str(BIN), "invoke", "--model", "t/one", "-p", "hi", "--json"],
                    {**fake_providers, "FAKE_PROVIDERS": json.dumps(plan)})
    assert out.returncode == 1
    payload = json.loads(out.stdout)
    assert payload["error"] and "could not record this call" in payload["ledger_error"]
    assert "not recorded" in out.stderr


def test_invoke_on_a_normal_disk_records_and_says_nothing(cli, fake_providers):
    out = cli("invoke", "--model", "t/one", "-p", "hi", "--json", env=fake_providers)
    assert out.returncode == 0 and "not recorded" not in out.stderr
    assert json.loads(out.stdout)["ledger_error"] is None
    assert ledger_rows(cli) == 1
