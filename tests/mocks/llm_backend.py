"""A loopback LLM backend that speaks the four wire dialects the providers and real CLIs use.

    with LLMBackend() as backend:          # binds 127.0.0.1, port 0, serves from a thread
        url = backend.url                  # "http://127.0.0.1:PORT"
        ...
        backend.requests[-1].json          # every request is recorded (headers + body)

Dialects (any path prefix is accepted, so base URLs with or without /v1 work):
  OpenAI    POST .../chat/completions   stream (SSE + usage chunk + [DONE]) or plain JSON
  Responses POST .../responses          SSE, what codex speaks
  Gemini    POST .../models/M:streamGenerateContent?alt=sse  and  .../models/M:generateContent
  Anthropic POST .../v1/messages        SSE or plain JSON; .../v1/messages/count_tokens
  Models    GET  .../models             a one-entry list, for clients that probe it

Failures are chosen by the model name (so a real CLI can be steered from its command line)
or by a scripted queue that overrides the name for the next requests:
  err400 err401 err403 err429 err500   that HTTP status (429 carries `retry-after`)
  zaibalance                           429 with Z.AI's business code 1113 (balance exhausted)
  badjson                              200 whose body (or first SSE event) is not JSON
  midstream                            a stream that fails after its first delta (error event)
  slow                                 first byte only after `slow_seconds`
  backend.script("err429", "ok")       the next two requests, whatever their model

Tool calls: backend.script_tool_call("write_file", {"file_path": ..., "content": ...}) answers the
next request that declares tools with a call of that tool, in the request's dialect (OpenAI
tool_calls, Responses function_call, Gemini functionCall, Anthropic tool_use); the requests after
it get the usual reply, so a CLI's agent loop ends after one tool round. Whether the CLI then ran
the tool is for the test to check on disk (the scope contract tests do).

LLMBackend(chunked=True) sends every POST reply with `Transfer-Encoding: chunked` over HTTP/1.1,
as uvicorn (LiteLLM), Ollama and llama.cpp do: one chunk per write, each with a chunk extension,
and a trailer after the last one. The default is Content-Length (or read-until-close for SSE).

Bounded on purpose: request bodies over 16 MiB are refused, at most 500 requests are kept,
and the server stops itself after `max_lifetime` seconds so a forgotten mock cannot outlive
a test run.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 16 * 1024 * 1024
MAX_RECORDED = 500
FAILURES = ("err400", "err401", "err403", "err429", "err500", "zaibalance", "badjson", "midstream",
            "slow")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict  # lower-cased names
    body: bytes

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Reply:
    """What the mock answers: a failure name from FAILURES, or "ok"."""

    kind: str = "ok"
    text: str = ""
    usage: dict = field(default_factory=dict)


class LLMBackend:
    def __init__(self, reply: str = "MOCK-REPLY pong", input_tokens: int = 11,
                 output_tokens: int = 3, cached_tokens: int = 0, reasoning_tokens: int = 0,
                 slow_seconds: float = 5.0, chunk_delay: float = 0.0, retry_after: str = "1",
                 retry_after_on_5xx: bool = False, max_lifetime: float = 300.0,
                 chunked: bool = False) -> None:
        self.reply = reply
        self.usage = {"input": input_tokens, "output": output_tokens, "cached": cached_tokens,
                      "reasoning": reasoning_tokens}
        self.slow_seconds = slow_seconds
        self.chunk_delay = chunk_delay  # pause between streamed deltas, to test forwarding
        self.retry_after = retry_after  # the `retry-after` header value sent with a 429
        self.retry_after_on_5xx = retry_after_on_5xx  # ... and with a 500 too (as 503s often do)
        self.max_lifetime = max_lifetime
        self.chunked = chunked  # POST replies in chunked transfer coding
        self.requests: list[Recorded] = []
        self._queue: list[str] = []
        self._tool_calls: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> "LLMBackend":
        handler = type("Handler", (_Handler,), {"backend": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        timer = threading.Timer(self.max_lifetime, self.stop)
        timer.daemon = True
        timer.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping for "slow"
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "LLMBackend":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # steering ------------------------------------------------------------------------------
    def script(self, *kinds: str) -> None:
        """Answer the next requests with these kinds ("ok" or a FAILURES name), in order."""
        with self._lock:
            self._queue.extend(kinds)

    def choose(self, model: str) -> str:
        with self._lock:
            if self._queue:
                return self._queue.pop(0)
        return next((name for name in FAILURES if name in (model or "")), "ok")

    def script_tool_call(self, name: str, arguments: dict) -> None:
        """Answer the next request that declares tools with a call of tool `name`."""
        with self._lock:
            self._tool_calls.append((name, arguments))

    def pending_tool_calls(self) -> int:
        """Scripted tool calls no request has taken yet (a test checks the CLI asked)."""
        with self._lock:
            return len(self._tool_calls)

    def take_tool_call(self, payload: dict) -> tuple[str, dict] | None:
        """The scripted tool call for this request, if it declares tools and one is waiting."""
        with self._lock:
            if self._tool_calls and payload.get("tools"):
                return self._tool_calls.pop(0)
        return None

    def record(self, entry: Recorded) -> None:
        with self._lock:
            if len(self.requests) < MAX_RECORDED:
                self.requests.append(entry)

    def pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def posts(self) -> list[Recorded]:
        """The recorded model calls (probes such as GET /models left out)."""
        return [r for r in self.requests if r.method == "POST"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hangs up mid-stream is normal here (timeouts, kills)


def _usage_openai(u: dict) -> dict:
    return {"prompt_tokens": u["input"], "completion_tokens": u["output"],
            "total_tokens": u["input"] + u["output"],
            "prompt_tokens_details": {"cached_tokens": u["cached"]},
            "completion_tokens_details": {"reasoning_tokens": u["reasoning"]}}


def _usage_responses(u: dict) -> dict:
    return {"input_tokens": u["input"], "output_tokens": u["output"],
            "total_tokens": u["input"] + u["output"],
            "input_tokens_details": {"cached_tokens": u["cached"]},
            "output_tokens_details": {"reasoning_tokens": u["reasoning"]}}


def _usage_gemini(u: dict) -> dict:
    return {"promptTokenCount": u["input"], "candidatesTokenCount": u["output"],
            "cachedContentTokenCount": u["cached"], "thoughtsTokenCount": u["reasoning"],
            "totalTokenCount": u["input"] + u["output"] + u["reasoning"]}


def _usage_anthropic(u: dict) -> dict:
    return {"input_tokens": u["input"], "output_tokens": u["output"],
            "cache_read_input_tokens": u["cached"], "cache_creation_input_tokens": 0}


_STATUS = {"err400": 400, "err401": 401, "err403": 403, "err429": 429, "err500": 500,
           "zaibalance": 429}
_MESSAGES = {400: "Invalid model (mock)", 401: "Incorrect API key provided (mock)",
             403: "Forbidden (mock)", 429: "Rate limit exceeded (mock)", 500: "internal (mock)"}


def _error_body(dialect: str, kind: str, status: int) -> dict:
    message = _MESSAGES[status]
    if kind == "zaibalance":
        return {"error": {"code": "1113", "message": "Insufficient balance or no resource package."}}
    if dialect == "anthropic":
        kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 429: "rate_limit_error", 500: "api_error"}
        return {"type": "error", "error": {"type": kinds[status], "message": message}}
    if dialect == "gemini":
        states = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                  429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}
        return {"error": {"code": status, "message": message, "status": states[status]}}
    return {"error": {"message": message, "type": "mock_error", "code": f"mock_{status}"}}


class _Handler(BaseHTTPRequestHandler):
    backend: LLMBackend
    server_version = "LLMBackendMock/1.0"
    _chunking = False  # this reply's body goes out in chunks (LLMBackend(chunked=True))

    def log_message(self, *args) -> None:
        pass

    # plumbing ------------------------------------------------------------------------------
    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        parts, total = [], 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send_json(self, status: int, payload, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self._send_length(len(data))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _send_length(self, length: int) -> None:
        if self._chunking:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))

    def _write(self, data: bytes) -> None:
        """A piece of the body: as it is, or as one chunk (cut in two, so that clients see
        chunks ending mid-line, with a chunk extension on the first)."""
        if not self._chunking:
            self.wfile.write(data)
            return
        half = len(data) // 2
        for index, part in enumerate(piece for piece in (data[:half], data[half:]) if piece):
            extension = b";mock=1" if index == 0 else b""
            self.wfile.write(b"%x%s\r\n%s\r\n" % (len(part), extension, part))
        self.wfile.flush()

    def _end_chunks(self) -> None:
        if self._chunking:
            self.wfile.write(b"0\r\nX-Mock-Trailer: done\r\n\r\n")
            self.wfile.flush()

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        if self._chunking:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _event(self, payload, name: str | None = None) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        prefix = f"event: {name}\n" if name else ""
        self._write(f"{prefix}data: {data}\n\n".encode())
        self.wfile.flush()

    def _deltas(self) -> list[str]:
        """The reply cut in two, so streaming clients see more than one delta."""
        text = self.backend.reply
        cut = text.find(" ") + 1 or len(text)
        return [part for part in (text[:cut], text[cut:]) if part]

    def _between_deltas(self) -> None:
        if self.backend.chunk_delay:
            self.backend.pause(self.backend.chunk_delay)

    # dispatch ------------------------------------------------------------------------------
    def do_GET(self) -> None:
        split = urlsplit(self.path)
        self.backend.record(Recorded("GET", split.path, parse_qs(split.query),
                                     {k.lower(): v for k, v in self.headers.items()}, b""))
        if split.path.endswith("/models"):
            self._send_json(200, {"object": "list", "data": [
                {"id": "mock-model", "object": "model", "owned_by": "mock"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {split.path}"}})

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            self._send_json(413, {"error": {"message": "body too large for the mock"}})
            return
        entry = Recorded("POST", split.path, parse_qs(split.query),
                         {k.lower(): v for k, v in self.headers.items()}, body)
        self.backend.record(entry)
        route = self._route(split.path)
        if route is None:
            self._send_json(404, {"error": {"message": f"no route {split.path}"}})
            return
        dialect, model, answer = route
        if self.backend.chunked:  # chunked needs HTTP/1.1; the client's Connection: close ends it
            self.protocol_version, self._chunking = "HTTP/1.1", True
        payload = entry.json or {}
        model = model or payload.get("model", "")
        kind = self.backend.choose(model)
        try:
            if kind == "slow":
                self.backend.pause(self.backend.slow_seconds)
                kind = "ok"
            streaming = payload.get("stream") or answer in (self._gemini_stream, self._responses)
            if kind == "midstream" and not streaming:
                kind = "err500"  # only a stream can fail half way
            tool_call = self.backend.take_tool_call(payload) if kind == "ok" else None
            if kind in _STATUS:
                self._fail(dialect, kind)
            elif tool_call:
                self._tool_call(answer, payload, model, *tool_call)
            else:
                answer(payload, model, kind if kind in ("badjson", "midstream") else "")
            self._end_chunks()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, path: str):
        gemini = re.search(r"/models/([^/:]+):(streamGenerateContent|generateContent)$", path)
        if gemini:
            streaming = gemini.group(2) == "streamGenerateContent"
            return "gemini", gemini.group(1), (self._gemini_stream if streaming else self._gemini)
        if path.endswith("/chat/completions"):
            return "openai", "", self._openai
        if path.endswith("/responses"):
            return "openai", "", self._responses
        if path.endswith("/messages/count_tokens"):
            return "anthropic", "", self._count_tokens
        if path.endswith("/messages"):
            return "anthropic", "", self._anthropic
        return None

    def _fail(self, dialect: str, kind: str) -> None:
        status = _STATUS[kind]
        wants = status == 429 or (status >= 500 and self.backend.retry_after_on_5xx)
        headers = {"retry-after": self.backend.retry_after} if wants else {}
        self._send_json(status, _error_body(dialect, kind, status), headers)

    # scripted tool calls ------------------------------------------------------------------
    def _tool_call(self, answer, payload: dict, model: str, name: str, arguments: dict) -> None:
        args = json.dumps(arguments)
        if answer == self._openai:
            self._openai_tool_call(payload, model, name, args)
        elif answer == self._responses:
            self._responses_tool_call(model, name, args)
        elif answer in (self._gemini, self._gemini_stream):
            chunk = {"candidates": [{"content": {"role": "model", "parts": [
                {"functionCall": {"name": name, "args": arguments}}]}, "finishReason": "STOP",
                "index": 0}], "modelVersion": model,
                "usageMetadata": _usage_gemini(self.backend.usage)}
            if answer == self._gemini:
                self._send_json(200, chunk)
                return
            self._start_sse()
            self._event(chunk)
        else:
            self._anthropic_tool_call(payload, model, name, arguments, args)

    def _openai_tool_call(self, payload: dict, model: str, name: str, args: str) -> None:
        call = {"index": 0, "id": "call_mock_1", "type": "function",
                "function": {"name": name, "arguments": args}}
        usage = _usage_openai(self.backend.usage)
        if not payload.get("stream"):
            self._send_json(200, {
                "id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()),
                "model": model, "usage": usage, "choices": [{
                    "index": 0, "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": [call]}}]})
            return
        self._start_sse()
        base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}
        self._event({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {
            "role": "assistant", "content": None, "tool_calls": [call]}}]})
        self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        if (payload.get("stream_options") or {}).get("include_usage"):
            self._event({**base, "choices": [], "usage": usage})
        self._event("[DONE]")

    def _responses_tool_call(self, model: str, name: str, args: str) -> None:
        self._start_sse()
        response = {"id": "resp_mock", "object": "response", "created_at": int(time.time()),
                    "model": model, "status": "in_progress", "output": []}
        self._event({"type": "response.created", "response": response}, "response.created")
        item = {"id": "fc_mock", "type": "function_call", "call_id": "call_mock_1", "name": name,
                "arguments": args, "status": "completed"}
        self._event({"type": "response.output_item.added", "output_index": 0,
                     "item": {**item, "arguments": "", "status": "in_progress"}},
                    "response.output_item.added")
        self._event({"type": "response.output_item.done", "output_index": 0, "item": item},
                    "response.output_item.done")
        final = {**response, "status": "completed", "output": [item],
                 "usage": _usage_responses(self.backend.usage)}
        self._event({"type": "response.completed", "response": final}, "response.completed")

    def _anthropic_tool_call(self, payload: dict, model: str, name: str, arguments: dict,
                             args: str) -> None:
        usage = _usage_anthropic(self.backend.usage)
        block = {"type": "tool_use", "id": "toolu_mock_1", "name": name}
        message = {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
                   "stop_sequence": None}
        if not payload.get("stream"):
            self._send_json(200, {**message, "stop_reason": "tool_use", "usage": usage,
                                  "content": [{**block, "input": arguments}]})
            return
        self._start_sse()
        self._event({"type": "message_start", "message": {**message, "content": [],
                     "stop_reason": None, "usage": {**usage, "output_tokens": 1}}}, "message_start")
        self._event({"type": "content_block_start", "index": 0,
                     "content_block": {**block, "input": {}}}, "content_block_start")
        self._event({"type": "content_block_delta", "index": 0,
                     "delta": {"type": "input_json_delta", "partial_json": args}},
                    "content_block_delta")
        self._event({"type": "content_block_stop", "index": 0}, "content_block_stop")
        self._event({"type": "message_delta", "delta": {"stop_reason": "tool_use",
                                                        "stop_sequence": None},
                     "usage": {"output_tokens": usage["output_tokens"]}}, "message_delta")
        self._event({"type": "message_stop"}, "message_stop")

    # OpenAI chat completions ----------------------------------------------------------------
    def _openai(self, payload: dict, model: str, broken: str) -> None:
        usage = _usage_openai(self.backend.usage)
        if not payload.get("stream"):
            if broken == "badjson":
                self._send_raw(200, b'{"choices": [ {"message": ', "application/json")
                return
            self._send_json(200, {
                "id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()),
                "model": model, "usage": usage, "choices": [{
                    "index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": self.backend.reply}}]})
            return
        self._start_sse()
        self._write(b": keep-alive comment, clients must ignore it\n\n")
        if broken == "badjson":
            self._event("{not json")
            return
        base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}
        self._event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                          "finish_reason": None}]})
        for part in self._deltas():
            self._between_deltas()
            self._event({**base, "choices": [{"index": 0, "delta": {"content": part},
                                              "finish_reason": None}]})
            if broken == "midstream":
                self._event({"error": {"message": "upstream overloaded (mock)", "code": 502}})
                return
        self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (payload.get("stream_options") or {}).get("include_usage"):
            self._event({**base, "choices": [], "usage": usage})
        self._event("[DONE]")

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self._send_length(len(data))
        self.end_headers()
        self._write(data)

    # OpenAI Responses (codex) ---------------------------------------------------------------
    def _responses(self, payload: dict, model: str, broken: str) -> None:
        self._start_sse()
        if broken == "badjson":
            self._event("{not json", "response.created")
            return
        response = {"id": "resp_mock", "object": "response", "created_at": int(time.time()),
                    "model": model, "status": "in_progress", "output": []}
        self._event({"type": "response.created", "response": response}, "response.created")
        item = {"id": "msg_mock", "type": "message", "role": "assistant", "status": "in_progress",
                "content": []}
        self._event({"type": "response.output_item.added", "output_index": 0, "item": item},
                    "response.output_item.added")
        for part in self._deltas():
            self._between_deltas()
            self._event({"type": "response.output_text.delta", "item_id": "msg_mock",
                         "output_index": 0, "content_index": 0, "delta": part},
                        "response.output_text.delta")
            if broken == "midstream":
                failed = {**response, "status": "failed",
                          "error": {"code": "server_error", "message": "upstream overloaded (mock)"}}
                self._event({"type": "response.failed", "response": failed}, "response.failed")
                return
        done = {**item, "status": "completed", "content": [
            {"type": "output_text", "text": self.backend.reply, "annotations": []}]}
        self._event({"type": "response.output_item.done", "output_index": 0, "item": done},
                    "response.output_item.done")
        final = {**response, "status": "completed", "output": [done],
                 "usage": _usage_responses(self.backend.usage)}
        self._event({"type": "response.completed", "response": final}, "response.completed")

    # Gemini ---------------------------------------------------------------------------------
    def _gemini_chunk(self, text: str, last: bool, model: str) -> dict:
        candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        chunk = {"candidates": [candidate], "modelVersion": model}
        if last:
            candidate["finishReason"] = "STOP"
            chunk["usageMetadata"] = _usage_gemini(self.backend.usage)
        return chunk

    def _gemini(self, payload: dict, model: str, broken: str) -> None:
        if broken == "badjson":
            self._send_raw(200, b'{"candidates": [', "application/json")
            return
        self._send_json(200, self._gemini_chunk(self.backend.reply, True, model))

    def _gemini_stream(self, payload: dict, model: str, broken: str) -> None:
        self._start_sse()
        if broken == "badjson":
            self._event("{not json")
            return
        parts = self._deltas()
        for index, part in enumerate(parts):
            self._between_deltas()
            self._event(self._gemini_chunk(part, index == len(parts) - 1, model))
            if broken == "midstream":
                self._event({"error": {"code": 503, "message": "upstream overloaded (mock)",
                                       "status": "UNAVAILABLE"}})
                return

    # Anthropic ------------------------------------------------------------------------------
    def _count_tokens(self, payload: dict, model: str, broken: str) -> None:
        self._send_json(200, {"input_tokens": self.backend.usage["input"]})

    def _anthropic(self, payload: dict, model: str, broken: str) -> None:
        usage = _usage_anthropic(self.backend.usage)
        message = {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
                   "content": [], "stop_reason": None, "stop_sequence": None}
        if not payload.get("stream"):
            if broken == "badjson":
                self._send_raw(200, b'{"content": [', "application/json")
                return
            self._send_json(200, {**message, "stop_reason": "end_turn", "usage": usage,
                                  "content": [{"type": "text", "text": self.backend.reply}]})
            return
        self._start_sse()
        if broken == "badjson":
            self._event("{not json", "message_start")
            return
        start_usage = {**usage, "output_tokens": 1}
        self._event({"type": "message_start", "message": {**message, "usage": start_usage}},
                    "message_start")
        self._event({"type": "content_block_start", "index": 0,
                     "content_block": {"type": "text", "text": ""}}, "content_block_start")
        self._event({"type": "ping"}, "ping")
        for part in self._deltas():
            self._between_deltas()
            self._event({"type": "content_block_delta", "index": 0,
                         "delta": {"type": "text_delta", "text": part}}, "content_block_delta")
            if broken == "midstream":
                self._event({"type": "error", "error": {"type": "overloaded_error",
                                                        "message": "Overloaded (mock)"}}, "error")
                return
        self._event({"type": "content_block_stop", "index": 0}, "content_block_stop")
        self._event({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                        "stop_sequence": None},
                     "usage": {"output_tokens": usage["output_tokens"]}}, "message_delta")
        self._event({"type": "message_stop"}, "message_stop")


def _main() -> None:
    """`python tests/mocks/llm_backend.py` serves until Ctrl-C; handy for poking a CLI by hand."""
    with LLMBackend(max_lifetime=3600) as backend:
        print(backend.url, flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    _main()
