"""Issue 12 through the real `claude` binary: `/pa --review --base main` gives the merged,
ranked table of two reviewers, and `/pa --background <request>` returns a job id whose answer
`/pa --result ID` collects later, in another Claude Code session. The models are the fakes of
tests/mocks/fake_models.py (bin/llm-router runs them through LLM_ROUTER_PYTHON)."""

import json
import re

import pytest

from claude_harness import claude_bin, mock, run_claude  # noqa: F401 (fixtures)
from conftest import run_cli
from mocks.fake_models import fake_models_env, policy_for, recorded
from test_review import R1, R2, repo  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e
JOB_ID = re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{6}\b")


@pytest.fixture
def pa(claude_bin, mock, tmp_path, data_dir):
    """pa(arguments, cwd, plan) -> what the model saw after the /pa command's `!` line ran."""
    (data_dir / "model-policy.json").write_text(json.dumps(policy_for(["r1", "r2"])))

    def run(arguments: str, cwd, plan: dict) -> str:
        env = {"LLM_ROUTER_HOME": str(data_dir), **fake_models_env(tmp_path, plan)}
        proc = run_claude(["-p", "--output-format", "json", "--plugin-dir", str(run.root),
                           f"/pa {arguments}"], tmp_path / "home", mock.url, env, cwd=cwd, timeout=180)
        assert proc.returncode == 0, proc.stderr
        run.env = env
        return mock.model_requests()[-1].text()

    from conftest import ROOT
    run.root = ROOT
    return run


def test_pa_review_shows_the_merged_table(pa, repo):
    seen = pa("--review --base main --models f/r1,f/r2", repo, {"r1": {"text": R1}, "r2": {"text": R2}})
    row = re.search(r"1 +critical +2/2 +app\.py:11-13 +SQL injection in query", seen)
    assert row, seen[-3000:]
    assert "util.py" in seen  # r2's own finding is listed too
    assert {r["scope"] for r in recorded(pa.env)} == {"read-only"}  # reviewers never write


def test_pa_background_then_result_in_a_later_session(pa, tmp_path, data_dir):
    plan = {"r1": {"text": "BACKGROUND-ANSWER-42", "delay": 1}}
    seen = pa("--background summarize the build log", tmp_path, plan)
    ids = JOB_ID.findall(seen)
    assert ids, seen[-2000:]
    done = run_cli("jobs", "result", ids[0], "--wait", "60", env=pa.env)
    assert done.returncode == 0, done.stderr
    seen = pa(f"--result {ids[0]}", tmp_path, plan)
    assert "BACKGROUND-ANSWER-42" in seen and "[External: f/r1" in seen
    assert [r["prompt"] for r in recorded(pa.env)] == ["summarize the build log"]


def opinion_model(pick, mangle=lambda command: command):
    """The mock's model: the main thread calls llm-router:second-opinion; the subagent runs the
    `pick:` command its prompt holds (as a model would), through `mangle`; results are echoed."""
    from test_agents_e2e import _agent_tool, _result_text, _tool_results, texts
    from mocks.messages_api import Reply

    def respond(body, index):
        results = _tool_results(body)
        if "cc_is_subagent=true" not in json.dumps(body.get("system", "")):
            if results:
                return Reply(text="MAIN-SAW: " + _result_text(results[0]))
            return Reply(tool_name=_agent_tool(body), tool_input={
                "subagent_type": "llm-router:second-opinion", "description": "second opinion",
                "prompt": "Which message queue fits us better?", "run_in_background": False})
        if results:
            return Reply(text=_result_text(results[0]))
        line = next((found.group(1) for text in texts(body)
                     for found in [re.search(rf"^{pick}: (.+)$", text, re.M)] if found), None)
        if line is None:
            return Reply(text="NO-COMMAND-IN-PROMPT")
        return Reply(tool_name="Bash", tool_input={"command": mangle(line), "timeout": 600000})
    return respond


@pytest.mark.parametrize("mangled", [False, True])
def test_second_opinion_runs_its_own_command_unasked_and_nothing_else(pa, mock, tmp_path, mangled):
    canary = tmp_path / "pwned"
    mock.responder = opinion_model("consensus", (lambda c: f"{c}; touch {canary}") if mangled else str)
    # any prompt starts the scripted Agent call; /pa --external status changes nothing
    seen = pa("--external status", tmp_path, {"r1": {"echo": True}, "r2": {"text": "R2-SAYS-KAFKA"}})
    assert "subagent_tokens" in seen  # the second-opinion agent ran and answered the main thread
    asked = [r["prompt"] for r in recorded(pa.env)]
    if mangled:  # not pre-approved: in -p, Claude Code refuses it, so nothing ran at all
        assert asked == [] and not canary.exists()
    else:
        assert asked == ["Which message queue fits us better?"] * 2
        assert "R2-SAYS-KAFKA" in seen and "echo: Which message queue fits us better?" in seen
