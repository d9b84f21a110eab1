"""llm-router models [--json]

Every policy model with each transport's availability and why (and a cooldown in force on
it, with its key for `llm-router cooldowns clear`), plus the providers in
auto-detection order (routing.auto_detect_order) and the first usable one, which is the
provider a request falls back to when the policy names none (e.g. LLM_ROUTER_PROVIDER
naming a provider no via uses runs that provider's own default model).
"""

import json


def configure(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    from .. import invocation
    from ..routing import router

    pol = invocation.load_policy()
    settings = router.settings(pol)
    providers = detected_providers(pol, settings["auto_detect_order"])
    cools = invocation._cooldowns(settings)
    models = [_model_row(pol, key, model, cools) for key, model in pol.get("external_models", {}).items()]
    default = next((p["name"] for p in providers if p["available"]), None)
    if args.json:
        print(json.dumps({"providers": providers, "default_provider": default, "models": models}))
        return 0
    print("providers (auto-detect order): " + ", ".join(
        f"{p['name']} {'ok' if p['available'] else 'no'}" for p in providers))
    print(f"default provider: {default or '(none available)'}")
    for row in models:
        print(f"\n{row['key']}  [{row['tier']}]  {row['vendor']}  ({', '.join(row['use_cases'])})")
        for via in row["via"]:
            mark = "ok" if via["available"] else "no"
            why = via["why"] + (f"; cooling down {via['cooling_down_s']} s ({via['cooldown_key']})"
                                if via["cooling_down_s"] else "")
            print(f"    {mark:<3} {via['provider']:<15} {via['model']:<38} {why}")
    return 0


# An HTTP provider is usable through any endpoint of its kind, not through its bare options.
HTTP_KINDS = {"openai-http": "openai", "anthropic-http": "anthropic"}


def detected_providers(pol: dict, order: list) -> list[dict]:
    from ..routing.chain import check_available
    from ..routing.router import Step, provider_options

    rows = []
    for name in order:
        _p, usable, why = check_available(Step(0, "", name, "", provider_options(pol, name)))
        if not usable and name in HTTP_KINDS:
            usable, why = _any_endpoint(pol, name, why)
        rows.append({"name": name, "available": usable, "why": why})
    return rows


def _any_endpoint(pol: dict, name: str, why: str) -> tuple[bool, str]:
    from ..routing.chain import check_available
    from ..routing.router import Step, step_options

    for endpoint, settings in pol.get("endpoints", {}).items():
        if settings.get("kind") == HTTP_KINDS[name]:
            step = Step(0, "", name, "", step_options(pol, {"provider": name, "model": "", "endpoint": endpoint}))
            _p, usable, detail = check_available(step)
            if usable:
                return True, f"endpoint '{endpoint}': {detail}"
    return False, why


def _model_row(pol: dict, key: str, model: dict, cools=None) -> dict:
    from ..routing.chain import check_available, cooldown_key
    from ..routing.router import Step, step_options

    vias = []
    for via in model.get("via", []):
        step = Step(0, key, via["provider"], via["model"], step_options(pol, via, model))
        _p, usable, why = check_available(step)
        ckey = cooldown_key(step)
        vias.append({"provider": via["provider"], "model": via["model"],
                     "endpoint": via.get("endpoint"), "available": usable, "why": why,
                     "cooldown_key": ckey,
                     "cooling_down_s": round(cools.remaining(ckey)) if cools else 0})
    return {"key": key, "tier": model.get("tier"), "vendor": model.get("vendor", ""),
            "use_cases": model.get("use_cases", []), "fallbacks": model.get("fallbacks", []),
            "via": vias}
