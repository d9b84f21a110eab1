"""llm-router route [--task T | --tier T | --model KEY] [-p TEXT | --prompt-file F | stdin] [--json]

Shows the decision (model key, how it was chosen and why) and the fallback chain, each step
with its provider, the provider's model id, whether it is available and why. Calls no model.
The prompt is optional here: it only matters for automatic detection and rules.
"""

import json

from .invoke import add_prompt_args, add_route_args, read_prompt


def configure(parser) -> None:
    add_route_args(parser)
    add_prompt_args(parser)


def run(args) -> int:
    from .. import invocation
    from .invoke import checked_cwd

    prompt = read_prompt(args, required=False)
    decision, steps = invocation.route(prompt, task=args.task, tier=args.tier, model=args.model,
                                       cwd=checked_cwd(args.cwd))
    if args.json:
        print(json.dumps({**decision.as_dict(), "chain": steps}))
        return 0
    print(f"model:  {decision.model_key}")
    print(f"reason: {decision.reason}")
    print(f"prompt: {decision.prompt_chars} chars, ~{decision.tokens} tokens (UTF-8 bytes/4)")
    print("chain:")
    for step in steps:
        print("  " + _step_line(step))
    return 0


def _step_line(step: dict) -> str:
    if not step["available"]:
        state = "unavailable"
    elif step["cooling_down_s"]:
        state = f"cooling down {step['cooling_down_s']} s ({step['cooldown_key']})"
    else:
        state = "available" if step["within_max_hops"] else "beyond max_hops"
    model = step["model"] or "(provider default)"
    return (f"{step['position']:>2}. {step['provider']:<15} {model:<38} [{step['model_key']}]  "
            f"{state}: {step['why']}")
