"""Issue 11, findings 3-10, hermetic side (tests/real has the same cases against a real
llama.cpp server and LiteLLM proxy): no `ok` without text, true figures (null, never an
invented 0; cached tokens not subtracted twice), context windows, cooldowns keyed by what
failed and visible/clearable, a fix line per error class, keyless local endpoints, and a CLI
that prints nothing bounded by its own timeout."""

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT, run_cli
from llm_router import providers
from llm_router.errors import (
    AllProvidersFailed,
    ContextOverflow,
    EmptyAnswer,
    NotConfigured,
    ServerError,
    TruncatedAnswer,
    cut,
)
from llm_router.providers import _http
from llm_router.providers.base import Request, Result, Usage
from llm_router.routing import cooldown
from llm_router.routing.chain import Chain, cooldown_key
from llm_router.routing.router import Step
from llm_router.usage import pricing
from test_chain import FakeClock, FakeProvider, fakes, make_chain, settings  # noqa: F401

# ---- a scripted OpenAI-compatible server ----------------------------------------------------


class Scripted:
    """Answers POST .../chat/completions with whatever `reply(payload)` returns: a dict (a
    JSON body), or a list of SSE data lines (the stream closes after the last one). GET
    .../models answers while `up` is true."""

    def __init__(self, reply) -> None:
        self.reply, self.up, self.paths = reply, True, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                owner.paths.append(("GET", self.path))
                self.send_response(200 if owner.up else 503)
                body = b'{"data": [{"id": "m"}]}'
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                owner.paths.append(("POST", self.path))
                if not self.path.endswith("/v1/chat/completions"):
                    self.send_response(404)
                    self.send_header("Content-Length", "9")
                    self.end_headers()
                    self.wfile.write(b"Not Found")
                    return
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.payloads.append(payload)
                out = owner.reply(payload)
                self.send_response(200)
                if isinstance(out, dict):
                    body = json.dumps(out).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for line in out:
                    self.wfile.write(f"data: {line}\n\n".encode())
                    self.wfile.flush()

        self.payloads = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    made = []

    def make(reply):
        made.append(Scripted(reply))
        return made[-1]

    yield make
    for server in made:
        server.close()


def chunk(content=None, finish=None, usage=None) -> str:
    choices = [] if content is None and finish is None else [
        {"index": 0, "delta": {"content": content} if content else {}, "finish_reason": finish}]
    return json.dumps({"id": "x", "model": "m", "choices": choices,
                       **({"usage": usage} if usage else {})})


def call(url: str, stream: bool, **options):
    request = Request(prompt="hi", model="m", stream=stream, on_text=(lambda _t: None) if stream else None,
                      options={"base_url": url, **options})
    return providers.get("openai-http").run(request, 10)


# ---- 3. empty or truncated answers ------------------------------------------------------------

def test_a_stream_closed_with_no_event_is_a_truncated_answer(scripted):
    server = scripted(lambda _p: [])
    with pytest.raises(TruncatedAnswer):
        call(server.url + "/v1", stream=True)


def test_a_stream_cut_after_some_text_is_truncated_not_ok(scripted):
    server = scripted(lambda _p: [chunk("Hel")])
    with pytest.raises(TruncatedAnswer):
        call(server.url + "/v1", stream=True)


def empty_stream(_payload):
    return [chunk(finish="stop"), "[DONE]"]


def empty_body(_payload):
    return {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": ""}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 0, "total_tokens": 5}}


@pytest.mark.parametrize("stream, reply", [(True, empty_stream), (False, empty_body)])
def test_an_empty_completion_moves_the_chain_to_the_next_step(scripted, stream, reply):
    empty = scripted(reply)
    good = scripted(lambda p: [chunk("pong"), chunk(finish="stop"), "[DONE]"] if p["stream"] else {
        "id": "y", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"content": "pong"}}]})
    steps = [Step(0, "a/empty", "openai-http", "m", {"base_url": empty.url + "/v1"}),
             Step(1, "b/good", "openai-http", "m", {"base_url": good.url + "/v1"})]
    request = Request(prompt="hi", model="", stream=stream,
                      on_text=(lambda _t: None) if stream else None)
    result, attempts = Chain(settings(retries=0)).run(steps, request)
    assert result.text == "pong"
    assert [(a.model_key, a.outcome, a.error_class) for a in attempts] == [
        ("a/empty", "error", "EmptyAnswer"), ("b/good", "ok", None)]
    assert "stop" in attempts[0].message


def test_no_path_reports_ok_without_text(fakes):  # noqa: F811
    fakes("copilot", FakeProvider("copilot", ["   \n"]))
    with pytest.raises(AllProvidersFailed) as caught:
        make_chain(FakeClock()).run([Step(0, "k/c", "copilot", "m", {})], Request(prompt="hi", model=""))
    assert [a.error_class for a in caught.value.attempts] == ["EmptyAnswer"]
    assert "raise max_tokens" in caught.value.hint


def test_a_cli_that_exits_0_with_no_answer_is_an_empty_answer(fake_bin):
    fake_bin("claude", """import json, sys
sys.stdin.read()
print(json.dumps({"type": "result", "subtype": "success", "is_error": False, "result": "",
                  "session_id": "s", "usage": {"input_tokens": 5, "output_tokens": 0}}))
""")
    with pytest.raises(EmptyAnswer):
        providers.get("claude").run(Request(prompt="hi", model="haiku"), 20)


# ---- 4. true figures ----------------------------------------------------------------------------

def test_a_stream_without_usage_records_null_not_zero(scripted):
    server = scripted(lambda _p: [chunk("pong"), chunk(finish="stop"), "[DONE]"])
    result = call(server.url + "/v1", stream=True)
    assert result.text == "pong"
    assert result.usage == Usage.unknown()
    assert server.payloads[-1]["stream_options"] == {"include_usage": True}


def test_a_stream_with_usage_records_the_servers_figures(scripted):
    usage = {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
    server = scripted(lambda _p: [chunk("pong"), chunk(finish="stop"), chunk(usage=usage), "[DONE]"])
    assert call(server.url + "/v1", stream=True).usage == Usage(9, 2, 0, 0, 0)


def test_the_issue_example_is_priced_right():
    price = {"input": 1.0, "cached_input": 0.1, "output": 2.0}
    usage = {"input_tokens": 600, "cached_tokens": 400, "output_tokens": 50}
    assert pricing.token_cost(price, usage) == pytest.approx(0.00074)


PRICE = {"input": 1.0, "cached_input": 0.1, "cache_write": 1.25, "output": 2.0}


@pytest.mark.parametrize("provider, report, parse", [
    # OpenAI-compatible: prompt_tokens include the cached ones
    ("openai-http", {"prompt_tokens": 1000, "completion_tokens": 50,
                     "prompt_tokens_details": {"cached_tokens": 400}},
     lambda r: __import__("llm_router.providers.openai_http", fromlist=["_usage"])._usage(r)),
    # Anthropic: input_tokens already exclude cache reads
    ("anthropic-http", {"input_tokens": 600, "cache_read_input_tokens": 400, "output_tokens": 50},
     lambda r: Usage(r["input_tokens"], r["output_tokens"], r["cache_read_input_tokens"])),
])
def test_each_providers_usage_shape_to_dollars(provider, report, parse):
    usage = parse(report).as_dict()
    assert (usage["input_tokens"], usage["cached_tokens"]) == (600, 400)
    assert pricing.token_cost(PRICE, usage) == pytest.approx(0.00074)


def test_a_reported_cost_of_zero_with_no_price_is_null():
    attempt = {"model_used": "local/gemma", "provider": "opencode", "outcome": "ok",
               "input_tokens": 100, "output_tokens": 10, "cost_usd": 0.0}
    assert pricing.attempt_cost(attempt, {"models": {}}) == (None, None)
    free = {"models": {"local/gemma": {"input": 0.0, "output": 0.0}}}
    assert pricing.attempt_cost(attempt, free) == (0.0, "table")


def test_a_reader_that_goes_away_still_leaves_an_attempt(fakes):  # noqa: F811
    fakes("copilot", FakeProvider("copilot", deltas=["a"]))
    seen = []

    def closed(_text):
        raise BrokenPipeError(32, "Broken pipe")

    chain = make_chain(FakeClock(), on_attempt=seen.append)
    with pytest.raises(BrokenPipeError):
        chain.run([Step(0, "k/c", "copilot", "m", {})], Request(prompt="hi", model="", stream=True,
                                                                 on_text=closed))
    assert [(a.outcome, a.error_class) for a in seen] == [("error", "BrokenPipeError")]


def test_usage_unknown_is_stored_as_null(data_dir):
    from llm_router.usage import accounting, ledger

    accounting.record({"outcome": "ok", "model_used": "local/gemma", "provider": "openai-http",
                       **Usage.unknown().as_dict(), "prompt_sha256": "x"})
    conn = ledger.connect(create=False)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM calls").fetchone())
    assert row["input_tokens"] is None and row["output_tokens"] is None and row["cost_usd"] is None


# ---- 5. context windows -------------------------------------------------------------------------

def test_a_prompt_that_cannot_fit_is_not_sent_and_a_larger_window_answers(fakes):  # noqa: F811
    small = Step(0, "s/small", "copilot", "m", {"context_window": 4096})
    large = Step(1, "l/large", "opencode", "m", {"context_window": 200_000})
    prompt = "x" * 200_000  # ~50k tokens
    result, attempts = make_chain(FakeClock()).run([small, large], Request(prompt=prompt, model=""))
    assert result.provider == "opencode" and fakes.table["copilot"].calls == []
    assert (attempts[0].outcome, attempts[0].error_class) == ("skipped", "ContextOverflow")
    assert "~50000 tokens" in attempts[0].message and "4096" in attempts[0].message


def test_a_servers_context_length_error_is_context_overflow_not_bad_request():
    class Body:
        def read(self, _limit):
            return json.dumps({"error": {"message": "Requested tokens (5000) exceed context "
                                                    "window of 4096", "code": 400}}).encode()

    error = _http.http_error(400, {}, Body(), "openai-http", "")
    assert isinstance(error, ContextOverflow) and error.action == "skip"


# ---- 6. options in the shipped policy -------------------------------------------------------------

def test_every_shipped_model_and_local_endpoint_has_a_max_tokens():
    shipped = json.loads((ROOT / "config" / "model-policy.json").read_text())
    assert all(isinstance(m.get("max_tokens"), int) for m in shipped["external_models"].values())
    for name in ("ollama", "llamacpp", "litellm"):
        assert shipped["endpoints"][name]["max_tokens"] > 0


def test_a_models_max_tokens_reaches_the_request(scripted, data_dir, monkeypatch):
    server = scripted(lambda _p: {"id": "x", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"content": "pong"}}]})
    (data_dir / "model-policy.json").write_text(json.dumps({"external_models": {"local/m": {
        "tier": "haiku", "max_tokens": 77, "temperature": 0.2,
        "via": [{"provider": "openai-http", "endpoint": "llamacpp", "model": "m"}]}}}))
    done = run_cli("invoke", "--model", "local/m", "-p", "hi", env={"LLAMACPP_BASE_URL": server.url})
    assert done.returncode == 0, done.stderr
    assert (server.payloads[-1]["max_tokens"], server.payloads[-1]["temperature"]) == (77, 0.2)


# ---- 7. cooldowns ---------------------------------------------------------------------------------

def test_cooldown_keys_name_the_url_or_the_cli_with_the_model():
    http = Step(0, "k", "openai-http", "gemma", {"endpoint": "llamacpp", "base_url": "http://127.0.0.1:9/v1"})
    other_name = Step(0, "k2", "openai-http", "gemma", {"endpoint": "mine", "base_url": "http://127.0.0.1:9/v1"})
    cli = Step(0, "k", "opencode", "zai/glm-4.7", {})
    assert cooldown_key(http) == cooldown_key(other_name) == "openai-http gemma @http://127.0.0.1:9/v1"
    assert cooldown_key(cli) == "opencode zai/glm-4.7 @opencode"


def test_a_cooldown_ends_early_when_the_probe_answers(scripted, data_dir):
    server = scripted(lambda _p: {"id": "x", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"content": "pong"}}]})
    step = Step(0, "local/m", "openai-http", "m", {"base_url": server.url + "/v1"})
    cools = cooldown.Cooldowns(1, 600)
    cools.failure(cooldown_key(step), "ServerError")
    server.up = False
    with pytest.raises(AllProvidersFailed) as caught:
        Chain(settings(), cooldowns=cooldown.Cooldowns(1, 600)).run([step], Request(prompt="hi", model=""))
    assert caught.value.attempts[0].error_class == "CoolingDown"
    assert "llm-router cooldowns" in caught.value.hint
    server.up = True
    result, _ = Chain(settings(), cooldowns=cooldown.Cooldowns(1, 600)).run([step], Request(prompt="hi", model=""))
    assert result.text == "pong" and ("GET", "/v1/models") in server.paths
    assert cooldown.Cooldowns(1, 600).active() == {}


def test_cooldowns_are_listed_shown_and_cleared(data_dir):
    key = "openai-http gemma @http://127.0.0.1:9/v1"
    cooldown.Cooldowns(1, 600).failure(key, "ServerError")
    listed = run_cli("cooldowns", "list", "--json")
    assert list(json.loads(listed.stdout)["cooling_down"]) == [key]
    assert key in run_cli("cooldowns").stdout
    assert key in run_cli("doctor").stdout
    missing = run_cli("cooldowns", "clear", "nope")
    assert missing.returncode == 2 and "cooldowns list" in missing.stderr
    cleared = run_cli("cooldowns", "clear", key)
    assert cleared.returncode == 0 and key in cleared.stdout
    assert json.loads(run_cli("cooldowns", "list", "--json").stdout)["cooling_down"] == {}


def test_route_and_models_show_a_cooldown_with_its_key(data_dir):
    (data_dir / "model-policy.json").write_text(json.dumps({
        "endpoints": {"mine": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}},
        "external_models": {"local/m": {"tier": "haiku", "via": [
            {"provider": "openai-http", "model": "m", "endpoint": "mine"}]}}}))
    key = "openai-http m @http://127.0.0.1:9/v1"
    cooldown.Cooldowns(1, 600).failure(key, "ServerError")
    assert key in run_cli("route", "--model", "local/m", "-p", "hi").stdout
    assert key in run_cli("models").stdout


def test_stats_does_not_call_skips_a_missing_login(data_dir):
    from llm_router.usage import accounting

    accounting.record({"outcome": "skipped", "error_class": "CoolingDown", "model_used": "a/b",
                       "provider": "openai-http", "prompt_sha256": "x"})
    out = run_cli("stats").stdout
    assert "not logged in" not in out and "CoolingDown 1" in out


# ---- 8. fix lines and cut messages ----------------------------------------------------------------

@pytest.mark.parametrize("error_class, words", [
    ("ServerError", "server is running"), ("ContextOverflow", "context_window"),
    ("CoolingDown", "cooldowns clear"), ("EmptyAnswer", "max_tokens"),
    ("NotConfigured", "base URL"),
])
def test_each_error_class_gets_its_own_fix_line(error_class, words):
    attempt = type("A", (), {"provider": "p", "model": "m", "error_class": error_class, "message": "x"})
    error = AllProvidersFailed([attempt])
    assert words in error.hint and "CLIs are installed" not in error.hint


def test_long_server_messages_are_cut_at_a_word_boundary():
    text = "error: " + "contextual " * 100
    out = cut(text, 300)
    assert len(out) <= 302 and out.endswith(" …") and out[:-2].endswith("contextual")


# ---- 9. keyless local endpoints, base URLs ----------------------------------------------------------

@pytest.mark.parametrize("endpoint, var", [("ollama", "OLLAMA_BASE_URL"), ("litellm", "LITELLM_BASE_URL")])
def test_shipped_local_endpoints_need_no_key(scripted, data_dir, monkeypatch, endpoint, var):
    server = scripted(lambda _p: {"id": "x", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"content": "pong"}}]})
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)
    (data_dir / "model-policy.json").write_text(json.dumps({"external_models": {"local/m": {
        "tier": "haiku", "via": [{"provider": "openai-http", "endpoint": endpoint, "model": "m"}]}}}))
    done = run_cli("invoke", "--model", "local/m", "-p", "hi", env={var: server.url})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pong"


def test_a_bare_server_address_gets_v1_and_a_wrong_path_an_exact_error(scripted):
    server = scripted(lambda _p: {"id": "x", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"content": "pong"}}]})
    assert call(server.url, stream=False).text == "pong"
    with pytest.raises(NotConfigured) as caught:
        call(server.url + "/api", stream=False)
    assert "version path" in caught.value.message and "/v1" in caught.value.hint


def test_models_marks_openai_http_available_when_an_endpoint_is(scripted, data_dir):
    done = run_cli("models", "--json", env={"LLAMACPP_BASE_URL": "http://127.0.0.1:9"})
    rows = {p["name"]: p for p in json.loads(done.stdout)["providers"]}
    assert rows["openai-http"]["available"] and "llamacpp" in rows["openai-http"]["why"]


# ---- 10. a CLI that prints nothing -----------------------------------------------------------------

def test_a_cli_that_prints_nothing_is_stopped_by_the_idle_timeout(fake_bin):
    fake_bin("opencode", "import time; time.sleep(30)\n")
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        providers.get("opencode").run(Request(prompt="hi", model="x/y",
                                              options={"idle_timeout_s": 1}), 25)
    assert time.monotonic() - started < 10
    assert "printed nothing" in str(caught.value)


def test_a_cli_that_prints_only_at_its_end_is_not_cut_by_the_idle_timeout(fake_bin):
    fake_bin("claude", """import json, sys, time
sys.stdin.read()
time.sleep(2)
print(json.dumps({"type": "result", "subtype": "success", "is_error": False, "result": "done",
                  "session_id": "s", "usage": {"input_tokens": 5, "output_tokens": 1}}))
""")
    result = providers.get("claude").run(Request(prompt="hi", model="haiku",
                                                 options={"idle_timeout_s": 1}), 20)
    assert result.text == "done"


def test_the_chain_passes_the_policys_idle_timeout_to_cli_steps(fakes):  # noqa: F811
    make_chain(FakeClock(), settings=settings(cli_idle_timeout_s=7)).run(
        [Step(0, "k/c", "copilot", "m", {})], Request(prompt="hi", model=""))
    assert fakes.table["copilot"].calls[0][2]["idle_timeout_s"] == 7


def test_server_error_classes_still_retry():
    assert ServerError("x").action == "retry" and EmptyAnswer("x").action == "skip"
    assert issubclass(TruncatedAnswer, EmptyAnswer)
    assert Result(text="", model="", provider="").usage.reported() is False
