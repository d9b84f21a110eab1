"""Budgets end to end: `bin/llm-router invoke` in a real process, a fake `opencode` CLI on PATH."""

import json

import pytest

FAKE_OPENCODE = r'''
import json, os, sys
args = sys.argv[1:]
sys.stdin.buffer.read()
model = args[args.index("-m") + 1]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(model + "\n")
print(json.dumps({"type": "text", "sessionID": "ses_t", "part": {"type": "text", "text": f"answer from {model}"}}))
print(json.dumps({"type": "step_finish", "sessionID": "ses_t", "part": {"type": "step-finish", "reason": "stop",
      "tokens": {"input": 3, "output": 4, "reasoning": 0, "cache": {"read": 0, "write": 0}}}}))
'''


@pytest.fixture
def setup(fake_bin, data_dir, tmp_path, monkeypatch):
    fake_bin("opencode", FAKE_OPENCODE)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_LOG", str(log))

    def policy(on_exceed: str) -> None:
        budgets = {"daily_usd": 0.01, "on_exceed": on_exceed}
        if on_exceed == "fallback":
            budgets["fallback_model"] = "cheap/small"
        (data_dir / "model-policy.json").write_text(json.dumps({
            "external_models": {
                "pricey/big": {"tier": "opus", "via": [{"provider": "opencode", "model": "p/big"}]},
                "cheap/small": {"tier": "haiku", "via": [{"provider": "opencode", "model": "c/small"}]}},
            "task_routing": {"default": "pricey/big"},
            "pricing": {"models": {"pricey/big": {"input": 1_000_000, "output": 1_000_000},
                                   "cheap/small": {"input": 0.0001, "output": 0.0001}}},
            "budgets": budgets}))

    return policy, log


def test_a_cap_that_would_be_passed_refuses_before_any_cli_runs(cli, setup):
    policy, log = setup
    policy("refuse")
    out = cli("invoke", "--json", "-p", "hello world")
    assert out.returncode == 1
    assert "daily" in out.stderr.lower() and "Traceback" not in out.stderr
    assert not log.exists()


def test_a_cap_can_move_the_call_to_the_cheaper_model(cli, setup):
    policy, log = setup
    policy("fallback")
    out = cli("invoke", "--json", "-p", "hello world")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["model"] == "cheap/small" and answer["text"] == "answer from c/small"
    assert log.read_text().split() == ["c/small"]
