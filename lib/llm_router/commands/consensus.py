"""llm-router consensus [--models a,b,c | --tiers opus,sonnet] [-p TEXT | --prompt-file F | stdin]
                       [--synthesize MODEL|none] [--timeout S] [--cwd DIR] [--json] [--background]

Sends the same prompt to every model at once; no model sees another's answer (each runs in a
process of its own, read-only). Models: --models, else --tiers mapped through
claude_to_external_map, else policy consensus.models. Each model has its own fallback chain,
cooldowns and deadline (--timeout, else policy consensus.timeout_s, default 300 s).

Output: one section per model, headed with the model that actually answered; the failed ones
with their error class; with --synthesize MODEL, that model's synthesis of the labelled answers
(agreements, disagreements and who holds which side, a recommendation). With `none` (the
default) compare the answers yourself.
--json: {"question", "asked", "answered", "wall_s", "members": [{"ok", "requested", "model",
"text" | "error_class", "message", "elapsed_s", ...}], "synthesis", "exit_code"}.
--background: run it as a job; prints the job id (see `llm-router jobs result ID`).

Exit: 0 every model answered, 5 some answered and some failed, 1 none answered, 2 usage error.
"""

import os
import sys

from ..io import fastjson

EPILOG = "Exit 0: all answered; 5: some failed; 1: none answered; 2: usage error."


def configure(parser) -> None:
    import argparse

    from .invoke import _positive, add_prompt_args

    parser.epilog = EPILOG
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--models", metavar="A,B,C", help="model keys to ask (comma-separated)")
    group.add_argument("--tiers", metavar="T,T", help="Claude tiers, mapped through claude_to_external_map")
    add_prompt_args(parser)
    parser.add_argument("--synthesize", metavar="MODEL|none", default="none",
                        help="a model key that writes the synthesis of the answers (default none)")
    parser.add_argument("--timeout", type=_positive, metavar="S",
                        help="each model's own deadline (default policy consensus.timeout_s, 300)")
    parser.add_argument("--background", action="store_true", help="run as a background job; print its id")
    parser.add_argument("--member", metavar="KEY", help=argparse.SUPPRESS)  # one model, for fanout.py
    parser.add_argument("--job", metavar="ID", help="the second-opinion agent's job (its question and cwd)")


def run(args) -> int:
    from .. import invocation
    from ..opinions import consensus
    from .invoke import checked_cwd, read_prompt

    if args.job:
        job = job_of(args, "consensus")
        prompt, cwd = job["prompt"], checked_cwd(job.get("cwd") or None)
    else:
        prompt, cwd = read_prompt(args), checked_cwd(args.cwd)
    if args.member:
        print(fastjson.dumps(consensus.member(args.member, prompt, args.timeout, cwd)))
        return 0
    pol = invocation.load_policy()
    keys = consensus.models_from(pol, args.models, args.tiers)
    synthesize = None if args.synthesize in (None, "", "none") else args.synthesize
    if synthesize:
        consensus.models_from(pol, synthesize, None)  # a typo fails now, not after the answers
    timeout_s = consensus.timeout_from(pol, args.timeout)
    if args.background:
        from .jobs import launch

        return launch({"kind": "consensus", "prompt": prompt, "models": keys, "timeout_s": timeout_s,
                       "synthesize": synthesize, "cwd": os.path.abspath(cwd or os.getcwd()),
                       "label": "consensus", "model_key": ",".join(keys)}, args.json)
    report = consensus.run(prompt, keys, timeout_s, synthesize, cwd)
    if args.json:
        print(fastjson.dumps(report))
    else:
        sys.stdout.write(consensus.render(report))
    return report["exit_code"]


def job_of(args, verb: str) -> dict:
    """The second-opinion job `args.job`, taken once (handoff.consume); it carries the task and
    the cwd, so no other input may be given with it."""
    from .. import handoff
    from ..errors import UsageError

    given = [flag for flag, value in (("-p", getattr(args, "prompt", None)),
                                      ("--prompt-file", getattr(args, "prompt_file", None)),
                                      ("--cwd", getattr(args, "cwd", None))) if value]
    if given or getattr(args, "background", False):
        extra = ", ".join(given) or "--background"
        raise UsageError(f"--job takes its task and cwd from the job, not from {extra}",
                         f"run `llm-router {verb} --job ID` alone")
    return handoff.consume(args.job, session_id=os.environ.get("CLAUDE_CODE_SESSION_ID"),
                           kind="second-opinion")
