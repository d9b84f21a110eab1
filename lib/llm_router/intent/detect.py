"""Is this prompt a request to turn external mode on or off, show it, or send one request out?

Runs in the UserPromptSubmit hook on every prompt, so it works in stages, each paid only by
prompts that pass the one before:
  1. a substring scan for a keyword (external, claude, gemini, gpt, model, mode, ...): most
     prompts stop here, before `os` or the registry are loaded;
  2. quoted material and code are cut out (guards.py), the rest split into clauses, and each
     clause's words checked against the registry's lexicon (lexicon.py): a clause with a word
     the lexicon does not know, and that is not a typo one edit from a lexicon word, cannot be
     a command ("update claude.md", "refactor the external api client");
  3. the few clauses made of lexicon words only are read by the grammar (grammar.py).
No stage imports `re`.

Precision comes first. A false toggle silently moves someone's work to another vendor; a missed
one costs a retype, and the external-mode-toggle skill still sees it. So:
  * a clause is a command only when all of it, scopes and fillers aside, is one grammar frame;
  * quoted material never toggles: ``` and ~~~ fences, indented code, `> ` block quotes, HTML
    comments, inline code and quotation marks;
  * a condition ("if", "when", "once the ..."), a negation, a hedge ("should", "maybe"), a speech
    verb ("said", "wrote"), another question, or a lead-in ending in a colon ("my lead says:")
    anywhere in the prompt cancels an enable, disable or status; for a one-off request only the
    clauses up to the command count, because what follows it is the request itself;
  * a toggle on a line after other work ("fix X⏎switch to external models") counts when that
    line stands alone as an instruction: it is its own clause and nothing above guards it.
    The rest of the prompt is then the work, done under the new mode;
  * two commands that disagree ("stop using copilot, use claude for this") are "none", except a
    one-off and a return to Claude ("use codex for this, then back to claude"), which is "once";
  * prompts longer than MAX_CHARS are work, though their opening may still send that one
    request out ("ask gemini: <long question>").

classify(text) -> {"action": "enable"|"disable"|"status"|"once"|"none",
                   "trigger": the clause that matched (a registry trigger when it is one), None for "none",
                   "confidence": 0.0 for "none", else how sure (HOOK_THRESHOLD and up: act),
                   "vendor": the vendor or model family the user named ("gemini", "gpt", "local",
                             ...: the registry's `vendors` keys), else None}
"""

# No imports at module level: under `python3 -I -S` even `os` is not loaded yet (~1.5 ms).

ACTIONS = ("enable", "disable", "status", "once")
COMPONENT = "external-mode-toggle"
REGISTRY_FILE = "component-registry.json"
MAX_CHARS = 280       # longer prompts are work; only a "<request>: payload" head is looked at
PAYLOAD_HEAD = 100    # how far into a prompt the colon of "ask gemini: ..." may be
MAX_CLAUSES = 6       # more pieces than this is a paragraph, not a command
MAX_TYPOS = 2         # misspelt words per clause that are still read as their lexicon word
HOOK_THRESHOLD = 0.8  # suggested floor for acting without asking; below it, leave it to the skill

# Confidence by how the prompt matched.
LITERAL, EXACT, GRAMMAR, PAYLOAD, CLAUSE = 1.0, 0.95, 0.9, 0.9, 0.85

# Every command contains one of these (tests/test_intent.py checks this copy against the
# registry's "keywords" and every target and question word against this list); kept here so
# stage 1 never reads the registry.
_KEYWORDS = ("external", "claude", "anthropic", "opus", "sonnet", "haiku", "copilot", "codex",
             "gpt", "openai", "chatgpt", "gemini", "glm", "z.ai", "zhipu", "opencode",
             "openrouter", "open router", "llama", "litellm", "lm studio", "lmstudio", "vllm",
             "qwen", "deepseek", "mistral", "codestral", "kimi", "grok", "local", "model", "mode",
             "llm", "who", "offload", "extr", "xter", "ernal", "claud", "cluad", "calud", "gemn",
             "gmin", "copil", "copli", "routing", "answering", "responding")
_ARTICLES = frozenset(("the", "a", "an"))
_MODALS = frozenset(("can", "could", "will", "would"))
_WEAK_TAGS = frozenset(("bare", "status", "exact"))  # a bare name or a lone "external?" may simply not count
# One-word lead-ins that label text which is not the user's instruction ("TODO: use codex").
_LABELS = frozenset(("todo", "fixme", "test", "tests", "example", "examples", "input", "output", "expected", "q",
                     "a", "question", "answer", "bug", "task", "issue", "title", "subject", "phrase", "prompt",
                     "string", "case", "sample", "spec", "label", "quote", "transcript", "log", "error", "me",
                     "you", "user", "assistant", "bot", "human", "ai", "system", "customer", "fixture", "e.g",
                     "eg", "ex", "usage", "docs", "readme", "comment", "note"))
_WH = frozenset(("what", "why", "how", "who", "which", "when", "where", "whats", "what's", "why's", "how's"))
# "ask gemini to / what / how / why ...": the request follows. Not "if" ("ask gemini if you're unsure").
_ASK_PAYLOAD = frozenset(("to", "what", "how", "why", "which", "who", "where", "what's", "how's"))
_DIRECTIVE_MODALS = frozenset(("should", "must", "shall"))
# A time scope turns "don't use X" into a stop ("don't use gemini from now on"); "for everything"
# does not ("don't use copilot for everything" is advice about how much).
_FROM_NOW = ("from now", "from here", "going forward", "moving forward", "onward", "rest of", "remainder of",
             "any more", "anymore", "any longer", "no longer")
# "flip it to codex": with these verbs "it" is the mode, not this one request.
_MODE_VERBS = frozenset(("flip", "switch", "set", "turn", "change", "move", "swap", "toggle", "put"))
_FAST_GATE = True  # tests turn it off to show the gate only skips what the grammar would reject
_NONE = {"action": "none", "trigger": None, "confidence": 0.0, "vendor": None}
_rules = None  # the registry, prepared on the first prompt that passes the keyword scan
_grammar_module = None  # intent/grammar.py, imported with the first clause made of lexicon words


def classify(text: str) -> dict:
    if not isinstance(text, str) or not text:
        return dict(_NONE)
    low = text[:MAX_CHARS + 1].lower()
    if not any(word in low for word in _KEYWORDS):
        return dict(_NONE)
    return _classify_relevant(text)


def _result(action: str, trigger: str | None, confidence: float, vendor: str | None = None) -> dict:
    return {"action": action, "trigger": trigger, "confidence": confidence, "vendor": vendor}


def _classify_relevant(text: str) -> dict:
    literal = _literal(text[:MAX_CHARS])
    if literal:
        return literal
    rules = compiled_rules()
    if len(text) <= MAX_CHARS:
        return _Prompt(text, rules).decide(once_only=False)
    head, colon, rest = text[:PAYLOAD_HEAD].replace("\n", ":", 1).partition(":")
    if not colon or not (rest or text[PAYLOAD_HEAD:]).strip():
        return dict(_NONE)
    found = _Prompt(head, rules).decide(once_only=True)
    return {**found, "confidence": PAYLOAD} if found["action"] == "once" else dict(_NONE)


_LITERAL_ACTIONS = {"on": "enable", "off": "disable", "status": "status"}


def _literal(text: str) -> dict | None:
    """`/pa --external on|off|status`, the /pa command's own syntax, as the whole prompt."""
    parts = text.strip().lower().replace("--external=", "--external ").split()
    if (len(parts) == 3 and parts[0] in ("/pa", "/llm-router:pa") and parts[1] == "--external"
            and parts[2] in _LITERAL_ACTIONS):
        return _result(_LITERAL_ACTIONS[parts[2]], " ".join(parts), LITERAL)
    return None


# ---- reading a prompt ---------------------------------------------------------------------------

class _Clause:
    """One clause: its tokens after scopes and fillers, the frame it matched, its guards."""

    __slots__ = ("text", "mark", "line", "tokens", "scopes", "tag", "target", "polite", "asked", "guard",
                 "typo", "payload", "alt", "exact", "checking", "covered", "softened", "rhetorical")

    def __init__(self, text: str, mark: str, line: int) -> None:
        self.text, self.mark, self.line = text, mark, line
        self.tokens, self.scopes, self.tag, self.target = [], set(), None, None
        self.polite = self.typo = self.payload = self.alt = False
        self.exact = None
        self.checking = False  # after "check whether": status may come in statement order
        self.covered = True    # every word a lexicon word
        self.softened = False  # "please", "ok", "could you" ... were peeled off
        self.rhetorical = text.split(" ", 1)[0] in _WH  # "what could go wrong" asks, "?" or not
        self.asked = mark == "?"
        self.guard = None  # "negation" | "condition" | "speech": cancels commands around it

    @property
    def scope_only(self) -> bool:
        return not self.tokens and bool(self.scopes)


class _Prompt:
    def __init__(self, text: str, rules) -> None:
        from . import guards

        self.rules = rules
        cleaned = guards.strip_quoted(text).lower()
        self.parts = [_Clause(t, m, n) for t, m, n in guards.clauses(cleaned)]

    def decide(self, once_only: bool) -> dict:
        parts = self.parts
        if not parts or len(parts) > MAX_CLAUSES:
            return dict(_NONE)
        lexicon = self.rules.lexicon
        words = [lexicon.words(part.text) for part in parts]
        unknown = [lexicon.unknown(w) for w in words]
        if _FAST_GATE and all(len(u) > MAX_TYPOS and not _may_ask(w, lexicon)
                              for w, u in zip(words, unknown)):
            return dict(_NONE)  # stage 2: no clause can be made of lexicon words only
        plausible = False
        for part, w, u in zip(parts, words, unknown):
            plausible |= self._tokenize(part, lexicon, w, u)
        if not plausible:
            return dict(_NONE)
        grammar = self.rules.grammar()
        for part in parts:
            _read(part, grammar, self.rules.triggers, len(parts) == 1)
        _attach_vocatives(parts, grammar)
        return self._combine(once_only)

    def _tokenize(self, part: _Clause, lexicon, words: list, unknown: list) -> bool:
        fixed = set()
        if unknown and len(unknown) <= MAX_TYPOS:
            fixes = {w: lexicon.correct(w) for w in unknown}
            if all(fixes.values()):
                words = [fixes.get(w, w) for w in words]
                fixed, unknown = set(fixes.values()), []
        part.tokens = [t for t in lexicon.tokens(words, frozenset(fixed)) if t.word not in _ARTICLES]
        part.typo = bool(fixed)
        if unknown:
            part.payload = _ask_payload(part)
        return not unknown or part.payload

    def _combine(self, once_only: bool) -> dict:
        parts = self.parts
        scopes = set().union(*(p.scopes for p in parts if p.scope_only))
        read = [(i, p, _action(p, scopes, parts)) for i, p in enumerate(parts) if p.tag]
        commands = [(i, p, a) for i, p, a in read if a]
        if not commands or any(not a and p.tag not in _WEAK_TAGS for _, p, a in read):
            return dict(_NONE)  # nothing, or a frame it cannot act on ("... use claude for this one"): ask
        actions = {a for _, _, a in commands}
        if actions == {"once", "disable"}:
            actions = {"once"}
            commands = [c for c in commands if c[2] == "once"]
        vendors = {p.target.vendor for _, p, _ in commands if p.target is not None and p.target.vendor}
        if len(actions) != 1 or len(vendors) > 1:
            return dict(_NONE)  # "stop using copilot, use claude for this", "use gemini⏎use codex": ask
        action = actions.pop()
        if once_only and action != "once":
            return dict(_NONE)
        first, part, _ = commands[0]
        if action == "once" and part.mark == "&" and first + 1 < len(parts) and not parts[first + 1].tag:
            return dict(_NONE)  # "ask gemini about this and compare it with your answer": Claude's job
        guarded = parts[:first + 1] if action == "once" else parts
        if _cancelled(guarded, first, parts, action):
            return dict(_NONE)
        confidence = EXACT if part.tag == "exact" and len(parts) == 1 else GRAMMAR
        if len(parts) > 1 or any(p.typo for p in parts):
            confidence = min(confidence, CLAUSE)
        vendor = part.target.vendor if part.target is not None else None
        return _result(action, part.text, confidence, vendor)


def _may_ask(words: list, lexicon) -> bool:
    """Could this be "ask <target> to <request>" (whose request words are not lexicon words)?"""
    return any(w in _ASK_PAYLOAD for w in words[:6]) and any(w in lexicon.ask_words for w in words[:4])


def _ask_payload(part: _Clause) -> bool:
    """"ask gemini to write the changelog": the words after "ask <target> to" are the request."""
    tokens = part.tokens
    for i, token in enumerate(tokens[:4]):
        if "ASK" in token.classes:
            if i + 2 < len(tokens) and "T" in tokens[i + 1].classes and tokens[i + 2].word in _ASK_PAYLOAD:
                if all(t.classes for t in tokens[:i + 2]):
                    part.tokens = tokens[:i + 2]
                    return True
            return False
    return False


def _read(part: _Clause, grammar, triggers: dict, single: bool) -> None:
    """Fill in part.tag/target/scopes/guard from its tokens."""
    tokens = part.tokens
    if part.text in triggers and single and (not part.asked or triggers[part.text] == "status"):
        part.tag, part.target, part.exact = "exact", _first_target(tokens), triggers[part.text]
        return
    if tokens and tokens[0].word == "once" and len(tokens) > 1 and "T" not in tokens[1].classes \
            and tokens[1].word not in ("only", "more"):
        part.guard = "condition"  # "once the build passes, ..."
    if not part.payload and any(not t.classes for t in tokens):
        _guard_only(part, tokens)  # words the lexicon does not know: never a command, maybe a guard
        return
    tokens, part.scopes = grammar.lift_scopes(tokens)
    directive = bool(part.scopes & {"persist", "agents"}) and not part.asked  # "agents should use X from now on"
    if any(t.word in ("only", "exclusively", "solely") for t in tokens):
        part.scopes.add("only")
        tokens = [t for t in tokens if t.word not in ("only", "exclusively", "solely")]
    if any(t.word == "again" for t in tokens):
        part.scopes.add("again")  # "claude again": a bare target that means a return
    tokens = _drop_contrast(tokens)
    part.alt = _is_alternative(tokens)
    while tokens and tokens[0].classes & {"LEAD", "POLITE", "FILLER"}:
        part.polite |= "POLITE" in tokens[0].classes
        part.softened = True
        part.checking |= "CHECKIF" in tokens[0].classes  # "check if external mode is on" asks
        tokens = tokens[1:]
    if directive and tokens and tokens[0].word in _DIRECTIVE_MODALS:
        tokens = tokens[1:]  # "(you) must use the copilot from today"
    if len(tokens) > 2 and tokens[0].word in _MODALS and "T" in tokens[1].classes:
        part.polite, tokens = True, tokens[1:]  # "can gemini take this one?" is a request
    part.asked |= part.checking
    part.softened |= any("FILLER" in t.classes for t in tokens)
    tokens = [t for t in tokens if "FILLER" not in t.classes]
    part.tokens = tokens
    classes = set().union(*(t.classes for t in tokens)) if tokens else set()
    hedged = any("COND" in t.classes and not (directive and t.word in _DIRECTIVE_MODALS) for t in tokens)
    part.guard = part.guard or ("condition" if hedged else "speech" if classes & {"SPEECH", "IRONY"} else None)
    if part.asked and len(tokens) > 2 and (tokens[-2].word, tokens[-1].word) == ("or", "not"):
        tokens = part.tokens = tokens[:-2]  # "are we in external mode or not?"
        classes = set().union(*(t.classes for t in tokens))
    if tokens and all("THIS" in t.classes or "WORKN" in t.classes for t in tokens) and "THIS" in tokens[0].classes:
        part.scopes.add("once")  # "this one: codex", "codex, this one"
        tokens = part.tokens = []
    part.covered = all(t.classes for t in tokens)
    if not tokens or not part.covered and not part.payload:
        if "NEG" in classes:
            part.guard = part.guard or "negation"
        return
    tag = grammar.frame(tokens, part.asked and not part.polite or part.checking, part.checking)
    negated = "NEG" in classes and not (tag and _consumes_negation(tokens, part.text))
    if negated:
        part.guard = part.guard or "negation"
        return
    part.tag, part.target = tag, _first_target(tokens)
    if tag == "replace":  # "swap claude out for gpt": the second target is where it goes
        part.target = [t for t in tokens if "T" in t.classes][-1]


def _guard_only(part: _Clause, tokens: list) -> None:
    """A clause that is not a command still cancels one next to it when it is a condition, a
    negation, someone else's words or irony ("if claude is down, ...", "my lead says ...")."""
    part.covered = False
    classes = set().union(*(t.classes for t in tokens))
    part.guard = part.guard or ("condition" if "COND" in classes else
                                "speech" if classes & {"SPEECH", "IRONY"} else
                                "negation" if "NEG" in classes else None)


def _consumes_negation(tokens: list, text: str) -> bool:
    """The frame itself is negative: "no external models", "don't use claude anymore" (or "from
    now on"), "is external mode on or not?". "don't use gemini for this" stays a negation."""
    return tokens[0].word == "no" or any("ANYMORE" in t.classes for t in tokens) or \
        "NEG" in tokens[0].classes and any(mark in text for mark in _FROM_NOW) or \
        len(tokens) > 2 and (tokens[-2].word, tokens[-1].word) == ("or", "not")


def _drop_contrast(tokens: list) -> list:
    """"use gpt-5 instead of claude", "use codex not claude": the contrasted target goes."""
    for i, token in enumerate(tokens[1:-1], start=1):
        if "CONTRAST" in token.classes and "T" in tokens[i + 1].classes and \
                any("T" in t.classes for t in tokens[:i]):
            return tokens[:i] + tokens[i + 2:]
    return tokens


def _is_alternative(tokens: list) -> bool:
    """"you or glm", "claude or external": the tail of a status question after a comma."""
    return len(tokens) == 3 and tokens[1].word in ("or", "vs") and all(
        t.classes & {"T", "SUBJ"} for t in (tokens[0], tokens[2]))


def _first_target(tokens: list):
    for token in tokens:
        if "T" in token.classes:
            return token
    return None


def _attach_vocatives(parts: list, grammar) -> None:
    """"Gemini, answer this one": a vendor named alone, then a request, is "have gemini ..."."""
    from .lexicon import Token

    for first, second in zip(parts, parts[1:]):
        if (len(first.tokens) == 1 and first.tokens[0].vendor and not first.scopes and first.tag in (None, "bare")
                and second.tokens and "WORK" in second.tokens[0].classes and not second.tag):
            tokens = [Token("have", frozenset({"LET"})), first.tokens[0], *second.tokens]
            tag = grammar.frame(tokens, second.asked and not second.polite)
            if tag:
                second.tag, second.target, second.tokens = tag, first.tokens[0], tokens


def _action(part: _Clause, scopes: set, parts: list) -> str | None:
    """The clause's action from its frame, its target's side and the scopes around it."""
    g = _grammar_module

    if part.tag == "exact":
        return part.exact
    if part.tag == g.STATUS:
        lone = all(t.classes & {"T", "MODE"} for t in part.tokens)  # "external?" must be all there is
        return "status" if not lone or sum(1 for p in parts if p.tokens or p.scopes) == 1 else None
    scopes = part.scopes | scopes
    # "flip it to codex", "claude, take it from here": "it" is the mode or the work, not one request
    vague_it = bool(part.tokens) and part.tokens[0].word in _MODE_VERBS or "persist" in scopes
    this = any("THIS" in t.classes and not (t.word == "it" and vague_it) for t in part.tokens)
    once = "once" in scopes or this
    if part.tag == g.BARE and not _bare_counts(part, scopes, parts):
        return None
    direction = g.direction(g.TOWARD if part.tag in (g.BARE, g.ASK) else part.tag, part.target)
    if part.tag == g.ASK:
        return "enable" if "persist" in scopes and direction == "enable" else \
            "once" if direction == "enable" else None
    if once:
        return "once" if direction == "enable" and "persist" not in scopes else None
    return direction


def _bare_counts(part: _Clause, scopes: set, parts: list) -> bool:
    """A target named with no verb ("external models", "codex-only mode") is a command only
    with a scope or "only", or as the whole prompt when it is generic or names a mode."""
    if scopes & {"once", "persist", "agents", "only", "again"} or any("THIS" in t.classes for t in part.tokens):
        return True
    has_mode = any("MODE" in t.classes for t in part.tokens)
    generic = part.target is not None and part.target.vendor in (None, "local") and "EXT" in part.target.classes
    softened = part.softened or part.mark == "!" or any(
        not p.tokens and not p.scopes and not p.guard and p is not part for p in parts)  # "external, please"
    named = has_mode or generic and (part.target.word != "external" or softened)  # not a bare adjective
    return not part.asked and part.mark != ":" and named and part.tokens[0] is part.target


def _cancelled(guarded: list, first: int, parts: list, action: str) -> bool:
    """A guard anywhere in `guarded` cancels; so does a lead-in colon before the command, and
    another question (for enable/disable/status: "use copilot? not sure that's a good idea")."""
    for i, part in enumerate(guarded):
        if part.guard:
            return True
        if i < first and part.mark == ":" and not part.covered and _introduces(part, i, parts, first):
            return True  # "my lead says: ...", "save claude tokens: ...": someone else's words, or unclear
        if (part.asked or part.rhetorical) and not part.polite and not part.tag and not part.alt \
                and action != "once":
            return True
    return False


def _introduces(part: _Clause, i: int, parts: list, first: int) -> bool:
    """Does the lead-in's colon introduce the command: on its line, or ending the line above it?
    ("Context: big refactor ahead.⏎Switch to codex." does not.) A one-word tag that is not a
    label for someone else's text ("URGENT: switch to gpt") introduces nothing."""
    words = part.text.split()
    if len(words) == 1 and words[0] not in _LABELS:
        return False
    command_line = parts[first].line
    ends_line = i + 1 >= len(parts) or parts[i + 1].line != part.line
    return part.line == command_line or ends_line and command_line == part.line + 1


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
        _rules = Rules(toggle_component(load_registry()))
    return _rules


class Rules:
    """The registry's triggers and lexicon; the grammar is compiled on first use by grammar()."""

    def __init__(self, component: dict) -> None:
        from ..errors import ConfigError
        from .lexicon import Lexicon

        self.component = component
        self.triggers = {" ".join(k.lower().split()): v for k, v in component["triggers"].items()}
        unknown = sorted(set(self.triggers.values()) - set(ACTIONS))
        if unknown:
            raise ConfigError(f"component registry uses unknown actions {unknown}",
                              f"use one of {', '.join(ACTIONS)}", json_path=f"$.components.{COMPONENT}")
        self.lexicon = Lexicon(component)
        self._grammar = None

    def grammar(self):
        global _grammar_module
        if self._grammar is None:
            from . import grammar

            _grammar_module = grammar
            self._grammar = grammar.Grammar()
        return self._grammar
