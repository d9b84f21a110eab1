"""What every CLI provider must do, checked on each of the five with a fake CLI on PATH:
prompt bytes on stdin unchanged, no hang whatever the CLI does, a clean environment, and the
Provider protocol (available() without side effects, NotInstalled with an install hint)."""

import json
import os
import time

import pytest
from mocks.fake_cli import FakeCLI

from llm_router import providers
from llm_router.errors import BadOutput, NotInstalled, ProviderTimeout
from llm_router.providers.base import Request, Result

GEMINI_JSON = json.dumps({
    "session_id": "s-1", "response": "pong",
    "stats": {"models": {"m": {"tokens": {"input": 7, "prompt": 11, "candidates": 1, "total": 14,
                                          "cached": 4, "thoughts": 2, "tool": 0}}}}}, indent=2)
COPILOT_USAGE = {"modelMetrics": {"m": {"usage": {"inputTokens": 11, "outputTokens": 3,
                                                  "cacheReadTokens": 4, "cacheWriteTokens": 0}}}}

# name -> (model, stdout lines of a successful run, extra scenario settings)
SUCCESS = {
    "claude": ("claude-sonnet-4-5", [{"type": "result", "is_error": False, "result": "pong",
                                      "session_id": "s-1", "total_cost_usd": 0.0002,
                                      "modelUsage": {"m": {"inputTokens": 7, "outputTokens": 3,
                                                           "cacheReadInputTokens": 4}}}], {}),
    "opencode": ("zai/glm-4.7", [
        {"type": "step_start", "sessionID": "s-1", "part": {}},
        {"type": "text", "sessionID": "s-1", "part": {"type": "text", "text": "pong"}},
        {"type": "step_finish", "sessionID": "s-1", "part": {
            "tokens": {"input": 7, "output": 1, "reasoning": 2, "cache": {"read": 4, "write": 0}},
            "cost": 0.0001}}], {}),
    "gemini": ("gemini-2.5-flash", GEMINI_JSON.splitlines(), {}),
    "codex": ("gpt-5.4", [
        {"type": "thread.started", "thread_id": "s-1"},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "pong"}},
        {"type": "turn.completed", "usage": {"input_tokens": 11, "cached_input_tokens": 4,
                                             "output_tokens": 3, "reasoning_output_tokens": 2}}], {}),
    "copilot": ("gpt-5.2", [
        {"type": "assistant.message", "data": {"content": "pong"}},
        {"type": "result", "sessionId": "s-1", "exitCode": 0}], {"usage_file": COPILOT_USAGE}),
}
NAMES = sorted(SUCCESS)


@pytest.fixture(params=NAMES)
def cli(request, fake_bin, tmp_path):
    """(provider, fake CLI, model, success scenario) for each of the five CLIs."""
    name = request.param
    model, stdout, extra = SUCCESS[name]
    return providers.get(name), FakeCLI(fake_bin, tmp_path, name), model, stdout, extra


def _run(provider, model, options, prompt="say pong", timeout=20, **request) -> Result:
    return provider.run(Request(prompt=prompt, model=model, options=options, **request), timeout)


def test_a_successful_run_is_parsed(cli):
    provider, fake, model, stdout, extra = cli
    result = _run(provider, model, fake.script(stdout=stdout, **extra))
    assert result.text == "pong"
    assert result.provider == provider.name and result.model == model
    assert result.session_id == "s-1"
    assert (result.usage.input_tokens, result.usage.cached_tokens, result.usage.output_tokens) == (7, 4, 3)
    assert result.latency_ms > 0
    assert fake.argv.count(model) == 1


def test_a_one_mib_prompt_arrives_whole_on_stdin_not_in_argv(cli):
    provider, fake, model, stdout, extra = cli
    prompt = "x" * (1024 * 1024 - 10) + "END-MARKER"
    _run(provider, model, fake.script(stdout=stdout, **extra), prompt=prompt)
    assert fake.stdin == prompt.encode()
    assert all(len(arg) < 1000 for arg in fake.argv)


def test_shell_metacharacters_quotes_and_non_ascii_pass_byte_for_byte(cli):
    provider, fake, model, stdout, extra = cli
    prompt = ("$(touch /tmp/pwned) `id`; rm -rf ~ | cat > x && echo \"dq\" 'sq' \\n \t "
              "ünï 日本語 🙂 @notes.txt")
    _run(provider, model, fake.script(stdout=stdout, **extra), prompt=prompt)
    assert fake.stdin == prompt.encode("utf-8")
    assert not os.path.exists("/tmp/pwned")


def test_a_cli_that_hangs_is_killed_at_the_timeout(cli):
    provider, fake, model, _, _ = cli
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as info:
        _run(provider, model, fake.script(sleep=600), timeout=1.5)
    assert time.monotonic() - started < 8
    assert info.value.provider == provider.name


def test_a_grandchild_holding_stdout_does_not_outlive_the_timeout(cli):
    provider, fake, model, _, _ = cli
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        _run(provider, model, fake.script(spawn_holder=True, sleep=600), timeout=1.5)
    assert time.monotonic() - started < 8


def test_a_cli_that_never_reads_stdin_still_answers(cli):
    provider, fake, model, stdout, extra = cli
    options = fake.script(stdout=stdout, read_stdin=False, **extra)
    result = _run(provider, model, options, prompt="y" * (2 * 1024 * 1024))
    assert result.text == "pong"


def test_the_child_environment_is_clean(cli, monkeypatch):
    provider, fake, model, stdout, extra = cli
    for name in ("CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_SESSION_ID",
                 "CLAUDE_PLUGIN_ROOT", "CLAUDE_PLUGIN_DATA", "CLAUDE_PROJECT_DIR", "CLAUDE_ENV_FILE"):
        monkeypatch.setenv(name, "1")
    _run(provider, model, fake.script(stdout=stdout, **extra, env={"INJECTED": "yes"}))
    env = fake.env
    assert not {"CLAUDECODE", "CLAUDE_PLUGIN_ROOT", "CLAUDE_PROJECT_DIR"} & set(env)
    assert env["INJECTED"] == "yes"
    assert env["LLM_ROUTER_DEPTH"] == "1"


def test_unparseable_output_is_bad_output(cli):
    provider, fake, model, _, extra = cli
    with pytest.raises(BadOutput):
        _run(provider, model, fake.script(stdout=["Segmentation fault (core dumped) ...", "{oops"],
                                          **extra))


def test_the_run_happens_in_the_requested_directory(cli, tmp_path):
    provider, fake, model, stdout, extra = cli
    work = tmp_path / "work"
    work.mkdir()
    _run(provider, model, fake.script(stdout=stdout, **extra), cwd=str(work))
    assert fake.call["cwd"] == str(work)


def test_extra_args_are_appended(cli):
    provider, fake, model, stdout, extra = cli
    _run(provider, model, fake.script(stdout=stdout, **extra, args=["--extra-flag", "v"]))
    tail = ["--extra-flag", "v", "-"] if provider.name == "codex" else ["--extra-flag", "v"]
    assert fake.argv[-len(tail):] == tail  # codex keeps its stdin marker last


@pytest.mark.parametrize("name", NAMES)
def test_missing_binary_is_not_installed_with_an_npm_hint(name, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    provider = providers.get(name)
    usable, why = provider.available({})
    assert not usable and "npm install -g" in why
    with pytest.raises(NotInstalled) as info:
        _run(provider, "m", {})
    assert info.value.hint.startswith("npm install -g ")
    assert info.value.action == "skip"


@pytest.mark.parametrize("name", NAMES)
def test_available_looks_on_path_at_call_time_and_touches_nothing(name, fake_bin, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("PATH", str(fake_bin.folder))
    provider = providers.get(name)
    assert provider.available({})[0] is False
    FakeCLI(fake_bin, tmp_path, name)
    before = sorted(os.listdir(tmp_path))
    usable, why = provider.available({})
    assert usable and str(fake_bin.folder) in why
    assert sorted(os.listdir(tmp_path)) == before


def test_an_explicit_binary_path_is_used(fake_bin, tmp_path, monkeypatch):
    fake = FakeCLI(fake_bin, tmp_path, "renamed-claude")
    monkeypatch.setenv("PATH", "/nonexistent")
    provider = providers.get("claude")
    options = fake.script(stdout=SUCCESS["claude"][1], binary=str(fake.path))
    assert provider.available(options)[0]
    assert _run(provider, "m", options).text == "pong"
