"""providers._http's transport (urllib and http.client) against raw loopback servers started
here (each one stops itself): body framing (Content-Length, chunked with extensions and
trailers, read-until-close), 100 Continue, broken and truncated replies, timeouts, refused
connections, error statuses, redirects reported and not followed, line-by-line streaming,
and proxies: never for a loopback host, still used for others."""

import socket
import threading
import time
from typing import Self

import pytest
from llm_router import providers
from llm_router.errors import (
    AuthError,
    BadRequest,
    NotConfigured,
    ProviderTimeout,
    RateLimited,
    ServerError,
)
from llm_router.providers import _http
from llm_router.providers.base import Request
from mocks.llm_backend import LLMBackend


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

    def __enter__(self) -> Self:
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
                    pass  # the client gave up first (timeouts)

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


def post(url: str, payload: dict | None = None, headers: dict | None = None, timeout: float = 3.0):
    return _http.post(url, {"model": "m"} if payload is None else payload, headers or {}, timeout,
                      "openai-http", "log in")


def read_json(server: RawServer) -> dict:
    with post(server.url + "/v1/x") as response:
        return _http.read_json(response, "openai-http")


OK_HEAD = b"HTTP/1.1 200 OK\r\n"


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    """No proxy from the machine running the tests: each test sets the ones it wants."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


# framing -----------------------------------------------------------------------------------------

def test_a_content_length_body():
    reply = answer(OK_HEAD + b"Content-Length: 11\r\nX-A: 1\r\n\r\n{\"a\": true}")
    with RawServer(reply) as server:
        assert read_json(server) == {"a": True}


def test_the_request_is_a_json_post():
    with RawServer(answer(OK_HEAD + b"Content-Length: 2\r\n\r\n{}")) as server:
        post(server.url + "/v1/x?q=1", {"a": 1}, {"Authorization": "Bearer k"}).close()
    head, body = server.requests[-1]
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/x?q=1 HTTP/1.1" and body == b'{"a": 1}'
    assert f"Host: 127.0.0.1:{server.port}" in lines and "Authorization: Bearer k" in lines
    assert "Content-Length: 8" in lines and "Content-Type: application/json" in lines


@pytest.mark.parametrize("gap", [0.0, 0.01])
def test_a_chunked_body_with_extensions_and_trailers(gap):
    reply = answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5;ext=\"x y\"\r\n{\"a\":", b"\r\n",
                   b"6\r\n \"b c\"", b"\r\n1\r\n}\r\n", b"0;last\r\nX-Trailer: t\r\n", b"\r\n", gap=gap)
    with RawServer(reply) as server:
        assert read_json(server) == {"a": "b c"}


def test_a_body_read_until_the_server_closes():
    reply = answer(OK_HEAD + b"Content-Type: application/json\r\n\r\n", b'{"all": ', b'"of it"}', gap=0.01)
    with RawServer(reply) as server:
        assert read_json(server) == {"all": "of it"}


def test_an_interim_100_continue_is_skipped():
    reply = answer(b"HTTP/1.1 100 Continue\r\n\r\n", OK_HEAD + b"Content-Length: 2\r\n\r\n{}", gap=0.01)
    with RawServer(reply) as server:
        assert read_json(server) == {}


# broken replies: a ServerError that says so, not a timeout ---------------------------------------

@pytest.mark.parametrize("reply", [
    OK_HEAD + b"X-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n",
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"",  # closed without a word
])
def test_a_head_we_cannot_read_is_a_broken_reply(reply):
    with RawServer(answer(reply)) as server, pytest.raises(ServerError, match="broken HTTP reply"):
        post(server.url)


@pytest.mark.parametrize("reply", [
    OK_HEAD + b"Content-Length: 10\r\n\r\n{}",
    OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n9\r\n{\"a\"",
])
def test_a_truncated_body_is_a_broken_reply(reply):
    with RawServer(answer(reply)) as server, pytest.raises(ServerError, match="broken HTTP reply"):
        read_json(server)


def test_a_stream_cut_in_the_middle_is_a_broken_reply():
    reply = answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"d\r\ndata: {}\n\nda")
    with RawServer(reply) as server, post(server.url) as response:
        events = _http.sse_events(response, time.monotonic() + 3, "openai-http")
        assert next(events) == ("", "{}")
        with pytest.raises(ServerError, match="broken HTTP reply"):
            next(events)


# timeouts, refusals, statuses --------------------------------------------------------------------

def test_a_slow_first_byte_times_out():
    def slow(conn, request) -> None:
        server.pause(3)
        conn.sendall(OK_HEAD + b"Content-Length: 0\r\n\r\n")

    with RawServer(slow) as server:
        started = time.monotonic()
        with pytest.raises(ProviderTimeout):
            post(server.url, timeout=0.3)
        assert time.monotonic() - started < 2


def test_a_stalled_body_times_out():
    def stall(conn, request) -> None:
        conn.sendall(OK_HEAD + b"Content-Length: 10\r\n\r\n{")
        server.pause(3)

    with RawServer(stall) as server, post(server.url, timeout=0.3) as response, \
            pytest.raises(ProviderTimeout, match="stalled"):
        _http.read_json(response, "openai-http")


def test_a_refused_connection_cannot_reach():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free once closed, and nothing listens there
    for scheme in ("http", "https"):
        with pytest.raises(ServerError, match="cannot reach"):
            post(f"{scheme}://127.0.0.1:{port}/v1")


def test_a_port_that_is_not_a_number_cannot_reach():
    with pytest.raises(ServerError, match="cannot reach"):
        post("http://127.0.0.1:x/v1")


def _status_reply(status: bytes, extra: bytes = b"") -> bytes:
    body = b'{"error": {"message": "nope (mock)", "code": "mock"}}'
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), extra, body)


def test_429_with_retry_after_is_rate_limited():
    reply = answer(_status_reply(b"429 Too Many Requests", b"Retry-After: 7\r\n"))
    with RawServer(reply) as server, pytest.raises(RateLimited, match="nope") as info:
        post(server.url)
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize("status, error", [
    (b"401 Unauthorized", AuthError), (b"403 Forbidden", AuthError), (b"400 Bad Request", BadRequest),
    (b"404 Not Found", BadRequest), (b"500 Internal Server Error", ServerError),
    (b"503 Service Unavailable", ServerError)])
def test_error_statuses_are_classified(status, error):
    with RawServer(answer(_status_reply(status))) as server, pytest.raises(error, match="nope"):
        post(server.url)


@pytest.mark.parametrize("status", [b"301 Moved", b"302 Found", b"303 See Other", b"307 Temporary",
                                    b"308 Permanent"])
def test_a_redirect_is_reported_not_followed(status):
    reply = b"HTTP/1.1 %s\r\nLocation: %%s/elsewhere\r\nContent-Length: 0\r\n\r\n" % status

    def redirect(conn, request) -> None:
        conn.sendall(reply.replace(b"%s", server.url.encode()))  # a place that would answer

    with RawServer(redirect) as server, pytest.raises(NotConfigured, match="a redirect to .*/elsewhere"):
        post(server.url + "/v1")
    assert len(server.requests) == 1


def test_header_values_cannot_split_the_request():
    with pytest.raises(ValueError):
        post("http://127.0.0.1:1/v1", headers={"X-Evil": "a\r\nHost: elsewhere"})


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

    with RawServer(stream) as server, post(server.url) as response:
        started = time.monotonic()
        assert response.readline() == b"data: first\n"
        assert time.monotonic() - started < 1  # did not wait for more bytes
        got_first.set()
        assert [response.readline() for _ in range(4)] == [b"\n", b"data: second\n", b"\n", b""]


def test_sse_events_through_the_provider_helpers():
    reply = answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n",
                   b"8;x=1\r\n: ping\n\n\r\n9\r\n", b"data", b": {}\n\r\n1\r\n\n\r\n0\r\n\r\n",
                   gap=0.01)
    with RawServer(reply) as server, post(server.url) as response:
        events = list(_http.sse_events(response, time.monotonic() + 3, "openai-http"))
    assert events == [("", "{}")]


# bodies ------------------------------------------------------------------------------------------

def test_a_1_mib_request_body_arrives_whole():
    text = "0123456789abcdef" * 65536
    with RawServer(answer(OK_HEAD + b"Content-Length: 2\r\n\r\n{}")) as server:
        post(server.url, {"text": text}).close()
    assert server.requests[-1][1] == b'{"text": "%s"}' % text.encode()


def test_the_body_is_ascii_json_and_the_reply_byte_exact():
    reply_body = '{"r": "réponse 応答 🙂"}'.encode()
    reply = answer(OK_HEAD + b"Content-Length: %d\r\n\r\n" % len(reply_body) + reply_body)
    with RawServer(reply) as server, post(server.url, {"m": "日本 🙂", "n": [1, 2.5, None, True]}) as response:
        assert response.read() == reply_body
    head, body = server.requests[-1]
    assert body == b'{"m": "\\u65e5\\u672c \\ud83d\\ude42", "n": [1, 2.5, null, true]}'
    assert b"User-Agent: llm-router/" in head


# proxies -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8080/v1", True), ("http://127.0.0.2/v1", True), ("http://LocalHost/v1", True),
    ("http://[::1]:11434", True), ("https://localhost:8443/v1", True),
    ("http://gpu-box.lan:11434/v1", False), ("http://10.0.0.5/v1", False), ("https://api.example.com", False),
    ("http://[::1/", False), ("http:///v1", False), ("", False)])
def test_which_hosts_are_loopback(url, expected):
    assert _http.loopback(url) is expected


@pytest.mark.parametrize("variable", ["http_proxy", "HTTP_PROXY"])
def test_a_proxy_is_never_used_for_a_loopback_host(no_proxy_env, variable):
    with RawServer(answer(OK_HEAD + b"Content-Length: 2\r\n\r\n{}")) as proxy, \
            RawServer(answer(OK_HEAD + b"Content-Length: 9\r\n\r\n{\"d\": 1}\n")) as server:
        no_proxy_env.setenv(variable, proxy.url)
        assert read_json(server) == {"d": 1}
    assert proxy.requests == []


def test_a_proxy_is_still_used_for_other_hosts(no_proxy_env):
    with RawServer(answer(OK_HEAD + b"Content-Length: 9\r\n\r\n{\"p\": 1}\n")) as proxy:
        no_proxy_env.setenv("http_proxy", proxy.url)
        with post("http://gpu-box.invalid:11434/v1/x") as response:
            assert _http.read_json(response, "openai-http") == {"p": 1}
    assert proxy.requests[-1][0].startswith(b"POST http://gpu-box.invalid:11434/v1/x HTTP/1.1\r\n")


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
