"""What every provider implements, and the request/result records they exchange."""

from dataclasses import dataclass, field
from typing import Callable, Protocol


@dataclass
class Usage:
    """Token counts in one convention whatever the provider reports (each provider converts):
    the three input fields do not overlap (input + cached + cache_write = whole prompt), and
    output_tokens counts every generated token, reasoning included."""

    input_tokens: int = 0  # prompt tokens billed at the full input price
    output_tokens: int = 0
    cached_tokens: int = 0  # input tokens served from a prompt cache
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0  # the part of output_tokens spent on reasoning

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(*(a + b for a, b in zip(self.as_dict().values(), other.as_dict().values())))

    def as_dict(self) -> dict:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


def count(value) -> int:
    """A token count from a provider's JSON; a missing or odd value counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass
class Request:
    prompt: str
    model: str  # the provider's own model id, e.g. "github-copilot/gpt-5.2" for opencode
    system: str | None = None
    cwd: str | None = None  # working directory for CLIs that read files
    stream: bool = False
    on_text: Callable[[str], None] | None = None  # called with each text delta when streaming
    options: dict = field(default_factory=dict)  # the policy's settings for this provider/endpoint
    resume_session_id: str | None = None
    continue_session: bool = False


@dataclass
class Result:
    text: str
    model: str
    provider: str
    usage: Usage = field(default_factory=Usage)
    latency_ms: int = 0
    cost_usd: float | None = None  # only when the provider reports it
    session_id: str | None = None
    raw: dict = field(default_factory=dict)  # provider metadata worth keeping (already redacted)


class Provider(Protocol):
    name: str
    transport: str  # "cli" or "http"

    def available(self, options: dict) -> tuple[bool, str]:
        """(usable, why) without side effects: binary on PATH, endpoint configured."""

    def run(self, request: Request, timeout: float) -> Result:
        """Call the model once; raise a ProviderError subclass on failure."""
