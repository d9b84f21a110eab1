"""GitHub Copilot CLI: `copilot --model M --allow-all-tools --no-ask-user --output-format json
--no-auto-update --usage-output-file F`, prompt on stdin and NO `-p` (with -p, stdin is
silently ignored). --allow-all-tools and --no-ask-user because a permission prompt in a
non-interactive run would wait forever.

JSON lines: assistant.message_delta (forwarded when streaming), assistant.message (the last one
with content is the answer), session.error {errorType, statusCode, message} on failure, and a
closing `result`. Token counts are not in the JSON lines (github/copilot-cli#4107) but in the
usage file, one entry per model; Copilot reports inputTokens with cache reads included.
Cost is in premium requests, not dollars, so cost_usd stays None and raw carries the count.
No credentials at all: exit 1 and only "Error: No authentication information found." on stderr.

Retry cap: no knob. Copilot retries 401 twice and 429/5xx five times (about 6 s and 16 s), but
it prints `model.call_failure {statusCode, retryAttempt}` as each attempt fails, so once
retryAttempt reaches max_retries (default 1) we stop it and classify statusCode.

Options (besides those in _cli): excluded_tools (list, passed as --excluded-tools),
reasoning_effort, agent.

Scope: read-only drops --allow-all-tools and shows the model only the reading tools
(`--available-tools=view,grep,glob`: `create`, `edit`, `bash` and the subagent `task` do not
exist for it), with `--deny-tool=write` and `--deny-tool=shell` behind that (deny rules win over
any allow). Those three tools read inside the working folder without a permission prompt, so the
run still never waits for one. Write keeps --allow-all-tools.
"""

import json
import os

from ._cli import CLIProvider, Reader, last_line, read_only
from .base import Usage, count

READ_ONLY_TOOLS = ("view", "grep", "glob")  # copilot 1.0's own names for its reading tools


class CopilotProvider(CLIProvider):
    name = "copilot"
    binary = "copilot"
    npm_package = "@github/copilot"
    login_hint = "run `copilot login` (or set COPILOT_GITHUB_TOKEN to a token with Copilot access)"
    loosening_args = ("--allow-all-tools", "--allow-all", "--yolo", "--allow-tool",
                      "--available-tools", "--assisted-approval", "--autopilot", "--mode")
    loosening_env = ("COPILOT_ALLOW_ALL",)

    def command(self, request, binary, scratch):
        options = request.options
        argv = [binary, "--model", request.model, *_permissions(request), "--no-ask-user",
                "--output-format", "json", "--no-auto-update",
                "--usage-output-file", os.path.join(scratch, "usage.json")]
        if options.get("excluded_tools"):
            argv.append("--excluded-tools=" + ",".join(options["excluded_tools"]))
        for flag in ("reasoning_effort", "agent"):
            if options.get(flag):
                argv += [f"--{flag.replace('_', '-')}", str(options[flag])]
        if request.resume_session_id:
            argv.append(f"--resume={request.resume_session_id}")
        elif request.continue_session:
            argv.append("--continue")
        return argv, {}

    def reader(self, request):
        return _CopilotReader(self, request)


def _permissions(request) -> list[str]:
    if not read_only(request):
        return ["--allow-all-tools"]
    return ["--available-tools=" + ",".join(READ_ONLY_TOOLS), "--deny-tool=write",
            "--deny-tool=shell"]


class _CopilotReader(Reader):
    def __init__(self, provider, request):
        super().__init__(provider, request)
        self.answer: str | None = None
        self.error: dict | None = None
        self.exit_code: int | None = None

    def event(self, event):
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "assistant.message_delta":
            self.emit(data.get("deltaContent"))
        elif kind == "assistant.message" and data.get("content"):
            self.answer = str(data["content"])
        elif kind == "model.call_failure":
            self._on_failure(data)
        elif kind == "session.error":
            self.error = data
        elif kind == "result":
            self.session_id = event.get("sessionId")
            self.exit_code = event.get("exitCode")

    def _on_failure(self, data: dict) -> None:
        attempt = data.get("retryAttempt")
        if isinstance(attempt, int) and attempt >= self.max_retries():
            status = data.get("statusCode")
            message = _error_message(data.get("errorMessage")) or f"HTTP {status}"
            raise self.fail(f"stopped after {attempt + 1} attempts: {message}",
                            status if isinstance(status, int) else None, detail=json.dumps(data))

    def finish(self, done):
        report = _read_json(os.path.join(self.scratch, "usage.json"))
        self.usage = _usage(report)
        if self.error is not None:
            status = self.error.get("statusCode")
            raise self.fail(str(self.error.get("message") or self.error.get("errorType")),
                            status if isinstance(status, int) else _status_for(self.error),
                            detail=done.stderr)
        if done.returncode != 0 or self.exit_code not in (0, None):
            raise self.fail(last_line(done.stderr) or f"exited with {done.returncode}",
                            detail=done.stderr)
        if self.answer is None:
            raise self.bad_output(done, "no assistant message in the output")
        raw = {"premium_requests": report.get("totalPremiumRequestCost"),
               "models": sorted(report.get("modelMetrics") or {})}
        return self.result(self.answer, done, raw=raw)


def _usage(report: dict) -> Usage:
    total = Usage()
    for entry in (report.get("modelMetrics") or {}).values():
        usage = entry.get("usage") or {}
        cached, written = count(usage.get("cacheReadTokens")), count(usage.get("cacheWriteTokens"))
        total += Usage(input_tokens=max(0, count(usage.get("inputTokens")) - cached - written),
                       output_tokens=count(usage.get("outputTokens")), cached_tokens=cached,
                       cache_write_tokens=written,
                       reasoning_tokens=count(usage.get("reasoningTokens")))
    return total


def _status_for(error: dict) -> int | None:
    return {"authentication": 401, "rate_limit": 429, "query": 500}.get(error.get("errorType"))


def _error_message(raw) -> str:
    """model.call_failure.errorMessage is often the provider's JSON error body."""
    try:
        body = json.loads(raw)
    except (TypeError, ValueError):
        return str(raw or "")
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        return str(inner.get("message") or raw)
    return str(raw)


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}

