"""route / invoke / delegate / models end to end: JSON shapes, exit codes, env overrides,
accounting calls, streaming, and a cooldown that outlives its process.

Most tests run cli.main() in-process with fake providers in the real registry (fixture
`fakes` from test_chain). The cross-process tests start bin/llm-router with a launcher
(LLM_ROUTER_PYTHON) that points every registry entry at a generated fake module.
"""

import io
import json
import re
import os
import select
import subprocess
import sys
import textwrap
import time

import pytest
from llm_router import cli, state
from llm_router.errors import AuthError, BudgetExceeded, ServerError
from llm_router.usage import accounting
from test_chain import FakeProvider, fakes  # noqa: F401 - the fixture is used by name

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
BIN = os.path.join(os.path.dirname(LIB), "bin", "llm-router")

OVERRIDE = {
    "external_models": {
        "t/one": {"tier": "sonnet", "fallbacks": ["t/two"],
                  "via": [{"provider": "copilot", "model": "one"},
                          {"provider": "opencode", "model": "oc/one"}]},
        "t/two": {"tier": "haiku", "via": [{"provider": "gemini", "model": "two"}]},
    },
    "claude_to_external_map": {"opus": "t/one", "sonnet": "t/one", "haiku": "t/two"},
    "task_routing": {"reasoning": "t/one", "code-generation": "t/one", "long-context": "t/two",
                     "default": "t/one"},
    "routing": {"retries": 1, "backoff_base_s": 0, "backoff_max_s": 0,
                "cooldown_after_failures": 2, "cooldown_s": 300},
}


@pytest.fixture(autouse=True)
def test_policy(data_dir, monkeypatch):
    """The user-layer policy routes everything to t/one (copilot, opencode) then t/two (gemini)."""
    write_policy(data_dir, OVERRIDE)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


def write_policy(data_dir, policy: dict) -> None:
    (data_dir / "model-policy.json").write_text(json.dumps(policy))


def run_main(capsys, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---- invoke -----------------------------------------------------------------------------

def test_invoke_json_is_one_object_with_the_documented_keys(fakes, capsys):
    fakes("copilot", FakeProvider("copilot", [ServerError("500 from upstream")] * 2))
    code, out, err = run_main(capsys, "invoke", "--model", "t/one", "-p", "hi", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert out.count("\n") == 1
    assert {"model", "provider", "text", "usage", "latency_ms", "cost_usd", "attempts"} <= set(payload)
    assert (payload["model"], payload["provider"]) == ("t/one", "opencode")
    assert payload["text"] == "answer from opencode"
    assert payload["usage"]["input_tokens"] == 10 and payload["cost_usd"] == 0.001
    assert [(a["provider"], a["outcome"], a["error_class"]) for a in payload["attempts"]] == [
        ("copilot", "error", "ServerError"), ("copilot", "error", "ServerError"),
        ("opencode", "ok", None)]
    assert payload["attempts"][0]["message"] == "500 from upstream"


def test_invoke_plain_prints_the_text_from_a_stdin_prompt(fakes, capsys):
    code, out, _ = run_main(capsys, "invoke", stdin="what is 2+2?")
    assert code == 0 and out == "answer from copilot\n"
    assert fakes.table["copilot"].calls[0][0] == "one"


def test_invoke_reads_a_prompt_file(fakes, capsys, tmp_path):
    (tmp_path / "p.txt").write_text("from a file")
    code, _, _ = run_main(capsys, "invoke", "--prompt-file", str(tmp_path / "p.txt"), "--cwd", str(tmp_path))
    request = fakes.table["copilot"].requests[0]
    assert code == 0 and request.prompt == "from a file" and request.cwd == str(tmp_path)


def test_invoke_stream_writes_deltas_once(fakes, capsys):
    fakes("copilot", FakeProvider("copilot", ["Hello"], deltas=["Hel", "lo"]))
    code, out, _ = run_main(capsys, "invoke", "--stream", "-p", "hi")
    assert code == 0 and out == "Hello\n"


def test_invoke_json_stream_is_json_lines_ending_with_the_final_object(fakes, capsys):
    fakes("copilot", FakeProvider("copilot", ["Hello"], deltas=["Hel", "lo"]))
    code, out, _ = run_main(capsys, "invoke", "--stream", "--json", "-p", "hi")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and lines[:2] == [{"delta": "Hel"}, {"delta": "lo"}]
    assert lines[2]["text"] == "Hello" and lines[2]["model"] == "t/one" and len(lines) == 3


def test_all_providers_failing_exits_1_with_attempts_on_stderr_and_json_on_stdout(fakes, capsys):
    for name in ("copilot", "opencode", "gemini"):
        fakes(name, FakeProvider(name, [AuthError(f"{name} login expired")]))
    code, out, err = run_main(capsys, "invoke", "-p", "hi", "--json")
    assert code == 1
    payload = json.loads(out)
    assert set(payload) == {"error", "attempts", "ledger_error"} and len(payload["attempts"]) == 3
    assert payload["ledger_error"] is None
    assert all(a["error_class"] == "AuthError" for a in payload["attempts"])
    for name in ("copilot", "opencode", "gemini"):
        assert f"{name} login expired" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, stdin, says", [
    (("invoke",), "", "no prompt given"),
    (("invoke", "-p", "   "), None, "no prompt given"),
    (("invoke", "--model", "nope/x", "-p", "hi"), None, "unknown model 'nope/x'"),
    (("invoke", "--task", "poetry", "-p", "hi"), None, "unknown task 'poetry'"),
    (("invoke", "--prompt-file", "/no/such/file"), None, "--prompt-file"),
    (("invoke", "--cwd", "/no/such/dir", "-p", "hi"), None, "not a directory"),
    (("delegate", "--tier", "opus"), "", "no prompt given"),
])
def test_usage_errors_exit_2(fakes, capsys, args, stdin, says):
    code, out, err = run_main(capsys, *args, stdin=stdin)
    assert code == 2 and says in err and out == ""
    assert all(not p.calls for p in fakes.table.values())


def test_bad_timeout_is_an_argparse_usage_error(fakes, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["invoke", "--timeout", "0", "-p", "hi"])
    assert caught.value.code == 2


def test_timeout_bounds_the_call(fakes, capsys):
    code, _, _ = run_main(capsys, "invoke", "--timeout", "7", "-p", "hi")
    assert code == 0 and fakes.table["copilot"].calls[0][1] == pytest.approx(7, abs=0.5)


# ---- route / models ---------------------------------------------------------------------

def test_route_shows_decision_and_chain_and_never_calls_run(fakes, capsys):
    def refuse(request, timeout):
        raise AssertionError("route must not call a model")

    for provider in fakes.table.values():
        provider.run = refuse
    fakes.table["copilot"].usable, fakes.table["copilot"].why = False, "copilot: not on PATH"
    code, out, err = run_main(capsys, "route", "--json", "-p", "Write a Python function")
    assert code == 0, err
    decision = json.loads(out)
    assert decision["model"] == "t/one" and decision["source"] == "auto"
    assert "code-writing request" in decision["reason"]
    assert [(s["provider"], s["model"], s["available"]) for s in decision["chain"]] == [
        ("copilot", "one", False), ("opencode", "oc/one", True), ("gemini", "two", True)]
    assert decision["chain"][0]["why"] == "copilot: not on PATH"
    code, out, _ = run_main(capsys, "route", "--tier", "haiku")
    assert code == 0 and "model:  t/two" in out and "gemini" in out


def test_models_lists_models_transports_and_the_detected_provider_order(fakes, capsys):
    fakes.table["copilot"].usable = False
    code, out, _ = run_main(capsys, "models", "--json")
    listing = json.loads(out)
    assert code == 0
    assert [p["name"] for p in listing["providers"]][:3] == ["copilot", "opencode", "codex"]
    assert listing["default_provider"] == "opencode"
    one = next(m for m in listing["models"] if m["key"] == "t/one")
    assert [(v["provider"], v["available"]) for v in one["via"]] == [("copilot", False), ("opencode", True)]
    code, out, _ = run_main(capsys, "models")
    assert code == 0 and "default provider: opencode" in out and "t/one" in out


# ---- env overrides ----------------------------------------------------------------------

def test_llm_router_model_forces_the_model(fakes, capsys, monkeypatch):
    monkeypatch.setenv("LLM_ROUTER_MODEL", "t/two")
    code, out, _ = run_main(capsys, "invoke", "--tier", "opus", "-p", "hi", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["model"] == "t/two" and payload["provider"] == "gemini"
    assert "LLM_ROUTER_MODEL=t/two forces this model (overrides --tier opus)" in payload["reason"]


def test_llm_router_provider_forces_the_transport(fakes, capsys, monkeypatch):
    monkeypatch.setenv("LLM_ROUTER_PROVIDER", "opencode")
    code, out, _ = run_main(capsys, "invoke", "--model", "t/one", "-p", "hi", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["provider"] == "opencode" and fakes.table["copilot"].calls == []
    assert fakes.table["opencode"].calls[0][0] == "oc/one"
    assert "LLM_ROUTER_PROVIDER=opencode" in payload["reason"]


def test_unknown_forced_provider_is_a_usage_error(fakes, capsys, monkeypatch):
    monkeypatch.setenv("LLM_ROUTER_PROVIDER", "nobody")
    code, _, err = run_main(capsys, "invoke", "-p", "hi")
    assert code == 2 and "LLM_ROUTER_PROVIDER" in err


# ---- rules ------------------------------------------------------------------------------

def test_jq_rule_picks_the_route_in_automatic_mode(fakes, capsys, data_dir):
    write_policy(data_dir, {**OVERRIDE, "rules": [
        {"when": '.task == "reasoning" and .prompt_chars > 10', "model": "t/two",
         "reason": "long analysis"}]})
    code, out, _ = run_main(capsys, "route", "--json", "-p", "Find the root cause of this crash")
    decision = json.loads(out)
    assert code == 0 and decision["model"] == "t/two" and decision["source"] == "rule"
    assert "long analysis" in decision["reason"]


def test_rules_without_jq_exit_2_naming_setup(fakes, capsys, data_dir, monkeypatch):
    write_policy(data_dir, {**OVERRIDE, "rules": [{"when": ".tokens > 1", "model": "t/two"}]})
    monkeypatch.setitem(sys.modules, "jq", None)
    code, _, err = run_main(capsys, "invoke", "-p", "hello")
    assert code == 2 and "'jq'" in err and "llm-router setup" in err
    code, _, _ = run_main(capsys, "invoke", "--model", "t/one", "-p", "hello")
    assert code == 0  # an explicit model never consults the rules


def test_invalid_jq_rule_exits_2_naming_its_path(fakes, capsys, data_dir):
    write_policy(data_dir, {**OVERRIDE, "rules": [{"when": ".tokens >", "model": "t/two"}]})
    code, _, err = run_main(capsys, "route", "-p", "hello")
    assert code == 2 and "$.rules[0].when" in err


# ---- delegate ---------------------------------------------------------------------------

def test_delegate_with_external_mode_off_runs_claude_with_the_tier(fakes, capsys):
    code, out, _ = run_main(capsys, "delegate", "--tier", "opus", "-p", "review this")
    assert code == 0 and out == "answer from claude\n"
    assert fakes.table["claude"].calls[0][0] == "opus"
    assert fakes.table["copilot"].calls == []


def test_delegate_with_external_mode_on_shows_the_indicator(fakes, capsys):
    state.set_mode(True)
    code, out, _ = run_main(capsys, "delegate", "--tier", "haiku", "-p", "summarize")
    assert code == 0 and re.fullmatch(r"\N{ELECTRIC PLUG} \[External: t/two \N{MIDDLE DOT} thread "
                                      r"[a-z2-7]{5}\]\nanswer from gemini\n", out)
    code, out, _ = run_main(capsys, "delegate", "--tier", "haiku", "-p", "summarize", "--json")
    payload = json.loads(out)
    assert payload["external"] is True and payload["model"] == "t/two"
    assert re.fullmatch(r"[a-z2-7]{5}", payload["thread"])


def test_delegate_stream_puts_the_indicator_before_the_first_delta(fakes, capsys):
    state.set_mode(True)
    fakes("gemini", FakeProvider("gemini", ["ab"], deltas=["a", "b"]))
    code, out, _ = run_main(capsys, "delegate", "--tier", "haiku", "--stream", "-p", "x")
    assert code == 0 and re.fullmatch(r"\N{ELECTRIC PLUG} \[External: t/two \N{MIDDLE DOT} thread "
                                      r"[a-z2-7]{5}\]\nab\n", out)


# ---- scope ------------------------------------------------------------------------------

def test_invoke_scope_reaches_the_provider_and_the_json(fakes, capsys):
    code, out, _ = run_main(capsys, "invoke", "--model", "t/two", "--scope", "read-only", "-p", "x",
                            "--json")
    assert code == 0 and json.loads(out)["scope"] == "read-only"
    assert fakes.table["gemini"].requests[-1].scope == "read-only"
    code, out, _ = run_main(capsys, "invoke", "--model", "t/two", "-p", "x", "--json")
    assert json.loads(out)["scope"] == "write" and fakes.table["gemini"].requests[-1].scope == "write"


def test_delegate_read_only_shows_the_scope_in_the_indicator(fakes, capsys):
    state.set_mode(True)
    code, out, _ = run_main(capsys, "delegate", "--tier", "haiku", "--scope", "read-only", "-p", "x")
    assert code == 0 and re.fullmatch(r"\N{ELECTRIC PLUG} \[External: t/two \N{MIDDLE DOT} read-only "
                                      r"\N{MIDDLE DOT} thread [a-z2-7]{5}\]\nanswer from gemini\n", out)
    assert fakes.table["gemini"].requests[-1].scope == "read-only"
    fakes("gemini", FakeProvider("gemini", ["ab"], deltas=["a", "b"]))
    code, out, _ = run_main(capsys, "delegate", "--tier", "haiku", "--scope=read-only", "--stream",
                            "-p", "x")
    assert re.fullmatch(r"\N{ELECTRIC PLUG} \[External: t/two \N{MIDDLE DOT} read-only "
                        r"\N{MIDDLE DOT} thread [a-z2-7]{5}\]\nab\n", out)


def test_delegate_with_external_mode_off_passes_the_scope_to_claude(fakes, capsys):
    code, out, _ = run_main(capsys, "delegate", "--tier", "opus", "--scope", "read-only", "-p", "x",
                            "--json")
    assert code == 0 and json.loads(out)["scope"] == "read-only"
    assert fakes.table["claude"].requests[-1].scope == "read-only"


def test_an_unknown_scope_is_a_usage_error(fakes, capsys):
    with pytest.raises(SystemExit) as info:
        run_main(capsys, "invoke", "--scope", "admin", "-p", "x")
    assert info.value.code == 2 and "read-only" in capsys.readouterr().err


def test_the_ledger_row_records_the_scope(fakes, capsys, monkeypatch):
    rows = []
    monkeypatch.setattr(accounting, "record", rows.append)
    run_main(capsys, "invoke", "--model", "t/two", "--scope", "read-only", "-p", "x")
    assert [row["scope"] for row in rows] == ["read-only"]


# ---- accounting seam --------------------------------------------------------------------

RECORD_KEYS = {"session_id", "task", "tier", "requested_model", "model_used", "provider",
               "transport", "outcome", "error_class", "input_tokens", "output_tokens",
               "cached_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd",
               "latency_ms", "fallback_position", "one_shot", "prompt_sha256"}
PRECHECK_KEYS = {"prompt_sha256", "session_id", "task", "tier", "model",
                 "estimated_input_tokens", "policy"}


def test_precheck_once_and_record_once_per_attempt(fakes, capsys, monkeypatch):
    checks, rows = [], []
    monkeypatch.setattr(accounting, "precheck", lambda context: checks.append(context) or {})
    monkeypatch.setattr(accounting, "record", rows.append)
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "sess-1")
    fakes.table["copilot"].usable = False
    code, _, _ = run_main(capsys, "invoke", "--tier", "sonnet", "-p", "hi")
    assert code == 0 and len(checks) == 1 and PRECHECK_KEYS <= set(checks[0])
    assert checks[0]["session_id"] == "sess-1" and checks[0]["model"] == "t/one"
    assert [(r["provider"], r["outcome"], r["fallback_position"]) for r in rows] == [
        ("copilot", "skipped", 0), ("opencode", "ok", 1)]
    for row in rows:
        assert RECORD_KEYS <= set(row)
        assert row["session_id"] == "sess-1" and row["requested_model"] == "t/one"
    assert rows[1]["input_tokens"] == 10 and rows[1]["provider_model"] == "oc/one"


def test_precheck_switch_reroutes_to_the_cheaper_model(fakes, capsys, monkeypatch):
    monkeypatch.setattr(accounting, "precheck", lambda context: {"model": "t/two", "reason": "daily cap"})
    code, out, _ = run_main(capsys, "invoke", "--model", "t/one", "-p", "hi", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["model"] == "t/two" and "budget: daily cap" in payload["reason"]


def test_budget_refusal_exits_1_without_calling_anything(fakes, capsys, monkeypatch):
    def refuse(context):
        raise BudgetExceeded("daily cap of $1.00 reached", "raise budgets.daily_usd")

    monkeypatch.setattr(accounting, "precheck", refuse)
    code, _, err = run_main(capsys, "invoke", "-p", "hi")
    assert code == 1 and "daily cap" in err
    assert all(not p.calls for p in fakes.table.values())


# ---- separate processes -----------------------------------------------------------------

FAKE_MODULE = '''
"""Fake providers for bin/llm-router subprocess tests, steered by $FAKE_PROVIDERS."""
import json, os, time
from llm_router import errors
from llm_router.providers.base import Result, Usage


class Fake:
    transport = "cli"

    def _plan(self):
        return json.loads(os.environ.get("FAKE_PROVIDERS", "{}")).get(self.name, {})

    def available(self, options):
        return self._plan().get("available", True), "fake " + self.name

    def run(self, request, timeout):
        plan = self._plan()
        with open(os.environ["FAKE_CALLS"], "a") as log:
            log.write(self.name + "\\n")
        if plan.get("error"):
            raise getattr(errors, plan["error"])(self.name + " failed")
        for _ in range(plan.get("timed_deltas", 0)):
            request.on_text("%.6f\\n" % time.time())
            time.sleep(0.05)
        return Result(text="answer from " + self.name, model=request.model, provider=self.name,
                      usage=Usage(3, 4))


for _name in ("opencode", "gemini", "codex", "copilot", "claude", "openai-http", "anthropic-http", "local-llama"):
    globals()["P_" + _name.replace("-", "_")] = type("P", (Fake,), {"name": _name})
'''

LAUNCHER = '''
import sys
sys.path[0:0] = [{lib!r}, {fake_dir!r}]
from llm_router import providers
for name in list(providers.REGISTRY):
    providers.REGISTRY[name] = "fake_providers:P_" + name.replace("-", "_")
from llm_router.cli import main
sys.exit(main(sys.argv[1:]))
'''


# bin/llm-router runs "$LLM_ROUTER_PYTHON <interpreter options> <lib>/llm_router/__main__.py ARGS":
# a stand-in interpreter drops everything up to and including the script.
DROP_INTERPRETER_ARGS = 'while [ $# -gt 0 ]; do case $1 in */__main__.py) shift; break ;; esac; shift; done\n'


@pytest.fixture
def launcher(tmp_path):
    """Env for bin/llm-router whose registry holds the fake module's providers."""
    fake_dir = tmp_path / "fakeprov"
    fake_dir.mkdir()
    (fake_dir / "fake_providers.py").write_text(FAKE_MODULE)
    (fake_dir / "launch.py").write_text(LAUNCHER.format(lib=LIB, fake_dir=str(fake_dir)))
    python = fake_dir / "python"
    python.write_text(f'#!/bin/sh\n{DROP_INTERPRETER_ARGS}exec "{sys.executable}" "{fake_dir / "launch.py"}" "$@"\n')
    python.chmod(0o755)
    calls = tmp_path / "calls.log"
    calls.write_text("")

    def env(plan: dict) -> dict:
        return {"LLM_ROUTER_PYTHON": str(python), "FAKE_PROVIDERS": json.dumps(plan),
                "FAKE_CALLS": str(calls)}

    env.calls = lambda: calls.read_text().split()
    return env


def test_cooldown_outlives_the_process_that_started_it(cli, launcher):
    env = launcher({"copilot": {"error": "ServerError"}})
    first = cli("invoke", "--model", "t/one", "-p", "hi", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert launcher.calls() == ["copilot", "copilot", "opencode"]  # 2 failures -> cooldown
    second = cli("invoke", "--model", "t/one", "-p", "hi", "--json", env=env)
    assert second.returncode == 0, second.stderr
    assert launcher.calls() == ["copilot", "copilot", "opencode", "opencode"]
    attempt = json.loads(second.stdout)["attempts"][0]
    assert (attempt["provider"], attempt["outcome"], attempt["error_class"]) == (
        "copilot", "skipped", "CoolingDown")


def test_process_exit_codes(cli, launcher):
    assert cli("invoke", "-p", "hi", env=launcher({})).returncode == 0
    assert cli("invoke", env=launcher({})).returncode == 2  # stdin is /dev/null: no prompt
    failing = launcher({name: {"error": "AuthError"} for name in ("copilot", "opencode", "gemini")})
    out = cli("invoke", "-p", "hi", env=failing)
    assert out.returncode == 1 and "every provider in the chain failed" in out.stderr


def read_lags(proc: subprocess.Popen) -> list[float]:
    """Seconds between the timestamp in each streamed line and its arrival on our end."""
    lags, buffer = [], b""
    try:
        while select.select([proc.stdout], [], [], 10)[0]:
            chunk = os.read(proc.stdout.fileno(), 65536)
            arrived = time.time()
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line[:1].isdigit() and b"." in line:
                    lags.append(arrived - float(line))
    finally:
        proc.wait(timeout=30)
    return lags


def test_streamed_text_reaches_stdout_as_soon_as_the_provider_emits_it(launcher):
    env = {**os.environ, **launcher({"copilot": {"timed_deltas": 4}})}
    proc = subprocess.Popen([BIN, "invoke", "--stream", "-p", "hi"], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    lags = read_lags(proc)
    assert proc.returncode == 0 and len(lags) == 4, lags
    assert min(lags) < 0.005, lags  # forwarded and flushed at once
    assert max(lags) < 0.04, lags  # never held back until the next delta (50 ms later)


def test_bin_route_and_models_run_in_a_fresh_interpreter(cli, launcher):
    route = cli("route", "--json", "--task", "long-context", env=launcher({}))
    assert route.returncode == 0 and json.loads(route.stdout)["model"] == "t/two"
    models = cli("models", "--json", env=launcher({"copilot": {"available": False}}))
    assert models.returncode == 0 and json.loads(models.stdout)["default_provider"] == "opencode"


def test_help_documents_json_stream(cli):
    out = cli("invoke", "--help")
    assert out.returncode == 0 and "JSON Lines" in textwrap.dedent(out.stdout).replace("\n", " ")


# ---- the real opencode provider behind a fake `opencode` on PATH --------------------------

FAKE_OPENCODE = r'''
import json, sys, time
model = sys.argv[sys.argv.index("-m") + 1]
sys.stdin.read()  # like opencode: the prompt is read to EOF first
session = {"sessionID": "ses_fake", "timestamp": 1}
def say(event):
    print(json.dumps({**session, **event}), flush=True)
if model.startswith("fail/"):
    say({"type": "error", "error": {"name": "APIError", "data": {
        "message": "internal (mock)", "statusCode": 500, "isRetryable": True}}})
    sys.exit(1)
say({"type": "step_start", "part": {"type": "step-start"}})
for _ in range(4 if model.startswith("stream/") else 0):
    say({"type": "text", "part": {"type": "text", "text": "%.6f\n" % time.time()}})
    time.sleep(0.05)
say({"type": "text", "part": {"type": "text", "text": "pong from " + model}})
say({"type": "step_finish", "part": {"type": "step-finish", "reason": "stop", "cost": 0,
     "tokens": {"total": 14, "input": 11, "output": 3, "reasoning": 0, "cache": {"write": 0, "read": 0}}}})
'''


@pytest.fixture
def real_opencode(fake_bin, data_dir):
    pytest.importorskip("llm_router.providers.opencode")
    fake_bin("opencode", FAKE_OPENCODE)
    policy = json.loads(json.dumps(OVERRIDE))
    policy["external_models"]["t/oc"] = {"tier": "sonnet", "via": [
        {"provider": "opencode", "model": "fail/x"}, {"provider": "opencode", "model": "ok/y"}]}
    policy["external_models"]["t/stream"] = {"tier": "sonnet", "via": [
        {"provider": "opencode", "model": "stream/z"}]}
    write_policy(data_dir, policy)


def test_real_provider_cooldown_outlives_the_process(cli, real_opencode):
    first = cli("invoke", "--model", "t/oc", "-p", "hi", "--json")
    assert first.returncode == 0, first.stderr
    payload = json.loads(first.stdout)
    assert payload["text"] == "pong from ok/y" and payload["usage"]["input_tokens"] == 11
    assert [(a["model"], a["error_class"]) for a in payload["attempts"]] == [
        ("fail/x", "ServerError"), ("fail/x", "ServerError"), ("ok/y", None)]
    second = json.loads(cli("invoke", "--model", "t/oc", "-p", "hi", "--json").stdout)
    assert [(a["model"], a["outcome"], a["error_class"]) for a in second["attempts"]] == [
        ("fail/x", "skipped", "CoolingDown"), ("ok/y", "ok", None)]


def test_real_provider_streams_each_part_as_it_arrives(real_opencode):
    proc = subprocess.Popen([BIN, "invoke", "--model", "t/stream", "--stream", "-p", "hi"],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=dict(os.environ))
    lags = read_lags(proc)
    assert proc.returncode == 0 and len(lags) == 4, lags
    assert max(lags) < 0.04, lags  # each part forwarded before the next one (50 ms later)


HANGING_OPENCODE = r'''
import os, sys, time
sys.stdin.read()
open(os.environ["PID_FILE"], "w").write(str(os.getpid()))
time.sleep(120)
'''


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_router_ended_by_a_signal_takes_its_cli_with_it(fake_bin, data_dir, tmp_path, signame):
    import signal
    import subprocess

    from conftest import BIN

    fake_bin("opencode", HANGING_OPENCODE)
    pid_file = tmp_path / "cli.pid"
    (data_dir / "model-policy.json").write_text(json.dumps({
        "external_models": {"t/hang": {"tier": "sonnet", "via": [{"provider": "opencode", "model": "m/x"}]}},
        "task_routing": {"default": "t/hang"}}))
    router = subprocess.Popen([str(BIN), "invoke", "--task", "default", "-p", "hi"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**os.environ, "PID_FILE": str(pid_file)})
    try:
        deadline = time.monotonic() + 20
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline and router.poll() is None, router.stderr.read()
            time.sleep(0.02)
        cli_pid = int(pid_file.read_text())
        router.send_signal(getattr(signal, signame))
        _out, err = router.communicate(timeout=10)
    finally:
        router.kill()
    assert router.returncode == 128 + getattr(signal, signame), err
    assert f"stopped by signal {getattr(signal, signame)}".encode() in err
    with pytest.raises(ProcessLookupError):
        os.kill(cli_pid, 0)  # gone (and reaped by the router)
