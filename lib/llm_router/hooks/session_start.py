"""SessionStart: announce external mode (to the model and the user) when it is on, and
start the plugin's venv setup in the background when it is missing or stale.

When the mode is off this prints nothing, so the plugin costs the model zero tokens, unless
the project's .claude/llm-router.json is ignored for want of trust: then one line says so
(without repeating anything the file says: its text is the repository's, not the user's).
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
    notice = untrusted_notice()
    if not current["enabled"]:
        return _output(notice, notice) if notice else None
    from .. import policy, presets  # only when there is something to announce

    pol, problem = presets.effective_or_plain(policy.load_policy_quietly(), current)
    if problem:
        from ..log import log_problem

        log_problem(problem)
    tiers = policy.tier_map(pol)
    extra = f"\n{notice}" if notice else ""
    external_for = (pol.get("agents") or {}).get("external_for", "tiered")
    return _output(user_message(current, tiers) + extra,
                   model_context(current, tiers, external_for) + extra)


def _output(message: str, context: str) -> dict:
    return {"systemMessage": message,
            "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": context}}


def untrusted_notice() -> str | None:
    """One line when this project's policy file is ignored because it needs trust, else None.
    Costs one stat when the project has no such file."""
    import os

    from .. import paths

    if not os.path.exists(os.path.join(paths.project_dir(), ".claude", "llm-router.json")):
        return None
    from .. import policy

    verdict = policy.project_status()  # logs the full reason to the problem log
    if verdict.used:
        return None
    return ("llm-router: ignored this project's .claude/llm-router.json: it sets options only a "
            "trusted file may set; review it, then run `llm-router policy trust` to use it.")


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


