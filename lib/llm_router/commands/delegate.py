"""llm-router delegate --tier T [-p TEXT | --prompt-file F | stdin] [--cwd DIR] [--stream] [--json]
                      [--scope read-only|write]
llm-router delegate --job ID [--stream] [--json] [--timeout S]

--tier, external mode on: the same route as `invoke --tier T` (claude_to_external_map, then
the chain). External mode off: Claude itself answers through the claude provider
(`claude -p --model T`).

--job: the relay's call (handoff.py). The job the PreToolUse hook stored (prompt, tier, cwd,
scope, session) is taken exactly once and always goes to the external model of its tier: the
hook made it because external mode was on, so a relay call never falls back to Claude. An
unknown, used or foreign job is a usage error (exit 2).

In plain mode an answer from an external model starts with the line `🔌 [External: <key>]`
(`🔌 [External: <key> · read-only]` for a read-only task); --json adds "external": true|false
to invoke's object. Exit codes as for invoke.
"""

import os

from ..errors import AllProvidersFailed, UsageError
from .invoke import (
    EPILOG,
    EXCLUSIVE,
    PROMPT_DEFAULTS,
    PROMPT_SPEC,
    RUN_SPEC,
    TIERS,
    Output,
    add_prompt_args,
    add_run_args,
    checked_cwd,
    read_prompt,
    result_payload,
)


def configure(parser) -> None:
    parser.epilog = EPILOG
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tier", choices=TIERS, help="the Claude tier the work was meant for")
    which.add_argument("--job", metavar="ID",
                       help="run the relay job ID that llm-router's Agent hook stored")
    add_prompt_args(parser)
    add_run_args(parser)


def fast_parse(argv: list[str]):
    """argparse's result for a plain command line, or None (see io/fastargs.py)."""
    from ..io.fastargs import parse

    args = parse(argv, {"--tier": ("tier", TIERS), "--job": ("job", "value"), **PROMPT_SPEC,
                        **RUN_SPEC},
                 {"command": "delegate", "tier": None, "job": None, **PROMPT_DEFAULTS},
                 exclusive=EXCLUSIVE + (("job", "tier"), ("job", "prompt"), ("job", "prompt_file"),
                                        ("job", "cwd")))
    if args is not None and args.tier is None and args.job is None:
        return None  # one of them is required: argparse says so
    return args


def run(args) -> int:
    from .. import invocation

    job = getattr(args, "job", None)
    if job is not None:
        return _run_job(args)
    prompt = read_prompt(args)
    out = Output(args.json, args.stream, indicator=True, scope=args.scope)
    try:
        result, attempts, decision = invocation.delegate(
            prompt, tier=args.tier, cwd=checked_cwd(args.cwd), stream=args.stream,
            on_text=out.delta, before_text=out.before_text, timeout=args.timeout,
            scope=args.scope)
    except AllProvidersFailed as exc:
        out.failure(exc)
        raise
    _final(out, result, attempts, decision, args.scope)
    return 0


def _run_job(args) -> int:
    from .. import handoff, invocation

    if args.tier or args.prompt is not None or args.prompt_file or args.cwd:
        raise UsageError("--job takes its tier, prompt and cwd from the job",
                         "run `llm-router delegate --job ID` with no --tier, -p, --prompt-file or --cwd")
    job = handoff.consume(args.job, session_id=os.environ.get("CLAUDE_CODE_SESSION_ID"))
    scope = job.get("scope") or "write"
    out = Output(args.json, args.stream, indicator=True, scope=scope)
    try:
        # answer(), not delegate(): the job exists because external mode was on, and the relay
        # must never hand the work back to Claude because it could not see the mode.
        result, attempts, decision = invocation.answer(
            job["prompt"], tier=job.get("tier"), cwd=checked_cwd(job.get("cwd") or None),
            stream=args.stream, on_text=out.delta, before_text=out.before_text,
            session_id=job.get("session_id") or None, timeout=args.timeout,
            scope=scope)
    except AllProvidersFailed as exc:
        out.failure(exc)
        raise
    _final(out, result, attempts, decision, scope)
    return 0


def _final(out: Output, result, attempts: list, decision, scope: str) -> None:
    payload = result_payload(result, attempts, decision, scope)
    payload["external"] = payload["provider"] != "claude"
    out.final(payload, result.text)
