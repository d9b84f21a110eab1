"""claude provider: command line, environment, result parsing and failure classes (outputs
shaped like the ones recorded from claude 2.1.x against a mock)."""

import time

import pytest
from mocks.fake_cli import FakeCLI

from llm_router import providers
from llm_router.errors import AuthError, BadOutput, BadRequest, RateLimited, ServerError
from llm_router.providers.base import Request

OK = {"type": "result", "subtype": "success", "is_error": False, "api_error_status": None,
      "result": "MOCK-REPLY pong", "session_id": "0ee4", "total_cost_usd": 0.000213,
      "num_turns": 1, "stop_reason": "end_turn",
      "usage": {"input_tokens": 41, "output_tokens": 6},
      "modelUsage": {
          "claude-sonnet-4-5": {"inputTokens": 41, "outputTokens": 6, "cacheReadInputTokens": 5,
                                "cacheCreationInputTokens": 2, "thinkingTokens": 1, "costUSD": 0.0002},
          "claude-haiku-4-5": {"inputTokens": 10, "outputTokens": 2, "costUSD": 0.000013}}}


def _error(status, text):
    return {**OK, "is_error": True, "api_error_status": status, "result": text, "modelUsage": {},
            "usage": {"input_tokens": 0, "output_tokens": 0}, "total_cost_usd": 0}


@pytest.fixture
def fake(fake_bin, tmp_path):
    return FakeCLI(fake_bin, tmp_path, "claude")


def run(options, **request):
    request.setdefault("prompt", "say pong")
    return providers.get("claude").run(Request(model="claude-sonnet-4-5", options=options, **request), 10)


def test_command_line_and_retry_cap(fake):
    run(fake.script(stdout=[OK]))
    assert fake.argv == ["-p", "--model", "claude-sonnet-4-5", "--output-format", "json",
                         "--tools", "", "--no-session-persistence"]
    assert fake.env["CLAUDE_CODE_MAX_RETRIES"] == "1"
    assert fake.env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"


def test_max_retries_option_sets_the_env_cap(fake):
    run(fake.script(stdout=[OK], max_retries=0))
    assert fake.env["CLAUDE_CODE_MAX_RETRIES"] == "0"


def test_usage_and_cost_come_from_model_usage_summed_over_models(fake):
    result = run(fake.script(stdout=[OK]))
    assert result.text == "MOCK-REPLY pong"
    assert result.cost_usd == pytest.approx(0.000213)
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens,
            usage.cache_write_tokens, usage.reasoning_tokens) == (51, 8, 5, 2, 1)
    assert result.raw["models"] == ["claude-haiku-4-5", "claude-sonnet-4-5"]


def test_system_prompt_goes_through_a_file_not_argv(fake):
    run(fake.script(stdout=[OK]), system="be terse; $(id) " * 100)
    flag = fake.argv.index("--append-system-prompt-file")
    assert fake.argv[flag + 1].endswith("system.txt")
    assert fake.stdin == b"say pong"  # the system text is not glued onto the prompt


def test_streaming_forwards_text_deltas_as_they_arrive(fake):
    seen = []
    delta = {"type": "stream_event", "event": {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": "MOCK "}}}
    delta2 = {"type": "stream_event", "event": {"type": "content_block_delta", "index": 0,
                                                "delta": {"type": "text_delta", "text": "pong"}}}
    started = time.monotonic()
    options = fake.script(stdout=[{"type": "system", "subtype": "init"}, delta, delta2, OK],
                          line_delay=0.4)
    result = run(options, stream=True, on_text=lambda text: seen.append((text, time.monotonic())))
    assert [text for text, _ in seen] == ["MOCK ", "pong"]
    assert seen[0][1] - started < time.monotonic() - started - 0.5  # long before the end
    assert fake.argv[fake.argv.index("--output-format") + 1:][:3] == [
        "stream-json", "--verbose", "--include-partial-messages"]
    assert result.text == "MOCK-REPLY pong"


def test_resume_drops_no_session_persistence(fake):
    run(fake.script(stdout=[OK]), resume_session_id="abc")
    assert "--no-session-persistence" not in fake.argv
    assert fake.argv[fake.argv.index("--resume") + 1] == "abc"


@pytest.mark.parametrize("status, text, error", [
    (401, "Failed to authenticate. API Error: 401 Incorrect API key provided", AuthError),
    (403, "API Error: 403 forbidden", AuthError),
    (429, "API Error: Request rejected (429) · Rate limit exceeded", RateLimited),
    (500, "API Error: 500 internal. This is a server-side issue", ServerError),
    (529, "API Error: 529 overloaded", ServerError),
    (400, "API Error: 400 model: invalid", BadRequest),
    (None, "Not logged in · Please run /login", AuthError),
])
def test_errors_come_from_is_error_and_api_error_status(fake, status, text, error):
    with pytest.raises(error) as info:
        run(fake.script(stdout=[_error(status, text)], exit=1))
    assert info.value.provider == "claude"
    assert text.split(" ")[0] in info.value.message


def test_subtype_success_does_not_hide_an_error(fake):
    assert _error(500, "x")["subtype"] == "success"
    with pytest.raises(ServerError):
        run(fake.script(stdout=[_error(500, "API Error: 500")], exit=1))


def test_no_result_and_a_failing_exit_uses_stderr(fake):
    with pytest.raises(AuthError):
        run(fake.script(stderr="Error: Invalid API key · Please run /login\n", exit=1))


def test_exit_zero_without_result_is_bad_output(fake):
    with pytest.raises(BadOutput):
        run(fake.script(stdout=["hello there"]))
