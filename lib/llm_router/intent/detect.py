"""Is this prompt a request to turn external mode on or off, show it, or send one request out?

Runs in the UserPromptSubmit hook on every prompt, so it works in three stages, each paid only
by prompts that pass the one before:
  1. a substring scan for a keyword (external, claude, copilot, gemini, ...): most prompts stop
     here, before `os`, `re`, `json` or the registry are loaded;
  2. component-registry.json is read and every clause checked against its vocabulary: a clause
     with a word no trigger or pattern can contain ("claude.md", "refactor", "branch") cannot be
     a command, and a prompt with no such clause is "none" (about a millisecond once `re` and
     `json` are loaded, which a hook that parsed its JSON input has already done);
  3. only then are the registry's patterns matched, compiling just those whose words cover the
     clause (all of them would cost ~15 ms of regex compilation; a few cost ~2 ms).

Precision comes first. A false toggle silently moves someone's work to another vendor; a missed
one costs a retype, and the external-mode-toggle skill still sees it. So a prompt counts only
when, after politeness and filler words are peeled off, a whole sentence or clause *is* a
command from the registry: "switch to external models", never "switch to external storage".
Quotes, backticks and code fences are cut out first; a question counts only as a status question
or a polite request ("could you ..."); a conditional, questioning, negated or colon-introducing
clause next to a command cancels it; prompts longer than MAX_CHARS are work, not toggles,
though their opening may still send that one request out ("ask gemini: <long question>").

classify(text) -> {"action": "enable"|"disable"|"status"|"once"|"none",
                   "trigger": the registry trigger or the matched phrase, None for "none",
                   "confidence": 0.0 for "none", else how sure (HOOK_THRESHOLD and up: act)}
"""

# No imports at module level: under `python3 -I -S` even `os` is not loaded yet (~1.5 ms).

ACTIONS = ("enable", "disable", "status", "once")
COMPONENT = "external-mode-toggle"
REGISTRY_FILE = "component-registry.json"
MAX_CHARS = 280       # longer prompts are work; only a "<request>: payload" head is looked at
PAYLOAD_HEAD = 100    # how far into a prompt the colon of "ask gemini: ..." may be
MAX_CLAUSES = 4       # more pieces than this is a paragraph, not a command
HOOK_THRESHOLD = 0.8  # suggested floor for acting without asking; below it, leave it to the skill

# Confidence by how the prompt matched.
LITERAL, EXACT, PATTERN, PAYLOAD, CLAUSE = 1.0, 0.95, 0.9, 0.9, 0.8

# Every trigger and pattern in the registry contains one of these (tests/test_intent.py checks
# this copy against the registry's "keywords"); kept here so stage 1 never parses JSON.
_KEYWORDS = ("external", "claude", "anthropic", "copilot", "codex", "gemini", "glm", "z.ai",
             "opencode", "openrouter", "llama", "litellm")

# Politeness and filler peeled off both ends of a clause before it is matched. Their words are
# part of the vocabulary of stage 2, like the registry's.
_PREFIX = (
    r"^(?:(?:ok(?:ay)? now|ok(?:ay)?|k|alright|all right|right|so|now|hey|hi|please|pls|plz|"
    r"kindly|just|then|and|yes|yeah|yep|sure|cool|great|good|fine|thanks|thank you|actually|"
    r"also|well|hmm+|from now on|quick check|quick question|question|btw|by the way|fyi|"
    r"let's|lets|let us|go ahead and|time to|i want to|i'd like to|i would like to|"
    r"i want you to|i'd like you to|i need you to|i need to|we need to)\b\s*)+")
_POLITE = (r"^(?:(?:can|could|would|will) (?:you|we)|would you mind|do you mind)"
           r"(?: please| kindly| just)?\b\s*")
_SUFFIX = (
    r"(?:\s+(?:please|pls|plz|thanks|thank you|thx|now|right now|for now|from now on|"
    r"from here on(?: out)?|going forward|for the rest of today|for the rest of (?:the|this|my) "
    r"(?:session|conversation|chat|day|week)|for a while|for a bit|for the time being|"
    r"for the moment|for today|today|for the day|this week|until i say otherwise|"
    r"until further notice|then|ok|okay|instead))+$")

_NONE = {"action": "none", "trigger": None, "confidence": 0.0}
_rules = None  # the registry, prepared on the first prompt that passes the keyword scan


def classify(text: str) -> dict:
    if not isinstance(text, str) or not text:
        return dict(_NONE)
    low = text[:MAX_CHARS + 1].lower()
    if not any(word in low for word in _KEYWORDS):
        return dict(_NONE)
    if _pregate_rejects(text):
        return dict(_NONE)
    return _classify_relevant(text)


# ---- stage 1b: the vocabulary check without `re` -----------------------------------------
# Prompts that name Claude ("update CLAUDE.md") pass the keyword scan all the time, and
# importing `re` for stage 2 would double the hook's cold start. This gate answers "could any
# clause be made of command words only?" with str methods and a vocabulary cached in the data
# dir. It splits at every boundary stage 2 splits at (and more), and never drops a word stage
# 2 keeps, so it can only reject what stage 2 rejects too (tests/test_intent.py checks that).

_BOUNDARIES = '!?;,:\n"`\u201c\u201d\u00ab\u00bb'
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'.")
_VOCAB_CACHE = "intent-vocabulary.json"


def _pregate_rejects(text: str) -> bool:
    low = text[:max(MAX_CHARS, PAYLOAD_HEAD) + 1].lower()
    if "--external" in low:
        return False  # the literal /pa form is decided by stage 2
    vocabulary = _cached_vocabulary()
    if vocabulary is None:
        return False  # unknown yet: stage 2 decides (and fills the cache)
    low = low.replace("\u2018", "'").replace("\u2019", "'")  # as stage 2's quote map does
    for mark in _BOUNDARIES:
        low = low.replace(mark, "|")
    for space in " \t\r\u00a0":
        low = low.replace(space + ".", " |").replace("." + space, "| ")
    return not any(_piece_covered(piece, vocabulary) for piece in low.split("|"))


def _piece_covered(piece: str, vocabulary: frozenset) -> bool:
    words = "".join(ch if ch in _WORD_CHARS else " " for ch in piece).split()
    words = [w.strip(".'") for w in words]
    words = [w for w in words if w]
    return bool(words) and all(w in vocabulary or w.removesuffix("'s") in vocabulary for w in words)


def _vocabulary_key() -> str:
    import os

    parts = []
    for path in (registry_path(), __file__):
        info = os.stat(path)
        parts.append(f"{info.st_size}:{info.st_mtime_ns}")
    return "|".join(parts)


def _cached_vocabulary() -> frozenset | None:
    from .. import paths
    from ..io import fastjson

    from ..io.fileio import read_regular  # the prompt hook reads this: never hang on a FIFO

    try:
        cached = fastjson.loads(read_regular(paths.data_file(_VOCAB_CACHE)))
        if cached.get("key") == _vocabulary_key():
            return frozenset(cached["words"])
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return None


def _save_vocabulary(vocabulary: frozenset) -> None:
    from .. import paths
    from ..io import fileio

    try:
        fileio.atomic_write_json(paths.data_file(_VOCAB_CACHE),
                                 {"key": _vocabulary_key(), "words": sorted(vocabulary)})
    except OSError:
        pass  # without the cache, stage 2 simply runs every time


def _result(action: str, trigger: str | None, confidence: float) -> dict:
    return {"action": action, "trigger": trigger, "confidence": confidence}


def _classify_relevant(text: str) -> dict:
    rules = compiled_rules()
    literal = rules.literal.fullmatch(text[:MAX_CHARS].strip().lower())
    if literal:
        return _result(rules.literal_actions[literal.group(1)], literal.group(0), LITERAL)
    head = _payload_head(text, rules)
    parts = _clauses(_clean(text[:MAX_CHARS], rules), rules) if len(text) <= MAX_CHARS else []
    if not (head and rules.plausible(head)) and not any(rules.plausible(p[0]) for p in parts):
        return dict(_NONE)  # stage 2: no clause is made of command words only
    found = _payload_request(head, rules) if head else None
    return found or _short_request(parts, rules)


def _payload_head(text: str, rules) -> str | None:
    """The instruction before the colon of "ask gemini: <payload>", cleaned; None if no such."""
    head, colon, _ = text[:PAYLOAD_HEAD].partition(":")
    payload = text[len(head) + 1:len(head) + 1 + MAX_CHARS]
    if not colon or not payload.strip() or "\n" in head.strip():
        return None
    return " ".join(part[0] for part in _clauses(_clean(head, rules), rules)) or None


def _payload_request(head: str, rules) -> dict | None:
    """"ask gemini: <anything>" / "have an external model answer this: ..." -> once.

    Only the head is read, so the payload may be long, quoted or code.
    """
    core = _core(head, False, rules)
    if core and rules.grammar().match(core, payload=True):
        return _result("once", core, PAYLOAD)
    return None


def _short_request(parts: list, rules) -> dict:
    """A whole prompt that is a command, else a command in one of its few clauses."""
    if not parts or len(parts) > MAX_CLAUSES:
        return dict(_NONE)
    hit = _match(" ".join(part[0] for part in parts), parts[-1][1], rules)
    if hit:
        return _result(*hit)
    return _from_clauses(parts, rules) if len(parts) > 1 else dict(_NONE)


def _from_clauses(parts: list, rules) -> dict:
    """One clause is the command and the others are harmless ("I'm out of credits, ...").

    A clause that is a question, a negation or the lead-in of a colon ("our lead says: use
    copilot for everything") changes what the command means, so it cancels it.
    """
    grammar = rules.grammar()
    actions, trigger = set(), None
    for clause, asked, introduces in parts:
        if grammar.conditional.match(clause):
            return dict(_NONE)  # "if claude is down, switch to external" is not for now
        hit = _match(clause, asked, rules)
        if hit:
            actions.add(hit[0])
            trigger = trigger or hit[1]
        elif _core(clause, False, rules) and (asked or introduces or grammar.negation.search(clause)):
            return dict(_NONE)
    if len(actions) != 1:
        return dict(_NONE)  # nothing, or "stop using copilot, use gemini": let the skill ask
    return _result(actions.pop(), trigger, CLAUSE)


def _match(unit: str, asked: bool, rules) -> tuple | None:
    """(action, trigger, confidence) when the unit, fillers removed, is a command."""
    if not rules.plausible(unit):
        return None
    core = _core(unit, asked, rules)
    if not core:
        return None
    plain = core.removesuffix(" ?")
    action = rules.triggers.get(plain)
    if action and (action == "status" or core == plain):
        return action, plain, EXACT
    action = rules.grammar().match(core)
    return (action, plain, PATTERN) if action else None


def _core(unit: str, asked: bool, rules) -> str:
    """The unit without fillers; ends in " ?" if it was a question that was not a polite request.

    Status patterns accept the trailing " ?", the others do not: "use copilot for everything?"
    is someone thinking aloud, "could you use copilot for everything?" is a request.
    """
    grammar = rules.grammar()
    polite = False
    for _ in range(6):
        before = unit
        unit = grammar.prefix.sub("", unit)
        stripped = grammar.polite.sub("", unit)
        polite = polite or stripped != unit
        unit = grammar.suffix.sub("", stripped)
        if unit == before:
            break
    return unit + " ?" if unit and asked and not polite else unit


def _clean(text: str, rules) -> str:
    """Lower-case, straight quotes, and quoted or code spans replaced by a marker no pattern
    matches, so `the docs say "switch to external"` keeps its shape but never matches."""
    text = text.translate(_QUOTE_MAP).lower()
    return rules.quoted.sub(" \x00 ", text)


def _clauses(text: str, rules) -> list:
    """[(clause, ends_with_question_mark, ends_with_colon)], single-spaced, empties dropped."""
    pieces = rules.splitter.split(text)
    parts = []
    for index in range(0, len(pieces), 2):
        clause = _trim(" ".join(pieces[index].split()))
        separator = pieces[index + 1] if index + 1 < len(pieces) else ""
        if clause:
            parts.append((clause, "?" in separator, ":" in separator))
    return parts


def _trim(clause: str) -> str:
    """Drop emoji, brackets and stray punctuation at the ends; keep the quote marker."""
    start, end = 0, len(clause)
    while start < end and not (clause[start].isalnum() or clause[start] in "\x00/"):
        start += 1
    while end > start and not (clause[end - 1].isalnum() or clause[end - 1] == "\x00"):
        end -= 1
    return clause[start:end]


_QUOTE_MAP = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x00AB: '"', 0x00BB: '"',
              0x00A0: " ", 0x2014: " - ", 0x2013: " - "}


# ---- the registry -----------------------------------------------------------------------------

def registry_path() -> str:
    import os

    from .. import paths

    return os.path.join(paths.plugin_root(), REGISTRY_FILE)


def load_registry(path: str | None = None) -> dict:
    """The parsed registry; ConfigError naming the file if it is missing or not JSON."""
    from ..errors import ConfigError
    from ..io import fastjson  # not json: the hook never pays for json's import of re

    from ..io.fileio import read_regular

    path = path or registry_path()
    try:
        return fastjson.loads(read_regular(path))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the component registry {path}: {exc}",
                          "reinstall the plugin; component-registry.json ships with it",
                          file=path) from exc


def toggle_component(registry: dict) -> dict:
    from ..errors import ConfigError

    component = registry.get("components", {}).get(COMPONENT) if isinstance(registry, dict) else None
    if not isinstance(component, dict) or not isinstance(component.get("triggers"), dict):
        raise ConfigError(f"the component registry has no usable '{COMPONENT}' entry",
                          "reinstall the plugin", json_path=f"$.components.{COMPONENT}")
    return component


def compiled_rules():
    global _rules
    if _rules is None:
        _rules = _Rules(toggle_component(load_registry()))
        if _cached_vocabulary() != _rules.vocabulary:
            _save_vocabulary(_rules.vocabulary)
    return _rules


class _Rules:
    """Stage 2: triggers, vocabulary and the few small expressions every relevant prompt needs.

    The grammar (stage 3) is compiled on first use by grammar().
    """

    def __init__(self, component: dict) -> None:
        import re

        self.component = component
        self.triggers = {" ".join(k.lower().split()): v for k, v in component["triggers"].items()}
        _check_actions(self.triggers.values())
        self.vocabulary = _vocabulary(re, component)
        self.word = re.compile(r"[a-z0-9'.]+")
        # `/pa --external on|off|status` is the /pa command's own syntax, not a phrasing.
        self.literal = re.compile(r"/(?:llm-router:)?pa\s+--external(?:\s+|=)(on|off|status)")
        self.literal_actions = {"on": "enable", "off": "disable", "status": "status"}
        self.quoted = re.compile(
            r"```.*?(?:```|\Z)|`[^`\n]*`?|\"[^\"\n]*\"?|(?<![\w'])'[^'\n]*'(?![\w'])", re.S)
        self.splitter = re.compile(r"((?:[.!?;,:]|\s-+)+(?=\s|$)|\n+)")
        self._grammar = None

    def plausible(self, unit: str) -> bool:
        """Could this text, fillers and all, be a command? Only if every word is in the registry's
        vocabulary (a possessive "anthropic's" counts as its base word)."""
        return _covered(self.word.findall(unit), self.vocabulary)

    def grammar(self) -> "_Grammar":
        if self._grammar is None:
            self._grammar = _Grammar(self.component, self.word)
        return self._grammar


class _Grammar:
    """Stage 3: the registry's patterns, each compiled the first time a clause could match it.

    A pattern can only match a clause whose words all occur in the pattern's expanded text (the
    argument of stage 2, per pattern), so most clauses compile one or two patterns, not all.
    """

    def __init__(self, component: dict, word) -> None:
        import re

        self._re, self._word = re, word
        slots = component.get("slots", {})
        self.entries = [_entry(re, a, p, slots) for a, p in component.get("patterns", [])]
        # Before a colon, a one-request phrasing or a payload-only one ("ask gemini: ...").
        self.payload_entries = [e for e in self.entries if e[0] == "once"] + [
            _entry(re, a, p, slots) for a, p in component.get("payload_patterns", [])]
        _check_actions([e[0] for e in self.entries + self.payload_entries])
        self._compiled = {}
        self.prefix = re.compile(_PREFIX)
        self.polite = re.compile(_POLITE)
        self.suffix = re.compile(_SUFFIX)
        self.conditional = re.compile(r"^(?:if|when|whenever|unless|once|in case|after|before|until)\b")
        self.negation = re.compile(r"\b(?:not|no|never|don't|dont|do not|doesn't|shouldn't|won't|"
                                   r"can't|cannot|without)\b")

    def match(self, core: str, payload: bool = False) -> str | None:
        """The action of the first pattern (registry order) that matches all of `core`."""
        words = self._word.findall(core)
        for action, source, vocabulary in self.payload_entries if payload else self.entries:
            if _covered(words, vocabulary) and self.compiled(source).fullmatch(core):
                return action
        return None

    def compiled(self, source: str):
        if source not in self._compiled:
            try:
                self._compiled[source] = self._re.compile(source)
            except self._re.error as exc:
                from ..errors import ConfigError

                raise ConfigError(f"bad pattern in the component registry: {source[:80]!r}: {exc}",
                                  "fix the pattern in component-registry.json",
                                  json_path=f"$.components.{COMPONENT}.patterns") from exc
        return self._compiled[source]

    def compile_all(self) -> None:
        """Compile every pattern now (tests, doctor): a bad one raises ConfigError."""
        for _action, source, _vocabulary in self.entries + self.payload_entries:
            self.compiled(source)


def _vocabulary(re, component: dict) -> frozenset:
    """Every word a command can contain: the literal words of the triggers, slots, patterns and
    fillers."""
    return _words(re, [*component["triggers"], *component.get("slots", {}).values(),
                       *(p for _, p in component.get("patterns", [])),
                       *(p for _, p in component.get("payload_patterns", [])),
                       _PREFIX, _POLITE, _SUFFIX])


def _words(re, sources: list) -> frozenset:
    """The literal words in regex sources: "models?" gives "models" and "model", "an?" "an" and
    "a". Registry patterns use only words, spaces, (?:...), | and ?, so this finds them all."""
    words = set()
    for source in sources:
        for match in re.finditer(r"([a-z0-9'.]+)(\?)?", source.lower().replace("\\.", ".")):
            words.add(match.group(1))
            if match.group(2):
                words.add(match.group(1)[:-1])
    return frozenset(words)


def _covered(words, vocabulary: frozenset) -> bool:
    """Every word is in the vocabulary; a possessive "anthropic's" counts as "anthropic"."""
    return all(w in vocabulary or w.removesuffix("'s") in vocabulary for w in words)


def _entry(re, action: str, pattern: str, slots: dict) -> tuple:
    """(action, expanded source, its words). Status patterns may keep a trailing " ?"."""
    source = _expand(re, pattern, slots)
    if action == "status":
        source = f"(?:{source})(?: \\?)?"
    return action, source, _words(re, [source])


def _expand(re, pattern: str, slots: dict) -> str:
    """Replace {slot} (slots may name slots) until none is left; unknown names are errors."""
    from ..errors import ConfigError

    def one(match):
        name = match.group(1)
        if name not in slots:
            raise ConfigError(f"component registry pattern names an unknown slot {{{name}}}",
                              "add the slot or fix the pattern",
                              json_path=f"$.components.{COMPONENT}.slots.{name}")
        return slots[name]

    for _ in range(5):
        pattern, count = re.subn(r"\{([a-z_]+)\}", one, pattern)
        if not count:
            return pattern
    raise ConfigError("component registry slots refer to each other too deeply",
                      "flatten the slots", json_path=f"$.components.{COMPONENT}.slots")


def _check_actions(actions) -> None:
    from ..errors import ConfigError

    unknown = sorted(set(actions) - set(ACTIONS))
    if unknown:
        raise ConfigError(f"component registry uses unknown actions {unknown}",
                          f"use one of {', '.join(ACTIONS)}",
                          json_path=f"$.components.{COMPONENT}")
