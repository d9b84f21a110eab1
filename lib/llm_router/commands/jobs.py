"""llm-router jobs start|status|result|cancel|list|prune: calls that run in the background.

  jobs start [--task T | --tier T | --model KEY] [-p TEXT | --prompt-file F | stdin]
             [--cwd DIR] [--label L] [--timeout S] [--json]
      returns at once: the job id on stdout ({"id", "state"} with --json). The call runs
      detached (its own session), so it outlives the Bash tool call and the session. Its
      deadline is --timeout or policy jobs.deadline_s (default 3600 s).
  jobs status [ID] [--json]   queued | running | done | failed | cancelled | stale (with why),
                              model, elapsed time, last output line; no ID: every job
  jobs result ID [--wait S] [--json]
      the answer (after the 🔌 [External: <model>] line), or the error. --wait waits up to S
      seconds for the job to end (default 0; at most 540 s, below the Bash tool's 600 s
      limit: call it again to keep waiting). Exit 0 answer, 1 failed/cancelled/stale,
      4 not finished yet; a consensus or review job exits with that command's own code.
  jobs cancel ID              kills the job's worker and every process it started; records cancelled
  jobs list [--json]          every job, oldest first
  jobs prune --older-than D   removes ended jobs older than D (90s, 30m, 12h, 7d)
"""

import os
import sys
import time

from ..errors import UsageError
from ..io import fastjson

WAIT_CAP_S = 540.0  # the Bash tool kills a command at 600 s
NOT_FINISHED = 4


def configure(parser) -> None:
    from .invoke import _positive, add_continue_arg, add_prompt_args, add_route_args

    parser.epilog = (f"`result --wait` waits at most {WAIT_CAP_S:g} s (below the Bash tool's 600 s); "
                     "exit 4 means the job has not finished yet.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = sub.add_parser("start", help="start a call in the background; prints its id")
    add_route_args(start)
    add_prompt_args(start)
    start.add_argument("--label", help="a note shown by status and list")
    add_continue_arg(start)
    start.add_argument("--allow-switch", action="store_true",
                       help="with --continue: if the thread's provider cannot run now, continue "
                            "on the route's next model with a summary of the thread")
    start.add_argument("--timeout", type=_positive, metavar="S",
                       help="the job's deadline (default: policy jobs.deadline_s, 3600 s)")
    status = sub.add_parser("status", help="the state of one job, or of all")
    status.add_argument("id", nargs="?")
    status.add_argument("--json", action="store_true")
    result = sub.add_parser("result", help="print a job's answer or error")
    result.add_argument("id")
    result.add_argument("--wait", type=float, default=0.0, metavar="S",
                        help=f"wait up to S seconds for the job to end (default 0, at most {WAIT_CAP_S:g})")
    result.add_argument("--json", action="store_true")
    cancel = sub.add_parser("cancel", help="kill a job and everything it started")
    cancel.add_argument("id")
    cancel.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", help="every job, oldest first")
    listing.add_argument("--json", action="store_true")
    prune = sub.add_parser("prune", help="remove ended jobs older than a duration")
    prune.add_argument("--older-than", required=True, metavar="D", help="90s, 30m, 12h, 7d")
    prune.add_argument("--json", action="store_true")
    worker = sub.add_parser("_worker")  # started by `jobs start`, not by people
    worker.add_argument("id")


def run(args) -> int:
    return ACTIONS[args.action](args)


def start(args) -> int:
    from .. import invocation
    from ..jobs import worker
    from .invoke import checked_cwd, read_prompt

    prompt = read_prompt(args)
    cwd = os.path.abspath(checked_cwd(args.cwd) or os.getcwd())
    pol = invocation.load_policy()
    model_key = _continued_model(args) if args.continue_id else invocation.decide(
        pol, invocation.make_query(prompt, task=args.task, tier=args.tier, model=args.model, cwd=cwd)
    ).model_key
    request = {"kind": "invoke", "prompt": prompt, "task": args.task, "tier": args.tier,
               "model": args.model, "model_key": model_key, "cwd": cwd,
               "continue": args.continue_id, "allow_switch": args.allow_switch,
               "label": args.label, "session_id": os.environ.get("CLAUDE_CODE_SESSION_ID") or None,
               "deadline_s": args.timeout or worker.deadline_s(pol)}
    return launch(request, args.json)


def _continued_model(args) -> str:
    """The model key of thread `--continue ID` (a missing or broken thread fails now, not in
    the job); like invoke, --continue keeps the thread's model."""
    from .. import threads

    routed = [f"--{name}" for name in ("task", "tier", "model") if getattr(args, name, None)]
    if routed:
        raise UsageError(f"--continue takes the thread's own model; {', '.join(routed)} cannot "
                         "choose another", "drop " + ", ".join(routed) + " (or start a new thread)")
    return threads.load(args.continue_id).get("model") or "?"  # ThreadError: a usage error


def launch(request: dict, as_json: bool) -> int:
    """Create the job's folder, start its worker, print the id. Used by consensus/review --background."""
    from ..jobs import spawn, store

    job_id = store.create(request)
    pid = spawn.start_worker(job_id, store.folder(job_id))
    store.update_state(job_id, {"pid": pid})
    if as_json:
        print(fastjson.dumps({"id": job_id, "state": "queued"}))
    else:
        print(job_id)
        print(f"llm-router: job {job_id} started; collect it with `llm-router jobs result {job_id} "
              f"--wait {WAIT_CAP_S:g}`", file=sys.stderr)
    return 0


def status(args) -> int:
    from ..jobs import store

    if not args.id:
        return listing(args)
    store.existing(args.id)
    state = store.status(args.id)
    print(fastjson.dumps(state) if args.json else format_row(state))
    return 0


def listing(args) -> int:
    from ..jobs import store

    states = [store.status(job_id) for job_id in store.ids()]
    if args.json:
        print(fastjson.dumps(states))
    elif not states:
        print("no jobs")
    else:
        print("\n".join(format_row(state) for state in states))
    return 0


def format_row(state: dict) -> str:
    parts = [state["id"], state["state"], state.get("model") or "-", f"{state.get('elapsed_s', 0):g}s"]
    if state.get("label"):
        parts.append(f"[{state['label']}]")
    line = "  ".join(parts)
    if state.get("stale_reason"):
        line += f"\n    stale: {state['stale_reason']}"
    if state.get("last_line"):
        line += f"\n    > {state['last_line']}"
    return line


def result(args) -> int:
    from ..jobs import store
    from .invoke import indicator_line

    if not args.wait >= 0:
        raise UsageError(f"--wait {args.wait}: expected seconds >= 0", "pass --wait 0 .. 540")
    folder = store.existing(args.id)
    if args.wait > WAIT_CAP_S:
        print(f"llm-router jobs: waiting at most {WAIT_CAP_S:g} s, not {args.wait:g} (the Bash tool "
              f"stops a command at 600 s); ask again to keep waiting", file=sys.stderr)
    state = wait_for_end(args.id, min(args.wait, WAIT_CAP_S))
    if state["state"] == "done":
        payload = store.read_json(os.path.join(folder, "answer.json")) or {}
        if args.json:
            print(fastjson.dumps(payload))
        elif "rendered" in payload:
            sys.stdout.write(payload["rendered"])
        else:
            if payload.get("external"):
                sys.stdout.write(indicator_line(payload["model"], payload.get("scope", "write"),
                                                payload.get("thread"), payload.get("switched_from")))
            text = payload.get("text", "")
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return int(payload.get("exit_code", 0))
    if state["state"] in ("failed", "cancelled", "stale"):
        error = store.read_json(os.path.join(folder, "error.json")) or {}
        why = {"failed": error.get("message") or "the job failed",
               "cancelled": "the job was cancelled",
               "stale": state.get("stale_reason")}[state["state"]]
        if args.json:
            print(fastjson.dumps({"id": args.id, "state": state["state"], "error": why,
                                  "error_class": error.get("error_class"),
                                  "attempts": error.get("attempts")}))
        print(f"llm-router jobs: job {args.id} {state['state']}: {why}", file=sys.stderr)
        if error.get("hint"):
            print(f"  fix: {error['hint']}", file=sys.stderr)
        return 1
    if args.json:
        print(fastjson.dumps({"id": args.id, "state": state["state"], "elapsed_s": state["elapsed_s"]}))
    print(f"llm-router jobs: job {args.id} is still {state['state']} after {state['elapsed_s']:g} s; "
          f"ask again with --wait {WAIT_CAP_S:g}", file=sys.stderr)
    return NOT_FINISHED


def wait_for_end(job_id: str, wait_s: float) -> dict:
    from ..jobs import store

    end = time.monotonic() + wait_s
    while True:
        state = store.status(job_id)
        if state["state"] not in ("queued", "running") or time.monotonic() >= end:
            return state
        time.sleep(min(0.1, max(0.0, end - time.monotonic())))


def cancel(args) -> int:
    from ..jobs import store

    state = store.cancel(args.id)
    if args.json:
        print(fastjson.dumps(state))
    if state.get("cancelled_now"):
        if not args.json:
            print(f"job {args.id} cancelled")
        return 0
    print(f"llm-router jobs: job {args.id} had already ended ({state['state']}): nothing to cancel",
          file=sys.stderr)
    return 1


def prune(args) -> int:
    from ..jobs import store

    removed = store.prune(duration(args.older_than))
    print(fastjson.dumps({"removed": removed}) if args.json else f"removed {len(removed)} job(s)")
    return 0


def duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], units[text[-1]]) if text and text[-1] in units else (text, 1)
    try:
        value = float(number) * unit
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise UsageError(f"--older-than {text}: not a duration", "write it as 90s, 30m, 12h or 7d")
    return value


def worker_main(args) -> int:
    from ..jobs import worker

    return worker.run(args.id)


ACTIONS = {"start": start, "status": status, "result": result, "cancel": cancel, "list": listing,
           "prune": prune, "_worker": worker_main}
