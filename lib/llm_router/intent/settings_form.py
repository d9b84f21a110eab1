"""Settings typed as settings: "external=off", "routing: ?", "mode: external⏎vendor: copilot",
"pa off — done with the experiment", "/pa on, vendor codex, model gpt-5-codex".

The whole prompt (up to a reason after a dash) must be one to four `key value` pairs, `key:
value` or `key=value`, separated by lines, commas or semicolons; anything else is left to the
grammar. The keys and values are the plugin's own syntax, so they live here, not in the
registry's vocabulary. Standard library only: the UserPromptSubmit hook reads this.
"""

# key -> what it sets
_KEYS = {"/pa": "switch", "/llm-router:pa": "switch", "pa": "switch", "--external": "switch",
         "external": "switch", "external mode": "switch", "ext": "switch", "ext mode": "switch",
         "external routing": "switch", "routing": "switch", "router": "switch", "llm-router": "switch",
         "offloading": "switch", "delegation": "switch", "external models": "switch",
         "mode": "mode", "router.mode": "mode", "routing.mode": "mode", "llm-router.mode": "mode",
         "external_mode": "switch", "external-mode": "switch", "external.mode": "switch", "toggle external": "switch",
         "vendor": "vendor", "provider": "vendor", "prefer": "vendor",
         "--prefer": "vendor", "backend": "vendor", "target": "vendor", "model": "model", "default model": "model",
         "scope": "scope", "until": "scope", "effective": "scope", "applies to": "scope", "duration": "scope",
         "reason": "note", "why": "note", "note": "note", "because": "note",
         "task": "task", "prompt": "task", "request": "task", "job": "task"}
_FREE_TEXT = ("note", "task", "scope")  # keys whose value is prose: "reason: client NDA", "scope: rest of session"
_THANKS = ("thx", "thanks", "pls", "please", "plz", "ty", "cheers")
_SWITCH = {"on": "enable", "true": "enable", "yes": "enable", "enabled": "enable", "enable": "enable",
           "1": "enable", "off": "disable", "false": "disable", "no": "disable", "disabled": "disable",
           "disable": "disable", "0": "disable", "?": "status", "??": "status", "status": "status"}
_MODE = {"external": "enable", "ext": "enable", "claude": "disable", "anthropic": "disable",
         "normal": "disable", "default": "disable", "?": "status", "??": "status",
         "once": "once", "one-off": "once", "oneoff": "once", "single-use": "once"}
_TAKEBACK = frozenset(("ignore", "nvm", "never", "forget", "kidding", "jk", "wait", "scratch", "not", "don't",
                       "dont", "undo", "oops", "wrong"))
_DASHES = (" — ", " – ", " -- ", " - ")
MAX_PAIRS = 4
_LONGEST_FIRST = sorted(_KEYS, key=len, reverse=True)  # "external mode" before "external"


def read(text: str, vendor_of) -> tuple | None:
    """(action, vendor or None) when the prompt is settings and they agree, else None.
    vendor_of(word) names the vendor a value means (the registry's vendors), or None."""
    head = text.strip().lower()
    for dash in _DASHES:  # "pa off — done with the experiment": the reason is no setting
        head = head.split(dash, 1)[0]
    if head.startswith(("/pa ", "pa ", "/llm-router:pa ")) and "\n" not in head.strip():
        # "/pa status? need to know before the deploy": a reason on the same line; not a take-back
        if not _TAKEBACK.isdisjoint(head.replace(",", " ").split()):
            return None
        for stop in ("? ", "… ", "... ", ". ", "! "):
            head = head.replace(stop, stop.rstrip() + "\n", 1)
    segments = [s.strip() for line in head.split("\n") for part in line.split(",") for s in part.split(";")]
    segments = [w for s in segments for w in (s.split() if s.count("=") > 1 else [s])]  # "mode=external vendor=x"
    segments = [_unthanked(s) for s in segments if s and s not in _THANKS]
    if not segments or len(segments) > MAX_PAIRS:
        return None
    first = _pair(segments[0])
    if first and first[0] in ("/pa", "/llm-router:pa", "pa") and "\n" not in text.strip() \
            and not any(_pair(s) for s in segments[1:]):
        segments = segments[:1]  # "/pa off, the quota's back": the command's own name, then a reason
    actions, named, modelled, tasks = set(), [], [], 0
    for segment in segments:
        pair = _pair(segment)
        if pair is None:
            return None
        kind, value = _KEYS[pair[0]], pair[1]
        if kind in ("scope", "note", "task"):
            tasks += kind == "task"
            continue
        if kind in ("vendor", "model"):
            (named if kind == "vendor" else modelled).append(vendor_of(value))
            continue
        action = (_MODE if kind == "mode" else _SWITCH).get(value)
        vendor = vendor_of(value) if action is None and kind == "switch" else None
        if vendor:
            action = "enable"  # "router: 2.5 pro": the model to route to
            named.append(vendor)
        if action is None:
            return None
        actions.add(action)
    if len(actions) != 1 or tasks and actions != {"once"}:
        return None  # no switch at all ("model: gpt-5"), two that disagree, or a task for a mode change
    action = actions.pop()
    vendors = {v for v in (named or modelled) if v}
    if action == "once" and not (tasks and vendors):
        return None  # a one-off needs its request and a model to ask
    return action, vendors.pop() if action in ("enable", "once") and len(vendors) == 1 else None


def _unthanked(segment: str) -> str:
    """"pa off thx": a thanks after the value is no part of it."""
    words = segment.split()
    return " ".join(words[:-1]) if len(words) > 2 and words[-1] in _THANKS else segment


def _pair(segment: str) -> tuple | None:
    """("key", "value") for "key: value", "key=value" or "key value"; the longest key wins."""
    for key in _LONGEST_FIRST:
        if not segment.startswith(key):
            continue
        rest = segment[len(key):]
        if rest[:1] not in (":", "=", " "):
            continue
        value = rest.lstrip(" :=").strip().rstrip(".!…").strip()
        if value.endswith("?") and value.rstrip("?") in _SWITCH:
            value = "?"  # "external on?", "/pa status?": a question about the setting
        if value and (" " not in value or _KEYS[key] in _FREE_TEXT or _KEYS[key] in ("switch", "vendor", "model")
                      and len(value.split()) <= 3):
            return key, value
    return None
