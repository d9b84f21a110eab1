"""llm_router.io.http1, the plain-HTTP client the HTTP providers use for http:// endpoints, against
raw loopback servers started here (each one stops itself): body framing (Content-Length,
chunked with extensions and trailers, read-until-close), 100 Continue, limits, timeouts,
refused connections, error statuses through providers._http, line-by-line streaming, and which
URLs are left to urllib (https, proxies)."""

import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from llm_router import providers
from llm_router.errors import AuthError, BadRequest, NotConfigured, ProviderTimeout, RateLimited, ServerError
from llm_router.io import http1
from llm_router.providers import _http
from llm_router.providers.base import Request
from mocks.llm_backend import LLMBackend

ROOT = Path(__file__).resolve().parents[1]


class RawServer:
    """A loopback TCP server answering each connection with `reply(conn, request)`, where
    request is (head bytes, body bytes). It serves one connection at a time and stops itself
    after `lifetime` seconds or on stop()."""

    def __init__(self, reply, lifetime: float = 10.0) -> None:
        self.reply = reply
        self.requests: list[tuple[bytes, bytes]] = []
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "RawServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self.stopping.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    self.requests.append(_read_request(conn))
                    self.reply(conn, self.requests[-1])
                except OSError:
                    pass  # the client gave up first (timeouts, limits)

    def pause(self, seconds: float) -> None:
        self.stopping.wait(seconds)


def _read_request(conn) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
        piece = conn.recv(65536)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < min(length, 16 << 20):
        piece = conn.recv(1 << 20)
        if not piece:
            break
        body += piece
    return head, body


def answer(*pieces: bytes, gap: float = 0.0):
    """A reply that sends `pieces` in order, `gap` seconds apart."""
    def reply(conn, request) -> None:
        for index, piece in enumerate(pieces):
            if index and gap:
                time.sleep(gap)
            conn.sendall(piece)
    return reply


def post(server: RawServer, body: bytes = b"{}", headers: dict | None = None, timeout: float = 3.0,
         target: str = "/v1/x"):
    return http1.post("127.0.0.1", server.port, target, body, headers or {}, timeout)


def provider_post(url: str, timeout: float = 3.0):
    return _http.post(url, {"model": "m"}, {}, timeout, "openai-http", "log in")


OK_HEAD = b"HTTP/1.1 200 OK\r\n"


# framing -----------------------------------------------------------------------------------------

def test_a_content_length_body_and_case_insensitive_headers():
    reply = answer(OK_HEAD + b"Content-Length: 5\r\nX-A: 1\r\nx-a: 2\r\nRetry-After:  3 \r\n\r\nhello")
    with RawServer(reply) as server, post(server) as response:
        assert (response.status, response.reason) == (200, "OK")
        assert response.headers.get("x-A") == "1, 2" and response.headers.get("retry-after") == "3"
        assert response.headers.get("missing") is None
        assert response.read() == b"hello" and response.read() == b""


def test_the_request_is_plain_http_1_1():
    with RawServer(answer(OK_HEAD + b"Content-Length: 0\r\n\r\n")) as server:
        post(server, b'{"a": 1}', {"Authorization": "Bearer k", "Content-Length": "999",
                                   "Connection": "keep-alive"}, target="/v1/x?q=1").close()
    head, body = server.requests[-1]
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/x?q=1 HTTP/1.1" and body == b'{"a": 1}'
    assert f"Host: 127.0.0.1:{server.port}" in lines and "Authorization: Bearer k" in lines
    assert "Content-Length: 8" in lines and "Connection: close" in lines  # ours, not the caller's
    assert "Accept-Encoding: identity" in lines and "Content-Length: 999" not in lines


@pytest.mark.parametrize("gap", [0.0, 0.01])
def test_a_chunked_body_with_extensions_and_trailers(gap):
    reply = answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;ext=\"x y\"\r\nhel", b"lo\r\n",
                   b"6\r\n wor", b"ld\r\n", b"0;last\r\nX-Trailer: t\r\n", b"\r\n", gap=gap)
    with RawServer(reply) as server, post(server) as response:
        assert response.read(3) == b"hel"
        assert response.read() == b"lo world" and response.read() == b""


def test_a_body_read_until_the_server_closes():
    with RawServer(answer(OK_HEAD + b"Content-Type: text/plain\r\n\r\n", b"all ", b"of it", gap=0.01)
                   ) as server, post(server) as response:
        assert response.read() == b"all of it"


def test_an_interim_100_continue_is_skipped():
    reply = answer(b"HTTP/1.1 100 Continue\r\n\r\n", OK_HEAD + b"Content-Length: 2\r\n\r\nok", gap=0.01)
    with RawServer(reply) as server, post(server) as response:
        assert response.status == 200 and response.read() == b"ok"


def test_headers_over_64_kib_fail_clearly():
    reply = answer(OK_HEAD + b"X-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
    with RawServer(reply) as server:
        with pytest.raises(http1.ProtocolError, match="over 64 KiB"):
            post(server)
        with pytest.raises(ServerError, match="broken HTTP reply"):
            provider_post(server.url + "/v1")


@pytest.mark.parametrize("reply, problem", [
    (OK_HEAD + b"Content-Length: 10\r\n\r\nshort", "closed the connection"),
    (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
    (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
])
def test_a_broken_reply_is_a_protocol_error(reply, problem):
    with RawServer(answer(reply)) as server, pytest.raises(http1.ProtocolError, match=problem):
        post(server).read()


def test_a_truncated_body_is_a_server_error_not_a_timeout():
    reply = answer(OK_HEAD + b"Content-Length: 10\r\n\r\n{}")
    with RawServer(reply) as server, pytest.raises(ServerError, match="broken HTTP reply"):
        _http.read_json(provider_post(server.url), "openai-http")


# timeouts, refusals, statuses --------------------------------------------------------------------

def test_a_slow_first_byte_times_out():
    def slow(conn, request) -> None:
        server.pause(3)
        conn.sendall(OK_HEAD + b"Content-Length: 0\r\n\r\n")

    with RawServer(slow) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            post(server, timeout=0.3)
        with pytest.raises(ProviderTimeout):
            provider_post(server.url, timeout=0.3)
        assert time.monotonic() - started < 2


def test_a_refused_connection_cannot_reach():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free once closed, and nothing listens there
    with pytest.raises(ConnectionRefusedError):
        http1.post("127.0.0.1", port, "/", b"", {}, 1)
    with pytest.raises(ServerError, match="cannot reach"):
        provider_post(f"http://127.0.0.1:{port}/v1")


def _status_reply(status: bytes, extra: bytes = b"") -> bytes:
    body = b'{"error": {"message": "nope (mock)", "code": "mock"}}'
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), extra, body)


def test_429_with_retry_after_is_rate_limited():
    reply = answer(_status_reply(b"429 Too Many Requests", b"Retry-After: 7\r\n"))
    with RawServer(reply) as server, pytest.raises(RateLimited, match="nope") as info:
        provider_post(server.url)
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize("status, error", [
    (b"401 Unauthorized", AuthError), (b"403 Forbidden", AuthError), (b"400 Bad Request", BadRequest),
    (b"404 Not Found", BadRequest), (b"500 Internal Server Error", ServerError),
    (b"503 Service Unavailable", ServerError)])
def test_error_statuses_are_classified_as_before(status, error):
    with RawServer(answer(_status_reply(status))) as server, pytest.raises(error, match="nope"):
        provider_post(server.url)


def test_a_redirect_is_reported_not_followed():
    reply = b"HTTP/1.1 301 Moved\r\nLocation: https://example.invalid/v1\r\nContent-Length: 0\r\n\r\n"
    with RawServer(answer(reply)) as server, pytest.raises(NotConfigured, match="example.invalid"):
        provider_post(server.url)
    assert len(server.requests) == 1


# streaming ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True])
def test_each_streamed_line_is_handed_over_as_it_arrives(chunked):
    got_first = threading.Event()

    def frame(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

    def stream(conn, request) -> None:
        framing = b"Transfer-Encoding: chunked\r\n" if chunked else b""
        conn.sendall(OK_HEAD + b"Content-Type: text/event-stream\r\n" + framing + b"\r\n")
        conn.sendall(frame(b"data: first\n\n"))
        got_first.wait(3)  # the rest only once the client has the first line (or after 3 s)
        conn.sendall(frame(b"data: second\n\n") + (b"0\r\n\r\n" if chunked else b""))

    with RawServer(stream) as server, post(server) as response:
        started = time.monotonic()
        assert response.readline() == b"data: first\n"
        assert time.monotonic() - started < 1  # did not wait for more bytes
        got_first.set()
        assert [response.readline() for _ in range(4)] == [b"\n", b"data: second\n", b"\n", b""]


def test_sse_events_through_the_provider_helpers():
    reply = answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n",
                   b"8;x=1\r\n: ping\n\n\r\n9\r\n", b"data", b": {}\n\r\n1\r\n\n\r\n0\r\n\r\n",
                   gap=0.01)
    with RawServer(reply) as server, provider_post(server.url) as response:
        events = list(_http.sse_events(response, time.monotonic() + 3, "openai-http"))
    assert events == [("", "{}")]


# bodies ------------------------------------------------------------------------------------------

def test_a_1_mib_request_body_arrives_whole():
    body = (b"0123456789abcdef" * 65536) + b"END"
    reply = answer(OK_HEAD + b"Content-Length: 2\r\n\r\nok")
    with RawServer(reply) as server, post(server, body) as response:
        assert response.read() == b"ok"
    assert server.requests[-1][1] == body


def test_non_ascii_bodies_are_byte_exact():
    sent = "ünï 日本 🙂 \"q\"".encode()
    reply_body = "réponse 応答 🙂".encode() + b"\xff\x00"
    reply = answer(OK_HEAD + b"Content-Length: %d\r\n\r\n" % len(reply_body) + reply_body)
    with RawServer(reply) as server, post(server, sent) as response:
        assert response.read() == reply_body
    assert server.requests[-1][1] == sent


def test_the_provider_body_is_the_ascii_json_it_always_was():
    with RawServer(answer(OK_HEAD + b"Content-Length: 2\r\n\r\n{}")) as server:
        _http.post(server.url, {"m": "日本 🙂", "n": [1, 2.5, None, True]}, {}, 3, "p", "").close()
    head, body = server.requests[-1]
    assert body == b'{"m": "\\u65e5\\u672c \\ud83d\\ude42", "n": [1, 2.5, null, true]}'
    assert b"Content-Type: application/json" in head and b"User-Agent: llm-router/" in head


class _Pieces:
    """A socket stand-in whose recv hands out the given pieces, then b"" (closed)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def recv(self, size: int) -> bytes:
        piece = self.pieces.pop(0) if self.pieces else b""
        if len(piece) > size:
            self.pieces.insert(0, piece[size:])
        return piece[:size]

    def close(self) -> None:
        pass


def _wire(rnd, body: bytes, framing: str) -> bytes:
    head = b"HTTP/1.1 100 Continue\r\n\r\n" * rnd.randint(0, 1) + OK_HEAD
    if framing == "length":
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    if framing == "close":
        return head + b"\r\n" + body
    size = rnd.randint(1, 40)
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    framed = b"".join(b"%x%s\r\n%s\r\n" % (len(c), b";n=1" * (len(c) % 2), c) for c in chunks)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\nT: 1\r\n\r\n"


def test_any_split_of_the_wire_decodes_to_the_same_lines():
    rnd = random.Random(7)
    for _ in range(300):
        body = bytes(rnd.choice(b"ab\n\r:") for _ in range(rnd.randint(0, 200)))
        wire = _wire(rnd, body, rnd.choice(["length", "chunked", "close"]))
        cuts = sorted(rnd.sample(range(1, len(wire)), min(len(wire) - 1, rnd.randint(0, 25))))
        response = http1.Response(_Pieces([wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)])]))
        *complete, last = body.split(b"\n")
        expected = [line + b"\n" for line in complete] + ([last] if last else []) + [b""]
        assert [response.readline() for _ in expected] == expected


def test_header_values_cannot_split_the_request():
    with pytest.raises(ValueError):
        http1.post("127.0.0.1", 1, "/", b"", {"X-Evil": "a\r\nHost: elsewhere"}, 1)


# which URLs http1 takes --------------------------------------------------------------------------

@pytest.mark.parametrize("url, parts", [
    ("http://127.0.0.1:8080/v1", ("http", "127.0.0.1", 8080, "/v1")),
    ("HTTP://LocalHost/v1/chat?x=1#frag", ("http", "localhost", 80, "/v1/chat?x=1")),
    ("http://[::1]:11434", ("http", "::1", 11434, "/")),
    ("http://host.example?x", ("http", "host.example", 80, "/?x")),
    ("https://api.example.com/v1", ("https", "api.example.com", 443, "/v1")),
    ("http://user:pw@host/v1", None), ("http://host:99999/", None), ("http://host:x/", None),
    ("http://h ost/", None), ("http://hôst/", None), ("ftp://host/", None), ("http://[::1/", None),
    ("http:///v1", None), ("host:80/v1", None)])
def test_urls_are_split_by_hand(url, parts):
    assert http1.split(url) == parts


@pytest.fixture
def clean_proxy_env(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(http1, "SYSTEM_PROXIES", False)
    return monkeypatch


@pytest.mark.parametrize("env, url, direct", [
    ({}, "http://gpu-box.lan:11434/v1", True),
    ({"http_proxy": "http://proxy:3128"}, "http://gpu-box.lan/v1", False),
    ({"HTTP_PROXY": "http://proxy:3128"}, "http://gpu-box.lan/v1", False),
    ({"HTTP_PROXY": "http://proxy:3128", "http_proxy": ""}, "http://gpu-box.lan/v1", True),
    ({"all_proxy": "socks5://proxy:1080"}, "http://gpu-box.lan/v1", False),
    ({"http_proxy": "http://proxy:3128", "no_proxy": "example.com, .lan"}, "http://gpu-box.lan/v1", True),
    ({"http_proxy": "http://proxy:3128", "NO_PROXY": "gpu-box.lan:8080"}, "http://gpu-box.lan:8080/", True),
    ({"http_proxy": "http://proxy:3128", "no_proxy": "*"}, "http://gpu-box.lan/v1", True),
    ({"http_proxy": "http://proxy:3128", "no_proxy": "other.lan"}, "http://gpu-box.lan/v1", False),
    ({"http_proxy": "http://proxy:3128"}, "http://localhost:11434/v1", True),
    ({"http_proxy": "http://proxy:3128"}, "http://[::1]:8080/v1", True),
    ({}, "https://127.0.0.1:8443/v1", False)])
def test_proxies_and_https_are_left_to_urllib(clean_proxy_env, env, url, direct):
    for name, value in env.items():
        clean_proxy_env.setenv(name, value)
    assert (http1.direct(url) is not None) is direct


def test_system_proxy_platforms_leave_remote_hosts_to_urllib(clean_proxy_env):
    clean_proxy_env.setattr(http1, "SYSTEM_PROXIES", True)
    assert http1.direct("http://gpu-box.lan/v1") is None
    assert http1.direct("http://127.0.0.1:1/v1") == ("127.0.0.1", 1, "/v1")


@pytest.mark.parametrize("url", ["https://127.0.0.1:1/v1", "http://gpu-box.lan/v1"])
def test_the_urllib_path_is_taken_without_touching_the_network(clean_proxy_env, url):
    clean_proxy_env.setenv("http_proxy", "http://127.0.0.1:9")
    seen = []
    clean_proxy_env.setattr(_http, "_post_urllib", lambda *args: seen.append(args) or "urllib")
    assert provider_post(url) == "urllib" and seen[0][0] == url


def test_https_still_works_through_urllib(clean_proxy_env):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(ServerError, match="cannot reach"):
        provider_post(f"https://127.0.0.1:{port}/v1")


# the providers over chunked transfer coding (uvicorn/LiteLLM, Ollama, llama.cpp) ----------------

@pytest.fixture
def chunked_backend():
    with LLMBackend(chunked=True, max_lifetime=60) as server:
        yield server


def _options(backend, name: str) -> dict:
    return {"base_url": backend.url + ("/v1" if name == "openai-http" else ""),
            "api_key_env": "K", "env": {"K": "sk-test"}}


@pytest.mark.parametrize("name", ["openai-http", "anthropic-http"])
@pytest.mark.parametrize("stream", [False, True])
def test_providers_read_chunked_replies(chunked_backend, name, stream):
    seen = []
    result = providers.get(name).run(Request(model="mock-model", prompt="hi", stream=stream,
                                             on_text=seen.append, options=_options(chunked_backend, name)), 5)
    assert result.text == "MOCK-REPLY pong" and result.usage.output_tokens == 3
    assert seen == (["MOCK-REPLY ", "pong"] if stream else [])


def test_a_chunked_429_is_rate_limited(chunked_backend):
    chunked_backend.retry_after = "4"
    with pytest.raises(RateLimited) as info:
        providers.get("openai-http").run(Request(model="err429", prompt="hi",
                                                 options=_options(chunked_backend, "openai-http")), 5)
    assert info.value.retry_after == 4.0


def test_a_cold_call_imports_neither_urllib_nor_email_nor_json(chunked_backend):
    code = ("import sys; sys.path.insert(0, 'lib'); from llm_router import providers; "
            "from llm_router.providers.base import Request; "
            f"r = providers.get('openai-http').run(Request(model='m', prompt='hi', stream=True, "
            f"options={{'base_url': '{chunked_backend.url}/v1'}}), 5); "
            "print(r.text, sorted(m for m in ('urllib.request', 'http.client', 'email', 'json', "
            "'socket', 'ssl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True,
                         cwd=str(ROOT), check=True, timeout=30).stdout
    assert out.strip() == "MOCK-REPLY pong []"
