"""The detached worker behind `llm-router jobs start`: runs one job and records its end.

It says "running" with its pid (and the pid's start time, so a recycled pid is not taken for
it), touches the heartbeat every store.HEARTBEAT_S from a daemon thread while the call runs
in the main thread (where io/proc.py's signal guard works), streams the text into output.txt,
then writes answer.json or error.json and the final state. A call goes through
invocation.answer like a foreground one, so its ledger rows, cooldowns and budgets are the
same; its deadline is the job's own (policy jobs.deadline_s), not the Bash tool's."""

from __future__ import annotations

import os
import threading
import time

from ..errors import AllProvidersFailed, RouterError, Terminated
from . import store

DEFAULT_DEADLINE_S = 3600.0


def deadline_s(pol: dict) -> float:
    value = (pol.get("jobs") or {}).get("deadline_s", DEFAULT_DEADLINE_S)
    return float(value)


def run(job_id: str) -> int:
    request = store.request(job_id)
    store.touch_heartbeat(job_id)  # before "running": a status in between must not see it silent
    state = store.update_state(job_id, {"state": "running", "pid": os.getpid(),
                                        "pid_start": store.process_start(os.getpid()),
                                        "started_at": time.time(),
                                        "deadline_s": request.get("deadline_s")})
    if state.get("state") != "running":  # cancelled before it began
        return 0
    stop = threading.Event()
    threading.Thread(target=_beat, args=(job_id, stop), daemon=True).start()
    try:
        payload = RUNNERS[request.get("kind", "invoke")](job_id, request)
    except Terminated as exc:
        _fail(job_id, "Terminated", f"the worker was stopped by signal {exc.signum}", "")
        return 128 + exc.signum
    except RouterError as exc:
        _fail(job_id, type(exc).__name__, exc.message, exc.hint,
              [a.as_dict() for a in exc.attempts] if isinstance(exc, AllProvidersFailed) else None)
        return exc.exit_code
    except Exception as exc:  # recorded, never left at "running"; the traceback goes to worker.log
        import traceback

        traceback.print_exc()
        _fail(job_id, type(exc).__name__, f"the worker crashed: {exc}", "see worker.log in the job's folder")
        return 1
    finally:
        stop.set()
        _forget_prompt(job_id, request)
    store.write_file(job_id, "answer.json", payload)
    store.update_state(job_id, {"state": "done", "ended_at": time.time(),
                                "model": payload.get("model"), "exit_code": payload.get("exit_code", 0)})
    return 0


def _forget_prompt(job_id: str, request: dict) -> None:
    """The prompt was needed to run the call, not after it: keep its hash and length only, so a
    secret pasted into a prompt does not sit in the data dir until the job is pruned."""
    if "prompt" not in request:
        return
    from ..io.digest import sha256_hex

    prompt = request.pop("prompt")
    request.update(prompt_sha256=sha256_hex(prompt.encode("utf-8", "surrogatepass")),
                   prompt_chars=len(prompt))
    try:
        store.write_file(job_id, "request.json", request)
    except OSError:
        pass


def _beat(job_id: str, stop: threading.Event) -> None:
    while not stop.wait(store.HEARTBEAT_S):
        try:
            store.touch_heartbeat(job_id)
        except OSError:
            pass  # a full disk must not kill the call; status will say stale if it lasts


def _fail(job_id: str, error_class: str, message: str, hint: str, attempts: list | None = None) -> None:
    store.write_file(job_id, "error.json", {"error_class": error_class, "message": message,
                                            "hint": hint, "attempts": attempts})
    store.update_state(job_id, {"state": "failed", "ended_at": time.time(),
                                "error_class": error_class})


def run_invoke(job_id: str, request: dict) -> dict:
    from .. import invocation

    turn = invocation.Turn(request.get("continue"), bool(request.get("allow_switch")))
    result, attempts, decision = invocation.answer(
        request["prompt"], task=request.get("task"), tier=request.get("tier"),
        model=request.get("model"), cwd=request.get("cwd"), stream=True,
        on_text=lambda text: store.append_output(job_id, text),
        session_id=request.get("session_id"), timeout=request.get("deadline_s"),
        scope=request.get("scope", "write"), turn=turn)
    if not result.text.strip():  # an empty answer is an error, never a success
        from ..errors import BadOutput

        raise BadOutput(f"{decision.model_key} returned an empty answer", "ask again or pick another model")
    used = next((a for a in reversed(attempts) if a.outcome == "ok"), None)
    return {"model": used.model_key if used else decision.model_key,
            "provider": result.provider or (used.provider if used else None),
            "provider_model": result.model, "text": result.text, "usage": result.usage.as_dict(),
            "latency_ms": result.latency_ms, "cost_usd": result.cost_usd,
            "task": decision.task, "tier": decision.tier, "reason": decision.reason,
            "attempts": [a.as_dict() for a in attempts],
            "external": (result.provider or "") != "claude", "scope": request.get("scope", "write"),
            "thread": turn.thread_id, "switched_from": turn.switched_from}


def run_opinion(job_id: str, request: dict) -> dict:
    """consensus or review in the background: the same code as the foreground command, its
    rendered text and JSON kept as the answer."""
    from ..opinions import background

    return background.run(request, lambda text: store.append_output(job_id, text))


RUNNERS = {"invoke": run_invoke, "consensus": run_opinion, "review": run_opinion}
