"""Glue used by `invoke`, `delegate`, `route`, `/pa` and hooks: decide the route, ask the
ledger (accounting.precheck) whether the call may go ahead, run the chain, and hand every
attempt to accounting.record.

    result, attempts, decision = answer("Write a function ...", tier="sonnet")

Environment: LLM_ROUTER_MODEL forces a model key, LLM_ROUTER_PROVIDER forces a provider
(see routing/router.py for the order), CLAUDE_CODE_SESSION_ID is the default session id.
Nothing heavy is imported here: jq only when rules are consulted, a provider module only
when its step is reached, jsonschema only when the policy changed (policy.py caches it).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (hot path)
if TYPE_CHECKING:
    from collections.abc import Callable

from .errors import MissingDependency, UsageError
from .io.digest import sha256_hex
from .providers.base import DEFAULT_SCOPE, SCOPES, Request, Result, Usage
from .routing import cooldown, router, taskdetect
from .routing.chain import Attempt, Chain, check_available, cooldown_key, registry_get
from .routing.router import Decision, Query, Record, Step
from .usage import accounting


class Call(Record):
    """One request as the caller made it; what accounting rows and the Request share."""

    __slots__ = ("prompt", "cwd", "stream", "on_text", "before_text", "one_shot", "session_id",
                 "timeout", "scope", "_sha")

    def __init__(self, prompt: str, cwd: str | None = None, stream: bool = False,
                 on_text: Callable[[str], None] | None = None,
                 before_text: Callable[[Step], None] | None = None, one_shot: bool = False,
                 session_id: str | None = None, timeout: float | None = None,
                 scope: str = DEFAULT_SCOPE) -> None:
        self.prompt, self.cwd, self.stream, self.on_text = prompt, cwd, stream, on_text
        self.before_text, self.one_shot, self.session_id = before_text, one_shot, session_id
        self.timeout = timeout  # overall deadline for the whole chain, seconds
        if scope not in SCOPES:
            raise UsageError(f"unknown scope '{scope}'", "use one of: " + ", ".join(SCOPES))
        self.scope = scope  # what the external model may do in cwd (providers.base.SCOPES)
        self._sha: str | None = None

    @property
    def prompt_sha256(self) -> str:
        if self._sha is None:
            self._sha = sha256_hex(self.prompt.encode("utf-8", "surrogatepass"))
        return self._sha


def load_policy() -> dict:
    """The merged policy, schema-checked when it changed (unchecked, and logged, without
    jsonschema), with the vendor preset of the current external mode laid over its tier map
    (presets.py), so routing reads a preset like any other tier map."""
    from . import policy, presets, state

    try:
        pol = policy.load_policy(validate=True)
    except MissingDependency as exc:
        from .log import log_problem

        log_problem(f"policy not schema-checked: {exc.message}")
        pol = policy.load_policy(validate=False)
    return presets.effective(pol, presets.active(state.load_mode()[0]))


def make_query(prompt: str, *, task: str | None = None, tier: str | None = None,
               model: str | None = None, cwd: str | None = None) -> Query:
    """A routing query from the caller's choices plus the LLM_ROUTER_* overrides."""
    env_provider = os.environ.get("LLM_ROUTER_PROVIDER", "").strip() or None
    if env_provider:
        from . import providers

        if env_provider not in providers.REGISTRY:
            raise UsageError(f"LLM_ROUTER_PROVIDER: unknown provider '{env_provider}'",
                             "use one of: " + ", ".join(providers.REGISTRY))
    return Query(prompt=prompt, model=model, task=task, tier=tier,
                 cwd=os.path.abspath(cwd) if cwd else os.getcwd(),
                 env_model=os.environ.get("LLM_ROUTER_MODEL", "").strip() or None,
                 env_provider=env_provider)


def decide(pol: dict, query: Query) -> Decision:
    rules = pol.get("rules")
    return router.decide(pol, query, taskdetect.rule_matcher(rules) if rules else None)


def route(prompt: str, *, task: str | None = None, tier: str | None = None,
          model: str | None = None, cwd: str | None = None) -> tuple[Decision, list[dict]]:
    """For `llm-router route`: the decision and every step's availability; calls no model."""
    pol = load_policy()
    decision = decide(pol, make_query(prompt, task=task, tier=tier, model=model, cwd=cwd))
    return decision, describe_steps(decision.steps, router.settings(pol))


def describe_steps(steps: list[Step], settings: dict, provider_for: Callable = registry_get) -> list[dict]:
    """Each step with available/why/cooling-down, and whether it fits within max_hops."""
    cools = _cooldowns(settings)
    rows, usable_count = [], 0
    for step in steps:
        _provider, usable, why = check_available(step, provider_for)
        left = cools.remaining(cooldown_key(step)) if usable else 0.0
        callable_now = usable and left <= 0
        usable_count += callable_now
        rows.append({**step.as_dict(), "available": usable, "why": why,
                     "cooling_down_s": round(left), "cooldown_key": cooldown_key(step),
                     "within_max_hops":
                     callable_now and usable_count <= int(settings["max_hops"])})
    return rows


def answer(prompt: str, *, task: str | None = None, tier: str | None = None,
           model: str | None = None, cwd: str | None = None, stream: bool = False,
           on_text: Callable[[str], None] | None = None, one_shot: bool = False,
           session_id: str | None = None, timeout: float | None = None,
           before_text: Callable[[Step], None] | None = None, scope: str = DEFAULT_SCOPE,
           sleep: Callable[[float], None] = time.sleep) -> tuple[Result, list[Attempt], Decision]:
    """Route `prompt`, run the chain and return (result, attempts, decision).

    Raises BudgetExceeded/RunawayGuard (from the ledger), UsageError/ConfigError for a bad
    choice or policy, AllProvidersFailed when no step answered.
    """
    call = Call(prompt, cwd, stream, on_text, before_text, one_shot, _session(session_id), timeout,
                scope)
    pol = load_policy()
    query = make_query(prompt, task=task, tier=tier, model=model, cwd=cwd)
    decision = decide(pol, query)
    switch = accounting.precheck(_context(call, decision, pol))
    if switch and switch.get("model") and switch["model"] != decision.model_key:
        decision = decide(pol, query.with_switch(switch))
    return run_decision(pol, decision, call, sleep)


def delegate(prompt: str, *, tier: str, cwd: str | None = None, stream: bool = False,
             on_text: Callable[[str], None] | None = None,
             before_text: Callable[[Step], None] | None = None, session_id: str | None = None,
             timeout: float | None = None, scope: str = DEFAULT_SCOPE,
             sleep: Callable[[float], None] = time.sleep) -> tuple[Result, list[Attempt], Decision]:
    """External mode on: answer() through the tier map. Off: `claude -p --model <tier>`."""
    from . import state

    if state.is_enabled():
        return answer(prompt, tier=tier, cwd=cwd, stream=stream, on_text=on_text,
                      session_id=session_id, timeout=timeout, before_text=before_text, scope=scope,
                      sleep=sleep)
    call = Call(prompt, cwd, stream, on_text, before_text, False, _session(session_id), timeout, scope)
    pol = load_policy()
    decision = claude_decision(pol, tier, prompt)
    accounting.precheck(_context(call, decision, pol))  # a switch to an external model is ignored
    return run_decision(pol, decision, call, sleep)


def claude_decision(pol: dict, tier: str, prompt: str) -> Decision:
    if tier not in router.TIERS:
        raise UsageError(f"unknown tier '{tier}'", "use one of: " + ", ".join(router.TIERS))
    key = f"claude/{tier}"
    step = Step(0, key, "claude", tier, router.provider_options(pol, "claude"))
    return Decision(key, "claude", f"external mode is off: Claude answers (claude -p --model {tier})",
                    None, tier, taskdetect.estimate_tokens(prompt), len(prompt), [step])


def run_decision(pol: dict, decision: Decision, call: Call,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[Result, list[Attempt], Decision]:
    settings = router.settings(pol)
    if call.timeout:
        # a deadline past the policy's (a background job's, jobs.deadline_s) is the caller's to
        # spend: one long call may use it, rather than being cut at call_timeout_s
        if float(call.timeout) > float(settings["deadline_s"]):
            settings["call_timeout_s"] = float(call.timeout)
        settings["deadline_s"] = float(call.timeout)
    chain = Chain(settings, cooldowns=_cooldowns(settings), sleep=sleep,
                  on_attempt=lambda attempt: accounting.record(_row(call, decision, attempt, pol)),
                  before_text=call.before_text)
    request = Request(prompt=call.prompt, model="", cwd=call.cwd, stream=call.stream,
                      on_text=call.on_text if call.stream else None, scope=call.scope)
    result, attempts = chain.run(decision.steps, request)
    return result, attempts, decision


def _cooldowns(settings: dict) -> cooldown.Cooldowns:
    return cooldown.Cooldowns(settings["cooldown_after_failures"], settings["cooldown_s"])


def _session(session_id: str | None) -> str | None:
    return session_id or os.environ.get("CLAUDE_CODE_SESSION_ID") or None


def _context(call: Call, decision: Decision, pol: dict) -> dict:
    """What accounting.precheck() is documented to receive."""
    return {"prompt_sha256": call.prompt_sha256, "session_id": call.session_id,
            "task": decision.task, "tier": decision.tier, "model": decision.model_key,
            "estimated_input_tokens": decision.tokens, "policy": pol}


def _row(call: Call, decision: Decision, attempt: Attempt, pol: dict) -> dict:
    """One ledger row: the keys accounting.record() documents, plus its optional ones."""
    result = attempt.result
    usage = result.usage if result else Usage.unknown()  # no answer: no figures, not 0
    raw = result.raw if result else {}
    return {"session_id": call.session_id, "task": decision.task, "tier": decision.tier,
            "requested_model": decision.model_key, "model_used": attempt.model_key,
            "provider": attempt.provider, "transport": attempt.transport,
            "outcome": attempt.outcome, "error_class": attempt.error_class,
            **usage.as_dict(), "cost_usd": result.cost_usd if result else None,
            "latency_ms": attempt.latency_ms, "fallback_position": attempt.fallback_position,
            "one_shot": call.one_shot, "prompt_sha256": call.prompt_sha256,
            # optional keys
            "provider_model": attempt.model, "error_message": attempt.message or None,
            "provider_session_id": result.session_id if result else None, "scope": call.scope,
            "quota_units": raw.get("quota_units"), "quota_kind": raw.get("quota_kind"),
            "stderr": attempt.detail or None, "policy": pol, "prompt": call.prompt,
            "text": result.text if result else None}
