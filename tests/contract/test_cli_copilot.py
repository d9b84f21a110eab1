"""The real `copilot` through CopilotProvider in BYOK offline mode against the mock
(COPILOT_OFFLINE, COPILOT_PROVIDER_BASE_URL/TYPE/API_KEY), in an isolated COPILOT_HOME.

The API key is long and unique on purpose: copilot masks that value everywhere in its output,
and a short key would corrupt JSON keys that happen to contain it."""

import pytest
from _contract import Contract, assert_arrived_whole, backend_fixture, big_prompt, home_fixture  # noqa: F401

from llm_router.errors import AuthError, RateLimited, ServerError

pytestmark = pytest.mark.contract
MODEL = "mock-model"


@pytest.fixture(scope="module")
def cli(backend, home):
    root, work, env = home
    env = {**env, "COPILOT_HOME": str(root / ".copilot"), "COPILOT_OFFLINE": "true",
           "COPILOT_PROVIDER_BASE_URL": f"{backend.url}/v1", "COPILOT_PROVIDER_TYPE": "openai",
           "COPILOT_PROVIDER_API_KEY": "sk-mock-contract-copilot-5f0c2b7e9a41d3"}
    return Contract("copilot", backend, env, work)


def test_reply_and_usage_from_the_usage_file(cli):
    result = cli.run(MODEL)
    assert result.text == "MOCK-REPLY pong"
    usage = result.usage
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
            usage.reasoning_tokens) == (7, 4, 3, 2)
    assert result.session_id
    sent = cli.backend.posts()[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-mock-contract-copilot-5f0c2b7e9a41d3"


def test_streaming_forwards_the_deltas(cli):
    result = cli.run(MODEL, stream=True)
    assert result.raw["deltas"] == ["MOCK-REPLY ", "pong"]


@pytest.mark.parametrize("model, error", [("err401", AuthError), ("err429", RateLimited),
                                          ("err500", ServerError)])
def test_failures_land_in_their_class_in_seconds(cli, model, error):
    cli.timed_failure(model, error)


def test_retries_are_capped_by_the_provider(cli):
    before = len(cli.backend.posts())
    cli.timed_failure("err500", ServerError)
    assert len(cli.backend.posts()) - before <= 2  # copilot alone would make 6 requests


def test_a_300kb_prompt_arrives_whole(cli):
    prompt = big_prompt()
    cli.run(MODEL, prompt=prompt)
    assert_arrived_whole(cli.backend, prompt)
