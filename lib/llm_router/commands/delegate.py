"""llm-router delegate --tier T [-p TEXT | --prompt-file F | stdin] [--cwd DIR] [--stream] [--json]
                      [--scope read-only|write]
llm-router delegate --continue ID [--allow-switch] [-p TEXT | --prompt-file F | stdin] [...]
llm-router delegate --job ID [--stream] [--json] [--timeout S]

--tier, external mode on: the same route as `invoke --tier T` (claude_to_external_map, then
the chain). External mode off: Claude itself answers through the claude provider
(`claude -p --model T`).

--job: the relay's call (handoff.py). The job the PreToolUse hook stored (prompt, tier, cwd,
scope, session) is taken exactly once and always goes to the external model of its tier: the
hook made it because external mode was on, so a relay call never falls back to Claude. An
unknown, used or foreign job is a usage error (exit 2). A job made for a resumed agent holds
the thread that agent's first job answered in (`continue`): it goes into that thread.

--continue ID: the next message of thread ID, as for invoke. --brief is on by default here
(--no-brief turns it off); a relay job's brief may end with the last lines of the Claude Code
conversation (policy brief.transcript_lines, write scope only).

In plain mode an answer from an external model starts with the line
`🔌 [External: <key> · thread <id>]` (`🔌 [External: <key> · read-only · thread <id>]` for a
read-only task, `... · switched from <key>]` after an --allow-switch); --json adds "external": true|false
to invoke's object. Exit codes as for invoke.
"""

import os

from ..errors import AllProvidersFailed, UsageError
from .invoke import (
    EPILOG,
    TIERS,
    Output,
    add_prompt_args,
    add_run_args,
    add_thread_args,
    checked_cwd,
    make_turn,
    read_prompt,
    result_payload,
)


def configure(parser) -> None:
    parser.epilog = EPILOG
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tier", choices=TIERS, help="the Claude tier the work was meant for")
    which.add_argument("--job", metavar="ID",
                       help="run the relay job ID that llm-router's Agent hook stored")
    which.add_argument("--continue", dest="continue_id", metavar="ID",
                       help="send this message into thread ID (`llm-router threads list`)")
    add_prompt_args(parser)
    add_run_args(parser)
    add_thread_args(parser, brief_default=True)


def run(args) -> int:
    from .. import invocation

    job = getattr(args, "job", None)
    if job is not None:
        return _run_job(args)
    prompt = read_prompt(args)
    cwd = checked_cwd(args.cwd)
    turn = make_turn(args, prompt, cwd, args.scope)
    out = Output(args.json, args.stream, indicator=True, scope=args.scope, turn=turn)
    try:
        result, attempts, decision = invocation.delegate(
            prompt, tier=args.tier or "sonnet", cwd=cwd, stream=args.stream,
            on_text=out.delta, before_text=out.before_text, timeout=args.timeout,
            scope=args.scope, turn=turn)
    except AllProvidersFailed as exc:
        out.failure(exc)
        raise
    _final(out, result, attempts, decision, args.scope, turn)
    return 0


def _run_job(args) -> int:
    from .. import handoff, invocation

    if args.tier or args.prompt is not None or args.prompt_file or args.cwd or args.continue_id:
        raise UsageError("--job takes its tier, prompt, cwd and thread from the job",
                         "run `llm-router delegate --job ID` with no --tier, -p, --prompt-file, "
                         "--cwd or --continue")
    job = handoff.consume(args.job, session_id=os.environ.get("CLAUDE_CODE_SESSION_ID"))
    scope = job.get("scope") or "write"
    cwd = checked_cwd(job.get("cwd") or None)
    args.continue_id = job.get("continue") or None
    # a resumed agent whose thread's provider is gone still gets an answer, and the line says so
    args.allow_switch = bool(args.continue_id)
    turn = make_turn(args, job["prompt"], cwd, scope, job.get("transcript_path") or None)
    out = Output(args.json, args.stream, indicator=True, scope=scope, turn=turn)
    try:
        # answer(), not delegate(): the job exists because external mode was on, and the relay
        # must never hand the work back to Claude because it could not see the mode.
        result, attempts, decision = invocation.answer(
            job["prompt"], tier=job.get("tier"), cwd=cwd,
            stream=args.stream, on_text=out.delta, before_text=out.before_text,
            session_id=job.get("session_id") or None, timeout=args.timeout,
            scope=scope, turn=turn)
    except AllProvidersFailed as exc:
        out.failure(exc)
        raise
    _remember_agent(args.job, turn.thread_id)
    _final(out, result, attempts, decision, scope, turn)
    return 0


def _remember_agent(job_id: str, thread_id: str | None) -> None:
    """Map the relay agent that ran this job to the job's thread, for a later resume."""
    from .. import threads

    agent_id = threads.job_agent(job_id)
    if agent_id and thread_id:
        try:
            threads.remember_agent(agent_id, thread_id)
        except OSError as exc:
            from ..log import log_problem

            log_problem(f"relay job {job_id}: agent {agent_id} not mapped to thread {thread_id}: {exc}")


def _final(out: Output, result, attempts: list, decision, scope: str, turn=None) -> None:
    payload = result_payload(result, attempts, decision, scope, turn)
    payload["external"] = payload["provider"] != "claude"
    out.final(payload, result.text)
