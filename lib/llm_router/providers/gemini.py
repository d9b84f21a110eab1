"""Gemini CLI: `gemini --skip-trust -m MODEL -o json`, prompt on stdin (`-o stream-json` when
streaming). --skip-trust, because in a folder it does not trust gemini exits 55 before doing
anything.

`-o json` prints one object on stdout (`response`, `stats.models.<version>.tokens`); on failure
stdout is empty and an error object goes to stderr. `-o stream-json` prints JSON lines: assistant
`message` deltas, then a `result` with `status` and `stats`. The exit code is the most reliable
failure signal: 41 auth not configured (AuthError), 42 bad input (BadRequest), 52 invalid
settings and 55 untrusted folder (NotConfigured: skip), and an API error exits with its HTTP
status & 0xFF (401 -> 145, 429 -> 173, 500 -> 244).

Retry cap. Gemini retries 429/5xx up to 10 times with 5-30 s backoff (about 3.5 minutes). Its
only knob is `general.maxAttempts` in a settings file, and every place we could put one has a
cost: an isolated GEMINI_CLI_HOME hides the user's login and settings, a workspace
.gemini/settings.json would be written into the user's project, and the system-defaults file
(GEMINI_CLI_SYSTEM_DEFAULTS_PATH) is ignored unless root owns it and every parent folder. So we
leave gemini's settings alone and watch its stderr instead: it prints "Attempt N failed with
status S. Retrying with backoff..." before each retry, and once N passes `max_retries`
(default 0, because gemini's own backoff starts at 5 s) we stop it and raise the class for S.

Options (besides those in _cli): approval_mode.

Scope: read-only is `--approval-mode plan`, an admin policy file and NO --skip-trust.
  * Plan mode alone is not enough: headless gemini 0.61 approves the model's own
    `exit_plan_mode` call and switches to YOLO, after which write_file writes anywhere (the
    scope contract test performs exactly that). So `--admin-policy` loads a policy (written to
    the run's scratch folder) that denies every tool but the reading ones; the admin tier
    outranks user and workspace policies, and a denied tool is not even shown to the model.
    gemini ignores --admin-policy when /etc/gemini-cli/policies holds .toml files, so then we
    refuse the read-only task rather than run it unguarded.
  * --skip-trust would trust the folder for the session, which loads its .gemini settings
    (MCP servers, hooks, tool commands): code a repository chooses. A read-only task therefore
    runs only in a folder the user has trusted in gemini itself; elsewhere gemini exits 55 and
    the call fails at once with NotConfigured saying so (the chain moves on).
Write keeps --skip-trust and options["approval_mode"], as before.
"""

import json
import os
import re

from ..errors import NotConfigured
from ..io import proc
from ._cli import CLIProvider, Reader, last_line, read_only
from .base import Usage, count

_RETRY_LINE = re.compile(rb"Attempt (\d+) failed with (?:status )?(\d{3}|5xx)\b")
_EXIT_CODES = {41: 401, 42: 400}  # gemini's own fatal codes, as the status they amount to
_SETUP_EXITS = {52: "its settings are invalid", 55: "it does not trust this folder"}
SYSTEM_POLICIES = "/etc/gemini-cli/policies"  # with .toml files here, --admin-policy is ignored
READ_ONLY_TOOLS = ("read_file", "read_many_files", "list_directory", "glob", "grep_search")
# Highest rule wins: deny every tool (MCP ones too), then allow the reading ones above it.
READ_ONLY_POLICY = f"""# llm-router: a read-only task may only read
[[rule]]
toolName = "*"
decision = "deny"
priority = 998
denyMessage = "this task is read-only: only reading tools are allowed"

[[rule]]
toolName = {json.dumps(list(READ_ONLY_TOOLS))}
decision = "allow"
priority = 999
"""


class GeminiProvider(CLIProvider):
    name = "gemini"
    binary = "gemini"
    npm_package = "@google/gemini-cli"
    login_hint = "run `gemini` once and sign in, or set GEMINI_API_KEY"
    default_max_retries = 0
    loosening_args = ("--skip-trust", "--approval-mode", "--yolo", "-y", "--allowed-tools",
                      "--admin-policy")
    loosening_env = ("GEMINI_CLI_TRUST_WORKSPACE",)

    def command(self, request, binary, scratch):
        if read_only(request):
            guard, mode = ["--admin-policy", _read_only_policy(scratch)], "plan"
        else:
            guard, mode = ["--skip-trust"], request.options.get("approval_mode")
        argv = [binary, *guard, "-m", request.model, "-o", "stream-json" if request.stream else "json"]
        if mode:
            argv += ["--approval-mode", str(mode)]
        if request.resume_session_id:
            argv += ["--resume", request.resume_session_id]
        elif request.continue_session:
            argv += ["--resume", "latest"]
        return argv, {}

    def reader(self, request):
        return _GeminiReader(self, request)


def _read_only_policy(scratch: str) -> str:
    """The read-only policy file, or NotConfigured when gemini would ignore it."""
    try:
        shadowed = any(name.endswith(".toml") for name in os.listdir(SYSTEM_POLICIES))
    except OSError:
        shadowed = False
    if shadowed:
        raise NotConfigured(
            f"gemini: refused a read-only task: {SYSTEM_POLICIES} holds admin policies, so gemini "
            "would ignore the policy that keeps the task read-only",
            "send read-only work to another model, or ask the machine's administrator to add a "
            "read-only rule there", provider="gemini")
    path = os.path.join(scratch, "read-only.toml")
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(READ_ONLY_POLICY)
    return path


class _GeminiReader(Reader):
    def __init__(self, provider, request):
        super().__init__(provider, request)
        self.parts: list[str] = []
        self.final: dict | None = None

    def event(self, event):
        """stream-json lines (in json mode stdout is one multi-line object, read in finish)."""
        kind = event.get("type")
        if kind == "init":
            self.session_id = event.get("session_id")
        elif kind == "message" and event.get("role") == "assistant":
            self.parts.append(str(event.get("content") or ""))
            self.emit(event.get("content"))
        elif kind == "result":
            self.final = event

    def stderr_line(self, raw):
        match = _RETRY_LINE.search(raw)
        if match and int(match.group(1)) > self.max_retries():
            attempt, status = int(match.group(1)), match.group(2).decode()
            status = 500 if status == "5xx" else int(status)
            raise self.fail(f"stopped after attempt {attempt} failed with status {status} "
                            f"(max_retries={self.max_retries()})", status,
                            detail=raw.decode("utf-8", "replace"))

    def finish(self, done):
        if self.request.stream:
            return self._finish_stream(done)
        answer = _load_object(done.stdout_text)
        if done.returncode != 0 or answer is None or "error" in answer:
            raise self._error(done, (answer or {}).get("error"))
        self.session_id = answer.get("session_id")
        self.usage = _json_usage(answer.get("stats") or {})
        return self.result(str(answer.get("response") or ""), done,
                           raw={"models": sorted((answer.get("stats") or {}).get("models") or {})})

    def _finish_stream(self, done):
        final = self.final or {}
        if done.returncode != 0 or final.get("status") != "success":
            raise self._error(done, final.get("error"))
        stats = final.get("stats") or {}
        self.usage = _stream_usage(stats)
        return self.result("".join(self.parts), done, raw={"models": sorted(stats.get("models") or {})})

    def _error(self, done, error: dict | None):
        error = error or (_load_object(_stderr_json(done.stderr)) or {}).get("error") or {}
        message = _api_message(str(error.get("message") or last_line(done.stderr) or "failed"))
        status = error.get("code") if isinstance(error.get("code"), int) else _exit_status(done.returncode)
        if done.returncode == 0 and not error:
            return self.bad_output(done, "no answer in the output")
        if done.returncode == 55 and read_only(self.request):
            return NotConfigured(
                "gemini: refused a read-only task: gemini does not trust this folder, and "
                "read-only work never passes --skip-trust (trusting the folder would load its "
                ".gemini settings, which can run commands)",
                "trust the folder in gemini itself (run `gemini` there once and choose to trust "
                "it), or send read-only work to another model",
                provider="gemini", detail=done.stderr[-proc.DETAIL_CHARS:])
        if done.returncode in _SETUP_EXITS:
            return NotConfigured(f"gemini: refused to run: {_SETUP_EXITS[done.returncode]}",
                                 "run `gemini` in this folder once and fix what it reports",
                                 provider="gemini", detail=done.stderr[-proc.DETAIL_CHARS:])
        return self.fail(message, status, detail=done.stderr)


def _exit_status(code: int) -> int | None:
    """The HTTP status behind gemini's exit code (it exits with status & 0xFF)."""
    if code in _EXIT_CODES:
        return _EXIT_CODES[code]
    return code + 256 if 144 <= code <= 255 else None


def _json_usage(stats: dict) -> Usage:
    """-o json: tokens per model; `input` already excludes cached, `candidates` excludes thoughts."""
    total = Usage()
    for entry in (stats.get("models") or {}).values():
        tokens = entry.get("tokens") or {}
        thoughts = count(tokens.get("thoughts"))
        total += Usage(input_tokens=count(tokens.get("input")),
                       output_tokens=count(tokens.get("candidates")) + thoughts,
                       cached_tokens=count(tokens.get("cached")), reasoning_tokens=thoughts)
    return total


def _stream_usage(stats: dict) -> Usage:
    """-o stream-json: totals only, and no thoughts count."""
    cached = count(stats.get("cached"))
    return Usage(input_tokens=count(stats.get("input_tokens")) - cached,
                 output_tokens=count(stats.get("output_tokens")), cached_tokens=cached)


def _api_message(message: str) -> str:
    """Gemini wraps the API's JSON error body in its message; keep the human part."""
    body = _load_object(message.strip().strip("[]").removeprefix("API Error: "))
    inner = (body or {}).get("error")
    return str(inner.get("message")) if isinstance(inner, dict) and inner.get("message") else message


def _load_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _stderr_json(stderr: str) -> str:
    """The error object gemini prints after its stack trace: from the last line that is "{"."""
    lines = stderr.splitlines()
    starts = [index for index, line in enumerate(lines) if line.strip() == "{"]
    return "\n".join(lines[starts[-1]:]) if starts else ""

