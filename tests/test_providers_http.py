"""openai-http and anthropic-http against the loopback mock: streaming and not, usage, headers,
and every failure class (401, 429 + retry-after, 500, malformed JSON, slow first byte, an error
in the middle of a stream, Z.AI's "balance exhausted" 429)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from mocks.llm_backend import LLMBackend

from llm_router import providers
from llm_router.errors import (AuthError, BadOutput, BadRequest, NotConfigured, ProviderTimeout,
                               RateLimited, ServerError)
from llm_router.providers.base import Request

KEY = "sk-test-0123456789abcdef"
NAMES = ("openai-http", "anthropic-http")


@pytest.fixture
def backend():
    with LLMBackend(input_tokens=11, cached_tokens=4, output_tokens=3, reasoning_tokens=2,
                    slow_seconds=5, max_lifetime=60) as server:
        yield server


def options(backend, name, **extra):
    base = backend.url + "/v1" if name == "openai-http" else backend.url
    return {"base_url": base, "api_key_env": "TEST_KEY", "env": {"TEST_KEY": KEY}, **extra}


def run(name, opts, model="mock-model", timeout=5, **request):
    request.setdefault("prompt", "say pong")
    return providers.get(name).run(Request(model=model, options=opts, **request), timeout)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_is_parsed_streaming_or_not(backend, name, stream):
    seen = []
    result = run(name, options(backend, name), stream=stream, on_text=seen.append)
    assert result.text == "MOCK-REPLY pong"
    assert result.provider == name and result.model == "mock-model"
    assert seen == (["MOCK-REPLY ", "pong"] if stream else [])
    assert backend.posts()[-1].json["stream"] is stream


def test_openai_usage_splits_cached_out_of_prompt_tokens(backend):
    for stream in (False, True):
        usage = run("openai-http", options(backend, "openai-http"), stream=stream).usage
        assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens,
                usage.reasoning_tokens) == (7, 4, 3, 2)
    assert backend.posts()[-1].json["stream_options"] == {"include_usage": True}


def test_anthropic_usage_is_taken_as_reported(backend):
    for stream in (False, True):
        usage = run("anthropic-http", options(backend, "anthropic-http"), stream=stream).usage
        assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens) == (11, 4, 3)


def test_openai_request_shape_and_headers(backend):
    headers = {"HTTP-Referer": "https://github.com/llm-router/llm-router", "X-Title": "llm-router"}
    run("openai-http", options(backend, "openai-http", headers=headers, max_tokens=100,
                               extra_body={"reasoning": {"effort": "low"}}), system="be terse")
    sent = backend.posts()[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["http-referer"] == headers["HTTP-Referer"]
    assert sent.headers["x-title"] == "llm-router"
    assert sent.json["messages"] == [{"role": "system", "content": "be terse"},
                                     {"role": "user", "content": "say pong"}]
    assert sent.json["max_tokens"] == 100 and sent.json["reasoning"] == {"effort": "low"}


def test_anthropic_request_shape_and_headers(backend):
    run("anthropic-http", options(backend, "anthropic-http"), system="be terse")
    sent = backend.posts()[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY and "authorization" not in sent.headers
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.json["system"] == "be terse" and sent.json["max_tokens"] == 8192
    assert sent.json["messages"] == [{"role": "user", "content": "say pong"}]


def test_anthropic_bearer_auth_and_a_base_url_ending_in_v1(backend):
    run("anthropic-http", options(backend, "anthropic-http", auth="bearer",
                                  base_url=backend.url + "/api/anthropic/v1"))
    sent = backend.posts()[-1]
    assert sent.path == "/api/anthropic/v1/messages"
    assert sent.headers["authorization"] == f"Bearer {KEY}" and "x-api-key" not in sent.headers


@pytest.mark.parametrize("name", NAMES)
def test_the_prompt_arrives_whole_and_unchanged(backend, name):
    prompt = "ünï 日本 🙂 \"q\" $(x) \\n" + "y" * (1024 * 1024) + "END-MARKER"
    run(name, options(backend, name), prompt=prompt)
    assert backend.posts()[-1].json["messages"][-1]["content"] == prompt


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("model, error", [("err401", AuthError), ("err403", AuthError),
                                          ("err400", BadRequest), ("err500", ServerError),
                                          ("zaibalance", AuthError)])
@pytest.mark.parametrize("stream", [False, True])
def test_http_failures_map_to_classes(backend, name, model, error, stream):
    with pytest.raises(error) as info:
        run(name, options(backend, name), model=model, stream=stream)
    assert info.value.provider == name


@pytest.mark.parametrize("name", NAMES)
def test_429_honours_retry_after_seconds(backend, name):
    backend.retry_after = "7"
    with pytest.raises(RateLimited) as info:
        run(name, options(backend, name), model="err429")
    assert info.value.retry_after == 7.0


def test_429_honours_retry_after_as_an_http_date(backend):
    backend.retry_after = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    with pytest.raises(RateLimited) as info:
        run("openai-http", options(backend, "openai-http"), model="err429")
    assert 20 < info.value.retry_after <= 31


def test_zai_balance_exhausted_is_skip_not_retry(backend):
    with pytest.raises(AuthError) as info:
        run("openai-http", options(backend, "openai-http"), model="zaibalance")
    assert info.value.action == "skip" and "1113" in info.value.message


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_is_bad_output(backend, name, stream):
    with pytest.raises(BadOutput):
        run(name, options(backend, name), model="badjson", stream=stream)


@pytest.mark.parametrize("name", NAMES)
def test_an_error_in_the_middle_of_a_stream_is_classified(backend, name):
    seen = []
    with pytest.raises(ServerError):
        run(name, options(backend, name), model="midstream", stream=True, on_text=seen.append)
    assert seen == ["MOCK-REPLY "]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stream", [False, True])
def test_a_slow_first_byte_times_out(backend, name, stream):
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        run(name, options(backend, name), model="slow", stream=stream, timeout=1)
    assert time.monotonic() - started < 3


def test_the_endpoint_timeout_caps_the_call(backend):
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        run("openai-http", options(backend, "openai-http", timeout_s=0.5), model="slow", timeout=30)
    assert time.monotonic() - started < 2


def test_deltas_are_forwarded_as_they_arrive(backend):
    backend.chunk_delay = 0.5
    seen = []
    started = time.monotonic()
    run("openai-http", options(backend, "openai-http"), stream=True,
        on_text=lambda text: seen.append(time.monotonic() - started))
    assert seen[1] - seen[0] > 0.4  # the first one did not wait for the second


def test_a_server_that_is_not_there_is_a_server_error(backend):
    with pytest.raises(ServerError):
        run("openai-http", {"base_url": "http://127.0.0.1:9/v1"})


@pytest.mark.parametrize("name", NAMES)
def test_availability_needs_a_base_url_and_the_key_variable(name, monkeypatch):
    provider = providers.get(name)
    monkeypatch.delenv("SOME_BASE", raising=False)
    assert provider.available({"base_url_env": "SOME_BASE"}) == (False, "set SOME_BASE")
    monkeypatch.setenv("SOME_BASE", "http://127.0.0.1:1")
    assert provider.available({"base_url_env": "SOME_BASE"})[0]
    usable, why = provider.available({"base_url": "http://127.0.0.1:1", "api_key_env": "NO_SUCH_KEY"})
    assert not usable and "NO_SUCH_KEY" in why
    with pytest.raises(NotConfigured):
        run(name, {"base_url": "http://127.0.0.1:1", "api_key_env": "NO_SUCH_KEY"})


def test_no_key_variable_means_no_auth_header(backend):
    run("openai-http", {"base_url": backend.url + "/v1"})  # ollama, llama.cpp
    assert "authorization" not in backend.posts()[-1].headers


def test_urllib_is_not_imported_until_a_request_is_made():
    code = ("import sys; sys.path.insert(0, 'lib'); from llm_router import providers; "
            "providers.get('openai-http'); providers.get('anthropic-http'); "
            "print('urllib.request' in sys.modules, 'subprocess' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(Path(__file__).resolve().parents[1]), check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_mock_can_be_scripted_whatever_the_model(backend):
    backend.script("err429", "ok")
    with pytest.raises(RateLimited):
        run("openai-http", options(backend, "openai-http"))
    assert run("openai-http", options(backend, "openai-http")).text == "MOCK-REPLY pong"


def test_the_mock_stops_itself_after_its_lifetime():
    server = LLMBackend(max_lifetime=0.3).start()
    time.sleep(0.8)
    with pytest.raises(ServerError, match="cannot reach"):
        run("openai-http", {"base_url": server.url + "/v1"})


def test_a_proxy_in_the_environment_is_not_used_for_loopback(backend, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert run("openai-http", options(backend, "openai-http")).text == "MOCK-REPLY pong"
