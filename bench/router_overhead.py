"""What a cold `llm-router invoke` adds on top of spawning the provider's CLI directly.

    python bench/router_overhead.py [--runs 30] [--python PATH] [--json]

Both columns spawn the same fake `opencode`: a /bin/sh script that drains stdin and prints
the three JSONL events of a real `opencode run --format json` reply (the shape of
shared/reference/clis-artifacts/samples/opencode-run-json.jsonl). So the difference between
the columns is what llm-router itself costs: interpreter start, imports, the policy load
(schema check cached), task detection and routing, the budget precheck, the provider's
spawn-and-parse, and the ledger rows. Runs alternate (direct, router, direct, ...) so
background load hits both alike; one warm-up run each is not counted (it fills the policy
validation cache, as the first call after an install or a policy edit would).

Everything lives in a temp dir: the data dir (LLM_ROUTER_HOME) with a policy override that
routes every request to the model `bench/fake` via opencode, and the fake CLI first on PATH.
Target: added cold cost <= 60 ms median (a delegated call takes seconds; issue 14 allows 60 ms).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bin", "llm-router")
TARGET_MS = 60.0
MODEL = "mock/mock-model"

REPLY = [
    {"type": "step_start", "timestamp": 1795315325473, "sessionID": "ses_bench",
     "part": {"id": "prt_1", "messageID": "msg_1", "sessionID": "ses_bench", "type": "step-start"}},
    {"type": "text", "timestamp": 1795315325473, "sessionID": "ses_bench",
     "part": {"id": "prt_2", "messageID": "msg_1", "sessionID": "ses_bench", "type": "text",
              "text": "MOCK-REPLY pong ", "time": {"start": 1795315325425, "end": 1795315325448}}},
    {"type": "step_finish", "timestamp": 1795315325473, "sessionID": "ses_bench",
     "part": {"id": "prt_3", "reason": "stop", "messageID": "msg_1", "sessionID": "ses_bench",
              "type": "step-finish", "cost": 0,
              "tokens": {"total": 14, "input": 11, "output": 3, "reasoning": 0,
                         "cache": {"write": 0, "read": 0}}}},
]

POLICY = {
    "external_models": {"bench/fake": {"tier": "sonnet",
                                       "via": [{"provider": "opencode", "model": MODEL}]}},
    "claude_to_external_map": {"opus": "bench/fake", "sonnet": "bench/fake", "haiku": "bench/fake"},
    "task_routing": {"reasoning": "bench/fake", "code-generation": "bench/fake",
                     "long-context": "bench/fake", "default": "bench/fake"},
}

def fake_cli(folder: str) -> str:
    """An `opencode` that answers at once: drain stdin, print the JSONL reply."""
    path = os.path.join(folder, "opencode")
    body = "\n".join(json.dumps(event, separators=(",", ":")) for event in REPLY)
    with open(path, "w") as handle:
        handle.write(f"#!/bin/sh\ncat >/dev/null\ncat <<'EOF'\n{body}\nEOF\n")
    os.chmod(path, 0o755)
    return path


def environment(tmp: str, python: str) -> tuple[dict, str]:
    """(env for the router, path of the fake CLI)."""
    data, fakebin = os.path.join(tmp, "data"), os.path.join(tmp, "bin")
    os.makedirs(data)
    os.makedirs(fakebin)
    with open(os.path.join(data, "model-policy.json"), "w") as handle:
        json.dump(POLICY, handle)
    cli = fake_cli(fakebin)
    env = {**os.environ, "LLM_ROUTER_HOME": data, "CLAUDE_PLUGIN_DATA": data,
           "CLAUDE_PROJECT_DIR": tmp, "PATH": fakebin + os.pathsep + os.environ.get("PATH", ""),
           "LLM_ROUTER_PYTHON": python}
    for var in ("LLM_ROUTER_MODEL", "LLM_ROUTER_PROVIDER", "CLAUDE_CODE_SESSION_ID"):
        env.pop(var, None)
    return env, cli


def timed(argv: list[str], env: dict, prompt: bytes) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, input=prompt, capture_output=True, env=env, cwd=ROOT)
    elapsed = (time.perf_counter() - started) * 1000
    if proc.returncode != 0 or b"MOCK-REPLY" not in proc.stdout:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n"
                         f"{proc.stdout.decode()}\n{proc.stderr.decode()}")
    return elapsed


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": statistics.median(ordered),
            "p90_ms": ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))],
            "min_ms": ordered[0], "runs": len(ordered)}


def run(runs: int, python: str) -> dict:
    prompt = b"ping"
    with tempfile.TemporaryDirectory(prefix="llm-router-bench-") as tmp:
        env, cli = environment(tmp, python)
        direct = [cli, "run", "--format", "json", "-m", MODEL, "--title", "x"]
        router = [BIN, "invoke"]  # prompt on stdin, automatic routing: the full path
        timed(direct, env, prompt)
        timed(router, env, prompt)
        samples: dict = {"direct": [], "router": []}
        for _ in range(runs):
            samples["direct"].append(timed(direct, env, prompt))
            samples["router"].append(timed(router, env, prompt))
    result = {name: summary(values) for name, values in samples.items()}
    result["added_median_ms"] = result["router"]["median_ms"] - result["direct"]["median_ms"]
    result["added_p90_ms"] = result["router"]["p90_ms"] - result["direct"]["p90_ms"]
    result["python"] = python
    return result


def markdown(result: dict) -> str:
    direct, router = result["direct"], result["router"]
    ok = result["added_median_ms"] <= TARGET_MS
    lines = [
        f"{router['runs']} alternating cold runs each, interpreter `{result['python']}`",
        "",
        "| path | median ms | p90 ms | min ms |",
        "|---|---:|---:|---:|",
        f"| fake `opencode run --format json` spawned directly | {direct['median_ms']:.1f} | "
        f"{direct['p90_ms']:.1f} | {direct['min_ms']:.1f} |",
        f"| `llm-router invoke` (same fake CLI behind it) | {router['median_ms']:.1f} | "
        f"{router['p90_ms']:.1f} | {router['min_ms']:.1f} |",
        f"| **added by llm-router** | **{result['added_median_ms']:.1f}** | "
        f"{result['added_p90_ms']:.1f} | |",
        "",
        f"target: added median <= {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each command (default 30)")
    parser.add_argument("--python", default=os.environ.get("LLM_ROUTER_PYTHON") or sys.executable,
                        help="interpreter for llm-router (default: this one)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    result = run(args.runs, args.python)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
