"""Run a fallback chain: one provider call after another until one answers.

For each step of the chain (router.Step), in order:
  provider unavailable (available() false)  -> skipped, its reason recorded
  prompt does not fit the step's context_window -> skipped (ContextOverflow), with the estimate
  what failed (URL or CLI) + model cooling down -> one cheap probe (an HTTP endpoint's
                                   GET /models); if it answers, the cooldown ends and the step
                                   is called, else skipped with the time left
  call it, timeout = min(call_timeout_s, time left before the chain's deadline)
    ok with non-empty text      -> done
    ok but no text              -> EmptyAnswer: never a success, next step at once
    action "skip"  (NotInstalled, NotConfigured, AuthError, EmptyAnswer, ContextOverflow)
                                -> next step at once
    action "retry" (RateLimited, ProviderTimeout, ServerError, BadOutput)
                                -> same step again, up to `retries` more times, after a capped
                                   exponential backoff with jitter; a RateLimited with
                                   retry_after waits exactly that long, and when it asks for
                                   more than retry_after_max_s the step is left at once
                                   (waiting less would only be refused again); then next step
    action "stop"  (BadRequest) -> stop: the request itself is wrong, no provider will take it
The chain is bounded by max_hops (steps actually called) and by one deadline (deadline_s).
A stream that already wrote text is never retried or continued elsewhere: the text cannot
be taken back, so a failure after the first delta ends the chain.
Anything else that ends a call (the reader closed our stdout, Ctrl-C) is still recorded as an
attempt before it propagates: the server did the work, and the ledger says so.
Sleep, clock and jitter are injected so tests run in milliseconds.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (hot path)
if TYPE_CHECKING:
    from collections.abc import Callable

from ..errors import AllProvidersFailed, EmptyAnswer, ProviderError, RateLimited, RouterError
from ..providers.base import Request, Result, Usage
from . import cooldown
from .router import Record, Step


class Attempt(Record):
    """One call of a step (or one skipped step): what the ledger, --json and errors show."""

    __slots__ = ("provider", "model", "model_key", "outcome", "error_class", "message",
                 "latency_ms", "fallback_position", "step", "retry", "transport", "detail", "result",
                 "hint")

    def __init__(self, step: Step, outcome: str, error_class: str | None = None,
                 message: str = "", latency_ms: int = 0, fallback_position: int = 0,
                 retry: int = 0, detail: str = "", result: Result | None = None) -> None:
        self.provider, self.model, self.model_key = step.provider, step.model, step.model_key
        self.outcome = outcome  # ok | error | skipped
        self.error_class, self.message, self.latency_ms = error_class, message, latency_ms
        # The attempt's index in the chain: exactly one attempt per chain has 0 (the ledger
        # counts delegations by it), so a retry of the first step is position 1, not 0 again.
        self.fallback_position = fallback_position
        self.step = step.position  # the chain step this attempt called
        self.retry = retry  # 0 for the first call of a step, 1 for its first retry, ...
        self.transport = step.transport
        self.detail = detail  # ProviderError.detail: stderr tail or body excerpt, redacted
        self.result = result
        self.hint = ""  # the error's own fix line (errors.fix_for uses it for some classes)

    def as_dict(self) -> dict:
        return {"provider": self.provider, "model": self.model, "model_key": self.model_key,
                "outcome": self.outcome, "error_class": self.error_class,
                "message": self.message, "latency_ms": self.latency_ms,
                "fallback_position": self.fallback_position, "step": self.step,
                "retry": self.retry, "transport": self.transport}


class ChainStopped(AllProvidersFailed):
    """The chain ended on purpose before its end: a BadRequest, or a stream broke off."""

    def __init__(self, attempts: list, why: str, hint: str) -> None:
        super().__init__(attempts)
        lines = "\n".join(f"  {a.provider}/{a.model}: {a.error_class}: {a.message}" for a in attempts)
        RouterError.__init__(self, f"{why}:\n{lines}", hint)


class _OutOfTime(Exception):
    """Internal: the chain's deadline passed."""


def registry_get(name: str):
    from .. import providers

    return providers.get(name)


def check_available(step: Step, provider_for: Callable = registry_get) -> tuple[object, bool, str]:
    """(provider or None, usable, why) for a step, without calling the model."""
    try:
        provider = provider_for(step.provider)
    except KeyError:
        return None, False, f"unknown provider '{step.provider}'"
    except ImportError as exc:
        return None, False, f"the {step.provider} provider module cannot be imported ({exc})"
    usable, why = provider.available(step.options)
    return provider, bool(usable), why


class _TextSink:
    """Forwards deltas to the caller and remembers whether any went out."""

    def __init__(self, step: Step, on_text: Callable[[str], None],
                 before_text: Callable[[Step], None] | None) -> None:
        self.step, self.on_text, self.before_text = step, on_text, before_text
        self.emitted = False

    def __call__(self, text: str) -> None:
        if not text:
            return
        if not self.emitted and self.before_text:
            self.before_text(self.step)
        self.emitted = True
        self.on_text(text)


class Chain:
    def __init__(self, settings: dict, *, cooldowns: cooldown.Cooldowns | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] | None = None,
                 provider_for: Callable = registry_get,
                 on_attempt: Callable[[Attempt], None] | None = None,
                 before_text: Callable[[Step], None] | None = None) -> None:
        self.settings = settings
        self.prompt = ""  # the request's prompt, for the context-window check
        self.cooldowns = cooldowns
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.provider_for = provider_for
        self.on_attempt = on_attempt
        self.before_text = before_text

    def run(self, steps: list[Step], request: Request) -> tuple[Result, list[Attempt]]:
        """The first answer along `steps`, and every attempt made; AllProvidersFailed if none."""
        attempts: list[Attempt] = []
        self.prompt = request.prompt
        deadline = self.clock() + float(self.settings["deadline_s"])
        hops = 0
        for step in steps:
            if hops >= int(self.settings["max_hops"]):
                self._note(attempts, step, "HopLimit", f"max_hops={self.settings['max_hops']} reached")
                break
            provider = self._usable(step, attempts)
            if provider is None:
                continue
            hops += 1
            try:
                result = self._run_step(step, provider, request, deadline, attempts)
            except _OutOfTime:
                self._note(attempts, step, "DeadlineExceeded",
                           f"the chain's deadline ({self.settings['deadline_s']} s) passed")
                break
            if result is not None:
                return result, attempts
        raise AllProvidersFailed(attempts)

    def _usable(self, step: Step, attempts: list[Attempt]):
        """The provider if this step may be called now, else None with a skip recorded."""
        provider, usable, why = check_available(step, self.provider_for)
        if not usable:
            self._note(attempts, step, "Unavailable", why)
            return None
        overflow = context_overflow(step, self.prompt)
        if overflow:
            self._note(attempts, step, "ContextOverflow", overflow)
            return None
        key = self._key(step)
        left = self.cooldowns.remaining(key) if self.cooldowns else 0.0
        if left > 0 and probe(provider, step):
            self.cooldowns.clear(key)  # it answers again: no reason to wait out the rest
            left = 0.0
        if left > 0:
            self._note(attempts, step, "CoolingDown",
                       f"{key} is cooling down for {left:.0f} s more after repeated failures "
                       f"({self.cooldowns.last_error(key) or 'errors'})")
            return None
        return provider

    def _run_step(self, step: Step, provider, request: Request, deadline: float,
                  attempts: list[Attempt]) -> Result | None:
        retries = int(self.settings["retries"])
        for retry in range(retries + 1):
            timeout = min(float(self.settings["call_timeout_s"]), deadline - self.clock())
            if timeout <= 0:
                raise _OutOfTime()
            sink = _TextSink(step, request.on_text, self.before_text) if request.on_text else None
            started = self.clock()
            try:
                result = provider.run(request.replace(model=step.model, options=self._options(step),
                                              on_text=sink), timeout)
                if not (result.text or "").strip():
                    raise empty_answer(step, result)
            except ProviderError as exc:
                self._record(attempts, step, "error", exc, started, retry)
                if (not self._should_retry(step, exc, sink, attempts) or retry == retries
                        or not self._wait(exc, retry, deadline)):
                    return None
                continue
            except BaseException as exc:  # the caller's own failure, e.g. a closed stdout
                self._record(attempts, step, "error", None, started, retry,
                             interrupted=type(exc).__name__)
                raise
            return self._succeeded(step, result, started, retry, attempts)
        return None

    def _options(self, step: Step) -> dict:
        """The step's options; a CLI step also gets the chain's no-output bound."""
        if step.transport != "cli" or not self.settings.get("cli_idle_timeout_s"):
            return step.options
        return {"idle_timeout_s": self.settings["cli_idle_timeout_s"], **step.options}

    def _should_retry(self, step: Step, exc: ProviderError, sink: _TextSink | None,
                      attempts: list[Attempt]) -> bool:
        """False to move on to the next step; raises ChainStopped to end the chain."""
        if exc.action == "stop":
            raise ChainStopped(attempts, f"{step.provider} rejected the request ({type(exc).__name__}); "
                               "no other provider was tried", exc.hint or "fix the request and try again")
        if sink is not None and sink.emitted:
            raise ChainStopped(attempts, f"{step.provider} failed after part of its answer was "
                               "streamed out, so it was not retried elsewhere",
                               "run the request again")
        if exc.action != "retry":
            return False
        if self.cooldowns and self.cooldowns.failure(self._key(step), type(exc).__name__) > 0:
            return False  # it just went on cooldown: do not keep hammering it
        return True

    def _wait(self, exc: ProviderError, retry: int, deadline: float) -> bool:
        """Sleep before the next try of the same step; False when retrying makes no sense."""
        delay = self.backoff_s(exc, retry)
        if delay is None or self.clock() + delay >= deadline:
            return False
        if delay > 0:
            self.sleep(delay)
        return True

    def backoff_s(self, exc: ProviderError, retry: int) -> float | None:
        """Seconds to wait before retry number `retry + 1`; None means leave this step."""
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            if exc.retry_after > float(self.settings["retry_after_max_s"]):
                return None
            return max(0.0, float(exc.retry_after))
        cap = float(self.settings["backoff_max_s"])
        full = min(cap, float(self.settings["backoff_base_s"]) * (2 ** retry))
        return min(cap, full / 2 + full / 2 * self._jitter())  # "equal jitter": [full/2, full]

    def _jitter(self) -> float:
        if self.jitter is None:
            import random  # only on a retry: it costs ~2 ms to import

            self.jitter = random.random
        return self.jitter()

    def _succeeded(self, step: Step, result: Result, started: float, retry: int,
                   attempts: list[Attempt]) -> Result:
        if self.cooldowns:
            self.cooldowns.success(self._key(step))
        if not result.usage.reported():
            result.usage = Usage.unknown()  # the server gave no figures: NULL, never 0
        attempt = self._record(attempts, step, "ok", None, started, retry, result)
        if not result.latency_ms:
            result.latency_ms = attempt.latency_ms
        return result

    def _record(self, attempts: list[Attempt], step: Step, outcome: str, exc: ProviderError | None,
                started: float, retry: int, result: Result | None = None,
                interrupted: str = "") -> Attempt:
        latency_ms = int((self.clock() - started) * 1000)
        if interrupted:
            attempt = Attempt(step, outcome, interrupted, "the call was cut short on our side "
                              "(the reader went away or the run was interrupted)", latency_ms,
                              len(attempts), retry)
        elif exc is None:
            attempt = Attempt(step, outcome, None, "", latency_ms, len(attempts), retry, "", result)
        else:
            attempt = Attempt(step, outcome, type(exc).__name__, exc.message, latency_ms,
                              len(attempts), retry, exc.detail)
            attempt.hint = exc.hint
        return self._add(attempts, attempt)

    def _note(self, attempts: list[Attempt], step: Step, error_class: str, message: str) -> None:
        self._add(attempts, Attempt(step, "skipped", error_class, message, 0, len(attempts)))

    def _add(self, attempts: list[Attempt], attempt: Attempt) -> Attempt:
        attempts.append(attempt)
        if self.on_attempt:
            self.on_attempt(attempt)
        return attempt

    @staticmethod
    def _key(step: Step) -> str:
        return cooldown_key(step)


def cooldown_key(step: Step) -> str:
    """What failed: an HTTP endpoint's resolved URL or a CLI's binary, with the model. Two
    endpoint names for one server share a cooldown; one name moved to another URL does not."""
    return cooldown.entry_key(step.provider, step.model, failing_target(step))


def failing_target(step: Step) -> str:
    if step.transport == "http":
        from ..providers import _http

        base = _http.endpoint(step.options)[0]
        return base or str(step.options.get("endpoint") or "")
    return str(step.options.get("binary") or step.provider)


def context_overflow(step: Step, prompt: str) -> str:
    """Why the prompt cannot fit this step's context_window ("" when it fits or none is set).
    Room is kept for the reply: max_tokens, at most a quarter of the window."""
    window = step.options.get("context_window")
    if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
        return ""
    from .taskdetect import estimate_tokens

    tokens = estimate_tokens(prompt or "")
    reply = step.options.get("max_tokens")
    reply = min(reply if isinstance(reply, int) and reply > 0 else window // 8, window // 4)
    if tokens + reply <= window:
        return ""
    return (f"the prompt (~{tokens} tokens, estimated as UTF-8 bytes/4) plus {reply} tokens "
            f"for the reply does not fit {step.model_key}'s context_window of {window}; not sent")


def empty_answer(step: Step, result: Result) -> EmptyAnswer:
    why = (result.raw or {}).get("finish_reason") or (result.raw or {}).get("stop_reason")
    return EmptyAnswer(f"{step.provider}: {step.model or 'the model'} answered no text"
                       + (f" (finish reason: {why})" if why else ""),
                       "raise max_tokens, or route to a stronger model", provider=step.provider)


def probe(provider, step: Step) -> bool:
    """One cheap check that a cooled-down target answers again; False when it has none."""
    check = getattr(provider, "probe", None)
    if check is None:
        return False
    try:
        return bool(check(step.options))
    except Exception:  # a probe never fails the chain; the cooldown just stays
        return False
