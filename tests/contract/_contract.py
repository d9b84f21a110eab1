"""Helpers and fixtures for the contract tests: the real CLIs (from LLM_ROUTER_TOOLS_BIN,
default .tools/node_modules/.bin) run through our providers against the loopback mock, each in
its own HOME/XDG folders under tmp so nothing touches the real home. A missing binary skips,
except under CI, where it fails. Test modules import the fixtures from here: a second
conftest.py would shadow tests/conftest.py for the suites that do `from conftest import ...`.

Every contract module checks the same four things through `provider.run` (never a re-typed
command line): a reply with its usage, streaming, 401/429/500 landing in the right class within
ERROR_BUDGET_S, and a 300 KB prompt arriving whole at the mock.
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from mocks.llm_backend import LLMBackend  # noqa: E402

from llm_router import providers  # noqa: E402
from llm_router.providers.base import Request  # noqa: E402

ERROR_BUDGET_S = 30  # a failing provider must cost seconds, not minutes
END_MARKER = "END-OF-PROMPT-7f3a9c"
# Real credentials from the developer's shell must never reach a CLI under test.
SCRUBBED = ("GITHUB_TOKEN", "GH_TOKEN", "COPILOT_GITHUB_TOKEN", "OPENAI_API_KEY", "CODEX_API_KEY",
            "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL",
            "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CONFIG_DIR", "GEMINI_API_KEY", "GOOGLE_API_KEY",
            "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_PROJECT",
            "GEMINI_CLI_HOME", "CODEX_HOME", "COPILOT_HOME", "OPENCODE_CONFIG",
            "OPENCODE_CONFIG_CONTENT", "OPENCODE_CONFIG_DIR", "ZHIPU_API_KEY")


def tools_bin() -> Path:
    default = TESTS.parent / ".tools" / "node_modules" / ".bin"
    return Path(os.environ.get("LLM_ROUTER_TOOLS_BIN") or default)


def real_binary(name: str) -> str:
    """The real CLI, or skip (fail under CI, where a missing CLI is a broken setup)."""
    path = tools_bin() / name
    if path.exists() and os.access(path, os.X_OK):
        return str(path)
    reason = f"{name} is not installed in {tools_bin()} (run scripts/test, or set LLM_ROUTER_TOOLS_BIN)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def isolated_home(root: Path) -> dict:
    """HOME and the XDG folders under `root`, plus the scrubbed credentials."""
    env = {name: None for name in SCRUBBED}
    env["HOME"] = str(root)
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(root / sub)
    return env


class Contract:
    """One real CLI wired to the mock: `run(model)` goes through the provider's own run()."""

    def __init__(self, name: str, backend: LLMBackend, env: dict, cwd: Path, **options) -> None:
        self.name = name
        self.backend = backend
        self.provider = providers.get(name)
        self.cwd = cwd
        self.options = {"binary": real_binary(name), "env": env, **options}

    def run(self, model: str, prompt: str = "say pong", stream: bool = False, timeout: float = 120,
            scope: str = "write", cwd: Path | None = None, resume: str | None = None, **options):
        deltas: list[str] = []
        request = Request(prompt=prompt, model=model, stream=stream, on_text=deltas.append,
                          cwd=str(cwd or self.cwd), options={**self.options, **options}, scope=scope,
                          resume_session_id=resume)
        result = self.provider.run(request, timeout)
        result.raw["deltas"] = deltas
        return result

    def timed_failure(self, model: str, error: type):
        """Run a model the mock fails; the class and the cost in seconds are both checked."""
        started = time.monotonic()
        with pytest.raises(error) as info:
            self.run(model)
        elapsed = time.monotonic() - started
        assert elapsed < ERROR_BUDGET_S, f"{self.name} took {elapsed:.0f} s to fail"
        return info.value


@pytest.fixture(scope="module", name="backend")
def backend_fixture():
    with LLMBackend(input_tokens=11, cached_tokens=4, output_tokens=3, reasoning_tokens=2,
                    retry_after="0", max_lifetime=1200) as server:
        yield server


@pytest.fixture(scope="module", name="home")
def home_fixture(tmp_path_factory):
    root = tmp_path_factory.mktemp("home")
    work = tmp_path_factory.mktemp("work")
    return root, work, isolated_home(root)


def offered_tools(recorded) -> set[str]:
    """The tool names a model request offered, in any of the four dialects."""
    names = set()
    for tool in (recorded.json or {}).get("tools") or []:
        for entry in tool.get("functionDeclarations") or [tool.get("function") or tool]:
            names.add(entry.get("name"))
    return names


def attempt_write(cli: Contract, model: str, scope: str, tool: str, arguments: dict,
                  target: Path, **options) -> bool:
    """Have the mock model call `tool` (meant to create `target`) during one run in `scope`;
    True when the file exists afterwards. The run itself must still answer: a refused tool call
    is the CLI's business, not a failure."""
    if target.exists():
        target.unlink()
    cli.backend.script_tool_call(tool, arguments)
    result = cli.run(model, prompt=f"create {target.name}", scope=scope, **options)
    assert cli.backend.pending_tool_calls() == 0, f"{cli.name} never sent a request with tools"
    assert result.text == "MOCK-REPLY pong"
    return target.exists()


def tool_result(cli: Contract) -> str:
    """What the CLI sent back for the scripted call (its last request), for failure messages."""
    payload = dict(cli.backend.posts()[-1].json or {})
    for bulky in ("tools", "system", "systemInstruction", "instructions"):
        payload.pop(bulky, None)
    return json.dumps(payload)[-2000:]


def big_prompt() -> str:
    """About 300 KB of plain words (no JSON escaping needed) ending in END_MARKER."""
    words = "the quick brown fox jumps over the lazy dog "
    return words * (300_000 // len(words)) + END_MARKER


def assert_arrived_whole(backend: LLMBackend, prompt: str) -> None:
    bodies = [r.text for r in backend.posts()]
    assert any(END_MARKER in body for body in bodies), "the end marker never reached the mock"
    assert any(prompt in body for body in bodies), "the prompt reached the mock altered or cut"


def assert_thread_resumes(cli: Contract, model: str) -> None:
    """The second call goes through the resume flag with the first call's session id, and the
    request that reaches the model carries the first turn: the CLI restored its conversation."""
    first = cli.run(model, prompt="remember the word TANGERINE", persist_session=True)
    assert first.session_id
    before = len(cli.backend.posts())
    second = cli.run(model, prompt="which word was it?", resume=first.session_id,
                     persist_session=True)
    assert second.text == "MOCK-REPLY pong"
    bodies = [r.text for r in cli.backend.posts()[before:]]
    assert any("TANGERINE" in body and "which word was it?" in body for body in bodies)
