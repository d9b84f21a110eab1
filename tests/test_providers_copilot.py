"""copilot provider: command line (no -p), usage file, JSON events, failure classes, and
stopping copilot's retry loop at model.call_failure (events shaped like copilot 1.0.102's)."""

import time

import pytest
from mocks.fake_cli import FakeCLI

from llm_router import providers
from llm_router.errors import AuthError, BadOutput, RateLimited, ServerError
from llm_router.providers.base import Request

USAGE = {"totalPremiumRequestCost": 1, "modelMetrics": {
    "gpt-5.2": {"usage": {"inputTokens": 15, "outputTokens": 3, "cacheReadTokens": 4,
                          "cacheWriteTokens": 1, "reasoningTokens": 2}},
    "gpt-5-mini": {"usage": {"inputTokens": 5, "outputTokens": 1}}}}
OK = [
    {"type": "user.message", "data": {"content": "say pong"}},
    {"type": "assistant.message_delta", "data": {"deltaContent": "MOCK-REPLY "}},
    {"type": "assistant.message_delta", "data": {"deltaContent": "pong"}},
    {"type": "assistant.message", "data": {"content": "MOCK-REPLY pong", "toolRequests": []}},
    {"type": "assistant.idle", "data": {}},
    {"type": "result", "sessionId": "7dde", "exitCode": 0, "usage": {"premiumRequests": 1}},
]


def failure(status, attempt, message="mock failure"):
    return {"type": "model.call_failure", "data": {"statusCode": status, "retryAttempt": attempt,
                                                   "errorMessage": f'{{"message":"{message}"}}'}}


def session_error(kind, status, message):
    return [{"type": "session.error", "data": {"errorType": kind, "statusCode": status,
                                               "message": message}},
            {"type": "result", "sessionId": "7dde", "exitCode": 1}]


@pytest.fixture
def fake(fake_bin, tmp_path):
    return FakeCLI(fake_bin, tmp_path, "copilot")


def run(options, timeout=10, **request):
    return providers.get("copilot").run(
        Request(prompt="say pong", model="gpt-5.2", options=options, **request), timeout)


def test_command_line_has_no_dash_p_and_a_usage_file(fake):
    run(fake.script(stdout=OK, usage_file=USAGE))
    argv = fake.argv
    assert "-p" not in argv and "--prompt" not in argv
    assert argv[:8] == ["--model", "gpt-5.2", "--allow-all-tools", "--no-ask-user",
                        "--output-format", "json", "--no-auto-update", "--usage-output-file"]
    assert argv[8].endswith("usage.json")
    assert fake.stdin == b"say pong"


def test_usage_comes_from_the_usage_file_with_cache_split_out(fake):
    result = run(fake.script(stdout=OK, usage_file=USAGE))
    usage = result.usage
    assert (usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens,
            usage.output_tokens, usage.reasoning_tokens) == (15, 4, 1, 4, 2)
    assert result.cost_usd is None and result.raw["premium_requests"] == 1
    assert result.session_id == "7dde"
    assert result.text == "MOCK-REPLY pong"


def test_a_missing_usage_file_is_zero_usage_not_a_failure(fake):
    assert run(fake.script(stdout=OK)).usage.input_tokens == 0


def test_streaming_forwards_message_deltas(fake):
    seen = []
    run(fake.script(stdout=OK, usage_file=USAGE), stream=True, on_text=seen.append)
    assert seen == ["MOCK-REPLY ", "pong"]


def test_options_become_flags(fake):
    run(fake.script(stdout=OK, excluded_tools=["bash", "edit"], reasoning_effort="high"))
    assert "--excluded-tools=bash,edit" in fake.argv
    assert fake.argv[fake.argv.index("--reasoning-effort") + 1] == "high"


@pytest.mark.parametrize("kind, status, error", [
    ("authentication", 401, AuthError), ("rate_limit", 429, RateLimited), ("query", 500, ServerError),
    ("authentication", None, AuthError), ("rate_limit", None, RateLimited)])
def test_session_error_decides_the_class(fake, kind, status, error):
    with pytest.raises(error):
        run(fake.script(stdout=session_error(kind, status, "Failed to get response"), exit=1))


def test_no_credentials_at_all(fake):
    stderr = "Error: No authentication information found.\n\nCopilot can be authenticated with...\n"
    with pytest.raises(AuthError):
        run(fake.script(stderr=stderr, exit=1))


def test_its_retry_loop_is_stopped_at_max_retries(fake):
    lines = [failure(429, 0), {"type": "assistant.turn_retry", "data": {"reason": "rate_limit"}},
             failure(429, 1, "Rate limit exceeded (mock)")]
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        run(fake.script(stdout=lines, sleep=60), timeout=30)
    assert time.monotonic() - started < 5
    assert "Rate limit exceeded (mock)" in info.value.message


def test_max_retries_zero_stops_at_the_first_failure(fake):
    with pytest.raises(AuthError):
        run(fake.script(stdout=[failure(401, 0)], sleep=60, max_retries=0), timeout=30)


def test_exit_zero_without_a_message_is_bad_output(fake):
    with pytest.raises(BadOutput):
        run(fake.script(stdout=[OK[-1]]))
