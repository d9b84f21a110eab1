"""opencode provider: command line, environment, JSON events and failure classes (events shaped
like those recorded from opencode 1.18.33)."""

import pytest
from mocks.fake_cli import FakeCLI

from llm_router import providers
from llm_router.errors import AuthError, BadOutput, BadRequest, RateLimited, ServerError
from llm_router.providers.base import Request


def step(texts, tokens, cost=0.0, session="ses_1"):
    events = [{"type": "step_start", "sessionID": session, "part": {"type": "step-start"}}]
    events += [{"type": "text", "sessionID": session, "part": {"type": "text", "text": t}} for t in texts]
    events.append({"type": "step_finish", "sessionID": session, "part": {
        "type": "step-finish", "reason": "stop", "cost": cost,
        "tokens": {"input": tokens[0], "output": tokens[1], "reasoning": tokens[2],
                   "cache": {"read": tokens[3], "write": tokens[4]}}}})
    return events


def api_error(status, message, headers=None):
    return {"type": "error", "sessionID": "ses_1", "error": {"name": "APIError", "data": {
        "message": message, "statusCode": status, "isRetryable": status >= 429,
        "responseHeaders": headers or {}, "responseBody": f'{{"error": "{message}"}}'}}}


@pytest.fixture
def fake(fake_bin, tmp_path):
    return FakeCLI(fake_bin, tmp_path, "opencode")


def run(options, **request):
    return providers.get("opencode").run(
        Request(prompt="say pong", model="zai/glm-4.7", options=options, **request), 10)


def test_command_line(fake):
    run(fake.script(stdout=step(["pong"], (11, 3, 0, 0, 0)), agent="ask"))
    assert fake.argv == ["run", "--format", "json", "-m", "zai/glm-4.7", "--title", "llm-router",
                         "--agent", "ask"]
    assert fake.env["OPENCODE_DISABLE_AUTOUPDATE"] == "1"


def test_github_token_is_dropped_unless_asked_for(fake, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "a" * 36)
    run(fake.script(stdout=step(["pong"], (1, 1, 0, 0, 0))))
    assert "GITHUB_TOKEN" not in fake.env
    run(fake.script(stdout=step(["pong"], (1, 1, 0, 0, 0)), keep_github_token=True))
    assert fake.env["GITHUB_TOKEN"].startswith("ghp_")


def test_tokens_and_cost_are_summed_over_steps_and_text_is_the_last_step(fake):
    events = step(["let me look"], (100, 10, 5, 20, 3), cost=0.001)
    events += [{"type": "tool_use", "sessionID": "ses_1", "part": {"tool": "read"}}]
    events += step(["the ", "answer"], (50, 4, 0, 30, 0), cost=0.0005)
    result = run(fake.script(stdout=events))
    assert result.text == "the answer"
    assert result.cost_usd == pytest.approx(0.0015)
    usage = result.usage
    # opencode reports output without reasoning; ours includes it
    assert (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens,
            usage.cached_tokens, usage.cache_write_tokens) == (150, 19, 5, 50, 3)
    assert result.session_id == "ses_1"
    assert result.raw["steps"] == 2


def test_streaming_forwards_each_text_part(fake):
    seen = []
    run(fake.script(stdout=step(["one ", "two"], (1, 1, 0, 0, 0))), stream=True, on_text=seen.append)
    assert seen == ["one ", "two"]


@pytest.mark.parametrize("status, error", [(401, AuthError), (403, AuthError), (429, RateLimited),
                                           (500, ServerError), (503, ServerError), (400, BadRequest)])
def test_error_event_status_decides_the_class(fake, status, error):
    with pytest.raises(error) as info:
        run(fake.script(stdout=[api_error(status, "boom (mock)")], exit=1))
    assert "boom (mock)" in info.value.message


def test_retry_after_is_read_from_the_response_headers(fake):
    with pytest.raises(RateLimited) as info:
        run(fake.script(stdout=[api_error(429, "slow down", {"retry-after": "7"})], exit=1))
    assert info.value.retry_after == 7.0


def test_unknown_error_without_status_is_a_retryable_failure_with_a_hint(fake):
    event = {"type": "error", "error": {"name": "UnknownError",
                                        "data": {"message": "Unexpected server error"}}}
    with pytest.raises(ServerError) as info:
        run(fake.script(stdout=[event], exit=1))
    assert "--print-logs" in info.value.message


def test_provider_auth_error_is_auth(fake):
    event = {"type": "error", "error": {"name": "ProviderAuthError",
                                        "data": {"message": "no key for zai"}}}
    with pytest.raises(AuthError):
        run(fake.script(stdout=[event], exit=1))


def test_a_crash_without_events_reports_stderr(fake):
    with pytest.raises(ServerError) as info:
        run(fake.script(stderr="panic: connection reset by peer\n", exit=1))
    assert "connection reset" in info.value.message


def test_success_without_text_is_bad_output(fake):
    with pytest.raises(BadOutput):
        run(fake.script(stdout=[{"type": "step_start", "part": {}}]))
