"""The real `gemini` through GeminiProvider, pointed at the mock with GOOGLE_GEMINI_BASE_URL.

The isolated GEMINI_CLI_HOME holds a settings.json pinning `security.auth.selectedType` to
"gemini-api-key": with a base URL set, gemini 0.61 otherwise picks the "gateway" auth type and
refuses to run headless (exit 41, gemini-cli#27550). The retry cap is not in that settings file:
the provider stops gemini at its first "Attempt N failed" line, which this checks for 429/500."""

import json
import time

import pytest
from _contract import (  # noqa: F401
    Contract,
    ERROR_BUDGET_S,
    assert_arrived_whole,
    assert_thread_resumes,
    attempt_write,
    backend_fixture,
    big_prompt,
    home_fixture,
    offered_tools,
    tool_result,
)

from llm_router.errors import AuthError, NotConfigured, RateLimited, ServerError

pytestmark = pytest.mark.contract
MODEL = "mock-model"


@pytest.fixture(scope="module")
def cli(backend, home):
    root, work, env = home
    gemini_home = root / "gemini-home"
    (gemini_home / ".gemini").mkdir(parents=True)
    (gemini_home / ".gemini" / "settings.json").write_text(
        json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    # The user trusted the work folder in gemini itself: read-only runs never pass --skip-trust.
    (gemini_home / ".gemini" / "trustedFolders.json").write_text(
        json.dumps({str(work): "TRUST_FOLDER"}))
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


# ---- scope (issue 10): read-only is plan mode + an admin policy, and never --skip-trust ------

def test_read_only_flags_are_accepted_and_offer_only_reading_tools(cli):
    assert cli.run(MODEL, scope="read-only", approval_mode="yolo").text == "MOCK-REPLY pong"
    sent = [r for r in cli.backend.posts() if r.json and r.json.get("tools")][-1]
    assert offered_tools(sent) <= {"read_file", "read_many_files", "list_directory", "glob",
                                   "grep_search"}


def test_read_only_cannot_write(cli):
    target = cli.cwd / "gemini-ro.txt"
    assert not attempt_write(cli, MODEL, "read-only", "write_file",
                             {"file_path": str(target), "content": "pwned"}, target), tool_result(cli)


def test_read_only_cannot_leave_plan_mode_and_then_write(cli):
    """Plan mode alone fails this: headless gemini approves exit_plan_mode and turns to YOLO."""
    target = cli.cwd / "gemini-ro-escape.txt"
    cli.backend.script_tool_call("exit_plan_mode", {"plan_filename": "plan.md"})
    assert not attempt_write(cli, MODEL, "read-only", "write_file",
                             {"file_path": str(target), "content": "pwned"}, target), tool_result(cli)


def test_write_scope_with_auto_edit_writes(cli):
    target = cli.cwd / "gemini-rw.txt"
    assert attempt_write(cli, MODEL, "write", "write_file", {"file_path": str(target), "content": "ok"},
                         target, approval_mode="auto_edit"), tool_result(cli)


def test_read_only_in_an_untrusted_folder_is_refused_in_seconds(cli, tmp_path):
    started = time.monotonic()
    with pytest.raises(NotConfigured, match="never passes --skip-trust"):
        cli.run(MODEL, scope="read-only", cwd=tmp_path)
    assert time.monotonic() - started < ERROR_BUDGET_S


# ---- threads (issue 16): `--continue` resumes this CLI's own session -------------------------

def test_a_thread_resumes_its_own_session(cli):
    assert_thread_resumes(cli, MODEL)
