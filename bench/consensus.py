"""Consensus wall time: three models that take 1, 2 and 3 s, asked at once, against the
slowest of them asked alone (and the sum, what asking one after another costs).

    python bench/consensus.py [--runs 3] [--python PATH] [--json]

The models are `bench/d1`, `bench/d2`, `bench/d3`, all served by a fake `opencode` first on
PATH (a /bin/sh script that sleeps 1, 2 or 3 s by model name, then prints a real `opencode run
--format json` reply), so each member goes through the real path: its own process, routing,
the opencode provider, its CLI, the ledger. Target: consensus wall <= 3.5 s.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from router_overhead import BIN, REPLY

TARGET_S = 3.5
DELAYS = {"bench/d1": 1, "bench/d2": 2, "bench/d3": 3}


def environment(tmp: str, python: str) -> dict:
    data, fakebin = os.path.join(tmp, "data"), os.path.join(tmp, "bin")
    os.makedirs(data)
    os.makedirs(fakebin)
    models = {key: {"tier": "sonnet", "via": [{"provider": "opencode", "model": f"mock/{key[6:]}"}]}
              for key in DELAYS}
    policy = {"external_models": models,
              "claude_to_external_map": {t: "bench/d1" for t in ("opus", "sonnet", "haiku")},
              "task_routing": {t: "bench/d1" for t in ("reasoning", "code-generation", "long-context", "default")}}
    with open(os.path.join(data, "model-policy.json"), "w") as handle:
        json.dump(policy, handle)
    body = "\n".join(json.dumps(event, separators=(",", ":")) for event in REPLY)
    cases = " ".join(f"*mock/{key[6:]}*) sleep {delay} ;;" for key, delay in DELAYS.items())
    path = os.path.join(fakebin, "opencode")
    with open(path, "w") as handle:
        handle.write(f"#!/bin/sh\ncat >/dev/null\ncase \"$*\" in {cases} esac\ncat <<'EOF'\n{body}\nEOF\n")
    os.chmod(path, 0o755)
    env = {**os.environ, "LLM_ROUTER_HOME": data, "CLAUDE_PLUGIN_DATA": data, "CLAUDE_PROJECT_DIR": tmp,
           "PATH": fakebin + os.pathsep + os.environ.get("PATH", ""), "LLM_ROUTER_PYTHON": python}
    for var in ("LLM_ROUTER_MODEL", "LLM_ROUTER_PROVIDER", "CLAUDE_CODE_SESSION_ID"):
        env.pop(var, None)
    return env


def timed(argv: list[str], env: dict, expect: int = 0) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, input=b"ping", capture_output=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != expect or b"MOCK-REPLY" not in proc.stdout:
        raise SystemExit(f"{argv[1]} failed ({proc.returncode}):\n{proc.stdout.decode()}\n{proc.stderr.decode()}")
    return elapsed


def run(runs: int, python: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="llm-router-bench-") as tmp:
        env = environment(tmp, python)
        timed([BIN, "invoke", "--model", "bench/d1"], env)  # warm-up: fills the policy check cache
        singles = {key: [] for key in DELAYS}
        together = []
        for _ in range(runs):
            for key in DELAYS:
                singles[key].append(timed([BIN, "invoke", "--model", key], env))
            together.append(timed([BIN, "consensus", "--models", ",".join(DELAYS)], env))
    slowest = statistics.median(singles["bench/d3"])
    wall = statistics.median(together)
    return {"runs": runs, "python": python, "consensus_wall_s": wall, "consensus_max_s": max(together),
            "single_median_s": {k: statistics.median(v) for k, v in singles.items()},
            "sum_of_singles_s": sum(statistics.median(v) for v in singles.values()),
            "ratio_to_slowest_single": wall / slowest}


def markdown(result: dict) -> str:
    singles = result["single_median_s"]
    ok = result["consensus_wall_s"] <= TARGET_S
    return "\n".join([
        f"{result['runs']} runs, medians, interpreter `{result['python']}`",
        "",
        "| call | wall s |",
        "|---|---:|",
        *(f"| `invoke --model {key}` alone ({DELAYS[key]} s model) | {value:.2f} |" for key, value in singles.items()),
        f"| the three one after another (sum) | {result['sum_of_singles_s']:.2f} |",
        f"| **`consensus --models bench/d1,bench/d2,bench/d3`** | **{result['consensus_wall_s']:.2f}** "
        f"(max {result['consensus_max_s']:.2f}) |",
        "",
        f"ratio to the slowest single call: {result['ratio_to_slowest_single']:.2f}; "
        f"target wall <= {TARGET_S} s: {'met' if ok else 'NOT met'}",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=os.environ.get("LLM_ROUTER_PYTHON") or sys.executable)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.runs, args.python)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
