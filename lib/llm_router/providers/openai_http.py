"""Any OpenAI-compatible Chat Completions endpoint (OpenRouter, LiteLLM, Ollama, llama.cpp,
Z.AI's paas/v4): `POST {base_url}/chat/completions` with `Authorization: Bearer <key>`.

Streaming asks for `stream_options.include_usage`, so usage arrives in a last chunk with empty
`choices` just before `data: [DONE]` (a server that sends none leaves every figure None, never
0); a stream that closes with neither a finish_reason nor `[DONE]` is a TruncatedAnswer; comment lines (OpenRouter's ": OPENROUTER PROCESSING"
keep-alives) are skipped, and an `error` object inside the stream is classified like an HTTP
error. Non-streaming reads one JSON body. Usage: prompt_tokens includes cached tokens, so
cached ones are split out; completion_tokens already includes reasoning. Cost: OpenRouter's
`usage.cost`, or LiteLLM's `x-litellm-response-cost` header (non-streamed replies only).

A 429 carrying a "no credit" business code (Z.AI's balance/plan codes, OpenAI's
insufficient_quota) is an AuthError, so the router skips to the next provider instead of
retrying; see _classify.

Options: the endpoint keys in _http (base_url, base_url_env, api_key_env, headers, timeout_s,
env), plus max_tokens, temperature, and extra_body (a dict merged into the request JSON).
"""


from ..errors import TruncatedAnswer
from . import _http
from .base import Request, Result, Usage, count


class OpenAIHTTPProvider(_http.HTTPProvider):
    name = "openai-http"

    def _url(self, base: str) -> str:
        return f"{_http.with_version(base)}/chat/completions"

    def _models_url(self, base: str) -> str:
        return f"{_http.with_version(base)}/models"

    def _headers(self, request: Request, key: str) -> dict:
        headers = {"Accept": "text/event-stream" if request.stream else "application/json",
                   **((request.options or {}).get("headers") or {})}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _payload(self, request: Request) -> dict:
        return _payload(request)

    def _read_body(self, response) -> Result:
        body = _http.read_json(response, self.name)
        self._raise_if_error(body)
        choices = body.get("choices") or [{}]
        message = choices[0].get("message") or {}
        cost = body.get("usage", {}).get("cost") if isinstance(body.get("usage"), dict) else None
        if cost is None:
            cost = _float(response.headers.get("x-litellm-response-cost"))
        return self._result(_text(message.get("content")), body, body.get("usage"), cost,
                            choices[0].get("finish_reason"))

    def _read_stream(self, response, request: Request, deadline: float) -> Result:
        parts, last, usage, finish, done = [], {}, None, None, False
        for _, data in _http.sse_events(response, deadline, self.name):
            if data.strip() == "[DONE]":
                done = True
                break
            chunk = _http.parse_event(data, self.name)
            self._raise_if_error(chunk)
            last, usage = chunk, chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                text = _text((choice.get("delta") or {}).get("content"))
                finish = choice.get("finish_reason") or finish
                if text:
                    parts.append(text)
                    if request.on_text:
                        request.on_text(text)
        if not done and finish is None:
            raise TruncatedAnswer(f"{self.name}: the stream closed after {len(parts)} text "
                                  "chunks with no finish_reason and no [DONE]",
                                  "check the server's log: it often means the prompt did not "
                                  "fit its context window", provider=self.name)
        cost = usage.get("cost") if isinstance(usage, dict) else None
        return self._result("".join(parts), last, usage, cost, finish)

    def _raise_if_error(self, body: dict) -> None:
        error = _http.body_error(body, self.name, self.login_hint)
        if error is not None:
            raise error

    def _result(self, text: str, body: dict, usage, cost, finish) -> Result:
        return Result(text=text, model=str(body.get("model") or ""), provider=self.name,
                      usage=_usage(usage) if isinstance(usage, dict) and usage else Usage.unknown(),
                      cost_usd=_float(cost), session_id=None,
                      raw={"id": body.get("id"), "finish_reason": finish})


def _payload(request: Request) -> dict:
    options = request.options or {}
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages.append({"role": "user", "content": request.prompt})
    payload = {"model": request.model, "messages": messages, "stream": bool(request.stream)}
    if request.stream:
        payload["stream_options"] = {"include_usage": True}
    for key in ("max_tokens", "temperature"):
        if options.get(key) is not None:
            payload[key] = options[key]
    payload.update(options.get("extra_body") or {})
    return payload


def _usage(usage: dict) -> Usage:
    cached = count((usage.get("prompt_tokens_details") or {}).get("cached_tokens"))
    return Usage(input_tokens=max(0, count(usage.get("prompt_tokens")) - cached),
                 output_tokens=count(usage.get("completion_tokens")), cached_tokens=cached,
                 reasoning_tokens=count((usage.get("completion_tokens_details") or {})
                                         .get("reasoning_tokens")))


def _text(content) -> str:
    """Message content: a string, or a list of parts of which the text ones count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, dict) and part.get("type") in (None, "text"))
    return ""


def _float(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None

