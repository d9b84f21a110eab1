"""llm-router invoke [--task T | --tier T | --model KEY] [-p TEXT | --prompt-file F | stdin]
                    [--json] [--stream] [--timeout S] [--cwd DIR] [--scope read-only|write]
                    [--continue ID [--allow-switch]] [--brief | --no-brief]

--scope: what the model's CLI may do in --cwd. read-only: read and search only, each CLI held
to it by its own sandbox or permission flags (README, "Scopes"); write (the default): as before.

--continue ID: the next message of thread ID (README, "Threads"): the same model on the same
provider, through that CLI's own resume flag. When that provider cannot run now it is an error,
unless --allow-switch: then the route's next model answers, given a summary of the thread.
--brief (the default for delegate, not for invoke): the first turn of a thread starts with a
bounded brief of the repository (root, branch, files the task names, git status, diff stat).

Output:
  plain            the answer's text
  --json           ONE object: model (the model key that answered), provider, provider_model,
                   text, usage, latency_ms, cost_usd, session_id, task, tier, reason, scope,
                   thread, switched_from, brief, attempts
  --stream         text deltas written and flushed as they arrive
  --json --stream  JSON Lines: one {"delta": "..."} per text delta as it arrives, then the
                   same final object as --json on the last line
When every provider fails: exit 1 and the attempts on stderr; with --json also
{"error": ..., "attempts": [...]} on stdout. Usage or policy errors exit 2.
Both JSON objects carry "ledger_error": null, or why an attempt could not be recorded in the
usage ledger (disk full); that case also prints a warning on stderr, and the exit status stays
what the call's own outcome says (the answer was delivered and paid for: a nonzero status
would only invite the caller to pay for it again).

The prompt helpers and Output here are shared by `route` and `delegate`.
"""

import os
import sys

from ..errors import AllProvidersFailed, UsageError
from ..io import fastjson
from ..policy import TIERS
from ..providers.base import DEFAULT_SCOPE, SCOPES

EPILOG = ("--json --stream prints JSON Lines: {\"delta\": text} per chunk, then the final object. "
          "On failure: exit 1, attempts on stderr (and {\"error\", \"attempts\"} on stdout with --json).")


def configure(parser) -> None:
    parser.epilog = EPILOG
    add_route_args(parser)
    add_prompt_args(parser)
    add_run_args(parser)
    add_continue_arg(parser)
    add_thread_args(parser, brief_default=False)


def add_continue_arg(parser) -> None:
    parser.add_argument("--continue", dest="continue_id", metavar="ID",
                        help="send this message into thread ID (`llm-router threads list`)")


def add_thread_args(parser, brief_default: bool) -> None:
    parser.add_argument("--allow-switch", action="store_true",
                        help="with --continue: if the thread's provider cannot run now, continue "
                             "on the route's next model with a summary of the thread")
    brief = parser.add_mutually_exclusive_group()
    brief.add_argument("--brief", dest="brief", action="store_true", default=brief_default,
                       help="start a new thread with a bounded brief of the repository"
                            + (" (default)" if brief_default else ""))
    brief.add_argument("--no-brief", dest="brief", action="store_false",
                       help="send the prompt alone" + ("" if brief_default else " (default)"))


def add_route_args(parser) -> None:
    parser.add_argument("--task",
                        help="a task_routing key (reasoning, code-generation, long-context, default, ...)")
    parser.add_argument("--tier", choices=TIERS,
                        help="the Claude tier to map through claude_to_external_map")
    parser.add_argument("--model", metavar="KEY", help="a policy model key, e.g. zai/glm-4.7")


def add_prompt_args(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-p", "--prompt", metavar="TEXT", help="the prompt (else --prompt-file or stdin)")
    group.add_argument("--prompt-file", metavar="FILE", help="read the prompt from FILE ('-' is stdin)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cwd", metavar="DIR", help="working directory for the model's CLI")


def add_run_args(parser) -> None:
    parser.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    parser.add_argument("--timeout", type=_positive, metavar="S",
                        help="give up after S seconds in all (the chain's deadline)")
    parser.add_argument("--scope", choices=SCOPES, default=DEFAULT_SCOPE,
                        help="read-only: the model may only read and search in --cwd; "
                             "write (default): it may edit files and run commands")


def _positive(text: str) -> float:
    """A number of seconds > 0 (NaN is not), else argparse's usage error."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got '{text}'")
    return value


def read_prompt(args, required: bool = True) -> str:
    """The prompt from -p, --prompt-file or stdin; UsageError when required and missing."""
    if args.prompt is not None:
        text = args.prompt
    elif args.prompt_file and args.prompt_file != "-":
        try:
            with open(args.prompt_file, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
        except OSError as exc:
            raise UsageError(f"--prompt-file {args.prompt_file}: {exc.strerror}",
                             "pass a readable file") from exc
    elif sys.stdin is None or sys.stdin.closed or sys.stdin.isatty():
        text = ""
    else:
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
    if required and not text.strip():
        raise UsageError("no prompt given (or it is empty)",
                         "pass -p TEXT, --prompt-file FILE, or pipe the prompt on stdin")
    return text


def checked_cwd(cwd: str | None) -> str | None:
    if cwd is not None and not os.path.isdir(cwd):
        raise UsageError(f"--cwd {cwd}: not a directory", "pass an existing directory")
    return cwd


class Output:
    """Writes an answer the way the flags ask: plain, JSON, streamed, or JSON Lines."""

    def __init__(self, as_json: bool, stream: bool, indicator: bool = False,
                 scope: str = DEFAULT_SCOPE, turn=None) -> None:
        self.as_json, self.stream, self.indicator = as_json, stream, indicator
        self.scope = scope
        self.turn = turn  # invocation.Turn: the thread named on the indicator line
        self.streamed = False
        self.ends_with_newline = True

    def delta(self, text: str) -> None:
        self._write(fastjson.dumps({"delta": text}) + "\n" if self.as_json else text)
        self.streamed = True

    def before_text(self, step) -> None:
        """Called once before the first delta: the external-model indicator goes first."""
        if self.indicator and not self.as_json and step.provider != "claude":
            self._write(indicator_line(step.model_key, self.scope, *self._thread()))

    def final(self, payload: dict, text: str) -> None:
        ledger_error = unrecorded_warning()
        if self.as_json:
            self._write(fastjson.dumps({**payload, "ledger_error": ledger_error}) + "\n")
            return
        if not self.streamed:
            if self.indicator and payload.get("external"):
                self._write(indicator_line(payload["model"], self.scope, *self._thread()))
            self._write(text)
        if not self.ends_with_newline:
            self._write("\n")

    def _thread(self) -> tuple:
        turn = self.turn
        return (turn.thread_id, turn.switched_from) if turn is not None else (None, None)

    def failure(self, exc: AllProvidersFailed) -> None:
        ledger_error = unrecorded_warning()
        if self.as_json:
            self._write(fastjson.dumps({"error": exc.message,
                                    "attempts": [a.as_dict() for a in exc.attempts],
                                    "ledger_error": ledger_error}) + "\n")
        elif not self.ends_with_newline:
            self._write("\n")

    def _write(self, text: str) -> None:
        if not text:
            return
        sys.stdout.write(text)
        sys.stdout.flush()  # each delta must reach the reader now, not when a buffer fills
        self.ends_with_newline = text.endswith("\n")


def unrecorded_warning() -> str | None:
    """Why this call's attempts are missing from the usage ledger (None: all recorded), also
    said on stderr: budgets and `stats` cannot count what was not written."""
    from ..usage import accounting

    errors = accounting.take_unrecorded()
    if not errors:
        return None
    print(f"llm-router: warning: {len(errors)} attempt(s) of this call not recorded: "
          f"{errors[0].user_text()}", file=sys.stderr)
    return errors[0].message


def indicator_line(model_key: str, scope: str = DEFAULT_SCOPE, thread_id: str | None = None,
                   switched_from: str | None = None) -> str:
    """`🔌 [External: key · thread k3f9]`, with ` · read-only` before the thread for a read-only
    task and ` · switched from KEY` after it when a continue changed model (the skill and the
    relay match the `🔌 [External: ` prefix)."""
    parts = [model_key]
    if scope != DEFAULT_SCOPE:
        parts.append(scope)
    if thread_id:
        parts.append(f"thread {thread_id}")
    if switched_from:
        parts.append(f"switched from {switched_from}")
    return "\N{ELECTRIC PLUG} [External: " + " \N{MIDDLE DOT} ".join(parts) + "]\n"


def result_payload(result, attempts: list, decision, scope: str = DEFAULT_SCOPE,
                   turn=None) -> dict:
    """The --json object for a successful call."""
    used = next((a for a in reversed(attempts) if a.outcome == "ok"), None)
    return {"model": used.model_key if used else decision.model_key,
            "provider": result.provider or (used.provider if used else None),
            "provider_model": result.model or (used.model if used else None),
            "text": result.text, "usage": result.usage.as_dict(),
            "latency_ms": result.latency_ms, "cost_usd": result.cost_usd,
            "session_id": result.session_id, "task": decision.task, "tier": decision.tier,
            "reason": decision.reason, "scope": scope,
            "thread": turn.thread_id if turn else None,
            "switched_from": turn.switched_from if turn else None,
            "brief": turn.brief_info if turn else None,
            "attempts": [a.as_dict() for a in attempts]}


def make_turn(args, prompt: str, cwd: str | None, scope: str, transcript_path: str | None = None):
    """The invocation.Turn for --continue/--allow-switch/--brief (the brief only on a new
    thread: a continued one already has its context)."""
    from ..invocation import Turn

    if args.allow_switch and not args.continue_id:
        raise UsageError("--allow-switch needs --continue ID", "add --continue ID, or drop --allow-switch")
    routed = [f"--{name}" for name in ("task", "tier", "model") if getattr(args, name, None)]
    if args.continue_id and routed and getattr(args, "command", "") == "invoke":
        raise UsageError(f"--continue takes the thread's own model; {', '.join(routed)} cannot "
                         "choose another", "drop " + ", ".join(routed) + " (or start a new thread)")
    turn = Turn(args.continue_id, args.allow_switch)
    if args.brief and not args.continue_id:
        from .. import brief

        turn.brief, turn.brief_info = brief.build(prompt, cwd or os.getcwd(), scope,
                                                  transcript_path)
    return turn


def run(args) -> int:
    from .. import invocation

    prompt = read_prompt(args)
    cwd = checked_cwd(args.cwd)
    turn = make_turn(args, prompt, cwd, args.scope)
    out = Output(args.json, args.stream, scope=args.scope, turn=turn)
    try:
        result, attempts, decision = invocation.answer(
            prompt, task=args.task, tier=args.tier, model=args.model,
            cwd=cwd, stream=args.stream, on_text=out.delta, timeout=args.timeout,
            scope=args.scope, turn=turn)
    except AllProvidersFailed as exc:
        out.failure(exc)
        raise
    out.final(result_payload(result, attempts, decision, args.scope, turn), result.text)
    return 0
