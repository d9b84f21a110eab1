#!/usr/bin/env python3
"""The HTTP path, cold: `llm-router invoke` to a loopback OpenAI-compatible mock, against the
same call through `litellm.completion` in a cold process; plus how fast a streamed first token
is forwarded to our stdout.

  python3 bench/http_path.py [--runs 10] [--litellm-python PATH]

--litellm-python is an interpreter that has litellm installed (it is not a dependency of
llm-router: `python3 -m venv /tmp/lv && /tmp/lv/bin/pip install litellm`). Each variant is a
fresh process; wall time and peak RSS (wait4) are reported. The streaming check uses a mock
that waits 300 ms, stamps the wall clock, then sends its first delta; the bench stamps the
moment that delta's bytes appear on `llm-router invoke --stream`'s stdout.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from mocks.llm_backend import LLMBackend  # noqa: E402

from hook_start import spawn as cold_run  # noqa: E402 - this folder is sys.path[0]

LITELLM_CALL = """
import sys, litellm
r = litellm.completion(model="openai/mock-model", api_base=sys.argv[1] + "/v1", api_key="sk-bench",
                       messages=[{"role": "user", "content": "ping"}])
print(r.choices[0].message.content)
"""


def spawn(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of one cold process (hook_start.py's measurement)."""
    elapsed, rss_kib = cold_run(argv, b"", env)
    return elapsed, rss_kib / 1024


def router_env(data: str, base_url: str, python: str) -> dict:
    policy = {"external_models": {"bench/http": {"tier": "sonnet", "via": [
        {"provider": "openai-http", "endpoint": "bench", "model": "mock-model"}]}},
        "endpoints": {"bench": {"kind": "openai", "base_url": base_url + "/v1", "api_key_env": "BENCH_KEY"}},
        "task_routing": {"default": "bench/http"}}
    with open(os.path.join(data, "model-policy.json"), "w") as handle:
        json.dump(policy, handle)
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), "LLM_ROUTER_HOME": data,
            "LLM_ROUTER_PYTHON": python, "BENCH_KEY": "sk-bench", "LLM_ROUTER_AUTO_SETUP": "0"}


def row(name: str, samples: list[tuple[float, float]]) -> tuple[str, float]:
    times = [t for t, _ in samples]
    median = statistics.median(times)
    return (f"| {name} | {median * 1000:.1f} | {max(times) * 1000:.1f} | {max(m for _, m in samples):.1f} |",
            median)


class _SlowSSE(BaseHTTPRequestHandler):
    sent_at: list = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        time.sleep(0.3)
        chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "FIRST"}}]}
        _SlowSSE.sent_at.append(time.time())
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()
        time.sleep(0.2)
        done = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())


def first_token_delays(data: str, python: str, runs: int) -> list[float]:
    import subprocess

    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowSSE)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = router_env(data, f"http://127.0.0.1:{server.server_address[1]}", python)
    delays = []
    try:
        for _ in range(runs):
            child = subprocess.Popen([os.path.join(ROOT, "bin", "llm-router"), "invoke", "--stream", "-p", "hi"],
                                     env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
            os.read(child.stdout.fileno(), 5)  # blocks until the first delta's bytes arrive
            delays.append(time.time() - _SlowSSE.sent_at[-1])
            child.stdout.read()
            child.wait(timeout=30)
    finally:
        server.shutdown()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--python", default=sys.executable, help="interpreter for llm-router")
    parser.add_argument("--litellm-python", help="an interpreter with litellm installed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, LLMBackend() as backend:
        env = router_env(data, backend.url, args.python)
        router = [os.path.join(ROOT, "bin", "llm-router"), "invoke", "-p", "ping"]
        spawn(router, env)  # warm-up: fills the policy validation cache
        ours = [spawn(router, env) for _ in range(args.runs)]
        print("| variant (cold process, loopback OpenAI-compatible mock) | median ms | max ms | peak RSS MiB |")
        print("|---|---:|---:|---:|")
        line, our_median = row("`llm-router invoke` (openai-http)", ours)
        print(line)
        if args.litellm_python:
            call = [args.litellm_python, "-c", LITELLM_CALL, backend.url]
            spawn(call, {**env, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
            theirs = [spawn(call, {**env, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}) for _ in range(args.runs)]
            line, their_median = row("`litellm.completion` (same call)", theirs)
            print(line)
            print(f"\nllm-router is {their_median / our_median:.0f}x faster on this path.")
        delays = first_token_delays(data, args.python, max(3, args.runs // 2))
        print(f"\nstreaming: first token on stdout {statistics.median(delays) * 1000:.2f} ms (median, "
              f"max {max(delays) * 1000:.2f} ms) after the mock sent it")


if __name__ == "__main__":
    main()
