"""How long `llm-router jobs start` keeps its caller waiting, against a cold `llm-router route`.

    python bench/jobs_start.py [--runs 20] [--python PATH] [--json]

Both read the prompt on stdin, load the policy and route it; `jobs start` also creates the
job's folder and spawns its detached worker, then returns without waiting for it. Runs
alternate so background load hits both alike; one warm-up each is not counted. The workers
answer from router_overhead.py's fake `opencode`, in a temp data dir. Target: <= 2x route.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from router_overhead import BIN, environment

TARGET_RATIO = 2.0


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, input=b"ping", capture_output=True, env=env)
    elapsed = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"{argv[1:]} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return elapsed


def run(runs: int, python: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="llm-router-bench-") as tmp:
        env, _cli = environment(tmp, python)
        route, start = [BIN, "route"], [BIN, "jobs", "start"]
        timed(route, env)
        timed(start, env)
        samples: dict = {"route": [], "jobs_start": []}
        for _ in range(runs):
            samples["route"].append(timed(route, env))
            samples["jobs_start"].append(timed(start, env))
        subprocess.run([BIN, "jobs", "result", "--wait", "30",
                        json.loads(subprocess.run([BIN, "jobs", "list", "--json"], env=env,
                                                  capture_output=True).stdout)[-1]["id"]],
                       env=env, capture_output=True)  # let the last worker end before the dir goes
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {"runs": runs, "python": python, "route_median_ms": medians["route"],
            "jobs_start_median_ms": medians["jobs_start"],
            "ratio": medians["jobs_start"] / medians["route"]}


def markdown(result: dict) -> str:
    ok = result["ratio"] <= TARGET_RATIO
    return "\n".join([
        f"{result['runs']} alternating cold runs each, interpreter `{result['python']}`",
        "",
        "| command | median ms |",
        "|---|---:|",
        f"| `llm-router route` (prompt on stdin) | {result['route_median_ms']:.1f} |",
        f"| `llm-router jobs start` (returns with the job id) | {result['jobs_start_median_ms']:.1f} |",
        "",
        f"ratio {result['ratio']:.2f}; target <= {TARGET_RATIO:g}x route: {'met' if ok else 'NOT met'}",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", default=os.environ.get("LLM_ROUTER_PYTHON") or sys.executable)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.runs, args.python)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
