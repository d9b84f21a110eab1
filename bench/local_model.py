"""The embedded local model (local/gemma3-270m): cold start to first token, warm first token,
and decode speed.

    python bench/local_model.py [--runs 3] [--venv .test-venvs/llama]
                                [--gguf .test-venvs/gemma-3-270m-q4_k_m.gguf]

cold:  `llm-router invoke --stream` with no server running (fresh data dir): starting the
       server under its watchdog, loading the GGUF, then the first streamed byte on stdout.
warm:  the same command again, the server reused: the first streamed byte.
tok/s: a streamed reply of 128 tokens asked of the running server directly; text chunks (one
       token each) over the time from the first chunk to the last, so prompt processing and
       the process start are not counted.
Each run uses its own data dir and stops its server at the end.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bin", "llm-router")
PROMPT = "Write two sentences about the sea."


def first_byte_s(env: dict) -> float:
    started = time.monotonic()
    child = subprocess.Popen([BIN, "invoke", "--stream", "--model", "local/gemma3-270m", "-p", PROMPT],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    first = child.stdout.read(1)
    elapsed = time.monotonic() - started
    child.stdout.read()
    _, err = child.communicate(timeout=300)
    if not first or child.returncode != 0:
        raise SystemExit(f"invoke failed ({child.returncode}): {err.decode(errors='replace')[-500:]}")
    return elapsed


def tokens_per_s(port: int) -> float:
    body = json.dumps({"model": "gemma", "messages": [{"role": "user", "content": PROMPT}],
                       "max_tokens": 128, "temperature": 0, "stream": True}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    stamps = []
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=300) as response:
        for line in response:
            line = line.strip()
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            delta = (json.loads(line[6:])["choices"] or [{}])[0].get("delta") or {}
            if delta.get("content"):
                stamps.append(time.monotonic())
    if len(stamps) < 2:
        raise SystemExit("the server streamed fewer than 2 tokens")
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def one_run(venv: str, gguf: str) -> dict:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "LLM_ROUTER_HOME": data, "CLAUDE_PLUGIN_DATA": data,
               "LLM_ROUTER_LOCAL_VENV": venv, "LLM_ROUTER_LOCAL_GGUF": gguf}
        state_file = os.path.join(data, "local-model", "server.json")
        try:
            cold = first_byte_s(env)
            warm = first_byte_s(env)
            with open(state_file) as handle:
                state = json.load(handle)
            return {"cold_first_token_s": cold, "warm_first_token_s": warm,
                    "tokens_per_s": tokens_per_s(state["port"])}
        finally:
            try:
                with open(state_file) as handle:
                    os.killpg(json.load(handle)["pgid"], signal.SIGKILL)
            except (OSError, ValueError, KeyError):
                pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--venv", default=os.path.join(ROOT, ".test-venvs", "llama"))
    parser.add_argument("--gguf", default=os.path.join(ROOT, ".test-venvs", "gemma-3-270m-q4_k_m.gguf"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = [one_run(os.path.abspath(args.venv), os.path.abspath(args.gguf)) for _ in range(args.runs)]
    summary = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    if args.json:
        print(json.dumps({"runs": runs, "median": summary}, indent=2))
    else:
        print(f"local/gemma3-270m, median of {len(runs)} runs on {os.cpu_count()} cores:")
        print(f"  cold start to first token  {summary['cold_first_token_s']:.1f} s")
        print(f"  warm first token           {summary['warm_first_token_s']:.2f} s")
        print(f"  decode                     {summary['tokens_per_s']:.0f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
