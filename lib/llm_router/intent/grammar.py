"""The toggle grammar: an action frame, a target, a scope, a question form, and guards.

A clause is read in four steps (read_clause):
  1. guards: a clause that opens with a condition ("if", "when", "once the ..."), or holds a
     negation, a hedge ("should", "maybe") or a speech verb ("said", "wrote") outside the one
     negated frame the grammar knows ("don't use X anymore") is never a command;
  2. scopes are lifted out wherever they stand: persistent ("from now on", "for the rest of
     the day", "for all agents"), one-off ("just this once", "for this question only",
     "one-off") and "only";
  3. lead-ins and fillers go ("could you", "I'd like to", "please", "the", "now");
  4. what is left must match one frame of FRAMES *as a whole*: every word a lexicon word in
     its place. The frame says which way the user points at its target.

The action is composed, not listed: a frame points *toward* or *away from* a target, the
target is external (any vendor or model) or Claude, and the scope makes it persistent or
one-off. "switch to gemini" is toward+external = enable; "switch back to claude" toward+Claude
= disable; "stop using claude" away+Claude = enable; "use gpt for this one" toward+external
with a one-off scope = once. Status frames are questions about the mode or about which model
answers. Patterns are written over lexicon classes (UPPER case), literal words (lower case,
each must be in the registry's lexicon; a test checks) and sub-patterns (<name>), with
( | ) groups and the ? and * marks; matching is a small set-of-positions NFA, no `re`.
"""

from .lexicon import CLAUDE, EXT, TARGET

TOWARD, AWAY, ASK, BARE, STATUS, AWAY_EXT = "toward", "away", "ask", "bare", "status", "away-external"
REPLACE, TO_CLAUDE = "replace", "toward-claude"
# Frames whose target is a pronoun ("stop using them", "ask it"): the target named in a clause before.
AWAY_REF, ASK_REF = "away-ref", "ask-ref"
# "have gemini <request>", "use codex for <request>": a one-off only with a one-off scope somewhere.
ONCE_ONLY = "once-only"
# A statement that is a command only after a wish ("I'd rather the agents run on codex ...") and with a scope.
WISH = "wish"
# "put codex on the agents", "take codex off the agents": a command only with the agents named.
AGENTS_TOWARD, AGENTS_AWAY = "agents-toward", "agents-away"

SUBS = {
    "t": "T T? ((on|via|through|from|in|with|using) T)?",
    "tgt": "(USING)? (you)? <t> (only)? MODE?",  # "go back to claude-only mode"
    "obj": ("((ALL (of)?)? DET? NEXT? (WORKN|AGENT WORKN?) | EVERYTHING | THIS (one|single)? WORKN? | ALL"
            "| DET AGENT)"),
    "alt": "(or|vs|versus|or to) (to|on|in|with|BE)? (one of)? (<t>|SUBJ) MODE? ANSWERING?",
    "orison": "(or (BE)? (SUBJ|<t> MODE?)? (not|ISON))",
    "to": "(to|onto|into|over to|across to|on|through|thru|via|with|at)",
    "persist": ("(from (now|here|this (moment|point)|today) (on|onwards|onward|forward)? (out)?"
                "| (going|moving) forward | henceforth | hereafter | from now"
                "| (for)? (rest|remainder) of ((DET|this)? NEXT? PERIOD | today) | for (rest|remainder)"
                "| (for)? (ALL|whole|entire) (of)? (DET|this)? PERIOD | (for|during)? (this|DET) (whole|entire)? PERIOD | (for|during) (whole|entire)? PERIOD"
                "| (until|till) (i|we) say (otherwise|so|stop) | (until|till) (further notice|tomorrow|tonight)"
                "| (until|till) (i|we) (RETURN|MOVE) (it)? (back)?"
                "| ALL way | full time | full-time"
                "| for (now|while|bit|today|good|day) | this PERIOD | today"
                "| for NEXT (few|couple)? (of)? (PERIOD|WORKN)"
                "| for (ALL (of)? DET? NEXT? WORKN | DET? NEXT WORKN | EVERYTHING)"
                "| (for)? (EVERYTHING|ALL (of)? DET? NEXT? WORKN) (after|from) (this|that|now|here) (on)?"
                "| by default | permanently | always | ALL time | exclusively | fully | completely"
                "| entirely | solely | throughout)"),
    "agents": "(for|on|in|across|to|off|from) (ALL (of)?)? DET? AGENT",
    "once": ("(ONEOFF (only)? | on (just|only)? THIS (one)? WORKN? (only)? | (just|only)? this time (only)? | (just|only)? for (just|only)? THIS (one)? WORKN? (only|alone)?"
             "| (just|only) THIS (one)? WORKN? | THIS (one)? WORKN? (only|alone) | for (one|single) WORKN (only)?"
             "| (one|single) WORKN (only)? | ONEOFF WORKN (only)?"
             "| NEG (MOVE|TURN|touch) (DET|ALL)? MODE | without (MOVE|TURN|SENDING) (DET)? MODE)"),
}

# (tag, pattern). Tried in order; the first that matches the whole clause wins.
FRAMES = [
    # toward a target: switch / go / move / route / hand / put / use / let ... (to) T
    (TOWARD, "(MOVE|GO|TURN|SEND) (back|over|across)? <to> <tgt>"),
    (TOWARD, "back (to|on) <tgt>"),
    (TOWARD, "RETURN <obj>? (back)? (to|on)? <tgt>"),
    (TOWARD, "RETURN (MODEL_SUFFIX|MODE|default) (back)? (to|on) <tgt>"),  # "revert model to claude"
    (TOWARD, "USE (USING)? <t>"),
    (TOWARD, "(ONV|USE) (USING|SENDING) (to|through|via)? <obj>? (to|through|via)? <t>"),
    (TOWARD, "GO <t>"),
    (AWAY, "(MOVE|GO|remove) (<obj>|them) (off|away from) <t>"),
    (AWAY, "(move|remove|pull) (<obj>|them) from <t>"),
    (TOWARD, "(SEND|MOVE|TURN|PUT) <obj> (off|over|back|on)? <to> <tgt>"),
    (TOWARD, "(SEND|MOVE|TURN|PUT) them back <to> <tgt>"),
    (TOWARD, "SEND (off|over)? (to|onto|through|via) <tgt>"),
    (TOWARD, "<obj> (back)? <to> <tgt>"),
    (TOWARD, "<obj> (to)? (GO|MOVE|be SENDING|SENDING|run) (back)? <to> <tgt>"),
    (TOWARD, "LET <t> (to)? (WORK|ANSWERING) <obj>?"),
    (TOWARD, "(you)? <t> (to|should|must|shall)? (answering|handling|handles|responding|doing|does|working|WORK) <obj>?"),
    (TOWARD, "(PUT|LET|MOVE)? <t> (back)? CHARGE"),
    (TOWARD, "<obj> (be)? PASSIVE (by|to|through|thru|via|on) <t>"),
    (TOWARD, "<obj> (should|must|shall) (USE|GO|run|SENDING|be) (USING)? (<to>|from)? <t>"),
    (WISH, "<obj> (USE|run|be on) <t>"),
    (BARE, "run <t>"),
    (BARE, "(WORK|run|SEND) <obj> externally"),
    (ASK, "(run|put|bounce) <obj> (by|past) <t>"),
    (ASK, "bounce <obj> off <t>"),
    (ASK, "(see|hear) what <t> (says|thinks|think|say|makes of) (about|of|on)? <obj>?"),
    (ASK, "give <t> (crack|shot|stab|try|go) (at)? <obj>?"),
    (AWAY, "off with <t> MODE?"),
    (AWAY, "keep <t> out (of (DET)? loop)?"),  # "keep claude out of the loop until further notice"
    (TOWARD, "<t> RETURNING"),
    (TOWARD, "LET <t> (DET)? default (AGENT|WORKN|MODEL_SUFFIX|provider|backend)?"),
    (REPLACE, "REPLACE <t> (out)? (for|with|by) <t>"),
    (REPLACE, "(MOVE|GO|TURN|SEND) (back|over|away)? from <t> <to> <tgt>"),  # "switch back from the local llama to claude"
    (TO_CLAUDE, "(back|over) to you"),
    (TO_CLAUDE, "(go|switch|move|flip|GO) back? to you"),  # "let's go back to you for the rest of the day"
    (TO_CLAUDE, "(you're|youre) back (on|in)?"),  # "claude, you're back on"; "codex is fired. you're back"
    (TO_CLAUDE, "(ANSWERING|WORK) (by)? yourself"),
    (TOWARD, "LET <obj> (USE|GO|run|SENDING|talk) (USING)? <to>? <t>"),
    (TOWARD, "(MOVE|GO)? <t> back"),
    (TOWARD, "MOVE back <t>"),
    (ASK, "ASK <t> (about|on)? <obj>?"),
    (BARE, "(with|on|to|via|through|using|for) <t>"),
    (BARE, "<obj> (is|one's)? (for|to) <t>"),
    (BARE, "(it's|it is) <t> MODE?"),
    (TOWARD, "(MOVE|SEND|TURN) (MODE|providers|provider|backend|MODEL_SUFFIX) <to> <tgt>"),
    (ASK, "get <t> (opinion|take|view|thoughts) ((on|about) <obj>?)?"),
    (BARE, "<t> MODE?"),
    (AGENTS_TOWARD, "(PUT|SEND|assign) <t>"),
    (AGENTS_AWAY, "(MOVE|remove|pull) <t> (away)?"),
    # mode on / off
    (TOWARD, "ONV <t> MODE? ((with|using|via|through|on) <t>)?"),
    (TOWARD, "TURN (back)? on <t> MODE? ((with|using|via|through|on) <t>)?"),
    (TOWARD, "(TURN|PUT)? <t> MODE? (back)? (on|enabled|active|activated|turned on|switched on)"),
    (AWAY, "OFFV <t> MODE?"),
    (AWAY, "TURN (back)? off <t> MODE?"),
    (AWAY, "TURN of <t> MODE"),
    (AWAY, "(TURN|PUT)? <t> MODE? (back)? (off|disabled|deactivated|inactive|turned off|switched off)"),
    # the feature by its own name: "turn routing back on", "delegation off", "switch off offloading"
    (TOWARD, "(TURN|PUT)? FEATURE (back)? (on|enabled|active|activated|turned on|switched on)"),
    (AWAY, "(TURN|PUT)? FEATURE (back)? (off|disabled|deactivated|inactive|turned off|switched off)"),
    (TOWARD, "TURN (back)? on FEATURE"),
    (TOWARD, "ONV MODE <t>"),  # "turn on mode external": the order of many languages
    (TOWARD, "(open|PUT) <t> mode"),  # "open the external mode", "put the external mode": a verb for "on" in other languages
    (AWAY, "OFFV MODE <t>"),
    (AWAY, "TURN (back)? off FEATURE"),
    # away from a target: stop using / no more / quit / don't use ... anymore
    (AWAY, "STOP (USING|SENDING) <obj>? (off)? (to|through|via|on|with)? <t>"),
    (AWAY, "STOP <t> MODE?"),
    (AWAY, "no <t> MODE?"),
    (AWAY, "NEG (USE|USING|SEND) <obj>? (to|on|with)? <t> ANYMORE?"),
    (AWAY_EXT, "STOP (SENDING|USING)"),
    (AWAY_REF, "(STOP|OFFV) (SENDING|USING)? them"),
    (ASK_REF, "ASK (it|them) (about|on)? <obj>?"),
]

# Read only for a clause whose request was cut off (detect.py's payload): "have gemini <request>",
# "can you get copilot to <request>", "use codex for <request>".
ONCE_ONLY_FRAMES = ["(LET|USE) <t> (to|for)?"]

# Status frames: questions about the mode or about who answers. A trailing "?" is allowed.
STATUS_FRAMES = [
    "BE (SUBJ|<obj>) (USING|SENDING|ANSWERING|running)? (to|on|in|with|through|by|via)? <t> MODE? <alt>?",
    "BE <t> MODE? (turned|switched)? ISON (or (not|ISON))?",
    "BE (<t> MODE|GENERIC)",
    "did <t> MODE? (get|go|turn|switch)? (turned|switched)? ISON <orison>?",
    "did SUBJ (ONV|OFFV|PUT|TURN)? <t> MODE? ISON? <orison>?",
    "NEXT? <t> MODE? (STATUS|ISON or ISON)",
    "NEXT? MODE STATUS",
    "<t> MODE? (turned|switched)? ISON",
    "(what|who|WHO) BE SUBJ <alt>?",
    "STATUS (of|on)? <t> MODE?",
    "did <t> MODE? (ONV|OFFV)",
    "WHOBE <t>? MODE? STATUS <alt>?",
    "WHOBE (SENDING|ANSWERING) <obj>",
    "WHOBE STATUS (of|on) <t> MODE?",
    "<t> MODE? BE (turned|switched)? ISON",
    "WHO BE? ANSWERING (to)? (me|SUBJ|these|those|(that|this) WORKN?|<obj>)? <alt>?",
    "BE (this|that|it|SUBJ) WORKN? ANSWERING? from <t>",
    "WHO BE (this|that|it) WORKN? ANSWERING? from",
    "WHICH (ANSWERING|SPEECH) (that|this|DET)? NEXT? WORKN",
    "(what|which) MODE BE ISON",
    "WHO BE ISON",
    "(what|who|WHO) BE SUBJ (ANSWERING|USING)? (on|with)",
    "BE SUBJ (llm|ai|MODEL_SUFFIX) (from|by|of) <t>",
    "did SUBJ (MOVE|GO|TURN) (back|over)? <to> <t> MODE?",
    "WHOBE ANSWERING (to)? (me|SUBJ|these|those)? <alt>?",
    "WHO BE SUBJ (ANSWERING|USING|on)? (to|with|on)? <alt>?",
    "(what|which) MODE BE SUBJ in",
    "BE SUBJ? <t> (or|vs) <t> ANSWERING?",
    "BE (SUBJ|this)? <t> (one)? ANSWERING (me|these|those|<obj>)? <alt>?",
    "BE SUBJ <t> MODE? or did SUBJ (MOVE|GO|RETURN|TURN) back",
    "(GENERIC MODE?|<t> MODE) \\?",
    "STATUS \\?",
    "WHOBE <t> MODE? (set|switched|turned) (to)?",
    "(what|WHO) BE <obj> (USING|ANSWERING|on|running on|SENDING (to|through|via|on)?)",
    "BE <t> (being)? PASSIVE",
    "(on|in|using) <t> MODE? <alt>?",
    "(what|which) MODE (SUBJ BE|we're|you're) (in|on|USING)?",
    "BE <t> MODE set",
    "BE SUBJ? (SUBJ|<t>) (or|vs) (SUBJ|<t>) ANSWERING?",
]

# After "check whether" / "tell me if": the question in statement order.
CHECK_FRAMES = [
    "(on|in|USING|SENDING) (to)? <t> MODE? <alt>?",
    "(SUBJ|<obj>) BE (USING|SENDING|ANSWERING|running)? (to|on|in|with|through|by|via)? <t> MODE? <alt>?",
    "<t> MODE? BE (turned|switched)? ISON",
]


# ---- the pattern engine -----------------------------------------------------------------------

class Pattern:
    """A pattern compiled to a Thompson NFA over tokens (a token matches a class it has or a
    literal word it is).

    ends(tokens, start) -> the positions where a match from `start` can end; full(tokens).
    `words`/`classes` are what the first token can be and `needs` the classes every match
    contains, so most patterns are skipped at a glance.
    """

    __slots__ = ("words", "classes", "nullable", "needs", "_node", "_nfa", "_accept")

    def __init__(self, source: str, subs: dict) -> None:
        items = _tokenize_pattern(source)
        node, rest = _parse_alternatives(items, 0, subs)
        if rest != len(items):
            raise ValueError(f"unbalanced pattern: {source!r}")
        self.words, self.classes = set(), set()
        self.nullable = _first(node, self.words, self.classes)
        self.needs = frozenset(_needs(node))
        self._node, self._nfa, self._accept = node, None, -1

    def _automaton(self) -> "_NFA":
        """Built on first use: a prompt needs only the few patterns its words can start."""
        if self._nfa is None:
            nfa = _NFA()
            self._accept = nfa.build(self._node, nfa.state())
            self._nfa = nfa
        return self._nfa

    def can_start(self, token) -> bool:
        return self.nullable or token.word in self.words or not self.classes.isdisjoint(token.classes)

    def ends(self, tokens: list, start: int = 0) -> list:
        nfa = self._automaton()
        found, current = [], nfa.closure(0)
        if self._accept in current:
            found.append(start)
        for position in range(start, len(tokens)):
            current = nfa.step(current, tokens[position])
            if not current:
                break
            if self._accept in current:
                found.append(position + 1)
        return found

    def full(self, tokens: list) -> bool:
        if tokens and not self.can_start(tokens[0]):
            return False
        nfa = self._automaton()
        current = nfa.closure(0)
        for token in tokens:
            current = nfa.step(current, token)
            if not current:
                return False
        return self._accept in current


class _NFA:
    def __init__(self) -> None:
        self.by_word, self.by_class, self.eps, self._closures = [], [], [], {}

    def state(self) -> int:
        self.by_word.append({})
        self.by_class.append({})
        self.eps.append([])
        return len(self.eps) - 1

    def closure(self, state: int) -> frozenset:
        found = self._closures.get(state)
        if found is None:
            seen, stack = {state}, [state]
            while stack:
                for nxt in self.eps[stack.pop()]:
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            found = self._closures[state] = frozenset(seen)
        return found

    def step(self, current, token) -> set:
        out = set()
        word, classes = token.word, token.classes
        for state in current:
            for target in self.by_word[state].get(word, ()):
                out |= self.closure(target)
            by_class = self.by_class[state]
            if by_class:
                for cls in classes:
                    for target in by_class.get(cls, ()):
                        out |= self.closure(target)
        return out

    def build(self, node, start: int) -> int:
        kind = node[0]
        if kind in ("class", "word"):
            end = self.state()
            table = self.by_word if kind == "word" else self.by_class
            table[start].setdefault(node[1], []).append(end)
            return end
        if kind == "seq":
            for part in node[1]:
                start = self.build(part, start)
            return start
        if kind == "alt":
            end = self.state()
            for branch in node[1]:  # states made inside a branch are its own, so it may share start
                self.eps[self.build(branch, start)].append(end)
            return end
        if kind == "opt":
            end = self.build(node[1], start)
            self.eps[start].append(end)
            return end
        entry = self.state()  # star: a fresh loop state, both its entry and its exit
        self.eps[start].append(entry)
        self.eps[self.build(node[1], entry)].append(entry)
        return entry


def _needs(node) -> set:
    kind = node[0]
    if kind == "class":
        return {node[1]}
    if kind == "seq":
        return set().union(*(_needs(part) for part in node[1])) if node[1] else set()
    if kind == "alt":
        branches = [_needs(branch) for branch in node[1]]
        return set.intersection(*branches) if branches else set()
    return set()


def _first(node, words: set, classes: set) -> bool:
    """Collect what the node's first token can be; True if the node can match nothing."""
    kind = node[0]
    if kind in ("opt", "star"):
        _first(node[1], words, classes)
        return True
    if kind == "seq":
        for part in node[1]:
            if not _first(part, words, classes):
                return False
        return True
    if kind == "alt":
        nullable = False
        for branch in node[1]:
            nullable |= _first(branch, words, classes)
        return nullable
    (classes if kind == "class" else words).add(node[1])
    return False


def _tokenize_pattern(source: str) -> list:
    out = []
    for piece in source.replace("(", " ( ").replace(")", " ) ").replace("|", " | ").split():
        if piece in ("?", "*") and out:
            out[-1] = (out[-1][0], out[-1][1], piece)
        elif piece.endswith(("?", "*")) and piece not in ("\\?",):
            out.append(("atom", piece[:-1], piece[-1]))
        else:
            out.append(("atom" if piece not in "()|" else piece, piece.replace("\\?", "?"), ""))
    return out


def _parse_alternatives(items: list, i: int, subs: dict) -> tuple:
    branches, sequence = [], []
    while i < len(items):
        kind, value, mark = items[i]
        if kind == ")":
            break
        if kind == "|":
            branches.append(("seq", sequence))
            sequence = []
            i += 1
            continue
        if kind == "(":
            node, i = _parse_alternatives(items, i + 1, subs)
            if i >= len(items):
                raise ValueError("unclosed group")
            mark = items[i][2]
        else:
            node = _atom(value, subs)
        sequence.append(("opt", node) if mark == "?" else ("star", node) if mark == "*" else node)
        i += 1
    branches.append(("seq", sequence))
    node = branches[0] if len(branches) == 1 else ("alt", branches)
    return node, i


def _atom(value: str, subs: dict):
    if value.startswith("<") and value.endswith(">"):
        name = value[1:-1]
        if name not in subs:
            raise ValueError(f"unknown sub-pattern <{name}>")
        return subs[name]
    if value.isupper():
        return ("class", value)
    return ("word", value)


class Scopes:
    """The scope patterns alone ("from now on", "for all agents", "just this once"): what the
    second reading (cues.py) needs, without compiling every frame (about 2 ms in a cold hook)."""

    def __init__(self) -> None:
        subs: dict = {}
        for name, source in SUBS.items():
            node, _ = _parse_alternatives(_tokenize_pattern(source), 0, subs)
            subs[name] = node
        self.subs = subs
        self.scopes = [(name, Pattern(f"<{name}>", subs)) for name in ("persist", "agents", "once")]
        # What a scope can start with: most tokens cannot start one, and are passed at a glance.
        self._scope_words = set().union(*(p.words for _name, p in self.scopes))
        self._scope_classes = set().union(*(p.classes for _name, p in self.scopes))

    def lift_scopes(self, tokens: list) -> tuple:
        """(tokens without scope phrases, {"persist", "agents", "once"} found)."""
        found, out, i = set(), [], 0
        words, classes = self._scope_words, self._scope_classes
        while i < len(tokens):
            token = tokens[i]
            if token.word not in words and classes.isdisjoint(token.classes):
                out.append(token)
                i += 1
                continue
            best, name = i, None
            for scope, pattern in self.scopes:
                if not pattern.can_start(tokens[i]):
                    continue
                end = max(pattern.ends(tokens, i), default=i)
                if end > best:
                    best, name = end, scope
            if name:
                found.add(name)
                i = best
            else:
                out.append(tokens[i])
                i += 1
        return out, found


class Grammar(Scopes):
    """The compiled frames, sub-patterns and the sets of literal words they use."""

    def __init__(self) -> None:
        super().__init__()
        subs = self.subs
        self.frames = [(tag, Pattern(source, subs)) for tag, source in FRAMES]
        # Which frames a clause's first token can start: by word and by class (and those that
        # can start with anything), so a clause tries a handful of frames, not all of them.
        self._by_first = _first_index(pattern for _tag, pattern in self.frames)
        self.status = [Pattern(source + " (\\?)?", subs) for source in STATUS_FRAMES]
        self._status_by_first = _first_index(self.status)
        self.check = [Pattern(source + " (\\?)?", subs) for source in CHECK_FRAMES]
        self.once_only = [Pattern(source, subs) for source in ONCE_ONLY_FRAMES]

    def frame(self, tokens: list, asked: bool, checking: bool = False) -> str | None:
        """The tag of the first frame matching all of `tokens`; only status frames for a question."""
        present = set().union(*(t.classes for t in tokens)) if tokens else set()
        status = self.status
        candidates = _candidates(self._status_by_first, tokens[0]) if tokens else range(len(status))
        if asked:
            probe = tokens + [_QUESTION]
            if any(status[i].needs <= present and status[i].full(probe) for i in candidates):
                return STATUS
            checks = checking and any(p.needs <= present and p.full(probe) for p in self.check)
            return STATUS if checks else None
        if tokens:
            for index in _candidates(self._by_first, tokens[0]):
                tag, pattern = self.frames[index]
                if pattern.needs <= present and pattern.full(tokens):
                    return tag
        if any(status[i].needs <= present and status[i].full(tokens) for i in candidates):
            return STATUS
        return None


def _first_index(patterns) -> dict:
    """first word or class -> the indices of the patterns a token so named can start ("" for any)."""
    index: dict = {}
    for i, pattern in enumerate(patterns):
        for key in (*pattern.words, *pattern.classes, *(("",) if pattern.nullable else ())):
            index.setdefault(key, []).append(i)
    return index


def _candidates(index: dict, first) -> list:
    """The indices, in order, of the patterns `first` can start."""
    found = set(index.get("", ()))
    found.update(index.get(first.word, ()))
    for cls in first.classes:
        found.update(index.get(cls, ()))
    return sorted(found)


class _Question:
    word, classes, vendor, fuzzy = "?", frozenset(), None, False


_QUESTION = _Question()


def literal_words() -> set:
    """Every literal word the grammar uses (each must be a lexicon word; tests check)."""
    words = set()
    for source in [*SUBS.values(), *(p for _, p in FRAMES), *STATUS_FRAMES, *CHECK_FRAMES, *ONCE_ONLY_FRAMES]:
        for _kind, value, _mark in _tokenize_pattern(source):
            if value and value not in "()|?" and not value.startswith("<") and not value.isupper():
                words.update(value.split())
    return words


def target_of(tokens: list):
    """The first target token, skipping one named only as a contrast ("instead of claude")."""
    for token in tokens:
        if TARGET in token.classes:
            return token
    return None


def direction(tag: str, target) -> str | None:
    """enable / disable from a frame's tag and its target's side."""
    external = target is None or EXT in target.classes
    claude = target is not None and CLAUDE in target.classes
    if tag == TO_CLAUDE:
        return "disable"
    if tag in (TOWARD, BARE, ASK, REPLACE, ASK_REF, ONCE_ONLY, WISH, AGENTS_TOWARD):
        return "enable" if external else "disable" if claude else None
    if tag in (AWAY, AWAY_REF, AGENTS_AWAY):
        return "disable" if external else "enable" if claude else None
    if tag == AWAY_EXT:
        return "disable"
    return None
