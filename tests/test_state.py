"""External-mode state: missing/corrupt files, atomic writes under concurrency, repair."""

import json
import os
import subprocess
import sys

from conftest import LIB, ROOT
from llm_router import state


def test_missing_file_means_off():
    current, warning = state.load_mode()
    assert current == {"enabled": False, "activated_at": None, "reason": None, "prefer": None}
    assert warning is None


def test_on_then_off_round_trip():
    on = state.set_mode(True, "testing")
    assert on["enabled"] and on["reason"] == "testing" and on["activated_at"].endswith("Z")
    assert state.load_mode()[0]["enabled"] is True
    off = state.set_mode(False)
    assert off["enabled"] is False and off["activated_at"] is None


def test_turning_on_twice_keeps_the_activation_time():
    first = state.set_mode(True, "first")
    again = state.set_mode(True, None)
    assert again["activated_at"] == first["activated_at"]
    assert again["reason"] == "first"


def test_corrupt_file_means_off_with_one_warning_and_next_write_repairs(data_dir):
    path = data_dir / "external-mode.json"
    for garbage in (b"{not json", b"[1, 2]", b'{"enabled": "yes"}', b"\xff\xfe\x00"):
        path.write_bytes(garbage)
        current, warning = state.load_mode()
        assert current["enabled"] is False
        assert "corrupt" in warning and str(path) in warning
    state.set_mode(True, "repair")
    assert json.loads(path.read_text())["enabled"] is True
    assert state.load_mode()[1] is None


def test_state_file_is_private_and_in_the_data_dir(data_dir):
    state.set_mode(True)
    path = data_dir / "external-mode.json"
    assert path.exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not list(ROOT.glob("external-mode.json*"))


_WRITER = """
import sys
sys.path.insert(0, sys.argv[1])
from llm_router import state
for i in range(int(sys.argv[2])):
    state.set_mode(i % 2 == 0, f"writer {sys.argv[3]} step {i}")
"""

_READER = """
import json, sys, time
path, deadline = sys.argv[1], time.time() + float(sys.argv[2])
bad = 0
reads = 0
while time.time() < deadline:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        continue
    reads += 1
    try:
        obj = json.loads(data)
        assert isinstance(obj["enabled"], bool)
    except Exception:
        bad += 1
print(bad, reads)
"""


def test_concurrent_writers_never_leave_a_corrupt_file(data_dir):
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(LIB), "60", str(n)])
               for n in range(6)]
    reader = subprocess.run([sys.executable, "-c", _READER, str(data_dir / "external-mode.json"), "3"],
                            capture_output=True, text=True, timeout=60)
    assert all(w.wait(timeout=60) == 0 for w in writers)
    bad, reads = map(int, reader.stdout.split())
    assert bad == 0 and reads > 0
    final = json.loads((data_dir / "external-mode.json").read_text())
    assert isinstance(final["enabled"], bool)
    leftovers = [p for p in os.listdir(data_dir) if ".tmp." in p]
    assert leftovers == []
