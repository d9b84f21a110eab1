"""gemini provider: command line, json and stream-json parsing, exit-code classes, and the
stderr watch that stops gemini's own retry loop (outputs shaped like gemini-cli 0.61.0's)."""

import json
import time

import pytest
from mocks.fake_cli import FakeCLI

from llm_router import providers
from llm_router.errors import (AuthError, BadOutput, BadRequest, NotConfigured, RateLimited,
                               ServerError)
from llm_router.providers.base import Request

OK = {"session_id": "5fdf", "response": "MOCK-REPLY pong", "stats": {"models": {
    "gemini-2.5-flash": {"tokens": {"input": 31, "prompt": 31, "candidates": 5, "total": 36,
                                    "cached": 0, "thoughts": 4, "tool": 0}},
    "gemini-2.5-flash-lite": {"tokens": {"input": 6, "prompt": 10, "candidates": 2, "cached": 4,
                                         "thoughts": 0}}}}}
STREAM = [
    {"type": "init", "session_id": "53a0", "model": "gemini-2.5-flash"},
    {"type": "message", "role": "user", "content": "say pong"},
    {"type": "message", "role": "assistant", "content": "MOCK-REPLY ", "delta": True},
    {"type": "message", "role": "assistant", "content": "pong", "delta": True},
    {"type": "result", "status": "success", "stats": {"total_tokens": 36, "input_tokens": 31,
                                                      "output_tokens": 5, "cached": 3, "input": 28}},
]
TRACE = "    at async retryWithBackoff (file:///gemini/bundle/chunk.js:1:1)\n"


def stderr_error(status, message):
    body = json.dumps({"error": {"code": status, "message": message}})
    return (f"Error when talking to Gemini API _ApiError: {body}\n{TRACE}" + "}\n"
            + json.dumps({"session_id": "x", "error": {"type": "Error", "message": body,
                                                        "code": status}}, indent=2) + "\n")


@pytest.fixture
def fake(fake_bin, tmp_path):
    return FakeCLI(fake_bin, tmp_path, "gemini")


def run(options, timeout=10, **request):
    return providers.get("gemini").run(
        Request(prompt="say pong", model="gemini-2.5-flash", options=options, **request), timeout)


def test_command_line(fake):
    run(fake.script(stdout=json.dumps(OK, indent=2).splitlines()))
    assert fake.argv == ["--skip-trust", "-m", "gemini-2.5-flash", "-o", "json"]


def test_json_usage_is_summed_over_every_model_in_stats(fake):
    result = run(fake.script(stdout=json.dumps(OK, indent=2).splitlines()))
    assert result.text == "MOCK-REPLY pong"
    assert result.session_id == "5fdf"
    usage = result.usage
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
            usage.reasoning_tokens) == (37, 4, 11, 4)
    assert result.cost_usd is None


def test_stream_json_forwards_deltas_and_reads_result_stats(fake):
    seen = []
    result = run(fake.script(stdout=STREAM), stream=True, on_text=seen.append)
    assert fake.argv[-2:] == ["-o", "stream-json"]
    assert seen == ["MOCK-REPLY ", "pong"]
    assert result.text == "MOCK-REPLY pong"
    assert (result.usage.input_tokens, result.usage.cached_tokens, result.usage.output_tokens) == (28, 3, 5)
    assert result.session_id == "53a0"


@pytest.mark.parametrize("status, exit_code, error", [
    (401, 145, AuthError), (403, 147, AuthError), (429, 173, RateLimited), (500, 244, ServerError),
    (503, 247, ServerError), (400, 144, BadRequest)])
def test_api_errors_exit_with_the_status_and_print_json_on_stderr(fake, status, exit_code, error):
    with pytest.raises(error) as info:
        run(fake.script(stderr=stderr_error(status, "mock says no"), exit=exit_code))
    assert info.value.message == "gemini: mock says no"


def test_the_exit_code_alone_is_enough(fake):
    with pytest.raises(RateLimited):
        run(fake.script(stderr="something unexpected\n", exit=173))


@pytest.mark.parametrize("exit_code, error", [(41, AuthError), (42, BadRequest),
                                               (52, NotConfigured), (55, NotConfigured)])
def test_gemini_fatal_exit_codes(fake, exit_code, error):
    with pytest.raises(error):
        run(fake.script(stderr="Please set an Auth method in your settings.json\n", exit=exit_code))


def test_stream_json_error_result(fake):
    result_line = {"type": "result", "status": "error", "error": {
        "type": "unknown", "message": '[API Error: {"error":{"code":401,"message":"bad key"}}]'}}
    with pytest.raises(AuthError) as info:
        run(fake.script(stdout=[STREAM[0], result_line], exit=145), stream=True)
    assert info.value.message == "gemini: bad key"


def test_its_retry_loop_is_stopped_at_the_first_retry_line(fake):
    line = ("Attempt 1 failed with status 429. Retrying with backoff... _ApiError: "
            '{"error":{"message":"Rate limit exceeded"}}\n')
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        run(fake.script(stderr=line + TRACE, sleep=60), timeout=30)
    assert time.monotonic() - started < 5
    assert "attempt 1" in info.value.message


def test_max_retries_lets_gemini_retry_that_many_times(fake):
    lines = "Attempt 1 failed with 5xx error. Retrying with backoff...\n" + TRACE
    options = fake.script(stderr=lines, sleep=2, exit=244, max_retries=1)
    started = time.monotonic()
    with pytest.raises(ServerError) as info:
        run(options)
    assert time.monotonic() - started >= 1.9  # not stopped at attempt 1
    assert "stopped" not in info.value.message


def test_empty_output_with_exit_zero_is_bad_output(fake):
    with pytest.raises(BadOutput):
        run(fake.script(stdout=["not json at all"]))
