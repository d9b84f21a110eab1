"""Scrub secrets from text before it reaches a disk or a terminal.

Everything llm-router writes from a provider (stderr tails, transcripts, trace records, ledger
strings) goes through `redact()` first. Two passes:
  1. exact values of environment variables whose NAME looks secret (KEY, TOKEN, SECRET,
     PASSWORD, AUTH) and whose value is at least 8 characters: catches keys of any format;
  2. well-known token shapes (sk-..., ghp_..., AIza..., AKIA..., glpat-..., hf_..., npm_...,
     sk_live_..., Bearer ..., JWTs, PEM private keys, passwords in URLs, NAME_KEY=value,
     DATABASE_URL=...), for secrets that came from somewhere other than our own environment.
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


# (literals one of which must occur for the rule to apply, case-insensitively if `fold`;
# pattern[; one more literal that must occur too]). The cheap `in` test skips most rules on most
# text. A pattern with a group keeps it (the label: "Bearer ", "API_KEY=") and loses what follows.
_RULES = [
    # PEM private keys (RSA, EC, OPENSSH, PKCS#8, PGP blocks): the body up to its END line, or
    # to the end of the text when a tail cut it off. First, so no rule below cuts into it.
    (("PRIVATE KEY",), False,
     r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?"
     r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
    (("sk-",), False, _token("sk-ant-", 7, r"[A-Za-z0-9_\-]{8,}")),  # Anthropic
    (("sk-",), False, _token("sk-", 3, r"[A-Za-z0-9][A-Za-z0-9_\-]{14,}")),  # OpenAI, OpenRouter, ...
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), False, _token("gh[pousr]_", 4, r"[A-Za-z0-9]{20,}")),
    (("github_pat_",), False, _token("github_pat_", 11, r"[A-Za-z0-9_]{20,}")),
    (("xox",), False, _token("xox[abposr]-", 5, r"[A-Za-z0-9\-]{10,}")),  # Slack
    (("AIza",), False, _token("AIza", 4, r"[0-9A-Za-z_\-]{30,}")),  # Google API key
    (("AKIA", "ASIA"), False, _token("A(?:KI|SI)A", 4, r"[A-Z0-9]{16,}")),  # AWS key id
    (("sk_live_", "rk_live_", "sk_test_", "rk_test_"), False,
     _token("[sr]k_(?:live|test)_", 8, r"[A-Za-z0-9]{10,}")),  # Stripe
    (("glpat-",), False, _token("glpat-", 6, r"[A-Za-z0-9_\-]{20,}")),  # GitLab
    (("hf_",), False, _token("hf_", 3, r"[A-Za-z0-9]{30,}")),  # Hugging Face
    (("npm_",), False, _token("npm_", 4, r"[A-Za-z0-9]{30,}")),  # npm
    # scheme://user:password@host: the password only (the rest says where the call went).
    (("://",), False, r"\b([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@\"'<>]*:)[^/\s@\"'<>]+(?=@)", "@"),
    (("eyJ",), False, _token("eyJ", 3, r"[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),  # JWT
    (("Bearer", "Basic", "Token"), False, r"\b((?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=\-]{8,}"),
    # SCREAMING_CASE assignments: `ZHIPU_API_KEY=abc...`, `export GH_TOKEN="..."`. Upper case
    # only, so "input_tokens": 12345678 is left alone.
    (("KEY", "TOKEN", "SECRET", "PASSW", "AUTH"), False,
     r"\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN(?!S)|SECRET|PASSWORD|PASSWD|AUTH)[A-Z0-9_]*\s*[=:]\s*[\"']?)"
     r"[^\s\"']{8,}"),
    # AWS secret keys and session tokens, in any case and form: aws_secret_access_key = ...
    # (~/.aws/credentials), "SecretAccessKey": "..." (aws sts), AWS_SESSION_TOKEN=...
    (("secret", "session_token", "sessiontoken"), True,
     r"(?i)(?<![A-Za-z0-9])((?:aws_?)?(?:secret_?access_?key|secret_?key|session_?token)[\"']?"
     r"\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{16,}"),
    # Connection strings, which carry passwords of their own: DATABASE_URL=..., REDIS_URL=...,
    # "database_url": "...", SENTRY_DSN=..., CONNECTION_STRING=...
    (("_url", "_uri", "dsn", "connection_string", "conn_str"), True,
     r"(?i)(?<![A-Za-z0-9])((?:(?:[A-Za-z0-9]+_)*(?:database|db|sql|postgres|postgresql|pg|mysql|"
     r"mongo|mongodb|redis|amqp|rabbitmq|broker|cache|elasticsearch)(?:_[A-Za-z0-9]+)*_ur[li]|"
     r"[A-Za-z0-9_]*(?:dsn|connection_string|conn_str))[\"']?\s*[=:]\s*[\"']?)[^\s\"']{8,}"),
    # JSON and header fields: "api_key": "...", x-api-key: ..., "access_token": "..."
    (("key", "secret", "passw", "token", "authorization"), True,
     r"(?i)\b((?:x-)?(?:api[_-]?key|apikey|client[_-]?secret|secret|password|passwd|access[_-]?token|"
     r"refresh[_-]?token|id[_-]?token|auth[_-]?token|authorization)[\"']?\s*[=:]\s*[\"']?)"
     r"(?!Bearer\b|Basic\b|Token\b)[^\s\"',;}]{8,}"),
]

_RULES = [rule if len(rule) == 4 else (*rule, "") for rule in _RULES]  # "" occurs in any text


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
    for needles, fold, pattern, also in _RULES:
        if fold and folded is None:
            folded = text.lower()
        haystack = folded if fold else text
        for needle in needles:  # a plain loop: any() with a generator costs twice as much here
            if needle in haystack:
                break
        else:
            continue
        if also in haystack:
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
