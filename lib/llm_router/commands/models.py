"""llm-router models [--json]

Every policy model with each transport's availability and why, plus the providers in
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
    providers = detected_providers(pol, router.settings(pol)["auto_detect_order"])
    models = [_model_row(pol, key, model) for key, model in pol.get("external_models", {}).items()]
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
            print(f"    {mark:<3} {via['provider']:<15} {via['model']:<38} {via['why']}")
    return 0


def detected_providers(pol: dict, order: list) -> list[dict]:
    from ..routing.chain import check_available
    from ..routing.router import Step, provider_options

    rows = []
    for name in order:
        _p, usable, why = check_available(Step(0, "", name, "", provider_options(pol, name)))
        rows.append({"name": name, "available": usable, "why": why})
    return rows


def _model_row(pol: dict, key: str, model: dict) -> dict:
    from ..routing.chain import check_available
    from ..routing.router import Step, step_options

    vias = []
    for via in model.get("via", []):
        _p, usable, why = check_available(Step(0, key, via["provider"], via["model"], step_options(pol, via)))
        vias.append({"provider": via["provider"], "model": via["model"],
                     "endpoint": via.get("endpoint"), "available": usable, "why": why})
    return {"key": key, "tier": model.get("tier"), "vendor": model.get("vendor", ""),
            "use_cases": model.get("use_cases", []), "fallbacks": model.get("fallbacks", []),
            "via": vias}
