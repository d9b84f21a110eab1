"""What the two HTTP providers share: resolving the endpoint, POSTing JSON, turning HTTP
failures into our error classes, and reading Server-Sent Events.

Every request goes through urllib.request (http.client underneath). It costs ~30 ms to import
cold, nothing next to a model call, so it is imported inside the functions only to keep
importing a provider (or the registry) cheap for the commands that never send a request.
A loopback host never goes through HTTP(S)_PROXY, and a redirect is reported, not followed.

Endpoint settings come in request.options (the router merges the policy's `endpoints` entry in):
  base_url       the API base, e.g. https://openrouter.ai/api/v1
  base_url_env   or the name of an env var holding it (for local servers: OLLAMA_BASE_URL ...)
  api_key_env    the name of the env var holding the key; the key itself is never in the policy
  api_key_optional  true for servers that need no key (Ollama, llama.cpp, a keyless LiteLLM
                 proxy): the key is sent when the variable is set, and nothing when it is not
  headers        extra request headers (OpenRouter attribution ...)
  timeout_s      the endpoint's own cap on one call, when lower than the router's timeout
  env            a dict consulted before os.environ for those variables (tests use it)
"""

import os
import time

from ..errors import (
    BadOutput,
    BadRequest,
    ContextOverflow,
    NotConfigured,
    ProviderError,
    ProviderTimeout,
    ServerError,
    cut,
)
from ..io import fastjson
from . import _classify

USER_AGENT = "llm-router/0.1 (+https://github.com/llm-router/llm-router)"
ERROR_BODY_LIMIT = 64 * 1024


def _env(options: dict, name: str | None) -> str:
    if not name:
        return ""
    return str((options.get("env") or {}).get(name) or os.environ.get(name) or "")


def endpoint(options: dict) -> tuple[str, str, str]:
    """(base_url, key, why-not): base_url is "" when unusable, and why-not says what is missing."""
    base = str(options.get("base_url") or _env(options, options.get("base_url_env"))).rstrip("/")
    if not base:
        wanted = options.get("base_url_env")
        return "", "", f"set {wanted}" if wanted else "the endpoint has no base_url or base_url_env"
    key = _env(options, options.get("api_key_env"))
    if options.get("api_key_env") and not key and not options.get("api_key_optional"):
        return "", "", f"set {options['api_key_env']} (the API key for {base})"
    return base, key, ""


def loopback(url: str) -> bool:
    """Whether the URL's host is this machine (localhost, 127.0.0.0/8, ::1): a local server
    that a proxy in the environment must not stand in front of."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:  # a bad port or bracket: not a URL we can call anyway
        return False
    if host in ("localhost", "localhost."):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _opener(url: str, follow: bool = True):
    """urllib's opener for `url`: no proxy for a loopback host; with `follow` false a 3xx
    arrives as an HTTPError instead of being followed (urllib would re-send a POST as a GET
    without its body, which no API wants)."""
    import urllib.request

    handlers = [urllib.request.ProxyHandler({})] if loopback(url) else []
    if not follow:
        handlers.append(_refuse_redirects())
    return urllib.request.build_opener(*handlers)


def _refuse_redirects():
    import urllib.request

    class RefuseRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # urllib then raises the 3xx as an HTTPError

    return RefuseRedirects()


def _reply_errors() -> tuple:
    """What sending or reading a reply raises: OSError (refused, reset, TimeoutError ...) and
    http.client's HTTPException (IncompleteRead, BadStatusLine, LineTooLong), which is not
    an OSError. A function so that http.client is imported only once a request is made."""
    from http.client import HTTPException

    return (OSError, HTTPException)


def probe(url: str, headers: dict, timeout: float = 2.0) -> bool:
    """A cheap GET (a model list): True when the server answers 2xx. Ends a cooldown early."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers},
                                     method="GET")
    try:
        with _opener(url).open(request, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (*_reply_errors(), ValueError):
        return False


def available(options: dict) -> tuple[bool, str]:
    base, _, why = endpoint(options or {})
    return (True, f"endpoint {base}") if base else (False, why)


def call_timeout(options: dict, timeout: float) -> float:
    limit = options.get("timeout_s")
    return min(timeout, float(limit)) if isinstance(limit, (int, float)) and limit > 0 else timeout


def require_endpoint(options: dict, provider: str) -> tuple[str, str]:
    base, key, why = endpoint(options)
    if not base:
        raise NotConfigured(f"{provider}: endpoint not configured: {why}",
                            "add the variable to your environment, or fix `endpoints` in the policy",
                            provider=provider)
    return base, key


def post(url: str, payload: dict, headers: dict, timeout: float, provider: str,
         login_hint: str):
    """POST JSON; the open response (an http.client.HTTPResponse, status 2xx), or a classified
    ProviderError. `timeout` bounds the connect and every read, so the wait for the first
    byte too."""
    import urllib.error
    import urllib.request

    body = fastjson.dumps(payload).encode("ascii")  # ASCII-only JSON, as json.dumps wrote it
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        return _opener(url, follow=False).open(request, timeout=max(timeout, 0.001))
    except urllib.error.HTTPError as exc:
        with exc:
            raise _status_error(exc, url, provider, login_hint) from exc
    except _reply_errors() as exc:  # URLError is an OSError; the rest from reading the headers
        raise transport_error(exc, url, provider) from exc


def _status_error(exc, url: str, provider: str, login_hint: str) -> ProviderError:
    """An HTTPError (status 3xx or more) as our error."""
    if exc.code >= 400:
        return http_error(exc.code, exc.headers, exc, provider, login_hint, url)
    return NotConfigured(f"{provider}: {url} answers {exc.code}, a redirect to "
                         f"{exc.headers.get('location', '(no location)')}",
                         "set the endpoint's base_url to where it redirects", provider=provider)


def http_error(status: int, headers, body, provider: str, login_hint: str,
               url: str = "") -> ProviderError:
    """An HTTP error response as our error, with the body's message and `retry-after`. `body`
    is what `read(limit)` is called on (the response, or urllib's HTTPError)."""
    try:
        raw = body.read(ERROR_BODY_LIMIT).decode("utf-8", "replace")
    except OSError:
        raw = ""
    message, code = error_message(raw)
    error = _classify.error_for_status(status, cut(message) or f"HTTP {status}", provider=provider,
                                       login_hint=login_hint, detail=raw[:2000], code=code,
                                       retry_after=retry_after(headers.get("retry-after")))
    return refine(error, status, url)


# What servers say when the prompt is longer than the model's context: OpenAI's
# context_length_exceeded, llama.cpp's "exceed context window" / "n_ctx", LiteLLM's
# ContextWindowExceededError, vLLM's "maximum context length", Anthropic's "prompt is too long".
_OVERFLOW_WORDS = ("context_length_exceeded", "context window", "context length",
                   "contextwindowexceeded", "maximum context", "n_ctx", "prompt is too long",
                   "too many tokens", "exceeds the context")


def refine(error: ProviderError, status: int | None, url: str = "") -> ProviderError:
    """Sharper classes than the status alone gives: a context overflow (another model with a
    larger window may take it) and a 404 on a base URL that lacks its API version path."""
    text = f"{error.message} {error.detail}".lower()
    if status in (400, 413, 422, 500) and any(word in text for word in _OVERFLOW_WORDS):
        return ContextOverflow(error.message, "shorten the prompt, or set the model's "
                               "context_window in the policy so the router skips it",
                               provider=error.provider, detail=error.detail)
    if status == 404 and isinstance(error, BadRequest) and _unversioned_path(url):
        said = error.message.removeprefix(f"{error.provider}: ")
        return NotConfigured(f"{error.provider}: {url} answered 404 ({said}): the base URL "
                             "lacks the API's version path", "end the endpoint's base URL with "
                             "its version, e.g. http://127.0.0.1:8080/v1", provider=error.provider,
                             detail=error.detail)
    return error


def _unversioned_path(url: str) -> bool:
    """True when the URL has a path and none of its parts names an API version (/v1,
    /api/paas/v4, /v1beta ...): a base URL like http://host:8080/api that lost its /v1."""
    path = (url or "").split("://", 1)[-1].partition("/")[2].strip("/")
    return bool(path) and not any(part[:1] == "v" and part[1:2].isdigit()
                                  for part in path.split("/"))


def with_version(base: str) -> str:
    """An OpenAI-style base URL given as the bare server (http://host:port) gets its /v1:
    every OpenAI-compatible server (Ollama, llama.cpp, vLLM, LiteLLM) serves it there. A URL
    that already has a path is left as written."""
    scheme, sep, rest = base.partition("://")
    if sep and "/" not in rest.rstrip("/"):
        return f"{scheme}://{rest.rstrip('/')}/v1"
    return base


def transport_error(exc, url: str, provider: str) -> ProviderError:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return ProviderTimeout(f"{provider}: no answer from {url} in time", "raise the timeout",
                               provider=provider)
    if _broken_reply(reason):
        return _broken(reason, url, provider)
    return ServerError(f"{provider}: cannot reach {url}: {reason}",
                       "check the URL and that the server is running", provider=provider)


def _broken_reply(exc) -> bool:
    """The server answered, but not with HTTP we can read, or it cut the reply short (an
    InvalidURL is ours: the base URL's port is not a number)."""
    from http.client import HTTPException, InvalidURL

    return isinstance(exc, HTTPException) and not isinstance(exc, InvalidURL)


def _broken(exc, url: str, provider: str) -> ServerError:
    return ServerError(f"{provider}: {url} sent a broken HTTP reply: {exc}",
                       "check that the endpoint's base_url is the API's", provider=provider)


def _read_error(exc, provider: str, stalled: str) -> ProviderError:
    """A failure while reading the body: a broken reply, else (timeouts, resets) a stall."""
    if _broken_reply(exc):
        return _broken(exc, "the server", provider)
    return ProviderTimeout(f"{provider}: {stalled}", "raise the timeout", provider=provider)


def error_message(raw: str) -> tuple[str, str | None]:
    """(message, code) from the error bodies OpenAI, Anthropic, Gemini and Z.AI send."""
    try:
        body = fastjson.loads(raw)
    except ValueError:
        return raw.strip()[:500], None
    error = body.get("error", body) if isinstance(body, dict) else {}
    if not isinstance(error, dict):
        return str(error)[:500], None
    code = error.get("code")
    return str(error.get("message") or error.get("type") or raw)[:500], (
        None if code is None else str(code))


def body_error(body: dict, provider: str, login_hint: str, status=None) -> ProviderError | None:
    """The error a 200 body (or a stream event) carries in an `error` object, if any."""
    error = body.get("error")
    if not error:
        return None
    raw = fastjson.dumps(body)
    message, code = error_message(raw)
    if status is None and isinstance(error, dict):
        status = next((value for value in (error.get("status"), error.get("code"))
                       if isinstance(value, int) and 400 <= value <= 599), None)
    return refine(_classify.error_for_status(status, cut(message), provider=provider,
                                             login_hint=login_hint, detail=raw[:2000], code=code),
                  status)


def retry_after(value) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def read_json(response, provider: str) -> dict:
    try:
        value = fastjson.loads(response.read())
    except _reply_errors() as exc:  # TimeoutError and IncompleteRead included
        raise _read_error(exc, provider, "the response stalled") from exc
    except ValueError as exc:
        raise BadOutput(f"{provider}: the response is not JSON", "check the endpoint's base_url",
                        provider=provider) from exc
    if not isinstance(value, dict):
        raise BadOutput(f"{provider}: unexpected response shape", "check the endpoint's base_url",
                        provider=provider)
    return value


def sse_events(response, deadline: float, provider: str):
    """Yield (event name, data) per Server-Sent Event; comment lines (": ...") are skipped.
    Raises ProviderTimeout once `deadline` (time.monotonic) passes between lines."""
    name, data = "", []
    for raw in _lines(response, deadline, provider):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    if data:
        yield name, "\n".join(data)


def _lines(response, deadline: float, provider: str):
    while True:
        if time.monotonic() > deadline:
            raise ProviderTimeout(f"{provider}: the stream did not finish in time",
                                  "raise the timeout", provider=provider)
        try:
            line = response.readline()  # returns as soon as the line's newline arrives
        except _reply_errors() as exc:  # TimeoutError and IncompleteRead included
            raise _read_error(exc, provider, "the stream stalled") from exc
        if not line:
            return
        yield line


def parse_event(data: str, provider: str) -> dict:
    try:
        value = fastjson.loads(data)
    except ValueError as exc:
        raise BadOutput(f"{provider}: a stream event is not JSON: {data[:80]!r}",
                        "check the endpoint's base_url", provider=provider) from exc
    if not isinstance(value, dict):
        raise BadOutput(f"{provider}: unexpected stream event {data[:80]!r}",
                        "check the endpoint's base_url", provider=provider)
    return value


class _ProbeRequest:
    """Just what `_headers` reads from a request."""

    stream = False

    def __init__(self, options: dict) -> None:
        self.options = options


class HTTPProvider:
    """What both HTTP providers do around their own wire format: find the endpoint, POST, read
    the reply whole or streamed, and time it. A subclass supplies `name`, `_url(base)`,
    `_headers(request, key)`, `_payload(request)`, `_read_body(response)` and
    `_read_stream(response, request, deadline)`."""

    transport = "http"
    login_hint = "check the API key in the variable named by the endpoint's api_key_env"

    def available(self, options: dict) -> tuple[bool, str]:
        return available(options)

    def probe(self, options: dict) -> bool:
        """GET the endpoint's model list, with the same key a call would send."""
        base, key, _ = endpoint(options or {})
        if not base:
            return False
        request_options = {**(options or {}), "headers": {}}
        headers = self._headers(_ProbeRequest(request_options), key)
        headers.pop("Accept", None)
        return probe(self._models_url(base), headers)

    def run(self, request, timeout: float):
        options = request.options or {}
        base, key = require_endpoint(options, self.name)
        timeout = call_timeout(options, timeout)
        started = time.monotonic()
        response = post(self._url(base), self._payload(request), self._headers(request, key), timeout,
                        self.name, self.login_hint)
        with response:
            if request.stream:
                reply = self._read_stream(response, request, started + timeout)
            else:
                reply = self._read_body(response)
        reply.latency_ms = int((time.monotonic() - started) * 1000)
        return reply
