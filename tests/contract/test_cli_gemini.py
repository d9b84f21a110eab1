"""The real `gemini` through GeminiProvider, pointed at the mock with GOOGLE_GEMINI_BASE_URL.

The isolated GEMINI_CLI_HOME holds a settings.json pinning `security.auth.selectedType` to
"gemini-api-key": with a base URL set, gemini 0.61 otherwise picks the "gateway" auth type and
refuses to run headless (exit 41, gemini-cli#27550). The retry cap is not in that settings file:
the provider stops gemini at its first "Attempt N failed" line, which this checks for 429/500."""

import json

import pytest
from _contract import Contract, assert_arrived_whole, backend_fixture, big_prompt, home_fixture  # noqa: F401

from llm_router.errors import AuthError, RateLimited, ServerError

pytestmark = pytest.mark.contract
MODEL = "mock-model"


@pytest.fixture(scope="module")
def cli(backend, home):
    root, work, env = home
    gemini_home = root / "gemini-home"
    (gemini_home / ".gemini").mkdir(parents=True)
    (gemini_home / ".gemini" / "settings.json").write_text(
        json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    env = {**env, "GEMINI_CLI_HOME": str(gemini_home), "GOOGLE_GEMINI_BASE_URL": backend.url,
           "GEMINI_API_KEY": "AIza-contract-test-key-0123456789abcdef"}
    return Contract("gemini", backend, env, work)


def test_reply_and_usage(cli):
    result = cli.run(MODEL)
    assert result.text == "MOCK-REPLY pong"
    usage = result.usage
    # the mock's Gemini usage: 11 prompt (4 cached), 3 candidates + 2 thoughts
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
            usage.reasoning_tokens) == (7, 4, 5, 2)
    assert result.session_id
    sent = [r for r in cli.backend.posts() if ":streamGenerateContent" in r.path][-1]
    assert sent.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert sent.headers["x-goog-api-key"].startswith("AIza-contract")


def test_streaming_forwards_the_deltas(cli):
    result = cli.run(MODEL, stream=True)
    assert result.raw["deltas"] == ["MOCK-REPLY ", "pong"]
    assert result.text == "MOCK-REPLY pong"
    assert (result.usage.input_tokens, result.usage.cached_tokens) == (7, 4)


@pytest.mark.parametrize("model, error", [("err401", AuthError), ("err429", RateLimited),
                                          ("err500", ServerError)])
def test_failures_land_in_their_class_in_seconds(cli, model, error):
    cli.timed_failure(model, error)


def test_a_300kb_prompt_arrives_whole(cli):
    prompt = big_prompt()
    cli.run(MODEL, prompt=prompt)
    assert_arrived_whole(cli.backend, prompt)
