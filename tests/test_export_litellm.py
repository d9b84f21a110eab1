"""`llm-router export litellm`: the policy -> LiteLLM config mapping (the real proxy loads it in
tests/gateway/)."""

import json

from ruamel.yaml import YAML

from llm_router.gateway.litellm import policy_fragment, proxy_config


def policy() -> dict:
    http = lambda endpoint, model: {"provider": "openai-http", "endpoint": endpoint, "model": model}  # noqa: E731
    return {
        "external_models": {
            "a/small": {"tier": "haiku", "context_window": 8000, "fallbacks": ["b/big", "c/cli"],
                        "via": [{"provider": "opencode", "model": "x/small"}, http("one", "small-1"),
                                {"provider": "anthropic-http", "endpoint": "two", "model": "small-2"}]},
            "b/big": {"tier": "opus", "context_window": 200000, "via": [http("local", "big")]},
            "c/cli": {"tier": "sonnet", "via": [{"provider": "copilot", "model": "c"}]},
            "d/proxied": {"tier": "sonnet", "via": [http("litellm", "d")]}},
        "endpoints": {"one": {"kind": "openai", "base_url": "https://one.example/v1",
                              "api_key_env": "ONE_KEY", "headers": {"X-Title": "t"}, "timeout_s": 30},
                      "two": {"kind": "anthropic", "base_url_env": "TWO_URL", "api_key_env": "TWO_KEY"},
                      "local": {"kind": "openai", "base_url_env": "LOCAL_URL"},
                      "litellm": {"kind": "openai", "base_url_env": "LITELLM_BASE_URL"}},
        "routing": {"retries": 2, "cooldown_after_failures": 4, "cooldown_s": 60},
        "budgets": {"daily_usd": 5, "monthly_usd": 100, "session_calls": 50},
        "pricing": {"models": {"b/big": {"input": 3.0, "output": 15.0}}},
    }


def test_model_list_keys_fallbacks_and_budgets():
    config, notes = proxy_config(policy())
    entries = {e["model_name"]: e for e in config["model_list"]}
    assert set(entries) == {"a/small", "a/small#2", "b/big"}  # no CLI-only, no proxy-to-itself
    assert entries["a/small"]["litellm_params"] == {
        "model": "openai/small-1", "api_base": "https://one.example/v1",
        "api_key": "os.environ/ONE_KEY", "extra_headers": {"X-Title": "t"}, "timeout": 30}
    assert entries["a/small#2"]["litellm_params"] == {
        "model": "anthropic/small-2", "api_base": "os.environ/TWO_URL", "api_key": "os.environ/TWO_KEY"}
    assert entries["b/big"]["litellm_params"]["api_key"] == "no-key"  # a keyless local server
    assert entries["b/big"]["model_info"] == {"max_input_tokens": 200000,
                                              "input_cost_per_token": 3e-06,
                                              "output_cost_per_token": 1.5e-05}
    router = config["router_settings"]
    assert router["fallbacks"] == [{"a/small": ["a/small#2", "b/big"]}]  # c/cli is not HTTP
    assert router["context_window_fallbacks"] == [{"a/small": ["b/big"]}]
    assert router["enable_pre_call_checks"] is True
    assert (router["num_retries"], router["allowed_fails"], router["cooldown_time"]) == (2, 4, 60)
    assert config["litellm_settings"]["max_budget"] == 100
    assert config["litellm_settings"]["budget_duration"] == "30d"
    assert config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    text = "\n".join(notes)
    assert "Stays local: c/cli" in text and "budgets.daily_usd" in text and "budgets.session_calls" in text


def test_policy_fragment_puts_the_proxy_first_and_keeps_cli_vias_behind():
    fragment, local = policy_fragment(policy())
    assert fragment["external_models"]["a/small"]["via"] == [
        {"provider": "openai-http", "endpoint": "litellm", "model": "a/small"},
        {"provider": "opencode", "model": "x/small"}]
    assert set(fragment["external_models"]) == {"a/small", "b/big"}
    assert set(local) == {"c/cli", "d/proxied"}
    assert fragment["endpoints"]["litellm"]["api_key_env"] == "LITELLM_API_KEY"


def test_cli_writes_yaml_without_secret_values(cli, data_dir, tmp_path, monkeypatch):
    (data_dir / "model-policy.json").write_text(json.dumps(policy()))
    out = tmp_path / "config.yaml"
    proc = cli("export", "litellm", "--out", str(out),
               env={"ONE_KEY": "sk-secret-value-123", "TWO_KEY": "sk-other-456"})
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "sk-secret-value-123" not in text and "sk-other-456" not in text
    loaded = YAML(typ="safe").load(text)
    assert {"a/small", "a/small#2", "b/big", "zai/glm-4.7"} == {e["model_name"] for e in loaded["model_list"]}
    assert text.startswith("# LiteLLM proxy config written by llm-router")
    fragment = cli("export", "litellm", "--policy")
    assert json.loads(fragment.stdout)["external_models"]["a/small"]["via"][0]["endpoint"] == "litellm"
    assert "c/cli" in fragment.stderr
