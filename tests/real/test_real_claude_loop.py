"""The whole loop with no mock between llm-router and the model (issue 11): the real `claude`
binary (its own model played by the loopback Messages mock) calls an Agent, the PreToolUse
hook hands the task to the relay, the relay's one Bash command runs `llm-router delegate --job`,
and that reaches a real llama.cpp server (Gemma 3 270M) through the openai-http provider. The
main thread gets the local model's own answer under the indicator, and the ledger row carries
the server's own token counts."""

import sys
from pathlib import Path

import pytest
from _servers import llama, server_logs  # noqa: F401  (fixtures)
from test_real_servers import direct_usage, rows, write_policy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from claude_harness import claude, claude_bin, mock  # noqa: E402,F401  (fixtures)
from conftest import run_cli  # noqa: E402
from test_agents_e2e import main_thread, scripted_model  # noqa: E402

pytestmark = [pytest.mark.real_server, pytest.mark.slow, pytest.mark.e2e]
TASK = "Say hello in one short sentence."


def test_an_agent_call_reaches_the_real_local_model_through_the_relay(claude, mock, llama, data_dir):  # noqa: F811
    write_policy(data_dir)  # haiku -> local/gemma on the shipped llamacpp endpoint
    env = {"LLAMACPP_BASE_URL": llama.url}
    assert run_cli("mode", "on").returncode == 0
    mock.responder = scripted_model("llm-router:explorer", task=TASK)
    proc = claude("map this project", extra_env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr

    final = main_thread(mock)[-1].text()
    assert "[External: local/gemma" in final, final[-2000:]
    (row,) = [r for r in rows() if r["outcome"] == "ok"]
    assert row["model_used"] == "local/gemma" and row["scope"] == "read-only"
    # the relay's job carried the task byte for byte, so the server's own count for it matches
    usage = direct_usage(llama.url, TASK)
    assert (row["input_tokens"], row["output_tokens"]) == (usage["prompt_tokens"], usage["completion_tokens"])
    assert "SUBAGENT-DID-THE-WORK-ITSELF" not in final  # nothing was done on Claude
