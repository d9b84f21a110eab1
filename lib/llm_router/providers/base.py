"""What every provider implements, and the request/result records they exchange.

Plain classes with __slots__ rather than dataclasses: `dataclasses` (with inspect) and `typing`
cost more to import than the rest of a cold `llm-router invoke` does."""

from __future__ import annotations

# What a delegated task may do in its working directory. "read-only": read and search only
# (the original agent had no tool that writes or executes); "write": edit and run commands.
# Each CLI provider maps it to that CLI's own sandbox or approval flags.
SCOPES = ("read-only", "write")
DEFAULT_SCOPE = "write"

_USAGE_FIELDS = ("input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens")


class _Record:
    __slots__ = ()

    def _values(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values().items())
        return f"{type(self).__name__}({inner})"

    def replace(self, **changes):
        """A copy with some fields changed (what dataclasses.replace did)."""
        return type(self)(**{**self._values(), **changes})


class Usage(_Record):
    """Token counts in one convention whatever the provider reports (each provider converts):
    the three input fields do not overlap (input + cached + cache_write = whole prompt), and
    output_tokens counts every generated token, reasoning included."""

    __slots__ = _USAGE_FIELDS

    def __init__(self, input_tokens: int = 0, output_tokens: int = 0, cached_tokens: int = 0,
                 cache_write_tokens: int = 0, reasoning_tokens: int = 0) -> None:
        self.input_tokens = input_tokens  # prompt tokens billed at the full input price
        self.output_tokens = output_tokens
        self.cached_tokens = cached_tokens  # input tokens served from a prompt cache
        self.cache_write_tokens = cache_write_tokens
        self.reasoning_tokens = reasoning_tokens  # the part of output_tokens spent on reasoning

    @classmethod
    def unknown(cls) -> Usage:
        """The provider reported no usage: every figure None (the ledger stores NULL, not 0)."""
        return cls(None, None, None, None, None)

    def reported(self) -> bool:
        """False when no figure is known or all are 0 (no answer ever costs 0 output tokens)."""
        return any(self._values().values())

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(None if a is None and b is None else (a or 0) + (b or 0)
                       for a, b in zip(self._values().values(), other._values().values(), strict=True)))

    def as_dict(self) -> dict:
        return self._values()


def count(value) -> int:
    """A token count from a provider's JSON; a missing or odd value counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class Request(_Record):
    __slots__ = ("prompt", "model", "system", "cwd", "stream", "on_text", "options",
                 "resume_session_id", "continue_session", "scope")

    def __init__(self, prompt: str, model: str, system: str | None = None, cwd: str | None = None,
                 stream: bool = False, on_text=None, options: dict | None = None,
                 resume_session_id: str | None = None, continue_session: bool = False,
                 scope: str = DEFAULT_SCOPE) -> None:
        self.prompt = prompt
        self.model = model  # the provider's own model id, e.g. "github-copilot/gpt-5.2" for opencode
        self.system = system
        self.cwd = cwd  # working directory for CLIs that read files
        self.stream = stream
        self.on_text = on_text  # called with each text delta when streaming
        self.options = {} if options is None else options  # the policy's settings for this step
        self.resume_session_id = resume_session_id
        self.continue_session = continue_session
        self.scope = scope  # one of SCOPES


class Result(_Record):
    __slots__ = ("text", "model", "provider", "usage", "latency_ms", "cost_usd", "session_id", "raw")

    def __init__(self, text: str, model: str, provider: str, usage: Usage | None = None,
                 latency_ms: int = 0, cost_usd: float | None = None, session_id: str | None = None,
                 raw: dict | None = None) -> None:
        self.text = text
        self.model = model
        self.provider = provider
        self.usage = Usage() if usage is None else usage
        self.latency_ms = latency_ms
        self.cost_usd = cost_usd  # only when the provider reports it
        self.session_id = session_id
        self.raw = {} if raw is None else raw  # provider metadata worth keeping (already redacted)


class Provider:
    """The interface (documentation; providers need not inherit from it).

    name: str; transport: "cli" or "http"
    available(options) -> (usable, why), without side effects: binary on PATH, endpoint configured
    run(request, timeout) -> Result; raises a ProviderError subclass on failure
    """
