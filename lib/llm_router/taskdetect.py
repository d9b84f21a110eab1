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

import re
from dataclasses import dataclass
from typing import Callable

from .errors import ConfigError, MissingDependency

HEAD_CHARS = 2000
TAIL_CHARS = 1000

_LANGS = (r"python|javascript|typescript|rust|golang|java|kotlin|swift|c\+\+|c#|ruby|php|bash|"
          r"shell|powershell|sql|html|css|react|django|flask|node(?:\.js)?")
_CODE_NOUNS = (r"functions?|methods?|class(?:es)?|modules?|scripts?|programs?|tests?|unit[- ]tests?|"
               r"endpoints?|api|cli|regex(?:es)?|quer(?:y|ies)|components?|parsers?|librar(?:y|ies)|"
               r"snippets?|code|implementation|dockerfile|makefile|migrations?|decorators?|"
               r"handlers?|schemas?|interfaces?|structs?|enums?|" + _LANGS)
# A code verb, up to three words, then a code noun: "write a Python function", "add tests".
_CODE_REQUEST = re.compile(
    r"\b(?:write|implement|create|generate|add|build|code|scaffold|refactor|rewrite|port|"
    r"convert|translate|fix|make)\b(?:\W+\w+){0,3}?\W+(?:" + _CODE_NOUNS + r")\b",
    re.IGNORECASE)
_STRONG_CODE_VERB = re.compile(r"^\W*(?:please\s+)?(?:implement|refactor)\b", re.IGNORECASE)
_FENCE_EDIT = re.compile(r"\b(?:fix|change|update|rewrite|refactor|modify|optimi[sz]e)\b", re.IGNORECASE)

_STRONG_REASONING = re.compile(
    r"step[- ]by[- ]step|root[- ]cause|trade-?offs?|pros and cons|think (?:it |this )?through|"
    r"reason (?:about|through)|prove (?:that|why)|multi-?step|in[- ]depth|first principles",
    re.IGNORECASE)
_WEAK_REASONING = re.compile(
    r"\b(?:analy[sz](?:e|es|is|ing)|compar(?:e|ison)|evaluat(?:e|ion)|assess|investigat(?:e|ion)|"
    r"diagnos(?:e|is)|explain why|why (?:does|is|do|did|would)|plan|design|architecture|"
    r"strateg(?:y|ies)|implications|consequences|justify)\b", re.IGNORECASE)
_NUMBERED_ITEM = re.compile(r"^\s*\d+[.)]\s+\S", re.MULTILINE)


@dataclass(frozen=True)
class Detection:
    task: str
    reason: str


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
    code = _code_request(text)
    if code:
        return Detection("code-generation", f"code-writing request ('{code}')")
    cues = _reasoning_cues(text)
    if cues:
        return Detection("reasoning", "multi-step analysis (" + ", ".join(f"'{c}'" for c in cues) + ")")
    return Detection("default", "no long-context, code-writing or analysis cue")


def _intent_text(prompt: str) -> str:
    if len(prompt) <= HEAD_CHARS + TAIL_CHARS:
        return prompt
    return prompt[:HEAD_CHARS] + "\n" + prompt[-TAIL_CHARS:]


def _code_request(text: str) -> str | None:
    match = _STRONG_CODE_VERB.search(text) or _CODE_REQUEST.search(text)
    if match:
        return " ".join(match.group(0).split())
    if "```" in text:
        edit = _FENCE_EDIT.search(text)
        if edit:
            return f"{edit.group(0)} + code block"
    return None


def _reasoning_cues(text: str) -> list[str]:
    """Matched cues when the text asks for analysis: one strong cue, two weak ones, or a
    numbered list of three or more items plus one weak cue."""
    strong = _STRONG_REASONING.search(text)
    if strong:
        return [strong.group(0).lower()]
    weak = list(dict.fromkeys(m.group(0).lower() for m in _WEAK_REASONING.finditer(text)))
    if len(weak) >= 2:
        return weak[:3]
    if weak and len(_NUMBERED_ITEM.findall(text)) >= 3:
        return [weak[0], "numbered steps"]
    return []


# ---- jq rules ---------------------------------------------------------------------------

def rule_matcher(rules: list) -> Callable[[dict], "tuple[int, dict] | None"]:
    """A function facts -> (index, rule) of the first rule whose `when` is truthy, or None.

    jq is imported and the expressions compiled on the first call, so a route that never
    consults the rules (--model, --task) never pays for jq.
    """
    compiled: list = []

    def match(facts: dict) -> "tuple[int, dict] | None":
        if not compiled:
            compiled.extend(compile_rules(rules))
        for index, (program, rule) in enumerate(compiled):
            if _truthy(program, facts, index):
                return index, rule
        return None

    return match


def compile_rules(rules: list) -> list:
    """[(compiled program, rule)]; MissingDependency without jq, ConfigError on bad syntax."""
    try:
        import jq
    except ImportError as exc:
        raise MissingDependency("jq", "The policy's `rules` (jq predicates)") from exc
    compiled = []
    for index, rule in enumerate(rules):
        try:
            compiled.append((jq.compile(rule["when"]), rule))
        except ValueError as exc:
            raise _rule_error(index, "invalid jq expression", exc) from exc
    return compiled


def _truthy(program, facts: dict, index: int) -> bool:
    """jq truth: the first output, with false and null false; no output is false."""
    try:
        outputs = program.input_value(facts).all()
    except ValueError as exc:
        raise _rule_error(index, "jq expression failed", exc) from exc
    return bool(outputs) and outputs[0] is not False and outputs[0] is not None


def _rule_error(index: int, what: str, exc: Exception) -> ConfigError:
    path = f"$.rules[{index}].when"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"{path}: {what}: {first_line}",
                       "fix the predicate; it sees {task, tokens, tier, prompt_chars, cwd}",
                       json_path=path)
