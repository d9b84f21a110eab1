"""llm-router review [--base REF] [--staged] [--untracked] [--paths P ...] [--models a,b | --tiers T,T]
                    [--focus TEXT] [--fail-on SEVERITY] [--budget CHARS] [--timeout S] [--cwd DIR]
                    [--json] [--background]

Reviews your change with several models at once, read-only, and merges what they find.
Input: `git diff <merge-base of HEAD and --base>` (committed and uncommitted changes to tracked
files) with 10 lines of context; --base defaults to the upstream branch, else main, else master.
--staged reviews only what is staged (with --base: the branch's commits plus what is staged);
--untracked adds files git does not track yet; --paths limits the diff. Over --budget characters (default 60000) the diff is reviewed in parts cut by
file, and the output says so; nothing is left out (past 16 parts it stops and says how to
narrow it).
Models: --models, else --tiers through claude_to_external_map, else policy consensus.models.

Output: a table of findings ranked by severity, then by how many models raised each, then each
finding's rationale and suggested fix; a reviewer whose answer had no findings JSON is shown with
its raw answer. --json: {"base", "merge_base", "files", "shards", "sharding", "findings": [{"file",
"line_start", "line_end", "severity", "title", "rationale", "suggested_fix", "models"}],
"reviews": [...], "exit_code"}. --background: run it as a job and print the job id.

Exit: 0 no finding at or above --fail-on (default high), 3 some, 1 no reviewer could be read,
2 usage error (a --base that does not exist, not a git repository, ...).
"""

import os
import sys

from ..io import fastjson

EPILOG = "Exit 0: nothing at or above --fail-on; 3: findings at or above it; 1: no reviewer answered."


def configure(parser) -> None:
    from ..opinions.findings import SEVERITIES
    from .invoke import _positive

    parser.epilog = EPILOG
    parser.add_argument("--base", metavar="REF", help="review against this branch, tag or commit")
    parser.add_argument("--staged", action="store_true", help="review only the staged changes")
    parser.add_argument("--untracked", action="store_true", help="also review untracked files")
    parser.add_argument("--paths", nargs="+", metavar="P", default=[], help="limit the diff to these paths")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--models", metavar="A,B", help="reviewer model keys (comma-separated)")
    group.add_argument("--tiers", metavar="T,T", help="Claude tiers, mapped through claude_to_external_map")
    parser.add_argument("--focus", metavar="TEXT", help="what the reviewers should look at most")
    parser.add_argument("--fail-on", choices=SEVERITIES, default="high",
                        help="exit 3 when a finding is at least this severe (default high)")
    parser.add_argument("--budget", type=int, metavar="CHARS", help="diff characters per reviewer call (default 60000)")
    parser.add_argument("--timeout", type=_positive, metavar="S",
                        help="each reviewer's deadline (default policy consensus.timeout_s, 300)")
    parser.add_argument("--cwd", metavar="DIR", help="the repository (default: the current directory)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--background", action="store_true", help="run as a background job; print its id")
    parser.add_argument("--job", metavar="ID", help="the second-opinion agent's job (its task is the focus)")


def run(args) -> int:
    from .. import invocation
    from ..errors import UsageError
    from ..opinions import consensus, diffinput, review
    from .invoke import checked_cwd

    if args.budget is not None and args.budget < 1000:
        raise UsageError(f"--budget {args.budget}: too small", "pass at least 1000 characters")
    if args.job:
        from .consensus import job_of

        job = job_of(args, "review")
        args.cwd, args.focus = job.get("cwd") or None, job["prompt"]
    cwd = os.path.abspath(checked_cwd(args.cwd) or os.getcwd())
    root = diffinput.repo_root(cwd)
    diffinput.base_commit(root, args.base)  # a missing --base is a usage error now, not in a job
    pol = invocation.load_policy()
    request = {"kind": "review", "cwd": root, "base": args.base, "staged": args.staged,
               "untracked": args.untracked, "paths": args.paths,
               "models": consensus.models_from(pol, args.models, args.tiers), "focus": args.focus,
               "fail_on": args.fail_on, "budget": args.budget,
               "timeout_s": consensus.timeout_from(pol, args.timeout)}
    if args.background:
        from .jobs import launch

        return launch({**request, "label": "review", "model_key": ",".join(request["models"])}, args.json)
    report = review.run(request)
    if args.json:
        print(fastjson.dumps(report))
    else:
        sys.stdout.write(review.render(report))
    return report["exit_code"]
