"""What the five CLI providers share: finding the binary, building the call, reading JSON lines.

A CLI provider subclasses CLIProvider and supplies
  command(request, binary, scratch) -> (argv, env additions)   a None value removes a variable
  reader(request) -> Reader                                   parses that CLI's output

Options every CLI provider reads from request.options:
  binary       path or name of the executable (default: the CLI's usual name, looked up on PATH)
  env          dict merged into the child's environment last (tests point CLIs at a mock so)
  args         list of extra arguments appended to the command line
  max_retries  how many of its own retries the CLI may make before we stop it (per CLI default)
  max_output_mb  stdout and stderr cap in MiB each (default 32): past it the CLI is killed
  idle_timeout_s  stop the CLI when it has printed nothing at all (stdout or stderr) for this
               long, well before the step's timeout (the chain passes routing.cli_idle_timeout_s);
               not applied to a run that prints only at its end (PRINTS_ONLY_AT_END)
A run that ends with no answer text is an EmptyAnswer, never a success.

Scope (request.scope, see base.SCOPES): each provider's command() maps "read-only" to its CLI's
own mechanism and leaves "write" as it always was. The policy's `args` and `env` come after our
flags, so a read-only task refuses to run when they hold a flag or variable that would undo the
mapping (`loosening_args`, `loosening_env`): a read-only agent never runs with write access.
"""

import os
import time

from ..errors import BadOutput, EmptyAnswer, NotConfigured, NotInstalled, ProviderError
from ..io import fastjson, proc
from .base import Request, Result, Usage


def load_json(raw) -> dict | None:
    """One JSON object, or None for a blank, non-JSON or non-object line (CLIs print banners)."""
    try:
        value = fastjson.loads(raw)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def last_line(text: str) -> str:
    """The last non-blank line: usually the one that says what went wrong."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def read_only(request: Request) -> bool:
    """Anything but an explicit "write" is read-only: an unknown scope fails closed."""
    return request.scope != "write"


def _loosens(arg: str, names: tuple) -> bool:
    flag = arg.split("=", 1)[0]
    return any(flag == name if name.startswith("-") else name in arg for name in names)


class scratch_dir:
    """A private temp folder for files a CLI writes (e.g. copilot's usage file), removed after
    the run. Made by hand because `tempfile` costs ~5 ms to import on every cold call."""

    _count = 0

    def __init__(self, label: str) -> None:
        scratch_dir._count += 1
        base = os.environ.get("TMPDIR") or "/tmp"
        unique = f"{os.getpid()}-{time.monotonic_ns()}-{self._count}"
        self.path = os.path.join(base, f"llm-router-{label}-{unique}")

    def __enter__(self) -> str:
        os.mkdir(self.path, 0o700)  # fails rather than reuse an existing folder
        return self.path

    def __exit__(self, *exc) -> None:
        try:
            os.rmdir(self.path)  # most CLIs leave it empty: no need to import shutil
        except OSError:
            import shutil

            shutil.rmtree(self.path, ignore_errors=True)


class Reader:
    """Follows one run's output as it arrives. Subclasses handle `event(dict)` (a JSON line) and
    may watch stderr; `finish(done)` turns the finished run into a Result or raises."""

    def __init__(self, provider: "CLIProvider", request: Request) -> None:
        self.provider = provider
        self.request = request
        self.usage = Usage()
        self.session_id: str | None = None
        self.scratch = ""  # a temp dir that lives as long as the run (files a CLI writes)

    def line(self, raw: bytes) -> None:
        event = load_json(raw)
        if event is not None:
            self.event(event)

    def event(self, event: dict) -> None:
        """One JSON line from stdout."""

    def stderr_line(self, raw: bytes) -> None:
        """One stderr line; raise a ProviderError here to stop the CLI early."""

    def emit(self, text) -> None:
        """Hand a text delta to the caller right away when it asked for streaming."""
        if self.request.stream and self.request.on_text and isinstance(text, str) and text:
            self.request.on_text(text)

    def finish(self, done: proc.Completed) -> Result:
        raise NotImplementedError

    # helpers for finish() ------------------------------------------------------------------
    def result(self, text: str, done: proc.Completed, cost: float | None = None,
               raw: dict | None = None) -> Result:
        return Result(text=text, model=self.request.model, provider=self.provider.name,
                      usage=self.usage, latency_ms=done.elapsed_ms, cost_usd=cost,
                      session_id=self.session_id, raw=raw or {})

    def fail(self, message: str, status: int | None = None, detail: str = "",
             retry_after: float | None = None) -> ProviderError:
        """The error for a failure the CLI reported, with its status when known."""
        from . import _classify  # error paths only: it compiles regular expressions

        classify = dict(provider=self.provider.name, login_hint=self.provider.login_hint,
                        detail=proc.redact(detail)[-proc.DETAIL_CHARS:])
        if status is None:
            return _classify.error_for_text(proc.redact(message), **classify)
        return _classify.error_for_status(status, proc.redact(message), retry_after=retry_after,
                                          **classify)

    def bad_output(self, done: proc.Completed, why: str) -> BadOutput:
        return BadOutput(f"{self.provider.name}: {why} (exit {done.returncode})",
                         f"update the CLI: npm install -g {self.provider.npm_package}@latest",
                         provider=self.provider.name, detail=done.stderr[-proc.DETAIL_CHARS:])

    def max_retries(self) -> int:
        return self.provider.max_retries(self.request.options)


# CLIs whose non-streaming output is one object printed when the run ends (see idle_timeout).
PRINTS_ONLY_AT_END = ("claude", "gemini")


def _seconds(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and value > 0 else None


class CLIProvider:
    name = ""
    transport = "cli"
    binary = ""  # executable name
    npm_package = ""
    login_hint = ""
    default_max_retries = 1
    argv_tail: tuple = ()  # arguments that must stay last, after options["args"]
    # What in options["args"] / options["env"] would give a read-only task write access back:
    # a flag name (matched before any "="), or a bare word matched anywhere in an argument.
    loosening_args: tuple = ()
    loosening_env: tuple = ()

    # the Provider protocol ----------------------------------------------------------------
    def available(self, options: dict) -> tuple[bool, str]:
        path = self._find(options or {})
        if path:
            return True, f"{self.binary} at {path}"
        return False, f"{self.binary} is not on PATH (install: npm install -g {self.npm_package})"

    def run(self, request: Request, timeout: float) -> Result:
        options = request.options or {}
        binary = self._find(options)
        if not binary:
            raise NotInstalled(f"{self.name}: `{self.binary}` is not installed or not on PATH",
                               f"npm install -g {self.npm_package}", provider=self.name)
        if read_only(request):
            self._refuse_loosening(options)
        with scratch_dir(self.name) as scratch:
            argv, env = self.command(request, binary, scratch)
            argv += [str(arg) for arg in options.get("args") or []] + list(self.argv_tail)
            reader = self.reader(request)
            reader.scratch = scratch
            started = time.monotonic()
            done = proc.run(argv, stdin=self.stdin(request), timeout=timeout, cwd=request.cwd,
                            env=proc.child_env({**env, **(options.get("env") or {})}),
                            on_line=reader.line, on_stderr_line=reader.stderr_line,
                            label=self.name, install_hint=f"npm install -g {self.npm_package}",
                            max_output=proc.output_cap(options.get("max_output_mb"), self.name),
                            idle_timeout=self.idle_timeout(request))
            result = reader.finish(done)
            if not (result.text or "").strip():
                raise EmptyAnswer(f"{self.name}: the CLI finished (exit {done.returncode}) "
                                  "without any answer text", "try again, or route to another model",
                                  provider=self.name, detail=done.stderr[-proc.DETAIL_CHARS:])
            result.latency_ms = int((time.monotonic() - started) * 1000)
            return result

    def idle_timeout(self, request: Request) -> float | None:
        """The no-output bound (options idle_timeout_s), for runs whose output shows progress.
        `claude -p --output-format json` and `gemini -o json` print their one answer at the
        very end, so silence there is normal work: only their streaming runs get it."""
        if not request.stream and self.name in PRINTS_ONLY_AT_END:
            return None
        return _seconds((request.options or {}).get("idle_timeout_s"))

    def max_retries(self, options: dict) -> int:
        value = options.get("max_retries", self.default_max_retries)
        return value if isinstance(value, int) and value >= 0 else self.default_max_retries

    def _refuse_loosening(self, options: dict) -> None:
        found = [arg for arg in map(str, options.get("args") or []) if _loosens(arg, self.loosening_args)]
        found += [name for name in options.get("env") or {} if name in self.loosening_env]
        if found:
            raise NotConfigured(
                f"{self.name}: refused a read-only task: the policy's providers.{self.name} "
                f"args/env set {', '.join(found)}, which would let it write files or run commands",
                f"remove {', '.join(found)} from providers.{self.name} in the policy, or send "
                "read-only work to another model", provider=self.name)

    # for subclasses -----------------------------------------------------------------------
    def command(self, request: Request, binary: str, scratch: str) -> tuple[list, dict]:
        raise NotImplementedError

    def reader(self, request: Request) -> Reader:
        raise NotImplementedError

    def stdin(self, request: Request) -> bytes:
        """The prompt bytes; CLIs without a system-prompt flag get the system text first."""
        text = f"{request.system}\n\n{request.prompt}" if request.system else request.prompt
        return text.encode("utf-8", "surrogateescape")  # undoes a surrogateescape decode exactly

    def _find(self, options: dict) -> str | None:
        wanted = options.get("binary") or self.binary
        found = proc.which(wanted)
        if found is None and os.path.isabs(wanted) and os.access(wanted, os.X_OK):
            found = wanted
        return found
