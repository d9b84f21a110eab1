"""opencode: `opencode run --format json -m PROVIDER/MODEL --title llm-router`, prompt on stdin.

Output is one JSON event per line. Each LLM call of the agent loop is a step_start ... step_finish
pair, so tokens and cost are summed over every step_finish; the answer is the text parts of the
last step that has any. `text` events carry whole finished parts, not deltas, so streaming
forwards a part at a time. Failures arrive as an `error` event whose data.statusCode is the
HTTP status (exit code is 1 for every failure). `--title` avoids a second, title-generating call.

Environment: OPENCODE_DISABLE_AUTOUPDATE=1 so a call never turns into an update. GITHUB_TOKEN is
removed unless options["keep_github_token"] is true: a plain token there activates opencode's
github-copilot provider through the env path and its requests then fail (opencode#44113).

Retry cap: none available. opencode retries retryable errors 5 times (2 s, 4 s, 8 s ... or what
`retry-after` says; the count is hard-coded), so a 5xx without retry-after costs about 75 s and
only our timeout bounds it. 401/403 are not retried and fail in seconds.

Options (besides those in _cli): agent, variant (reasoning effort), keep_github_token.

Scope: read-only runs the built-in `plan` agent (options["agent"] is ignored) with two guards,
because the plan agent alone still runs bash (the scope contract test wrote a file through it):
  * OPENCODE_PERMISSION, merged over the user's permission config: deny every tool but read,
    grep, glob and list (.env files stay unreadable, as in opencode's own default), so bash,
    edit, write, task and webfetch are not even offered to the model;
  * OPENCODE_DISABLE_PROJECT_CONFIG=1: an agent's own permissions beat the global ones, and a
    repository's opencode.json or .opencode/agent/plan.md could otherwise give `plan` bash back.
Write keeps options["agent"] and the user's permissions, as before.
"""

import json

from ._cli import CLIProvider, Reader, last_line, read_only

READ_ONLY_PERMISSION = json.dumps({
    "*": "deny", "grep": "allow", "glob": "allow", "list": "allow",
    "read": {"*": "allow", "*.env": "deny", "*.env.*": "deny", "*.env.example": "allow"}})
from .base import Usage, count


class OpencodeProvider(CLIProvider):
    name = "opencode"
    binary = "opencode"
    npm_package = "opencode-ai"
    login_hint = "run `opencode auth login` for this model's provider"
    loosening_args = ("--agent", "--auto")
    loosening_env = ("OPENCODE_PERMISSION", "OPENCODE_DISABLE_PROJECT_CONFIG")

    def command(self, request, binary, scratch):
        options = request.options
        argv = [binary, "run", "--format", "json", "-m", request.model, "--title", "llm-router"]
        agent = "plan" if read_only(request) else options.get("agent")
        if agent:
            argv += ["--agent", str(agent)]
        if options.get("variant"):
            argv += ["--variant", str(options["variant"])]
        if request.cwd:  # opencode takes its project folder from --dir or $PWD, not the process cwd
            argv += ["--dir", request.cwd]
        if request.resume_session_id:
            argv += ["--session", request.resume_session_id]
        elif request.continue_session:
            argv.append("--continue")
        env = {"OPENCODE_DISABLE_AUTOUPDATE": "1"}
        if not options.get("keep_github_token"):
            env["GITHUB_TOKEN"] = None
        if read_only(request):
            env.update(OPENCODE_PERMISSION=READ_ONLY_PERMISSION, OPENCODE_DISABLE_PROJECT_CONFIG="1")
        return argv, env

    def reader(self, request):
        return _OpencodeReader(self, request)


class _OpencodeReader(Reader):
    def __init__(self, provider, request):
        super().__init__(provider, request)
        self.steps: list[list[str]] = []
        self.cost = 0.0
        self.error: dict | None = None

    def event(self, event):
        self.session_id = event.get("sessionID") or self.session_id
        kind, part = event.get("type"), event.get("part") or {}
        if kind == "step_start" or (kind == "text" and not self.steps):
            self.steps.append([])
        if kind == "text" and isinstance(part.get("text"), str):
            self.steps[-1].append(part["text"])
            self.emit(part["text"])
        elif kind == "step_finish":
            self._add_usage(part)
        elif kind == "error":
            self.error = event.get("error") or {}

    def _add_usage(self, part: dict) -> None:
        tokens = part.get("tokens") or {}
        cache = tokens.get("cache") or {}
        reasoning = count(tokens.get("reasoning"))
        # opencode already splits cache reads/writes out of input, and reasoning out of output
        self.usage += Usage(input_tokens=count(tokens.get("input")),
                            output_tokens=count(tokens.get("output")) + reasoning,
                            cached_tokens=count(cache.get("read")),
                            cache_write_tokens=count(cache.get("write")),
                            reasoning_tokens=reasoning)
        if isinstance(part.get("cost"), (int, float)):
            self.cost += part["cost"]

    def finish(self, done):
        if self.error is not None:
            raise self._error(done)
        if done.returncode != 0:
            raise self.fail(last_line(done.stderr) or f"exited with {done.returncode}",
                            detail=done.stderr)
        texts = next((step for step in reversed(self.steps) if step), None)
        if texts is None:
            raise self.bad_output(done, "no text in the output")
        return self.result("".join(texts).strip(), done, cost=self.cost,
                           raw={"steps": len(self.steps)})

    def _error(self, done):
        data = self.error.get("data") or {}
        name = self.error.get("name") or "error"
        message = data.get("message") or name
        status = data.get("statusCode")
        detail = "\n".join(filter(None, [str(data.get("responseBody") or ""), done.stderr]))
        if name == "ProviderAuthError":
            status = 401
        elif name == "ContextOverflowError":
            status = 400
        if isinstance(status, int):
            headers = data.get("responseHeaders") or {}
            return self.fail(f"{name}: {message}", status, detail=detail,
                             retry_after=_seconds(headers.get("retry-after")))
        # "UnknownError: Unexpected server error" is also what missing credentials look like
        return self.fail(f"{name}: {message} (see `opencode run --print-logs` for the cause)",
                         None, detail=detail)


def _seconds(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None

