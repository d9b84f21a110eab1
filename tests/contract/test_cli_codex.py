"""The real `codex` through CodexProvider, pointed at the mock's /v1/responses by the custom
provider the provider itself defines from options base_url/api_key_env (with
request_max_retries/stream_max_retries capped), in an isolated CODEX_HOME."""

import pytest
from _contract import (  # noqa: F401
    Contract,
    assert_arrived_whole,
    assert_thread_resumes,
    attempt_write,
    backend_fixture,
    big_prompt,
    home_fixture,
    isolated_home,
    offered_tools,
    tool_result,
)

from llm_router.errors import AuthError, RateLimited, ServerError

pytestmark = pytest.mark.contract
MODEL = "mock-model"


@pytest.fixture(scope="module")
def cli(backend, home):
    root, work, env = home
    codex_home = root / ".codex"
    codex_home.mkdir()  # codex refuses a CODEX_HOME that does not exist
    env = {**env, "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "sk-mock-contract-codex-0123456789"}
    return Contract("codex", backend, env, work, base_url=f"{backend.url}/v1",
                    api_key_env="MOCK_API_KEY")


def test_reply_and_usage(cli):
    result = cli.run(MODEL)
    assert result.text == "MOCK-REPLY pong"
    usage = result.usage
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
            usage.reasoning_tokens) == (7, 4, 3, 2)
    assert result.session_id
    sent = cli.backend.posts()[-1]
    assert sent.path == "/v1/responses"
    assert sent.headers["authorization"] == "Bearer sk-mock-contract-codex-0123456789"


def test_streaming_forwards_the_message(cli):
    result = cli.run(MODEL, stream=True)
    assert result.raw["deltas"] == ["MOCK-REPLY pong"]


@pytest.mark.parametrize("model, error", [("err401", AuthError), ("err429", RateLimited),
                                          ("err500", ServerError)])
def test_failures_land_in_their_class_in_seconds(cli, model, error):
    cli.timed_failure(model, error)


def test_retries_are_capped_by_the_provider(cli):
    before = len(cli.backend.posts())
    cli.timed_failure("err500", ServerError)
    assert len(cli.backend.posts()) - before <= 2  # max_retries=1 (codex's default: 6 requests)


def test_a_300kb_prompt_arrives_whole(cli):
    prompt = big_prompt()
    cli.run(MODEL, prompt=prompt)
    assert_arrived_whole(cli.backend, prompt)


# ---- scope (issue 10): read-only is --sandbox read-only --------------------------------------

def test_read_only_flags_are_accepted(cli):
    assert cli.run(MODEL, scope="read-only", sandbox="danger-full-access").text == "MOCK-REPLY pong"


def test_read_only_commands_cannot_write(cli):
    target = cli.cwd / "codex-ro.txt"
    assert not attempt_write(cli, MODEL, "read-only", "exec_command",
                             {"cmd": f"echo pwned > {target}"}, target,
                             sandbox="danger-full-access"), tool_result(cli)
    assert "Read-only file system" in tool_result(cli)


def test_write_scope_with_the_workspace_sandbox_writes(cli):
    target = cli.cwd / "codex-rw.txt"
    assert attempt_write(cli, MODEL, "write", "exec_command", {"cmd": f"echo ok > {target}"},
                         target, sandbox="workspace-write"), tool_result(cli)


def test_a_resumed_read_only_call_overrides_a_writable_user_config(backend, tmp_path):
    """`exec resume` takes no --sandbox: read-only goes in as -c sandbox_mode, and must beat
    the user's own config.toml default (workspace-write here; write scope keeps that one)."""
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text('sandbox_mode = "workspace-write"\n')
    env = {**isolated_home(tmp_path / "home"), "CODEX_HOME": str(codex_home),
           "MOCK_API_KEY": "sk-mock-contract-codex-0123456789"}
    work = tmp_path / "work"
    work.mkdir()
    cli = Contract("codex", backend, env, work, base_url=f"{backend.url}/v1",
                   api_key_env="MOCK_API_KEY")
    session = cli.run(MODEL, persist_session=True).session_id
    target = work / "codex-resumed.txt"
    shell = {"cmd": f"echo pwned > {target}"}
    assert not attempt_write(cli, MODEL, "read-only", "exec_command", shell, target,
                             resume=session), tool_result(cli)
    assert attempt_write(cli, MODEL, "write", "exec_command", shell, target,
                         resume=session), tool_result(cli)


# ---- threads (issue 16): `--continue` resumes this CLI's own session -------------------------

def test_a_thread_resumes_its_own_session(cli):
    assert_thread_resumes(cli, MODEL)
