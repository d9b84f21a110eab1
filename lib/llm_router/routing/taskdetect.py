"""Cheap automatic task detection, and the policy's optional jq `rules`.

Token estimate: UTF-8 bytes / 4, rounded up. It is one C-speed encode with no tokenizer to
load. About 4 bytes per token is the usual figure for English and code under BPE tokenizers,
and counting bytes rather than characters keeps CJK and other non-Latin text (3 bytes per
character in UTF-8, roughly a token each) from being undercounted 3-4x. The estimate only has
to say which side of `routing.long_context_tokens` (60,000 by default) a prompt falls on.

Intent is read from the head and tail of the prompt only (where people put the instruction
around a pasted file), so detection costs the same for a 1 MB prompt as for a short one.
Order: long-context, then code-generation, then reasoning, else default.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (hot path)
if TYPE_CHECKING:
    from collections.abc import Callable

from ..errors import ConfigError, MissingDependency

HEAD_CHARS = 2000
TAIL_CHARS = 1000
WINDOW = 4  # a code noun must follow its verb within this many words

# Word sets rather than big regex alternations: a set lookup costs nothing to build, while
# compiling the equivalent patterns took ~1.5 ms of every cold `invoke`.
CODE_VERBS = frozenset("write implement create generate add build code scaffold refactor rewrite "
                       "port convert translate fix make".split())
CODE_NOUNS = frozenset(
    "function functions method methods class classes module modules script scripts program "
    "programs test tests unit-test unit-tests endpoint endpoints api cli regex regexes query "
    "queries component components parser parsers library libraries snippet snippets code "
    "implementation dockerfile makefile migration migrations decorator decorators handler "
    "handlers schema schemas interface interfaces struct structs enum enums "
    "python javascript typescript rust golang java kotlin swift c++ c# ruby php bash shell "
    "powershell sql html css react django flask node node.js".split())
LEADING_CODE_VERBS = frozenset({"implement", "refactor"})  # enough on their own as the first word
FENCE_EDIT_VERBS = frozenset("fix change update rewrite refactor modify optimize optimise".split())
STRONG_REASONING = ("step by step", "step-by-step", "root cause", "root-cause", "trade-off",
                    "trade-offs", "tradeoff", "tradeoffs", "pros and cons", "think through",
                    "think it through", "think this through", "reason about", "reason through",
                    "prove that", "prove why", "multi-step", "multistep", "in depth", "in-depth",
                    "first principles")
WEAK_REASONING = frozenset(
    "analyze analyse analyzes analyses analysis analyzing analysing compare comparison evaluate "
    "evaluation assess investigate investigation diagnose diagnosis plan design architecture "
    "strategy strategies implications consequences justify".split())
WEAK_REASONING_PHRASES = ("explain why", "why does", "why is", "why do", "why did", "why would")
WORD_PATTERN = r"[\w+#.\-]+"  # a word: re's \w (letters, digits, _) plus + # . -
# For ASCII text, which most prompts are, str.translate does what re.findall(WORD_PATTERN)
# does without importing re (~5 ms of a cold invoke): every other character becomes a space.
_ASCII_SEPARATORS = {code: " " for code in range(128)
                     if not (chr(code).isalnum() or chr(code) in "_+#.-")}


class Detection:
    __slots__ = ("task", "reason")

    def __init__(self, task: str, reason: str) -> None:
        self.task, self.reason = task, reason

    def __repr__(self) -> str:
        return f"Detection({self.task!r}, {self.reason!r})"


def estimate_tokens(prompt: str) -> int:
    """ceil(UTF-8 bytes / 4); see the module docstring for why."""
    size = len(prompt) if prompt.isascii() else len(prompt.encode("utf-8", "surrogatepass"))
    return (size + 3) // 4


def detect(prompt: str, tokens: int, long_context_tokens: int) -> Detection:
    """The task for a prompt with no --model/--task/--tier, and a one-line reason."""
    if tokens > long_context_tokens:
        return Detection("long-context", f"~{tokens:,} tokens (UTF-8 bytes/4) > "
                                         f"long_context_tokens {long_context_tokens:,}")
    text = _intent_text(prompt)
    words = words_of(text)
    code = _code_request(words, "```" in text)
    if code:
        return Detection("code-generation", f"code-writing request ('{code}')")
    cues = _reasoning_cues(words, text)
    if cues:
        return Detection("reasoning", "multi-step analysis (" + ", ".join(f"'{c}'" for c in cues) + ")")
    return Detection("default", "no long-context, code-writing or analysis cue")


def _intent_text(prompt: str) -> str:
    if len(prompt) <= HEAD_CHARS + TAIL_CHARS:
        return prompt
    return prompt[:HEAD_CHARS] + "\n" + prompt[-TAIL_CHARS:]


def words_of(text: str) -> list[str]:
    """Lower-case words, keeping c++, c#, node.js, unit-test; trailing dots and dashes dropped."""
    lowered = text.lower()
    if lowered.isascii():
        raw_words = lowered.translate(_ASCII_SEPARATORS).split()
    else:
        import re

        raw_words = re.findall(WORD_PATTERN, lowered)
    return [w for w in (raw.strip(".-") for raw in raw_words) if w]


def _code_request(words: list[str], has_fence: bool) -> str | None:
    """The matched phrase when the words ask for code to be written, else None."""
    if words and words[0] == "please":
        words = words[1:]
    if words and words[0] in LEADING_CODE_VERBS:
        return words[0]
    for i, word in enumerate(words):
        if word in CODE_VERBS:
            for j in range(i + 1, min(i + 1 + WINDOW, len(words))):
                if words[j] in CODE_NOUNS:
                    return " ".join(words[i:j + 1])
    if has_fence:
        edit = next((w for w in words if w in FENCE_EDIT_VERBS), None)
        if edit:
            return f"{edit} + code block"
    return None


def _reasoning_cues(words: list[str], text: str) -> list[str]:
    """Matched cues when the text asks for analysis: one strong cue, two weak ones, or a
    numbered list of three or more items plus one weak cue."""
    spaced = " " + " ".join(words) + " "
    strong = next((p for p in STRONG_REASONING if f" {p} " in spaced), None)
    if strong:
        return [strong]
    weak = [p for p in WEAK_REASONING_PHRASES if f" {p} " in spaced]
    weak += list(dict.fromkeys(w for w in words if w in WEAK_REASONING))
    if len(weak) >= 2:
        return weak[:3]
    if weak and _numbered_items(text) >= 3:
        return [weak[0], "numbered steps"]
    return []


def _numbered_items(text: str) -> int:
    """Lines that start like "1. " or "2) "."""
    count = 0
    for line in text.splitlines():
        stripped = line.lstrip()
        digits = len(stripped) - len(stripped.lstrip("0123456789"))
        if digits and stripped[digits:digits + 1] in (".", ")") and stripped[digits + 1:digits + 2].isspace():
            count += 1
    return count


# ---- jq rules ---------------------------------------------------------------------------

def rule_matcher(rules: list) -> Callable[[dict], "tuple[int, dict] | None"]:
    """A function facts -> (index, rule) of the first rule whose `when` is truthy, or None.

    The rules run in a sandboxed child process (jqsandbox.py: no environment, no imports,
    bounded time and memory), started on the first call only, so a route that never consults
    the rules (--model, --task) never pays for it.
    """
    def match(facts: dict) -> "tuple[int, dict] | None":
        from . import jqsandbox

        jq_dir = _jq_dir()
        try:
            answer = jqsandbox.first_match([rule["when"] for rule in rules], facts, jq_dir)
        except RuntimeError as exc:
            raise ConfigError(f"$.rules: the jq rules {exc}",
                              "simplify the rules; each is a small predicate over "
                              "{task, tokens, tier, prompt_chars, cwd}", json_path="$.rules") from None
        if "error" in answer:
            index = answer.get("index", 0)
            what = "invalid jq expression" if answer["error"] == "compile" else "jq expression failed"
            raise _rule_error(index, what, str(answer.get("message", "")))
        index = answer.get("match")
        return (index, rules[index]) if isinstance(index, int) and 0 <= index < len(rules) else None

    return match


def _jq_dir() -> str:
    """The folder the `jq` package is imported from (for the child); MissingDependency without it."""
    from ..setup.sitepkgs import enable

    enable()
    try:
        import jq
    except ImportError as exc:
        raise MissingDependency("jq", "The policy's `rules` (jq predicates)") from exc
    import os

    folder = os.path.dirname(os.path.abspath(jq.__file__))
    return os.path.dirname(folder) if os.path.basename(jq.__file__).startswith("__init__.") else folder


def _rule_error(index: int, what: str, message: str) -> ConfigError:
    path = f"$.rules[{index}].when"
    first_line = message.strip().splitlines()[0] if message.strip() else "no message"
    return ConfigError(f"{path}: {what}: {first_line}",
                       "fix the predicate; it sees {task, tokens, tier, prompt_chars, cwd}",
                       json_path=path)
