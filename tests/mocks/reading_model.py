"""A loopback OpenAI-compatible model that actually reads its excerpt: it answers a digest
map prompt with one "- file:line: ..." per line holding `marker`, or NONE, after `delay`
seconds; a reduce prompt ("Merge these findings") gets its findings back, cut to `keep`.
It records every call's start and end, so a test can measure how many ran at once.

    with ReadingModel(delay=0.2) as model: model.url, model.max_in_flight
"""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler

from mocks.loopback import LoopbackServer

LINE = re.compile(r"^(\d+)\| (.*)$", re.M)
NAME = re.compile(r"The excerpt is (.+?) lines \d+-\d+;")


class ReadingModel(LoopbackServer):
    def __init__(self, marker: str = "PLANTED", delay: float = 0.0, keep: int = 1000,
                 lifetime_s: float = 300) -> None:
        self.marker, self.delay, self.keep = marker, delay, keep
        self.calls: list[tuple[float, float]] = []
        self.prompts: list[str] = []
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        super().__init__(self._handler(), lifetime_s)
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def answer(self, prompt: str) -> str:
        if prompt.startswith("Merge these findings"):
            found = [line for line in prompt.splitlines() if line.startswith("- ")]
            return "\n".join(found[: self.keep]) or "NONE"
        name = NAME.search(prompt)
        hits = [f"- {name.group(1) if name else '?'}:{number}: {text.strip()}"
                for number, text in LINE.findall(prompt) if self.marker in text]
        return "\n".join(hits) or "NONE"

    def _handler(self):
        model = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                prompt = body["messages"][-1]["content"]
                started = time.monotonic()
                with model._lock:
                    model.in_flight += 1
                    model.max_in_flight = max(model.max_in_flight, model.in_flight)
                    model.prompts.append(prompt)
                time.sleep(model.delay)
                text = model.answer(prompt)
                with model._lock:
                    model.in_flight -= 1
                    model.calls.append((started, time.monotonic()))
                data = json.dumps({"id": "r", "model": body.get("model"), "choices": [
                    {"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": len(prompt) // 4,
                              "completion_tokens": len(text) // 4}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def policy(url: str, window: int = 2000) -> dict:
    """A user policy whose haiku tier is this reading model (openai-http, small window)."""
    return {"external_models": {"mock/reader": {
        "tier": "haiku", "context_window": window,
        "via": [{"provider": "openai-http", "endpoint": "reader", "model": "reader-1"}]}},
        "claude_to_external_map": {"haiku": "mock/reader"},
        "endpoints": {"reader": {"kind": "openai", "base_url": url}}}
