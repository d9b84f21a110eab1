"""A loopback mock of the Anthropic Messages API for driving the real `claude` binary.

It answers `POST /v1/messages` with the streaming SSE sequence Claude Code expects (or one
JSON message when `stream` is false), records every request (path, headers, body), and lets
a test script the replies: a `responder(request_body, index) -> Reply` decides what the model
"says" (text or a tool call). The server binds 127.0.0.1 on a free port, answers at most
`max_requests`, and shuts itself down after `lifetime_s` even if a test forgets to.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from mocks.loopback import LoopbackServer


@dataclass
class Reply:
    text: str = "MOCK-REPLY"
    tool_name: str | None = None
    tool_input: dict = field(default_factory=dict)
    status: int = 200  # non-200 sends an API error with this status


def default_responder(body: dict, index: int) -> Reply:
    return Reply()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: dict
    size: int = 0  # bytes of the request body as sent

    @property
    def model(self) -> str:
        return self.body.get("model", "")

    def text(self) -> str:
        """Everything the model sees (system prompt and messages) as one string."""
        return json.dumps({"system": self.body.get("system"), "messages": self.body.get("messages")},
                          ensure_ascii=False)

    def is_subagent(self) -> bool:
        return "cc_is_subagent=true" in json.dumps(self.body.get("system", ""))


class MessagesMock(LoopbackServer):
    def __init__(self, responder=default_responder, lifetime_s: float = 300, max_requests: int = 400):
        self.responder = responder
        self.requests: list[Recorded] = []
        self.max_requests = max_requests
        self._lock = threading.Lock()
        super().__init__(self._handler_class(), lifetime_s)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def model_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith("/v1/messages")
                and "count_tokens" not in r.path]

    def _record(self, recorded: Recorded) -> int:
        with self._lock:
            self.requests.append(recorded)
            return len(self.requests) - 1

    def _handler_class(self):
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                mock._record(Recorded("GET", self.path, dict(self.headers), {}))
                self._json(200, {"data": [], "has_more": False})

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                index = mock._record(Recorded("POST", self.path, dict(self.headers), body, len(raw)))
                if index >= mock.max_requests:
                    return self._json(529, _error("overloaded_error", "mock request budget exhausted"))
                if "count_tokens" in self.path:
                    return self._json(200, {"input_tokens": 10})
                if not self.path.startswith("/v1/messages"):
                    return self._json(404, _error("not_found_error", self.path))
                reply = mock.responder(body, index)
                if reply.status != 200:
                    return self._json(reply.status, _error("api_error", f"mock status {reply.status}"))
                if body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._json(200, _message(body, reply))

            def _json(self, status: int, obj: dict) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for event, data in _sse_events(body, reply):
                    self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()
                self.close_connection = True

        return Handler


def _error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _usage() -> dict:
    return {"input_tokens": 12, "output_tokens": 5, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0}


def _message(body: dict, reply: Reply) -> dict:
    content = ([{"type": "tool_use", "id": "toolu_mock_1", "name": reply.tool_name, "input": reply.tool_input}]
               if reply.tool_name else [{"type": "text", "text": reply.text}])
    return {"id": "msg_mock", "type": "message", "role": "assistant", "model": body.get("model", "mock"),
            "content": content, "stop_reason": "tool_use" if reply.tool_name else "end_turn",
            "stop_sequence": None, "usage": _usage()}


def _sse_events(body: dict, reply: Reply):
    start = _message(body, reply)
    start["content"], start["stop_reason"] = [], None
    yield "message_start", {"type": "message_start", "message": start}
    if reply.tool_name:
        tool_id = f"toolu_mock_{int(time.time() * 1000) % 100000}"
        yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": tool_id, "name": reply.tool_name, "input": {}}}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "input_json_delta", "partial_json": json.dumps(reply.tool_input)}}
        stop_reason = "tool_use"
    else:
        yield "content_block_start", {"type": "content_block_start", "index": 0,
                                      "content_block": {"type": "text", "text": ""}}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": reply.text}}
        stop_reason = "end_turn"
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                            "usage": {"output_tokens": 5}}
    yield "message_stop", {"type": "message_stop"}
