"""router.decide(): the pure decision (order, reasons) and the chain it builds."""

import copy
import json

import pytest
from llm_router.errors import ConfigError, UsageError
from llm_router.paths import config_file
from llm_router.routing import router
from llm_router.routing.router import Query, decide

POLICY = {
    "external_models": {
        "a/big": {"tier": "opus", "fallbacks": ["b/mid"],
                  "via": [{"provider": "copilot", "model": "big"},
                          {"provider": "opencode", "model": "gh/big"}]},
        "b/mid": {"tier": "sonnet", "fallbacks": ["c/small", "a/big"],
                  "via": [{"provider": "opencode", "model": "b-mid"},
                          {"provider": "anthropic-http", "endpoint": "zai", "model": "mid",
                           "options": {"max_tokens": 100}}]},
        "c/small": {"tier": "haiku", "fallbacks": ["a/big"],
                    "via": [{"provider": "gemini", "model": "small"},
                            {"provider": "opencode", "model": "b-mid"}]},
        "d/long": {"tier": "opus", "via": [{"provider": "gemini", "model": "long"}]},
    },
    "claude_to_external_map": {"opus": "a/big", "sonnet": "b/mid", "haiku": "c/small"},
    "task_routing": {
        "reasoning": "a/big",
        "code-generation": {"model": "b/mid", "fallbacks": ["d/long"]},
        "long-context": "d/long",
        "default": "c/small",
        "summarize": "c/small",
    },
    "endpoints": {"zai": {"kind": "anthropic", "base_url": "https://api.example/anthropic",
                          "api_key_env": "ZAI_API_KEY", "headers": {"X-Title": "t"}}},
    "providers": {"anthropic-http": {"max_retries": 0}, "gemini": {"extra_args": ["--x"]}},
    "routing": {"long_context_tokens": 100},
    "rules": [],
}

LONG = "lorem ipsum " * 40  # 480 bytes -> 120 tokens > 100


def chain_of(decision) -> list[tuple[str, str]]:
    return [(step.provider, step.model) for step in decision.steps]


@pytest.mark.parametrize("query, model, source, says", [
    (Query(model="d/long", task="reasoning", tier="haiku"), "d/long", "model", "--model d/long"),
    (Query(task="reasoning", tier="haiku"), "a/big", "task", "--task reasoning"),
    (Query(task="summarize"), "c/small", "task", "task_routing"),
    (Query(tier="sonnet", prompt=LONG), "b/mid", "tier", "claude_to_external_map"),
    (Query(prompt=LONG), "d/long", "auto", "long_context_tokens 100"),
    (Query(prompt="Write a Python function that adds two numbers"), "b/mid", "auto", "code-writing"),
    (Query(prompt="Think step by step about the failure"), "a/big", "auto", "multi-step analysis"),
    (Query(prompt="hello there"), "c/small", "auto", "no long-context"),
    (Query(prompt=""), "c/small", "auto", "automatic"),
    (Query(env_model="d/long", model="a/big", tier="opus"), "d/long", "env",
     "LLM_ROUTER_MODEL=d/long forces this model (overrides --model a/big, --tier opus)"),
    (Query(switch={"model": "c/small", "reason": "daily cap"}, env_model="d/long"), "c/small",
     "budget", "budget: daily cap"),
])
def test_decision_order_and_reason(query, model, source, says):
    decision = decide(POLICY, query)
    assert (decision.model_key, decision.source) == (model, source)
    assert says in decision.reason


def test_chain_is_model_vias_then_fallbacks_then_task_fallbacks_one_level_deduplicated():
    decision = decide(POLICY, Query(task="code-generation"))
    # b/mid's vias, then c/small (its opencode b-mid is a duplicate), then a/big, then the
    # task's d/long. a/big's own fallback (b/mid) is not followed: one level only.
    assert chain_of(decision) == [("opencode", "b-mid"), ("anthropic-http", "mid"),
                                  ("gemini", "small"), ("copilot", "big"),
                                  ("opencode", "gh/big"), ("gemini", "long")]
    assert [s.position for s in decision.steps] == list(range(6))
    assert [s.model_key for s in decision.steps][-1] == "d/long"


def test_step_options_merge_provider_section_endpoint_and_via_options():
    step = decide(POLICY, Query(model="b/mid")).steps[1]
    assert step.transport == "http"
    assert step.options == {"max_retries": 0, "kind": "anthropic", "endpoint": "zai",
                            "base_url": "https://api.example/anthropic",
                            "api_key_env": "ZAI_API_KEY", "headers": {"X-Title": "t"},
                            "max_tokens": 100}


def test_decide_never_mutates_the_policy_and_steps_do_not_share_its_dicts():
    policy = copy.deepcopy(POLICY)
    policy["rules"] = [{"when": "true", "model": "a/big"}]
    decision = decide(policy, Query(prompt=LONG), lambda facts: (0, policy["rules"][0]))
    decision.steps[0].options["mutated"] = True
    for step in decide(policy, Query(model="b/mid")).steps:
        step.options.setdefault("headers", {})["X-Title"] = "changed"
    assert policy == {**POLICY, "rules": [{"when": "true", "model": "a/big"}]}


@pytest.mark.parametrize("provider, expected", [
    ("opencode", [("opencode", "gh/big"), ("opencode", "b-mid")]),
    ("codex", [("codex", "")]),
])
def test_forced_provider_keeps_only_its_steps_or_runs_its_default_model(provider, expected):
    decision = decide(POLICY, Query(model="a/big", env_provider=provider))
    assert chain_of(decision) == expected
    assert decision.provider == provider and f"LLM_ROUTER_PROVIDER={provider}" in decision.reason
    if expected[0][1] == "":
        assert "its own default model" in decision.reason


@pytest.mark.parametrize("query, error, text", [
    (Query(model="nope/x"), UsageError, "--model: unknown model 'nope/x'"),
    (Query(env_model="nope/x"), UsageError, "LLM_ROUTER_MODEL: unknown model"),
    (Query(task="poetry"), UsageError, "unknown task 'poetry'"),
    (Query(switch={"model": "nope/x"}), ConfigError, "budget check"),
])
def test_unknown_choices_are_errors_naming_their_origin(query, error, text):
    with pytest.raises(error) as caught:
        decide(POLICY, query)
    assert text in caught.value.message


def _rules_policy():
    policy = copy.deepcopy(POLICY)
    policy["rules"] = [{"when": ".tokens > 1000", "model": "d/long", "reason": "huge"},
                       {"when": '.cwd | startswith("/srv")', "task": "summarize"}]
    return policy


def test_rule_match_picks_model_and_sees_the_facts():
    seen = []

    def match(facts):
        seen.append(facts)
        return 0, _rules_policy()["rules"][0]

    decision = decide(_rules_policy(), Query(prompt="hello", tier="opus", cwd="/w"), match)
    assert decision.model_key == "d/long" and decision.source == "rule"
    assert "rule $.rules[0] matched (.tokens > 1000): huge" in decision.reason
    assert seen == [{"task": "default", "tokens": 2, "tier": "opus", "prompt_chars": 5, "cwd": "/w"}]


def test_rule_naming_a_task_routes_through_task_routing():
    policy = _rules_policy()
    decision = decide(policy, Query(prompt="hi"), lambda facts: (1, policy["rules"][1]))
    assert (decision.model_key, decision.task, decision.source) == ("c/small", "summarize", "rule")


@pytest.mark.parametrize("query", [Query(model="a/big"), Query(task="reasoning"),
                                   Query(env_model="a/big")])
def test_rules_are_not_consulted_for_explicit_choices(query):
    def match(facts):
        raise AssertionError("rules consulted")

    assert decide(_rules_policy(), query, match).model_key == "a/big"


def test_no_rule_matching_falls_through_to_tier_then_automatic():
    policy = _rules_policy()
    assert decide(policy, Query(tier="haiku"), lambda facts: None).model_key == "c/small"
    assert decide(policy, Query(prompt=LONG), lambda facts: None).model_key == "d/long"


def test_settings_fill_defaults_and_keep_overrides():
    settings = router.settings({"routing": {"max_hops": 3}})
    assert settings["max_hops"] == 3 and settings["long_context_tokens"] == 60_000
    assert settings["auto_detect_order"][:2] == ["copilot", "opencode"]
    settings["auto_detect_order"].append("x")
    assert "x" not in router.settings({})["auto_detect_order"]


def _shipped():
    with open(config_file("model-policy.json"), "rb") as handle:
        return json.loads(handle.read())


@pytest.mark.parametrize("task, model", [
    ("reasoning", "copilot/gpt-5.2"), ("code-generation", "zai/glm-4.7"),
    ("long-context", "gemini/gemini-3-pro"), ("default", "copilot/claude-sonnet-4.5"),
])
def test_shipped_policy_keeps_the_four_task_names(task, model):
    decision = decide(_shipped(), Query(task=task))
    assert decision.model_key == model
    keys = [(s.provider, s.model, s.options.get("endpoint")) for s in decision.steps]
    assert len(keys) == len(set(keys)) and decision.steps
