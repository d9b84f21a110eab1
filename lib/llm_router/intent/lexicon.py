"""The toggle's vocabulary: component-registry.json's `vendors` and `lexicon`, as word classes.

Every word or phrase of the lexicon belongs to one or more classes (USE, SEND, EXT, CLAUDE,
NEG, ...; docs/component-registry.md lists them). tokens() turns one clause into Tokens:
multi-word phrases are joined greedily, longest first ("go with", "from now on" is left to
the grammar), a vendor or model name takes its version and model words along ("gemini 2.5
pro", "gpt-5", "glm-4.6", "qwen3"), and a word the lexicon does not know stays a Token with
no class, which no grammar rule accepts. A misspelt word of five letters or more is read as the
lexicon word one edit away ("extrenal", "swich"), unless it is a real word listed in NEAR_MISSES.

No `re` and no imports at module level: this runs in the prompt hook.
"""

TARGET, EXT, CLAUDE, GENERIC = "T", "EXT", "CLAUDE", "GENERIC"
_VERSIONED = frozenset((TARGET, EXT))
_VERSIONED_CLAUDE = frozenset((TARGET, CLAUDE))  # "claude-sonnet-4-5", "opus-4.1": Claude's own models
_STRIP = "()[]{}<>\"*_~!?.,;:"
# Polite after a command ("switch to codex, if that works"), a condition before it ("then if that
# works, switch to codex": if the fix works).
OUTCOME_IFS = frozenset(("if that works", "if it works", "if this works"))
# Spellings and shorthands common enough to read as the word they stand for, before any typo
# correction (four letters or fewer are not corrected: too many real words are one edit away).
SPELLINGS = {"w/": "with", "wich": "which", "jus": "just", "jst": "just", "abt": "about", "msg": "message",
             "msgs": "messages", "ur": "your", "bak": "back", "w": "with", "em": "them", "'em": "them",
             "modles": "models", "modle": "model", "teh": "the", "cna": "can", "frm": "from", "gose": "goes",
             "sesh": "session", "untill": "until", "evry": "every", "evrything": "everything", "enuf": "enough",
             "mdoe": "mode", "moed": "mode"}
# Real words one edit away from a lexicon word: never read as a typo of it.
NEAR_MISSES = frozenset({"clause", "clauses", "codec", "codecs", "codes", "coded", "eternal", "internal",
                         "stitch", "stars", "swatch", "roster", "router", "routes", "modes", "modem",
                         "modal", "model", "agent", "agency", "enabler", "ember", "gemma", "claws",
                         "cloud", "clouds", "lama", "lamas", "llamas", "ollie", "copies", "pilot",
                         "rout", "routed", "sender", "sends", "users", "user", "uses", "usage",
                         "hands", "handled", "handles", "swatches", "switches", "stocks", "stops",
                         "extend", "extent", "extra", "enables", "handler", "leaves", "stack",
                         "start", "state", "stats", "status", "statue", "active", "action"})


class Token:
    __slots__ = ("word", "classes", "vendor", "fuzzy")

    def __init__(self, word: str, classes: frozenset = frozenset(), vendor: str | None = None,
                 fuzzy: bool = False) -> None:
        self.word, self.classes, self.vendor, self.fuzzy = word, classes, vendor, fuzzy

    def __repr__(self) -> str:
        return f"{self.word}/{'|'.join(sorted(self.classes)) or '?'}"


class Lexicon:
    def __init__(self, component: dict) -> None:
        from ..errors import ConfigError

        lexicon, vendors = component.get("lexicon"), component.get("vendors")
        if not isinstance(lexicon, dict) or not isinstance(vendors, dict):
            raise ConfigError("the component registry's external-mode-toggle has no lexicon/vendors",
                              "reinstall the plugin", json_path="$.components.external-mode-toggle")
        self._lexicon, self._vendors = lexicon, vendors
        names = [n for names in vendors.values() for n in names]
        # The gate (words/unknown) needs only these; the phrase index waits for a clause that passes.
        self.vocabulary = frozenset(" ".join([*names, *(p for ps in lexicon.values() for p in ps)]).lower().split())
        self.suffixes = frozenset(lexicon.get("MODEL_SUFFIX", ()))
        self.ask_words = frozenset(p.split()[0] for p in lexicon.get("ASK", ()))
        single = [n.lower() for n in (*names, *lexicon.get(EXT, ()), *lexicon.get(CLAUDE, ())) if " " not in n]
        self.targets = frozenset(single)
        self.stems = tuple(sorted({w for w in single if len(w) >= 3 and w.isalpha()}, key=len, reverse=True))
        self._phrases = None
        self._typos = None
        self._versions: dict = {}

    @property
    def phrases(self) -> dict:
        """first word -> [(words, classes, vendor)], longest first; built on first use."""
        if self._phrases is None:
            entries: dict = {}  # phrase tuple -> [classes, vendor]
            for cls, phrases in self._lexicon.items():
                for phrase in phrases:
                    self._add(entries, phrase, cls, None)
                    if cls == EXT:
                        self._add(entries, phrase, GENERIC, None)  # "external models", no vendor named
            for key, names in self._vendors.items():
                for name in names:
                    self._add(entries, name, EXT, key)
            for phrase in self._lexicon.get(CLAUDE, ()):
                self._add(entries, phrase, TARGET, None)
            index: dict = {}
            for words, (classes, vendor) in entries.items():  # (size, tail, text, classes, vendor)
                index.setdefault(words[0], []).append(
                    (len(words), list(words[1:]), " ".join(words), frozenset(classes), vendor))
            for options in index.values():
                options.sort(key=lambda option: -option[0])
            self._phrases = index
        return self._phrases

    @staticmethod
    def _add(entries: dict, phrase: str, cls: str, vendor: str | None) -> None:
        words = tuple(phrase.lower().split())
        if not words:
            return
        slot = entries.setdefault(words, [set(), None])
        slot[0].add(cls)
        if cls == EXT:
            slot[0].add(TARGET)
        if vendor:
            slot[1] = vendor

    # ---- words -----------------------------------------------------------------------------

    def words(self, clause: str) -> list:
        """The clause's words: outer punctuation off, a possessive or "-only" split off a name."""
        out = []
        raws = clause.split()
        for index, raw in enumerate(raws):
            word = raw.strip(_STRIP)
            if word in self.vocabulary and word != "2":
                out.append(word)  # the common case first
                continue
            word = SPELLINGS.get(raw) or SPELLINGS.get(word, word)
            if raw in ("->", "=>", "-->") or word == "2" and index + 1 < len(raws) and \
                    raws[index + 1].strip(_STRIP) in self.targets:
                word = "to"  # an arrow, or texting's "switch 2 gemini"
            if not word or not any(ch.isalnum() or ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in word):
                continue  # nothing, emoji or symbols, or bytes that were not UTF-8 (a lone surrogate stays unknown)
            if word in self.vocabulary or word == "\x00":
                out.append(word)
            elif word.endswith("'s") and word[:-2] in self.vocabulary:
                out.append(word[:-2])
            elif word.count("/") == 1 and word.partition("/")[0] in self.targets and word.partition("/")[2]:
                out.append(word.partition("/")[0])  # "openrouter/llama-3.3": a model id names its vendor first
            elif self._model_id(word):
                out.append(self._model_id(word))
            elif "-" in word and word.split("-", 1)[0] in self.vocabulary:
                head, _, rest = word.partition("-")
                out.extend([head, rest] if rest in ("only", "mode", "model", "models") else [word])
            else:
                out.append(word)
        return out

    def unknown(self, words: list) -> list:
        vocabulary = self.vocabulary
        return [w for w in words if w not in vocabulary and (w.isalpha() or not self._versioned(w)
                and not (any(ch.isdigit() for ch in w) and self._version_part(w)))]

    def _model_id(self, word: str) -> str | None:
        """The model in an id a router or a local server spells ("moonshotai/kimi-k2",
        "openrouter/qwen/qwen3-coder", "qwen3-coder:30b", "anthropic/claude-sonnet-4.5"): the
        last path segment without its ":tag", when that is a model's name. Not a file path
        ("src/gemini/client.py": a segment with an extension is no name)."""
        if "/" not in word and ":" not in word or word[:1] in "/.~":
            return None
        name = word.rsplit("/", 1)[-1].partition(":")[0]
        if name in self.targets or "-" in name and name.split("-", 1)[0] in self.targets \
                and not name.endswith((".py", ".js", ".ts", ".md", ".json", ".yaml", ".yml")) or self._versioned(name):
            return name
        return None

    def versioned(self, word: str) -> str | None:
        return self._versioned(word)

    def _versioned(self, word: str) -> str | None:
        """The name in "gpt-5", "glm-4.6", "qwen3", "claude-sonnet-4.5"; None for "gemini-style"."""
        if "-" not in word and not any(ch.isdigit() for ch in word):
            return None
        if word not in self._versions:
            if len(self._versions) > 512:
                self._versions.clear()
            self._versions[word] = self._find_version(word)
        return self._versions[word]

    def _find_version(self, word: str) -> str | None:
        for stem in self.stems:
            if word.startswith(stem) and len(word) > len(stem):
                rest = word[len(stem):].lstrip("-")
                parts = [p for p in rest.split("-") if p]
                if parts and all(self._version_part(p) for p in parts):
                    return stem
        return None

    def _version_part(self, part: str) -> bool:
        return part in self.suffixes or part in self.vocabulary and part in ("sonnet", "opus", "haiku") \
            or any(ch.isdigit() for ch in part) and all(ch.isalnum() or ch == "." for ch in part)

    def correct(self, word: str) -> str | None:
        """The one lexicon word a typo of five letters or more is one edit away from, or None."""
        if len(word) < 4 or word in NEAR_MISSES or not word.isalpha():
            return None
        if len(word) == 4:  # four letters: only two swapped ("bakc"), too many real words are one edit away
            swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(3)}
            found = sorted(w for w in swaps if w in self.vocabulary and w not in NEAR_MISSES)
            return found[0] if len(found) == 1 else None
        if self._typos is None:
            self._typos = _deletion_index(w for w in self.vocabulary if len(w) >= 5 and w.isalpha())
        found = set(self._typos.get(word, ()))
        for i in range(len(word)):
            found.update(self._typos.get(word[:i] + word[i + 1:], ()))
        found = sorted(w for w in found if w[0] == word[0] and _one_edit(word, w))
        return found[0] if len(found) == 1 else None

    # ---- tokens ----------------------------------------------------------------------------

    def tokens(self, words: list, fuzzy: frozenset = frozenset()) -> list:
        """Tokens for the words; `fuzzy` holds the corrected words (flagged on their tokens)."""
        phrases = self.phrases
        out, i, n = [], 0, len(words)
        while i < n:
            word = words[i]
            for size, tail, text, classes, vendor in phrases.get(word, ()):
                if size == 1 or i + size <= n and words[i + 1] == tail[0] and words[i + 1:i + size] == tail:
                    out.append(Token(text, classes, vendor, word in fuzzy))
                    i += size
                    break
            else:
                stem = self._versioned(word)
                if stem:
                    claude = any(CLAUDE in entry[3] for entry in self.phrases.get(stem, ()))
                    out.append(Token(word, _VERSIONED_CLAUDE if claude else _VERSIONED, self._vendor_of(stem)))
                else:
                    out.append(Token(word))
                i += 1
            if TARGET in out[-1].classes and i < n:
                i = self._absorb_model_words(words, i, out[-1])
        return out

    def _vendor_of(self, stem: str) -> str | None:
        for _size, _tail, _text, classes, vendor in self.phrases.get(stem, ()):
            if vendor or CLAUDE in classes:
                return vendor
        return None

    def _absorb_model_words(self, words: list, i: int, token: Token) -> int:
        """"gemini 2.5 pro", "gpt 5", "glm model": the version and model words join the name."""
        while i < len(words) and (words[i] in self.suffixes or self._version_part(words[i])
                                  and any(ch.isdigit() for ch in words[i])):
            token.word += " " + words[i]
            i += 1
        return i


def _deletion_index(words) -> dict:
    index: dict = {}
    for word in words:
        index.setdefault(word, []).append(word)
        for i in range(len(word)):
            index.setdefault(word[:i] + word[i + 1:], []).append(word)
    return index


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (one insertion, deletion, substitution or swap)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    if a[i + 1:] == b[i + 1:]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]
