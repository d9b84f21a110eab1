"""The real `copilot` through CopilotProvider in BYOK offline mode against the mock
(COPILOT_OFFLINE, COPILOT_PROVIDER_BASE_URL/TYPE/API_KEY), in an isolated COPILOT_HOME.

The API key is long and unique on purpose: copilot masks that value everywhere in its output,
and a short key would corrupt JSON keys that happen to contain it."""

import pytest
from _contract import (  # noqa: F401
    Contract,
    assert_arrived_whole,
    assert_thread_resumes,
    attempt_write,
    backend_fixture,
    big_prompt,
    home_fixture,
    offered_tools,
    tool_result,
)

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


# ---- scope (issue 10): read-only offers only view/grep/glob, without --allow-all-tools --------

def test_read_only_flags_are_accepted_and_offer_only_reading_tools(cli):
    assert cli.run(MODEL, scope="read-only").text == "MOCK-REPLY pong"
    assert offered_tools(cli.backend.posts()[-1]) == {"view", "grep", "glob"}


def test_read_only_can_still_read_without_a_permission_prompt(cli):
    source = cli.cwd / "copilot-source.txt"
    source.write_text("READABLE-7c1e")
    cli.backend.script_tool_call("view", {"path": str(source)})
    assert cli.run(MODEL, scope="read-only").text == "MOCK-REPLY pong"
    assert "READABLE-7c1e" in tool_result(cli)


@pytest.mark.parametrize("tool, arguments", [
    ("create", {"path": "{target}", "file_text": "pwned"}),
    ("bash", {"command": "echo pwned > {target}", "description": "write a file"}),
])
def test_read_only_cannot_write(cli, tool, arguments):
    target = cli.cwd / f"copilot-ro-{tool}.txt"
    args = {key: value.format(target=target) for key, value in arguments.items()}
    assert not attempt_write(cli, MODEL, "read-only", tool, args, target), tool_result(cli)


def test_write_scope_still_writes(cli):
    target = cli.cwd / "copilot-rw.txt"
    assert attempt_write(cli, MODEL, "write", "create", {"path": str(target), "file_text": "ok"},
                         target), tool_result(cli)


# ---- threads (issue 16): `--continue` resumes this CLI's own session -------------------------

def test_a_thread_resumes_its_own_session(cli):
    assert_thread_resumes(cli, MODEL)
