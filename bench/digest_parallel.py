#!/usr/bin/env python3
"""`llm-router digest` of a 5 MB log: wall time with the chunks read in parallel against the
same chunks read one by one (--parallel 1). The "model" is tests/mocks/reading_model.py on
loopback, answering each chunk after --delay seconds (a cheap model's latency), so the figure
is the pipeline's own overhead plus the overlap it gets.

  python3 bench/digest_parallel.py [--mb 5] [--delay 1.0] [--parallel 4] [--window 32000]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from mocks.reading_model import ReadingModel, policy  # noqa: E402


def make_log(path: str, megabytes: float) -> list[int]:
    planted, size, number = [], 0, 0
    with open(path, "w") as handle:
        while size < megabytes * 1_000_000:
            number += 1
            line = (f"PLANTED fact {number}\n" if number % 7_919 == 0 else
                    f"2026-12-01T03:{number % 60:02d}:00Z INFO worker-{number % 7} handled request {number} in 12 ms\n")
            planted += [number] if line.startswith("PLANTED") else []
            handle.write(line)
            size += len(line)
    return planted


def run(log: str, data: str, parallel: int) -> tuple[float, dict]:
    env = {**os.environ, "LLM_ROUTER_HOME": data, "CLAUDE_PLUGIN_DATA": data,
           "LLM_ROUTER_PYTHON": sys.executable}
    started = time.monotonic()
    proc = subprocess.run([os.path.join(ROOT, "bin", "llm-router"), "digest", log, "--json",
                           "--question", "Which facts were planted?", "--parallel", str(parallel)],
                          env=env, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    if proc.returncode:
        sys.exit(f"digest failed: {proc.stderr}")
    return wall, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=5)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--window", type=int, default=32000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ReadingModel(delay=args.delay, lifetime_s=3600) as model:
        log = os.path.join(tmp, "big.log")
        planted = make_log(log, args.mb)
        with open(os.path.join(tmp, "model-policy.json"), "w") as handle:
            json.dump(policy(model.url, args.window), handle)
        results = {}
        for parallel in (args.parallel, 1):
            model.max_in_flight = 0
            wall, out = run(log, tmp, parallel)
            found = sum(f"{log}:{n}:" in out["digest"] for n in planted)
            results[f"parallel_{parallel}"] = {"wall_s": round(wall, 2), "chunks": out["chunks"],
                                              "max_in_flight": model.max_in_flight,
                                              "digest_tokens": out["tokens"],
                                              "planted_found": f"{found}/{len(planted)}"}
        results["speedup"] = round(results["parallel_1"]["wall_s"]
                                   / results[f"parallel_{args.parallel}"]["wall_s"], 2)
        results["input_bytes"] = os.path.getsize(log)
        results["model_delay_s"] = args.delay
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
