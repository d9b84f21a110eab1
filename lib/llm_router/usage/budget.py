"""Spending and call caps (policy `budgets`), checked once before a chain runs.

  daily_usd / monthly_usd   USD caps over the local calendar day / month;
  session_calls             delegations per Claude Code session (a chain counts once,
                            however many fallbacks it tried);
  runaway_max_repeats       the same prompt (sha256) delegated more than N times in one
                            session is a loop: RunawayGuard. Default 10; 0 turns it off;
  on_exceed                 "refuse" (default) or "fallback" to `fallback_model` when a USD
                            cap would be passed. Call caps and the runaway guard always refuse:
                            a cheaper model does not make a loop any less of a loop.
A USD cap "would be passed" when spent + this call's estimate > cap. The estimate prices the
input only (tokens ~ bytes/4; the answer's length is unknown), so a cap can be overshot by at
most one answer, and the next call is refused. A model with no known price is refused only
once the cap is already reached; subscription models (estimate 0.0) never pass a USD cap.
Session caps need a session id (CLAUDE_CODE_SESSION_ID); outside Claude Code they do not apply.
Standard library only: this runs on the invoke path.
"""

import os
import sqlite3
import time

from ..errors import BudgetExceeded, ConfigError, RunawayGuard
from ..log import log_problem
from . import ledger, pricing

DEFAULT_RUNAWAY_MAX_REPEATS = 10
POLICY_HINT_FILES = "<data dir>/model-policy.json or <project>/.claude/llm-router.json"


def settings(policy: dict) -> dict:
    """The `budgets` section with defaults; a cap of None (or missing) is no cap."""
    budgets = policy.get("budgets") or {}
    runaway = budgets.get("runaway_max_repeats", DEFAULT_RUNAWAY_MAX_REPEATS)
    return {
        "daily_usd": budgets.get("daily_usd"),
        "monthly_usd": budgets.get("monthly_usd"),
        "session_calls": budgets.get("session_calls"),
        "runaway_max_repeats": runaway or None,
        "on_exceed": budgets.get("on_exceed", "refuse"),
        "fallback_model": budgets.get("fallback_model"),
    }


def check(context: dict, policy: dict, now: float | None = None) -> dict:
    """{} to go ahead, {"model", "reason"} to use the fallback model, or raise."""
    cfg = settings(policy)
    now = time.time() if now is None else now
    session = context.get("session_id") or os.environ.get("CLAUDE_CODE_SESSION_ID")
    if session and (cfg["session_calls"] or cfg["runaway_max_repeats"]):
        _check_session(cfg, session, context.get("prompt_sha256"))
    if cfg["daily_usd"] is None and cfg["monthly_usd"] is None:
        return {}
    return _check_spending(cfg, context, policy, now)


# ---- call caps ----------------------------------------------------------------------------

def _check_session(cfg: dict, session: str, prompt_sha256: str | None) -> None:
    try:
        calls, repeats = _session_counts(session, prompt_sha256)
    except sqlite3.Error as exc:
        # A loop guard that cannot read its history logs and lets the call through; the USD
        # caps below fail closed instead, since they protect money.
        log_problem(f"budget: session caps not checked, ledger unreadable: {exc}")
        return
    limit = cfg["runaway_max_repeats"]
    if limit and prompt_sha256 and repeats >= limit:
        raise RunawayGuard(
            f"runaway guard: this exact prompt was already delegated {repeats} times in this "
            f"session (budgets.runaway_max_repeats = {limit})",
            "something is looping; change the prompt or stop the loop. To allow more repeats, "
            f"raise budgets.runaway_max_repeats in {POLICY_HINT_FILES} (0 turns the guard off)")
    cap = cfg["session_calls"]
    if cap and calls >= cap:
        raise BudgetExceeded(
            f"session call cap reached: {calls} delegations in this session "
            f"(budgets.session_calls = {cap})",
            f"start a new Claude Code session, or raise budgets.session_calls in {POLICY_HINT_FILES}")


def _session_counts(session: str, prompt_sha256: str | None) -> tuple[int, int]:
    conn = ledger.connect(create=False)
    if conn is None:
        return 0, 0
    try:
        return ledger.session_delegations(conn, session, prompt_sha256)
    finally:
        conn.close()


# ---- USD caps -----------------------------------------------------------------------------

def _check_spending(cfg: dict, context: dict, policy: dict, now: float) -> dict:
    table = pricing.load_table(policy)
    model = context.get("model") or ""
    tokens = int(context.get("estimated_input_tokens") or 0)
    try:
        spent = _spent(cfg, now)
    except sqlite3.Error as exc:
        raise BudgetExceeded(
            f"cannot check the spending caps: the usage ledger is unreadable ({exc})",
            f"move {ledger.ledger_path()} aside, or run `llm-router stats --reset --yes`") from exc
    estimate = pricing.estimate_call_cost(table, model, tokens)
    problem = _first_cap_passed(cfg, spent, estimate)
    if problem is None:
        return {}
    fallback = _fallback_model(cfg, policy, model)
    fallback_estimate = pricing.estimate_call_cost(table, fallback, tokens) if fallback else None
    if fallback and _first_cap_passed(cfg, spent, fallback_estimate) is None:
        return {"model": fallback, "reason": f"{_describe(problem, model, estimate, tokens)}; "
                                             f"using budgets.fallback_model {fallback} instead"}
    name, cap, _spent_so_far, period = problem
    raise BudgetExceeded(
        _describe(problem, model, estimate, tokens),
        f"raise budgets.{name} (now {cap:g}) in {POLICY_HINT_FILES}, wait until {period}, "
        "or set budgets.on_exceed to \"fallback\" with a cheaper budgets.fallback_model")


def _spent(cfg: dict, now: float) -> dict:
    """{"daily_usd": spent today, "monthly_usd": spent this month} for the caps that are set."""
    conn = ledger.connect(create=False)
    if conn is None:
        return {"daily_usd": 0.0, "monthly_usd": 0.0}
    try:
        spent = {}
        if cfg["daily_usd"] is not None:
            spent["daily_usd"] = ledger.spend_since(conn, day_start(now))
        if cfg["monthly_usd"] is not None:
            spent["monthly_usd"] = ledger.spend_since(conn, month_start(now))
        return spent
    finally:
        conn.close()


def _first_cap_passed(cfg: dict, spent: dict, estimate: float | None):
    """(cap name, cap, spent, when it resets) for the first USD cap this call would pass."""
    for name, period in (("daily_usd", "tomorrow"), ("monthly_usd", "next month")):
        cap = cfg[name]
        if cap is not None and would_pass(spent.get(name, 0.0), estimate, float(cap)):
            return name, float(cap), spent.get(name, 0.0), period
    return None


def would_pass(spent: float, estimate: float | None, cap: float) -> bool:
    if estimate is None:  # unknown price: we cannot tell, so stop only at the cap itself
        return spent >= cap
    return estimate > 0 and spent + estimate > cap


def _describe(problem: tuple, model: str, estimate: float | None, tokens: int) -> str:
    name, cap, spent, _period = problem
    window = "today" if name == "daily_usd" else "this month"
    cost = f"~${estimate:.4f}" if estimate is not None else "an unknown cost (no price for it)"
    return (f"{'daily' if name == 'daily_usd' else 'monthly'} budget of ${cap:.2f} "
            f"(budgets.{name}) would be passed: ${spent:.4f} spent {window}, and this call to "
            f"{model} costs {cost} for ~{tokens:,} input tokens")


def _fallback_model(cfg: dict, policy: dict, model: str) -> str | None:
    if cfg["on_exceed"] != "fallback":
        return None
    fallback = cfg["fallback_model"]
    if not fallback:
        raise ConfigError("budgets.on_exceed is \"fallback\" but budgets.fallback_model is not set",
                          "set budgets.fallback_model to a cheaper model key", json_path="$.budgets")
    if fallback not in policy.get("external_models", {}):
        raise ConfigError(f"budgets.fallback_model '{fallback}' is not in external_models",
                          "name one of the models in external_models",
                          json_path="$.budgets.fallback_model")
    return None if fallback == model else fallback


# ---- calendar -----------------------------------------------------------------------------

def day_start(now: float) -> float:
    """Unix time of the local midnight that began `now`'s day."""
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


def month_start(now: float) -> float:
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, 1, 0, 0, 0, 0, 0, -1))
