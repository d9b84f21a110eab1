"""llm-router delegate --tier T [-p TEXT | --prompt-file F | stdin] [--cwd DIR] [--stream] [--json]
                      [--scope read-only|write]

External mode on: the same route as `invoke --tier T` (claude_to_external_map, then the chain).
External mode off: Claude itself answers through the claude provider (`claude -p --model T`).
In plain mode an answer from an external model starts with the line `🔌 [External: <key>]`
(`🔌 [External: <key> · read-only]` for --scope read-only); --json adds "external": true|false
to invoke's object. Exit codes as for invoke.
"""

from ..errors import AllProvidersFailed
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
    parser.add_argument("--tier", required=True, choices=TIERS,
                        help="the Claude tier the work was meant for")
    add_prompt_args(parser)
    add_run_args(parser)


def fast_parse(argv: list[str]):
    """argparse's result for a plain command line, or None (see io/fastargs.py)."""
    from ..io.fastargs import parse

    return parse(argv, {"--tier": ("tier", TIERS), **PROMPT_SPEC, **RUN_SPEC},
                 {"command": "delegate", "tier": None, **PROMPT_DEFAULTS},
                 required=("tier",), exclusive=EXCLUSIVE)


def run(args) -> int:
    from .. import invocation

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
    payload = result_payload(result, attempts, decision, args.scope)
    payload["external"] = payload["provider"] != "claude"
    out.final(payload, result.text)
    return 0
