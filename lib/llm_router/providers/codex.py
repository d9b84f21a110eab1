"""Codex: `codex exec --json --skip-git-repo-check --ephemeral -m MODEL [-C cwd] -`, prompt on
stdin (the trailing `-`; an argv prompt with an open stdin hangs forever).

JSON lines: thread.started (thread_id), item.completed items (the last agent_message is the
answer; `error` items such as "model metadata not found" are not fatal), turn.completed with
usage per turn (summed), and turn.failed whose message is the only failure signal (exit code is
1 for everything), so the class comes from its text: "unexpected status 401 ...",
"last status: 429 ...", and for 5xx a status-less "high demand" sentence.

Retry cap. Codex retries a failed request 5 times, and offline it reconnects forever. Two knobs:
  * a custom provider (options base_url, or model_provider naming one from config.toml) gets
    request_max_retries=0 and stream_max_retries=max_retries through `-c` (the two loops nest:
    1 and 1 made 4 requests), so at most 1 + max_retries requests. Built-in providers (openai,
    oss) cannot be redefined that way.
  * for every provider, codex prints `{"type":"error","message":"Reconnecting... n/5 (why)"}`
    before each retry; once n passes max_retries (default 1) we stop it and classify `why`.

Options (besides those in _cli):
  base_url, api_key_env, wire_api (default "responses"; codex 0.169 rejects "chat"), headers:
      define a custom provider "llm_router" for this call (codex appends /responses to base_url)
  model_provider: use this provider id from the user's config.toml
  sandbox (read-only|workspace-write|danger-full-access), persist_session, profile

Scope: read-only is `--sandbox read-only` whatever options["sandbox"] says (codex then runs
model commands on a read-only file system); `exec resume` takes no --sandbox, so a resumed
read-only call sets `-c sandbox_mode="read-only"` instead. Write passes options["sandbox"] if
set, else codex's own default, as before.
"""

import json
import re

from ._cli import CLIProvider, Reader, last_line, read_only
from .base import Usage, count

BUILTIN_PROVIDERS = {"openai", "oss", "ollama", "lmstudio", "ollama-chat"}
_RECONNECT = re.compile(r"^Reconnecting\.\.\. (\d+)/\d+ \((.*)\)$", re.DOTALL)


class CodexProvider(CLIProvider):
    name = "codex"
    binary = "codex"
    npm_package = "@openai/codex"
    login_hint = "run `codex login` (or set CODEX_API_KEY)"
    argv_tail = ("-",)  # read the prompt from stdin
    loosening_args = ("--sandbox", "-s", "--dangerously-bypass-approvals-and-sandbox",
                      "--full-auto", "--approve-for-me", "sandbox")

    def command(self, request, binary, scratch):
        options = request.options
        resuming = bool(request.resume_session_id or request.continue_session)
        argv = [binary, "exec"]
        if resuming:  # `exec resume` takes neither -C nor --sandbox/--profile
            argv += ["resume", request.resume_session_id or "--last"]
        argv += ["--json", "--skip-git-repo-check", "-m", request.model]
        if not (resuming or options.get("persist_session")):
            argv.append("--ephemeral")
        sandbox = "read-only" if read_only(request) else options.get("sandbox")
        if not resuming:
            if request.cwd:
                argv += ["-C", request.cwd]
            if sandbox:
                argv += ["--sandbox", str(sandbox)]
            if options.get("profile"):
                argv += ["--profile", str(options["profile"])]
        elif read_only(request):
            argv += ["-c", 'sandbox_mode="read-only"']
        for setting in self._provider_settings(options):
            argv += ["-c", setting]
        return argv, {}

    def _provider_settings(self, options: dict) -> list[str]:
        """`-c` overrides that select a custom provider and cap its retries."""
        # codex nests two retry loops (per request, per stream); one of them is enough
        caps = {"request_max_retries": 0, "stream_max_retries": self.max_retries(options)}
        if options.get("base_url"):
            table = {"name": "llm-router", "base_url": options["base_url"],
                     "wire_api": options.get("wire_api", "responses"), **caps}
            if options.get("api_key_env"):
                table["env_key"] = options["api_key_env"]
            if options.get("headers"):
                table["http_headers"] = options["headers"]
            return ['model_provider="llm_router"', f"model_providers.llm_router={_toml(table)}"]
        chosen = options.get("model_provider")
        if not chosen:
            return []
        settings = [f"model_provider={_toml(chosen)}"]
        if chosen not in BUILTIN_PROVIDERS:
            settings += [f"model_providers.{chosen}.{key}={value}" for key, value in caps.items()]
        return settings

    def reader(self, request):
        return _CodexReader(self, request)


class _CodexReader(Reader):
    def __init__(self, provider, request):
        super().__init__(provider, request)
        self.answer: str | None = None
        self.failure: str | None = None
        self.last_error: str | None = None
        self.turns = 0

    def event(self, event):
        kind = event.get("type")
        if kind == "thread.started":
            self.session_id = event.get("thread_id")
        elif kind == "item.completed":
            item = event.get("item") or {}
            if item.get("type") == "agent_message" and isinstance(item.get("text"), str):
                self.answer = item["text"]
                self.emit(item["text"])
        elif kind == "turn.completed":
            self.turns += 1
            self._add_usage(event.get("usage") or {})
        elif kind == "turn.failed":
            self.failure = str((event.get("error") or {}).get("message") or "turn failed")
        elif kind == "error":
            self._on_error(str(event.get("message") or ""))

    def _on_error(self, message: str) -> None:
        self.last_error = message
        retry = _RECONNECT.match(message)
        if retry and int(retry.group(1)) > self.max_retries():
            raise self.fail(f"stopped retrying: {retry.group(2)}", detail=message)

    def _add_usage(self, usage: dict) -> None:
        """OpenAI counts: input includes cached, output includes reasoning."""
        cached = count(usage.get("cached_input_tokens"))
        written = count(usage.get("cache_write_input_tokens"))
        self.usage += Usage(input_tokens=max(0, count(usage.get("input_tokens")) - cached - written),
                            output_tokens=count(usage.get("output_tokens")),
                            cached_tokens=cached, cache_write_tokens=written,
                            reasoning_tokens=count(usage.get("reasoning_output_tokens")))

    def finish(self, done):
        failure = self.failure or (self.last_error if done.returncode != 0 else None)
        if failure:
            raise self.fail(failure, detail=done.stderr)
        if done.returncode != 0:
            raise self.fail(last_line(done.stderr) or f"exited with {done.returncode}",
                            detail=done.stderr)
        if self.answer is None:
            raise self.bad_output(done, "no agent message in the output")
        return self.result(self.answer, done, raw={"turns": self.turns})


def _toml(value) -> str:
    """A TOML value for `-c`: JSON strings and numbers are valid TOML; tables become inline."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}={_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)

