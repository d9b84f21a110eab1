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
  * a condition ("if", "when", "once the ..."), a negation, a hedge ("should", "maybe", "not
    sure"), a speech verb ("said", "wrote"), another question, or a lead-in ending in a colon
    ("my lead says:") anywhere in the prompt cancels an enable, disable or status; for a one-off
    request only the clauses up to the command count, because what follows it is the request
    itself. Three narrow exceptions: a complaint about the target the command leaves ("external
    is not good, go back to claude", "I don't want gemini any more, ..."); after a status
    question, a condition or a doubt ("is external mode on? if it is, keep going", "... I am
    not sure") and its own "or ..." ("..., or did we switch back?"); the question an "ask it"
    refers to ("what would codex do here? ask it");
  * a toggle on a line after other work ("fix X⏎switch to external models") counts when that
    line stands alone as an instruction: it is its own clause and nothing above guards it.
    The rest of the prompt is then the work, done under the new mode. The same holds for a
    toggle before the work ("back to claude please.⏎⏎now can you look at the build?") and for
    one item of a list ("Two things:⏎1. use gemini for all subagents from now on⏎2. ..."): a
    request for other work on a later line ("can you ...?") does not cancel it; any other
    question, doubt or negation about it still does ("switch to gemini.⏎⏎is that wise?");
  * a prompt written as a document of the user's own sections ("Context: ...⏎Task: ...⏎
    Constraints: ...", two labelled lines or more, guards.own_sections) is read as the user's own
    lines, not as a pasted conversation, and without the sections that only say why (Context,
    Background): the story's speech and doubts are not about the command. A condition with no
    clause of its own ("Constraints: only if the quota allows it.") bends the sentence before it;
  * two commands that disagree ("stop using copilot, use claude for this") are "none", except a
    one-off and a return to Claude ("use codex for this, then back to claude"), which is "once";
  * prompts longer than MAX_CHARS are work, though their opening may still send that one
    request out ("ask gemini: <long question>"), a line of their own may stand alone beside
    pasted material (_line_alone) and one sentence of a paragraph may (_sentence_alone).

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
MAX_CLAUSES = 8       # more pieces than this is a paragraph, not a command
LINE_ALONE_MAX = 64 * 1024  # a longer paste is not searched for a line of its own (the hook reads up to 512 KiB)
MAX_TYPOS = 2         # misspelt words per clause that are still read as their lexicon word
LONG_CLAUSE = 8       # ... and one more in a clause of this many words or more
HOOK_THRESHOLD = 0.8  # suggested floor for acting without asking; below it, leave it to the skill

# Confidence by how the prompt matched.
LITERAL, EXACT, GRAMMAR, PAYLOAD, CLAUSE, CUE, LEARNED = 1.0, 0.95, 0.9, 0.9, 0.85, 0.8, 0.8

# Every command contains one of these (tests/test_intent.py checks this copy against the
# registry's "keywords" and every target and question word against this list); kept here so
# stage 1 never reads the registry.
_KEYWORDS = ("external", "claude", "anthropic", "opus", "sonnet", "haiku", "copilot", "codex",
             "gpt", "openai", "chatgpt", "gemini", "glm", "z.ai", "zhipu", "opencode",
             "openrouter", "open router", "llama", "litellm", "lm studio", "lmstudio", "vllm",
             "qwen", "deepseek", "mistral", "codestral", "kimi", "grok", "local", "model", "mode",
             "llm", "who", "offload", "extr", "xter", "ernal", "claud", "cluad", "calud", "gemn",
             "gmin", "copil", "copli", "routing", "answering", "responding", "provider", "backend", "vendor",
             "agent", "o3", "o4", "o1", "handling", "router", "delegat", "outsourc", "rout", "deleg", "offl", "plugin", "/pa",
             "google", "other ai", "another ai", "different ai", "outside ai", "4o", "flash", "2.5", "big g",
             "deep seek", "co pilot", "co-pilot", "olama", "clawed", "codx", "cdex", "gtp", "quen", "deeps",
             "mistal", "clade", "cladu", "modl", "kimm", "litel", "mdoe", "moed", "copio", "other bot", "outside bot",
             "outside one", "other brain", "on my machine", "on my laptop", "on my computer")
_ARTICLES = frozenset(("the", "a", "an"))
_MODALS = frozenset(("can", "could", "will", "would"))
_WEAK_TAGS = frozenset(("bare", "status", "exact"))  # a bare name or a lone "external?" may simply not count
# One-word lead-ins that label text which is not the user's instruction ("TODO: use codex").
_LABELS = frozenset(("todo", "fixme", "test", "tests", "example", "examples", "input", "output", "expected", "q",
                     "a", "question", "answer", "bug", "task", "issue", "title", "subject", "phrase", "prompt",
                     "string", "case", "sample", "spec", "label", "quote", "transcript", "log", "error", "me",
                     "you", "user", "assistant", "bot", "human", "ai", "system", "customer", "fixture", "e.g",
                     "eg", "ex", "usage", "docs", "readme", "comment", "note"))
_BULLETS = ("- ", "* ", "• ")
# Labels of text that is not the user's own instruction, even as a list ("examples:⏎- switch to gemini").
_OTHERS_TEXT = _LABELS - {"todo", "task", "note", "me", "q"}
_WH = frozenset(("what", "why", "how", "who", "which", "when", "where", "whats", "what's", "why's", "how's",
                 "who's", "whos"))
# "ask gemini to / what / how / why / whether ...": the request follows. Not "if" ("ask gemini if
# you're unsure").
_ASK_PAYLOAD = frozenset(("to", "what", "how", "why", "which", "who", "where", "what's", "how's", "whether"))
# "ask gemini about <request>", "get codex's take on <request>": the words after these are the request.
_ASK_ABOUT = frozenset(("about", "on", "regarding"))
_OPINION = frozenset(("opinion", "take", "view", "thoughts"))
# "ask openai about the invoice": the company, not its model.
_COMPANIES = frozenset(("openai", "anthropic", "zhipu", "z.ai", "openrouter"))
# Words before a target that may open a request whose words the lexicon does not know: stage 2's gate.
_REQUEST_HEADS = frozenset(("have", "let", "get", "make", "use"))
# "..., and show me what it says": passing the answer back, not more work for Claude.
_RELAYS = ("show me", "tell me", "let me know", "report back", "give me", "paste")
# "I don't want gemini any more": a negation that rejects the target it names.
_DISLIKES = frozenset(("want", "like", "need", "trust"))
# Auxiliaries between "what" and a target in the question an "ask it" refers to ("what would codex do?").
_AUXILIARIES = frozenset(("would", "does", "do", "did", "will", "might", "could"))
_DIRECTIVE_MODALS = frozenset(("should", "must", "shall"))
_ONLY = frozenset(("only", "exclusively", "solely"))
_AGENTS_ONLY = frozenset(("ALL", "DET", "AGENT"))
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
    if len(text) > MAX_CHARS:  # a sentence of a paragraph (_sentence_alone) or a long prompt's last line (_line_alone)
        low = text[:2 * MAX_CHARS].lower() + "\n" + text.rstrip()[-MAX_CHARS - 1:].lower()
    if low[:1] == "/" and low.split(None, 1)[0] in ("/pa", "/llm-router:pa"):
        # "/pa off", "/pa ?": a slash command is read as one or not at all
        return _literal(text[:MAX_CHARS]) or settings_verdict(text[:MAX_CHARS]) or dict(_NONE)
    for word in _KEYWORDS:  # a plain loop: no generator to set up on the hook's commonest path
        if word in low:
            return _classify_relevant(text)
    if "ext" in low and "ext" in low.replace(".", " ").replace(",", " ").replace("?", " ").split() \
            or low[:3] == "pa ":
        return _classify_relevant(text)  # "ext off", "is ext on?", "pa on": the short forms, as words only
    return dict(_NONE)


def _result(action: str, trigger: str | None, confidence: float, vendor: str | None = None) -> dict:
    return {"action": action, "trigger": trigger, "confidence": confidence, "vendor": vendor}


def _classify_relevant(text: str) -> dict:
    from . import guards

    if guards.is_document(text):
        # "Context: I've been told by my lead to dogfood GPT.⏎Task: make GPT the default ...": the
        # request read without its story, whose speech and doubts are not about the command
        text = guards.own_sections(text, why=False)
    corrected = _after_correction(text) if len(text) <= MAX_CHARS else None
    if corrected is not None:
        return corrected  # "switch to gemini— no wait, actually the opposite, go back to claude"
    found = _read_whole(text)
    if found["action"] == "none" and "\n" in text.strip() and len(text) <= LINE_ALONE_MAX:
        found = _line_alone(text) or found
    if found["action"] == "none" and (len(text) > MAX_CHARS or text.count(" ") > 2 * MAX_CLAUSES):
        found = _sentence_alone(text) or found
    return found


def _after_correction(text: str) -> dict | None:
    """What the user settles on after correcting themselves: the words after the last "no wait",
    "actually no", "scratch that", "I meant", ... read alone, when they toggle ("use kimi for this
    one. actually scratch that. which model is on right now?"). When they do not, None: the
    whole prompt is read, and its take-back guard withdraws the command before ("..., never mind,
    fix the tests"); words after a correction that point back ("nvm just turn it off") need it.
    Hesitations that are no take-back ("hold on", "hang on") are left to the whole reading too."""
    from . import guards

    cleaned = guards.strip_quoted(text).lower().replace("\u2014", " - ").replace("\u2013", " - ").replace("...", ". ")
    if not any(marker in cleaned for marker in _CORRECTIONS):
        return None
    cut = max(_correction_end(cleaned, marker) for marker in _CORRECTIONS)
    rest = cleaned[cut:].lstrip(" ,.!-:;") if cut > 0 else ""
    if not rest or guards.QUOTED in rest:
        return None
    found = classify(rest)
    if found["action"] == "disable" and not _STAYS.isdisjoint(rest.replace(",", " ").split()[:3]):
        return dict(_NONE)  # "use gemini from now on. actually no, forget it, stay on claude": nothing changes
    if found["action"] == "none" and rest.startswith(_REFUSALS):
        return found  # "send this to deepseek... wait, actually, don't send it anywhere": withdrawn
    return found if found["action"] != "none" else None


_REFUSALS = ("don't ", "dont ", "do not ", "don't.", "not ", "no need", "never ")


def _correction_end(cleaned: str, marker: str) -> int:
    """Where the last correction by `marker` ends, or -1: it must follow a clause ("use kimi. actually
    scratch that"), not open the prompt or sit inside words ("a nvm install")."""
    start = cleaned.rfind(marker)
    while start > 0:
        before = cleaned[:start].rstrip()
        while before.rsplit(" ", 1)[-1].strip(",") in _LEADS_IN:  # "... actually scratch that"
            before = before.rsplit(" ", 1)[0].rstrip() if " " in before else ""
        if before and before[-1] in ".,!?;:-" and not cleaned[start + len(marker):start + len(marker) + 1].isalnum():
            return start + len(marker)
        start = cleaned.rfind(marker, 0, start)
    return -1


_STAYS = frozenset(("stay", "keep", "remain", "stick"))


_LEADS_IN = frozenset(("actually", "oh", "ok", "okay", "hmm", "um", "uh", "erm", "ah", "wait", "no", "ugh", "sorry"))
# A speaker correcting themselves, after a command: what follows is what they mean.
_CORRECTIONS = ("no wait", "wait no", "wait, no", "no, wait", "actually no", "no actually", "no, actually", "hmm no",
                "hmm, no", "ugh, no", "ugh no", "i meant", "on second thought", "scratch that", "never mind",
                "nevermind", "nvm", "forget that", "forget it", "cancel that", "changed my mind", "oh wait",
                "hold on", "hang on", "wait, wrong", "on second thoughts", "wait, actually", "wait actually")


def _read_whole(text: str) -> dict:
    literal = _literal(text[:MAX_CHARS]) or settings_verdict(text[:MAX_CHARS])
    if literal:
        return literal
    rules = compiled_rules()
    if len(text) <= MAX_CHARS:
        prompt = _Prompt(text, rules)
        found = prompt.decide(once_only=False)
        if found["action"] == "none":
            found = _second_reading(prompt, rules)
            if found["action"] == "none":
                return _third_reading(prompt, rules, text)
        elif found["action"] in ("enable", "disable"):
            if found["action"] == "disable" and _REST & set(prompt.cleaned.split()):
                found = _rest_on_claude(prompt, rules, text, found)
            if found["action"] != "once":
                found = _checked(prompt, rules, found)
        elif _unmeant(prompt, rules):
            return dict(_NONE)  # "ask gpt this one, eh forget it, you answer: ..."
        return _overruled(prompt, rules, text, found) if found["action"] != "none" else found
    head, colon, rest = text[:PAYLOAD_HEAD].replace("\n", ":", 1).partition(":")
    if not colon or not (rest or text[PAYLOAD_HEAD:]).strip():
        return dict(_NONE)
    found = _Prompt(head, rules).decide(once_only=True)
    return {**found, "confidence": PAYLOAD} if found["action"] == "once" else dict(_NONE)


# "Only if the quota allows it.": a condition with no clause of its own, which bends the sentence before
BENDS = ("only if ", "only when ", "only after ", "only once ", "only until ", "but only ", "not until ",
         "not before ", "provided ", "as long as ")
_CONDITION_OPENERS = ("if ", "when ", "whenever ", "unless ", "once ", "in case ", "should ", "after ", "before ",
                      "until ")


_BACK_REFERENCES = frozenset(("that", "that's", "it", "it's", "this", "this's"))


_LOG_HEADS = ("[", "$ ", "info", "warn", "error", "debug", "trace", "fatal", "fail", "at ", "npm err", "e ")
_CODE_CHARS = frozenset("._/=(){}[]<>@:\\")


def _only_named(line: str) -> bool:
    """"Dear Claude,", "Gemini -": a line that only names someone, as a salutation or a heading."""
    parts = _Prompt(line, compiled_rules()).parts
    words = [w for part in parts for w in part.text.split() if w not in _GREETINGS]
    return len(words) <= 2 and not any(part.scopes for part in parts)


_GREETINGS = frozenset(("dear", "hi", "hello", "hey", "morning", "good", "thanks", "cheers", "regards", "yo"))


def _speaks_of_it(line: str) -> bool:
    """Does a line of prose name a model, Claude or the feature? Not a log line ("[WARN] codex:
    rate limited", "npm ERR! ..."), nor an identifier ("openai.RateLimitError", "internal/store")."""
    if line.startswith(_LOG_HEADS) or not any(word in line for word in _KEYWORDS):
        return False  # most lines of a paste: no keyword, no need to tokenize
    lexicon = compiled_rules().lexicon
    words = [w for w in (raw.strip(".,;:!?'\"") for raw in line.split()) if w and _CODE_CHARS.isdisjoint(w)]
    return any(t.classes & {"T", "FEATURE"} for t in lexicon.tokens(lexicon.words(" ".join(words))))


def _line_alone(text: str) -> dict | None:
    """A toggle on a line of its own, after or before other work or pasted material ("<stack
    trace>⏎fix this, and route the subagents to o3 from now on"; "crash log below, just this once
    hand it to codex⏎⏎<log>"), which the whole prompt hid: the log's code words guard it, its lines
    push the prompt past MAX_CLAUSES or MAX_CHARS. The line counts only when it stands alone: no
    other line of prose names a model or the feature (a log line may), none opens with a condition
    ("if the build fails:⏎switch to codex"), none points back at it ("^ that is what the story
    says") or questions it ("is that wise?"), the line before does not introduce it ("my lead
    wrote:⏎switch to codex") and the prompt does not take it back ("/pa off⏎⏎sorry, ignore that")."""
    from . import cues, guards

    cleaned = guards.strip_quoted(text).split("\n")
    lines = text.split("\n")
    filled = [i for i, line in enumerate(cleaned) if line.strip()]
    if len(filled) < 2:
        return None
    for index in (filled[-1], filled[0]):
        line = lines[index]
        if guards.QUOTED in cleaned[index] or len(line) > MAX_CHARS \
                or cues._code_marks(cleaned[index].lower(), compiled_rules().lexicon):
            continue  # "- ModelRouter.disable() → deactivate()": code, not an instruction
        others = [cleaned[i].strip().lower() for i in filled if i != index]
        if any(_speaks_of_it(other) for other in others) \
                or any(other.startswith(_CONDITION_OPENERS) or other.startswith(BENDS) or other[:1] == "^"
                       for other in others):
            continue
        before = [i for i in filled if i < index]
        if before and cleaned[before[-1]].rstrip().endswith(":") or index == filled[0] and any(
                "?" in other and _BACK_REFERENCES.intersection(other.replace("?", " ").split()) for other in others):
            continue  # introduced by the line before; or questioned after ("switch to gemini.⏎⏎is that wise?")
        found = classify(line)  # the keyword gate too: the line itself must name the feature
        if found["action"] != "none" and not _only_named(line):
            rules = compiled_rules()
            return None if cues.taken_back(_Prompt(text[:4 * MAX_CHARS], rules), rules) else found
    return None


# After a command's sentence, the next one takes it back or doubts it ("Switch to codex. Or maybe not.").
_DOUBTS_BEFORE = ("or ", "not ", "actually", "just kidding", "jk", "kidding", "if ", "unless ", "on second thought",
                  "no,", "no ", "nah", "wait", "never mind", "nvm", "scratch that", "maybe", "hmm", "lol no",
                  "i don't think", "i dont think", "i do not think", "only if", "only when", "only after",
                  "only once", "only until", "but only", "but not", "not until", "not before")


def _sentence_alone(text: str) -> dict | None:
    """A command in one sentence of a paragraph the whole reading cannot take in (longer than
    MAX_CHARS or more than MAX_CLAUSES pieces: "Status update. Tests: 412 passing, 3 skipped.
    Coverage 81%. Lint clean. Please hand everything to GLM from this point forward."). Each
    sentence is read alone, quoted ones skipped; the toggling sentences must agree, none may be
    a question (a status question inside a paragraph about the feature is too often how it
    works), the sentence after it must not doubt it and the prompt must not take it back."""
    from . import cues, guards

    cleaned = guards.strip_quoted(text[:4 * MAX_CHARS])
    if len(text) <= MAX_CHARS and len(guards.clauses(cleaned.lower())) <= MAX_CLAUSES:
        return None
    sentences = _sentences(cleaned)
    found = []
    for k, sentence in enumerate(sentences):
        if guards.QUOTED in sentence or len(sentence) > MAX_CHARS:
            continue
        verdict = classify(sentence)
        if verdict["action"] == "none":
            continue
        after = sentences[k + 1].lower() if k + 1 < len(sentences) else ""
        if verdict["action"] == "status" or sentence.endswith("?") or after.startswith(_DOUBTS_BEFORE):
            return None
        found.append(verdict)
    if len(text) > 8 * MAX_CHARS:  # the end of a long paste may say otherwise; it only vetoes (a fence
        found += _tail_toggles(text[-4 * MAX_CHARS:])  # opened before it would not be seen from there)
    if len({verdict["action"] for verdict in found}) != 1 or len({v["vendor"] for v in found} - {None}) > 1:
        return None  # "switch to gemini ... <paste> ... use codex from now on": ask
    rules = compiled_rules()
    return None if cues.taken_back(_Prompt(text[:4 * MAX_CHARS], rules), rules) else found[0]


def _tail_toggles(tail: str) -> list:
    """The toggles in the sentences at the end of a long prompt, read alone."""
    from . import guards

    sentences = _sentences(guards.strip_quoted(tail))
    verdicts = [classify(s) for s in sentences if guards.QUOTED not in s and len(s) <= MAX_CHARS]
    return [v for v in verdicts if v["action"] != "none"]


def _sentences(text: str) -> list:
    """The text cut after . ! ? ; before a space, and at line ends."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch == "\n" or ch in ".!?;" and text[i + 1:i + 2] in (" ", "\n", ""):
            piece = text[start:i + 1].strip()
            if piece:
                out.append(piece)
            start = i + 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def _checked(prompt, rules, found: dict) -> dict:
    """The grammar's enable or disable, unless the rest of the prompt takes it back ("enable external
    but also keep claude doing everything") or makes it one request ("hand just this task to
    codex, keep the rest on claude"; "use copilot for this next task only")."""
    from . import cues

    if len(prompt.pieces) > 1 and cues.contradicted(prompt, rules, found) or _unmeant(prompt, rules):
        return dict(_NONE)
    lasting = any("persist" in part.scopes for part in prompt.parts if part.tag)  # "... for the rest of this session"
    if not lasting and any(hint in prompt.cleaned for hint in cues.ONE_OFF_HINTS):
        second = _second_reading(prompt, rules)
        if second["action"] == "once":
            return second
    return found


_REST = {"else", "rest", "else.", "rest."}
_UNSAFE_FLIP = ("disable", "enable")
_WIDER = ("once", "enable")
_ONE_OFF_WORDS = frozenset(("this", "once", "one-off", "single"))


def _rest_on_claude(prompt, rules, text: str, found: dict) -> dict:
    """"get gpt-5's take on this schema, but keep claude for everything else": the Claude clause
    is the rest of the work, the request is a one-off, when the model is sure of it."""
    from . import cues, learned

    action, probability = learned.predict(text)
    if action == "once" and probability >= learned.SURE and cues.names_vendor(prompt, rules) \
            and cues.guard_level(prompt, rules, action) != cues.HARD:
        return _result("once", " ".join(text.split())[:120], LEARNED, _vendor_named(prompt, rules))
    return found


def _unmeant(prompt, rules) -> bool:
    """A command followed by its take-back ("..., just kidding", "... eh forget it") or by an
    eye-roll ("sure, let's just send everything to gpt 🙄"), or a commit message's subject
    ("chore: disable external routing by default")."""
    from . import cues

    return len(prompt.pieces) > 1 and cues.taken_back(prompt, rules) or cues.eye_rolled(prompt) \
        or cues.commit_message(prompt)


def _second_reading(prompt, rules) -> dict:
    """What the grammar left alone, read as a target and a cue anywhere (cues.py)."""
    from . import cues

    found = cues.read(prompt, rules)
    if found is None:
        return dict(_NONE)
    action, clause, vendor = found
    if action != "once" and cues.asks_capability(prompt, rules, action):
        return dict(_NONE)  # "which models can the subagents run on?", "is it possible to use kimi?": what it can do
    return _result(action, clause, CUE, vendor)


def _third_reading(prompt, rules, text: str) -> dict:
    """What neither reading found, scored by the learned model (learned.py), on a prompt the
    second reading's guards let through."""
    from . import cues, learned

    framed = {part.tag for part in prompt.parts if part.tag and part.tag not in _WEAK_TAGS}
    if "wish" in framed or len(prompt.cleaned.split()) < 2 or any("\ud800" <= ch <= "\udfff" for ch in prompt.cleaned) \
            or _key_value(prompt):
        return dict(_NONE)  # a statement ("the agents run on codex"); one word; bytes that were not text;
        # a config line that is not llm-router's setting ("model: gpt-5": settings_form read it first)
    action, probability = learned.predict(text)  # first: most work prompts end here, before the guards
    if action not in ACTIONS or probability < (learned.SURE if framed else learned.THRESHOLD):
        return dict(_NONE)  # a frame the grammar read and chose to ask about needs a sure model
    if action == "once" and (probability < learned.OVERRULE or _asks_of_the_tool(prompt)) \
            and cues.asks_capability(prompt, rules):
        return dict(_NONE)  # "can copilot see my private repos?", "can this tool use glm or no? just asking"
    level = cues.guard_level(prompt, rules, action)
    if level == cues.HARD or level == cues.SOFT and probability < learned.SOFT_SURE:
        return dict(_NONE)
    if action == "disable" and cues.disable_without_cause(prompt, rules):
        return dict(_NONE)  # "external, everything": only external models named, nothing turning from them
    if not cues.anchored(prompt, rules, action, probability >= learned.SURE) \
            and not (probability >= LEARNED and cues.names_vendor(prompt, rules)):
        return dict(_NONE)  # "give this task to a subagent so your context stays clean": no model named
    return _result(action, " ".join(text.split())[:120], LEARNED, _vendor_named(prompt, rules))


def _key_value(prompt) -> bool:
    """"model: gpt-5" alone: the commonest line of every LLM tool's config (LiteLLM, aider), not a
    command ("vendor: anthropic", "offload: true" are read as settings)."""
    pieces = prompt.pieces
    return len(pieces) == 2 and pieces[0][:2] in (("model", ":"), ("models", ":")) and len(pieces[1][0].split()) == 1


def _asks_of_the_tool(prompt) -> bool:
    """The question is what the tool itself can do: "can this tool use glm?", "does the plugin support ..."."""
    words = prompt.cleaned.split()[:4]
    return bool(words) and words[0] in ("can", "could", "does", "do", "will", "is") \
        and not _TOOL_WORDS.isdisjoint(w.strip("?,.") for w in words[1:])


_TOOL_WORDS = frozenset(("tool", "plugin", "router", "extension", "llm-router"))


def _overruled(prompt, rules, text: str, found: dict) -> dict:
    """The rules' verdict, unless the learned model is sure of another (learned.OVERRULE): then
    the model's, on a prompt the guards let through, else "none" (the skill can ask). The rules
    read "Deactivate. External mode, I mean." as enable and irony ("Oh great, external mode,
    exactly what I needed") as a request; the model, trained on whole prompts, does not."""
    from . import cues, learned
    from .lexicon import OUTCOME_IFS  # loaded already: the rules are built from it

    if found["confidence"] > CLAUSE:
        return found  # one clause the grammar read whole ("stop using claude"): the model cannot compose
    action, probability = learned.predict(text)
    if action == found["action"] or probability < learned.OVERRULE or (found["action"], action) == _WIDER \
            and not _ONE_OFF_WORDS.isdisjoint((found["trigger"] or "").lower().replace("!", " ").split()):
        return found  # the model never widens a one-off said in words ("OK now, use external for this!") to the session
    if action == "none" and len(prompt.parts) == 2 and prompt.parts[1].text in OUTCOME_IFS:
        return found  # "switch to codex, if that works": polite after the command, as the grammar read it
    tagged = [i for i, part in enumerate(prompt.parts) if part.tag]
    if action == "none" and len(tagged) == 1 and _whole_sentence(prompt.parts, tagged[0]):
        return found  # "Please turn external routing on. Subsequently, reformat ...": a sentence of its own
    if action == "none" or cues.guard_level(prompt, rules) == cues.HARD or (found["action"], action) == _UNSAFE_FLIP:
        return dict(_NONE)  # the model may turn a misread enable into a disable (back to the default,
        # "Deactivate. External mode, I mean."), never the rules' disable into sending work away
        # ("dun want codex anymore, u do it"): then ask
    return _result(action, " ".join(text.split())[:120], LEARNED, _vendor_named(prompt, rules))


def _vendor_named(prompt, rules) -> str | None:
    """The one vendor the prompt names, if it names exactly one (its preset is bound on enable)."""
    from . import cues

    vendors = {t.vendor for c in cues._clauses(prompt, rules) for t in c.tokens if t.vendor}
    return vendors.pop() if len(vendors) == 1 else None


_LITERAL_ACTIONS = {"on": "enable", "off": "disable", "status": "status", "enable": "enable", "disable": "disable"}


def _literal(text: str) -> dict | None:
    """`/pa --external on|off|status` (or its short form `/pa on|off|status`), the /pa command's
    own syntax, as the whole prompt."""
    parts = text.strip().lower().replace("--external=", "--external ").split()
    if parts[:1] not in (["/pa"], ["/llm-router:pa"]):
        return None
    words = parts[2:] if parts[1:2] == ["--external"] else parts[1:]
    action = _LITERAL_ACTIONS.get(words[0]) if words else None
    if action and len(words) == 1:
        return _result(action, " ".join(parts), LITERAL)
    if action == "enable" and len(words) == 2 or words[1:2] == ["--prefer"] and len(words) == 3:
        return _result(action, " ".join(parts), LITERAL, words[-1])  # "/pa on codex": its preset, too
    return None


def settings_verdict(text: str) -> dict | None:
    """"external=off", "routing: ?", "mode: external⏎vendor: copilot": settings_form.py, as a
    verdict (the /pa command reads its arguments with this too)."""
    from . import settings_form

    lexicon = compiled_rules().lexicon
    found = settings_form.read(text, lambda value: _only_a_name(lexicon.tokens(lexicon.words(value))))
    return _result(found[0], " ".join(text.split())[:120], EXACT, found[1]) if found else None


def _only_a_name(tokens: list) -> str | None:
    """The vendor of a value that is nothing but a model's name ("2.5 pro", "gemini-2.5-pro"), not
    "switch to gemini"."""
    tokens = [t for t in tokens if t.word not in _ARTICLES]
    return tokens[0].vendor if len(tokens) == 1 else None


# ---- reading a prompt ---------------------------------------------------------------------------

class _Clause:
    """One clause: its tokens after scopes and fillers, the frame it matched, its guards."""

    __slots__ = ("text", "mark", "line", "tokens", "scopes", "tag", "target", "polite", "asked", "guard",
                 "typo", "payload", "alt", "exact", "checking", "covered", "softened", "rhetorical", "tail",
                 "request", "rejects", "antecedent", "wished", "guess", "item")

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
        # "negation" | "condition" | "speech" | "unsure" | "reject": cancels commands around it
        self.guard = None
        self.tail = text.startswith("or ")  # "..., or did we switch back?": the question before goes on
        self.request = False  # asks for work ("now can you look at ...?"), not about the toggle
        self.rejects = None   # "external is not good": the side (EXT or CLAUDE) a "reject" guard complains of
        self.antecedent = False  # "what would codex say?" before "ask it": the request itself
        self.wished = False  # opened with a wish or a lead-in ("I'd rather", "I want", "let's")
        self.guess = False  # "..., still gemini?": a target alone, guessing a status question's answer
        self.item = False  # its line is an item of a list ("1. ...", "- ...")

    @property
    def scope_only(self) -> bool:
        return not self.tokens and bool(self.scopes)


class _Prompt:
    def __init__(self, text: str, rules) -> None:
        from . import guards

        self.rules = rules
        self.cleaned = cleaned = guards.spoken_punctuation(guards.strip_quoted(guards.own_sections(text)).lower())
        self.pieces = guards.clauses(cleaned)  # [(clause, mark, line)]: the second reading uses them too
        self.parts = [_Clause(t, m, n) for t, m, n in self.pieces]
        if "\n" in cleaned:
            lines = cleaned.split("\n")
            for part in self.parts:
                part.item = _list_item(lines[part.line])
        for before, part in zip(self.parts, self.parts[1:]):
            if part.tail and before.mark == ",":
                before.asked |= part.asked  # "is the work still going to codex, or did we switch back?"

    def decide(self, once_only: bool) -> dict:
        parts = self.parts
        if not parts or len(parts) > MAX_CLAUSES:
            return dict(_NONE)
        lexicon = self.rules.lexicon
        words = [lexicon.words(part.text) for part in parts]
        if len(parts) > 1 and ("there" in self.cleaned or "default" in self.cleaned):
            _resolve_places(words, lexicon)
        unknown = [lexicon.unknown(w) for w in words]
        if _FAST_GATE and all(len(u) > _typo_budget(w) and not _may_ask(w, lexicon)
                              for w, u in zip(words, unknown)):
            return dict(_NONE)  # stage 2: no clause can be made of lexicon words only
        plausible = False
        for part, w, u in zip(parts, words, unknown):
            plausible |= self._tokenize(part, lexicon, w, u)
        if not plausible:
            return dict(_NONE)
        grammar = self.rules.grammar()
        before = None
        for part in parts:
            _read(part, grammar, self.rules.triggers, len(parts) == 1, before)
            before = part
        _attach_vocatives(parts, grammar)
        _resolve_references(parts)
        return self._combine(once_only)

    def _tokenize(self, part: _Clause, lexicon, words: list, unknown: list) -> bool:
        fixed = set()
        fixes = {}
        if unknown and len(unknown) <= _typo_budget(words):
            fixes = {w: fix for w in unknown if (fix := lexicon.correct(w))}
            if len(fixes) == len(unknown):
                words = [fixes.get(w, w) for w in words]
                fixed, unknown = set(fixes.values()), []
        part.tokens = [t for t in lexicon.tokens(words, frozenset(fixed)) if t.word not in _ARTICLES]
        part.typo = bool(fixed)
        if unknown:
            part.payload = _payload(part)
        if unknown and fixes and not part.payload:  # "use gemni for the review": a typo in a request's head
            plain, part.tokens = part.tokens, [t for t in lexicon.tokens([fixes.get(w, w) for w in words],
                                                                          frozenset(fixes.values()))
                                               if t.word not in _ARTICLES]
            part.payload = _payload(part)
            part.typo = bool(part.payload)
            if not part.payload:
                part.tokens = plain  # otherwise the words as written: "quota" is not "quote"
        return not unknown or bool(part.payload)

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
        listed = {p.target.word for p in parts if p.tag == "bare" and p.target is not None}
        if len(actions) != 1 or len(vendors) > 1 or len(listed) > 1:  # "Claude, GPT-5, Gemini, and Llama options"
            return dict(_NONE)  # "stop using copilot, use claude for this", "use gemini⏎use codex": ask
        action = actions.pop()
        if once_only and action != "once":
            return dict(_NONE)
        first, part, _ = commands[0]
        after = parts[first + 1] if first + 1 < len(parts) else None
        if action == "once" and part.mark == "&" and after is not None and not after.tag \
                and not after.scope_only and not after.text.startswith(_RELAYS):
            return dict(_NONE)  # "ask gemini about this and compare it with your answer": Claude's job
        guarded = parts[:first + 1] if action == "once" else parts
        if _cancelled(guarded, first, parts, action):
            return dict(_NONE)
        confidence = EXACT if part.tag == "exact" and len(parts) == 1 else GRAMMAR
        if (len(parts) > 1 or any(p.typo for p in parts)) and len(commands) < 2:
            confidence = min(confidence, CLAUSE)  # two clauses saying it ("codex handles impl, no claude") stand
        vendor = part.target.vendor if part.target is not None else None
        if vendor is None and action == "enable":  # "turn routing on, gpt-5": the name beside it is the preset
            named = {p.target.vendor for p in parts if p.tag == "bare" and p.target is not None and p.target.vendor}
            vendor = named.pop() if len(named) == 1 else None
        return _result(action, part.text, confidence, vendor)


def _whole_sentence(parts: list, first: int) -> bool:
    """"Please turn external routing on. Subsequently, reformat the tables ...": the command is a
    sentence of its own, read whole; the model may narrow it, not silence it."""
    part, after = parts[first], parts[first + 1:first + 2]
    return part.tag not in _WEAK_TAGS and not part.typo and part.mark in (".", "!", "") \
        and not (after and after[0].line != part.line) \
        and (first == 0 or parts[first - 1].mark in (".", "!", "?") or parts[first - 1].line != part.line)


def _typo_budget(words: list) -> int:
    return MAX_TYPOS + (len(words) >= LONG_CLAUSE)


def _may_ask(words: list, lexicon) -> bool:
    """Could this be a request whose words are not lexicon words: "ask <target> to <request>",
    "have <target> <request>", "use <target> for <request>"? A head word, then a target."""
    if any(w in _ASK_PAYLOAD for w in words[:6]) and any(w in lexicon.ask_words for w in words[:4]):
        return True
    for i, word in enumerate(words[1:8], start=1):
        if (word in lexicon.targets or lexicon.versioned(word)) and any(
                w in _REQUEST_HEADS or w in lexicon.ask_words for w in words[max(0, i - 6):i]):
            return True
    return False


def _payload(part: _Clause) -> str | None:
    """A request whose words the lexicon does not know, cut off so the head can be read:
      "ask gemini (just this once) to / what / whether <request>", "ask glm about <request>",
      "get codex's take on <request>"    -> "ask": a one-off request;
      "have gemini <request>", "use codex for <request>" -> "once": a one-off only with a
      one-off scope in the prompt ("just this once", "only this one", "don't change the mode")."""
    tokens = part.tokens
    for i, head in enumerate(tokens[:6]):
        if not head.classes:
            return None  # a word the lexicon does not know before the request: not one
        if i + 1 >= len(tokens) or "T" not in tokens[i + 1].classes:
            continue
        rest = tokens[i + 2:]
        if "ASK" in head.classes:
            for j, token in enumerate(rest[:5]):
                if token.word in _ASK_PAYLOAD or j == 0 and token.word in _ASK_ABOUT \
                        and tokens[i + 1].word not in _COMPANIES:
                    part.tokens = tokens[:i + 2] + rest[:j]
                    return "ask"
                if not token.classes:
                    break
            return None
        if head.word == "get" and len(rest) > 1 and rest[0].word in _OPINION and rest[1].word in _ASK_ABOUT:
            part.tokens = tokens[:i + 4]  # "get gemini's take on": not "get gemini (to) take (over)"
            return "ask"
        if "LET" in head.classes and rest and not rest[0].word.endswith(("ed", "ing")) \
                or "USE" in head.classes and rest[:1] and rest[0].word == "for":  # not "have codex installed"
            part.tokens = tokens[:i + 2]
            return "once"
        return None
    return None


def _read(part: _Clause, grammar, triggers: dict, single: bool, before: _Clause | None = None) -> None:
    """Fill in part.tag/target/scopes/guard from its tokens."""
    g = _grammar_module

    tokens = part.tokens
    if part.text in triggers and single and (not part.asked or triggers[part.text] == "status"):
        part.tag, part.target, part.exact = "exact", _first_target(tokens), triggers[part.text]
        return
    if tokens and tokens[0].word == "once" and len(tokens) > 1 and "T" not in tokens[1].classes \
            and tokens[1].word not in ("only", "more"):
        part.guard = "condition"  # "once the build passes, ..."
    if not part.payload and any(not t.classes for t in tokens):
        _guard_only(part, tokens)  # words the lexicon does not know: never a command, maybe a guard
        part.guess = part.asked and _either(tokens)
        return
    tokens, part.scopes = grammar.lift_scopes(tokens)
    # "agents should use X from now on", "from now on, the agents should use X"
    lead = before.scopes if before is not None and before.scope_only else set()
    directive = bool((part.scopes | lead) & {"persist", "agents"}) and not part.asked
    words = {t.word for t in tokens}
    if not _ONLY.isdisjoint(words):
        part.scopes.add("only")
        tokens = [t for t in tokens if t.word not in _ONLY]
    if "again" in words:
        part.scopes.add("again")  # "claude again": a bare target that means a return
    if "yet" in words and any("NEG" in t.classes for t in tokens):
        part.guard = "condition"  # "no external yet": not now
    if len(tokens) > 2:
        tokens = _drop_contrast(tokens)
    part.alt = len(tokens) == 3 and _is_alternative(tokens)
    while tokens and tokens[0].classes & {"LEAD", "POLITE", "FILLER"}:
        part.polite |= "POLITE" in tokens[0].classes
        part.wished |= "LEAD" in tokens[0].classes
        part.softened = True
        part.checking |= "CHECKIF" in tokens[0].classes  # "check if external mode is on" asks
        tokens = tokens[1:]
    if part.wished and len(tokens) > 2 and tokens[0].word == "that":
        tokens = tokens[1:]  # "I am wanting that all work goes to gemini"
    if directive and tokens and tokens[0].word in _DIRECTIVE_MODALS:
        tokens = tokens[1:]  # "(you) must use the copilot from today"
    if len(tokens) > 2 and tokens[0].word in _MODALS and "T" in tokens[1].classes:
        part.polite, tokens = True, tokens[1:]  # "can gemini take this one?" is a request
    part.asked |= part.checking
    kept = [t for t in tokens if "FILLER" not in t.classes]
    part.softened |= len(kept) < len(tokens)
    tokens = _without_next(kept)
    if len(tokens) < len(kept):
        part.scopes.add("persist")  # "after this all task use codex": from then on
    part.guess = part.asked and (len(tokens) == 1 and "T" in tokens[0].classes or _either(tokens))
    if tokens and "AGENT" in tokens[-1].classes and all(t.classes & _AGENTS_ONLY for t in tokens):
        part.scopes.add("agents")  # "..., all the subagents": who the command is for
        tokens = []
    part.tokens = tokens
    classes = set().union(*(t.classes for t in tokens)) if tokens else set()
    hedged = "COND" in classes and any(
        "COND" in t.classes and not (directive and t.word in _DIRECTIVE_MODALS)
        and not (t is tokens[-1] and t.word in ("after", "afterwards", "later")) for t in tokens)  # "fix it after"
    part.guard = part.guard or ("condition" if hedged else "speech" if _speaks(part, tokens, classes) else
                                "unsure" if "UNSURE" in classes else None)
    if part.asked and len(tokens) > 2 and (tokens[-2].word, tokens[-1].word) == ("or", "not"):
        tokens = part.tokens = tokens[:-2]  # "are we in external mode or not?"
        classes = set().union(*(t.classes for t in tokens))
    if tokens and "THIS" in tokens[0].classes and all(t.classes & {"THIS", "WORKN"} for t in tokens):
        part.scopes.add("once")  # "this one: codex", "codex, this one"
        tokens = part.tokens = []
    part.covered = all(t.classes for t in tokens)
    if not tokens or not part.covered and not part.payload:
        if "NEG" in classes:
            _negation(part, tokens)
        return
    # "could you forward this to gemini and keep the rest on claude?": the request goes on
    joined = before is not None and before.polite and before.mark == "&"
    asked = part.asked and not (part.polite or joined) or part.checking
    if part.payload == "once":
        tag = g.ONCE_ONLY if not asked and any(p.full(tokens) for p in grammar.once_only) else None
    else:
        tag = grammar.frame(tokens, asked, part.checking)
    negated = "NEG" in classes and not (tag and _consumes_negation(tokens, part.text))
    if negated:
        _negation(part, tokens)
        return
    if part.guard == "speech" and not classes & {"IRONY"} and (
            tag == g.ASK or tag == g.STATUS and "WHICH" in tokens[0].classes):
        part.guard = None  # "see what codex says about this", "which model wrote that answer?": the verb asks
    part.tag, part.target = tag, _named_target(tokens)
    if tag == "replace":  # "swap claude out for gpt": the second target is where it goes
        part.target = [t for t in tokens if "T" in t.classes][-1]


_NOT_LACKS = frozenset(("wait", "hold", "stop", "sorry", "thanks", "thank", "thx", "way", "actually", "scratch",
                        "forget", "nvm", "never", "nevermind", "no", "nah", "nope", "ok", "okay", "cancel", "undo",
                        "revert", "dont", "don't", "leave", "keep", "mistake", "oops", "sike", "jk", "lol", "haha"))


def _a_lack(tokens: list) -> bool:
    """"no signal at this cafe", "no wifi rn": something missing, a reason beside the command, not
    its negation ("no wait", "no, not codex")."""
    return len(tokens) > 1 and tokens[0].word == "no" and not tokens[1].classes and tokens[1].word not in _NOT_LACKS \
        and sum("NEG" in t.classes for t in tokens) == 1 and not any("T" in t.classes for t in tokens)


def _either(tokens: list) -> bool:
    """"external or normal?": two guesses at a status question's answer, one of them a target."""
    return len(tokens) == 3 and tokens[1].word == "or" and any("T" in t.classes for t in (tokens[0], tokens[2]))


def _without_next(tokens: list) -> list:
    """"after that switch off outside models", "stop using codex after this": when the command
    takes effect, not a condition on it."""
    if len(tokens) > 2 and tokens[0].word == "after" and tokens[1].word in ("that", "this"):
        return tokens[2:]
    if len(tokens) > 2 and tokens[-2].word == "after" and tokens[-1].word in ("that", "this"):
        return tokens[:-2]
    return tokens


# "ping me when it's done", "i'll tell you when to come back": a condition on what the user or the
# model does next, not on the command beside it (cues.guard_level reads them the same way).
NOTICES = ("ping me when", "ping me if", "let me know when", "let me know if", "tell me when", "tell me if",
           "notify me when", "notify me if", "i'll tell you when", "ill tell you when", "i'll let you know when",
           "i'll say when", "i will tell you when", "until i'm back", "till i'm back", "until im back",
           "i'll tell u when", "ill tell u when", "i'll let u know when")


def _guard_only(part: _Clause, tokens: list) -> None:
    """A clause that is not a command still cancels one next to it when it is a condition, a
    negation, someone else's words or irony ("if claude is down, ...", "my lead says ...")."""
    part.covered = False
    classes = set().union(*(t.classes for t in tokens))
    cond = "COND" in classes and not (tokens[-1].word in ("after", "afterwards", "later")
                                       and sum("COND" in t.classes for t in tokens) == 1) \
        and not part.text.startswith(NOTICES)
    part.guard = part.guard or ("condition" if cond else
                                "speech" if _speaks(part, tokens, classes) else
                                "unsure" if "UNSURE" in classes else None)
    if not part.guard and "NEG" in classes and not _a_lack(tokens):
        _negation(part, tokens)
    lead = 0
    while lead < len(tokens) and tokens[lead].classes & {"LEAD", "FILLER"}:
        lead += 1
    part.request = lead < len(tokens) and "POLITE" in tokens[lead].classes and not classes & {"CHECKIF"}


def _speaks(part: _Clause, tokens: list, classes: set) -> bool:
    """Someone's words or irony, not a finished report of who wrote something ("the glm agent
    wrote this. switch external off"), which introduces nothing."""
    if not classes & {"SPEECH", "IRONY"}:
        return False
    return "IRONY" in classes or part.mark in (":", "") or len(tokens) < 2 \
        or tokens[-1].word not in ("this", "that", "it") or "SPEECH" not in tokens[-2].classes


def _negation(part: _Clause, tokens: list) -> None:
    """A negation guard; a "reject" one when it only complains of a target: "external is not
    good", "the external models aren't cutting it", "I don't want gemini any more". That does
    not cancel a command moving away from that target ("..., go back to claude")."""
    part.guard = part.guard or "negation"
    if part.guard != "negation":
        return
    if [t.word for t in tokens] in (["not", "you"], ["not", "u"], ["not", "yourself"]):
        part.guard, part.rejects = "reject", "CLAUDE"  # "codex does the work, not you"
        return
    negs = [i for i, t in enumerate(tokens) if "NEG" in t.classes]
    targets = [i for i, t in enumerate(tokens) if "T" in t.classes]
    sides = {"EXT" if "EXT" in tokens[i].classes else "CLAUDE" for i in targets}
    if len(negs) != 1 or len(sides) != 1 or any(t.classes & {"COND", "STOP", "ONV", "OFFV"} for t in tokens):
        return
    neg = negs[0]
    if targets[-1] < neg or neg < targets[0] and {t.word for t in tokens[neg + 1:targets[0]]} & _DISLIKES:
        part.guard, part.rejects = "reject", sides.pop()


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


def _named_target(tokens: list):
    """The first target, or the vendor named after a generic one ("external mode w/ gemini")."""
    first = _first_target(tokens)
    if first is not None and first.vendor is None and "EXT" in first.classes:
        for token in tokens:
            if token.vendor and "EXT" in token.classes:
                return token
    return first


def _resolve_references(parts: list) -> None:
    """"stop using them", "ask it": the target is the one named in a clause before. A question
    that names it after "what" ("what would codex do here? ask it") is the request itself."""
    g = _grammar_module

    for index, part in enumerate(parts):
        if part.tag not in (g.AWAY_REF, g.ASK_REF):
            continue
        for earlier in reversed(parts[:index]):
            found = [i for i, t in enumerate(earlier.tokens) if "T" in t.classes]
            if not found:
                continue
            words = [t.word for t in earlier.tokens[:found[0]]]
            asks = part.tag == g.ASK_REF and (words[-1:] in (["what"], ["how"]) or len(words) > 1 and
                                               words[-2] in ("what", "how") and words[-1] in _AUXILIARIES)
            # a command or a complaint: not "delete the gemini agents and stop using them"
            if asks or earlier.tag or earlier.guard == "reject":
                part.target = _named_target(earlier.tokens[found[0]:])
                earlier.antecedent = asks
            break


_SENDS = frozenset(("SEND", "MOVE", "PUT"))


def _resolve_places(words: list, lexicon) -> None:
    """"I've got the LiteLLM proxy running with deepseek behind it. Send the work there from now
    on": "there" after a verb that sends, and "it" in "make it the default", stand for the one
    external model named last in an earlier clause (Claude named there is no antecedent)."""
    for k in range(1, len(words)):
        clause = words[k]
        tokens = lexicon.tokens(clause)
        if any("T" in t.classes for t in tokens):
            continue
        at = _place_word(clause, tokens)
        if at is None:
            continue
        antecedent = next((t for w in reversed(words[:k]) for t in reversed(lexicon.tokens(w))
                           if "T" in t.classes), None)
        if antecedent is None or "EXT" not in antecedent.classes:
            continue
        name = antecedent.word.split()
        words[k] = clause[:at] + (["to"] if clause[at] == "there" else []) + name + clause[at + 1:]


def _place_word(clause: list, tokens: list) -> int | None:
    """Where "there" follows a sending verb, or "it" sits in "make/set it (as) the default"."""
    sends = any(t.classes & _SENDS for t in tokens)
    for i, word in enumerate(clause):
        if word == "there" and sends and i and clause[i - 1] not in ("is", "are", "over", "out", "in"):
            return i
        if word == "it" and i and clause[i - 1] in ("make", "set") and "default" in clause[i + 1:i + 4]:
            return i
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
    if part.tag == g.TO_CLAUDE and part.tokens and part.tokens[0].word == "get back":
        return None  # "get back to you": an email's promise, not "go back to you"
    if part.tag == g.TO_CLAUDE and part.tokens and part.tokens[-1].word == "yourself" and not scopes \
            and not any(p.tag and p is not part for p in parts):
        return None  # "but now try yourself please": this task done here, not the mode turned off; ask
    if part.tag == g.WISH and not (part.wished and scopes & {"persist", "agents", "once"}) \
            and not ("persist" in scopes and part.tokens and part.tokens[0].classes & {"ALL", "AGENT"}):
        return None  # "the agents run on codex" describes; "I'd rather they ... from now on" asks
    if part.tag in (g.AGENTS_TOWARD, g.AGENTS_AWAY) and "agents" not in part.scopes:
        return None  # "put codex on the agents" moves them; "put codex" alone says nothing
    if part.tag in (g.AWAY_REF, g.ASK_REF) and part.target is None:
        return None  # "stop using them" with nothing named before: ask
    direction = g.direction(g.TOWARD if part.tag in (g.BARE, g.ASK) else part.tag, part.target)
    if part.tag == g.ONCE_ONLY:  # "have gemini <request>": only "just this once" makes it one request,
        if any(phrase in part.text for phrase in _FROM_NOW[:7]):  # the request's words were not read for scopes
            scopes = scopes | {"persist"}
        if direction != "enable" or ("once" in scopes) == ("persist" in scopes):  # "from now on" the mode
            return None
        return "once" if "once" in scopes else "enable"
    if part.tag in (g.ASK, g.ASK_REF):
        return "enable" if "persist" in scopes and direction == "enable" else \
            "once" if direction == "enable" else None
    if once:
        return "once" if direction == "enable" and "persist" not in scopes else None
    return direction


_CONTENT = ("we're fine", "were fine", "i'm fine", "im fine", "we're good", "were good", "i'm good", "happy with",
            "fine with", "ok with", "okay with", "we are fine", "i am fine", "content with")


def _bare_counts(part: _Clause, scopes: set, parts: list) -> bool:
    """A target named with no verb ("external models", "codex-only mode") is a command only
    with a scope or "only", or as the whole prompt when it is generic or names a mode; never in a
    statement of content ("We're fine on Claude for now": staying, after "Don't switch to external.")."""
    if any(phrase in part.text for phrase in _CONTENT):
        return False
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
    another question (for enable/disable/status: "use copilot? not sure that's a good idea").
    Except: a complaint about the target the command leaves ("external is not good, go back to
    claude"); the question an "ask it" refers to; after a status question, a condition, a doubt,
    its "or ..." or a guess ("is external mode on? if it is, keep going", "..., still gemini?");
    on a later line or in a later sentence than a command, a question that asks for other work
    ("back to claude.⏎⏎can you look at the build?")."""
    # a status question, not the statement "external mode is on but ..."
    from .lexicon import OUTCOME_IFS  # loaded already: the rules are built from it

    asked = action == "status" and (parts[first].asked or parts[first].rhetorical)
    for i, part in enumerate(guarded):
        after = i > first
        if part.antecedent and part.guard in (None, "condition"):
            continue  # "what would codex do here? ask it"
        if part.guard == "reject" and (action, part.rejects) in (("disable", "EXT"), ("enable", "CLAUDE"),
                                                                 ("once", "CLAUDE")):
            continue
        if i < first and part.text in OUTCOME_IFS and not _sentence_between(parts, i, first):
            return True  # "then if that works, switch to codex": before the command, a polite phrase is a condition
        if part.guard and not (asked and after and part.guard in ("condition", "unsure")) \
                and not (i < first and _sentence_between(parts, i, first)) \
                and not (after and _sentence_between(parts, first, i) and not _doubts(part)) \
                and not (after and part.guard == "condition" and (part.text.startswith(_NEXT) or _then(parts, i))):
            return True
        if i < first and part.mark == ":" and not part.covered and _introduces(part, i, parts, first) \
                and not _own_list(part, parts[first]) and not _sentence_between(parts, i + 1, first):
            return True  # "my lead says: ...", "save claude tokens: ...": someone else's words, or unclear
        if (part.asked or part.rhetorical) and not part.polite and not part.tag and not part.alt \
                and not (after and part.checking and not part.mark == "?") \
                and action != "once" and not (i < first and _sentence_between(parts, i, first)) \
                and not (after and _same_request(parts, first, i)) \
                and not (after and (asked and (part.tail or part.guess)
                                    or _requests(parts, i) and (_sentence_between(parts, first, i)
                                                                or parts[i - 1].mark == "&")
                                    or _sentence_between(parts, first, i) and not _doubts(part))):
            return True  # a later sentence's question cancels only when it doubts the command
    return False


def _then(parts: list, i: int) -> bool:
    """"switch to the outside models and after fix me the lint errors": "and after" + a verb is
    "and then" in many speakers' English, not "after the tests pass"."""
    words = parts[i].text.split()
    return parts[i - 1].mark == "&" and words[:1] == ["after"] and len(words) > 1 and words[1] not in _AFTER_WHAT


_AFTER_WHAT = frozenset(("the", "that", "this", "it", "we", "i", "you", "they", "he", "she", "lunch", "tomorrow",
                         "my", "our", "your", "a", "an", "some", "all", "everything", "its", "it's", "which"))


# "after that ping me with a summary": what comes next, not a condition on the command
_NEXT = ("after that", "after this", "afterwards", "after which", "once done", "once that's done")


def _sentence_between(parts: list, i: int, first: int) -> bool:
    """A sentence or line ends between part i and the command: a guard there is its own
    sentence's ("I know I said to use the local model. Switch back to Claude"), not the command's."""
    return any(p.mark in (".", "!", "?") or p.line != q.line for p, q in zip(parts[i:first], parts[i + 1:first + 1]))


_ASKS_YOU = ("could you ", "can you ", "would you ", "will you ", "could u ")
_ASKS_FOR_WORK = (*_ASKS_YOU, "can u ", "pls ", "please ")


def _doubts(part: _Clause) -> bool:
    """A later sentence's guard that is about the command: it opens with a doubt ("Or maybe not.",
    "Not sure though.", "Actually no."), points back at it ("I don't think that's wise") or is
    little more than the guard; not a reason of its own ("the level editor isn't going to fix
    itself", "I will let you know when to stop")."""
    if _confirms(part) or part.text.startswith("not because"):
        return False  # "... Not because anything is wrong!": a reason, not a doubt
    words = [w.strip("?,.!") for w in part.text.split()]
    return part.text.startswith(_DOUBTS_BEFORE) or len(words) <= 3 or "no" in words or "nope" in words \
        or _points_back(words) or not _POINTERS.isdisjoint(words)  # "my lead said no"


# "I don't think that's wise": a pointer back at the command anywhere; a bare "that" only near the
# start ("That seems risky", "my lead says that would break it"), not "... so that every header is ...".
_POINTERS = frozenset(w for w in _BACK_REFERENCES if "'" in w) | {"thats"}
_NOT_POINTING = frozenset(("so", "such", "prefer", "now", "than"))


def _points_back(words: list) -> bool:
    return any(w in _BACK_REFERENCES and not (i and words[i - 1] in _NOT_POINTING) for i, w in enumerate(words[:6]))


def _same_request(parts: list, first: int, i: int) -> bool:
    """"Can you turn off codex mode, and then go through the failing tests?": the question mark
    ends the one polite request the command opened, which goes on with other work (not "..., or is
    that a bad idea?", nor "why ...?")."""
    part = parts[i]
    return parts[first].polite and not _sentence_between(parts, first, i) and not part.tail \
        and not part.rhetorical and _BACK_REFERENCES.isdisjoint(part.text.replace("?", " ").split()[:2])


# "Can you do that?", "Would you make that the default?", "Does that make sense?": a later question
# that asks for the command itself, or only for a nod, doubts nothing.
_CONFIRM_VERBS = frozenset(("do", "make", "switch", "set", "change", "flip", "turn", "configure", "arrange",
                            "update", "apply"))
_NODS = frozenset(("does that make sense", "makes sense", "sound good", "sounds good", "ok", "okay", "ready",
                   "right", "yeah", "cool", "got it", "alright", "k", "thanks", "ty", "thank you", "pls", "please"))


def _confirms(part: _Clause) -> bool:
    text = part.text.strip(" ?!.,")
    if text in _NODS:
        return True
    if not text.startswith(_ASKS_YOU):
        return False
    rest = [w for w in text.split()[2:] if w not in ("please", "pls", "maybe", "just", "kindly", "now")]
    return bool(rest) and rest[0] in _CONFIRM_VERBS and len(rest) <= 6


def _requests(parts: list, i: int) -> bool:
    """Part i asks for work, itself or as the second half of "can you tidy the README and fix the badge?";
    not "can you tell me if that's wise?", which asks about the command."""
    return parts[i].request or parts[i].text.startswith(_ASKS_FOR_WORK) \
        and _BACK_REFERENCES.isdisjoint(parts[i].text.split()) \
        or i > 0 and parts[i - 1].request and parts[i - 1].mark == "&"


def _own_list(lead: _Clause, command: _Clause) -> bool:
    """"todo for now:⏎- disable external mode⏎- fix the flaky test": the user's own list of things
    to do, the command one item on a line below; not "expected output:⏎- switch to gemini"."""
    words = lead.text.split()
    own = command.line > lead.line and (command.item or command.text.startswith(_BULLETS)) \
        or not _PLANS.isdisjoint(words)
    return own and _OTHERS_TEXT.isdisjoint(words) and not any("SPEECH" in t.classes for t in lead.tokens)


# "plan for today: 1) ... 2) put the agents on gemini", "step one: route agents to mistral": the
# user's own plan, its items theirs.
_PLANS = frozenset(("plan", "step", "steps", "agenda", "checklist", "things", "items", "order", "rules", "setup",
                    "instructions", "brief", "notes", "asks", "preferences", "prefs"))  # not "TODO: use codex", a code comment


_OWN_VOICE = frozenset(("pls", "please", "plz", "asap", "quick"))
_WANTS = frozenset(("need", "want", "like", "prefer", "would"))


def _list_item(line: str) -> bool:
    """"1. ...", "2) ...", "- ...": a line that opens as an item of a list."""
    body = line.lstrip()
    number = body.split(" ", 1)[0]
    return body.startswith(_BULLETS) or 2 <= len(number) <= 3 and number[-1] in ".)" and number[:-1].isdigit()


def _introduces(part: _Clause, i: int, parts: list, first: int) -> bool:
    """Does the lead-in's colon introduce the command: on its line, or ending the line above it?
    ("Context: big refactor ahead.⏎Switch to codex." does not.) A one-word tag that is not a
    label for someone else's text ("URGENT: switch to gpt") introduces nothing."""
    words = part.text.split()
    if len(words) == 1 and words[0] not in _LABELS or not _OWN_VOICE.isdisjoint(words):
        return False  # "URGENT: ...", "hurry pls: turn routing on": the user's own voice
    if words[0] in ("i", "i'd", "we", "we'd") and words[1:2] and words[1] in _WANTS \
            and not any("SPEECH" in t.classes for t in part.tokens):
        return False  # "I need you back in charge: no more routing to openrouter": what the user wants
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
        self._scopes = None

    def grammar(self):
        global _grammar_module
        if self._grammar is None:
            from . import grammar

            _grammar_module = grammar
            self._grammar = grammar.Grammar()
        return self._grammar

    def scopes(self):
        """The scope patterns only (the second reading's need): the grammar's when it is compiled."""
        if self._grammar is not None:
            return self._grammar
        if self._scopes is None:
            from . import grammar

            self._scopes = grammar.Scopes()
        return self._scopes
