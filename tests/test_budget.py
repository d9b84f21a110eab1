"""Budgets through accounting.precheck: USD caps refuse (naming the cap, the spend and the
fix) or fall back to a cheaper model; session call caps; the runaway guard. Then the same
end to end through `llm-router invoke` with fake providers in the real registry."""

import io
import json
import sys
import time

import pytest
from llm_router import cli, policy
from llm_router.errors import BudgetExceeded, ConfigError, RunawayGuard
from llm_router.usage import accounting, budget, ledger
from test_chain import fakes  # noqa: F401 - the fixture is used by name

NOW = time.mktime((2026, 11, 15, 12, 0, 0, 0, 0, -1))  # mid-month, mid-day: stable windows
SHIPPED = policy.load_policy_quietly


def seed(cost: float | None = None, ts: float = NOW - 60, **row) -> None:
    ledger.insert({"outcome": "ok", "model_used": "zai/glm-4.7", "cost_usd": cost, "ts": ts,
                   "fallback_position": 0, **row})


def with_budgets(**budgets) -> dict:
    return {**SHIPPED(), "budgets": budgets}


def ctx(model: str = "zai/glm-4.7", tokens: int = 100_000, **extra) -> dict:
    return {"model": model, "estimated_input_tokens": tokens, "prompt_sha256": "p" * 64,
            "session_id": None, "task": "default", "tier": "sonnet", **extra}


def test_no_budgets_and_no_session_touch_nothing(data_dir):
    assert accounting.precheck(ctx(policy=SHIPPED())) == {}
    assert not (data_dir / "ledger.sqlite3").exists()


def test_daily_cap_that_would_be_passed_refuses_with_cap_spend_and_fix(data_dir):
    seed(4.99)
    with pytest.raises(BudgetExceeded) as info:
        budget.check(ctx(tokens=100_000), with_budgets(daily_usd=5), now=NOW)  # glm: $0.06 of input
    text = info.value.user_text()
    assert "daily budget of $5.00 (budgets.daily_usd) would be passed" in text
    assert "$4.9900 spent today" in text and "zai/glm-4.7" in text and "~100,000 input tokens" in text
    assert "raise budgets.daily_usd (now 5)" in text and "model-policy.json" in text


def test_a_call_that_fits_under_the_cap_goes_ahead(data_dir):
    seed(4.99)
    assert budget.check(ctx(tokens=10_000), with_budgets(daily_usd=5), now=NOW) == {}  # $0.006


def test_yesterday_counts_for_the_month_not_the_day(data_dir):
    seed(10.0, ts=budget.day_start(NOW) - 60)
    assert budget.check(ctx(), with_budgets(daily_usd=5), now=NOW) == {}
    with pytest.raises(BudgetExceeded, match=r"monthly budget of \$10.00"):
        budget.check(ctx(), with_budgets(daily_usd=5, monthly_usd=10), now=NOW)
    seed(100.0, ts=budget.month_start(NOW) - 60)  # last month: counts for nothing
    assert budget.check(ctx(), with_budgets(monthly_usd=10.5), now=NOW) == {}


def test_fallback_moves_to_the_cheaper_model_with_a_reason(data_dir):
    seed(5.0)
    switch = budget.check(ctx(), with_budgets(daily_usd=5, on_exceed="fallback",
                                              fallback_model="copilot/claude-haiku-4.5"), now=NOW)
    assert switch["model"] == "copilot/claude-haiku-4.5"
    assert "daily budget" in switch["reason"] and "fallback_model" in switch["reason"]


def test_fallback_that_would_also_pass_the_cap_refuses(data_dir):
    seed(5.0)
    pol = with_budgets(daily_usd=5, on_exceed="fallback", fallback_model="zai/glm-4.7")
    with pytest.raises(BudgetExceeded):
        budget.check(ctx(model="gemini/gemini-3-pro"), pol, now=NOW)  # glm is paid too
    with pytest.raises(BudgetExceeded):
        budget.check(ctx(model="zai/glm-4.7"), pol, now=NOW)  # already on the fallback


def test_fallback_to_an_unknown_model_is_a_config_error(data_dir):
    seed(5.0)
    with pytest.raises(ConfigError, match="fallback_model 'nope/x'"):
        budget.check(ctx(), with_budgets(daily_usd=5, on_exceed="fallback", fallback_model="nope/x"), now=NOW)


def test_subscription_models_never_pass_a_usd_cap(data_dir):
    seed(50.0)
    assert budget.check(ctx(model="copilot/gpt-5.2"), with_budgets(daily_usd=5), now=NOW) == {}


def test_unpriced_models_stop_only_once_the_cap_is_reached(data_dir):
    seed(4.0)
    assert budget.check(ctx(model="local/llama"), with_budgets(daily_usd=5), now=NOW) == {}
    seed(1.0)
    with pytest.raises(BudgetExceeded, match="unknown cost"):
        budget.check(ctx(model="local/llama"), with_budgets(daily_usd=5), now=NOW)


def test_a_single_call_bigger_than_the_cap_is_refused_on_an_empty_ledger(data_dir):
    with pytest.raises(BudgetExceeded):
        budget.check(ctx(tokens=1_000_000), with_budgets(daily_usd=0.5), now=NOW)  # $0.60


def test_session_call_cap_counts_chains_not_fallback_attempts(data_dir):
    for n in range(3):
        seed(session_id="s1", prompt_sha256=f"{n}")
        seed(session_id="s1", prompt_sha256=f"{n}", fallback_position=1)
    seed(session_id="s2")
    pol = with_budgets(session_calls=4)
    assert budget.check(ctx(session_id="s1"), pol, now=NOW) == {}
    seed(session_id="s1")
    with pytest.raises(BudgetExceeded, match=r"session call cap reached: 4 delegations") as info:
        budget.check(ctx(session_id="s1"), pol, now=NOW)
    assert "budgets.session_calls" in info.value.hint
    assert budget.check(ctx(session_id="s2"), pol, now=NOW) == {}
    assert budget.check(ctx(session_id=None), pol, now=NOW) == {}  # outside Claude Code


def test_runaway_guard_trips_on_the_same_prompt_in_one_session(data_dir, monkeypatch):
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "loop")
    for _ in range(2):
        seed(session_id="loop", prompt_sha256="p" * 64)
    pol = with_budgets(runaway_max_repeats=2)
    with pytest.raises(RunawayGuard, match="already delegated 2 times") as info:
        accounting.precheck(ctx(policy=pol))  # session id from the environment
    assert "runaway_max_repeats" in info.value.hint
    assert accounting.precheck(ctx(policy=pol, prompt_sha256="q" * 64)) == {}  # another prompt
    assert accounting.precheck(ctx(policy=with_budgets(runaway_max_repeats=0))) == {}  # off


def test_runaway_guard_is_on_by_default(data_dir):
    for _ in range(budget.DEFAULT_RUNAWAY_MAX_REPEATS):
        seed(session_id="s", prompt_sha256="p" * 64)
    with pytest.raises(RunawayGuard):
        accounting.precheck(ctx(session_id="s", policy=SHIPPED()))


def test_budgets_in_a_user_policy_are_schema_checked(data_dir):
    pytest.importorskip("jsonschema")
    (data_dir / "model-policy.json").write_text(json.dumps({"budgets": {"on_exceed": "fallback"}}))
    with pytest.raises(ConfigError, match="fallback_model"):
        policy.load_policy(validate=True)
    (data_dir / "model-policy.json").write_text(json.dumps({"budgets": {"daily_usd": -1}}))
    with pytest.raises(ConfigError, match="budgets"):
        policy.load_policy(validate=True)


# ---- end to end through `llm-router invoke` -------------------------------------------------

E2E_POLICY = {
    "external_models": {
        "t/paid": {"tier": "opus", "via": [{"provider": "opencode", "model": "paid-1"}]},
        "t/cheap": {"tier": "haiku", "via": [{"provider": "gemini", "model": "cheap-1"}]},
    },
    "claude_to_external_map": {"opus": "t/paid", "sonnet": "t/paid", "haiku": "t/cheap"},
    "task_routing": {"default": "t/paid", "reasoning": "t/paid", "code-generation": "t/paid",
                     "long-context": "t/paid"},
    "pricing": {"models": {"t/paid": {"input": 100.0, "output": 100.0},
                           "t/cheap": {"input": 0.0, "output": 0.0}}},
    "routing": {"retries": 0},
}


@pytest.fixture(autouse=True)
def empty_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


def invoke(capsys, data_dir, budgets: dict, *args: str) -> tuple[int, str, str]:
    (data_dir / "model-policy.json").write_text(json.dumps({**E2E_POLICY, "budgets": budgets}))
    code = cli.main(["invoke", "--model", "t/paid", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_invoke_refuses_over_budget_before_calling_any_provider(fakes, capsys, data_dir):
    seed(1.0, ts=time.time() - 1)
    code, out, err = invoke(capsys, data_dir, {"daily_usd": 1.0}, "-p", "hello there")
    assert code == 1 and out == ""
    assert "daily budget of $1.00" in err and "budgets.daily_usd" in err
    assert fakes.table["opencode"].calls == []


def test_invoke_falls_back_to_the_cheaper_model_and_records_it(fakes, capsys, data_dir):
    seed(1.0, ts=time.time() - 1)
    code, out, err = invoke(capsys, data_dir, {"daily_usd": 1.0, "on_exceed": "fallback",
                                               "fallback_model": "t/cheap"}, "-p", "hello", "--json")
    assert code == 0, err
    assert json.loads(out)["model"] == "t/cheap"
    assert fakes.table["opencode"].calls == [] and len(fakes.table["gemini"].calls) == 1
    conn = ledger.connect()
    try:
        used, source = conn.execute("SELECT model_used, cost_source FROM calls ORDER BY id DESC").fetchone()
    finally:
        conn.close()
    assert (used, source) == ("t/cheap", "provider")  # the fake reports its own cost


def test_invoke_runaway_guard_stops_a_loop_in_one_session(fakes, capsys, data_dir, monkeypatch):
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "loop-session")
    results = [invoke(capsys, data_dir, {"runaway_max_repeats": 2}, "-p", "same prompt")[0] for _ in range(3)]
    assert results[:2] == [0, 0] and results[2] == 1
    assert len(fakes.table["opencode"].calls) == 2


def test_an_unreadable_ledger_fails_closed_for_money_and_open_for_the_loop_guard(data_dir):
    (data_dir / "ledger.sqlite3").write_bytes(b"not a database at all" * 200)
    with pytest.raises(BudgetExceeded, match="ledger is unreadable") as info:
        budget.check(ctx(), with_budgets(daily_usd=5), now=NOW)
    assert "--reset --yes" in info.value.hint
    assert budget.check(ctx(session_id="s"), with_budgets(runaway_max_repeats=1), now=NOW) == {}
    assert "session caps not checked" in (data_dir / "llm-router.log").read_text()
