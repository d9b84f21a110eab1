"""The real `claude` through ClaudeProvider, pointed at the mock with ANTHROPIC_BASE_URL and an
isolated CLAUDE_CONFIG_DIR/HOME."""

import pytest
from _contract import Contract, assert_arrived_whole, backend_fixture, big_prompt, home_fixture  # noqa: F401

from llm_router.errors import AuthError, RateLimited, ServerError

pytestmark = pytest.mark.contract
MODEL = "claude-sonnet-4-5"


@pytest.fixture(scope="module")
def cli(backend, home):
    root, work, env = home
    env = {**env, "CLAUDE_CONFIG_DIR": str(root / ".claude"), "ANTHROPIC_BASE_URL": backend.url,
           "ANTHROPIC_API_KEY": "sk-ant-contract-test-key-000111222333"}
    return Contract("claude", backend, env, work)


def test_reply_usage_and_cost(cli):
    result = cli.run(MODEL)
    assert result.text == "MOCK-REPLY pong"
    assert (result.usage.input_tokens, result.usage.cached_tokens, result.usage.output_tokens) == (11, 4, 3)
    assert result.cost_usd and result.cost_usd > 0
    assert result.session_id
    sent = cli.backend.posts()[-1]
    assert sent.path == "/v1/messages" and sent.headers["x-api-key"].startswith("sk-ant-contract")


def test_streaming_forwards_the_deltas(cli):
    result = cli.run(MODEL, stream=True)
    assert result.raw["deltas"] == ["MOCK-REPLY ", "pong"]
    assert result.text == "MOCK-REPLY pong"


def test_only_one_request_per_call(cli):
    before = len(cli.backend.posts())
    cli.run(MODEL)
    assert len(cli.backend.posts()) == before + 1  # no title-generation side call


@pytest.mark.parametrize("model, error", [("err401", AuthError), ("err429", RateLimited),
                                          ("err500", ServerError)])
def test_failures_land_in_their_class_in_seconds(cli, model, error):
    cli.timed_failure(model, error)


def test_a_300kb_prompt_arrives_whole(cli):
    prompt = big_prompt()
    cli.run(MODEL, prompt=prompt)
    assert_arrived_whole(cli.backend, prompt)
