"""The exception hierarchy. The class decides what happens next, never the message text.

`action` on a ProviderError tells the fallback chain what to do:
  "skip"  - this provider cannot work now (not installed, not logged in): try the next one.
  "retry" - transient (rate limit, timeout, 5xx, unparseable output): retry with backoff,
            then fall back.
  "stop"  - the request itself is wrong: stop the chain and report.
Every error carries `hint`: what the user can do about it.
"""


class RouterError(Exception):
    """Base of every error llm-router reports to a user."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_text(self) -> str:
        """One or two lines: what failed, then how to fix it."""
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class UsageError(RouterError):
    exit_code = 2


class ConfigError(RouterError):
    """A policy or settings file is invalid; names the file and the JSON path."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "", file: str = "", json_path: str = "") -> None:
        super().__init__(message, hint)
        self.file = file
        self.json_path = json_path


class MissingDependency(RouterError):
    """A package from the plugin's venv is needed but not installed yet."""

    exit_code = 2

    def __init__(self, package: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed yet",
            "run `llm-router setup` (creates the plugin's venv in its data dir)",
        )
        self.package = package


class StorageError(RouterError):
    """A file in the data dir could not be written: disk full, read-only, no permission.
    Whatever the write was to replace is left as it was."""


class BudgetExceeded(RouterError):
    """A configured spending or call cap would be passed."""


class RunawayGuard(RouterError):
    """The same prompt was delegated too many times in one session."""


class ProviderError(RouterError):
    action = "retry"

    def __init__(self, message: str, hint: str = "", provider: str = "", detail: str = "") -> None:
        super().__init__(message, hint)
        self.provider = provider
        self.detail = detail  # stderr tail or response body excerpt, already redacted


class NotInstalled(ProviderError):
    action = "skip"


class NotConfigured(ProviderError):
    """An HTTP endpoint without a base URL or key, or a model the policy cannot place."""

    action = "skip"


class AuthError(ProviderError):
    """Not logged in, bad key, or a 401/403."""

    action = "skip"


class RateLimited(ProviderError):
    def __init__(self, message: str, hint: str = "", provider: str = "", detail: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message, hint, provider, detail)
        self.retry_after = retry_after


class ProviderTimeout(ProviderError):
    pass


class ServerError(ProviderError):
    pass


class BadOutput(ProviderError):
    """The CLI or API answered with something we could not parse."""


class OutputTooLarge(ProviderError):
    """A CLI printed more than its output cap on stdout or stderr (io/proc.py); it was killed
    with its process group. Skip: the next provider may answer within the cap, while the
    same CLI asked again would most likely run away again."""

    action = "skip"


class EmptyAnswer(ProviderError):
    """The model answered nothing: an empty completion, or a stream that closed before its end.
    Never a success; another model may well answer, so the chain moves on."""

    action = "skip"


class TruncatedAnswer(EmptyAnswer):
    """A stream that closed before its end (no finish reason, no [DONE] / message_stop)."""


class ContextOverflow(ProviderError):
    """The prompt does not fit the model's context window (known before the call from the
    policy's context_window, or said by the server). A model with a larger window may fit."""

    action = "skip"


class BadRequest(ProviderError):
    action = "stop"


# The fix line for each error class an attempt can end in (chain skips included): what the
# user does about that class, not a generic "check your CLIs".
FIX_BY_CLASS = {
    "NotInstalled": "install the CLI named above (`llm-router doctor` lists each one)",
    "Unavailable": "install or configure the provider named above (`llm-router doctor`)",
    "NotConfigured": "set the endpoint's base URL / key variable, or fix `endpoints` in the policy",
    "AuthError": "log in to that CLI or check the endpoint's API key (`llm-router doctor`)",
    "RateLimited": "wait, or raise routing.retries; the chain falls back meanwhile",
    "ProviderTimeout": "raise routing.call_timeout_s (or cli_idle_timeout_s), or pick a faster model",
    "ServerError": "check that the server is running (`llm-router doctor`), then try again",
    "BadOutput": "update the CLI, or check the endpoint's base_url",
    "EmptyAnswer": "the model answered nothing: raise max_tokens, or route to a stronger model",
    "TruncatedAnswer": "the server closed the stream early: check its log (often the prompt "
                       "did not fit its context), or set the model's context_window",
    "ContextOverflow": "shorten the prompt, or route to a model with a larger context_window",
    "CoolingDown": "see `llm-router cooldowns`; `llm-router cooldowns clear` ends them now",
    "BadRequest": "check the model id and options in the policy (`llm-router models`)",
    "HopLimit": "raise routing.max_hops",
    "DeadlineExceeded": "raise routing.deadline_s, or pass a longer --timeout",
}


# Classes whose own hint names the exact thing to do (the variable to set, the login command,
# the package to install): it beats the class's general line.
OWN_HINT_CLASSES = ("NotConfigured", "NotInstalled", "AuthError")


def fix_for(attempts: list) -> str:
    """One fix line per distinct error class, in the order they happened."""
    seen = []
    for attempt in attempts:
        name = getattr(attempt, "error_class", None) or ""
        own = getattr(attempt, "hint", "") if name in OWN_HINT_CLASSES else ""
        fix = own or FIX_BY_CLASS.get(name)
        if fix and fix not in seen:
            seen.append(fix)
    return "; ".join(seen) or "run `llm-router doctor` to see which providers can answer"


def cut(text: str, limit: int = 300) -> str:
    """`text` cut to about `limit` characters at a line or word boundary, never mid-word."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at >= limit // 2:
            return head[:at].rstrip() + " …"
    return head.rstrip() + " …"


class AllProvidersFailed(RouterError):
    """Every step of a fallback chain failed; `attempts` holds one record per try."""

    def __init__(self, attempts: list) -> None:
        lines = [f"  {a.provider}/{a.model}: {a.error_class}: {cut(a.message)}" for a in attempts]
        super().__init__(
            "every provider in the chain failed:\n" + "\n".join(lines) if lines
            else "no provider in the chain is available",
            fix_for(attempts),
        )
        self.attempts = attempts


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while a CLI ran (io/proc.py). A BaseException, so that nothing on
    the way catches it: it unwinds through proc.run's `finally`, which kills the CLI's group,
    and cli.py turns it into exit status 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
