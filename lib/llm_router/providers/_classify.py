"""Turn what a provider reported (an HTTP status, a business code, a CLI's error text) into one
of our error classes. The router acts on the class only, so every provider funnels through here.

Statuses: 401/403 -> AuthError (skip), 402 -> AuthError (no credit: skip), 408 -> ProviderTimeout,
429 -> RateLimited, 5xx -> ServerError, other 4xx -> BadRequest (stop).

Some 429s are not "retry later": Z.AI answers 429 with a business code when the balance is
exhausted, the account is locked or the plan's quota is used up, and OpenAI does the same with
`insufficient_quota`. Retrying those only burns the deadline, so they become AuthError (skip this
provider, try the next one) with a hint to top up.
"""

from ..errors import AuthError, BadRequest, ProviderError, ProviderTimeout, RateLimited, ServerError

# Z.AI business codes (docs.z.ai/api-reference/api-code) that mean "this account cannot pay
# or is over its plan quota": no retry within our deadline will help.
ZAI_NO_CREDIT = {"1110", "1111", "1112", "1113", "1120", "1121", "1304", "1308", "1309", "1310"}
NO_CREDIT_CODES = ZAI_NO_CREDIT | {"insufficient_quota", "billing_not_active"}

# Patterns as (source, ignore case); compiled on the first error, so a call that succeeds
# never imports re (~5 ms of a cold invoke).
_STATUS_IN_TEXT = [
    (r"\bstatus(?: code)?:?\s*(\d{3})\b", True),
    (r"\b(\d{3}) (?:Unauthorized|Forbidden|Too Many Requests|Bad Request|Not Found|"
     r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b", False),
    (r"API Error:? \(?(\d{3})\b", False),
    (r"\((\d{3})\)", False),
    (r"HTTP (\d{3})\b", False),
]
_TEXT_RULES = [
    ((r"not logged in|/login|log ?in again|no authentication|unauthori[sz]ed|"
      r"invalid api key|incorrect api key|missing bearer|authenticat", True), 401),
    ((r"rate.?limit|too many requests|usage limit|quota", True), 429),
    ((r"high demand|overloaded|internal server error|service unavailable|"
      r"bad gateway|stream disconnected|connection (?:reset|refused|closed)", True), 500),
    ((r"invalid_request|invalid model|model .{0,40}(?:not found|does not exist|"
      r"not supported)|unsupported model|bad request", True), 400),
]


def _compiled(source: str, ignore_case: bool):
    import re  # re caches compiled patterns itself

    return re.compile(source, re.IGNORECASE if ignore_case else 0)


def status_in_text(text: str) -> int | None:
    """The HTTP status a CLI printed inside a sentence, if any ("unexpected status 401 ...")."""
    for source, ignore_case in _STATUS_IN_TEXT:
        for match in _compiled(source, ignore_case).finditer(text or ""):
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
        status = next((value for pattern, value in _TEXT_RULES
                       if _compiled(*pattern).search(message or "")), None)
    return error_for_status(status, message, provider=provider, login_hint=login_hint, detail=detail)
