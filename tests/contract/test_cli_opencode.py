"""The real `opencode` through OpencodeProvider, pointed at the mock by a custom OpenAI-compatible
provider in OPENCODE_CONFIG_CONTENT, with isolated HOME/XDG folders.

opencode has no retry knob: it retries 429 and 5xx five times, waiting what `retry-after` says
(else 2 s, 4 s, 8 s ...; a 5xx without the header costs about 75 s, bounded only by our
timeout). The mock here sends `retry-after: 0` with its 429 and 500 so the classification is
checked in seconds; the timeout cap itself is covered by the unit tests."""

import json

import pytest
from _contract import Contract, assert_arrived_whole, backend_fixture, big_prompt, home_fixture  # noqa: F401

from llm_router.errors import AuthError, RateLimited, ServerError

pytestmark = pytest.mark.contract
MODELS = ("mock-model", "err401", "err429", "err500")


@pytest.fixture(scope="module")
def cli(backend, home):
    backend.retry_after_on_5xx = True
    root, work, env = home
    config = {"provider": {"mock": {
        "npm": "@ai-sdk/openai-compatible", "name": "Mock",
        "options": {"baseURL": f"{backend.url}/v1", "apiKey": "{env:MOCK_API_KEY}"},
        "models": {name: {"name": name, "cost": {"input": 1.0, "output": 2.0}} for name in MODELS}}}}
    env = {**env, "OPENCODE_CONFIG_CONTENT": json.dumps(config), "OPENCODE_DISABLE_MODELS_FETCH": "1",
           "MOCK_API_KEY": "sk-mock-contract-opencode-0123456789"}
    return Contract("opencode", backend, env, work)


def test_reply_usage_and_cost(cli):
    result = cli.run("mock/mock-model")
    assert result.text == "MOCK-REPLY pong"
    usage = result.usage
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
            usage.reasoning_tokens) == (7, 4, 3, 2)
    assert result.cost_usd and result.cost_usd > 0
    assert result.session_id.startswith("ses_")
    assert cli.backend.posts()[-1].headers["authorization"].startswith("Bearer sk-mock-contract")


def test_streaming_forwards_the_text_part(cli):
    result = cli.run("mock/mock-model", stream=True)
    assert "".join(result.raw["deltas"]).strip() == "MOCK-REPLY pong"


def test_only_one_request_per_call(cli):
    before = len(cli.backend.posts())
    cli.run("mock/mock-model")
    assert len(cli.backend.posts()) == before + 1  # --title: no title-generation call


@pytest.mark.parametrize("model, error", [("err401", AuthError), ("err429", RateLimited),
                                          ("err500", ServerError)])
def test_failures_land_in_their_class_in_seconds(cli, model, error):
    cli.timed_failure(f"mock/{model}", error)


def test_a_300kb_prompt_arrives_whole(cli):
    prompt = big_prompt()
    cli.run("mock/mock-model", prompt=prompt)
    assert_arrived_whole(cli.backend, prompt)
