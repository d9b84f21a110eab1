"""Scrub secrets from text before it reaches a disk or a terminal.

Everything llm-router writes from a provider (stderr tails, transcripts, trace records, ledger
strings) goes through `redact()` first. Two passes:
  1. exact values of environment variables whose NAME looks secret (KEY, TOKEN, SECRET,
     PASSWORD, AUTH) and whose value is at least 8 characters: catches keys of any format;
  2. well-known token shapes (sk-..., ghp_..., AIza..., Bearer ..., JWTs, NAME_KEY=value),
     for secrets that came from somewhere other than our own environment.
Standard library only: this runs on the invoke path.
"""

import functools
import os
import re

MARK = "[REDACTED]"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH", re.IGNORECASE)
_MIN_SECRET_LEN = 8

# Each alternative keeps an optional "label" group (what precedes the secret) so that
# `Bearer xyz` becomes `Bearer [REDACTED]` and `API_KEY=xyz` stays readable as `API_KEY=[REDACTED]`.
_PATTERNS = [
    r"sk-ant-[A-Za-z0-9_\-]{8,}",                      # Anthropic
    r"\bsk-[A-Za-z0-9][A-Za-z0-9_\-]{14,}",            # OpenAI, OpenRouter (sk-or-v1-), proj keys
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",                   # GitHub classic / OAuth / app tokens
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",                 # GitHub fine-grained PAT
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",               # Slack
    r"\bAIza[0-9A-Za-z_\-]{30,}",                      # Google API key
    r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT (header.payload.sig)
    r"(?P<l1>\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=\-]{8,}",       # Authorization values
    # SCREAMING_CASE assignments: `ZHIPU_API_KEY=abc...`, `export GH_TOKEN="..."`. Upper case
    # only, so JSON such as "input_tokens": 12345678 is left alone.
    r"(?P<l2>\b[A-Z][A-Z0-9_]*(?:KEY|TOKEN(?!S)|SECRET|PASSWORD|PASSWD|AUTH)[A-Z0-9_]*\s*[=:]\s*[\"']?)"
    r"[^\s\"']{8,}",
    # JSON / header fields: "api_key": "...", x-api-key: ..., "access_token": "..."
    r"(?i:(?P<l3>[\"']?\b(?:x-)?(?:api[_-]?key|apikey|client[_-]?secret|secret|password|passwd|"
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|authorization)[\"']?\s*[=:]\s*[\"']?))"
    r"(?!Bearer\b|Basic\b|Token\b)[^\s\"',;}]{8,}",
]
_TOKEN_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def _keep_label(match: re.Match) -> str:
    label = match.group("l1") or match.group("l2") or match.group("l3") or ""
    return label + MARK


def secret_env_values(environ=None) -> tuple:
    """Values of secret-looking environment variables, longest first (so a key that contains
    another key is replaced whole)."""
    env = os.environ if environ is None else environ
    values = {value for name, value in env.items()
              if len(value) >= _MIN_SECRET_LEN and _SECRET_NAME.search(name)}
    return tuple(sorted(values, key=len, reverse=True))


@functools.lru_cache(maxsize=8)
def _env_pattern(values: tuple):
    # One alternation is much faster than one str.replace per secret on long transcripts.
    return re.compile("|".join(re.escape(v) for v in values)) if values else None


def redact(text: str | None, environ=None) -> str | None:
    """`text` with every secret replaced by [REDACTED]; None stays None."""
    if not text:
        return text
    pattern = _env_pattern(secret_env_values(environ))
    if pattern is not None:
        text = pattern.sub(MARK, text)
    return _TOKEN_RE.sub(_keep_label, text)


def redact_obj(obj, environ=None):
    """A copy of a JSON-like value with every string (keys included) redacted."""
    if isinstance(obj, str):
        return redact(obj, environ)
    if isinstance(obj, dict):
        return {redact_obj(k, environ): redact_obj(v, environ) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v, environ) for v in obj]
    return obj
