"""Splitting inputs into numbered chunks that fit a model's window (the map step's input).

Every line keeps its file and line number, so the cheap model can cite `file:line` and the
digest can say where each claim comes from. Pure: no model, no policy, no threads.

    for chunk in split(sources, max_tokens=6000): chunk.render()
"""

from __future__ import annotations

from ..routing.taskdetect import estimate_tokens

DEFAULT_WINDOW = 32_000  # tokens, for a model whose policy entry has no context_window
MARGIN = 0.2  # of the window kept free: our token estimate is bytes/4, not the model's tokenizer
RESERVED = 2_048  # tokens for the question, the instructions and the model's answer
MAX_LINE_CHARS = 2_000  # a longer line (minified JSON ...) is cut to this in the chunk


class Source:
    """One input: a name to cite (a path, or "stdin") and its text."""

    __slots__ = ("name", "text")

    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text


class Chunk:
    """Lines first..last (1-based) of one source, ready to send."""

    __slots__ = ("name", "first", "last", "lines")

    def __init__(self, name: str, first: int, lines: list[str]) -> None:
        self.name, self.first, self.lines = name, first, lines
        self.last = first + len(lines) - 1

    @property
    def where(self) -> str:
        return f"{self.name}:{self.first}-{self.last}"

    def render(self) -> str:
        """The excerpt as the model sees it: each line prefixed by its number."""
        return "".join(f"{self.first + i}| {line}\n" for i, line in enumerate(self.lines))


def chunk_tokens(window: int | None) -> int:
    """How many input tokens one chunk may hold for a model with this context window."""
    window = window or DEFAULT_WINDOW
    return max(256, int(window * (1 - MARGIN)) - RESERVED)


def split(sources: list[Source], max_tokens: int) -> list[Chunk]:
    """Chunks of whole lines, each at most `max_tokens` (estimated); a chunk never spans two
    sources, so a citation's file is never ambiguous."""
    chunks: list[Chunk] = []
    for source in sources:
        lines = source.text.splitlines()
        start, size, current = 1, 0, []
        for number, line in enumerate(lines, 1):
            line = line[:MAX_LINE_CHARS]
            cost = estimate_tokens(line) + 2  # the "N| " prefix and the newline
            if current and size + cost > max_tokens:
                chunks.append(Chunk(source.name, start, current))
                start, size, current = number, 0, []
            current.append(line)
            size += cost
        if current:
            chunks.append(Chunk(source.name, start, current))
    return chunks
