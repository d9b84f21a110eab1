"""llm-router mode on [--reason TEXT] [--prefer VENDOR] | off | status [--json]"""

import json
import sys

from .. import policy, presets, state


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    on = sub.add_parser("on", help="send work to external models from now on")
    on.add_argument("--reason", help="why (shown in the session announcement)")
    on.add_argument("--prefer", metavar="VENDOR",
                    help="bind the tier map to one vendor's models for this mode session: a preset "
                         "from the policy's `presets` (codex, gemini, copilot, glm, local; "
                         "`mode off` clears it)")
    off = sub.add_parser("off", help="back to Claude for everything")
    off.add_argument("--reason", help="why (kept in the state file)")
    status = sub.add_parser("status", help="show the mode and the tier map in force")
    status.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    if args.action == "status":
        return _status(args.json)
    pol = _policy_for_display() if args.action == "on" else None
    prefer = presets.canonical(getattr(args, "prefer", None), pol)
    if prefer:
        presets.resolve(pol, prefer)  # UsageError (exit 2) before anything changes
    new = state.set_mode(args.action == "on", getattr(args, "reason", None), changed_by="cli",
                         prefer=prefer)
    print(f"llm-router: {state.describe(new)}")
    if new["enabled"]:
        print(_tier_line(presets.effective(pol, presets.active(new))))
    return 0


def _status(as_json: bool) -> int:
    current, warning = state.load_mode()
    if warning:
        print(f"llm-router: warning: {warning}", file=sys.stderr)
    preset = presets.active(current)
    tiers = policy.tier_map(presets.effective(_policy_for_display(), preset))
    if as_json:
        print(json.dumps({
            "enabled": current["enabled"],
            "activated_at": current["activated_at"],
            "reason": current["reason"],
            "prefer": preset,
            "tier_map": tiers,
            "state_file": state.state_path(),
        }))
    else:
        print(f"llm-router: {state.describe(current)}")
        print(_tier_line({"claude_to_external_map": tiers}))
    return 0


def _policy_for_display() -> dict:
    """The validated policy; an invalid one is an error, a missing validator only a warning."""
    from ..errors import MissingDependency

    try:
        return policy.load_policy(validate=True)
    except MissingDependency as exc:
        print(f"llm-router: warning: policy not schema-checked: {exc.user_text()}", file=sys.stderr)
        return policy.load_policy(validate=False)


def _tier_line(pol: dict) -> str:
    return "tier map: " + state.tier_text(policy.tier_map(pol), " -> ", ", ")
