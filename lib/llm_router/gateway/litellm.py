"""The merged policy as a LiteLLM proxy config, and the policy fragment that points the
plugin at that proxy. Pure: dicts in, dicts out (commands/export.py writes the YAML).

What maps to what:
  a model key with an HTTP via   -> a model_list entry named by the key (`openai/<model>` or
                                    `anthropic/<model>`); a second HTTP via -> `<key>#2`,
                                    tried as the key's first fallback
  endpoint base_url / _env       -> api_base (a literal URL, or os.environ/VAR)
  endpoint api_key_env           -> api_key: os.environ/VAR (never a value)
  endpoint headers, timeout_s    -> extra_headers, timeout
  context_window                 -> model_info.max_input_tokens, and context_window_fallbacks
                                    to the HTTP models with larger windows
  pricing (table + policy)       -> model_info.input/output_cost_per_token, so the proxy
                                    prices calls and sends x-litellm-response-cost
  fallbacks (both ends HTTP)     -> router_settings.fallbacks
  routing retries / cooldowns    -> num_retries, allowed_fails, cooldown_time
  budgets.monthly_usd/daily_usd  -> litellm_settings.max_budget + budget_duration
A model only a CLI reaches (a Copilot or Gemini subscription login) cannot go through a
proxy: it stays local, and the config's header says so.
"""

from __future__ import annotations

from ..usage import pricing

KINDS = {"openai-http": "openai", "anthropic-http": "anthropic"}
PROXY_ENDPOINT = "litellm"
KEYLESS = "no-key"  # LiteLLM's openai client insists on some key; local servers ignore it


def http_vias(policy: dict, key: str) -> list[dict]:
    """The model's vias LiteLLM can serve (HTTP, and not the proxy itself)."""
    vias = policy.get("external_models", {}).get(key, {}).get("via", [])
    return [via for via in vias if via["provider"] in KINDS and via.get("endpoint") != PROXY_ENDPOINT]


def local_reasons(policy: dict) -> dict:
    """{key: why it stays local} for every model with no HTTP via."""
    out = {}
    for key, entry in policy.get("external_models", {}).items():
        if not http_vias(policy, key):
            clis = sorted({via["provider"] for via in entry.get("via", [])})
            out[key] = (f"only a CLI reaches it ({', '.join(clis)}: a login on the developer's "
                        "machine, which a proxy cannot use)")
    return out


def _params(policy: dict, via: dict) -> dict:
    endpoint = policy.get("endpoints", {}).get(via.get("endpoint") or "", {})
    options = {**endpoint, **(via.get("options") or {})}
    params = {"model": f"{KINDS[via['provider']]}/{via['model']}"}
    if options.get("base_url"):
        params["api_base"] = options["base_url"]
    elif options.get("base_url_env"):
        params["api_base"] = f"os.environ/{options['base_url_env']}"
    params["api_key"] = (f"os.environ/{options['api_key_env']}" if options.get("api_key_env")
                         else KEYLESS)
    if options.get("headers"):
        params["extra_headers"] = dict(options["headers"])
    if options.get("timeout_s"):
        params["timeout"] = options["timeout_s"]
    for name in ("max_tokens", "temperature"):
        if options.get(name) is not None:
            params[name] = options[name]
    return params


def _model_info(policy: dict, key: str, table: dict) -> dict:
    info = {}
    window = policy["external_models"][key].get("context_window")
    if window:
        info["max_input_tokens"] = window
    price = pricing.price_for(table, key)
    if price:
        info["input_cost_per_token"] = price["input"] / pricing.PER
        info["output_cost_per_token"] = price["output"] / pricing.PER
    return info


def proxy_config(policy: dict) -> tuple[dict, list[str]]:
    """(config, notes): the proxy's config.yaml as a dict, and lines for its header comment."""
    table = pricing.load_table(policy)
    model_list, fallbacks, exported = [], [], []
    for key in policy.get("external_models", {}):
        names = []
        for index, via in enumerate(http_vias(policy, key)):
            name = key if index == 0 else f"{key}#{index + 1}"
            entry = {"model_name": name, "litellm_params": _params(policy, via)}
            info = _model_info(policy, key, table)
            if info:
                entry["model_info"] = info
            model_list.append(entry)
            names.append(name)
        if names:
            exported.append(key)
    for key in exported:
        extra = [name for name in (e["model_name"] for e in model_list)
                 if name.startswith(f"{key}#")]
        later = [fb for fb in policy["external_models"][key].get("fallbacks", []) if fb in exported]
        if extra or later:
            fallbacks.append({key: extra + later})
    router = _router_settings(policy, exported, fallbacks)
    config = {"model_list": model_list, "router_settings": router,
              "litellm_settings": {"request_timeout": _routing(policy, "call_timeout_s", 480)},
              "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"}}
    notes = _budgets(policy, config["litellm_settings"])
    return config, _header(policy, exported, notes)


def _routing(policy: dict, name: str, default):
    return policy.get("routing", {}).get(name, default)


def _router_settings(policy: dict, exported: list[str], fallbacks: list[dict]) -> dict:
    router = {"num_retries": _routing(policy, "retries", 1),
              "allowed_fails": _routing(policy, "cooldown_after_failures", 3),
              "cooldown_time": _routing(policy, "cooldown_s", 300)}
    if fallbacks:
        router["fallbacks"] = fallbacks
    windows = {key: policy["external_models"][key].get("context_window") for key in exported}
    bigger = []
    for key, window in windows.items():
        larger = sorted((w, k) for k, w in windows.items() if window and w and w > window)
        if larger:
            bigger.append({key: [k for _, k in larger]})
    if bigger:
        router["context_window_fallbacks"] = bigger
    if any(windows.values()):
        router["enable_pre_call_checks"] = True  # checks max_input_tokens before a call
    return router


def _budgets(policy: dict, settings: dict) -> list[str]:
    """Set LiteLLM's one proxy-wide budget; say which caps have no equivalent."""
    budgets = policy.get("budgets", {})
    notes = []
    if budgets.get("monthly_usd") is not None:
        settings.update(max_budget=budgets["monthly_usd"], budget_duration="30d")
        if budgets.get("daily_usd") is not None:
            notes.append(f"budgets.daily_usd ({budgets['daily_usd']}): the proxy has one global "
                         "budget (monthly is set); give each key a daily max_budget instead")
    elif budgets.get("daily_usd") is not None:
        settings.update(max_budget=budgets["daily_usd"], budget_duration="1d")
    for name in ("session_calls", "runaway_max_repeats", "on_exceed"):
        if name in budgets:
            notes.append(f"budgets.{name}: no LiteLLM equivalent; the plugin still enforces it")
    return notes


def _header(policy: dict, exported: list[str], notes: list[str]) -> list[str]:
    from .. import __version__

    lines = [f"LiteLLM proxy config written by llm-router {__version__} `export litellm`.",
             "Keys are read from the environment (os.environ/VAR); this file holds none.",
             f"Models served: {', '.join(exported) or 'none (no model has an HTTP via)'}."]
    lines += [f"Stays local: {key}: {why}." for key, why in local_reasons(policy).items()]
    return lines + notes


def policy_fragment(policy: dict) -> tuple[dict, dict]:
    """(fragment, stays-local): a policy layer that sends every exported model through the
    proxy first (its CLI vias stay behind it, as fallbacks for when the proxy is down).
    Tiers and tasks keep naming the same keys, so they follow."""
    models = {}
    for key, entry in policy.get("external_models", {}).items():
        if not http_vias(policy, key):
            continue
        clis = [via for via in entry["via"] if via["provider"] not in KINDS]
        models[key] = {"via": [{"provider": "openai-http", "endpoint": PROXY_ENDPOINT,
                                "model": key}, *clis]}
    local = local_reasons(policy)
    fragment = {
        "$comment": ("llm-router export litellm --policy: put this in <data dir>/model-policy.json "
                     "and set LITELLM_BASE_URL and LITELLM_API_KEY (your key from the proxy). "
                     "Staying local (CLI only, see stderr): " + (", ".join(local) or "none")),
        "endpoints": {PROXY_ENDPOINT: {"kind": "openai", "base_url_env": "LITELLM_BASE_URL",
                                       "api_key_env": "LITELLM_API_KEY"}},
        "external_models": models}
    return fragment, local
