"""How long `llm-router stats` takes over a big ledger. Not a test: run it by hand.

    python bench/stats_bench.py [--rows 100000] [--repeat 3]

Fills a temporary data dir with N realistic rows (8 models, 5 providers, 60 days, 5%
failures, 2% skipped, latencies 0.3-60 s), then runs `bin/llm-router stats` as a fresh
process (cold: new interpreter, new connection, nothing cached but the OS page cache) for
each variant and prints one Markdown table row per variant with the best and worst wall time.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

MODELS = [("copilot/gpt-5.2", "copilot"), ("copilot/claude-sonnet-4.5", "copilot"),
          ("zai/glm-4.7", "opencode"), ("gemini/gemini-3-pro", "gemini"),
          ("opencode/big-pickle", "opencode"), ("openai/gpt-5.2", "codex"),
          ("litellm/qwen3-coder", "openai-http"), ("anthropic/claude-haiku-4.5", "anthropic-http")]
TASKS = ["default", "reasoning", "code-generation", "long-context", "review"]
VARIANTS = [[], ["--json"], ["--compact"], ["--by", "day"], ["--by", "task", "--since", "7d"]]


def fake_rows(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    now = time.time()
    rows = []
    for i in range(count):
        model, provider = rng.choice(MODELS)
        roll = rng.random()
        outcome = "skipped" if roll < 0.02 else "error" if roll < 0.07 else "ok"
        tokens_in = rng.randint(200, 60_000) if outcome == "ok" else 0
        ts = now - rng.random() * 60 * 86400
        rows.append({
            "ts": ts, "session_id": f"s{i // 50}", "task": rng.choice(TASKS), "tier": "sonnet",
            "requested_model": model, "model_used": model, "provider": provider,
            "transport": "http" if provider.endswith("-http") else "cli", "outcome": outcome,
            "error_class": "RateLimited" if outcome == "error" else None,
            "input_tokens": tokens_in, "output_tokens": tokens_in // 8, "cached_tokens": tokens_in // 3,
            "cost_usd": None if provider == "copilot" else tokens_in * 1.5e-6,
            "quota_units": 1.0 if provider == "copilot" and outcome == "ok" else None,
            "latency_ms": int(rng.lognormvariate(8.3, 0.8)) if outcome != "skipped" else None,
            "fallback_position": 0, "prompt_sha256": f"{rng.getrandbits(128):032x}",
            "claude_tokens_saved_est": tokens_in + tokens_in // 8 if outcome == "ok" else None,
        })
    rows.sort(key=lambda r: r["ts"])  # the ledger is written in time order
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        os.environ["LLM_ROUTER_HOME"] = data
        from llm_router.usage import ledger

        started = time.perf_counter()
        ledger.insert_many(fake_rows(args.rows))
        fill_s = time.perf_counter() - started
        size_mb = os.path.getsize(ledger.ledger_path()) / 1e6
        env = {**os.environ, "LLM_ROUTER_HOME": data, "CLAUDE_PLUGIN_DATA": data,
               "LLM_ROUTER_PYTHON": sys.executable}
        print(f"ledger: {args.rows:,} rows, {size_mb:.1f} MB (filled in {fill_s:.1f} s), "
              f"python {sys.version.split()[0]}, sqlite {ledger.sqlite3.sqlite_version}\n")
        print("| command | rows | best (s) | worst (s) |")
        print("|---|---|---|---|")
        for variant in VARIANTS:
            times = [_time_cli(variant, env) for _ in range(args.repeat)]
            label = " ".join(["llm-router stats", *variant])
            print(f"| `{label}` | {args.rows:,} | {min(times):.3f} | {max(times):.3f} |")
    return 0


def _time_cli(variant: list[str], env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.run([os.path.join(ROOT, "bin", "llm-router"), "stats", *variant],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"stats {' '.join(variant)} failed: {proc.stderr}")
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
