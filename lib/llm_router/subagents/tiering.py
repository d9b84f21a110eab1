"""Suggest a Claude tier (haiku / sonnet / opus) for a subagent from its tools and wording.

A few weighted signals, each one explainable on its own:
  * tools: only read-only tools -> haiku +2; file-editing tools -> sonnet +1;
    no `tools` key (inherits every tool) -> sonnet +1
  * words in the name and description: exploring / searching / summarizing -> haiku;
    implementing / testing / fixing / reviewing -> sonnet; architecture / design /
    deep analysis / security audit / trade-offs -> opus (heavier, since a hard job needs the
    strong model even when it only reads)
The highest score wins. A tie, or no signal at all, gives sonnet: the middle tier is the least
costly mistake in either direction. Pure functions, no I/O.
"""

import re
from dataclasses import dataclass, field

TIERS = ("haiku", "sonnet", "opus")

READ_ONLY_TOOLS = frozenset({
    "Read", "Grep", "Glob", "LS", "WebFetch", "WebSearch", "NotebookRead", "TodoRead",
    "TodoWrite", "ListMcpResourcesTool", "ReadMcpResourceTool",
})
EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})

# (pattern, tier, weight). Each pattern counts once; the reason quotes the text it matched.
WORDING = [
    (r"explor\w*", "haiku", 2),
    (r"search\w*|find\w*|locat\w*|look(?:s|ing)? ?up|grep\w*", "haiku", 2),
    (r"summar\w*|condens\w*|digest\w*|tl;?dr|skim\w*", "haiku", 2),
    (r"map(?:s|ping)?|inventor\w*|index\w*|list(?:s|ing)?|catalog\w*", "haiku", 1),
    (r"logs?|changelogs?|transcripts?", "haiku", 1),
    (r"quick(?:ly)?|fast|simple|lightweight|cheap", "haiku", 1),
    (r"read-only|reads?|reading", "haiku", 1),
    (r"implement\w*", "sonnet", 2),
    (r"tests?|testing|unit", "sonnet", 2),
    (r"refactor\w*", "sonnet", 2),
    (r"fix\w*|bugs?|debug\w*", "sonnet", 2),
    (r"review\w*", "sonnet", 2),
    (r"writ(?:e|es|ing)|edit\w*|build\w*|features?|migrat\w*", "sonnet", 1),
    (r"architect\w*", "opus", 3),
    (r"design\w*", "opus", 2),
    (r"deep(?:ly)?|in-depth|thorough\w*", "opus", 2),
    (r"security", "opus", 2),
    (r"audit\w*|threat model\w*", "opus", 2),
    (r"vulnerab\w*|exploit\w*", "opus", 2),
    (r"trade-?offs?|root[- ]cause", "opus", 2),
    (r"complex\w*|hard|difficult|tricky|subtle", "opus", 1),
    (r"strateg\w*|plan(?:s|ning|ner)?|reason(?:ing)?|scalab\w*|concurren\w*", "opus", 1),
]
_COMPILED = [(re.compile(rf"\b(?:{pattern})\b"), tier, weight) for pattern, tier, weight in WORDING]


@dataclass
class Suggestion:
    tier: str
    scores: dict
    signals: list = field(default_factory=list)  # (text, tier, weight), strongest first

    @property
    def reason(self) -> str:
        if not self.signals:
            return "no clear signal; sonnet is the default"
        return "; ".join(f"{text} +{weight} {tier}" for text, tier, weight in self.signals)


def tool_names(tools: object) -> list[str] | None:
    """["Read", "Bash"] from a list or a comma string; `Bash(git *)` counts as Bash; None = omitted."""
    if tools is None:
        return None
    items = tools if isinstance(tools, list) else str(tools).split(",")
    names = [str(item).split("(", 1)[0].strip() for item in items]
    return [name for name in names if name]


def tool_signals(tools: object) -> list[tuple[str, str, int]]:
    names = tool_names(tools)
    if names is None:
        return [("inherits every tool (no `tools` list)", "sonnet", 1)]
    signals = []
    if names and all(name in READ_ONLY_TOOLS for name in names):
        signals.append((f"read-only tools ({', '.join(names)})", "haiku", 2))
    editing = [name for name in names if name in EDIT_TOOLS]
    if editing:
        signals.append((f"edits files ({', '.join(editing)})", "sonnet", 1))
    return signals


def wording_signals(text: str) -> list[tuple[str, str, int]]:
    lowered = text.lower()
    signals = []
    for pattern, tier, weight in _COMPILED:
        match = pattern.search(lowered)
        if match:
            signals.append((f"'{match.group(0)}'", tier, weight))
    return signals


def suggest(meta: dict, fallback_name: str = "") -> Suggestion:
    """The tier for an agent's frontmatter `meta`, with the signals that decided it."""
    name = str(meta.get("name") or fallback_name).replace("-", " ").replace("_", " ")
    description = str(meta.get("description") or "")
    signals = tool_signals(meta.get("tools")) + wording_signals(f"{name}\n{description}")
    scores = {tier: 0 for tier in TIERS}
    for _text, tier, weight in signals:
        scores[tier] += weight
    best = max(scores.values())
    leaders = [tier for tier in TIERS if scores[tier] == best]
    tier = leaders[0] if len(leaders) == 1 else "sonnet"
    signals.sort(key=lambda s: (s[1] != tier, -s[2]))  # the winner's reasons first
    return Suggestion(tier, scores, signals)
