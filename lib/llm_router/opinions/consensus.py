"""Consensus: the same prompt to N models in parallel and blinded (fanout.py), each answer
labelled with the model that actually gave it, failures with their error class, and on request
one model's synthesis of the labelled answers.

Exit codes (ALL_ANSWERED, SOME_FAILED, NONE_ANSWERED) say how many answered."""

from __future__ import annotations

import time

from ..errors import UsageError
from . import fanout

ALL_ANSWERED, NONE_ANSWERED, SOME_FAILED = 0, 1, 5
DEFAULT_TIMEOUT_S = 300.0
SYNTHESIS_TEMPLATE = """You are given {n} independent answers, each from a different model, to the question below.
The models did not see each other's answers. Compare them; do not add a new answer of your own.

Write three sections:
1. Agreements: the points all or most models make.
2. Disagreements: each point where they differ, and which model (by its label) holds which side.
3. Recommendation: what to do, and why, given the above.

## Question
{question}

{answers}
"""


def models_from(pol: dict, models: str | None, tiers: str | None) -> list[str]:
    """Model keys from --models a,b / --tiers opus,haiku / policy consensus.models; checked."""
    known = pol.get("external_models") or {}
    if models:
        keys = [k.strip() for k in models.split(",") if k.strip()]
    elif tiers:
        tier_map = pol.get("claude_to_external_map") or {}
        keys = []
        for tier in (t.strip() for t in tiers.split(",") if t.strip()):
            if tier not in tier_map:
                raise UsageError(f"--tiers: unknown tier '{tier}'",
                                 "use tiers from claude_to_external_map: " + ", ".join(tier_map))
            keys.append(tier_map[tier])
    else:
        keys = list((pol.get("consensus") or {}).get("models") or [])
        if not keys:
            raise UsageError("no models to ask", "pass --models a,b or set consensus.models in the policy")
    keys = list(dict.fromkeys(keys))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise UsageError(f"unknown model key(s): {', '.join(unknown)}",
                         "see `llm-router models` for the keys in your policy")
    return keys


def timeout_from(pol: dict, timeout: float | None) -> float:
    return float(timeout or (pol.get("consensus") or {}).get("timeout_s") or DEFAULT_TIMEOUT_S)


def run(prompt: str, keys: list[str], timeout_s: float, synthesize: str | None = None,
        cwd: str | None = None) -> dict:
    started = time.monotonic()
    members = fanout.ask_all(prompt, keys, timeout_s, cwd)
    report = {"question": prompt, "asked": len(keys), "answered": sum(m.get("ok") is True for m in members),
              "members": members, "wall_s": round(time.monotonic() - started, 2), "synthesis": None}
    if synthesize and report["answered"]:
        [synthesis] = fanout.ask_all(synthesis_prompt(prompt, members), [synthesize], timeout_s, cwd)
        report["synthesis"] = synthesis
    report["wall_s"] = round(time.monotonic() - started, 2)
    report["exit_code"] = exit_code(report)
    return report


def synthesis_prompt(question: str, members: list[dict]) -> str:
    answers = "\n\n".join(f"## Answer from {m['model']}\n{m['text'].strip()}" for m in members if m.get("ok"))
    return SYNTHESIS_TEMPLATE.format(n=sum(bool(m.get("ok")) for m in members), question=question.strip(),
                                     answers=answers)


def exit_code(report: dict) -> int:
    if report["answered"] == report["asked"]:
        return ALL_ANSWERED
    return SOME_FAILED if report["answered"] else NONE_ANSWERED


def render(report: dict) -> str:
    lines = [f"# Consensus: {report['answered']} of {report['asked']} models answered "
             f"(wall {report['wall_s']:g} s)", ""]
    for member in report["members"]:
        if member.get("ok"):
            asked = f", asked {member['requested']}" if member["requested"] != member["model"] else ""
            lines += [f"## \N{ELECTRIC PLUG} [External: {member['model']}] ({member['elapsed_s']:g} s{asked})",
                      member["text"].rstrip(), ""]
    failures = [m for m in report["members"] if not m.get("ok")]
    if failures:
        lines.append("## Failed")
        lines += [f"- {m['requested']}: {m['error_class']}: {first_line(m.get('message'))}" for m in failures]
        lines.append("")
    synthesis = report.get("synthesis")
    if synthesis and synthesis.get("ok"):
        lines += [f"## Synthesis by \N{ELECTRIC PLUG} [External: {synthesis['model']}]",
                  synthesis["text"].rstrip(), ""]
    elif synthesis:
        lines += [f"## Synthesis failed: {synthesis['requested']}: {synthesis['error_class']}: "
                  f"{first_line(synthesis.get('message'))}", ""]
    return "\n".join(lines)


def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0][:300] if lines else ""


def member(model_key: str, prompt: str, timeout_s: float | None, cwd: str | None) -> dict:
    """What one member process does: one read-only call through invocation.answer."""
    from .. import invocation
    from ..errors import AllProvidersFailed, RouterError

    try:
        result, attempts, decision = invocation.answer(prompt, model=model_key, cwd=cwd, timeout=timeout_s,
                                                       scope="read-only")
    except AllProvidersFailed as exc:
        last = exc.attempts[-1] if exc.attempts else None
        return {"ok": False, "requested": model_key, "model": model_key,
                "error_class": (last and last.error_class) or "AllProvidersFailed",
                "message": (last and last.message) or exc.message,
                "attempts": [a.as_dict() for a in exc.attempts]}
    except RouterError as exc:
        return {"ok": False, "requested": model_key, "model": model_key, "error_class": type(exc).__name__,
                "message": exc.message, "attempts": []}
    used = next((a for a in reversed(attempts) if a.outcome == "ok"), None)
    answered = used.model_key if used else decision.model_key
    if not result.text.strip():  # an empty answer is a failure, never shown as one
        return {"ok": False, "requested": model_key, "model": answered, "error_class": "BadOutput",
                "message": "the model returned an empty answer", "attempts": [a.as_dict() for a in attempts]}
    return {"ok": True, "requested": model_key, "model": answered, "provider": result.provider,
            "provider_model": result.model, "text": result.text, "latency_ms": result.latency_ms,
            "cost_usd": result.cost_usd, "attempts": [a.as_dict() for a in attempts]}
