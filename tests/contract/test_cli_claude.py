"""The real `claude` through ClaudeProvider, pointed at the mock with ANTHROPIC_BASE_URL and an
isolated CLAUDE_CONFIG_DIR/HOME."""

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


# ---- scope (issue 10): read-only is --permission-mode plan with only the reading tools --------

def test_read_only_flags_are_accepted_and_leave_only_reading_tools(cli):
    result = cli.run(MODEL, scope="read-only", tools="default")
    assert result.text == "MOCK-REPLY pong"
    assert offered_tools(cli.backend.posts()[-1]) == {"Read", "Grep", "Glob"}


@pytest.mark.parametrize("tool, arguments", [
    ("Write", {"file_path": "{target}", "content": "pwned"}),
    ("Bash", {"command": "echo pwned > {target}", "description": "write a file"}),
])
def test_read_only_cannot_write_even_with_every_tool_configured(cli, tool, arguments):
    target = cli.cwd / f"claude-ro-{tool}.txt"
    args = {key: value.format(target=target) for key, value in arguments.items()}
    assert not attempt_write(cli, MODEL, "read-only", tool, args, target, tools="default",
                             permission_mode="bypassPermissions"), tool_result(cli)


def test_write_scope_still_writes(cli):
    target = cli.cwd / "claude-rw.txt"
    assert attempt_write(cli, MODEL, "write", "Write", {"file_path": str(target), "content": "ok"},
                         target, tools="default", permission_mode="acceptEdits"), tool_result(cli)


# ---- threads (issue 16): `--continue` resumes this CLI's own session -------------------------

def test_a_thread_resumes_its_own_session(cli):
    assert_thread_resumes(cli, MODEL)
