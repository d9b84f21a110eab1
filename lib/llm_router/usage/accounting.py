"""The seam between the router and the usage ledger.

invoke/delegate call `precheck()` once before a chain runs and `record()` once per attempt.
precheck enforces the policy's `budgets` (see usage/budget.py); record prices the attempt (see
usage/pricing.py), appends it to the ledger's journal (usage/journal.py, moved into usage/ledger.py's
SQLite by the next reader) and writes the optional traces (usage/tracing.py).
Standard library only: both run on every invoke. The modules behind them (sqlite3 above
all) are imported on first use, so importing this seam costs `route` or `models` nothing.
"""

import os

_INT_FIELDS = ("input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens",
               "reasoning_tokens", "latency_ms", "fallback_position")
_TEXT_FIELDS = ("session_id", "task", "tier", "requested_model", "model_used", "provider",
                "provider_model", "transport", "outcome", "error_class", "quota_kind",
                "prompt_sha256", "provider_session_id", "scope", "row_id")
ERROR_MESSAGE_CHARS = 500
STDERR_TRACE_CHARS = 2000

# Why rows of this process could not be written (StorageError: the disk is full), until the
# command that made them reports it (take_unrecorded); never silently "ok" with no row.
_unrecorded: list = []


def precheck(context: dict) -> dict:
    """May raise BudgetExceeded or RunawayGuard, or return {"model": key, "reason": str}
    to move the call to a cheaper model. `context` has: prompt_sha256, session_id, task,
    tier, model (the chosen model key), estimated_input_tokens (~ prompt bytes / 4), policy.
    Raises ConfigError when budgets.on_exceed is "fallback" without a usable fallback_model."""
    policy = context.get("policy") or _load_policy()
    session = context.get("session_id") or os.environ.get("CLAUDE_CODE_SESSION_ID")
    if not policy.get("budgets") and not session:
        return {}  # no caps, and the runaway guard needs a session: nothing to check
    from . import budget

    return budget.check(context, policy)


def record(attempt: dict) -> None:
    """One row per attempt. Keys: session_id, task, tier, requested_model, model_used,
    provider, transport ("cli"|"http"), outcome ("ok"|"error"|"skipped"), error_class,
    input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
    cost_usd (provider-reported or None), latency_ms, fallback_position, one_shot, prompt_sha256.

    Token convention (providers.base.Usage): input_tokens are the prompt tokens billed at the
    full price, cached_tokens and cache_write_tokens those read from / written to a prompt
    cache (the three do not overlap); output_tokens counts every generated token,
    reasoning_tokens the part spent thinking. A figure the provider did not give is None.
    fallback_position is 0 for the first model of a chain; record that attempt even when it
    is "skipped": budgets count delegations by it.

    Optional keys:
      provider_model       the provider's own model id ("github-copilot/gpt-5.2"): tells a
                           subscription plan from a paid API for the same model key
      provider_session_id  Result.session_id, so `llm-router stats --sessions` can show it
                           for resume/continue
      quota_units, quota_kind  subscription usage, e.g. 1.0 and "premium_requests" (Copilot
                           --usage-output-file totalPremiumRequestCost)
      error_message        the error's one-line message (redacted, cut to 500 characters)
      scope                what the model's CLI was allowed to do: "read-only" | "write"
      prompt, text         the prompt and the answer, for transcripts (policy tracing);
                           never stored in the ledger. prompt also fills a missing prompt_sha256.
      stderr               the provider's stderr tail, kept in the trace record only
      policy               the merged policy, if the caller has it (saves a reload)
    Never raises for storage problems: a row that cannot be written to SQLite is spooled and
    logged; one that cannot be written at all is logged and kept for take_unrecorded()."""
    from ..errors import StorageError

    policy = attempt.get("policy") or _load_policy()
    row = build_row(attempt, policy)
    trace_config = policy.get("tracing")
    if not _tracing_on(trace_config):
        try:
            _append(row)
        except StorageError as exc:
            _unrecorded.append(exc)
        return
    from . import ledger, tracing

    try:
        row_id = ledger.insert(row)  # a trace record names its ledger row, so write it now
    except StorageError as exc:
        _unrecorded.append(exc)
        row_id = None
    trace_record = {**row, "id": row_id}
    if attempt.get("stderr"):
        trace_record["stderr"] = str(attempt["stderr"])[-STDERR_TRACE_CHARS:]
    tracing.write_call(trace_record, attempt.get("prompt"), attempt.get("text"), config=trace_config)


def take_unrecorded() -> list:
    """The StorageErrors of the rows record() could not write since the last call (cleared):
    a command that records attempts reports them to its user (see commands/invoke.py)."""
    errors = list(_unrecorded)
    _unrecorded.clear()
    return errors


def _tracing_on(config: dict | None) -> bool:
    if not config:  # the usual case: no `tracing` section, no need to import usage/tracing.py
        return False
    from . import tracing

    return tracing.enabled(config)


def _append(row: dict) -> None:
    """The row to the ledger's journal (no sqlite3 import on the invoke path; see
    usage/journal.py), moved into SQLite once the journal is big enough."""
    from . import journal

    try:
        due = journal.append(row)
    except OSError:
        from . import ledger

        ledger.insert(row)  # it spools on its own failures; StorageError if that fails too
        return
    if due:
        from . import ledger

        ledger.drain_journal()


def build_row(attempt: dict, policy: dict) -> dict:
    """The ledger row for an attempt: priced, with the Claude-savings estimate, redacted."""
    from ..redact import redact, secret_env_values
    from . import pricing

    table = pricing.load_table(policy)
    secrets = secret_env_values()  # once per row, not once per field
    row = {name: _as_int(attempt.get(name)) for name in _INT_FIELDS}
    row.update({name: _as_text(attempt.get(name), secrets) for name in _TEXT_FIELDS})
    row["session_id"] = row["session_id"] or os.environ.get("CLAUDE_CODE_SESSION_ID") or None
    row["prompt_sha256"] = row["prompt_sha256"] or _sha256(attempt.get("prompt"))
    row["one_shot"] = None if attempt.get("one_shot") is None else int(bool(attempt.get("one_shot")))
    row["quota_units"] = _as_float(attempt.get("quota_units"))
    message = attempt.get("error_message")
    row["error_message"] = redact(str(message), secrets=secrets)[:ERROR_MESSAGE_CHARS] if message else None
    priced = {**attempt, **row}
    row["cost_usd"], row["cost_source"] = pricing.attempt_cost(priced, table)
    row["claude_tier"] = row["tier"] or _model_tier(policy, row["requested_model"] or row["model_used"])
    row["claude_tokens_saved_est"], row["claude_usd_saved_est"] = pricing.claude_saved(
        priced, row["claude_tier"], table)
    return row


def _model_tier(policy: dict, model_key: str | None) -> str:
    """The Claude tier a model stands in for (its policy tier), sonnet when unknown."""
    model = policy.get("external_models", {}).get(model_key or "", {})
    return model.get("tier") or "sonnet"


def _as_int(value) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_float(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _as_text(value, secrets: tuple) -> str | None:
    # Model names and error classes do not hold secrets, but a provider's error text can
    # leak into any of them; the ledger is a file on disk like any other.
    from ..redact import redact

    return None if value is None else redact(str(value), secrets=secrets)


def _sha256(prompt) -> str | None:
    if not prompt:
        return None
    from ..io.digest import sha256_hex

    return sha256_hex(str(prompt).encode("utf-8"))


def _load_policy() -> dict:
    from ..policy import load_policy_quietly

    return load_policy_quietly()
