"""The second reading: a target and a cue anywhere in a short prompt, with guards against.

The grammar (grammar.py) reads a clause only when every word of it is a lexicon word. That keeps
it precise, but it misses the ordinary phrasing each new writer brings: "from now on I want
gpt-5 doing the heavy lifting, not you", "Could you switch back to Claude, please?", "what's
handling my requests right now?". This reading runs only when the grammar found nothing. It
looks for:
  * a target: external models or a named vendor or model, Claude, "you" after a return word
    ("back to you"), or the mode itself ("ext off", "undo the external mode thing");
  * a cue that says which way: toward (switch, use, route, put, hand, have X do, a wish such
    as "I'd like X ...", "... runs on X" with a time scope), away (stop, quit, turn off, done
    with), back ("switch back"), a one-off marker ("just this once", "one time:", "don't
    change the mode", "this particular task"), or a question about what answers now.
It composes them as the grammar does: toward external = enable; toward Claude or away from
external = disable; away from Claude = enable; a one-off marker with an external target = once;
a question about the current model or mode = status.

The guards are wider here than in the grammar, because the words around the cue are unknown:
  * in the whole prompt: a condition, a plan for later or a command taken back ("never mind"),
    someone else's words, irony or doubt, advice or capability ("is glm any good", "should I"),
    the past ("yesterday I switched to gemini"), an aside (a story, a test case, an example),
    or a question about the command ("switch to gemini.⏎⏎is that wise?");
  * in the command's clause: a negation before the cue, a target that qualifies another word
    ("the gemini safety filters", "ollama pull", "external links") or is the subject of a
    statement ("external mode is on but ..."), a statement about the agents ("the agents run on
    codex") without a wish or a time scope, more than two words the lexicon does not know (three
    after a wish), a code word, a place ("in the dropdown menu"), a purpose ("use codex to
    generate the migrations"), and, on the command's line, a file name or an identifier;
  * both Claude and an external model named with no contrast between them ("use codex from now
    on but keep everything on claude"), or two commands that disagree.
A one-off request is the exception: its words after the target are the request, code included.
Quoted material sends the prompt back to the grammar alone.

The word lists are the registry's `cues` (component-registry.json; docs/component-registry.md).
Standard library only, no `re`: it runs in the prompt hook, and only for prompts of at most
MAX_CHARS that passed stage 1's keyword scan and that the grammar left alone.
"""

from .detect import _COMPANIES, _OTHERS_TEXT, _RELAYS, BENDS, NOTICES
from .lexicon import CLAUDE, EXT, OUTCOME_IFS, _one_edit

_TOWARD = frozenset(("MOVE", "SEND", "PUT", "USE", "GO", "LET", "ONV", "TURN", "WORK", "SENDING", "USING"))
_AWAY = frozenset(("STOP", "OFFV"))
_LET = frozenset(("LET", "ASK"))
_HEAD_SKIP = frozenset(("LEAD", "POLITE", "FILLER"))
# What a command may open with once lead-ins are gone: a cue, a target, or what is sent ("all agents to glm").
_HEAD_OBJECTS = frozenset(("ALL", "EVERYTHING", "AGENT", "WORKN", "DET", "THIS", "MODE"))
_HEAD_CLASSES = _TOWARD | _AWAY | _LET | _HEAD_OBJECTS | {"RETURN", "T", EXT, CLAUDE}
_HEAD_WORDS = frozenset(("just", "now", "ok", "okay", "so", "back", "external", "ext", "externally",
                         "possible", "is", "to", "and", "then", "also", "alright", "pls", "please", "all",
                         "everything"))
_BACK = frozenset(("back", "revert", "return", "restore", "undo", "reset"))
_CLAUDE_NAMES = ("claude", "anthropic", "normal", "regular", "plain", "good", "default")
_YOU = frozenset(("you", "u", "yourself", "ya"))
# "ask gemini if you're unsure": advice to Claude, not a question for gemini
_SUBJECTS = (["you"], ["you're"], ["youre"], ["u"], ["i"], ["i'm"], ["im"], ["we"], ["we're"], ["it"],
             ["it's"])
# Nouns after a name that make it a thing, not the model: "the ollama process", "the codex binary".
_THING_NOUNS = frozenset(("process", "processes", "daemon", "service", "instance", "container", "binary",
                          "install", "installation", "window", "tab", "extension", "plugin", "app", "port", "ports",
                          "config", "url", "endpoint", "timeout", "version", "key", "keys", "logs"))
_ADDRESSEES = (["you"], ["u"], ["we"], ["ya"])
_SKIPPED = frozenset(("just", "now", "ok", "so", "could", "can", "would", "will"))
_PLACES = frozenset(("in", "with", "inside", "within", "at", "from", "on", "for", "into"))
_WOULD_OK = (["you"], ["u"], ["ya"], ["like"], ["love"], ["prefer"], ["rather"])
# Who or what is being answered or run: "which model is answering me", "what's handling my requests".
_ANSWERED = frozenset(("you", "u", "me", "my", "this", "these", "requests", "agents", "subagents", "prompts",
                       "work", "models", "model"))
_PLUGIN_WORDS = frozenset(("llm-router", "llm-router's", "llm-routers", "router", "router's", "routr",
                           "plugin", "plugin's", "plugins"))
_EXTERNAL_WORDS = frozenset(("external", "ext", "externally", "mode", "routing"))
# Nouns for the role a model plays, between a cue and its target: "set the default vendor to openai".
_ROLE_NOUNS = frozenset(("vendor", "provider", "backend", "engine", "model", "llm", "worker", "brain",
                         "delegation", "offloading", "routing"))
_QUICK = frozenset(("real", "quick", "quickly", "please", "pls"))  # "ask chatgpt real quick if ..."
_SARCASM_OPENERS = (["sure"], ["yeah"], ["yeah", "sure"], ["oh", "sure"], ["great"], ["oh", "great"], ["lol"])
# Words without which no prompt is a one-off request.
ONE_OFF_HINTS = ("this", "once", "only", "one", "single", "just", "alone", "particular")
_SHORTHANDS = frozenset(("w/", "w/o", "n/a", "and/or", "on/off", "off/on", "e.g", "i.e", "etc"))
_CODE_MARKS = ("_", "(", ")", "=", "/", "{", "}", "[", "]", "$", "<", ">", "@", "%")
_MODE_WORDS = (["mode"], ["thing"], ["stuff"], ["routing"], ["setting"])
_AFTER_MODE = frozenset(("on", "off", "again", "please", "pls", "plz", "now", "for", "and", "then", "back",
                         "thanks", "status"))
_CONTRASTS = (" not ", " instead ", " rather ", " than ", " back ", " from ", " no more ", " stop ", " off ", " rest ",
              " else ", " only ", " keep ")


class Vocabulary:
    """The registry's `cues` lists as sets, and its phrase lists indexed by first word (_phrases)."""

    def __init__(self, cues: dict, lexicon: dict) -> None:
        def words(name: str) -> frozenset:
            return frozenset(cues.get(name, ()))

        self.advice, self.aside, self.code = words("advice"), words("aside"), words("code")
        self.agent_nouns = words("agent_nouns") | self.code
        self.past_times, self.past_verbs = words("past_times"), words("past_verbs")
        self.persons = words("persons")
        self.now, self.oneoff, self.this_nouns = words("now"), words("oneoff"), words("this_nouns")
        self.keep, self.correctable, self.chatter = words("keep"), words("correctable"), words("chatter")
        self.questions = words("questions")
        self.persist = _phrases(cues.get("persist", ()))
        self.takebacks = _phrases(cues.get("takebacks", ()))
        self.musings = _phrases(cues.get("musings", ()))
        self.conditions = _phrases(cues.get("conditions", ()))
        # takebacks are not here: whether one withdraws a command depends on where (taken_back)
        self.stops = _phrases((*cues.get("conditions", ()), *cues.get("cancels", ())))
        self.negations = frozenset(lexicon.get("NEG", ()))
        self.agent_words = frozenset(w for w in lexicon.get("AGENT", ()) if " " not in w)


def _phrases(phrases) -> dict:
    """first word -> [phrase as a tuple of words], longest first: a prompt's words are looked up,
    not searched."""
    index: dict = {}
    for words in sorted((tuple(p.split()) for p in phrases), key=len, reverse=True):
        index.setdefault(words[0], []).append(words)
    return index


def _says(words: list, phrases: dict) -> bool:
    """Does one of the phrases occur in the words?"""
    if phrases.keys().isdisjoint(words):
        return False
    return any(tuple(words[i:i + len(p)]) == p for i, w in enumerate(words) for p in phrases.get(w, ()))


def vocabulary(rules) -> Vocabulary:
    found = getattr(rules, "cues", None)
    if found is None:
        component = rules.component
        found = rules.cues = Vocabulary(component.get("cues") or {}, component["lexicon"])
    return found


class _Clause:
    """One clause as tokens with their classes (articles dropped, scopes lifted, typos of a target
    or a cue word fixed) and its words as written."""

    __slots__ = ("text", "mark", "line", "tokens", "scopes", "words")

    def __init__(self, text: str, mark: str, line: int, lexicon, scopes, vocab: Vocabulary) -> None:
        self.text, self.mark, self.line = text, mark, line
        words = _plugin_name(" ".join([_fix(word, lexicon, vocab) for word in lexicon.words(text)]).split())
        self.words, lifted = _lift_persist(words, vocab)
        tokens = [t for t in lexicon.tokens(self.words) if t.word not in ("the", "a", "an")]
        self.tokens, self.scopes = scopes.lift_scopes(tokens)
        if lifted:
            self.scopes.add("persist")


def _plugin_name(words: list) -> list:
    """The plugin named: "enable llm-router's external mode", "put the plugin into external mode"
    read without the name; "turn off llm-router" as "turn off external". "the plugin" and "the
    router" count only before the mode's own words (not "disable the prettier plugin")."""
    if _PLUGIN_WORDS.isdisjoint(words):
        return words
    out = []
    for i, word in enumerate(words):
        if word in _PLUGIN_WORDS:
            if words[i + 1:i + 2] == ["routing"]:
                word = "external"  # "turn off the llm-router routing"
            elif not _EXTERNAL_WORDS.isdisjoint(words[i + 1:i + 4]):
                continue  # its name before "external mode": drop it
            if word.startswith("llm") or word == "router" and out[-1:] == ["llm"]:
                if out[-1:] == ["llm"]:
                    out.pop()
                word = "external"
        out.append(word)
    return out


def _lift_persist(words: list, vocab: Vocabulary) -> tuple:
    """The words without time scopes the grammar has no pattern for ("starting now", "as the
    default", "til the end of ..."), and whether there was one."""
    if vocab.persist.keys().isdisjoint(words):
        return words, False
    out, i, lifted = [], 0, False
    while i < len(words):
        for phrase in vocab.persist.get(words[i], ()):
            if tuple(words[i:i + len(phrase)]) == phrase:
                i, lifted = i + len(phrase), True
                break
        else:
            out.append(words[i])
            i += 1
    return out, lifted


def _fix(word: str, lexicon, vocab: Vocabulary) -> str:
    """"swtich", "openruoter", "codx" as the word meant; not "server" as "served", "quota" as "quote"."""
    if word.endswith("'s") and lexicon.versioned(word[:-2]):
        return word[:-2]  # "gpt-5's take"
    if word in lexicon.vocabulary:
        return word
    if not word.isalpha():
        return _versioned_typo(word, lexicon) or word
    fix = lexicon.correct(word) or _target_typo(word, lexicon)
    if fix and (fix in vocab.correctable or fix in lexicon.targets):
        return fix
    return _unjoined(word, lexicon) or word


def _unjoined(word: str, lexicon) -> str | None:
    """"fromhere", "nowon", "goingforward": two lexicon words typed without the space."""
    if not 5 <= len(word) <= 14:
        return None
    splits = [f"{word[:i]} {word[i:]}" for i in range(2, len(word) - 1)
              if word[:i] in _JOIN_PARTS and word[i:] in _JOIN_PARTS]
    return splits[0] if len(splits) == 1 else None


# The scope words typed together ("fromhere", "nowon"); not "nothing" or "plugin", whole words.
_JOIN_PARTS = frozenset(("from", "here", "now", "on", "out", "going", "forward", "for", "every", "this", "time",
                         "back", "to", "off", "rest", "of", "until", "till", "further", "notice"))


def _target_typo(word: str, lexicon) -> str | None:
    """Four letters one edit from a five-letter vendor name ("codx"); three or four with two
    letters swapped ("gtp", "qwne"): any other edit of a short name is too often a real word
    ("grow", "kiwi")."""
    if len(word) not in (3, 4, 5):
        return None
    found = [stem for stem in lexicon.stems if stem[0] == word[0] and (
        len(word) == 4 and len(stem) == 5 and _one_edit(word, stem)
        or len(word) == 5 and len(stem) == 4 and _one_edit(word, stem)  # "kimmi", "qwenn": a letter doubled
        or len(stem) == len(word) and sorted(stem) == sorted(word) and _one_edit(word, stem))]
    return found[0] if len(found) == 1 else None


def _versioned_typo(word: str, lexicon) -> str | None:
    """A misspelt name with its version ("gtp5", "quen3-coder", "gemnini-2.5"): the version says it
    is a model's name, so any one edit of the name is read as it."""
    end = 0
    while end < len(word) and word[end].isalpha():
        end += 1
    name, rest = word[:end], word[end:]
    if len(name) < 3 or not name.isalpha() or not rest[:1].isdigit() and rest[:1] != "-" or name in lexicon.vocabulary:
        return None
    found = [stem for stem in lexicon.stems if stem[0] == name[0] and len(stem) >= 3 and _one_edit(name, stem)]
    fixed = found[0] + rest if len(found) == 1 else None
    return fixed if fixed and lexicon.versioned(fixed) else None


# ---- the prompt ---------------------------------------------------------------------------------

def _clauses(prompt, rules) -> list:
    """The prompt's clauses as this reading sees them, built once per prompt (read and
    contradicted may both need them)."""
    found = getattr(prompt, "cue_clauses", None)
    if found is None:
        vocab, scopes = vocabulary(rules), rules.scopes()
        found = prompt.cue_clauses = [_Clause(t, m, n, rules.lexicon, scopes, vocab)
                                      for t, m, n in prompt.pieces]
    return found


def read(prompt, rules) -> tuple | None:
    """(action, clause, vendor) or None, for a prompt of at most MAX_CHARS: `prompt.cleaned` is it
    in lower case with quoted material replaced (guards.strip_quoted), `prompt.pieces` its clauses
    (guards.clauses)."""
    from .guards import QUOTED

    cleaned, parts = prompt.cleaned, prompt.pieces
    if QUOTED in cleaned or not parts or len(parts) > 8:
        return None  # quoted material is the grammar's alone; more than eight pieces is a paragraph
    if "\n" not in cleaned and not any(hint in cleaned for hint in ONE_OFF_HINTS) \
            and _code_marks(cleaned, rules.lexicon):
        return None  # one line holding a file name or an identifier, and no one-off request: code talk
    if taken_back(prompt, rules) or _shell_command(_clauses(prompt, rules)) or commit_message(prompt):
        return None  # "switch to gemini. never mind"; "ollama pull qwen2.5"; "chore: disable routing"
    vocab = vocabulary(rules)
    clauses = _clauses(prompt, rules)
    words = [w for c in clauses for w in c.words]
    if _to_a_person(words) or any(_about_someone(c, rules.lexicon) for c in clauses):
        return None  # "delegating the art to my friend, you handle the code": work shared with people
    joined = " " + " ".join(words) + " "
    guarded = _guarded(words, joined, clauses, vocab)
    scopes = set().union(*(c.scopes for c in clauses))
    once = _one_off(words, vocab)
    lines = cleaned.split("\n")
    found = []
    mode_named = any(_names_mode(c.words) or "external mode" in c.text for c in clauses)
    for k, clause in enumerate(clauses):
        command = _command(clause, once, scopes, vocab, mode_named)
        if not command:
            continue
        if command[0] == "once":
            # what follows the target is the request itself: only what comes before it is guarded
            head = [w for c in clauses[:k] for w in c.words]
            head += clause.words[:_target_end(clause.words, rules.lexicon)]
            if _guarded(head, " " + " ".join(head) + " ", clauses[:k + 1], vocab) \
                    or taken_back(prompt, rules):
                continue  # a condition before it, or "..., hmm, forget it" anywhere
            if clause.mark == "&" and k + 1 < len(clauses) and not clauses[k + 1].text.startswith(_RELAYS):
                continue  # "ask gemini about this and compare it with your answer": Claude's work
            found.append((command, clause))
        elif not guarded and (command[0] == "status" or not (
                any(c.line == clause.line and _talks_code(c, vocab) for c in clauses[:k])
                or _code_marks(lines[clause.line], rules.lexicon))):
            found.append((command, clause))
    return _combine(found, clauses, joined, vocab)


CLEAR, SOFT, HARD = 0, 1, 2


def guard_level(prompt, rules, action: str | None = None) -> int:
    """How far the learned reading (learned.py) may act on this prompt, which the rules left
    alone or read otherwise. HARD: never, for quoted material, more than eight pieces, a
    condition, a take-back, irony, the past, the user's own plans ("then I'll switch ..."),
    their own software ("our app"), or someone else's words ("my lead said ..."; not "like I
    asked", "what gemini says"): a bag of n-grams cannot tell tense or whose words these are. A
    condition or the past before a polite request of its own ("..., could you turn it off?") and
    "my code" / "the team" are only SOFT. SOFT: only when the
    model is sure (learned.OVERRULE), for this reading's wider guards, single words the model
    has seen in requests as well as in hard negatives: a negation ("no other vendors"), advice
    ("bad answers"), an aside, doubt, code on a one-line prompt, both sides named with no
    contrast. CLEAR otherwise."""
    from .guards import QUOTED

    cleaned, parts = prompt.cleaned, prompt.pieces
    if not parts or len(parts) > 8 or QUOTED in cleaned and not _pasted_block(cleaned) \
            and not (action == "once" and _quoted_payload(cleaned)):
        return HARD  # inline quotes are someone's words; a pasted block is hidden from the model
    vocab = vocabulary(rules)
    everywhere = [w for c in _clauses(prompt, rules) for w in c.words]  # a musing ("just curious") colours it all
    clauses = _command_sentences(_clauses(prompt, rules))
    words = [w for c in clauses for w in c.words]
    joined = " " + " ".join(words) + " "
    if action != "status" and any(notice in joined for notice in _NOTICES):
        joined = _without_notices(joined)  # "..., and ping me when the migration's done"
        words = joined.split()
    unhedged = _unhedged(joined, clauses)
    if action == "status":  # "is offloading active? and if so, which vendor?": the condition is the question's
        for follow_up in (" if so ", " if yes ", " if it is ", " if not "):
            unhedged = unhedged.replace(follow_up, " ")
        if any("UNSURE" in t.classes for c in clauses for t in c.tokens):
            unhedged = unhedged.replace(" if ", " ")  # "i forgot if i turned it on": the doubt is the question
    conditional = _says(unhedged.split(), vocab.conditions)
    if conditional and _asked_after(clauses, lambda c: _says(c.words, vocab.conditions)):
        conditional = None  # "sorry if this is a weird way to ask, but can you turn on ...": only a sure model
    past = _past(words, vocab)
    if past and (action == "status" or _asked_after(clauses, lambda c: _past(c.words, vocab))):
        past, conditional = False, None  # "did you turn it on?"; "i turned it on by accident, could you turn it off?"
    if taken_back(prompt, rules) or _shell_command(clauses) or commit_message(prompt) or _in_code(clauses, vocab) \
            or parts[-1][0] in _HESITATIONS and len(parts) > 1 or _builds_it(_clauses(prompt, rules)[0], vocab) \
            or " get back to you " in " " + " ".join(everywhere) + " " \
            or any(w.startswith(_FEATURE_STEMS) and everywhere[i - 1] in _HARDWARE for i, w in enumerate(everywhere) if i) \
            or action in ("enable", "disable") and any(_charged_with_a_task(c.tokens) for c in clauses) \
            or conditional and action != "status" \
            or past or _says(words, _OWN_PLANS) or _says(everywhere, vocab.musings) and action != "status" \
            and not (action == "once" and any(_opinion(everywhere, i) for i in range(len(everywhere)))) \
            or eye_rolled(prompt):
        return HARD  # the model cannot read tense: "yesterday I switched to gemini", "then I'll switch";
        # nor a question asked "just curious", a vow ("..., I swear"), or an eye-roll
    if conditional is not False:
        return SOFT  # "i cant tell if its on. is external on??": a question changes nothing, so only sure
    # "what model is our app using", "put codex on the agents team": their own software; "my
    # code", "the team" only unless the model is sure ("stop the plugin from sending my code elsewhere")
    owners = [words[i - 1] for i, w in enumerate(words) if (w[:-2] if w.endswith("'s") else w) in _OWN_THINGS and i]
    if any(owner in ("our", "their", "agents") for owner in owners) or any(  # "our app's settings page", anywhere
            not {"our", "their"}.isdisjoint(everywhere[max(i - 2, 0):i]) for i, w in enumerate(everywhere)
            if i and (w[:-2] if w.endswith("'s") else w) in _OWN_SOFTWARE):
        return HARD
    if action == "once" and (any(_refuses_asking(c.tokens) for c in _clauses(prompt, rules))
                             or _only_negated_targets(_clauses(prompt, rules))):
        return HARD  # "what would codex do here? don't ask it, just tell me": the request itself refused
    if _lists_models(_clauses(prompt, rules)):
        return HARD
    if action in ("enable", "once") and any(_prohibits_external(c) and (
            not _keeps_mode(c.words, vocab) or any(t.vendor for t in c.tokens)) for c in _clauses(prompt, rules)):
        return HARD  # "1. Do NOT fail over to external models.": a prohibition, however sure the model
    if _labelled(parts) or _introduced_by_someone(_clauses(prompt, rules)):
        return HARD  # "expected output:⏎- switch to gemini", "my lead wrote:⏎...": not the user's instruction
    if any(c.words[:2] in (["should", "we"], ["should", "i"]) for c in clauses):
        return HARD  # "Should we hand everything to GLM from this point forward?": asking advice, not for it
    if any(k and _bends_before(sentence) for k, sentence in enumerate(_sentences_of(_clauses(prompt, rules)))):
        return HARD  # "enable external mode. only after the tests pass.": a condition, in a sentence of its own
    own = any(owner in ("my", "the") for owner in owners)
    adopted = _adopted(_clauses(prompt, rules))
    for clause in clauses:
        for i, token in enumerate(clause.tokens):
            if "IRONY" in token.classes or "SPEECH" in token.classes and not _asks_for_words(clause.tokens, i) \
                    and not adopted:
                return HARD  # someone's words ("my lead said ..."), not a model's answer asked for
    if adopted:
        own = True  # "my teammate said you can make codex do all the coding. can you set that up?": only a sure model
    sides = {side for c in clauses for _i, side, _v in _targets(c)}
    scoped = " " + " ".join(t.word for c in clauses for t in c.tokens) + " "  # without "from now on"
    if own or action in ("enable", "disable") and _bare_question(cleaned, clauses) \
            or "\n" not in cleaned and _code_marks(cleaned, rules.lexicon) \
            or any(_negated(c.tokens) and not (action == "once" and _keeps_mode(c.words, vocab))
                   and not _negates_the_side_left(c, action) for c in clauses) \
            or len(sides) > 1 and not any(word in scoped for word in _CONTRASTS) \
            or _guarded(words, joined, clauses, vocab):
        return SOFT
    return CLEAR


# "ping me when it's done", "i'll tell you when to come back": a condition on what the user or the
# model does next, not on the command before it.
_NOTICES = tuple(f" {notice} " for notice in NOTICES)


def _without_notices(joined: str) -> str:
    for notice in _NOTICES:
        joined = joined.replace(notice, " notice ")
    return joined


# "use codex from now on? hmm": a last word of doubt.
_HESITATIONS = frozenset(("hmm", "hmmm", "hmmmm", "idk", "not sure", "unsure", "or not", "maybe", "dunno"))


_BUILD_VERBS = frozenset(("implement", "add", "write", "build", "create", "design", "expose", "scaffold", "code",
                          "draft", "sketch", "prototype", "stub"))


_FILE_VERBS = frozenset(("delete", "remove", "uninstall", "rename", "edit", "rewrite"))


def _builds_it(clause, vocab) -> bool:
    """"Implement a /status endpoint that reports which model backend is active": the first clause
    asks for code (a build verb, then a piece of software), whose spec names the models."""
    words = [w for w in clause.words if w not in ("please", "pls", "now", "quickly", "also")]
    if words[:1] and words[0] in _FILE_VERBS and bool(_targets(clause)) \
            and any("AGENT" in t.classes for t in clause.tokens):
        return True  # "delete the gemini agents and stop using them": the user's own agent files
    return bool(words) and words[0] in _BUILD_VERBS and bool(_targets(clause)) \
        and not any(t.classes & _COMMAND_VERBS for t in clause.tokens[1:]) and any(
        w.lstrip("/") in vocab.code or w.startswith("/") and len(w) > 1 for w in words[1:5])


def _negates_the_side_left(clause, action: str) -> bool:
    """"without recourse to outside models" beside a disable, "not claude" beside an enable: the
    negation says the same as the command."""
    sides = {side for _i, side, _v in _targets(clause)}
    return sides == {"ext"} and action == "disable" or sides == {"claude"} and action == "enable"


def _charged_with_a_task(tokens: list) -> bool:
    """"put claude in charge of the release notes": one piece of work given, not the session's."""
    for i, token in enumerate(tokens[:-2]):
        if "CHARGE" in token.classes and tokens[i + 1].word == "of":
            rest = [t for t in tokens[i + 2:] if not t.classes & {"DET", "ALL"}]
            return bool(rest) and not rest[0].classes & {"EVERYTHING", "WORKN", "AGENT", "PERIOD"}
    return False


# The user's own plans and experience, which a request never opens with.
_OWN_PLANS = _phrases(("i'll", "i will", "ill switch", "i'm going to", "im going to", "i am going to",
                       "i'm gonna", "im gonna", "gonna", "it's been", "its been", "has been", "have been"))
_OUTSIDE = frozenset(("outside", "other", "another", "external", "ext", "third-party", "non-claude"))
# Words that name the feature or what it moves, for a learned enable or disable ("turn the router
# back on", "stop outsourcing the subagents"); "go back to normal mode" names none (vim has one).
_FEATURE_STEMS = ("rout", "unrout", "delegat", "offload", "outsourc", "plugin", "llm-router", "extern", "ext",
                  "agent", "subagent", "vendor", "provider", "backend", "model", "byom", "/pa")
_YOURSELF = frozenset(("yourself", "urself", "yourselves"))
_COMMIT_TYPES = frozenset(("chore", "feat", "fix", "docs", "refactor", "perf", "ci", "build", "style", "test",
                           "revert"))
_PROGRAMS = frozenset(("ollama", "docker", "podman", "git", "npm", "npx", "pip", "pipx", "uv", "kubectl", "helm",
                       "brew", "apt", "llama-server", "llama-cli", "litellm", "vllm", "gemini", "codex", "copilot",
                       "opencode", "claude", "curl", "cargo"))
_SUBCOMMANDS = frozenset(("pull", "push", "run", "serve", "list", "ls", "rm", "create", "show", "ps", "install",
                          "build", "exec", "logs", "apply", "clone", "checkout", "login", "logout", "--version",
                          "-p", "--model", "-m", "--help", "cp", "inspect"))
# The verbs of a command, for "nvm, just turn it off" (a take-back before a command).
_COMMAND_VERBS = frozenset(("TURN", "MOVE", "RETURN", "USE", "SEND", "PUT", "STOP", "ONV", "OFFV"))
# "send everything to gpt and call it a day 🙄": the emoji says the opposite of the words.
_IRONY_MARKS = ("\U0001f644", "\U0001f612", " /s")
# "which models can the subagents run on?", "can copilot see my repos?", "is it off by default?":
# what the feature can do, not what it does now.
_CAPABILITY = frozenset(("can", "could", "default", "support", "supports", "supported", "source", "able"))
_NOW = frozenset(("now", "currently", "current", "atm", "rn", "still", "moment", "today", "anymore"))
# "enable external auth", "run the agents tests again": a feature word qualifying something else.
_NOT_THE_FEATURE = frozenset(("auth", "authentication", "login", "sso", "link", "links", "url", "urls", "api",
                              "apis", "ip", "dns", "storage", "drive", "disk", "display", "monitor", "screen",
                              "keyboard", "dependency", "dependencies", "library", "libraries", "package",
                              "packages", "users", "user", "contributors", "partners", "traffic", "network",
                              "test", "tests", "file", "files", "folder", "dir", "directory", "config", "docs",
                              "definition", "definitions", "spec", "specs", "registry", "sdk", "framework", "table"))
# A status question asks about now; "what is external mode" asks what the feature is.
_STATE_WORDS = frozenset(("on", "off", "now", "currently", "current", "active", "enabled", "disabled",
                          "running", "using", "used", "set", "right", "atm", "still", "answering",
                          "handling", "responding", "routing", "sending", "state", "status", "which", "who",
                          "rn", "pointed", "pointing", "routed", "today", "tonight"))


# A status question about this session, not "which agents are active" or "our app".
# "who's on the other end of this prompt": this session's work, not "this TODO".
_THIS_SESSION = frozenset(("prompt", "session", "chat", "conversation", "request", "answer", "reply", "response",
                           "thread", "one", "code", "message", "task"))
_SESSION_WORDS = frozenset(("you", "u", "session", "requests", "prompts", "answering", "handling",
                            "responding", "mode", "subagents", "subagent"))
_OWN_SOFTWARE = frozenset(("app", "apps", "product", "website", "site", "bot", "frontend", "service", "services"))
# "what model is our app using": the user's own software, not this session.
_OWN_THINGS = frozenset(("app", "apps", "service", "services", "code", "api", "project", "product", "bot",
                         "website", "site", "frontend", "server", "pipeline", "cluster", "team", "teams"))


def anchored(prompt, rules, action: str, sure: bool = False) -> bool:
    """Does the prompt name what a learned verdict needs: for a one-off request, a model other
    than Claude (a vendor or model, external models, "an outside model"); for an enable or
    disable, a target or the feature ("the router", "delegation", "the subagents"); for a status
    question, the current state rather than what the feature is ("what is external mode"). Claude
    only addressed ("claude, kill the staging migrations") anchors nothing unless the model is sure
    ("claude, take over again")."""
    clauses = _clauses(prompt, rules)
    words = [w for c in clauses for w in c.words]
    if action == "once":
        return any(EXT in t.classes for c in clauses for t in c.tokens) or not _OUTSIDE.isdisjoint(words)
    if action == "status":
        if _defines(words):
            return False
        if _asks_capability(words) or not _VENDOR_FACTS.isdisjoint(words):
            return False  # "is codex still maintained?": a fact about the vendor, not this session
        if words[:1] and words[0] in ("explain", "describe", "document", "how", "why"):
            return False  # "explain how the status command knows which vendor is active": how it works
        return any(_targets(c) for c in clauses) or not _SESSION_WORDS.isdisjoint(words) \
            or any(w == "this" and words[i + 1:i + 2] and words[i + 1] in _THIS_SESSION for i, w in enumerate(words)) \
            or any(w.startswith(_FEATURE_STEMS) and not w.startswith("agent") and "/" not in w[1:] and "." not in w
                   for w in words) \
            or _asks_who_now(words)
    if action == "disable" and not _YOURSELF.isdisjoint(words):
        return True  # "go back to doing it yourself pls"
    if clauses and not sure and _vocative(clauses[0]):
        clauses = clauses[1:]
    return any(_targets(c) for c in clauses) or any(
        w.startswith(_FEATURE_STEMS) and not (words[i + 1:i + 2] and words[i + 1] in _NOT_THE_FEATURE)
        for i, w in enumerate(words))


def _defines(words: list) -> bool:
    """"what is external mode", "what's this router thing": what the feature is, not whether it is on."""
    return " ".join(words[:3]).startswith(("what is ", "what's ", "whats ")) \
        and _STATE_WORDS.isdisjoint(w for word in words for w in word.split())


# "turn off the GPU offloading in llama.cpp": offloading layers to hardware, not this feature.
_HARDWARE = frozenset(("gpu", "cpu", "layer", "layers", "kv", "vram", "ram", "memory", "tensor", "npu", "metal",
                       "cuda"))


def _vocative(clause) -> bool:
    """A first clause that only addresses Claude: "claude,", "hey claude,", "ok claude"."""
    names = [t for t in clause.tokens if t.classes]
    return len(names) == 1 and CLAUDE in names[0].classes and len(clause.words) <= 2 \
        and all(w in ("hey", "ok", "okay", "yo", "hi") or w == names[0].word for w in clause.words)


_PEOPLE = frozenset(("friend", "friends", "colleague", "colleagues", "coworker", "coworkers", "teammate",
                     "teammates", "designer", "intern", "contractor", "boss", "him", "her", "them"))


def _to_a_person(words: list) -> bool:
    """"... to my friend", "hand it to the intern": the work goes to a person, not a model."""
    return any(w == "to" and (words[i + 1:i + 2] and words[i + 1] in _PEOPLE
                              or words[i + 1:i + 2] in (["my"], ["our"], ["a"], ["the"]) and words[i + 2:i + 3]
                              and words[i + 2] in _PEOPLE)
               for i, w in enumerate(words))


def _about_someone(clause, lexicon) -> bool:
    """A clause whose subject is someone, not the user's request: "my coworker switched to copilot",
    "My friend in other company is using codex" (a possessive, then a person or a word the lexicon
    does not know; not "my agents should use codex", "my requests go to gemini"), or "Budi will
    handle the openrouter part" (a name the lexicon does not know takes part of the work; not
    "codex will handle the rest")."""
    words = clause.words
    if len(words) <= 3:
        return False
    if words[0] in ("my", "our", "his", "her", "their"):
        return (words[1] not in lexicon.vocabulary or words[1] in _PEOPLE) \
            and not words[1].startswith(_FEATURE_STEMS) and bool(_targets(clause))
    return words[0].isalpha() and words[0] not in lexicon.vocabulary \
        and words[1] in ("will", "can", "should", "is", "gonna", "'ll") and not _TAKES.isdisjoint(words[2:4])


_TAKES = frozenset(("handle", "handles", "handling", "do", "take", "takes", "taking", "cover", "covers", "own",
                    "owns", "doing"))


def _asks_who_now(words: list) -> bool:
    """"who's got the agents right now?": who does the agents' work at the moment, not "which
    agents are active"."""
    return words[:1] in (["who"], ["who's"], ["whos"]) and not _NOW.isdisjoint(words) \
        and any(w.startswith(("agent", "subagent", "helper")) for w in words)


def commit_message(prompt) -> bool:
    """"chore: disable external routing by default", "feat(router): ...": a commit message's
    subject line, text for git rather than a request."""
    return any(mark == ":" and text.split("(")[0] in _COMMIT_TYPES for text, mark, _line in prompt.pieces)


def _shell_command(clauses: list) -> bool:
    """"ollama pull qwen2.5", "docker run ... llama.cpp": a command line for a program, typed or
    pasted, names models without asking to route anything."""
    return any(c.words[:1] and c.words[0] in _PROGRAMS and c.words[1:2] and c.words[1] in _SUBCOMMANDS
               for c in clauses)


def _pasted_block(cleaned: str) -> bool:
    """Is every quoted span a whole line (a fenced or indented block, a block quote, a comment)?
    Then the learned reading, which never sees quoted material (learned.grams), may read the rest;
    a quotation inside a line ("he said 'switch to gemini'") keeps it silent."""
    from .guards import QUOTED

    return all(line.strip() == QUOTED for line in cleaned.split("\n") if QUOTED in line)


def names_vendor(prompt, rules) -> bool:
    """A vendor or model named anywhere, even as a modifier ("done with the codex experiment, revert")."""
    return any(t.vendor for c in _clauses(prompt, rules) for t in c.tokens)


def _asks_for_words(tokens: list, i: int) -> bool:
    """The speech verb at i is the words asked of a model or the user's own: "see what the google
    thing says", "gpt writes the dockerfile", "like I said"."""
    before = tokens[i - 1] if i else None
    if before is None:
        return False
    return before.word in ("i", "you", "u", "we") or bool(before.vendor) or "EXT" in before.classes \
        or any(t.word == "what" for t in tokens[max(0, i - 5):i])


def eye_rolled(prompt) -> bool:
    """An eye-roll after the words it mocks ("sure, send everything to gpt 🙄"); not one about
    something else, with the request after it ("the deepseek output broke the build 🙄 turn off
    the router please")."""
    cleaned = prompt.cleaned
    for mark in _IRONY_MARKS:
        at = cleaned.rfind(mark)
        if at >= 0 and len(cleaned[at + len(mark):].split()) < 3:
            return True
    return False


def asks_capability(prompt, rules, action: str = "status") -> bool:
    """For a status or one-off verdict, any capability word; for an enable or disable, only "is it
    possible to ...?" (not "would it be possible to ...", a polite request), without a "now" or a
    "thanks"."""
    words = [w for c in _clauses(prompt, rules) for w in c.words]
    if action in ("enable", "disable"):
        return any(w == "possible" and words[i - 2:i] in (["is", "it"], ["is", "this"], ["it", "is"])
                   for i, w in enumerate(words)) and _NOW.isdisjoint(words) and _THANKS.isdisjoint(words)
    return _asks_capability(words) or action == "status" and not _VENDOR_FACTS.isdisjoint(words)


_VENDOR_FACTS = frozenset(("maintained", "deprecated", "deprecate", "discontinued", "released", "free",
                           "licensed", "license", "open-source", "opensource", "sunset", "acquired"))
_THANKS = frozenset(("please", "pls", "plz", "thanks", "thank", "thx", "ty"))


def _asks_capability(words: list) -> bool:
    """"can copilot see my repos?" (not "can you tell me ..."), "off by default?", with no word for now."""
    if not _NOW.isdisjoint(words):
        return False
    return any(w in _CAPABILITY and not (w in ("can", "could") and words[i + 1:i + 2] in (["you"], ["u"], ["i"], ["we"]))
               for i, w in enumerate(words))


def taken_back(prompt, rules) -> bool:
    """"Enable external mode — just kidding", "..., scratch that": the command is withdrawn. Not
    "how do i turn it off? nvm, just turn it off": a take-back followed by a command of its own
    withdraws the words before it, not the command."""
    takebacks = vocabulary(rules).takebacks
    clauses = _clauses(prompt, rules)
    for k, clause in enumerate(clauses):
        if _says(clause.words, takebacks) and not _sets_aside(clause.words):
            words = [t.word for t in clause.tokens]
            start = next((i + len(p) for i, w in enumerate(words) for p in takebacks.get(w, ())
                          if tuple(words[i:i + len(p)]) == p), len(words))  # else a phrase the tokens joined
            if not _commands(clause.tokens[start:], clauses[k + 1:]):
                return True  # "just kidding, keep going with the tests", "keep going on the parser": no command
    return False


def _adopted(clauses: list) -> bool:
    """The last sentence asks for what the one before reported ("my teammate said you can make
    codex do all the coding. can you set that up?", "... flip it on please"): the report is the
    request. Its own sentence, no one's words in it, and the report before it."""
    ends = [k for k, c in enumerate(clauses[:-1]) if c.mark in (".", "!", "?") or clauses[k + 1].line != c.line]
    if not ends:
        return False
    last = clauses[ends[-1] + 1:]
    words = " " + " ".join(w.strip("?!.,") for c in last for w in c.words) + " "
    if len(words.split()) > 12 or any("SPEECH" in t.classes or "NEG" in t.classes for c in last for t in c.tokens):
        return False
    return any(f" {phrase} " in words and _TAIL.issuperset(words.split(f" {phrase} ", 1)[1].split())
               for phrase in _ADOPTIONS)  # "can you do that? / for me / from here on", not "do that refactor"


_ADOPTIONS = ("do that", "do it", "set that up", "set it up", "make it so", "flip it on", "turn it on", "turn that on",
              "switch it on", "please switch", "switch please", "apply that", "apply it", "make that happen",
              "let's do that", "lets do that", "do the same", "set me up", "please do", "do this")
_TAIL = frozenset(("please", "pls", "plz", "for", "me", "us", "too", "now", "then", "from", "here", "on", "the", "rest",
                   "of", "this", "session", "today", "day", "everything", "all", "going", "forward", "as", "well",
                   "thanks", "thank", "you", "ok", "okay", "i", "guess", "out", "again", "right", "away"))


def _sets_aside(words: list) -> bool:
    """"..., never mind the cost", "forget about the tests": a thing set aside, not the command."""
    return any(w in ("mind", "nevermind", "forget") and words[i + 1:i + 2] and words[i + 1] in _A_THING
               for i, w in enumerate(words))


_A_THING = frozenset(("the", "about", "my", "your", "our", "its", "their", "how", "what", "whether"))


def _commands(tokens: list, clauses: list) -> bool:
    """Do the words after a take-back make a command of their own: a verb and a target or a state
    outside a negated clause ("nvm, just turn it off"; not "we never left claude", "carry on with
    the tests"), a target with a scope ("ollama local for the rest of today"), a one-off scope
    alone ("no wait ... just this one prompt") or a question about the mode ("oh wait, are we in
    claude mode?")?"""
    rest = [part for part in (tokens, *(c.tokens for c in clauses)) if not any("NEG" in t.classes for t in part)]
    flat = [t for part in rest for t in part]
    named = any(t.classes & _NAMES for t in flat)
    stated = any(part and "ISON" in part[-1].classes for part in rest)  # "turn it off", not "carry on with the tests"
    commanded = any(t.classes & _COMMAND_VERBS for t in flat) and (named or stated)
    scoped = any("once" in c.scopes or named and c.scopes for c in clauses)
    asked = named and any(c.mark == "?" or c.tokens and "BE" in c.tokens[0].classes for c in clauses) \
        or any(t.word in ("what", "which") for t in flat) and any(t.classes & (_NAMES | {"ISON"}) for t in flat)
    return commanded or scoped or asked  # "..., just tell me what we're on": a status question


_NAMES = frozenset(("T", "EXT", "CLAUDE"))


def _target_end(words: list, lexicon) -> int:
    """Index just past the first target name in the words (all of them when there is none)."""
    for i, word in enumerate(words):
        if word in lexicon.targets or lexicon.versioned(word):
            return i + 1
    return len(words)


def contradicted(prompt, rules, found: dict) -> bool:
    """Does a clause joined to the grammar's command by "but" take it back: the opposite command
    ("enable external but also keep claude doing everything") or code talk ("use Gemini's JSON
    schema format for our tool definitions, but keep calling Anthropic")?"""
    vocab = vocabulary(rules)
    clauses = _clauses(prompt, rules)
    trigger = next((k for k, c in enumerate(clauses) if c.text == found["trigger"]), None)
    if trigger is None:
        return False
    after = clauses[trigger + 1] if trigger + 1 < len(clauses) else None
    if after is not None and clauses[trigger].mark == "&" and after.words[:1] in (["on"], ["off"]):
        return True  # "turn external mode on and off at the same time"
    if trigger and clauses[0].words[:2] in _SARCASM_OPENERS and after is not None \
            and after.words[:1] in (["watch"], ["enjoy"], ["see"]):
        return True  # "Sure, turn on external mode and watch the token bill go to the moon"
    scopes = set().union(*(c.scopes for c in clauses))
    for k in (trigger - 1, trigger + 1):
        if not 0 <= k < len(clauses) or clauses[k].line != clauses[trigger].line:
            continue
        first, second = sorted((clauses[k], clauses[trigger]), key=clauses.index)
        if not any(f"{first.text}{joint}{second.text}" in prompt.cleaned for joint in (" but ", ", but ")):
            continue
        other = clauses[k]
        command = _command(other, False, scopes, vocab)
        if _talks_code(other, vocab) or command and command[0] in ("enable", "disable") \
                and command[0] != found["action"]:
            return True
    return False


def _combine(found: list, clauses: list, joined: str, vocab: Vocabulary) -> tuple | None:
    actions = {command[0] for command, _clause in found}
    if actions == {"once", "disable"}:  # "use codex for this, then back to you": the one-off
        found = [(command, clause) for command, clause in found if command[0] == "once"]
        actions = {"once"}
    if len(actions) != 1:
        return None  # nothing, or two commands that disagree ("- use codex⏎- back to claude⏎sort these")
    (action, vendor), clause = found[0]
    if action in ("enable", "disable") and len(found) == 1:  # two commands that agree need no more
        if _doubted(clauses, clause, vocab):
            return None  # "switch to gemini.⏎⏎is that wise?", "I'd rather use codex, but not today"
        sides = {side for c in clauses for _i, side, _v in _targets(c)}
        if len(sides) > 1 and not any(word in joined for word in _CONTRASTS):
            return None  # "use codex from now on but keep everything on claude"
    return action, clause.text, vendor


def _guarded(words: list, joined: str, clauses: list, vocab: Vocabulary) -> bool:
    """A condition, a plan for later, a command taken back, someone else's words, irony, doubt,
    advice, an aside or the past, anywhere in the prompt."""
    for clause in clauses:
        classes = set().union(*(t.classes for t in clause.tokens)) if clause.tokens else set()
        if classes & {"SPEECH", "IRONY", "UNSURE"} and not any(
                _opinion(clause.words, i) for i in range(len(clause.words))):
            return True
    if _says(_unhedged(joined, clauses).split(), vocab.stops):
        return True
    if not vocab.aside.isdisjoint(words) or any(
            w in vocab.advice and not _opinion(words, i) for i, w in enumerate(words)):
        return True
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if word in ("say", "says") and before not in ("", "i", "we", "u", "you") and not _opinion(words, i):
            return True  # "the docs say: ...": someone else's words
        if word == "whether" and before not in ("confirm", "check", "know", "me", "see"):
            return True  # "whether to use gemini", not "can you confirm whether we're on gemini"
        if word == "would" and words[i + 1:i + 2] not in _WOULD_OK:
            return True  # "going back to claude would be a mistake", "would it help to ask gpt?"
    return _past(words, vocab)


_IN = frozenset(("in", "inside", "within", "into"))


def _in_code(clauses: list, vocab: Vocabulary) -> bool:
    """"let gemini handle auth in the wrapper": a vendor in a clause placed in the user's code is
    a library there, as far as a bag of n-grams can tell (not "fix the typo in README, then switch
    to gpt-5": the place is another clause's)."""
    for clause in clauses:
        words = clause.words
        if _targets(clause) and any(
                w in _IN and (words[i + 1:i + 2] and words[i + 1] in vocab.code
                              or words[i + 1:i + 2] in (["the"], ["our"], ["my"], ["this"]) and words[i + 2:i + 3]
                              and words[i + 2] in vocab.code)
                for i, w in enumerate(words)):
            return True
    return False


def _prohibits_external(clause) -> bool:
    """A clause that opens with a negation and names an external model and not Claude ("do not fail
    over to external models", "never send code to gemini"); not "don't use claude, use gemini"."""
    tokens = [t for t in clause.tokens if "FILLER" not in t.classes]
    sides = {side for _i, side, _v in _targets(clause)}
    return bool(tokens) and "NEG" in tokens[0].classes and sides == {"ext"} \
        and clause.words[:2] != ["no", "cap"]  # slang for "honestly"


def disable_without_cause(prompt, rules) -> bool:
    """A learned disable the words cannot carry: Claude named only in "until I say back to claude"
    (the way back, for later), or a prompt of three words or fewer that names only external models
    and nothing turning from them ("external, everything")."""
    words = [w for c in _clauses(prompt, rules) for w in c.words]
    for i, word in enumerate(words):
        if word in ("until", "till", "til") and words[i + 1:i + 3] in (["i", "say"], ["we", "say"], ["i", "tell"]):
            words = words[:i]
            break
    else:
        if len(words) > 3:
            return False
    tokens = rules.lexicon.tokens(words)
    sides = {side for _i, side, _v in _token_targets(tokens)}
    turns_away = any(t.classes & (_AWAY | {"NEG", "RETURN", "OFFV"}) for t in tokens) \
        or not _AWAY_WORDS.isdisjoint(words) or not _YOURSELF.isdisjoint(words)
    return sides == {"ext"} and not turns_away


# Words that turn away from a model without a lexicon class for it ("external off", "enough gpt").
_AWAY_WORDS = frozenset(("off", "of", "enough", "back", "normal", "done", "stop", "stp", "quit", "no", "not",
                         "nope", "nah", "over", "disable", "deactivate", "cancel", "drop", "pause", "kill"))


def _labelled(pieces: list) -> bool:
    """The prompt opens with a label of someone else's text ("expected output:", "example:")."""
    text, mark, _line = pieces[0]
    words = text.split()
    return mark == ":" and 0 < len(words) <= 3 and set(words) <= _OTHERS_TEXT | {"the", "my", "sample", "for"}


def _command_sentences(clauses: list) -> list:
    """The clauses of the sentences that name a model, Claude or the feature, when others do not:
    a guard belongs to its own sentence ("For the rest of this session, route all generation to
    gpt-5. I want to compare it with last week's runs." is not about the past)."""
    sentences = _sentences_of(clauses)
    if len(sentences) < 2:
        return clauses
    named = [sentence for k, sentence in enumerate(sentences) if any(_targets(c) or any(
        w.startswith(_FEATURE_STEMS) for w in c.words) for c in sentence) or k and _bends_before(sentence)]
    return [c for sentence in named for c in sentence] if named else clauses


def _introduced_by_someone(clauses: list) -> bool:
    """"my lead wrote:⏎switch to codex": a lead-in colon after someone's speech verb."""
    return any(c.mark == ":" and any("SPEECH" in t.classes for t in c.tokens) for c in clauses[:-1])


def _sentences_of(clauses: list) -> list:
    """The clauses grouped by sentence: a sentence ends at . ! ? ; or a line break."""
    sentences, current = [], []
    for k, clause in enumerate(clauses):
        current.append(clause)
        if k + 1 == len(clauses) or clause.mark in (".", "!", "?", ";") or clauses[k + 1].line != clause.line:
            sentences.append(current)
            current = []
    return sentences


def _bends_before(sentence: list) -> bool:
    """"Only if the quota allows it.": a condition with no clause of its own belongs to the sentence before."""
    return len(sentence) == 1 and " ".join(sentence[0].words).startswith(BENDS)


def _refuses_asking(tokens: list) -> bool:
    """"don't ask it", "do not ask gpt": a negation right before the asking verb; not the user's
    own "I won't ask again"."""
    words = [t for t in tokens if t.word not in _BETWEEN]  # "don't actually ask it"
    return any("NEG" in t.classes and "ASK" in words[i + 1].classes and not (i and words[i - 1].word == "i")
               for i, t in enumerate(words[:-1]))


_BETWEEN = frozenset(("actually", "really", "even", "just", "bother", "bother to", "go", "need to"))


def _only_negated_targets(clauses: list) -> bool:
    """"hocam don't switch to external, I only ask a question: ...": every model the prompt names
    is in a clause that refuses it, so no one-off request has a model to go to."""
    named = [c for c in clauses if any(t.vendor or t.classes & {EXT, CLAUDE} for t in c.tokens)]
    return bool(named) and all(_refuses(c.tokens) for c in named)


def _refuses(tokens: list) -> bool:
    """The clause opens by refusing a command ("don't switch ...", "hocam do not enable ..."); not "no cap i want"."""
    return any("NEG" in t.classes and tokens[i + 1].classes & _COMMAND_VERBS for i, t in enumerate(tokens[:2])
               if i + 1 < len(tokens))


def _lists_models(clauses: list) -> bool:
    """"plot accuracy by model: gpt-4o, claude sonnet, gemini 2.5 pro, llama 3 70b": three vendors
    or more named side by side are data (a table, a chart, a benchmark), not where work goes."""
    vendors = {t.vendor for c in clauses for t in c.tokens if t.vendor and t.vendor not in _CHANNELS}
    return len(vendors) >= 3 and sum(c.mark == "," for c in clauses) >= 2


# Ways to reach models, not models: "the local ollama qwen model", "openrouter's kimi".
_CHANNELS = frozenset(("local", "openrouter", "litellm", "opencode"))


def _quoted_payload(cleaned: str) -> bool:
    """"Q for an external model (single use): is this regex slow? `^(a+)+$`": the quote comes
    after the request's colon, in what is sent, not in the words that ask."""
    from .guards import QUOTED

    head, colon, _ = cleaned.partition(":")
    return bool(colon) and QUOTED not in head


def _unhedged(joined: str, clauses: list) -> str:
    """The words without what only looks like a condition: a polite lead-in ("I'd appreciate it
    if you could ...") and the "if" of "ask o3 if this proof is right"."""
    for k, clause in enumerate(clauses):
        for token in clause.tokens:
            if token.classes & {"LEAD", "POLITE", "CHECKIF"} and " " in token.word \
                    and not (token.word in OUTCOME_IFS and clause.words[:1] == ["if"] and k + 1 < len(clauses)):
                joined = joined.replace(f" {token.word} ", " ")  # not "if that works, switch ...": a condition first
    for index in _asked_if(clauses):
        joined = joined.replace(f" {index} if ", f" {index} ")
    for clause in clauses:  # "ask once the kimi model ...": a one-off after its verb, not "once the tests pass"
        for before, token in zip(clause.tokens, clause.tokens[1:]):
            if token.word.startswith("once") and before.classes & _ONE_OFF_VERBS:
                joined = joined.replace(f" {before.word} once ", f" {before.word} ")
    return joined


_ONE_OFF_VERBS = frozenset(("ASK", "SEND", "USE", "LET", "WORK"))


def _asked_if(clauses: list) -> list:
    """The targets in "ask <target> if ...": that "if" asks the model, it is no condition."""
    found = []
    for clause in clauses:
        for i, word in enumerate(clause.words[:-2]):
            rest = [w for w in clause.words[i + 2:i + 6] if w not in _QUICK]
            if word == "ask" and rest[:1] == ["if"] and rest[1:2] not in _SUBJECTS:
                found.append(clause.words[i + 1])
    return found


def _opinion(words: list, i: int) -> bool:
    """"what gemini says", "what does codex think": the model's own answer is asked for."""
    return words[i] in ("says", "say", "thinks", "think") and "what" in words[max(0, i - 4):i]


def _asked_after(clauses: list, guarded) -> bool:
    """A polite request ("could you ...", "can we ...") in a clause after the first guarded one:
    the guard was the story, the request is new ("i turned it on by accident yesterday, could you
    turn it off?"), unlike "can you turn it on if the tests pass"."""
    first = next((k for k, clause in enumerate(clauses) if guarded(clause)), None)
    return first is not None and any(
        clause.tokens and "POLITE" in clause.tokens[0].classes and not guarded(clause)
        for clause in clauses[first + 1:])


def _bare_question(cleaned: str, clauses: list) -> bool:
    """"use codex from now on? hmm": a command asked as a question, with no polite form to make it
    a request ("can we ...?"), may be a thought rather than a decision."""
    return "?" in cleaned and not any("POLITE" in t.classes for c in clauses for t in c.tokens)


def _keeps_mode(words: list, vocab: Vocabulary) -> bool:
    """"not switching", "don't switch anything", "not for the whole session": the negation says
    the mode stays, which is what a one-off request means."""
    return any(w in vocab.keep or w in ("switching", "changing", "session", "whole", "mode") for w in words)


def _past(words: list, vocab: Vocabulary) -> bool:
    for i, word in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        if word in vocab.past_times or word == "used" and after == "to":
            return True
        if word == "last" and after in ("week", "time", "night", "month", "sprint", "year", "session"):
            return True
        if word in vocab.persons and after in vocab.past_verbs:
            return True
    return False


_EVERY = frozenset(("any", "every", "each", "no"))


def _one_off(words: list, vocab: Vocabulary) -> bool:
    """"just this once", "one-off", "this particular task", "just this question", "don't change the
    mode", "then back to you": this request only."""
    for i, word in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        before = words[i - 1] if i else ""
        if word == "once" and before not in ("just", "this", "only", "for", "at", "one") \
                and after not in ("", "via", "with", "to", "on", "please", "pls", "only"):
            continue  # "once external mode is on, ...": a condition
        if word in vocab.oneoff and not (word == "single" and before in _EVERY):
            return True  # not "I don't trust any single model"
        if word in vocab.this_nouns and after in ("only", "alone") and "this" in words[max(0, i - 3):i]:
            return True  # "for this next task only"
        if word in ("this", "that") and after in vocab.this_nouns and (
                before in ("just", "only", "for", "on") or words[i + 2:i + 3] in (["only"], ["alone"])):
            return True
        if word in vocab.negations and after in vocab.keep or word == "without" and after[:-3] in vocab.keep:
            return True
        if word == "one" and after in ("time", "shot", "off"):
            return True
        if word in ("only", "just") and "next" in words[i + 1:i + 3] and not vocab.this_nouns.isdisjoint(words[i + 2:i + 4]):
            return True  # "let copilot handle only the next prompt"
        if word == "leave" and "mode" in words[i + 1:i + 3]:
            return True  # "ask gpt-5 one time about this", "leave the mode as is"
        if word == "then" and after == "back" or word == "this" and after == "one" and i + 2 < len(words):
            return True  # "..., then back to you", "hand this one bug to codex"
    return False


def _doubted(clauses: list, command, vocab: Vocabulary) -> bool:
    """Another clause questions the command or takes it back: a question that is not a request
    for other work ("can you then look at the build?" is one), or a bare negation ("but not today")."""
    after = False
    for clause in clauses:
        if clause is command:
            after = True
            continue
        if not clause.tokens:
            continue
        if clause.mark == "?" and (not _request(clause.tokens) or any(
                "CHECKIF" in t.classes for t in clause.tokens)) and not _polite_tail(clause):
            return True  # "is that wise?", "can you tell me if that's wise?"
        if after and clause.words and clause.words[0] in vocab.negations and not _targets(clause):
            return True  # "..., but not today"; not "nah, undo the external thing"
    return False


def _polite_tail(clause) -> bool:
    """"..., is possible?", "ok?", "please?": asks for the command, does not doubt it."""
    return all(t.classes & {"FILLER", "POLITE"} or t.word in ("is", "possible", "ok", "okay", "that", "it")
               for t in clause.tokens)


def _talks_code(clause, vocab: Vocabulary) -> bool:
    """"copy the codex adapter (and make one for glm)": the line is about code up to the command
    ("enable external mode, then look at the auth bug" is a command, then work)."""
    return any(not t.classes and t.word in vocab.code for t in clause.tokens)


def _code_marks(line: str, lexicon) -> bool:
    """An identifier, a file name, a path, a percentage or markup: code talk."""
    for word in line.split():
        word = word.strip(".,;:!?()[]'\"")
        word = word[:-2] if word.endswith("'s") else word  # "z.ai's glm-4.6"
        if word in _SHORTHANDS or word in lexicon.vocabulary or lexicon.versioned(word) or word in ("/pa", "→"):
            continue
        if word.count("/") == 1 and "/" not in (word[0], word[-1]) and lexicon.versioned(word.partition("/")[0]) \
                or word.partition("/")[0] in lexicon.vocabulary and "/" not in word.partition("/")[2]:
            continue  # "openrouter/llama-3.3", "codex/gpt-5.2": a model id, vendor first
        if any(mark in word for mark in _CODE_MARKS):
            return True
        if "." in word.strip(".") and any(ch.isalpha() for ch in word.rpartition(".")[2]):
            return True  # "parser.py", "console.log"; not "z.ai" or "llama.cpp" (vendor names)
    return False


# ---- one clause ---------------------------------------------------------------------------------

def _command(clause, once: bool, scopes: set, vocab: Vocabulary, mode_named: bool = False) -> tuple | None:
    """(action, vendor) that this clause asks for, or None."""
    tokens = clause.tokens
    if not tokens:
        return None
    words = [t.word for t in tokens]
    classes = [t.classes for t in tokens]
    if words[0] in ("why", "how") or words[:2] in (["can", "i"], ["can", "subagents"]):
        return None  # the feature: "how do I turn external mode off?", "can I choose which model answers?"
    if _names_mode(clause.words) and any("STATUS" in c for c in classes) and len(tokens) <= 4:
        return "status", None  # "ext status", "llm-router status, please?"
    targets = _targets(clause)
    opinion = any(_opinion(words, i) for i in range(len(words)))
    if (clause.mark == "?" or clause.words[0] in vocab.questions) and not (once and opinion):
        request = _request(tokens)
        status = None if request and any(c & (_TOWARD | _AWAY) for c in classes[1:4]) else \
            _status(words, classes, targets or _subjects(tokens), vocab)
        if status or not request:
            return status
    if not targets:
        return None if once else _mode_only(words, classes, vocab, mode_named)
    if len(targets) == 1 and all(c & {"FUNCTION", "FILLER", "T"} for c in classes):  # the target alone
        (_i, side, vendor), = targets
        if once and side == "ext" and clause.mark in (":", ","):
            return "once", vendor  # "one time: o3, review ...", "once via ollama: ..."
        if not once and "persist" in clause.scopes:  # "GLM-4.6 as the default from here"
            return ("enable", vendor) if side == "ext" else ("disable", None)
    wished = "persist" in scopes or "should" in words or any(_wish(t, vocab) for t in tokens[:_head(tokens)])
    if not (_imperative(tokens, wished) or once and opinion):
        return None
    asking = _asks(tokens, targets[0][0])
    if not once and not asking and not _plain(clause, tokens, targets, wished, vocab):
        return None
    side = _direction(tokens, targets, scopes, once)
    if side is None:
        return None
    toward, where, vendor = side
    if not once and where == "ext" and toward and asking:
        return "once", vendor  # "second opinion from openai on ...", "ask the other model what it thinks"
    if once:
        return ("once", vendor) if where == "ext" and toward else None
    if where == "ext":
        return ("enable" if toward else "disable"), vendor
    return ("disable" if toward else "enable"), None


def _subjects(tokens: list) -> list:
    """"is litellm still the active backend?": a name before "is" is the question's subject."""
    return [(i, "claude" if CLAUDE in t.classes else "ext", t.vendor) for i, t in enumerate(tokens[:-1])
            if t.classes & {EXT, CLAUDE} and "BE" in tokens[i + 1].classes and not t.word.endswith(" server")]


def _asks(tokens: list, index: int) -> bool:
    """An ASK word right before the target and a question word or "on"/"about" right after it."""
    if not index or "ASK" not in tokens[index - 1].classes or index + 1 >= len(tokens):
        return False
    following = [t for t in tokens[index + 1:] if "FILLER" not in t.classes and t.word not in _QUICK]
    if not following:
        return False
    after = following[0].word
    if after == "if" and [t.word for t in following[1:2]] in _SUBJECTS:
        return False  # "ask gemini if you're unsure": advice to Claude
    return after in ("what", "whether", "if", "to", "how", "why", "on") or \
        after == "about" and tokens[index].word not in _COMPANIES  # not "ask openai about the invoice"


def _plain(clause, tokens: list, targets: list, wished: bool, vocab: Vocabulary) -> bool:
    """Is the clause about the mode, not about other work: few unknown words, no code word, no
    place, no purpose, no compound with the agents."""
    unknown = [t.word for t in tokens if not t.classes]
    if len(unknown) > (3 if wished else 2) or not vocab.code.isdisjoint(unknown):
        return False
    for i, w in enumerate(clause.words):
        if w in vocab.agent_words and (clause.words[i + 1:i + 2] and clause.words[i + 1] in vocab.agent_nouns
                                  or i and clause.words[i - 1].endswith("'s")):
            return False  # "put codex on the agents team", "switch our product's agents to gemini"
    return not _located(tokens) and not _purpose(tokens)


def _targets(clause) -> list:
    """[(index, side, vendor)]: side "ext" or "claude", for each target the clause points at."""
    return _token_targets(clause.tokens)


def _token_targets(tokens: list) -> list:
    out = []
    for i, token in enumerate(tokens):
        classes = token.classes
        if i and tokens[i - 1].word in ("instead of", "rather than"):
            continue  # "take over again instead of gpt": the side left, not the one to go to
        if CLAUDE in classes:
            named = token.word.split()[0] in _CLAUDE_NAMES and not any(
                ch.isdigit() or ch == "-" for ch in token.word)  # not "claude-sonnet-4.5", a model id
            # "Claude you're doing great": Claude addressed, not a target
            addressed = i == 0 and len(tokens) > 1 and tokens[1].word.startswith(("you", "u"))
            if named and not addressed and not _modifier(tokens, i):
                out.append((i, "claude", None))
        elif EXT in classes:
            if not _modifier(tokens, i) and not token.word.endswith((" server", " servers")):
                out.append((i, "ext", token.vendor))
        elif token.word == "externally":
            out.append((i, "ext", None))
        elif token.word in _YOU and (i and tokens[i - 1].word in ("to", "using", "of", "not", "with") or
                                     i == 0 and len(tokens) > 1 and "WORK" in tokens[1].classes):
            out.append((i, "claude", None))  # "back to you", "..., you do the refactor"
    return out


# Words after a name that end its phrase rather than make it a compound ("claude alone", "claude
# para todo", "gemini pour tout", "codex bitte"): adverbs, and other languages' prepositions.
_PHRASE_ENDS = frozenset(("alone", "instead", "anyway", "anyways", "too", "tho", "though", "exclusively", "solely",
                          "para", "por", "pra", "pour", "per", "für", "fur", "bitte", "porfa", "svp", "onegai",
                          "desde", "dès", "ab", "ahora", "maintenant", "jetzt", "adesso", "agora", "todo", "tout",
                          "tutto", "alles", "tudo"))


def _modifier(tokens: list, i: int) -> bool:
    """"gemini safety filters", "ollama pull", "external syslog": the name qualifies another word;
    "external mode is on but ...": it is the subject of a statement."""
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if after is None:
        return False
    if "BE" in after.classes and not (i and tokens[i - 1].word in ("is", "are", "am", "r")):
        return True
    if after.word == "only" or "MODE" in after.classes:
        # "external only works on linux", "the external mode banner"
        return i + 2 < len(tokens) and not tokens[i + 2].classes
    if after.word in _THING_NOUNS:
        return True
    if after.classes or after.word in _PHRASE_ENDS:
        return False
    # an unknown word after the name qualifies it, unless a request verb comes before ("have gemini write")
    return not (i and (tokens[i - 1].classes & _LET or "LEAD" in tokens[i - 1].classes))


def _wish(token, vocab: Vocabulary) -> bool:
    """"I'd like", "I want", "I'd rather": a lead-in that asks for what follows (not "ok", "so")."""
    return "LEAD" in token.classes and token.word not in vocab.chatter and token.word[:1] == "i"


def _head(tokens: list) -> int:
    """Index of the first token after lead-ins, fillers and politeness."""
    i = 0
    while i < len(tokens) and (tokens[i].classes & _HEAD_SKIP or tokens[i].word in _SKIPPED
                               or tokens[i].word == "after" and _word_at(tokens, i + 1) == "that"
                               or tokens[i].word == "that" and i and (tokens[i - 1].word == "after"
                                                                      or "LEAD" in tokens[i - 1].classes)):
        i += 1  # "after that, switch ...", "I would like that the agents ...": the wish's object
    return i


def _word_at(tokens: list, i: int) -> str:
    return tokens[i].word if i < len(tokens) else ""


def _imperative(tokens: list, wished: bool) -> bool:
    """Does the clause open as a command: a cue, a target or what is sent, after the lead-ins?"""
    i = _head(tokens)
    if i >= len(tokens):
        return False
    head = tokens[i]
    if "T" in head.classes and _modifier(tokens, i):
        return False
    if head.classes & (_HEAD_OBJECTS - {"THIS", "MODE"}) and not wished and any(
            t.classes & _TOWARD and t.word not in ("to", "on") for t in tokens[i + 1:]):
        return False  # "the agents run on codex": a statement, unless a wish or a time scope makes it one
    if "NEG" in head.classes and any("ANYMORE" in t.classes for t in tokens):
        return True  # "no external models anymore"
    return bool(head.classes & _HEAD_CLASSES) or head.word in _HEAD_WORDS


def _located(tokens: list) -> bool:
    """"switch to gemini in the dropdown menu", "go external with the event": a preposition before a
    word the lexicon does not know places the command somewhere other than the mode."""
    for i, token in enumerate(tokens[:-1]):
        if token.word in _PLACES:
            after = tokens[i + 1]
            if after.classes & {"FILLER", "DET"} and i + 2 < len(tokens):
                after = tokens[i + 2]
            if not after.classes:
                return True
    return False


def _purpose(tokens: list) -> bool:
    """"use codex to generate the migrations": a task for the model, not a mode."""
    return any("T" in t.classes and tokens[i + 1].word == "to" and not tokens[i + 2].classes
               for i, t in enumerate(tokens[:-2]))


def _request(tokens: list) -> bool:
    """"can you switch to codex?", "could we go back to claude?": a question that asks for something."""
    if any("POLITE" in t.classes for t in tokens[:2]):
        return True
    if len(tokens) > 2 and tokens[0].word in ("can", "could", "would", "will") and "T" in tokens[1].classes \
            and "WORK" in tokens[2].classes and any("THIS" in t.classes for t in tokens[3:]):
        return True  # "can gemini take a look at this?", not "can external mode work with openrouter?"
    words = [t.word for t in tokens]
    return words[:3] == ["is", "possible", "to"] or any(
        w in ("pls", "please") or w in ("can", "could", "would", "will") and words[i + 1:i + 2] in _ADDRESSEES
        for i, w in enumerate(words[:4]))


def _negated(tokens: list) -> bool:
    return any("NEG" in t.classes for t in tokens)


def _direction(tokens: list, targets: list, scopes: set, once: bool = False) -> tuple | None:
    """(toward, side, vendor) for the target the cue points at, or None when no cue points at one."""
    cue, away, back = _cue(tokens, scopes)
    if any("ANYMORE" in t.classes for t in tokens) and _negated(tokens[:targets[0][0]]):
        return False, targets[0][1], targets[0][2]  # "no external models anymore", "not gemini any more"
    if cue is None:
        return None
    index, where, vendor = targets[0]
    if len(targets) > 1:
        second = targets[1]
        before = tokens[second[0] - 1]
        if _negated(tokens[index + 1:second[0]]) or before.word in ("of", "than") or \
                "CONTRAST" in before.classes:
            pass  # "use glm, not claude", "switch to gpt instead of claude": the first is where work goes
        elif index and tokens[index - 1].word == "from":
            index, where, vendor = second  # "switch from claude to gemini"
        elif away and where == "ext" and second[1] == "claude" and back:
            pass  # "done with the other models, back to claude"
        elif where != second[1]:
            return None
    if _negated(tokens[:min(cue, index)]) or _negated([t for t in tokens[max(cue - 2, 0):cue] if "FILLER" not in t.classes]):
        return None  # "I don't want to switch to external", "never hand my work to copilot", "codex please NOT activate"
    if tokens[cue].word != "what" and not _one_phrase(tokens[min(cue, index) + 1:max(cue, index)], once):
        return None  # the cue and the target are not one phrase ("ask the user to switch to ...")
    if back and where == "claude":
        return True, "claude", None
    if len(targets) == 1 and index and tokens[index - 1].word == "from" and where == "ext":
        return False, where, vendor  # "pull the agents back from the litellm proxy": away from it
    return (not away), where, vendor


_FALSE_VALUES = frozenset(("false", "disabled", "0", "no", "none"))


def _cue(tokens: list, scopes: set) -> tuple:
    """(index of the first cue or None, it points away, a return word is in the clause)."""
    cue, away = None, False
    back = any(t.word in _BACK or "RETURN" in t.classes for t in tokens)
    words = [t.word for t in tokens]
    off = any(t.word == "off" for t in tokens) or _FALSE_VALUES.intersection(words[-1:])  # "set external mode to false"
    away = "away" in words  # "put the external models away"
    for i, token in enumerate(tokens):
        if token.classes & _AWAY or token.word == "off" or off and "TURN" in token.classes \
                or away and token.classes & {"PUT", "TURN", "MOVE"}:
            return i, True, back  # "stop using ...", "turn llm-router off"
        if token.classes & (_TOWARD | _LET) or token.word in ("to", "onto", "via", "only", "back") \
                or "LEAD" in token.classes and token.word[:1] == "i" \
                or token.word == "on" and scopes & {"persist", "agents"}:  # "agents run on glm from now"
            return i, False, back
        if token.word == "what" and any(_opinion(words, j) for j in range(i, len(words))):
            return i, False, back  # "see what gemini says about this one"
    return cue, away, back


def _one_phrase(span: list, once: bool = False) -> bool:
    """Only lexicon words between the cue and the target, or an object phrase that opens with one
    and ends with a work noun ("send this particular task to gemini")."""
    unknown = [t.word for t in span if not t.classes]
    if not unknown:
        return True
    if set(unknown) <= _ROLE_NOUNS:
        return True  # "set the default vendor to openai"
    if once and ("THIS" in span[0].classes and len(unknown) <= 3 or len(unknown) <= 1):
        return True  # "hand this one bug to codex": the one request, named as the user likes
    if "ALL" in span[0].classes and len(unknown) <= 2:
        return True  # "route all generation to gpt-5": all of some work, whatever the user calls it
    nouns = [t for t in span if not t.classes or t.classes - {"FUNCTION", "FILLER"}]
    return bool(span[0].classes & _HEAD_OBJECTS) and len(unknown) <= 2 and bool(nouns) \
        and bool(nouns[-1].classes & {"WORKN", "AGENT", "EVERYTHING", "THIS"})


def _status(words: list, classes: list, targets: list, vocab: Vocabulary) -> tuple | None:
    """A question about what is live now: a time or state word, or who/which model is answering."""
    flat = set().union(*classes)
    if _defines(words):
        return None  # "what is this external mode people are talking about?": what the feature is
    last = [w.rsplit(" ", 1)[-1] for w in words]  # "right now" -> "now"; a lifted "from now on" is gone
    now = any(w in vocab.now and (w not in ("on", "off") or _state_word(last, i, vocab))
              for i, w in enumerate(last))
    who = bool(flat & {"WHO", "WHICH", "WHOBE"})
    asks_who = who or words[0] in ("what", "what's", "whats", "who", "which", "where")
    answering = "ANSWERING" in flat and not _ANSWERED.isdisjoint(words)
    if _names_mode(words) and "STATUS" in flat:
        return "status", None  # "status of llm-router?", "external mode status?"
    either = "or" in words and len({side for _i, side, _v in targets}) == 2  # "is this gemini or claude?"
    if not (now or asks_who and answering or either):
        return None
    mode = "external" in words or "ext" in words
    if not targets and not mode:
        if not all(c for c, w in zip(classes, words) if w not in vocab.questions):
            return None  # "what model is our app using right now?" asks about something else
        if not ("WHICH" in flat and now or who and flat & {"ANSWERING", "SENDING"}
                or asks_who and flat & {"ANSWERING", "SENDING", "USING"}):
            return None  # "which agents are active right now?" names neither a model nor the mode
    return "status", targets[0][2] if len(targets) == 1 else None


def _state_word(words: list, i: int, vocab: Vocabulary) -> bool:
    """"is ext on", "is external mode on or off?": on/off as the state asked about, at the end."""
    rest = words[i + 1:]
    return not rest or rest[0] == "or" and rest[1:2] in (["on"], ["off"], ["not"]) or rest[0] in vocab.now


def _mode_only(words: list, classes: list, vocab: Vocabulary, mode_named: bool = False) -> tuple | None:
    """No target named: "ext off", "switch back", "undo the external mode thing", and "switch it
    off" after a clause that named the mode."""
    if not vocab.negations.isdisjoint(words):
        return None
    flat = set().union(*classes)
    if _names_mode(words) and "STATUS" in flat and len(words) <= 4:
        return "status", None  # "ext status", "status of llm-router"
    if _names_mode(words) or mode_named and "it" in words and len(words) <= 4 and flat & (_AWAY | {"TURN"}):
        if flat & _AWAY or "off" in words or not _BACK.isdisjoint(words):
            return "disable", None
        if "ONV" in flat or "on" in words:
            return "enable", None
    if len(words) <= 4 and "back" in words and (words[0] in ("switch", "go", "flip", "change", "move")
                                                 or "MOVE" in classes[0]):
        return "disable", None  # "switch back", "ok go back"
    return None


def _names_mode(words: list) -> bool:
    """"ext", "external mode", "the external thing" standing for the mode; not "external links"."""
    for i, word in enumerate(words):
        if word in ("external", "ext", "externally", "llm-router"):
            rest = words[i + 1:]
            if rest[:1] in _MODE_WORDS:
                rest = rest[1:]
            if not rest or rest[0] in _AFTER_MODE:
                return True
    return False
