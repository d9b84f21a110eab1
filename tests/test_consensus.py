"""llm-router consensus end to end: bin/llm-router with fake models that take 1, 2 and 3 s."""

import json
import os
import subprocess
import time

import pytest
from conftest import BIN
from mocks.fake_models import fake_models_env, policy_for, recorded

ANSWERS = {"a": "Alpha thinks tabs.", "b": "Bravo thinks spaces.", "c": "Charlie thinks both."}


@pytest.fixture
def setup(tmp_path, data_dir):
    (data_dir / "model-policy.json").write_text(json.dumps(policy_for(["a", "b", "c", "judge"])))

    def make(plan: dict) -> dict:
        return {**os.environ, **fake_models_env(tmp_path, plan)}

    return make


def consensus(env: dict, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    began = time.monotonic()
    out = subprocess.run([str(BIN), "consensus", *args], env=env, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    return out, time.monotonic() - began


def test_three_models_answer_in_parallel_labelled_with_who_answered(setup):
    env = setup({m: {"delay": d, "text": ANSWERS[m]} for m, d in (("a", 1), ("b", 2), ("c", 3))})
    out, wall = consensus(env, "--models", "f/a,f/b,f/c", "-p", "tabs or spaces?", "--json")
    report = json.loads(out.stdout)
    assert out.returncode == 0 and report["answered"] == report["asked"] == 3
    assert [(m["model"], m["text"]) for m in report["members"]] == [
        ("f/a", ANSWERS["a"]), ("f/b", ANSWERS["b"]), ("f/c", ANSWERS["c"])]
    assert wall < 1 + 2 + 3  # the sum is what asking one after another costs
    assert wall < 3 + 2.5, wall  # the slowest model plus process start-up, under a loaded machine
    assert all(r["scope"] == "read-only" for r in recorded(env))


def test_no_model_sees_another_models_answer(setup):
    env = setup({m: {"delay": 0.2 * i, "text": ANSWERS[m]} for i, m in enumerate("abc")})
    out, _ = consensus(env, "--models", "f/a,f/b,f/c", "-p", "tabs or spaces?")
    assert out.returncode == 0
    requests = recorded(env)
    assert sorted(r["model"] for r in requests) == ["a", "b", "c"]
    for request in requests:
        assert request["prompt"] == "tabs or spaces?"
        assert not any(text in request["prompt"] for text in ANSWERS.values())
    assert len({r["pid"] for r in requests}) == 3  # each in a process of its own


def test_one_failing_model_does_not_sink_the_run(setup):
    env = setup({"a": {"text": ANSWERS["a"]}, "b": {"error": "AuthError"}, "c": {"text": ANSWERS["c"]}})
    out, _ = consensus(env, "--models", "f/a,f/b,f/c", "-p", "q")
    assert out.returncode == 5, out.stderr
    assert "# Consensus: 2 of 3 models answered" in out.stdout
    assert "[External: f/a]" in out.stdout and ANSWERS["c"] in out.stdout
    assert "- f/b: AuthError: b failed on purpose" in out.stdout


def test_none_answering_exits_1(setup):
    env = setup({m: {"error": "ServerError"} for m in "ab"})
    out, _ = consensus(env, "--models", "f/a,f/b", "-p", "q", "--json")
    assert out.returncode == 1 and json.loads(out.stdout)["answered"] == 0


def test_synthesis_sees_every_labelled_answer_and_the_question(setup):
    env = setup({**{m: {"text": ANSWERS[m]} for m in "ab"}, "judge": {"text": "They disagree."}})
    out, _ = consensus(env, "--models", "f/a,f/b", "--synthesize", "f/judge", "-p", "tabs or spaces?")
    assert out.returncode == 0
    assert "## Synthesis by \N{ELECTRIC PLUG} [External: f/judge]\nThey disagree." in out.stdout
    [judge] = [r for r in recorded(env) if r["model"] == "judge"]
    assert "## Answer from f/a\nAlpha thinks tabs." in judge["prompt"]
    assert "## Answer from f/b\nBravo thinks spaces." in judge["prompt"]
    assert "tabs or spaces?" in judge["prompt"] and "Disagreements" in judge["prompt"]


def test_models_default_to_the_policy_and_tiers_map_through_it(setup):
    env = setup({})
    out, _ = consensus(env, "-p", "q", "--json")
    assert [m["requested"] for m in json.loads(out.stdout)["members"]] == ["f/a", "f/b", "f/c", "f/judge"]
    out, _ = consensus(env, "--tiers", "opus,haiku", "-p", "q", "--json")
    assert [m["requested"] for m in json.loads(out.stdout)["members"]] == ["f/a"]  # both map to f/a


@pytest.mark.parametrize("args, says", [
    (("--models", "f/a,nope/x", "-p", "q"), "unknown model key(s): nope/x"),
    (("--models", "f/a", "--synthesize", "nope/y", "-p", "q"), "nope/y"),
    (("--tiers", "giant", "-p", "q"), "unknown tier 'giant'"),
    (("--models", "f/a"), "no prompt given"),
])
def test_mistakes_are_usage_errors(setup, args, says):
    out, _ = consensus(setup({}), *args)
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr


def test_consensus_in_the_background_is_collected_with_jobs_result(setup):
    env = setup({m: {"text": ANSWERS[m], "delay": 0.5} for m in "ab"})
    out, wall = consensus(env, "--models", "f/a,f/b", "-p", "q", "--background", "--json")
    job = json.loads(out.stdout)
    assert out.returncode == 0 and wall < 2.5
    got = subprocess.run([str(BIN), "jobs", "result", job["id"], "--wait", "30"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    assert "# Consensus: 2 of 2 models answered" in got.stdout and ANSWERS["b"] in got.stdout


def test_the_second_opinion_agent_runs_only_the_commands_its_job_gives_it():
    import frontmatter
    from conftest import ROOT

    post = frontmatter.load(str(ROOT / "agents" / "second-opinion.md"))
    assert (post["tools"], post["model"]) == ("Bash", "haiku")
    # no command text of its own: the hook hands it `review --job ID` and `consensus --job ID`
    assert "llm-router\" " not in post.content and "<<" not in post.content
    assert "`review:`" in post.content and "`consensus:`" in post.content
    assert "timeout: 600000" in post.content


def test_a_second_opinion_job_runs_once_through_consensus(tmp_path, data_dir):
    from llm_router import handoff

    (data_dir / "model-policy.json").write_text(json.dumps(policy_for(["a", "b"])))
    env = {**os.environ, **fake_models_env(tmp_path, {"a": {"echo": True}, "b": {"text": "B"}})}
    job = handoff.create("which queue is better?", tier="haiku", agent="llm-router:second-opinion",
                         cwd=str(tmp_path), session_id=None, scope="read-only", kind="second-opinion")
    run = [str(BIN), "consensus", "--job", job]
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert "echo: which queue is better?" in out.stdout
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert again.returncode == 2 and "already run" in again.stderr


def test_a_hung_model_is_killed_at_its_own_deadline_and_the_others_still_answer(tmp_path, data_dir,
                                                                                   monkeypatch):
    from llm_router.jobs.store import process_start
    from llm_router.opinions import fanout

    (data_dir / "model-policy.json").write_text(json.dumps(policy_for(["a", "hang"])))
    env = fake_models_env(tmp_path, {"a": {"text": "fast"}, "hang": {"delay": 60}})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(fanout, "MEMBER_GRACE_S", 1.0)  # the fake ignores its deadline: the backstop acts
    began = time.monotonic()
    fast, hung = fanout.ask_all("q", ["f/a", "f/hang"], timeout_s=1.0)
    assert time.monotonic() - began < 10
    assert (fast["ok"], fast["text"]) == (True, "fast")
    assert (hung["ok"], hung["error_class"]) == (False, "ProviderTimeout")
    [hung_request] = [r for r in recorded(env) if r["model"] == "hang"]
    assert process_start(hung_request["pid"]) is None  # its member process was killed


def test_cancelling_a_consensus_job_kills_every_member_and_what_they_started(setup):
    from llm_router.jobs.store import process_start
    from mocks.fake_models import spawned

    env = setup({"a": {"spawn": True, "delay": 60}, "b": {"spawn": True, "delay": 60}})
    out, _ = consensus(env, "--models", "f/a,f/b", "-p", "q", "--background", "--json")
    job = json.loads(out.stdout)["id"]
    deadline = time.monotonic() + 20
    while len(spawned(env)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    members = [r["pid"] for r in recorded(env)]
    assert len(spawned(env)) == 2 and all(process_start(pid) for pid in members + spawned(env))
    done = subprocess.run([str(BIN), "jobs", "cancel", job], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [pid for pid in members + spawned(env) if process_start(pid)] == []
