"""Turn what a provider reported (an HTTP status, a business code, a CLI's error text) into one
of our error classes. The router acts on the class only, so every provider funnels through here.

Statuses: 401/403 -> AuthError (skip), 402 -> AuthError (no credit: skip), 408 -> ProviderTimeout,
429 -> RateLimited, 5xx -> ServerError, other 4xx -> BadRequest (stop).

Some 429s are not "retry later": Z.AI answers 429 with a business code when the balance is
exhausted, the account is locked or the plan's quota is used up, and OpenAI does the same with
`insufficient_quota`. Retrying those only burns the deadline, so they become AuthError (skip this
provider, try the next one) with a hint to top up.
"""

import re

from ..errors import AuthError, BadRequest, ProviderError, ProviderTimeout, RateLimited, ServerError

# Z.AI business codes (docs.z.ai/api-reference/api-code) that mean "this account cannot pay
# or is over its plan quota": no retry within our deadline will help.
ZAI_NO_CREDIT = {"1110", "1111", "1112", "1113", "1120", "1121", "1304", "1308", "1309", "1310"}
NO_CREDIT_CODES = ZAI_NO_CREDIT | {"insufficient_quota", "billing_not_active"}

_STATUS_IN_TEXT = [
    re.compile(r"\bstatus(?: code)?:?\s*(\d{3})\b", re.IGNORECASE),
    re.compile(r"\b(\d{3}) (?:Unauthorized|Forbidden|Too Many Requests|Bad Request|Not Found|"
               r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b"),
    re.compile(r"API Error:? \(?(\d{3})\b"),
    re.compile(r"\((\d{3})\)"),
    re.compile(r"HTTP (\d{3})\b"),
]
_TEXT_RULES = [
    (re.compile(r"not logged in|/login|log ?in again|no authentication|unauthori[sz]ed|"
                r"invalid api key|incorrect api key|missing bearer|authenticat", re.IGNORECASE), 401),
    (re.compile(r"rate.?limit|too many requests|usage limit|quota", re.IGNORECASE), 429),
    (re.compile(r"high demand|overloaded|internal server error|service unavailable|"
                r"bad gateway|stream disconnected|connection (?:reset|refused|closed)",
                re.IGNORECASE), 500),
    (re.compile(r"invalid_request|invalid model|model .{0,40}(?:not found|does not exist|"
                r"not supported)|unsupported model|bad request", re.IGNORECASE), 400),
]


def status_in_text(text: str) -> int | None:
    """The HTTP status a CLI printed inside a sentence, if any ("unexpected status 401 ...")."""
    for pattern in _STATUS_IN_TEXT:
        for match in pattern.finditer(text or ""):
            status = int(match.group(1))
            if 400 <= status <= 599:
                return status
    return None


def error_for_status(status: int | None, message: str, *, provider: str, login_hint: str,
                     detail: str = "", retry_after: float | None = None,
                     code: str | None = None) -> ProviderError:
    """The error class for an HTTP status (None: unknown, treated as a server failure)."""
    text = f"{provider}: {message}".strip()
    if code is not None and str(code) in NO_CREDIT_CODES:
        return AuthError(f"{text} (no credit or quota left, code {code})",
                         "top up the account or wait for the plan quota to reset",
                         provider=provider, detail=detail)
    if status in (401, 403):
        return AuthError(text, login_hint, provider=provider, detail=detail)
    if status == 402:
        return AuthError(text, "add credit to the account", provider=provider, detail=detail)
    if status == 408:
        return ProviderTimeout(text, "try again, or raise the timeout", provider=provider,
                               detail=detail)
    if status == 429:
        return RateLimited(text, "wait a moment; the router retries and then falls back",
                           provider=provider, detail=detail, retry_after=retry_after)
    if status is not None and 400 <= status < 500:
        return BadRequest(text, "check the model id and options in the policy (`llm-router models`)",
                          provider=provider, detail=detail)
    return ServerError(text, "the service failed; the router retries and then falls back",
                       provider=provider, detail=detail)


def error_for_text(message: str, *, provider: str, login_hint: str, detail: str = "") -> ProviderError:
    """For CLIs that report failures only as prose: a status in the text wins, then keywords."""
    status = status_in_text(message)
    if status is None:
        status = next((value for pattern, value in _TEXT_RULES if pattern.search(message or "")), None)
    return error_for_status(status, message, provider=provider, login_hint=login_hint, detail=detail)
