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


class BadRequest(ProviderError):
    action = "stop"


class AllProvidersFailed(RouterError):
    """Every step of a fallback chain failed; `attempts` holds one record per try."""

    def __init__(self, attempts: list) -> None:
        lines = [f"  {a.provider}/{a.model}: {a.error_class}: {a.message}" for a in attempts]
        super().__init__(
            "every provider in the chain failed:\n" + "\n".join(lines) if lines
            else "no provider in the chain is available",
            "run `llm-router doctor` to see which CLIs are installed and logged in",
        )
        self.attempts = attempts


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while a CLI ran (io/proc.py). A BaseException, so that nothing on
    the way catches it: it unwinds through proc.run's `finally`, which kills the CLI's group,
    and cli.py turns it into exit status 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
