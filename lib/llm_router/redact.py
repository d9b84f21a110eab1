"""Scrub secrets from text before it reaches a disk or a terminal.

Everything llm-router writes from a provider (stderr tails, transcripts, trace records, ledger
strings) goes through `redact()` first. Two passes:
  1. exact values of environment variables whose NAME looks secret (KEY, TOKEN, SECRET,
     PASSWORD, AUTH) and whose value is at least 8 characters: catches keys of any format;
  2. well-known token shapes (sk-..., ghp_..., AIza..., Bearer ..., JWTs, NAME_KEY=value),
     for secrets that came from somewhere other than our own environment.
Standard library only: this runs on the invoke path, where most text holds no secret at all.
So `re` is imported only once a cheap `in` test finds something to replace (its import costs
~5 ms of a cold call); the result is the same as running every pattern.
"""

import os

MARK = "[REDACTED]"
_SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "AUTH")
_MIN_SECRET_LEN = 8

def _token(prefix: str, width: int, rest: str) -> str:
    """`prefix` (`width` characters long) not glued to a letter or digit before it ("task-..."
    is not an "sk-" key; "ses_ghp_..." does hold a GitHub token), then `rest`. The boundary
    check comes after the literal so that re can search for the literal quickly."""
    return f"{prefix}(?<![A-Za-z0-9]{'.' * width}){rest}"


# (literals that must occur for the rule to apply, case-insensitively if `fold`; pattern).
# The cheap `in` test skips most rules on most text. A pattern with a group keeps it (the
# label: "Bearer ", "API_KEY=") and loses what follows.
_RULES = [
    (("sk-",), False, _token("sk-ant-", 7, r"[A-Za-z0-9_\-]{8,}")),  # Anthropic
    (("sk-",), False, _token("sk-", 3, r"[A-Za-z0-9][A-Za-z0-9_\-]{14,}")),  # OpenAI, OpenRouter, ...
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), False, _token("gh[pousr]_", 4, r"[A-Za-z0-9]{20,}")),
    (("github_pat_",), False, _token("github_pat_", 11, r"[A-Za-z0-9_]{20,}")),
    (("xox",), False, _token("xox[abposr]-", 5, r"[A-Za-z0-9\-]{10,}")),  # Slack
    (("AIza",), False, _token("AIza", 4, r"[0-9A-Za-z_\-]{30,}")),  # Google API key
    (("eyJ",), False, _token("eyJ", 3, r"[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),  # JWT
    (("Bearer", "Basic", "Token"), False, r"\b((?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=\-]{8,}"),
    # SCREAMING_CASE assignments: `ZHIPU_API_KEY=abc...`, `export GH_TOKEN="..."`. Upper case
    # only, so "input_tokens": 12345678 is left alone.
    (("KEY", "TOKEN", "SECRET", "PASSW", "AUTH"), False,
     r"\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN(?!S)|SECRET|PASSWORD|PASSWD|AUTH)[A-Z0-9_]*\s*[=:]\s*[\"']?)"
     r"[^\s\"']{8,}"),
    # JSON and header fields: "api_key": "...", x-api-key: ..., "access_token": "..."
    (("key", "secret", "passw", "token", "authorization"), True,
     r"(?i)\b((?:x-)?(?:api[_-]?key|apikey|client[_-]?secret|secret|password|passwd|access[_-]?token|"
     r"refresh[_-]?token|id[_-]?token|auth[_-]?token|authorization)[\"']?\s*[=:]\s*[\"']?)"
     r"(?!Bearer\b|Basic\b|Token\b)[^\s\"',;}]{8,}"),
]


def secret_env_values(environ=None) -> tuple:
    """Values of secret-looking environment variables, longest first (so a key that contains
    another key is replaced whole)."""
    env = os.environ if environ is None else environ
    values = {value for name, value in env.items()
              if len(value) >= _MIN_SECRET_LEN and any(part in name.upper() for part in _SECRET_NAME_PARTS)}
    return tuple(sorted(values, key=len, reverse=True))


_env_patterns: dict = {}


def _env_pattern(values: tuple):
    """One alternation of the values (longest first) that occur in the text: much faster than
    one str.replace per secret on long transcripts. Values absent from the text cannot match,
    so leaving them out changes nothing."""
    if not values:
        return None
    pattern = _env_patterns.get(values)
    if pattern is None:
        import re

        pattern = _env_patterns[values] = re.compile("|".join(re.escape(v) for v in values))
    return pattern


def redact(text: str | None, environ=None, secrets: tuple | None = None) -> str | None:
    """`text` with every secret replaced by [REDACTED]; None stays None. `secrets` is
    secret_env_values(environ) computed once by a caller that redacts many strings."""
    if not text:
        return text
    if secrets is None:
        secrets = secret_env_values(environ)
    pattern = _env_pattern(tuple(v for v in secrets if v in text))
    if pattern is not None:
        text = pattern.sub(MARK, text)
    folded = None  # text.lower(), computed once unless a rule changes the text
    for needles, fold, pattern in _RULES:
        if fold and folded is None:
            folded = text.lower()
        haystack = folded if fold else text
        if any(needle in haystack for needle in needles):
            # re caches compiled patterns, and a rule is compiled only once text needs it
            import re

            regex = re.compile(pattern)
            replaced = regex.sub(r"\1" + MARK if regex.groups else MARK, text)
            if replaced != text:
                text, folded = replaced, None
    return text


def redact_obj(obj, environ=None):
    """A copy of a JSON-like value with every string (keys included) redacted."""
    if isinstance(obj, str):
        return redact(obj, environ)
    if isinstance(obj, dict):
        return {redact_obj(k, environ): redact_obj(v, environ) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v, environ) for v in obj]
    return obj
