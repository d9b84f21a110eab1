"""SessionStart: announce external mode (to the model and the user) when it is on, and
start the plugin's venv setup in the background when it is missing or stale.

When the mode is off this prints nothing, so the plugin costs the model zero tokens.
"""

from .. import state
from ..state import tier_text

TOGGLE_HELP = 'Turn it off with "/pa --external off" or by saying "go back to claude".'


def handle(event: dict) -> dict | None:
    from ..setup import venv

    venv.start_in_background_if_needed()
    current, warning = state.load_mode()
    if warning:
        from ..log import log_problem

        log_problem(warning)
    if not current["enabled"]:
        return None
    from .. import policy, presets  # only when there is something to announce

    pol, problem = presets.effective_or_plain(policy.load_policy_quietly(), current)
    if problem:
        from ..log import log_problem

        log_problem(problem)
    tiers = policy.tier_map(pol)
    return {
        "systemMessage": user_message(current, tiers),
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": model_context(current, tiers,
                                           (pol.get("agents") or {}).get("external_for", "tiered")),
        },
    }


AGENTS_TEXT = {
    "tiered": "every subagent with a Claude tier (llm-router's, Claude Code's built-in ones, the user's; "
              "an agent that inherits uses this session's tier)",
    "all": "every subagent",
    "plugin": "llm-router's subagents (explorer, summarizer, implementer, reviewer, architect)",
}


def model_context(current: dict, tiers: dict, external_for: str = "tiered") -> str:
    agents = AGENTS_TEXT.get(external_for)
    agents_text = (f"work given to {agents}, unless the policy excludes it, is carried out by the "
                   "external model mapped from the agent's tier, and " if agents else "")
    reason = f" (reason: {current['reason']})" if current.get("reason") else ""
    return (
        "external-mode:enabled\n"
        f"llm-router external mode is ON since {current['activated_at']}{reason}.\n"
        f"{preset_text(current)}Tier map (Claude tier -> external model): {tier_text(tiers)}.\n"
        f"While it is on, {agents_text}/pa <request> is answered by the external model through "
        "`llm-router invoke`. "
        'Answers that came from an external model start with "🔌 [External: <model>]". '
        f"{TOGGLE_HELP}"
    )


def user_message(current: dict, tiers: dict) -> str:
    preset = f", preset {current['prefer']}" if current.get("prefer") else ""
    return (f"🔌 llm-router: external mode is ON (since {current['activated_at']}{preset}): "
            f"{tier_text(tiers, '→', ', ')}. {TOGGLE_HELP}")


def preset_text(current: dict) -> str:
    if not current.get("prefer"):
        return ""
    return (f"The user chose the {current['prefer']} preset: every tier goes to {current['prefer']}'s "
            "models until external mode is turned off.\n")


