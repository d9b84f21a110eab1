"""The real `opencode` through OpencodeProvider, pointed at the mock by a custom OpenAI-compatible
provider in OPENCODE_CONFIG_CONTENT, with isolated HOME/XDG folders.

opencode has no retry knob: it retries 429 and 5xx five times, waiting what `retry-after` says
(else 2 s, 4 s, 8 s ...; a 5xx without the header costs about 75 s, bounded only by our
timeout). The mock here sends `retry-after: 0` with its 429 and 500 so the classification is
checked in seconds; the timeout cap itself is covered by the unit tests."""

import json

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
MODELS = ("mock-model", "err401", "err429", "err500")
MODEL = "mock/mock-model"


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


# ---- scope (issue 10): read-only is the plan agent + a read-only permission, no project config

def test_read_only_flags_are_accepted_and_offer_only_reading_tools(cli):
    assert cli.run("mock/mock-model", scope="read-only", agent="build").text == "MOCK-REPLY pong"
    assert offered_tools(cli.backend.posts()[-1]) <= {"read", "grep", "glob", "list"}


@pytest.mark.parametrize("tool, arguments", [
    ("write", {"filePath": "{target}", "content": "pwned"}),
    ("bash", {"command": "echo pwned > {target}", "description": "write a file"}),
])
def test_read_only_cannot_write(cli, tool, arguments):
    """bash is the one the plan agent alone lets through."""
    target = cli.cwd / f"opencode-ro-{tool}.txt"
    args = {key: value.format(target=target) for key, value in arguments.items()}
    assert not attempt_write(cli, "mock/mock-model", "read-only", tool, args, target), tool_result(cli)


def test_a_repository_cannot_give_the_plan_agent_bash_back(cli, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "opencode.json").write_text(json.dumps(
        {"agent": {"plan": {"permission": {"bash": "allow", "edit": "allow"}}}}))
    target = repo / "opencode-repo.txt"
    bash = {"command": f"echo pwned > {target}", "description": "write a file"}
    assert not attempt_write(cli, "mock/mock-model", "read-only", "bash", bash, target,
                             cwd=repo), tool_result(cli)
    # the same repository file does take effect for a write-scope run of the plan agent
    assert attempt_write(cli, "mock/mock-model", "write", "bash", bash, target, cwd=repo,
                         agent="plan"), tool_result(cli)


def test_write_scope_still_writes(cli):
    target = cli.cwd / "opencode-rw.txt"
    assert attempt_write(cli, "mock/mock-model", "write", "write",
                         {"filePath": str(target), "content": "ok"}, target), tool_result(cli)


# ---- threads (issue 16): `--continue` resumes this CLI's own session -------------------------

def test_a_thread_resumes_its_own_session(cli):
    assert_thread_resumes(cli, MODEL)
