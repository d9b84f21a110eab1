"""The seam between the router and the usage ledger (issue 6 fills it in).

invoke/delegate call `precheck()` once before a chain runs and `record()` once per attempt.
Until the ledger lands, `precheck` allows everything and `record` keeps nothing.
"""


def precheck(context: dict) -> dict:
    """May raise BudgetExceeded or RunawayGuard, or return {"model": key, "reason": str}
    to move the call to a cheaper model. `context` has: prompt_sha256, session_id, task,
    tier, model (the chosen model key), estimated_input_tokens, policy."""
    return {}


def record(attempt: dict) -> None:
    """One row per attempt. Keys: session_id, task, tier, requested_model, model_used,
    provider, transport ("cli"|"http"), outcome ("ok"|"error"|"skipped"), error_class,
    input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd (provider-reported or None), latency_ms, fallback_position, one_shot, prompt_sha256."""
