"""Claude Code in print mode: `claude -p --model M --output-format json --tools ""
--no-session-persistence`, prompt on stdin.

Streaming uses `--output-format stream-json --verbose --include-partial-messages` (stream-json
refuses to run without --verbose) and forwards each text_delta; both formats end with the same
`result` object, which is all we parse.

Failure: `is_error` plus `api_error_status` (the HTTP status, null when not logged in). `subtype`
says "success" even on errors, so it is ignored. Usage and cost come from `modelUsage` and
`total_cost_usd`, which also cover side calls that `usage` leaves out.

Retry cap: CLAUDE_CODE_MAX_RETRIES (default ~10 retries, about 3 minutes even for a 401) is set
to `max_retries` (default 1). CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 drops the extra
title-generation call that would resend the whole prompt.

Options (besides those in _cli): tools (default "": no tools), permission_mode, max_turns,
persist_session (keep the session on disk so it can be resumed later).
`request.system` goes in through --append-system-prompt-file (a temp file, never argv).

Scope: read-only is `--permission-mode plan` (whatever options["permission_mode"] says: plan
refuses Write/Edit and asks before Bash, and a question in -p is a refusal) and `--tools` cut
down to the reading tools in options["tools"] ("default" becomes Read,Grep,Glob; the usual ""
stays no tools). Write passes options["tools"] and options["permission_mode"] as before.
"""

import os

from ._cli import CLIProvider, Reader, last_line, read_only

READ_ONLY_TOOLS = ("Read", "Grep", "Glob")
from .base import Usage, count


class ClaudeProvider(CLIProvider):
    name = "claude"
    binary = "claude"
    npm_package = "@anthropic-ai/claude-code"
    login_hint = "run `claude auth login` (or set ANTHROPIC_API_KEY)"
    default_max_retries = 1
    loosening_args = ("--permission-mode", "--dangerously-skip-permissions",
                      "--allow-dangerously-skip-permissions", "--tools", "--allowedTools",
                      "--allowed-tools", "--settings")

    def command(self, request, binary, scratch):
        options = request.options
        fmt = ["stream-json", "--verbose", "--include-partial-messages"] if request.stream else ["json"]
        argv = [binary, "-p", "--model", request.model, "--output-format", *fmt,
                "--tools", _tools(options.get("tools", ""), read_only(request))]
        if not (options.get("persist_session") or request.resume_session_id
                or request.continue_session):
            argv.append("--no-session-persistence")
        if request.resume_session_id:
            argv += ["--resume", request.resume_session_id]
        elif request.continue_session:
            argv.append("--continue")
        mode = "plan" if read_only(request) else options.get("permission_mode")
        if mode:
            argv += ["--permission-mode", str(mode)]
        if options.get("max_turns"):
            argv += ["--max-turns", str(options["max_turns"])]
        if request.system:
            path = os.path.join(scratch, "system.txt")
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(request.system)
            argv += ["--append-system-prompt-file", path]
        env = {"CLAUDE_CODE_MAX_RETRIES": str(self.max_retries(options)),
               "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        return argv, env

    def stdin(self, request):
        return request.prompt.encode("utf-8", "surrogateescape")  # system goes via its flag

    def reader(self, request):
        return _ClaudeReader(self, request)


def _tools(tools, read_only_scope: bool) -> str:
    """The --tools value: as configured, or for read-only only the reading tools in it."""
    text = ",".join(map(str, tools)) if isinstance(tools, list) else str(tools)
    if not read_only_scope:
        return text
    names = [name for name in text.replace(" ", ",").split(",") if name]
    if names == ["default"]:
        names = list(READ_ONLY_TOOLS)
    return ",".join(name for name in names if name in READ_ONLY_TOOLS)


class _ClaudeReader(Reader):
    def __init__(self, provider, request):
        super().__init__(provider, request)
        self.final: dict | None = None

    def event(self, event):
        kind = event.get("type")
        if kind == "result":
            self.final = event
        elif kind == "stream_event":
            delta = (event.get("event") or {}).get("delta") or {}
            if delta.get("type") == "text_delta":
                self.emit(delta.get("text"))

    def finish(self, done):
        final = self.final
        if final is None:
            if done.returncode != 0 and done.stderr:
                raise self.fail(last_line(done.stderr), detail=done.stderr)
            raise self.bad_output(done, "no result object in the output")
        self.session_id = final.get("session_id")
        self.usage = _usage(final)
        if final.get("is_error") or done.returncode != 0:
            message = str(final.get("result") or "failed")
            status = final.get("api_error_status")
            raise self.fail(message, status if isinstance(status, int) else None, detail=done.stderr)
        cost = final.get("total_cost_usd")
        raw = {key: final.get(key) for key in ("num_turns", "duration_api_ms", "stop_reason")}
        raw["models"] = sorted(final.get("modelUsage") or {})
        return self.result(str(final.get("result") or ""), done,
                           cost=float(cost) if isinstance(cost, (int, float)) else None, raw=raw)


def _usage(final: dict) -> Usage:
    """modelUsage summed over models (Anthropic counts: input excludes cache reads/writes)."""
    total = Usage()
    for entry in (final.get("modelUsage") or {}).values():
        total += Usage(input_tokens=count(entry.get("inputTokens")),
                       output_tokens=count(entry.get("outputTokens")),
                       cached_tokens=count(entry.get("cacheReadInputTokens")),
                       cache_write_tokens=count(entry.get("cacheCreationInputTokens")),
                       reasoning_tokens=count(entry.get("thinkingTokens")))
    if total == Usage():
        usage = final.get("usage") or {}
        total = Usage(input_tokens=count(usage.get("input_tokens")),
                      output_tokens=count(usage.get("output_tokens")),
                      cached_tokens=count(usage.get("cache_read_input_tokens")),
                      cache_write_tokens=count(usage.get("cache_creation_input_tokens")))
    return total
