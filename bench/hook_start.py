#!/usr/bin/env python3
"""Cold-start cost of the hooks, measured the way Claude Code runs them.

Each variant is a fresh process started with posix_spawn and reaped with wait4 (which also
gives its peak RSS). Variants run interleaved, round after round, so that machine noise hits
them all alike. Compared against:
  - the bare interpreter, `python -I -S -c pass`, run by the same interpreter the hooks use;
  - a bash + jq hook that only reads `.enabled` from the state file (how the plugin's
    predecessors did it).
The hooks run through hooks/launch.sh with a data dir holding a venv, as after `llm-router
setup` (the venv is made without pip: only its interpreter link matters here).

usage: python3 bench/hook_start.py [--rounds N]   (prints a Markdown table)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASH_JQ_HOOK = """#!/bin/bash
state="${LLM_ROUTER_HOME}/external-mode.json"
if [ "$(jq -r .enabled "$state" 2>/dev/null)" = "true" ]; then
  echo '{"hookSpecificOutput":{"hookEventName":"SessionStart","additionalContext":"external-mode:enabled"}}'
fi
"""


def spawn(argv: list[str], stdin_bytes: bytes, env: dict) -> tuple[float, int]:
    """Wall time (s) and peak RSS (KiB) of one cold process."""
    import time

    read_fd, write_fd = os.pipe()
    os.write(write_fd, stdin_bytes)  # small events fit in the pipe buffer
    os.close(write_fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_DUP2, read_fd, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _pid, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    os.close(read_fd)
    os.close(devnull)
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return elapsed, usage.ru_maxrss


def prepare(data: str) -> str:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(os.path.join(data, "venv"))
    hook = os.path.join(data, "bash-jq-hook.sh")
    with open(hook, "w") as handle:
        handle.write(BASH_JQ_HOOK)
    return os.path.realpath(os.path.join(data, "venv", "bin", "python"))


def set_mode(data: str, enabled: bool) -> None:
    env = {**os.environ, "LLM_ROUTER_HOME": data, "LLM_ROUTER_PYTHON": sys.executable}
    subprocess.run([os.path.join(ROOT, "bin", "llm-router"), "mode", "on" if enabled else "off"],
                   env=env, check=True, capture_output=True)


def variants(data: str, python: str) -> dict:
    launch = ["/bin/sh", os.path.join(ROOT, "hooks", "launch.sh")]
    session = json.dumps({"session_id": "b", "hook_event_name": "SessionStart", "source": "startup",
                          "cwd": data, "transcript_path": "/dev/null"}).encode()
    prompt = json.dumps({"session_id": "b", "hook_event_name": "UserPromptSubmit", "cwd": data,
                         "prompt": "Please refactor the parser in utils.py so that it streams lines."}).encode()
    keyword = json.dumps({"session_id": "b", "hook_event_name": "UserPromptSubmit", "cwd": data,
                          "prompt": "Update CLAUDE.md with the new build steps."}).encode()
    return {
        "python -I -S -c pass (bare)": ([python, "-I", "-S", "-c", "pass"], b""),
        "SessionStart hook": (launch + ["session_start"], session),
        "UserPromptSubmit hook (ordinary prompt)": (launch + ["user_prompt_submit"], prompt),
        "UserPromptSubmit hook (prompt naming Claude)": (launch + ["user_prompt_submit"], keyword),
        "bash + jq hook reading .enabled": (["/bin/bash", os.path.join(data, "bash-jq-hook.sh")], session),
    }


def measure(data: str, python: str, rounds: int) -> dict:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), "LLM_ROUTER_HOME": data,
           "CLAUDE_PLUGIN_DATA": data, "LLM_ROUTER_AUTO_SETUP": "0"}
    cases = variants(data, python)
    times = {name: [] for name in cases}
    peaks = {name: 0 for name in cases}
    for name, (argv, stdin_bytes) in cases.items():  # warm the page cache and __pycache__
        for _ in range(3):
            spawn(argv, stdin_bytes, env)
    for _ in range(rounds):
        for name, (argv, stdin_bytes) in cases.items():
            elapsed, peak = spawn(argv, stdin_bytes, env)
            times[name].append(elapsed)
            peaks[name] = max(peaks[name], peak)
    return {name: (times[name], peaks[name]) for name in cases}


def table(results: dict, mode: str) -> list[str]:
    bare = statistics.median(results["python -I -S -c pass (bare)"][0])
    bash_jq = statistics.median(results["bash + jq hook reading .enabled"][0])
    rows = []
    for name, (times, peak) in results.items():
        median = statistics.median(times)
        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
        rows.append(f"| {mode} | {name} | {median * 1000:.1f} | {p90 * 1000:.1f} | {median / bare:.2f}× "
                    f"| {median / bash_jq:.2f}× | {peak / 1024:.1f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        python = prepare(data)
        print(f"interpreter: {python} ({sys.version.split()[0]}), {args.rounds} interleaved rounds\n")
        print("| mode | variant | median ms | p90 ms | vs bare python | vs bash+jq | peak RSS MiB |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for enabled in (False, True):
            set_mode(data, enabled)
            for row in table(measure(data, python, args.rounds), "on" if enabled else "off"):
                print(row)


if __name__ == "__main__":
    main()
