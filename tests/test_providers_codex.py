"""codex provider: command line and `-c` provider settings (valid TOML), JSON events, failure
text classes, and stopping codex's reconnect loop (events shaped like codex 0.169.0's)."""

import time
import tomllib

import pytest
from mocks.fake_cli import FakeCLI

from llm_router import providers
from llm_router.errors import AuthError, BadOutput, BadRequest, RateLimited, ServerError
from llm_router.providers.base import Request

START = [{"type": "thread.started", "thread_id": "01a2"},
         {"type": "item.completed", "item": {"id": "item_0", "type": "error", "message":
                                             "Model metadata for `m` not found. Defaulting to fallback"}},
         {"type": "turn.started"}]
OK = START + [
    {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": "MOCK-REPLY pong"}},
    {"type": "turn.completed", "usage": {"input_tokens": 21, "cached_input_tokens": 5,
                                         "cache_write_input_tokens": 0, "output_tokens": 4,
                                         "reasoning_output_tokens": 1}}]


def failed(message):
    return START + [{"type": "error", "message": message},
                    {"type": "turn.failed", "error": {"message": message}}]


@pytest.fixture
def fake(fake_bin, tmp_path):
    return FakeCLI(fake_bin, tmp_path, "codex")


def run(options, timeout=10, **request):
    return providers.get("codex").run(
        Request(prompt="say pong", model="gpt-5.4", options=options, **request), timeout)


def _settings(argv) -> dict:
    """The -c overrides parsed as TOML (codex would take an unparseable value as a raw string,
    so requiring valid TOML is stricter than codex) and merged like dotted keys."""
    merged: dict = {}
    for item in (argv[i + 1] for i, arg in enumerate(argv) if arg == "-c"):
        _merge(merged, tomllib.loads(item))
    return merged


def _merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def test_command_line(fake, tmp_path):
    run(fake.script(stdout=OK), cwd=str(tmp_path))
    assert fake.argv == ["exec", "--json", "--skip-git-repo-check", "-m", "gpt-5.4", "--ephemeral",
                         "-C", str(tmp_path), "-"]


def test_a_custom_endpoint_becomes_a_provider_with_capped_retries(fake):
    run(fake.script(stdout=OK, base_url='http://127.0.0.1:9/v1?q="x"', api_key_env="MY_KEY",
                    headers={"X-Title": "llm-router"}, max_retries=0))
    settings = _settings(fake.argv)
    assert settings["model_provider"] == "llm_router"
    table = settings["model_providers"]["llm_router"]
    assert table == {"name": "llm-router", "base_url": 'http://127.0.0.1:9/v1?q="x"',
                     "wire_api": "responses", "request_max_retries": 0, "stream_max_retries": 0,
                     "env_key": "MY_KEY", "http_headers": {"X-Title": "llm-router"}}


def test_a_named_custom_provider_gets_the_caps_but_a_builtin_does_not(fake):
    run(fake.script(stdout=OK, model_provider="zai"))
    settings = _settings(fake.argv)
    assert settings["model_provider"] == "zai"
    assert settings["model_providers"]["zai"] == {"request_max_retries": 0, "stream_max_retries": 1}
    run(fake.script(stdout=OK, model_provider="openai"))
    assert _settings(fake.argv) == {"model_provider": "openai"}


def test_usage_is_summed_per_turn_and_cached_input_is_split_out(fake):
    result = run(fake.script(stdout=OK + OK[-2:]))
    assert result.text == "MOCK-REPLY pong"
    assert result.session_id == "01a2"
    usage = result.usage
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
            usage.reasoning_tokens) == (32, 10, 8, 2)
    assert result.raw["turns"] == 2


def test_the_last_agent_message_is_the_answer_and_each_is_streamed(fake):
    first = {"type": "item.completed", "item": {"type": "agent_message", "text": "looking..."}}
    seen = []
    result = run(fake.script(stdout=START + [first] + OK[-2:]), stream=True, on_text=seen.append)
    assert seen == ["looking...", "MOCK-REPLY pong"]
    assert result.text == "MOCK-REPLY pong"


@pytest.mark.parametrize("message, error", [
    ("unexpected status 401 Unauthorized: Incorrect API key provided, url: http://x/v1/responses", AuthError),
    ("unexpected status 403 Forbidden: nope", AuthError),
    ("exceeded retry limit, last status: 429 Too Many Requests", RateLimited),
    ("You've hit your usage limit. Upgrade to Pro or try again later.", RateLimited),
    ("We’re currently experiencing high demand, which may cause temporary errors.", ServerError),
    ("stream disconnected before completion: stream closed before response.completed", ServerError),
    ('{"error": {"message": "Invalid model", "type": "invalid_request_error", "code": null}}', BadRequest),
])
def test_turn_failed_text_decides_the_class(fake, message, error):
    with pytest.raises(error):
        run(fake.script(stdout=failed(message), exit=1))


def test_non_fatal_error_items_do_not_fail_a_run(fake):
    assert run(fake.script(stdout=OK)).text == "MOCK-REPLY pong"


def test_its_reconnect_loop_is_stopped_after_max_retries(fake):
    lines = START + [{"type": "error", "message": f"Reconnecting... {n}/5 (exceeded retry limit, "
                                                  f"last status: 429 Too Many Requests)"} for n in (1, 2)]
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        run(fake.script(stdout=lines, sleep=60), timeout=30)
    assert time.monotonic() - started < 5
    assert "stopped retrying" in info.value.message


def test_offline_reconnecting_forever_is_stopped_too(fake):
    lines = START + [{"type": "error", "message": f"Reconnecting... {n}/5 (stream disconnected "
                                                  "before completion: error sending request)"}
                     for n in (1, 2)]
    with pytest.raises(ServerError):
        run(fake.script(stdout=lines, sleep=60), timeout=30)


def test_exit_one_without_turn_failed_uses_the_last_error(fake):
    with pytest.raises(AuthError):
        run(fake.script(stdout=START + [{"type": "error", "message": "unexpected status 401"}], exit=1))


def test_exit_zero_without_an_answer_is_bad_output(fake):
    with pytest.raises(BadOutput):
        run(fake.script(stdout=START + [OK[-1]]))


def test_resume_uses_exec_resume(fake):
    run(fake.script(stdout=OK), resume_session_id="01a2")
    assert fake.argv[:2] == ["exec", "resume"] and fake.argv[2] == "01a2"
    assert "--ephemeral" not in fake.argv and fake.argv[-1] == "-"
