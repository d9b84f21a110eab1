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
                 "timeout", "scope", "_sha", "turn")

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
        self.turn: Turn | None = None  # the thread this call is a turn of (set by answer())

    @property
    def prompt_sha256(self) -> str:
        if self._sha is None:
            self._sha = sha256_hex(self.prompt.encode("utf-8", "surrogatepass"))
        return self._sha


class Turn:
    """The thread side of one call. The caller makes it (empty, or with `continue_id`), answer()
    fills `thread_id` (and `switched_from`) before the chain runs, so the indicator line can
    name the thread before the first streamed delta, and stores the turn once it is answered."""

    __slots__ = ("continue_id", "allow_switch", "thread_id", "switched_from", "resume_session_id",
                 "row_ids", "brief", "brief_info", "previous", "reserved")

    def __init__(self, continue_id: str | None = None, allow_switch: bool = False,
                 brief: str = "") -> None:
        self.continue_id, self.allow_switch, self.brief = continue_id, allow_switch, brief
        self.brief_info: dict | None = None  # what --json shows of the brief
        self.thread_id: str | None = continue_id
        self.switched_from: str | None = None  # the model key a switched continue left
        self.resume_session_id: str | None = None
        self.row_ids: list[str] = []
        self.previous: dict | None = None
        self.reserved = False


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
           turn: Turn | None = None,
           sleep: Callable[[float], None] = time.sleep) -> tuple[Result, list[Attempt], Decision]:
    """Route `prompt`, run the chain and return (result, attempts, decision).

    With `turn.continue_id` the prompt goes into that thread through its provider's own resume
    mechanism (see _continue_decision); otherwise the answer starts a new thread.

    Raises BudgetExceeded/RunawayGuard (from the ledger), UsageError/ConfigError for a bad
    choice or policy, ThreadError/ThreadUnavailable for a thread that cannot be continued,
    AllProvidersFailed when no step answered.
    """
    turn = turn or Turn()
    if turn.continue_id:
        return _continue(prompt, turn, cwd=cwd, stream=stream, on_text=on_text,
                         one_shot=one_shot, session_id=session_id, timeout=timeout,
                         before_text=before_text, scope=scope, tier=tier, sleep=sleep)
    call = Call(turn.brief + prompt, cwd, stream, on_text, before_text, one_shot,
                _session(session_id), timeout, scope)
    call.turn = turn
    pol = load_policy()
    query = make_query(prompt, task=task, tier=tier, model=model, cwd=cwd)
    decision = decide(pol, query)
    switch = accounting.precheck(_context(call, decision, pol))
    if switch and switch.get("model") and switch["model"] != decision.model_key:
        decision = decide(pol, query.with_switch(switch))
    return run_decision(pol, decision, call, sleep)


def _continue(prompt: str, turn: Turn, *, cwd, stream, on_text, one_shot, session_id, timeout,
              before_text, scope, tier, sleep) -> tuple[Result, list[Attempt], Decision]:
    """The next turn of thread `turn.continue_id`: the same model on the same provider with
    its session resumed; when that step cannot run now, another model of the route with a
    summary of the thread (only with `turn.allow_switch`), else ThreadUnavailable."""
    from . import threads

    thread = threads.load(turn.continue_id)
    turn.previous = thread
    cwd = cwd or thread.get("cwd") or None
    pol = load_policy()
    decision = decide(pol, make_query(prompt, model=thread.get("model"), cwd=cwd))
    step, why = _resumable_step(pol, decision, thread)
    if step is not None:
        turn.resume_session_id = thread["provider_session_id"]
        decision = _with_steps(decision, [step])
    elif not turn.allow_switch:
        raise threads.ThreadUnavailable(
            f"thread {thread['id']} cannot continue on {thread.get('model')} "
            f"({thread.get('provider')}): {why}",
            "fix that provider (`llm-router doctor`) and try again, or pass --allow-switch to "
            "continue on the route's next model with a summary of the thread")
    else:
        steps = [s for s in decision.steps
                 if not (s.provider == thread.get("provider") and s.model_key == thread.get("model"))]
        if not steps:
                raise threads.ThreadUnavailable(
                f"thread {thread['id']}: {why}, and its route has no other model to switch to",
                "add a fallback to the model's route in the policy, or start a new thread")
        turn.switched_from = thread.get("model")
        decision = _with_steps(decision, steps)
        prompt = threads.summary(thread) + prompt
    call = Call(prompt, cwd, stream, on_text, before_text, one_shot, _session(session_id),
                timeout, scope)
    call.turn = turn
    accounting.precheck(_context(call, decision, pol))  # a budget switch cannot move a thread
    return run_decision(pol, decision, call, sleep)


def _resumable_step(pol: dict, decision: Decision, thread: dict) -> tuple[Step | None, str]:
    """The thread's own step if it can be resumed now, else (None, why not)."""
    if not thread.get("provider_session_id"):
        return None, "its provider gave no session id to resume"
    step = next((s for s in decision.steps if s.provider == thread.get("provider")
                 and s.model_key == thread.get("model")), None)
    if step is None:
        return None, "the policy no longer routes that model through that provider"
    _provider, usable, why = check_available(step)
    if not usable:
        return None, why
    left = _cooldowns(router.settings(pol)).remaining(cooldown_key(step))
    if left > 0:
        return None, f"it is cooling down for {left:.0f} s more after repeated failures"
    return step, ""


def delegate(prompt: str, *, tier: str, cwd: str | None = None, stream: bool = False,
             on_text: Callable[[str], None] | None = None,
             before_text: Callable[[Step], None] | None = None, session_id: str | None = None,
             timeout: float | None = None, scope: str = DEFAULT_SCOPE, turn: Turn | None = None,
             sleep: Callable[[float], None] = time.sleep) -> tuple[Result, list[Attempt], Decision]:
    """External mode on: answer() through the tier map. Off: `claude -p --model <tier>`
    (a --continue goes to the thread's own model whatever the mode: the user asked for it)."""
    from . import state

    turn = turn or Turn()
    if state.is_enabled() or turn.continue_id:
        return answer(prompt, tier=tier, cwd=cwd, stream=stream, on_text=on_text,
                      session_id=session_id, timeout=timeout, before_text=before_text, scope=scope,
                      turn=turn, sleep=sleep)
    call = Call(turn.brief + prompt, cwd, stream, on_text, before_text, False,
                _session(session_id), timeout, scope)
    call.turn = turn
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
    turn = call.turn or Turn()
    if not turn.continue_id and not turn.reserved:
        from . import threads

        turn.thread_id, turn.reserved = threads.reserve(), True
    chain = Chain(settings, cooldowns=_cooldowns(settings), sleep=sleep,
                  on_attempt=lambda attempt: accounting.record(_row(call, decision, attempt, pol)),
                  before_text=call.before_text)
    request = Request(prompt=call.prompt, model="", cwd=call.cwd, stream=call.stream,
                      on_text=call.on_text if call.stream else None, scope=call.scope,
                      resume_session_id=turn.resume_session_id)
    try:
        result, attempts = chain.run(_persisting(decision.steps), request)
    except BaseException:
        if turn.reserved:
            from . import threads

            threads.release(turn.thread_id)
        raise
    _store_turn(turn, call, result, attempts)
    return result, attempts, decision


def _persisting(steps: list[Step]) -> list[Step]:
    """Every answer is a turn of a thread that may be continued, so each CLI keeps its session
    (codex without --ephemeral, claude without --no-session-persistence) unless the policy
    says persist_session: false for that provider."""
    return [s if "persist_session" in s.options else
            Step(s.position, s.model_key, s.provider, s.model, {**s.options, "persist_session": True})
            for s in steps]


def _with_steps(decision: Decision, steps: list[Step]) -> Decision:
    return Decision(decision.model_key, decision.source, decision.reason, decision.task,
                    decision.tier, decision.tokens, decision.prompt_chars, steps, decision.provider)


def _store_turn(turn: Turn, call: Call, result: Result, attempts: list[Attempt]) -> None:
    from . import threads

    used = next((a for a in reversed(attempts) if a.outcome == "ok"), None)
    if used is None:
        return
    record = {"prompt_sha256": call.prompt_sha256,
              "answer_sha256": sha256_hex(result.text.encode("utf-8", "surrogatepass")),
              "row_ids": list(turn.row_ids), "model": used.model_key, "provider": used.provider,
              "provider_session_id": result.session_id, "scope": call.scope}
    if turn.switched_from:
        record["switched_from"] = turn.switched_from
    # A resumed session keeps its id when the provider reports none this time.
    session = result.session_id or (turn.resume_session_id if not turn.switched_from else None)
    try:
        threads.add_turn(turn.thread_id, record, model=used.model_key, provider=used.provider,
                         provider_session_id=session, cwd=os.path.abspath(call.cwd or os.getcwd()),
                         scope=call.scope, answer_text=result.text)
    except OSError as exc:
        from .log import log_problem

        log_problem(f"thread {turn.thread_id}: turn not stored: {exc}")


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
    from .usage import journal

    result = attempt.result
    usage = result.usage if result else Usage.unknown()  # no answer: no figures, not 0
    row_id = journal.new_row_id()
    if call.turn is not None:
        call.turn.row_ids.append(row_id)
    raw = result.raw if result else {}
    return {"session_id": call.session_id, "task": decision.task, "tier": decision.tier,
            "requested_model": decision.model_key, "model_used": attempt.model_key,
            "provider": attempt.provider, "transport": attempt.transport,
            "outcome": attempt.outcome, "error_class": attempt.error_class,
            **usage.as_dict(), "cost_usd": result.cost_usd if result else None,
            "latency_ms": attempt.latency_ms, "fallback_position": attempt.fallback_position,
            "one_shot": call.one_shot, "prompt_sha256": call.prompt_sha256, "row_id": row_id,
            # optional keys
            "provider_model": attempt.model, "error_message": attempt.message or None,
            "provider_session_id": result.session_id if result else None, "scope": call.scope,
            "quota_units": raw.get("quota_units"), "quota_kind": raw.get("quota_kind"),
            "stderr": attempt.detail or None, "policy": pol, "prompt": call.prompt,
            "text": result.text if result else None}
