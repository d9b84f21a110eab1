"""llm-router against a real llama.cpp server (llama-cpp-python + Gemma 3 270M) and a real
LiteLLM proxy in front of it: invoke, stream, delegate, a context overflow, an empty answer,
a wrong base URL, and a server that goes away mid-stream and comes back (its cooldown ends on
a probe). Every case checks the ledger too: no `ok` without text from the model it names, and
token figures that are the server's own (or NULL where it gave none), never an invented 0.

Each test runs `bin/llm-router` as a user would, with its own data dir (tests/conftest.py) and
a user policy that points the shipped `llamacpp` and `litellm` endpoints at the servers.
"""

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request

import pytest
from _servers import BIN, SMALL_CTX, litellm, llama, llama_server, llama_small, run_cli, server_logs  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.real_server, pytest.mark.slow]

# Gemma 3's <end_of_turn> and <eos>: pushed to the top, the model's first token ends the turn,
# so the server sends finish_reason "stop" with no content at all (a real empty answer).
END_NOW = {"106": 100, "1": 100}
SHORT = 16


def write_policy(data_dir, extra_models=None, endpoints=None, **routing):
    models = {
        "local/gemma": {"tier": "haiku", "max_tokens": SHORT, "temperature": 0,
                        "via": [{"provider": "openai-http", "endpoint": "llamacpp", "model": "gemma"}]},
        "proxy/gemma": {"tier": "haiku", "max_tokens": SHORT, "temperature": 0,
                        "via": [{"provider": "openai-http", "endpoint": "litellm", "model": "gemma"}]},
        **(extra_models or {}),
    }
    policy = {"external_models": models, "endpoints": endpoints or {},
              "claude_to_external_map": {"haiku": "local/gemma"},
              "routing": {"retries": 0, "backoff_base_s": 0.1, "backoff_max_s": 0.2, **routing}}
    (data_dir / "model-policy.json").write_text(json.dumps(policy))


@pytest.fixture
def servers(llama, litellm, data_dir):  # noqa: F811  (fixtures)
    """Both servers up, the shipped endpoints pointed at them: llama.cpp by its bare address
    (no /v1: the router adds it) and LiteLLM with no key at all (a keyless proxy)."""
    write_policy(data_dir)
    env = {"LLAMACPP_BASE_URL": llama.url, "LITELLM_BASE_URL": litellm.url}
    os.environ.pop("LITELLM_API_KEY", None)
    return {"llama": llama, "litellm": litellm, "env": env}


def model_for(server: str) -> str:
    return "local/gemma" if server == "llama" else "proxy/gemma"


def rows():
    from llm_router.usage import ledger

    conn = ledger.connect(create=False)
    assert conn is not None, "no ledger was written"
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM calls ORDER BY id")]
    finally:
        conn.close()


def direct_usage(url: str, prompt: str, max_tokens: int = SHORT) -> dict:
    """What the server itself reports for the same request (temperature 0: deterministic)."""
    body = json.dumps({"model": "gemma", "messages": [{"role": "user", "content": prompt}],
                       "max_tokens": max_tokens, "temperature": 0}).encode()
    request = urllib.request.Request(url + "/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=120) as response:
        return json.loads(response.read())["usage"]


def invoke(env, *args, timeout=180):
    return run_cli("invoke", "--json", *args, env=env, timeout=timeout)


@pytest.mark.parametrize("server", ["llama", "litellm"])
def test_invoke_answers_and_records_the_servers_own_token_counts(servers, server):
    prompt = "Name one colour."
    done = invoke(servers["env"], "--model", model_for(server), "-p", prompt)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["text"].strip() and reply["model"] == model_for(server)
    truth = direct_usage(servers[server].url, prompt)
    [row] = rows()
    assert row["outcome"] == "ok" and row["provider"] == "openai-http"
    assert (row["input_tokens"], row["output_tokens"]) == (truth["prompt_tokens"],
                                                            truth["completion_tokens"])
    assert row["cost_usd"] is None and row["cost_source"] is None  # no price known: not $0


def test_a_stream_from_llama_cpp_records_null_tokens_not_zero(servers):
    """llama-cpp-python 0.3.36 ignores stream_options.include_usage: its stream carries no
    usage at all, so the ledger says "unknown", never 0."""
    done = run_cli("invoke", "--stream", "--model", "local/gemma", "-p", "Name one animal.",
                   env=servers["env"], timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    [row] = rows()
    assert row["outcome"] == "ok"
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (None, None, None)


def test_a_stream_through_litellm_records_the_usage_chunk_it_sends(servers):
    """LiteLLM answers include_usage with a usage chunk even when its backend sent none (it
    counts the tokens itself): the ledger keeps what the endpoint reported."""
    done = run_cli("invoke", "--stream", "--json", "--model", "proxy/gemma", "-p",
                   "Name one animal.", env=servers["env"], timeout=180)
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout.strip().splitlines()[-1])
    [row] = rows()
    assert row["outcome"] == "ok" and row["input_tokens"] > 0 and row["output_tokens"] > 0
    assert (row["input_tokens"], row["output_tokens"]) == (final["usage"]["input_tokens"],
                                                            final["usage"]["output_tokens"])


def test_delegate_runs_on_the_local_model_when_external_mode_is_on(servers):
    assert run_cli("mode", "on", env=servers["env"]).returncode == 0
    done = run_cli("delegate", "--tier", "haiku", "--json", "-p", "Say hi.", env=servers["env"],
                   timeout=180)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["external"] is True and reply["model"] == "local/gemma" and reply["text"].strip()
    assert [r["outcome"] for r in rows()] == ["ok"]


@pytest.mark.parametrize("server", ["llama", "litellm"])
@pytest.mark.parametrize("stream", [False, True])
def test_an_empty_answer_is_an_error_that_moves_to_the_next_model(servers, data_dir, server, stream):
    # a second endpoint name for the same server: the fallback's via must not be the same
    # (provider, model, endpoint), which the chain would drop as a duplicate
    same = {"llama": {"kind": "openai", "base_url_env": "LLAMACPP_BASE_URL"},
            "litellm": {"kind": "openai", "base_url_env": "LITELLM_BASE_URL"}}[server]
    write_policy(data_dir, {"empty/gemma": {
        "tier": "haiku", "max_tokens": SHORT, "fallbacks": [model_for(server)],
        "via": [{"provider": "openai-http", "endpoint": "same-server", "model": "gemma",
                 "options": {"extra_body": {"logit_bias": END_NOW}}}]}}, {"same-server": same})
    done = invoke(servers["env"], "--model", "empty/gemma", *(["--stream"] if stream else []),
                  "-p", "Name one colour.")
    assert done.returncode == 0, done.stderr
    attempts = [(r["model_used"], r["outcome"], r["error_class"]) for r in rows()]
    assert attempts == [("empty/gemma", "error", "EmptyAnswer"), (model_for(server), "ok", None)]
    assert rows()[0]["input_tokens"] is None  # the failed attempt's figures are unknown, not 0


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_too_long_for_the_window_is_not_sent_and_a_model_that_fits_answers(
        servers, llama_small, data_dir, stream):  # noqa: F811  (fixtures)
    write_policy(data_dir, {"tiny/gemma": {
        "tier": "haiku", "context_window": SMALL_CTX, "max_tokens": SHORT,
        "fallbacks": ["local/gemma"],
        "via": [{"provider": "openai-http", "model": "gemma", "endpoint": "small"}]}},
        {"small": {"kind": "openai", "base_url": llama_small.url + "/v1"}})
    prompt = "Summarise: " + "the quick brown fox jumps over the lazy dog. " * 60  # ~700 tokens
    done = invoke(servers["env"], "--model", "tiny/gemma", *(["--stream"] if stream else []),
                  "-p", prompt)
    assert done.returncode == 0, done.stderr
    first, second = rows()
    assert (first["outcome"], first["error_class"]) == ("skipped", "ContextOverflow")
    assert "tokens" in first["error_message"] and str(SMALL_CTX) in first["error_message"]
    assert (second["model_used"], second["outcome"]) == ("local/gemma", "ok")


@pytest.mark.parametrize("stream", [False, True])
def test_a_server_that_rejects_the_prompts_length_moves_the_chain_on(
        servers, llama_small, data_dir, stream):  # noqa: F811  (fixtures)
    """No context_window in the policy: the server's own refusal (an error body, or a stream
    closed with no event) is a ContextOverflow / TruncatedAnswer, never `ok` and never a stop."""
    write_policy(data_dir, {"tiny/gemma": {
        "tier": "haiku", "max_tokens": SHORT, "fallbacks": ["local/gemma"],
        "via": [{"provider": "openai-http", "model": "gemma", "endpoint": "small"}]}},
        {"small": {"kind": "openai", "base_url": llama_small.url + "/v1"}})
    prompt = "Summarise: " + "the quick brown fox jumps over the lazy dog. " * 60
    done = invoke(servers["env"], "--model", "tiny/gemma", *(["--stream"] if stream else []),
                  "-p", prompt)
    assert done.returncode == 0, done.stderr
    first, second = rows()
    assert first["outcome"] == "error"
    assert first["error_class"] in ("ContextOverflow", "TruncatedAnswer")
    assert (second["model_used"], second["outcome"]) == ("local/gemma", "ok")


def test_a_base_url_with_a_wrong_path_gets_an_exact_error(servers, data_dir):
    write_policy(data_dir, {"wrong/gemma": {
        "tier": "haiku", "max_tokens": SHORT,
        "via": [{"provider": "openai-http", "model": "gemma", "endpoint": "wrong"}]}},
        {"wrong": {"kind": "openai", "base_url": servers["llama"].url + "/api"}})
    done = run_cli("invoke", "--model", "wrong/gemma", "-p", "hi", env=servers["env"], timeout=120)
    assert done.returncode != 0
    assert "404" in done.stderr and "version path" in done.stderr and "/v1" in done.stderr
    assert "check the model id" not in done.stderr


def test_a_server_that_dies_mid_stream_cools_down_and_a_probe_ends_it(server_logs, data_dir):  # noqa: F811  (fixtures)
    flaky = llama_server(server_logs, name="llama-flaky").start()
    try:
        write_policy(data_dir, {"local/gemma": {
            "tier": "haiku", "max_tokens": 400, "temperature": 0,
            "via": [{"provider": "openai-http", "endpoint": "llamacpp", "model": "gemma"}]}},
            cooldown_after_failures=2, cooldown_s=600)
        env = {"LLAMACPP_BASE_URL": flaky.url}
        # 1. the stream breaks off after its first text: an error, recorded, not `ok`
        child = subprocess.Popen([str(BIN), "invoke", "--stream", "--model", "local/gemma", "-p",
                                  "Write a long story about a ship."],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env={**os.environ, **env})
        assert child.stdout.read(1), "no text arrived before the server was stopped"
        os.killpg(flaky.proc.pid, signal.SIGKILL)
        flaky.proc.wait(10)
        child.communicate(timeout=120)
        assert child.returncode != 0
        assert rows()[-1]["outcome"] == "error"
        # 2. down: failures until its URL+model key cools down
        for _ in range(2):
            assert run_cli("invoke", "--model", "local/gemma", "-p", "hi", env=env,
                           timeout=60).returncode != 0
        listing = run_cli("cooldowns", "list", "--json", env=env)
        [key] = json.loads(listing.stdout)["cooling_down"]
        assert flaky.url in key and "gemma" in key
        skipped = run_cli("invoke", "--model", "local/gemma", "-p", "hi", env=env, timeout=60)
        assert "CoolingDown" in skipped.stderr and "llm-router cooldowns" in skipped.stderr
        doctor = run_cli("doctor", env=env, timeout=60)
        assert key in doctor.stdout
        # 3. back on the same port: the probe ends the cooldown and the call answers (a short
        # answer: 400 tokens from a CPU shared with other work can take minutes)
        flaky.start()
        write_policy(data_dir, cooldown_after_failures=2, cooldown_s=600)
        done = run_cli("invoke", "--model", "local/gemma", "-p", "Say hi.", env=env, timeout=180)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip()
        assert json.loads(run_cli("cooldowns", "list", "--json", env=env).stdout)["cooling_down"] == {}
    finally:
        flaky.stop()


def test_a_reader_that_closes_the_stream_early_still_leaves_a_ledger_row(servers, data_dir):
    write_policy(data_dir, {"local/gemma": {
        "tier": "haiku", "max_tokens": 200, "temperature": 0,
        "via": [{"provider": "openai-http", "endpoint": "llamacpp", "model": "gemma"}]}})
    child = subprocess.Popen([str(BIN), "invoke", "--stream", "--model", "local/gemma", "-p",
                              "Write a long story about a ship."],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env={**os.environ, **servers["env"]})
    assert child.stdout.read(1)
    child.stdout.close()  # the reader goes away (`| head -c1`)
    child.wait(120)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not rows_or_empty():
        time.sleep(0.2)
    [row] = rows()
    assert row["outcome"] == "error" and row["model_used"] == "local/gemma"


def rows_or_empty():
    try:
        return rows()
    except AssertionError:
        return []
