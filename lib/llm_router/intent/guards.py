"""What the user did not say themselves: quoted material, code, comments. And where clauses end.

Quoted material never toggles: a ``` or ~~~ fence (to its closing fence, or the end), an
indented code line (four spaces or a tab), a markdown block quote (`> ...`), a line opening
with "#", "//" or "--" (a heading or a code comment: labels, not instructions), a markdown
table row ("| switch to gemini | enable |": data), lines of a
pasted conversation (two or more lines opening "Name:"), an HTML comment
(`<!-- ... -->`, across lines too), inline code (`...`) and text in quotation marks ("...",
“...”, «...», '...'). Each is replaced by QUOTED, a word no lexicon entry contains, so the
clause around it keeps its shape ("the docs say QUOTED") and can never be a command.

Standard library only and no `re`: the prompt hook runs this on every prompt naming a keyword.
"""

QUOTED = "\x00"
_FENCES = ("```", "~~~")
_MARKS = ("`", '"', "'", "<!--", "~~~", ">", "\t", "#", "//", "--", ":", "|")
_QUOTE_MAP = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x00AB: '"', 0x00BB: '"',
              0x00A0: " ", 0x2014: " - ", 0x2013: " - ", 0x2026: ". ", 0x2192: " to ", 0x21D2: " to "}


def strip_quoted(text: str) -> str:
    """The text with every quoted or code span replaced by QUOTED (line structure kept)."""
    text = text.translate(_QUOTE_MAP)
    if not any(mark in text for mark in _MARKS) and "    " not in text:
        return text  # nothing quoted: the common case, without the line-by-line walk
    out, fence, in_comment = [], None, False
    lines = text.split("\n")
    transcript = sum(1 for line in lines if _speaker(line)) >= 2
    log = sum(1 for line in lines if _stamped(line)) >= 2
    for line in lines:
        if (transcript or _someone_else(line, text)) and _speaker(line) or log and _stamped(line):
            out.append(QUOTED)  # "User: switch to gemini⏎Assistant: done": a pasted conversation; a log
            continue
        if fence:
            if line.lstrip().startswith(fence):
                fence = None
            out.append(QUOTED)
            continue
        if in_comment:
            end = line.find("-->")
            if end < 0:
                out.append(QUOTED)
                continue
            in_comment, line = False, QUOTED + " " + line[end + 3:]
        body = line.lstrip(" ")
        if body[:3] in _FENCES:
            fence = body[:3]
            out.append(QUOTED)
        elif line.startswith("\t") or len(line) - len(body) >= 4 or body.startswith((">", "#", "//", "--", "|")):
            out.append(QUOTED)  # indented code, a block quote, a heading, a code comment or a table row
        else:
            line, in_comment = _strip_comments(line)
            out.append(_strip_inline(line))
    return "\n".join(out)


def own_sections(text: str, why: bool = True) -> str:
    """A prompt written as a document of the user's own sections ("Context: ...⏎Task: ...⏎
    Constraints: ..."): the labels dropped, so each section is read as the user's own line, not as
    a pasted conversation ("User: ...⏎Assistant: ...") or a label of someone else's text. Two
    such labelled lines or more make it a document; one alone ("Task: switch the summarizer to
    gemini", a ticket's field) is left as it is, unless its label asks ("Question: ..."). With
    `why` false, the sections that only say why ("Context:", "Background:") are left out, with
    the lines under them: the request is read without the story around it."""
    if ":" not in text:
        return text
    if len(text) > DOCUMENT_HEAD:  # a long paste below the sections is left as it is, unsplit
        cut = text.rfind("\n", 0, DOCUMENT_HEAD) + 1 or DOCUMENT_HEAD
        return own_sections(text[:cut], why) + text[cut:]
    lines = text.split("\n")
    labelled = {i for i, line in enumerate(lines) if _section(line)}
    if not labelled or len(labelled) == 1 and _label(lines[min(labelled)]) not in _ASKING or _assigned_away(lines):
        return text
    out, skipping = [], False
    for i, line in enumerate(lines):
        if i in labelled:
            skipping = not why and _label(line) in _WHY
            head, _colon, line = line.partition(":")
            line = (head[head.find("("):] + " " if "(" in head else "") + line.lstrip("* ")  # "Request (this prompt only):"
        elif not line.strip():
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def _assigned_away(lines: list) -> bool:
    """A ticket whose owner is someone else ("Owner: platform team"): their work, not the user's request."""
    return any(_label(line) in ("owner", "assignee", "assigned to")
               and line.partition(":")[2].strip(" .").lower() not in _ASSISTANT for line in lines)


_ASSISTANT = frozenset(("you", "assistant", "the assistant", "claude", "me", "ai", "you (assistant)", "claude code"))


def is_document(text: str) -> bool:
    """Two lines or more of its opening open with a section label of the user's own (own_sections)."""
    head = text[:DOCUMENT_HEAD]
    if ":" not in head or "\n" not in head:
        return False
    lines = head.split("\n")
    return sum(1 for line in lines if _section(line)) >= 2 and not _assigned_away(lines)


DOCUMENT_HEAD = 2000  # where a document's labels are looked for: a long paste is not split line by line


def _label(line: str) -> str:
    """"Request (persistent): ..." -> "request"."""
    return line.partition(":")[0].partition("(")[0].strip(" *-•").lower()


def _section(line: str) -> bool:
    return ":" in line and _label(line) in _SECTIONS


# The labels of a prompt written as a document: what the writer wants, and the why around it.
# Not labels of someone else's text ("example", "output", "log", "error", "expected"), nor
# speakers ("user", "me", "bot").
_SECTIONS = frozenset(("context", "background", "situation", "task", "tasks", "ask", "request", "question",
                       "goal", "goals", "objective", "aim", "instruction", "instructions", "action", "actions",
                       "constraints", "constraint", "requirements", "notes", "afterwards", "after", "then",
                       "next", "verification", "scope", "priority", "reason", "why", "problem", "summary",
                       "setup", "rules", "todo", "to do", "plan", "details", "preferences", "preference",
                       "out of scope", "deadline", "first task", "next task", "follow-up", "followup", "description",
                       "acceptance", "acceptance criteria", "owner", "assignee", "asks", "ask for you", "request for you"))
_WHY = frozenset(("context", "background", "situation", "reason", "why", "problem"))
_ASKING = frozenset(("question", "ask", "request", "instruction", "instructions"))


_THIRD_PERSON = (" she ", " he ", " her ", " his ", " they said", " she's ", " he's ")


def _someone_else(line: str, text: str) -> bool:
    """One pasted "Priya: switch to codex ..." line: a name the rest of the prompt speaks of
    ("what Priya is asking", "she says that every week", "mika: ... she asked me that"), not the
    user's own "Codex: review this" or "URGENT: ..."."""
    head = line.partition(":")[0].strip()
    if not head.isalpha() or head.isupper():
        return False  # "URGENT: ..." is the user's own tag
    rest = " " + text.replace(line, " ").lower().replace(",", " ").replace(".", " ") + " "
    return f" {head.lower()} " in rest or any(word in rest for word in _THIRD_PERSON)


def _stamped(line: str) -> bool:
    """"10:47 router: external mode disabled", "2026-12-01T10:02:11Z ...", "[router] falling back to
    claude": a line of a log, by its time stamp or its bracketed source."""
    if line[:1] == "[" and "]" in line[3:24] and line[1:line.index("]")].replace("-", "").replace("_", "").isalnum():
        return True
    head = line.lstrip("[ ").split(" ", 1)[0].split("T", 1)[0]
    digits = head.replace(":", "").replace("-", "").replace(".", "").rstrip("]")
    return len(head) >= 4 and digits.isdigit() and (":" in head or head.count("-") == 2)


def _speaker(line: str) -> bool:
    """"User: ...", "Me: ...": a line that opens with a one-word name and a colon."""
    head, colon, _ = line.partition(":")
    return bool(colon) and 0 < len(head) <= 12 and head.strip().isalpha() and head == head.strip()


def _strip_comments(line: str) -> tuple:
    while True:
        start = line.find("<!--")
        if start < 0:
            return line, False
        end = line.find("-->", start + 4)
        if end < 0:
            return line[:start] + " " + QUOTED, True
        line = line[:start] + " " + QUOTED + " " + line[end + 3:]


def _strip_inline(line: str) -> str:
    """Backtick spans and quotation marks on one line; an unclosed one runs to the line's end."""
    out, i, n = [], 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "`" or ch == '"' or (ch == "'" and _opens_single(line, i)):
            close = line[i]
            run = 1
            if close == "`":
                while i + run < n and line[i + run] == "`":
                    run += 1
            end = _closing(line, i + run, close * run)
            inside = line[i + run:end].rstrip() if end >= 0 else ""
            if close != "`" and _scare_quoted(inside) and not any(mark in line for mark in "=(){}[];<>"):
                out.append(inside)  # "have the 'Codex' program do the work": a name held at arm's length
            else:  # "... says 'Step 3: enable external models.' So, enable them": the quote ended a sentence
                out.append(" " + QUOTED + (inside[-1] if inside and inside[-1] in ".!?" else "") + " ")
            i = n if end < 0 else end + run
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _scare_quoted(inside: str) -> bool:
    """One plain word in quotation marks ('GLM', "agents") in prose, which names a thing; not a phrase
    someone said or a command to quote ('go external'), nor a value in code."""
    return 0 < len(inside) <= 24 and " " not in inside and inside.replace("-", "").replace(".", "").isalnum() \
        and inside.lower() not in _STATE_WORDS


def _opens_single(line: str, i: int) -> bool:
    """A ' opens a quote only where a word cannot continue: not in "let's" or "users'"."""
    before = line[i - 1] if i else " "
    after = line[i + 1] if i + 1 < len(line) else " "
    return not before.isalnum() and not after.isspace()


def _closing(line: str, start: int, mark: str) -> int:
    if mark != "'":
        return line.find(mark, start)
    i = start
    while True:
        i = line.find("'", i)
        if i < 0:
            return -1
        after = line[i + 1] if i + 1 < len(line) else " "
        if not after.isalnum():
            return i
        i += 1


_SPOKEN = {"period": ".", "comma": ",", "full stop": ".", "question mark": "?", "new line": "\n"}
# "the trial period", "a comma": a word before it that makes it a noun
_NOUN_BEFORE = frozenset(("the", "a", "an", "this", "that", "each", "every", "one", "trial", "billing", "grace",
                          "time", "same", "waiting", "cooling", "retention", "free", "sprint", "review", "test",
                          "trailing", "missing", "extra", "no", "per", "of"))


def spoken_punctuation(text: str) -> str:
    """Dictation's words for punctuation, as punctuation ("switch back to claude for everything
    period" ends a sentence): a lower-cased prompt in, the same with those words replaced."""
    if not any(word in text for word in _SPOKEN):
        return text
    words, out, i = text.split(" "), [], 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        spoken = pair if pair in _SPOKEN else words[i] if words[i] in _SPOKEN else None
        if spoken and out and out[-1] and out[-1] not in _NOUN_BEFORE and out[-1][-1:].isalnum():
            out[-1] += _SPOKEN[spoken]
            i += len(spoken.split())
            continue
        out.append(words[i])
        i += 1
    return " ".join(out)


# ---- clauses ------------------------------------------------------------------------------------

_BREAK = "\x01"


def clauses(text: str) -> list:
    """[(clause, mark, line number)] where mark is what ended it: "?", ":", ".", "!", ";", ",", "-", "\\n",
    "&" (a conjunction: "and then", "but", "because") or "" (the end).

    A clause ends at a newline, at . ! ? ; , : followed by a space or the end (so "z.ai",
    "glm-4.6" and "llama.cpp" stay whole), at a dash between spaces, and before a joining
    word. "external mode: on" stays one clause: a colon before a bare on/off/status is part of
    the phrase.
    """
    out = []
    for number, line in enumerate(text.split("\n")):
        line = line.replace(" - ", " -" + _BREAK).replace(" -- ", " -" + _BREAK) + " "
        if ") " in line:  # "plan: 1) fix the jitter 2) put the agents on gemini 3) ...": a list on one line
            for digit in "123456789":
                line = line.replace(f" {digit}) ", " " + _BREAK)
            line = line[3:] if line[:1].isdigit() and line[1:3] == ") " else line
        for stop in ".!?;,:":
            if stop in line:
                line = line.replace(stop + " ", stop + _BREAK).replace(stop + "\t", stop + _BREAK)
        pieces = line.split(_BREAK)
        for index, piece in enumerate(pieces):
            body = piece.rstrip()
            core = body.rstrip(".!?;,:-")
            mark = body[len(core):]
            if mark[-1:] in (":", "-", ",") and index + 1 < len(pieces) and (
                    pieces[index + 1].strip().rstrip("?!. ") in _STATE_WORDS
                    or pieces[index + 1].split()[:1] in (["on"], ["off"]) or core.strip() == "status"):
                pieces[index + 1] = core + " " + pieces[index + 1]
                continue
            if index == 0 and mark == "." and len(pieces) > 1 and core.strip().isdigit() and len(core) <= 3:
                continue  # "1. use gemini for all subagents": a list number is not a clause
            _add(out, core, "?" if "?" in mark else mark[-1:] if mark else "", number)
        if out and out[-1][1] == "":
            out[-1] = (out[-1][0], "\n", out[-1][2])
    if out and out[-1][1] == "\n":
        out[-1] = (out[-1][0], "", out[-1][2])
    return out


def _add(out: list, clause: str, mark: str, line: int) -> None:
    words = clause.split()
    if words[:1] == ["so"] and words[1:2] and words[1] not in _NOT_AFTER_SO and out and out[-1][2] == line \
            and out[-1][1] in (",", "-", "&"):
        out[-1] = (out[-1][0], ".", line)  # "the guide says to turn routing off, so turn it off": the user's own conclusion
    pieces = _conjunctions(words)
    out.extend((piece, joint, line) for piece, joint in pieces[:-1])
    if pieces[-1][0]:
        out.append((pieces[-1][0], mark, line))


_STATE_WORDS = ("on", "off", "status", "on or off", "off or on", "enabled", "disabled", "active")
# Joined clauses: "enable external mode and then refactor the auth module". Never "or", which
# joins the alternatives of a question ("claude or gpt?").
_CONJUNCTIONS = frozenset(("and", "then", "but", "because", "since", "cause", "cuz", "coz", "plus"))


_JOINS = _CONJUNCTIONS | {"so"}


def _list_marker(word: str) -> bool:
    return len(word) <= 3 and word[-1:] == ")" and word[:-1].isdigit()


_NOT_AFTER_SO = frozenset(("kind", "that", "much", "many", "far", "long", "good", "sure", "as", "so", "i", "we"))


def _conjunctions(words: list) -> list:
    """[(piece, how it ends)]: "&" before a joining word, "." before a list number."""
    if _JOINS.isdisjoint(words[:-1]) and not any(word[-1:] == ")" for word in words):
        return [(" ".join(words), "")]  # the common case: one piece
    pieces, current = [], []
    for index, word in enumerate(words):
        if _list_marker(word):  # "1) switch to gemini 2) fix the tests": each item is a clause
            if current:
                pieces.append((" ".join(current), "."))
            current = []
            continue
        joins = (word in _CONJUNCTIONS and not (word == "because" and current[-1:] == ["not"])  # "not because ..."
                 or word == "so" and words[index + 1:index + 2] and words[index + 1] not in _NOT_AFTER_SO)
        # "out of credits so use codex", not "so kind as to"
        if joins and index + 1 < len(words):  # "until I say so" keeps its "so"
            if current:
                pieces.append((" ".join(current), "." if word == "so" else "&"))
            current = []
        else:
            current.append(word)
    if current:
        pieces.append((" ".join(current), ""))
    return pieces or [("", "")]
