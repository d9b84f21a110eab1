"""The relay's pre-approval: only the exact command of a pending job of this session is
allowed. Each case below is an attack on it (issue 10, finding 1); none may be allowed."""

import os
import shlex

import pytest
from conftest import ROOT
from llm_router import handoff
from llm_router.hooks import delegate_permission as dp

RELAY = "llm-router:external-delegate"
SESSION = "5f0c7f8e-0000-4000-8000-000000000001"


def event(command, agent=RELAY, session=SESSION):
    return {"tool_name": "Bash", "agent_type": agent, "session_id": session,
            "tool_input": {"command": command}}


def allowed(command, data_dir, **kwargs) -> bool:
    out = dp.decide(event(command, **kwargs), str(ROOT), str(data_dir))
    return out is not None and out["hookSpecificOutput"]["permissionDecision"] == "allow"


@pytest.fixture
def data(tmp_path):
    """A data dir whose path needs quoting, so the quoting itself is under test."""
    return tmp_path / "my data's $(dir)"


@pytest.fixture
def job(data):
    job_id = handoff.create("map the repo", tier="haiku", agent="llm-router:explorer", cwd="/tmp",
                            session_id=SESSION, scope="read-only", data_dir=str(data))
    return job_id, handoff.command(job_id, str(data), str(ROOT))


def test_the_exact_command_of_a_pending_job_is_allowed(job, data):
    job_id, command = job
    assert allowed(command, data)
    assert command == (f"LLM_ROUTER_HOME={shlex.quote(str(data))} "
                       f"{shlex.quote(str(ROOT / 'bin' / 'llm-router'))} delegate --job {job_id}")


def _crafted(command: str, job_id: str, bin_path: str, data) -> list[str]:
    lookalikes = [command.replace("--job", "\u2010\u2010job"),           # hyphens
                  command.replace("delegate", "d\u0435legate"),          # Cyrillic e
                  command.replace(job_id, job_id[:-1] + "\u0430"),       # Cyrillic a in the id
                  command.replace(" ", "\u00a0", 1),                      # no-break space
                  command.replace(job_id, job_id.upper()),
                  command + "\u200b"]                                     # zero-width space
    return [
        command + "\n", command + " ", " " + command, command + "\ntouch pwned",
        command + "; touch pwned", command + " && touch pwned", command + " | sh",
        command + " $(touch pwned)", command + " `touch pwned`", command + " # x",
        command + " --tier opus", command + " --prompt-file /etc/passwd", command + " > /tmp/x",
        "FOO=1 " + command, "env " + command, "touch pwned; " + command,
        command.replace("LLM_ROUTER_HOME=", "LLM_ROUTER_HOME=/tmp/other "),
        command.replace(" delegate", "  delegate"), command.replace("'", '"'),
        f"{bin_path} delegate --job {job_id}", f"llm-router delegate --job {job_id}",
        command.replace(job_id, job_id[:-2] + "$(x)"),
        command.replace(shlex.quote(str(data)), shlex.quote(str(data) + "/")),
        # the review's bypass: an unbalanced quote turns the "heredoc" into a quoted string
        f"\"{bin_path} delegate --tier haiku <<'LLM_ROUTER_TASK_EOF'\nx\"; touch pwned #\nLLM_ROUTER_TASK_EOF",
        f"{bin_path} delegate --tier haiku <<'LLM_ROUTER_TASK_EOF'\ntask\nLLM_ROUTER_TASK_EOF",
        *lookalikes,
    ]


def test_crafted_commands_are_never_allowed(job, data):
    job_id, command = job
    bin_path = str(ROOT / "bin" / "llm-router")
    for crafted in _crafted(command, job_id, bin_path, data):
        assert crafted != command
        assert not allowed(crafted, data), repr(crafted)
    assert allowed(command, data)  # and the real one still is: the checks above were live


def test_an_unknown_id_is_not_allowed(data_dir):
    made_up = "0123456789abcdef0123456789abcdef"
    assert not allowed(handoff.command(made_up, str(data_dir), str(ROOT)), data_dir)


def test_a_used_job_is_not_allowed(job, data):
    job_id, command = job
    handoff.consume(job_id, SESSION, str(data))
    assert not allowed(command, data)


def test_another_sessions_job_is_not_allowed(job, data):
    _job_id, command = job
    assert not allowed(command, data, session="someone-else")
    assert not allowed(command, data, session="")
    assert not allowed(command, data, session=None)


def test_a_job_in_another_data_dir_is_not_allowed(tmp_path, data_dir):
    other = tmp_path / "other-data"
    job_id = handoff.create("x", tier="haiku", agent="a", cwd="/", session_id=SESSION,
                            scope="write", data_dir=str(other))
    assert not allowed(handoff.command(job_id, str(other), str(ROOT)), data_dir)


def test_only_inside_the_relay_agent(job, data):
    _job_id, command = job
    assert not allowed(command, data, agent="llm-router:explorer")
    assert not allowed(command, data, agent=None)


def test_a_job_file_that_is_not_a_regular_file_is_not_allowed(data_dir):
    job_id = "fedcba9876543210fedcba9876543210"
    folder = data_dir / handoff.JOBS_DIR
    folder.mkdir(exist_ok=True)
    os.symlink("/dev/zero", folder / f"{job_id}.json")
    assert not allowed(handoff.command(job_id, str(data_dir), str(ROOT)), data_dir)


# ---- the second-opinion agent: its job runs through `review --job` or `consensus --job` ----

OPINION = "llm-router:second-opinion"


@pytest.fixture
def opinion_job(data):
    return handoff.create("review my change", tier="haiku", agent=OPINION, cwd="/tmp",
                          session_id=SESSION, scope="read-only", data_dir=str(data),
                          kind="second-opinion")


@pytest.mark.parametrize("verb", ["review", "consensus"])
def test_second_opinion_runs_its_own_job_exactly(opinion_job, data, verb):
    command = handoff.command(opinion_job, str(data), str(ROOT), verb)
    assert allowed(command, data, agent=OPINION)
    assert not allowed(command, data)  # the relay may not run it
    assert not allowed(command, data, agent="llm-router:explorer")
    for crafted in (command + "; touch pwned", command + " --base main", command + " -p x",
                    command.replace(verb, "delegate"), "FOO=1 " + command,
                    command.replace(verb, verb + " --background")):
        assert not allowed(crafted, data, agent=OPINION), crafted


def test_jobs_do_not_cross_kinds(job, opinion_job, data):
    relay_id, relay_command = job
    # a relay job through the second-opinion's verbs, or its own command from that agent: no
    assert not allowed(handoff.command(relay_id, str(data), str(ROOT), "review"), data, agent=OPINION)
    assert not allowed(relay_command, data, agent=OPINION)
    # a second-opinion job through `delegate`, from the relay: no
    assert not allowed(handoff.command(opinion_job, str(data), str(ROOT)), data)
    with pytest.raises(Exception, match="not a relay job"):
        handoff.consume(opinion_job, session_id=SESSION, data_dir=str(data))
