"""UserPromptSubmit: act on clear external-mode toggles before the model sees the prompt.

The detector (intent/detect.py) is built for precision: anything it is unsure of is "none", and then
this hook prints nothing. For a clear enable/disable the state flips at once and the model is
told so in additionalContext (marked `llm-router:toggle-applied`, so the skill confirms rather
than toggling again); the user sees a systemMessage. `status` adds the current mode; `once`
marks this one prompt for an external answer. The prompt itself is never blocked or erased.

A typed `/pa …` has its arguments stored for the session first (handoff.stash_pa): the /pa
command's `!` line reads them from there, so they never appear in a shell command line.
"""

import os

from .. import paths, state
from ..state import tier_text
from .session_start import TOGGLE_HELP

APPLIED = "llm-router:toggle-applied"
LOCK_WAIT_S = 0.5  # a held state lock costs the prompt at most this; then the hook gives up (logged)


def handle(event: dict) -> dict | None:
    prompt = event.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return None
    _stash_pa(event, prompt)
    from ..intent.detect import HOOK_THRESHOLD, classify

    verdict = classify(prompt)
    if verdict.get("confidence", 0) < HOOK_THRESHOLD:
        return None  # unsure: leave it to the skill, which can ask
    handler = _HANDLERS.get(verdict.get("action"))
    return handler(verdict) if handler else None


def _stash_pa(event: dict, prompt: str) -> None:
    if not prompt.lstrip().startswith("/"):
        return  # not a slash command: nothing to import on the common path
    from .. import handoff

    arguments = handoff.pa_arguments(prompt)
    if arguments is not None and not handoff.stash_pa(event.get("session_id"), arguments):
        from ..log import log_problem

        log_problem("/pa: the prompt event has no usable session_id; its arguments were not stored")


def _tiers(mode: dict | None = None) -> dict:
    from .. import policy, presets

    pol = policy.load_policy_quietly()
    return policy.tier_map(presets.effective_or_plain(pol, mode or state.load_mode()[0])[0])


def _output(context: str, message: str | None) -> dict:
    out = {"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": context}}
    if message:
        out["systemMessage"] = message
    return out


def _enable(verdict: dict) -> dict:
    """Turn the mode on; when the user named a vendor (the detector's optional `vendor`),
    bind its preset. A vendor without a preset changes nothing and says what to add."""
    before, _ = state.load_mode()
    prefer, problem = _preset_for(verdict.get("vendor"))
    if problem:
        return _preset_missing(before, problem)
    said = f'user said "{verdict.get("trigger") or "switch to external"}"'
    changes = not before["enabled"] or (prefer and prefer != before.get("prefer"))
    now = state.set_mode(True, said, changed_by="hook", prefer=prefer,
                                 lock_wait=LOCK_WAIT_S) if changes else before
    tiers = _tiers(now)
    already = "is now ON" if not before["enabled"] else ("was already ON" if not changes else "stays ON")
    preset = f" with the {now['prefer']} preset" if now.get("prefer") else ""
    context = (f"{APPLIED} external-mode:enabled\n"
               f"The user's message asks to switch to external models. llm-router's prompt hook has "
               f"already handled it: external mode {already}{preset} (since {now['activated_at']}); no "
               f"command needs to run for the switch. Tier map (Claude tier -> external model): "
               f"{tier_text(tiers)}. A fitting reply confirms it, e.g. \"External mode is now on: opus, "
               f'sonnet and haiku work goes to {", ".join(tiers.values())}." {TOGGLE_HELP}')
    return _output(context, f"🔌 llm-router: external mode {already}{preset} "
                            f"({tier_text(tiers, '→', ', ')}). {TOGGLE_HELP}")


def _preset_for(vendor: object) -> tuple[str | None, str | None]:
    """(preset name, None), (None, None) when no vendor was named, or (None, the error text)."""
    from .. import policy, presets
    from ..errors import RouterError

    if not isinstance(vendor, str) or not vendor.strip():
        return None, None
    pol = policy.load_policy_quietly()
    name = presets.canonical(vendor, pol)
    try:
        presets.resolve(pol, name)
    except RouterError as exc:
        return None, exc.user_text()
    return name, None


def _preset_missing(before: dict, problem: str) -> dict:
    mode = "stays ON as it was" if before["enabled"] else "stays OFF"
    context = (f"{APPLIED} llm-router:preset-missing\n"
               f"The user asked to switch to a vendor llm-router has no models for, so nothing was "
               f"switched: external mode {mode}. What llm-router reported: {problem}\n"
               "A fitting reply tells the user exactly that, with the fix, and runs no mode command.")
    return _output(context, f"llm-router: external mode {mode}: {problem}")


def _disable(verdict: dict) -> dict:
    before, _ = state.load_mode()
    if before["enabled"]:
        state.set_mode(False, f'user said "{verdict.get("trigger") or "back to claude"}"', changed_by="hook",
                       lock_wait=LOCK_WAIT_S)
    was = "is now OFF" if before["enabled"] else "was already OFF"
    context = (f"{APPLIED} external-mode:disabled\n"
               f"The user's message asks to go back to Claude. llm-router's prompt hook has already handled "
               f"it: external mode {was}, so Claude answers everything again; no command needs to run. "
               f'A fitting reply confirms it, e.g. "External mode is off: Claude handles everything again."')
    return _output(context, f"llm-router: external mode {was}; Claude answers everything again.")


def _status(verdict: dict) -> dict:
    current, warning = state.load_mode()
    text = state.describe(current)
    if current["enabled"]:
        text += f"; tier map: {tier_text(_tiers(current))}"
    if warning:
        text += f" (warning: {warning})"
    return _output(f"llm-router:status llm-router reports: {text}.", f"llm-router: {text}")


def _once(verdict: dict) -> dict:
    current, _ = state.load_mode()
    cli = os.path.join(os.environ.get("CLAUDE_PLUGIN_ROOT") or paths.plugin_root(), "bin", "llm-router")
    context = (
        "llm-router:once\n"
        "The user asked for this one request to be answered by an external model; external mode stays "
        f"{'ON' if current['enabled'] else 'OFF'} (no state change). The request is answered by running, "
        f"with the Bash tool, `\"{cli}\" invoke --json` with the request text on stdin through a quoted "
        "heredoc (<<'LLM_ROUTER_EOF' ... LLM_ROUTER_EOF), not in the command line; the reply then "
        "starts with \"🔌 [External: <model>]\" (the JSON's model field) followed by the JSON's text. "
        "If the command fails, the reply says plainly what failed instead of answering with Claude."
    )
    return _output(context, "🔌 llm-router: this request goes to an external model (one time; mode unchanged).")


_HANDLERS = {"enable": _enable, "disable": _disable, "status": _status, "once": _once}
