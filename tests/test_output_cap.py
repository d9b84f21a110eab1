"""A CLI's stdout and stderr are capped (io/proc.py): past the cap the CLI is killed with its
group, the call fails with OutputTooLarge, and memory stays bounded. Before the cap, 1 GiB of
output took 3 GiB of RSS.

The measured processes run under RLIMIT_AS (512 MiB) so that a regression fails the test
with a MemoryError instead of taking the machine's memory.
"""

import json
import os
import resource
import subprocess
import sys
import time

import pytest
from conftest import BIN, LIB

GIB_PRINTER = """
import os, sys
chunk = b"x" * 1048575 + b"\\n"
stream = sys.stderr.buffer if "--stderr" in sys.argv else sys.stdout.buffer
sys.stdin.buffer.read()
for _ in range(1024):  # 1 GiB
    stream.write(chunk)
stream.flush()
"""

RSS_LIMIT = 512 << 20


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (RSS_LIMIT, RSS_LIMIT))


def run_measured(argv, env=None, timeout=120) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak RSS in MiB) of argv, run under RLIMIT_AS. The peak
    comes from wait4, which covers the process and the children it reaped."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})}, preexec_fn=_limit_memory)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{argv} did not finish in {timeout} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss // 1024


PROC_RUN = """
import json, os, resource, sys, time
sys.path.insert(0, {lib!r})
from llm_router.io import proc
started = time.monotonic()
try:
    proc.run([sys.executable, {printer!r}, *sys.argv[1:]], stdin=b"go", env=proc.child_env(),
             timeout=60, label="fake", **json.loads(os.environ.get("RUN_KW", "{{}}")))
    print(json.dumps({{"error": None}}))
except Exception as exc:
    print(json.dumps({{"error": type(exc).__name__, "message": exc.message, "hint": exc.hint,
                      "seconds": time.monotonic() - started}}))
"""


@pytest.fixture
def printer(tmp_path):
    path = tmp_path / "print_gib.py"
    path.write_text(GIB_PRINTER)
    script = tmp_path / "run.py"
    script.write_text(PROC_RUN.format(lib=str(LIB), printer=str(path)))
    return script


def test_a_cli_printing_a_gibibyte_is_killed_at_the_cap_in_bounded_memory(printer):
    code, out, err, peak_mib = run_measured([sys.executable, str(printer)])
    assert code == 0, err
    result = json.loads(out)
    assert result["error"] == "OutputTooLarge", result
    assert result["message"] == "fake printed more than 32 MiB on stdout (killed)"
    assert "max_output_mb" in result["hint"]
    assert result["seconds"] < 30
    # 42 MiB on a quiet machine; 97 MiB was seen once under a load average of 10 (a slower reader
    # meets fuller pipes and a grown bytearray). Unbounded, it was 3 GiB: a 128 MiB bound still
    # catches that, without failing on the machine's load.
    assert peak_mib < 32 + 96, f"peak RSS {peak_mib} MiB for a 32 MiB cap"
    print(f"peak RSS {peak_mib} MiB")


def test_stderr_is_capped_too(printer):
    code, out, err, _peak = run_measured([sys.executable, str(printer), "--stderr"],
                                         {"RUN_KW": json.dumps({"max_output": 4 << 20})})
    assert code == 0, err
    result = json.loads(out)
    assert (result["error"], result["message"]) == (
        "OutputTooLarge", "fake printed more than 4 MiB on stderr (killed)")


def test_output_under_the_cap_is_returned_whole(tmp_path):
    from llm_router.io import proc

    done = proc.run([sys.executable, "-c", "import sys; sys.stdout.write('y' * 3000000)"],
                    stdin=None, env=proc.child_env(), timeout=30, max_output=3000000)
    assert done.stdout == b"y" * 3000000


@pytest.mark.parametrize("value", [0, -1, "32", True])
def test_a_bad_cap_in_the_policy_is_a_config_error(value):
    from llm_router.errors import ConfigError
    from llm_router.io import proc

    with pytest.raises(ConfigError, match="providers.codex.max_output_mb"):
        proc.output_cap(value, "codex")
    assert proc.output_cap(None, "codex") == 32 << 20 and proc.output_cap(0.5, "codex") == 1 << 19


def test_invoke_fails_clearly_when_its_cli_prints_a_gibibyte(fake_bin, data_dir):
    """End to end: bin/llm-router, the real opencode provider, a fake opencode printing 1 GiB."""
    fake_bin("opencode", GIB_PRINTER)
    (data_dir / "model-policy.json").write_text(json.dumps({
        "external_models": {"t/oc": {"tier": "sonnet", "via": [{"provider": "opencode", "model": "m"}]}},
        "routing": {"retries": 0}}))
    code, out, err, peak_mib = run_measured([str(BIN), "invoke", "--model", "t/oc", "-p", "hi", "--json"])
    assert code == 1, err
    attempt = json.loads(out)["attempts"][0]
    assert attempt["error_class"] == "OutputTooLarge"
    assert "opencode printed more than 32 MiB on stdout (killed)" in attempt["message"]
    assert "Traceback" not in err and "OutputTooLarge" in err
    assert peak_mib < 32 + 96, f"peak RSS {peak_mib} MiB"
    print(f"invoke peak RSS {peak_mib} MiB")


def test_the_cap_is_set_per_provider_in_the_policy(fake_bin, data_dir):
    fake_bin("opencode", GIB_PRINTER)
    (data_dir / "model-policy.json").write_text(json.dumps({
        "external_models": {"t/oc": {"tier": "sonnet", "via": [{"provider": "opencode", "model": "m"}]}},
        "providers": {"opencode": {"max_output_mb": 2}}, "routing": {"retries": 0}}))
    out = subprocess.run([str(BIN), "invoke", "--model", "t/oc", "-p", "hi", "--json"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert "printed more than 2 MiB" in json.loads(out.stdout)["attempts"][0]["message"]
