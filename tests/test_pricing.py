"""Costs from a known price table (cache reads and writes priced apart), provider cost wins,
subscriptions record tokens and quota units with cost NULL, the Claude-savings estimate,
and the bundled table against the schema and the shipped policy."""

import json

import pytest
from conftest import ROOT
from llm_router.usage import accounting, ledger, pricing

TABLE = {
    "models": {
        "acme/big": {"input": 2.0, "cached_input": 0.5, "cache_write": 3.0, "output": 10.0,
                     "reasoning": 20.0},
        "acme/plain": {"input": 1.0, "output": 4.0},
        "acme/half": {"input": 1.0},  # no output price: not usable
    },
    "claude_tiers": {"opus": {"input": 5.0, "output": 25.0}, "sonnet": {"input": 3.0, "output": 15.0}},
    "subscriptions": {"providers": ["copilot"], "model_prefixes": ["copilot/", "github-copilot/"]},
}


def test_cache_reads_writes_and_reasoning_are_priced_apart():
    usage = {"input_tokens": 1000, "cached_tokens": 400, "cache_write_tokens": 100,
             "output_tokens": 500, "reasoning_tokens": 200}
    # input_tokens is already fresh only (providers.base.Usage): fresh 1000 x 2 + cached
    # 400 x 0.5 + written 100 x 3 + plain out 300 x 10 + reasoning 200 x 20
    assert pricing.token_cost(TABLE["models"]["acme/big"], usage) == pytest.approx(9500 / 1e6)


def test_missing_rates_fall_back_to_input_and_output():
    usage = {"input_tokens": 1000, "cached_tokens": 400, "output_tokens": 500, "reasoning_tokens": 200}
    assert pricing.token_cost(TABLE["models"]["acme/plain"], usage) == pytest.approx((1400 + 2000) / 1e6)


def test_parts_reported_on_top_of_the_totals_are_not_undercounted():
    # A parser that gives input without the cached part (Anthropic style): more cached than input.
    usage = {"input_tokens": 100, "cached_tokens": 900, "output_tokens": 10, "reasoning_tokens": 50}
    price = TABLE["models"]["acme/big"]
    expected = 100 * 2.0 + 900 * 0.5 + 10 * 10.0 + 50 * 20.0
    assert pricing.token_cost(price, usage) == pytest.approx(expected / 1e6)


def test_table_cost_is_computed_and_marked():
    attempt = {"model_used": "acme/plain", "provider": "opencode", "outcome": "ok",
               "input_tokens": 1_000_000, "output_tokens": 1_000_000}
    assert pricing.attempt_cost(attempt, TABLE) == (pytest.approx(5.0), "table")


def test_provider_reported_cost_wins_over_the_table():
    attempt = {"model_used": "acme/big", "provider": "opencode", "outcome": "ok",
               "input_tokens": 1_000_000, "output_tokens": 1_000_000, "cost_usd": 0.0123}
    assert pricing.attempt_cost(attempt, TABLE) == (0.0123, "provider")


@pytest.mark.parametrize("attempt", [
    {"model_used": "copilot/gpt-5.2", "provider": "copilot"},
    {"model_used": "copilot/gpt-5.2", "provider": "opencode", "provider_model": "github-copilot/gpt-5.2"},
    {"model_used": "acme/big", "provider": "copilot"},  # whatever the key: the Copilot CLI is a plan
    {"model_used": "acme/big", "provider": "opencode", "provider_model": "github-copilot/x", "cost_usd": 0.5},
])
def test_subscriptions_never_get_dollars(attempt):
    attempt = {**attempt, "outcome": "ok", "input_tokens": 1000, "output_tokens": 100}
    assert pricing.attempt_cost(attempt, TABLE) == (None, None)


@pytest.mark.parametrize("attempt", [
    {"model_used": "acme/unknown", "input_tokens": 10},    # no price
    {"model_used": "acme/half", "input_tokens": 10},       # half a price
    {"model_used": "acme/plain", "outcome": "skipped"},    # never reached the model
])
def test_unknown_cost_is_null_not_zero(attempt):
    assert pricing.attempt_cost({"provider": "opencode", **attempt}, TABLE) == (None, None)


def test_claude_savings_use_the_replaced_tier_list_price():
    attempt = {"outcome": "ok", "model_used": "acme/plain",
               "input_tokens": 1_000_000, "output_tokens": 100_000}
    tokens, usd = pricing.claude_saved(attempt, "opus", TABLE)
    assert tokens == 1_100_000 and usd == pytest.approx(5.0 + 2.5)
    assert pricing.claude_saved({**attempt, "outcome": "error"}, "opus", TABLE) == (None, None)
    assert pricing.claude_saved({**attempt, "model_used": "claude/opus"}, "opus", TABLE) == (None, None)
    assert pricing.claude_saved(attempt, None, TABLE)[1] == pytest.approx(3.0 + 1.5)  # sonnet by default


def test_policy_pricing_overrides_merge_key_by_key():
    table = pricing.load_table({"pricing": {"models": {"zai/glm-4.7": {"output": 100.0},
                                                       "local/llama": {"input": 0, "output": 0}}}})
    glm = table["models"]["zai/glm-4.7"]
    bundled = pricing.bundled_table()["models"]["zai/glm-4.7"]
    assert glm["output"] == 100.0 and glm["input"] == bundled["input"]
    assert pricing.estimate_call_cost(table, "local/llama", 10_000) == 0.0
    assert pricing.estimate_call_cost(table, "copilot/gpt-5.2", 10_000) == 0.0
    assert pricing.estimate_call_cost(table, "nobody/knows", 10_000) is None


def test_bundled_table_matches_the_policy_schema_and_prices_every_shipped_paid_model():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "config" / "policy.schema.json").read_text())
    shipped = json.loads((ROOT / "config" / "model-policy.json").read_text())
    table = pricing.bundled_table()
    example = {**shipped, "pricing": table,
               "budgets": {"daily_usd": 5, "monthly_usd": 50, "session_calls": 40,
                           "on_exceed": "fallback", "fallback_model": "copilot/claude-haiku-4.5",
                           "runaway_max_repeats": 5},
               "tracing": {"trace": True, "transcripts": False, "trace_dir": "traces"}}
    jsonschema.Draft202012Validator(schema).validate(example)
    bad = {**example, "pricing": {"models": {"x/y": {"input": -1}}}}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    for key, model in shipped["external_models"].items():
        subscription = pricing.is_subscription(table, None, key, *(v["model"] for v in model["via"]))
        assert subscription or pricing.price_for(table, key), f"{key} has neither a price nor a plan"
    assert set(table["claude_tiers"]) == {"opus", "sonnet", "haiku"}


# ---- through accounting.record into the ledger --------------------------------------------

def _rows():
    conn = ledger.connect(create=False)
    try:
        cursor = conn.execute("SELECT * FROM calls ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor]
    finally:
        conn.close()


def test_record_stores_priced_subscription_and_provider_rows(monkeypatch):
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-9")
    policy = {"pricing": TABLE, "external_models": {"acme/plain": {"tier": "opus"}}}
    base = {"outcome": "ok", "input_tokens": 1000, "output_tokens": 100, "latency_ms": 50,
            "fallback_position": 0, "transport": "cli", "policy": policy}
    accounting.record({**base, "requested_model": "acme/plain", "model_used": "acme/plain",
                       "provider": "opencode"})
    accounting.record({**base, "model_used": "copilot/gpt-5.2", "provider": "copilot",
                       "quota_units": 1, "quota_kind": "premium_requests", "provider_session_id": "abc"})
    accounting.record({**base, "model_used": "acme/big", "provider": "claude", "cost_usd": 0.5,
                       "tier": "sonnet", "prompt": "hello"})
    table, plan, reported = _rows()
    assert (table["cost_source"], table["cost_usd"]) == ("table", pytest.approx(0.0014))
    assert table["claude_tier"] == "opus" and table["claude_tokens_saved_est"] == 1100
    assert table["claude_usd_saved_est"] == pytest.approx((1000 * 5 + 100 * 25) / 1e6)
    assert table["session_id"] == "sess-9" and table["day"] and table["ts"] > 0
    assert (plan["cost_usd"], plan["cost_source"], plan["quota_units"], plan["quota_kind"]) == (
        None, None, 1.0, "premium_requests")
    assert plan["input_tokens"] == 1000 and plan["provider_session_id"] == "abc"
    assert (reported["cost_usd"], reported["cost_source"]) == (0.5, "provider")
    import hashlib
    assert reported["prompt_sha256"] == hashlib.sha256(b"hello").hexdigest()
