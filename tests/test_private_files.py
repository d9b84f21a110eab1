"""The data dir is private: created 0700, every file in it 0600, the bytecode cache that
`-X pycache_prefix` writes there included; a data dir left wider by an earlier version is
narrowed on first use. CLIs started by the router still get the caller's umask.

Each test runs the real launchers (bin/llm-router, hooks/launch.sh) under umask 022, the usual
default, which made the data dir 0755 and every .pyc 0644 before.
"""

import json
import os
import stat
import subprocess
import sys

from conftest import BIN, ROOT
from mocks.fake_cli import FakeCLI
from test_providers_opencode import step


def run_as_user(argv, env, stdin=b""):
    """argv under umask 022 (as from a login shell), whatever umask pytest has."""
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=60,
                          env={**os.environ, "LLM_ROUTER_AUTO_SETUP": "0", **env},
                          preexec_fn=lambda: os.umask(0o022))


def loose_entries(top) -> list[str]:
    """Every entry under `top` (itself included) that group or others may use."""
    found = []
    for root, dirs, files in os.walk(top):
        for path in [root] + [os.path.join(root, name) for name in dirs + files]:
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                found.append(f"{oct(mode & 0o777)} {os.path.relpath(path, top)}")
    return sorted(set(found))


def hook_event(name: str, **fields) -> bytes:
    return json.dumps({"session_id": "s1", "cwd": "/tmp", "hook_event_name": name, **fields}).encode()


def test_a_new_data_dir_and_its_bytecode_cache_are_private(tmp_path):
    data = tmp_path / "new-data"  # does not exist yet: the first command creates it
    env = {"LLM_ROUTER_HOME": str(data), "CLAUDE_PLUGIN_DATA": str(data)}
    assert run_as_user([str(BIN), "mode", "on"], env).returncode == 0
    assert run_as_user([str(BIN), "mode", "status"], env).returncode == 0
    hook = ["/bin/sh", str(ROOT / "hooks" / "launch.sh")]
    path = {"PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    run_as_user(hook + ["session_start"], {**env, **path}, hook_event("SessionStart", source="startup"))
    run_as_user(hook + ["user_prompt_submit"], {**env, **path},
                hook_event("UserPromptSubmit", prompt="go back to claude"))
    assert list((data / "pycache").rglob("*.pyc")), "the bytecode cache was not written here"
    assert (data / "external-mode.json").exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert loose_entries(data) == []


def test_a_hook_that_creates_the_data_dir_makes_it_private(tmp_path):
    data = tmp_path / "hook-data"
    env = {"LLM_ROUTER_HOME": str(data), "CLAUDE_PLUGIN_DATA": str(data),
           "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    run_as_user(["/bin/sh", str(ROOT / "hooks" / "launch.sh"), "user_prompt_submit"], env,
                hook_event("UserPromptSubmit", prompt="switch to external models"))
    assert list((data / "pycache").rglob("*.pyc"))
    assert loose_entries(data) == []


def test_a_data_dir_made_wide_by_an_earlier_version_is_narrowed_on_first_use(data_dir):
    cache = data_dir / "pycache" / "some" / "lib"
    cache.mkdir(parents=True)
    (cache / "old.cpython-311.pyc").write_bytes(b"x")
    (data_dir / "external-mode.json").write_text('{"enabled": false}')
    for path in (data_dir, data_dir / "pycache", data_dir / "pycache" / "some", cache):
        path.chmod(0o755)
    for path in (cache / "old.cpython-311.pyc", data_dir / "external-mode.json"):
        path.chmod(0o644)
    assert run_as_user([str(BIN), "mode", "on"], {}).returncode == 0
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert loose_entries(data_dir / "pycache") == []
    assert stat.S_IMODE((data_dir / "external-mode.json").stat().st_mode) == 0o600


def test_the_cli_a_call_starts_gets_the_callers_umask(fake_bin, tmp_path, data_dir):
    """Our files are private, but a CLI editing the user's project must write files as the user
    would: 0644 under umask 022. Two calls: the first creates the bytecode cache (the launcher
    sets the umask), the second finds it (__main__.py does)."""
    fake = FakeCLI(fake_bin, tmp_path, "opencode")
    options = fake.script(stdout=step(["pong"], (1, 1, 0, 0, 0)))
    (data_dir / "model-policy.json").write_text(json.dumps({
        "external_models": {"t/oc": {"tier": "sonnet", "via": [{"provider": "opencode", "model": "m"}]}},
        "providers": {"opencode": options}}))
    for _ in range(2):
        for name in ("stdin", "call.json"):
            (fake.dir / name).unlink(missing_ok=True)
        out = run_as_user([str(BIN), "invoke", "--model", "t/oc", "-p", "ping"], {})
        assert out.returncode == 0, out.stderr
        assert out.stdout.decode().strip() == "pong"
        assert stat.S_IMODE((fake.dir / "call.json").stat().st_mode) == 0o644  # written by the CLI
        assert "LLM_ROUTER_CALLER_UMASK" not in fake.env
    assert loose_entries(data_dir) == ["0o644 model-policy.json"]  # the test wrote that one
