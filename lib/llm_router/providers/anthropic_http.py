"""The Anthropic Messages API or a compatible one (Z.AI's /api/anthropic, gateways):
`POST {base_url}/v1/messages` with `x-api-key` and `anthropic-version`.

Streaming reads the SSE events: message_start (input and cache usage), content_block_delta
text_delta (forwarded at once; thinking deltas are not answer text), message_delta (final
output_tokens), and an `error` event, classified by its type (overloaded_error -> ServerError,
rate_limit_error -> RateLimited ...). Non-streaming reads one message. Anthropic's usage already
keeps cache reads and writes out of input_tokens, which is our convention.

Options: the endpoint keys in _http (base_url, base_url_env, api_key_env, headers, timeout_s,
env), plus
  auth               "x-api-key" (default) or "bearer" (Authorization: Bearer, what gateways and
                     Claude Code's ANTHROPIC_AUTH_TOKEN use)
  anthropic_version  default "2023-06-01"
  max_tokens         required by the API; default 8192
  temperature, extra_body (a dict merged into the request JSON)
"""


from ..errors import TruncatedAnswer
from . import _http
from .base import Request, Result, Usage, count

# error types in an `error` event or body, as the HTTP status they stand for
_ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
                 "permission_error": 403, "not_found_error": 404, "request_too_large": 413,
                 "rate_limit_error": 429, "api_error": 500, "overloaded_error": 529}


class AnthropicHTTPProvider(_http.HTTPProvider):
    name = "anthropic-http"

    def _url(self, base: str) -> str:
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    def _models_url(self, base: str) -> str:
        return f"{base}/models" if base.endswith("/v1") else f"{base}/v1/models"

    def _payload(self, request: Request) -> dict:
        return _payload(request)

    def _headers(self, request: Request, key: str) -> dict:
        options = request.options or {}
        headers = {"anthropic-version": str(options.get("anthropic_version") or "2023-06-01"),
                   "Accept": "text/event-stream" if request.stream else "application/json",
                   **(options.get("headers") or {})}
        if key and options.get("auth") == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        elif key:
            headers["x-api-key"] = key
        return headers

    def _read_body(self, response) -> Result:
        body = _http.read_json(response, self.name)
        self._raise_if_error(body)
        text = "".join(block.get("text", "") for block in body.get("content") or []
                       if isinstance(block, dict) and block.get("type") == "text")
        return self._result(text, body, body.get("usage") or {})

    def _read_stream(self, response, request: Request, deadline: float) -> Result:
        parts, message, usage, stopped = [], {}, {}, False
        for _, data in _http.sse_events(response, deadline, self.name):
            event = _http.parse_event(data, self.name)
            kind = event.get("type")
            if kind == "error":
                self._raise_if_error(event)
            elif kind == "message_start":
                message = event.get("message") or {}
                usage = dict(message.get("usage") or {})
            elif kind == "content_block_delta":
                delta = event.get("delta") or {}
                if delta.get("type") == "text_delta" and delta.get("text"):
                    parts.append(delta["text"])
                    if request.on_text:
                        request.on_text(delta["text"])
            elif kind == "message_delta":
                usage.update(event.get("usage") or {})
                message["stop_reason"] = (event.get("delta") or {}).get("stop_reason")
            elif kind == "message_stop":
                stopped = True
                break
        if not stopped and not message.get("stop_reason"):
            raise TruncatedAnswer(f"{self.name}: the stream closed before message_stop",
                                  "check the server's log, then try again", provider=self.name)
        return self._result("".join(parts), message, usage)

    def _raise_if_error(self, body: dict) -> None:
        error = body.get("error")
        if not error:
            return
        kind = error.get("type") if isinstance(error, dict) else None
        raise _http.body_error(body, self.name, self.login_hint, status=_ERROR_STATUS.get(kind))

    def _result(self, text: str, message: dict, usage: dict) -> Result:
        figures = Usage.unknown() if not usage else Usage(
            input_tokens=count(usage.get("input_tokens")),
            output_tokens=count(usage.get("output_tokens")),
            cached_tokens=count(usage.get("cache_read_input_tokens")),
            cache_write_tokens=count(usage.get("cache_creation_input_tokens")))
        return Result(text=text, model=str(message.get("model") or ""), provider=self.name,
                      usage=figures,
                      raw={"id": message.get("id"), "stop_reason": message.get("stop_reason")})


def _payload(request: Request) -> dict:
    options = request.options or {}
    payload = {"model": request.model, "max_tokens": int(options.get("max_tokens") or 8192),
               "messages": [{"role": "user", "content": request.prompt}],
               "stream": bool(request.stream)}
    if request.system:
        payload["system"] = request.system
    if options.get("temperature") is not None:
        payload["temperature"] = options["temperature"]
    payload.update(options.get("extra_body") or {})
    return payload
