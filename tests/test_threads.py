"""Threads: the store (ids, 0600 files, locked appends, a corrupt file), `--continue` through each
CLI's own resume form (real provider classes driving fake CLIs), --allow-switch, the indicator,
`llm-router threads`, and the brief."""

import io
import json
import os
import re
import stat
import subprocess
import sys
import threading as _threading

import pytest
from conftest import run_cli
from llm_router import cli, threads
from llm_router.commands.invoke import indicator_line
from mocks.fake_cli import FakeCLI
from test_providers_claude import OK as CLAUDE_OK
from test_providers_codex import OK as CODEX_OK
from test_providers_copilot import OK as COPILOT_OK
from test_providers_copilot import USAGE as COPILOT_USAGE
from test_providers_gemini import OK as GEMINI_OK
from test_providers_opencode import step as opencode_step

THREAD_ID = r"[a-z2-7]{5}"


# ---- the store ------------------------------------------------------------------------------

def turn(n: int) -> dict:
    return {"prompt_sha256": f"p{n}", "answer_sha256": f"a{n}", "row_ids": [f"r{n}"]}


def add(thread_id: str, n: int, **extra) -> dict:
    return threads.add_turn(thread_id, turn(n), model="m/x", provider="codex",
                            provider_session_id=extra.get("session", "s1"), cwd="/w",
                            scope="write", answer_text=extra.get("answer", f"answer {n}"))


def test_ids_are_short_unique_and_reserved_with_private_files(data_dir):
    ids = {threads.reserve() for _ in range(200)}
    assert len(ids) == 200 and all(re.fullmatch(THREAD_ID, i) for i in ids)
    some = next(iter(ids))
    add(some, 1)
    mode = stat.S_IMODE(os.stat(threads._path(some)).st_mode)
    assert mode == 0o600
    threads.release(some)  # a thread with turns is never released
    assert threads.load(some)["turns"][0]["prompt_sha256"] == "p1"


def test_a_thread_survives_a_new_process(data_dir):
    thread_id = threads.reserve()
    add(thread_id, 1, session="sess-9")
    code = ("import json; from llm_router import threads; "
            f"print(json.dumps(threads.load('{thread_id}')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.path.join(os.getcwd(), "lib")})
    thread = json.loads(proc.stdout)
    assert thread["provider_session_id"] == "sess-9" and len(thread["turns"]) == 1


def test_a_corrupt_thread_file_is_a_clear_error_and_the_others_stay_intact(data_dir, capsys):
    good, bad = threads.reserve(), threads.reserve()
    add(good, 1)
    add(bad, 1)
    with open(threads._path(bad), "w") as handle:
        handle.write('{"id": "x", "tur')
    with pytest.raises(threads.ThreadError) as caught:
        threads.load(bad)
    assert "damaged" in caught.value.message and "remove" in caught.value.hint
    assert threads.load(good)["turns"]
    found, damaged = threads.list_threads()
    assert [t["id"] for t in found] == [good] and damaged == [bad]
    assert cli.main(["threads", "list"]) == 0
    out = capsys.readouterr().out
    assert good in out and f"{bad}  (damaged" in out
    assert cli.main(["threads", "show", bad]) == 2
    assert "damaged" in capsys.readouterr().err


def test_unknown_and_malformed_ids_are_usage_errors(data_dir):
    with pytest.raises(threads.ThreadError, match="no thread"):
        threads.load("aaaaa")
    with pytest.raises(threads.ThreadError, match="not a thread id"):
        threads.load("../x")


def test_24_concurrent_appends_on_3_threads_keep_every_turn_once(data_dir):
    ids = [threads.reserve() for _ in range(3)]
    code = ("import sys; from llm_router import threads; "
            "threads.add_turn(sys.argv[1], {'prompt_sha256': sys.argv[2]}, model='m/x', "
            "provider='codex', provider_session_id='s', cwd='/w', scope='write', answer_text='a')")
    env = {**os.environ, "PYTHONPATH": os.path.join(os.getcwd(), "lib")}
    procs = [subprocess.Popen([sys.executable, "-c", code, ids[n % 3], f"t{n}"], env=env)
             for n in range(24)]
    assert all(p.wait(60) == 0 for p in procs)
    seen = []
    for thread_id in ids:
        turns = threads.load(thread_id)["turns"]
        assert len(turns) == 8 and [t["n"] for t in turns] == list(range(1, 9))
        seen += [t["prompt_sha256"] for t in turns]
    assert sorted(seen) == sorted(f"t{n}" for n in range(24))


def test_prune_removes_only_old_threads(data_dir):
    old, new = threads.reserve(), threads.reserve()
    add(old, 1)
    add(new, 1)
    os.utime(threads._path(old), (1, 1))
    assert threads.prune(3600) == [old]
    assert threads.load(new) and not os.path.exists(threads._path(old))


def test_the_indicator_names_scope_thread_and_switch():
    assert indicator_line("codex/gpt-5.2", "write", "k3f9a") == \
        "\N{ELECTRIC PLUG} [External: codex/gpt-5.2 \N{MIDDLE DOT} thread k3f9a]\n"
    assert indicator_line("k", "read-only", "k3f9a") == \
        "\N{ELECTRIC PLUG} [External: k \N{MIDDLE DOT} read-only \N{MIDDLE DOT} thread k3f9a]\n"
    assert indicator_line("k", "write", "k3f9a", "c/old").endswith(
        "thread k3f9a \N{MIDDLE DOT} switched from c/old]\n")
    assert indicator_line("k") == "\N{ELECTRIC PLUG} [External: k]\n"


# ---- --continue through each CLI's own resume form ------------------------------------------

# (provider, first output, usage file, its session id, the resume argv it must receive)
PROVIDERS = {
    "codex": (CODEX_OK, None, "01a2", ["exec", "resume", "01a2"]),
    "claude": ([CLAUDE_OK], None, "0ee4", ["--resume", "0ee4"]),
    "copilot": (COPILOT_OK, COPILOT_USAGE, "7dde", ["--resume=7dde"]),
    "opencode": (opencode_step(["pong"], (11, 3, 0, 0, 0), session="ses_7"), None, "ses_7",
                 ["--session", "ses_7"]),
    "gemini": ([GEMINI_OK], None, "5fdf", ["--resume", "5fdf"]),
}


@pytest.fixture
def five(data_dir, fake_bin, tmp_path, monkeypatch):
    """One model per CLI provider, each CLI a fake that records its argv."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    fakes, models, providers = {}, {}, {}
    for name, (stdout, usage, _sid, _form) in PROVIDERS.items():
        fake = FakeCLI(fake_bin, tmp_path, name)
        fakes[name] = fake
        providers[name] = fake.script(stdout=stdout, usage_file=usage)
        models[f"t/{name}"] = {"tier": "sonnet", "via": [{"provider": name, "model": "m"}]}
    models["t/codex"]["fallbacks"] = ["t/gemini"]
    policy = {"external_models": models, "providers": providers,
              "claude_to_external_map": {"opus": "t/codex", "sonnet": "t/codex", "haiku": "t/codex"},
              "task_routing": {"default": "t/codex"},
              "routing": {"retries": 0, "backoff_base_s": 0, "backoff_max_s": 0}}
    (data_dir / "model-policy.json").write_text(json.dumps(policy))
    return fakes


def invoke(capsys, *args) -> dict:
    code = cli.main(["invoke", "--json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def contains(argv: list, part: list) -> bool:
    return any(argv[i:i + len(part)] == part for i in range(len(argv)))


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_continue_resumes_the_session_with_the_providers_own_form(five, capsys, name, tmp_path):
    _stdout, _usage, session, form = PROVIDERS[name]
    first = invoke(capsys, "--model", f"t/{name}", "-p", "find the bug", "--cwd", str(tmp_path))
    assert re.fullmatch(THREAD_ID, first["thread"])
    assert not contains(five[name].argv, form)
    assert "--ephemeral" not in five[name].argv and "--no-session-persistence" not in five[name].argv
    second = invoke(capsys, "--continue", first["thread"], "-p", "now fix it")
    assert second["thread"] == first["thread"] and second["model"] == f"t/{name}"
    assert contains(five[name].argv, form), five[name].argv
    assert five[name].stdin == b"now fix it"
    thread = threads.load(first["thread"])
    assert thread["provider_session_id"] == session and thread["cwd"] == str(tmp_path)
    assert [len(t["row_ids"]) for t in thread["turns"]] == [1, 1]
    assert thread["turns"][1]["prompt_sha256"] == __import__("hashlib").sha256(b"now fix it").hexdigest()


def test_the_ledger_rows_carry_the_turns_row_ids(five, capsys):
    from llm_router.usage import ledger

    first = invoke(capsys, "--model", "t/gemini", "-p", "x")
    row_id = threads.load(first["thread"])["turns"][0]["row_ids"][0]
    ledger.drain_journal()
    conn = ledger.connect()
    try:
        rows = conn.execute("SELECT provider_session_id FROM calls WHERE row_id = ?",
                            (row_id,)).fetchall()
    finally:
        conn.close()
    assert [tuple(r) for r in rows] == [("5fdf",)]


def test_an_unavailable_provider_is_a_clear_error_without_allow_switch(five, capsys, fake_bin):
    first = invoke(capsys, "--model", "t/codex", "-p", "investigate")
    os.unlink(five["codex"].path)  # codex is no longer installed
    code = cli.main(["invoke", "--continue", first["thread"], "-p", "now fix it"])
    err = capsys.readouterr().err
    assert code == 2 and f"thread {first['thread']} cannot continue on t/codex" in err
    assert "--allow-switch" in err
    assert len(threads.load(first["thread"])["turns"]) == 1


def test_allow_switch_continues_on_the_next_model_with_a_summary(five, capsys):
    first = invoke(capsys, "--model", "t/codex", "-p", "investigate")
    other = invoke(capsys, "--model", "t/codex", "-p", "investigate more")
    os.unlink(five["codex"].path)
    second = invoke(capsys, "--continue", first["thread"], "--allow-switch", "-p", "now fix it")
    assert second["model"] == "t/gemini" and second["switched_from"] == "t/codex"
    assert second["thread"] == first["thread"]
    sent = five["gemini"].stdin.decode()
    assert sent.endswith("now fix it") and "t/codex" in sent
    assert "MOCK-REPLY" in sent  # codex's last answer is part of the summary
    assert "--resume" not in five["gemini"].argv
    code = cli.main(["delegate", "--continue", other["thread"], "--allow-switch", "-p", "go on"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith(
        f"\N{ELECTRIC PLUG} [External: t/gemini \N{MIDDLE DOT} thread {other['thread']} "
        "\N{MIDDLE DOT} switched from t/codex]\n")
    # the switched thread now lives on gemini: the next turn resumes gemini's own session
    code = cli.main(["delegate", "--continue", first["thread"], "-p", "more"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith(
        f"\N{ELECTRIC PLUG} [External: t/gemini \N{MIDDLE DOT} thread {first['thread']}]\n")
    assert contains(five["gemini"].argv, ["--resume", "5fdf"]) and five["gemini"].stdin == b"more"
    thread = threads.load(first["thread"])
    assert [t.get("switched_from") for t in thread["turns"]] == [None, "t/codex", None]
    assert [t["provider"] for t in thread["turns"]] == ["codex", "gemini", "gemini"]


def test_allow_switch_needs_continue(five, capsys):
    assert cli.main(["invoke", "--allow-switch", "-p", "x"]) == 2
    assert "--allow-switch needs --continue" in capsys.readouterr().err
    assert cli.main(["invoke", "--continue", "aaaaa", "--model", "t/gemini", "-p", "x"]) == 2
    assert "--continue takes the thread's own model" in capsys.readouterr().err


def test_a_failed_call_leaves_no_empty_thread(five, capsys):
    five["gemini"].script(stdout=[], exit=1, stderr="boom")
    before = os.listdir(threads.threads_dir()) if os.path.isdir(threads.threads_dir()) else []
    assert cli.main(["invoke", "--model", "t/gemini", "-p", "x"]) == 1
    after = [n for n in os.listdir(threads.threads_dir()) if n.endswith(".json")]
    assert sorted(after) == sorted(n for n in before if n.endswith(".json"))


def test_threads_show_and_json_list(five, capsys):
    first = invoke(capsys, "--model", "t/gemini", "-p", "x")
    assert cli.main(["threads", "show", first["thread"]]) == 0
    out = capsys.readouterr().out
    assert f"thread {first['thread']}: t/gemini via gemini (session 5fdf)" in out
    assert cli.main(["threads", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed["threads"]] == [first["thread"]]


def test_concurrent_continues_keep_every_turn_once(five, capsys):
    """24 `invoke --continue` processes on 3 threads: every turn stored exactly once."""
    ids = [invoke(capsys, "--model", "t/gemini", "-p", f"start {n}")["thread"] for n in range(3)]
    env = {**os.environ, "PYTHONPATH": os.path.join(os.getcwd(), "lib")}
    results = []

    def one(n: int) -> None:
        proc = run_cli("invoke", "--json", "--continue", ids[n % 3], "-p", f"turn {n}", env=env)
        results.append(proc.returncode)

    workers = [_threading.Thread(target=one, args=(n,)) for n in range(24)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert results == [0] * 24
    for thread_id in ids:
        assert len(threads.load(thread_id)["turns"]) == 9


# ---- the brief ------------------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print(1)\n")
    git = ["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    (root / "src" / "app.py").write_text("print(2)\n")
    return root


def test_the_brief_names_root_branch_files_and_status(five, capsys, repo):
    outside = repo.parent / "secret.txt"
    outside.write_text("x")
    payload = invoke(capsys, "--model", "t/gemini", "--brief", "--cwd", str(repo),
                     "-p", "fix src/app.py and ../secret.txt and nothere.py")
    sent = five["gemini"].stdin.decode()
    assert sent.startswith("[llm-router brief") and sent.endswith(
        "fix src/app.py and ../secret.txt and nothere.py")
    assert f"{repo} (branch main)" in sent and "src/app.py" in sent and " M src/app.py" in sent
    assert "secret.txt\n" not in sent.split("[end of brief")[0].split("files named")[-1]
    assert "nothere.py\n" not in sent and "(no upstream)" in sent
    assert payload["brief"]["chars"] == sent.index("fix src/app.py")
    assert "git status --short" in payload["brief"]["sections"]
    # a continue never gets a brief again
    invoke(capsys, "--continue", payload["thread"], "--brief", "-p", "next")
    assert five["gemini"].stdin == b"next"


def test_the_brief_is_bounded_by_policy(five, capsys, repo, data_dir):
    policy = json.loads((data_dir / "model-policy.json").read_text())
    policy["brief"] = {"max_tokens": 40}
    (data_dir / "model-policy.json").write_text(json.dumps(policy))
    payload = invoke(capsys, "--model", "t/gemini", "--brief", "--cwd", str(repo), "-p", "x")
    assert payload["brief"]["chars"] <= 160 and payload["brief"]["truncated"] is True


def test_invoke_has_no_brief_by_default_and_delegate_has_one(five, capsys, repo):
    invoke(capsys, "--model", "t/gemini", "--cwd", str(repo), "-p", "x")
    assert five["gemini"].stdin == b"x"
    from llm_router import state

    state.set_mode(True)
    assert cli.main(["delegate", "--tier", "haiku", "--cwd", str(repo), "-p", "y"]) == 0
    capsys.readouterr()
    assert five["codex"].stdin.decode().startswith("[llm-router brief")
    assert cli.main(["delegate", "--tier", "haiku", "--no-brief", "--cwd", str(repo), "-p", "y"]) == 0
    assert five["codex"].stdin == b"y"


def test_a_repository_diff_driver_is_never_run(five, capsys, repo):
    """.gitattributes (shipped by the repository) names a diff driver; the brief's git calls
    must not run it even when the user's config defines one."""
    canary = repo.parent / "canary"
    (repo / ".gitattributes").write_text("*.py diff=evil\n")
    subprocess.run(["git", "-C", str(repo), "config", "diff.evil.command",
                    f"touch {canary}"], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "diff.evil.textconv",
                    f"touch {canary}; cat"], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "core.fsmonitor",
                    f"touch {canary}; true"], check=True)
    invoke(capsys, "--model", "t/gemini", "--brief", "--cwd", str(repo), "-p", "look at src/app.py")
    assert not canary.exists()


def test_transcript_lines_only_for_write_scope_and_redacted(tmp_path, repo):
    from llm_router import brief

    transcript = tmp_path / "t.jsonl"
    secret = "sk-ant-api03-" + "A" * 40
    transcript.write_text("\n".join(json.dumps(e) for e in [
        {"type": "user", "message": {"content": f"my key is {secret}"}},
        {"type": "assistant", "message": {"content": [{"type": "text", "text": "noted"}]}},
    ]) + "\n")
    policy = {"brief": {"max_tokens": 1500, "transcript_lines": 5}}
    text, info = brief.build("x", str(repo), "write", str(transcript), policy)
    assert "assistant: noted" in text and secret not in text
    text, _ = brief.build("x", str(repo), "read-only", str(transcript), policy)
    assert "noted" not in text
    text, _ = brief.build("x", str(repo), "write", str(transcript), {"brief": {"transcript_lines": 0}})
    assert "noted" not in text


# ---- the relay: a resumed agent reaches the same thread -------------------------------------

def test_a_relay_job_maps_its_agent_to_the_thread_and_a_resume_continues_it(five, capsys, data_dir):
    from llm_router import handoff, state
    from llm_router.hooks import agent as agent_hook
    from llm_router.hooks import agent_redirect

    state.set_mode(True)
    session = "sess-1"
    monkey_env = {"CLAUDE_CODE_SESSION_ID": session}
    os.environ.update(monkey_env)
    try:
        job_id = handoff.create("investigate", tier="haiku", agent="llm-router:explorer",
                                cwd=str(data_dir), session_id=session, scope="read-only",
                                transcript_path="/nowhere.jsonl")
        command = handoff.command(job_id, os.path.abspath(str(data_dir)))
        # the relay subagent's Bash call, as its PreToolUse event carries it
        out = agent_hook.handle({"tool_name": "Bash", "tool_input": {"command": command},
                                 "session_id": session, "agent_id": "a1b2c3", "cwd": str(data_dir),
                                 "agent_type": "llm-router:external-delegate"})
        assert out["hookSpecificOutput"]["permissionDecision"] == "allow"
        assert cli.main(["delegate", "--job", job_id]) == 0
        first = re.search(r"thread ([a-z2-7]{5})\]", capsys.readouterr().out).group(1)
        assert threads.agent_thread("a1b2c3") == first
        # SendMessage to that agent: the message becomes a job that continues the thread
        out = agent_redirect.from_event({"tool_name": "SendMessage", "session_id": session,
                                         "cwd": str(data_dir),
                                         "tool_input": {"to": "a1b2c3", "message": "now fix it"}})
        message = out["hookSpecificOutput"]["updatedInput"]["message"]
        assert "now fix it" not in message  # the relay sees only the job line and its command
        second_job = message.split("\n")[0].removeprefix("[llm-router job ").removesuffix("]")
        assert handoff.pending(second_job)["continue"] == first
        assert handoff.pending(second_job)["scope"] == "read-only"
        assert cli.main(["delegate", "--job", second_job]) == 0
        out = capsys.readouterr().out
        assert f"thread {first}]" in out
        assert contains(five["codex"].argv, ["exec", "resume", "01a2"])
        assert five["codex"].stdin == b"now fix it"
        assert len(threads.load(first)["turns"]) == 2
        # an Agent call with `resume` naming the agent continues the thread too
        out = agent_redirect.decide({"prompt": "and test it", "subagent_type": "llm-router:explorer",
                                     "resume": "a1b2c3"}, True, json.loads(
                                         (data_dir / "model-policy.json").read_text()) | {
                                         "agents": {"external_for": "plugin"}},
                                     cwd=str(data_dir), session_id=session, data_dir=str(data_dir))
        job_line = out["hookSpecificOutput"]["updatedInput"]["prompt"].split("\n")[0]
        job = handoff.pending(job_line.removeprefix("[llm-router job ").removesuffix("]"))
        assert job["continue"] == first
    finally:
        os.environ.pop("CLAUDE_CODE_SESSION_ID", None)


def test_a_message_to_an_unknown_agent_is_left_alone(data_dir):
    from llm_router.hooks import agent_redirect

    event = {"tool_name": "SendMessage", "tool_input": {"to": "zzz", "message": "hi"}}
    assert agent_redirect.resumed_agent(event, True, str(data_dir)) is None
    threads.remember_agent("zzz", "aaaaa")  # mapped, but the thread is gone
    assert agent_redirect.resumed_agent(event, True, str(data_dir)) is None
    assert agent_redirect.resumed_agent(event, False, str(data_dir)) is None


def test_pa_continue_sends_the_message_into_the_thread(five, capsys):
    first = invoke(capsys, "--model", "t/codex", "-p", "investigate")
    assert cli.main(["pa", "--", "--continue", first["thread"], "now fix it"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"\N{ELECTRIC PLUG} [External: t/codex \N{MIDDLE DOT} thread {first['thread']}]\n")
    assert contains(five["codex"].argv, ["exec", "resume", "01a2"]) and five["codex"].stdin == b"now fix it"
    os.unlink(five["codex"].path)
    assert cli.main(["pa", "--", "--continue", first["thread"], "again"]) == 0  # /pa always exits 0
    assert "--allow-switch" in capsys.readouterr().out
    assert cli.main(["pa", "--", "--continue", first["thread"], "--allow-switch", "again"]) == 0
    assert "switched from t/codex" in capsys.readouterr().out
    assert five["gemini"].stdin.decode().endswith("again")


def test_jobs_start_continue_runs_the_next_turn_in_the_background(five, capsys):
    first = invoke(capsys, "--model", "t/codex", "-p", "find the bug")
    assert cli.main(["jobs", "start", "--json", "--continue", first["thread"], "-p", "now fix it"]) == 0
    job = json.loads(capsys.readouterr().out)["id"]
    assert cli.main(["jobs", "result", job, "--wait", "60", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["thread"] == first["thread"] and answer["model"] == "t/codex"
    assert contains(five["codex"].argv, PROVIDERS["codex"][3]) and five["codex"].stdin == b"now fix it"
    assert len(threads.load(first["thread"])["turns"]) == 2
    # like invoke, a continued job keeps the thread's model
    assert cli.main(["jobs", "start", "--continue", first["thread"], "--tier", "opus", "-p", "x"]) == 2
