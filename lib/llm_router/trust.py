"""Trust for a repository's `.claude/llm-router.json` (like `direnv allow`).

Every repository is untrusted: llm-router runs in projects cloned from strangers. A project
file may only choose among what the user already configured (models, endpoints) and tighten
limits; everything else (a program to run, its arguments or environment, an address, a key
variable, a file path, jq code, a new model or endpoint, a wider agent redirect or scope, a
looser budget) needs the user's trust in that exact file. A file that asks for anything
outside the allow-list (`SAFE` below, the one table that decides) is ignored as a whole until
`llm-router policy trust` records its real path and sha256 in the data dir; any edit changes
the hash and the file is ignored again until it is trusted again.

The allow-list is walked over the project file's own keys and compared with the merged
shipped + user policy below it ("lower"), so "already configured" and "only tightens" mean
what the user set, never what another project file set. Standard library only: the hooks
call this through policy.load_policy_quietly().
"""

import os

from . import paths
from .io import fastjson

TRUST_FILE = "trusted-projects.json"
DESCEND = object()  # a check's answer: fine so far, look at the keys inside
WILDCARDS = frozenset("*?[")

# ---- the checks: (value, lower value at the same path, lower policy, path) -> None | why not


def _anything(value, lower_value, lower, path):
    return None


def _models(lower: dict) -> dict:
    models = lower.get("external_models")
    return models if isinstance(models, dict) else {}


def _known_model(value, lower_value, lower, path):
    if isinstance(value, str) and value in _models(lower):
        return None
    return "names a model the user has not configured"


def _known_models(value, lower_value, lower, path):
    if value is None or (isinstance(value, list) and all(_known_model(v, None, lower, path) is None for v in value)):
        return None
    return "names a model the user has not configured"


def _route(value, lower_value, lower, path):
    """A task route: a configured model, or {model, fallbacks} of configured models; null removes it."""
    if value is None or isinstance(value, str):
        return None if value is None else _known_model(value, None, lower, path)
    if isinstance(value, dict) and set(value) <= {"model", "fallbacks"}:
        return _known_model(value.get("model"), None, lower, path) or _known_models(
            value.get("fallbacks"), None, lower, path)
    return "is not a model choice"


def _at_most(default):
    """A number that may only go down (a cap that only tightens); `default` when unset below."""
    def check(value, lower_value, lower, path):
        ceiling = lower_value if lower_value is not None else default
        if not _number(value):
            return "removes or changes a limit"
        if ceiling is not None and _number(ceiling) and value > ceiling:
            return f"loosens a limit ({value} > {ceiling})"
        return None
    return check


def _at_least_one_and_at_most(default):
    """runaway_max_repeats: 0 turns the guard off, so only 1..lower is tighter."""
    below = _at_most(default)

    def check(value, lower_value, lower, path):
        if _number(value) and value < 1:
            return "turns a guard off"
        return below(value, lower_value, lower, path)
    return check


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _no_wider(order: tuple, default: str):
    """An enum whose values are listed narrowest first; only an equal or narrower one is safe."""
    def check(value, lower_value, lower, path):
        current = lower_value if lower_value in order else default
        if value in order and order.index(value) <= order.index(current):
            return None
        return f"widens '{current}' to '{value}'"
    return check


def _false_or_unset(value, lower_value, lower, path):
    return None if value in (False, None) else "turns on writing prompts and answers to files"


def _read_only(value, lower_value, lower, path):
    return None if value == "read-only" else "lets an agent write or run commands"


def _plain_names(value, lower_value, lower, path):
    """agents.include: named agents only; a wildcard is external_for "all" by another name."""
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) and not WILDCARDS & set(v) for v in value):
        return None
    return "redirects agents by wildcard (only plain agent names are allowed)"


def _keeps_exclusions(value, lower_value, lower, path):
    """agents.exclude: a list replaces the one below, so it must keep every user exclusion."""
    kept = lower_value if isinstance(lower_value, list) else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and set(kept) <= set(value):
        return None
    return "drops an agent the user excluded"


def _empty_rules(value, lower_value, lower, path):
    return None if value in ([], None) else "runs jq code"


def _existing_model(value, lower_value, lower, path):
    return DESCEND if path[-1] in _models(lower) and isinstance(value, dict) else "adds a model"


# ---- the one table: what a project file may set without trust -----------------------------
# A path element "*" matches any key. A key without an entry, and not below a DESCEND entry,
# needs trust. Anything absent here is unsafe by default, so a new policy key starts unsafe.
SAFE = {
    ("$schema",): _anything,
    ("$comment",): _anything,
    ("version",): _anything,
    ("claude_to_external_map", "*"): _known_model,
    ("task_routing", "*"): _route,
    ("routing", "long_context_tokens"): _anything,
    ("routing", "max_hops"): _at_most(None),
    ("routing", "deadline_s"): _at_most(None),
    ("routing", "call_timeout_s"): _at_most(None),
    ("routing", "retries"): _at_most(None),
    ("rules",): _empty_rules,
    ("agents", "external_for"): _no_wider(("none", "plugin", "all"), "plugin"),
    ("agents", "include"): _plain_names,
    ("agents", "exclude"): _keeps_exclusions,
    ("agents", "scope", "*"): _read_only,
    ("budgets", "daily_usd"): _at_most(None),
    ("budgets", "monthly_usd"): _at_most(None),
    ("budgets", "session_calls"): _at_most(None),
    ("budgets", "runaway_max_repeats"): _at_least_one_and_at_most(10),
    ("budgets", "on_exceed"): _no_wider(("refuse", "fallback"), "refuse"),
    ("budgets", "fallback_model"): _known_model,
    ("tracing", "trace"): _false_or_unset,
    ("tracing", "transcripts"): _false_or_unset,
    ("external_models", "*"): _existing_model,
    ("external_models", "*", "fallbacks"): _known_models,
    ("external_models", "*", "use_cases"): _anything,
    ("external_models", "*", "vendor"): _anything,
}
# Why a whole section needs trust, for the warning.
SECTION_REASONS = {
    "providers": "names programs, arguments or environment to run",
    "endpoints": "names addresses and key variables",
    "tracing": "names where files are written",
    "rules": "runs jq code",
    "external_models": "changes which program or address serves a model",
    "pricing": "changes the prices budgets count",
}


def _entry(path: tuple):
    for pattern, check in SAFE.items():
        if len(pattern) == len(path) and all(p in ("*", k) for p, k in zip(pattern, path)):
            return check
    return None


def _has_entries_below(path: tuple) -> bool:
    return any(len(p) > len(path) and all(a in ("*", k) for a, k in zip(p, path)) for p in SAFE)


def _lower_at(lower: dict, path: tuple):
    node = lower
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def unsafe_settings(project: dict, lower: dict) -> list[tuple[tuple, str]]:
    """[(path, why)] for every key of `project` that needs trust, given the policy below it."""
    problems: list = []
    _walk(project, (), lower, problems)
    return problems


def _walk(node: dict, where: tuple, lower: dict, problems: list) -> None:
    for key, value in node.items():
        path = (*where, key)
        check = _entry(path)
        verdict = check(value, _lower_at(lower, path), lower, path) if check else None
        if check and verdict is None:
            continue
        if (verdict is DESCEND or (check is None and _has_entries_below(path))) and isinstance(value, dict):
            _walk(value, path, lower, problems)
        elif verdict is not None and verdict is not DESCEND:
            problems.append((path, verdict))
        else:
            problems.append((path, SECTION_REASONS.get(path[0], "is not a setting a repository may change")))


def describe(problems: list[tuple[tuple, str]], limit: int = 3) -> str:
    """"$.providers (names programs ...), $.endpoints.x (...)" - the first few."""
    from .policy import json_path  # same layer; only on the warning path

    text = ", ".join(f"{json_path(list(p))} ({why})" for p, why in problems[:limit])
    return text + (f" and {len(problems) - limit} more" if len(problems) > limit else "")


# ---- the record ---------------------------------------------------------------------------

class Verdict:
    """What llm-router decided about a project file.

    status: "absent" (no file), "safe" (only safe keys: used), "trusted" (unsafe keys, this
    exact content trusted: used), "untrusted" (unsafe keys, never trusted: ignored),
    "changed" (unsafe keys, a different content was trusted: ignored), "unreadable" (not a
    regular JSON file: unused, and an error for the CLI).
    """

    __slots__ = ("status", "path", "real_path", "sha256", "problems")

    def __init__(self, status: str, path: str, real_path: str = "", sha256: str = "",
                 problems: list | None = None) -> None:
        self.status, self.path, self.real_path = status, path, real_path
        self.sha256, self.problems = sha256, problems or []

    @property
    def used(self) -> bool:
        return self.status in ("absent", "safe", "trusted")

    def reason(self) -> str:
        """Why the file is ignored and how to use it anyway."""
        why = ("it changed since you trusted it" if self.status == "changed"
               else "it sets what only a trusted file may set")
        return (f"{why}: {describe(self.problems)}; if you wrote or reviewed it, "
                f"run `llm-router policy trust` in this project")

    def warning(self) -> str:
        """One line for the user: what was ignored, why, and how to fix it."""
        return f"ignored {self.path}: {self.reason()}"

    def as_json(self) -> dict:
        from .policy import json_path

        return {"status": self.status, "file": self.path, "real_path": self.real_path or None,
                "sha256": self.sha256 or None, "used": self.used,
                "needs_trust": [{"path": json_path(list(p)), "why": why} for p, why in self.problems]}


def records_path() -> str:
    return paths.data_file(TRUST_FILE)


def load_records() -> dict:
    """{real path: {"sha256": ..., "trusted_at": ...}}; {} when missing or unusable."""
    from .io.fileio import read_regular

    try:
        data = fastjson.loads(read_regular(records_path(), 1024 * 1024))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def verdict(path: str, raw: bytes, project: dict, lower: dict) -> Verdict:
    problems = unsafe_settings(project, lower)
    if not problems:
        return Verdict("safe", path)
    from .io.digest import sha256_hex

    real, digest = os.path.realpath(path), sha256_hex(raw)
    record = load_records().get(real)
    if isinstance(record, dict) and record.get("sha256") == digest:
        return Verdict("trusted", path, real, digest, problems)
    return Verdict("changed" if isinstance(record, dict) else "untrusted", path, real, digest, problems)


def trust(path: str, raw: bytes) -> dict:
    """Record these exact bytes of `path` as trusted; returns the record."""
    import time

    from .io.digest import sha256_hex

    record = {"sha256": sha256_hex(raw), "trusted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _update(lambda records: records.__setitem__(os.path.realpath(path), record))
    return record


def untrust(path: str) -> bool:
    """Forget the record for `path`; False when there was none."""
    found = []
    _update(lambda records: found.append(records.pop(os.path.realpath(path), None) is not None))
    return bool(found and found[0])


def _update(change) -> None:
    from .io import fileio

    path = records_path()
    with fileio.locked(path, timeout=10.0):
        records = load_records()
        change(records)
        fileio.atomic_write_json(path, records)
