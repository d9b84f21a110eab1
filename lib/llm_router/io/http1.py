"""One HTTP/1.1 POST over a plain TCP socket, for `http://` endpoints no proxy applies to
(local servers: Ollama, llama.cpp, a LiteLLM proxy, the test mocks).

Why not urllib.request: a cold `import urllib.request` imports http.client, which imports the
`email` package to parse headers, plus ssl, tempfile and hashlib. Measured with
`python3 -I -S -X importtime -c 'import X'` (CPython 3.11, best of 7):
  urllib.request  ~33 ms     http.client  ~34 ms     email.parser  ~25 ms
  socket          ~7-11 ms   (enum and selectors; what `socket.py` adds to the C module)
  _socket         ~0.5 ms
That was more than a third of a cold `llm-router invoke` (~87 ms). So this module drives the C
module `_socket` directly, as llm_router.io.fastjson drives `_json`, and imports nothing else but
os and sys. `https://` URLs and proxied ones stay with urllib (see `direct`).

Scope, on purpose: POST only; one request per connection (Connection: close); identity
encoding; the response body framed by Content-Length, chunked transfer coding (extensions and
trailers are read and dropped) or the connection's close; 1xx interim responses are skipped.
`timeout` bounds the connect and every single socket operation, as it did with urllib.
"""

import _socket
import os
import sys

MAX_HEAD = 64 * 1024  # status line plus headers (all interim responses together), or trailers
RECV_SIZE = 64 * 1024
LOOPBACK = ("localhost", "127.0.0.1", "::1")
# urllib also reads the system's proxy settings there (not only the environment): leave every
# non-loopback host to it, so such a proxy keeps being used.
SYSTEM_PROXIES = sys.platform in ("darwin", "win32")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_IPV6_CHARS = frozenset("0123456789abcdef:.")
_OURS = ("content-length", "transfer-encoding", "connection")  # the body's framing
_CRLF_DUE, _IN_TRAILERS = -1, -2  # Response._left in chunked mode, besides the bytes left


class ProtocolError(OSError):
    """The server's reply is not HTTP/1.x we can read (or it ended in the middle)."""


# deciding ----------------------------------------------------------------------------------------

def split(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, target) of an http(s) URL, host lower-cased and IPv6 without its
    brackets; None for anything unusual (user info, non-ASCII, spaces, a bad port), which is
    then left to urllib exactly as before."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https") or not _plain(rest):
        return None
    end = min([i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0] or [len(rest)])
    target = rest[end:].partition("#")[0]
    host_port = _host_port(rest[:end], 80 if scheme == "http" else 443)
    if host_port is None:
        return None
    return scheme, host_port[0], host_port[1], target if target.startswith("/") else "/" + target


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable() and " " not in text


def _host_port(authority: str, default: int) -> tuple[str, int] | None:
    if authority.startswith("["):  # [IPv6]:port
        host, sep, port = authority[1:].partition("]")
        if not sep or (port and not port.startswith(":")) or not set(host.lower()) <= _IPV6_CHARS:
            return None
        port = port[1:]
    else:
        host, _, port = authority.partition(":")
        if not set(host.lower()) <= _HOST_CHARS:
            return None
    if not host or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        return None
    return host.lower(), int(port) if port else default


def loopback(url: str) -> bool:
    parts = split(url)
    return parts is not None and parts[1] in LOOPBACK


def direct(url: str) -> tuple[str, int, str] | None:
    """(host, port, target) when this module sends the request: a plain http URL that no proxy
    applies to (loopback hosts never use one). None means urllib: https, a proxy, or an odd URL."""
    parts = split(url)
    if parts is None or parts[0] != "http":
        return None
    _, host, port, target = parts
    if host not in LOOPBACK and (SYSTEM_PROXIES or proxied(host, port)):
        return None
    return host, port, target


def proxied(host: str, port: int) -> bool:
    """Whether the environment names a proxy for http://host:port, as urllib reads it
    (lower-case variable first; no_proxy is "*" or comma-separated host suffixes). all_proxy
    counts too (curl honours it): such hosts keep getting exactly what they got before, urllib
    (which ignores it)."""
    if not (_env("http_proxy") or _env("all_proxy")):
        return False
    rule = _env("no_proxy").strip()
    if rule == "*":
        return False
    for name in rule.split(","):
        name = name.strip().lstrip(".").lower()
        for candidate in (host, f"{host}:{port}"):
            if name and (candidate == name or candidate.endswith("." + name)):
                return False
    return True


def _env(name: str) -> str:
    value = os.environ.get(name)
    return value if value is not None else os.environ.get(name.upper(), "")


# sending -----------------------------------------------------------------------------------------

def post(host: str, port: int, target: str, body: bytes, headers: dict, timeout: float) -> "Response":
    """POST `body` and read the reply's status and headers. Any status comes back as a Response;
    failures to connect, send or read are OSError (TimeoutError, ConnectionRefusedError,
    ProtocolError ...), as they were from urllib."""
    head = _head(host, port, target, len(body), headers)
    sock = _connect(host, port, timeout)
    try:
        sock.sendall(head + body)  # one send: no Nagle / delayed-ACK stall between head and body
        return Response(sock)
    except BaseException:
        sock.close()
        raise


def _connect(host: str, port: int, timeout: float):
    """socket.create_connection: each address in turn. The host goes in as bytes: a str makes
    getaddrinfo import encodings.idna (about 2 ms)."""
    error = None
    for family, kind, proto, _, address in _socket.getaddrinfo(host.encode("ascii"), port, 0,
                                                               _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"no address for {host}")


def _head(host: str, port: int, target: str, length: int, headers: dict) -> bytes:
    authority = f"[{host}]" if ":" in host else host
    fields = {"host": ("Host", authority if port == 80 else f"{authority}:{port}"),
              "accept-encoding": ("Accept-Encoding", "identity")}
    for name, value in headers.items():
        _check(name, str(value))
        if name.lower() not in _OURS:
            fields[name.lower()] = (name, str(value))
    lines = [f"POST {target} HTTP/1.1", *(f"{name}: {value}" for name, value in fields.values()),
             f"Content-Length: {length}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _check(name: str, value: str) -> None:
    """What http.client refuses too: a header that would split the request."""
    if not name or not _plain(name) or ":" in name:
        raise ValueError(f"invalid header name {name!r}")
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"invalid header value for {name!r}")


# receiving ---------------------------------------------------------------------------------------

class Headers:
    """Response headers: `get` ignores case; a repeated header's values are joined with ", "."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self._joined: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            self._joined[key] = f"{self._joined[key]}, {value}" if key in self._joined else value

    def get(self, name: str, default=None):
        return self._joined.get(name.lower(), default)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._joined

    def __repr__(self) -> str:
        return f"Headers({self.pairs!r})"


class Response:
    """The reply: `status`, `reason`, `headers`, and the body through `read([n])` and
    `readline()`. Both return as soon as the bytes they need have arrived: a streamed line is
    handed over when its newline does, not when some buffer fills."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self._raw = bytearray()   # bytes received and not yet decoded
        self._body = bytearray()  # decoded body not yet handed out
        self._budget = MAX_HEAD
        self.status, self.reason, self.headers = self._final_head()
        self._mode, self._left, self._done = self._framing()
        self._budget = MAX_HEAD  # now for chunk-size lines and trailers

    # reading the head ------------------------------------------------------------------------
    def _final_head(self) -> tuple[int, str, Headers]:
        while True:
            status, reason = self._status_line()
            headers = self._header_lines()
            if status == 101 or not 100 <= status < 200:
                break  # 100 Continue, 102, 103: an interim response, the real one follows
        if status == 101:
            raise ProtocolError("the server switched protocols (101), which a POST never asks for")
        return status, reason, headers

    def _status_line(self) -> tuple[int, str]:
        line = self._head_line()
        version, _, rest = line.partition(" ")
        code, _, reason = rest.strip().partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {line[:80]!r}")
        return int(code), reason.strip()

    def _header_lines(self) -> Headers:
        pairs: list[tuple[str, str]] = []
        while True:
            line = self._head_line()
            if not line:
                return Headers(pairs)
            if line[0] in " \t" and pairs:  # obsolete line folding: continues the last value
                pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {line.strip()}")
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"malformed header line {line[:80]!r}")
            pairs.append((name, value.strip()))

    def _head_line(self) -> str:
        line = self._line(wait=True)
        return line.decode("latin-1").rstrip("\r\n")

    def _line(self, wait: bool) -> bytes | None:
        """One raw line (CRLF or LF) of the head, a chunk size or a trailer, charged to the
        budget; None when not all of it is here and `wait` is false."""
        while True:
            end = self._raw.find(b"\n")
            if end >= 0:
                self._budget -= end + 1
                if self._budget < 0:
                    break
                line = bytes(self._raw[:end + 1])
                del self._raw[:end + 1]
                return line
            if len(self._raw) > self._budget:
                break
            if not wait:
                return None
            if not self._recv():
                raise ProtocolError("the server closed the connection before its response was complete")
        raise ProtocolError(f"the response head (or a chunk header, or the trailers) is over "
                            f"{MAX_HEAD // 1024} KiB")

    def _framing(self) -> tuple[str, int, bool]:
        """(mode, bytes left, done): how the body ends (RFC 9112 section 6.3)."""
        if self.status in (204, 304):
            return "length", 0, True
        coding = self.headers.get("transfer-encoding")
        if coding:
            chunked = coding.rsplit(",", 1)[-1].strip().lower() == "chunked"
            return ("chunked", 0, False) if chunked else ("close", 0, False)
        length = self.headers.get("content-length")
        if length is None:
            return "close", 0, False
        values = {value.strip() for value in length.split(",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise ProtocolError(f"bad Content-Length {length!r}")
        left = int(values.pop())
        return "length", left, left == 0

    # reading the body ------------------------------------------------------------------------
    def read(self, amount: int | None = -1) -> bytes:
        """The rest of the body, or up to `amount` bytes of it (fewer only at its end)."""
        if amount is None or amount < 0:
            while self._more():
                pass
            return self._take(len(self._body))
        while len(self._body) < amount and self._more():
            pass
        return self._take(min(amount, len(self._body)))

    def readline(self, limit: int = -1) -> bytes:
        """Up to and including the next b"\\n" (or `limit` bytes); b"" at the end of the body."""
        searched = 0
        while True:
            end = self._body.find(b"\n", searched)
            if end >= 0:
                return self._take(end + 1 if limit < 0 else min(end + 1, limit))
            if 0 <= limit <= len(self._body):
                return self._take(limit)
            searched = len(self._body)
            if not self._more():
                return self._take(len(self._body))

    def _take(self, count: int) -> bytes:
        data = bytes(self._body[:count])
        del self._body[:count]
        return data

    def _more(self) -> bool:
        """Add body bytes to self._body, receiving only when what is here decodes to none;
        False once the body has ended."""
        while True:
            before = len(self._body)
            self._decode()
            if len(self._body) > before:
                return True
            if self._done:
                return False
            if not self._recv():
                if self._mode != "close":
                    raise ProtocolError("the server closed the connection in the middle of the body")
                self._done = True

    def _decode(self) -> None:
        if self._mode == "chunked":
            self._decode_chunked()
        elif self._mode == "length":
            self._move(self._left)
            self._done = self._left == 0
        else:
            self._move(len(self._raw))

    def _decode_chunked(self) -> None:
        """Chunks: `size[;extension]` CRLF, data, CRLF; then `0`, trailer lines, an empty line.
        `_left` is the data left in the current chunk (0: a size line is due), or a state."""
        while not self._done:
            if self._left > 0:
                if not self._move(self._left):
                    return
                self._left = self._left or _CRLF_DUE
                continue
            if self._left != _IN_TRAILERS:
                self._budget = MAX_HEAD  # per size line; the trailers share one budget
            line = self._line(wait=False)
            if line is None:
                return
            if self._left == _CRLF_DUE:
                if line.strip():
                    raise ProtocolError(f"chunk data overran its size: {line[:40]!r}")
                self._left = 0
            elif self._left == _IN_TRAILERS:
                self._done = not line.strip()
            else:
                self._left = _chunk_size(line) or _IN_TRAILERS

    def _move(self, most: int) -> int:
        """Move up to `most` received bytes into the body; how many moved."""
        count = min(most, len(self._raw))
        if count:
            self._body += self._raw[:count]
            del self._raw[:count]
            if self._mode != "close":
                self._left -= count
        return count

    def _recv(self) -> bool:
        data = self._sock.recv(RECV_SIZE)
        self._raw += data
        return bool(data)

    # lifetime ----------------------------------------------------------------------------------
    def close(self) -> None:
        self._done, self._body, self._raw = True, bytearray(), bytearray()
        self._sock.close()

    def __enter__(self) -> "Response":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _chunk_size(line: bytes) -> int:
    size = line.split(b";", 1)[0].strip()  # a chunk extension (";name=value") is dropped
    if not size or not all(c in b"0123456789abcdefABCDEF" for c in size):
        raise ProtocolError(f"bad chunk size line {line[:40]!r}")
    return int(size, 16)
