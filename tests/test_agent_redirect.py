"""The PreToolUse `Agent` redirect, and the shipped agents it relies on."""

import json
import subprocess
import sys
import time
from pathlib import Path

import frontmatter
import pytest
from llm_router import handoff, state
from llm_router.hooks import agent_redirect

ROOT = Path(__file__).resolve().parents[1]
AGENTS = ROOT / "agents"
POLICY = json.loads((ROOT / "config" / "model-policy.json").read_text())
DELEGATE = "llm-router:external-delegate"


def call(subagent_type: str | None = "llm-router:explorer", **extra) -> dict:
    tool_input = {"description": "Find the config loader", "prompt": "Where is the config loaded?",
                  "run_in_background": False, **extra}
    if subagent_type is not None:
        tool_input["subagent_type"] = subagent_type
    return tool_input


def policy(**agents) -> dict:
    return {**POLICY, "agents": {**POLICY["agents"], **agents}}


def decide(tool_input: dict, mode: bool = True, pol: dict | None = None, **kwargs) -> dict | None:
    return agent_redirect.decide(tool_input, mode, POLICY if pol is None else pol, cwd="/x", **kwargs)


def job_of(output: dict) -> dict:
    """The relay job the redirect stored (read back from the data dir)."""
    prompt = output["hookSpecificOutput"]["updatedInput"]["prompt"]
    header, command = prompt.split("\n")
    job_id = header.removeprefix("[llm-router job ").removesuffix("]")
    job = handoff.pending(job_id)
    assert job is not None and command == handoff.command(job_id, job["data_dir"])
    return job


def tier_of(output: dict) -> str:
    return job_of(output)["tier"]


# ---- decisions --------------------------------------------------------------------------------

def test_mode_off_leaves_every_call_alone():
    assert decide(call(), mode=False) is None
    assert decide(call("anything"), mode=False, pol=policy(external_for="all")) is None


def test_explorer_goes_to_the_delegate_on_haiku():
    output = decide(call())
    hook = output["hookSpecificOutput"]
    assert hook["hookEventName"] == "PreToolUse"
    assert hook["permissionDecision"] == "allow"
    updated = dict(hook["updatedInput"])
    prompt = updated.pop("prompt")
    assert updated == {"description": "Find the config loader", "run_in_background": False,
                       "subagent_type": DELEGATE}
    job = job_of(output)
    assert prompt == f"[llm-router job {job['id']}]\n{handoff.command(job['id'], job['data_dir'])}"
    assert "Where is the config loaded?" not in prompt  # the relay never sees, nor retypes, the task
    assert {k: job[k] for k in ("prompt", "tier", "agent", "cwd", "scope")} == {
        "prompt": "Where is the config loaded?", "tier": "haiku", "agent": "llm-router:explorer",
        "cwd": "/x", "scope": "read-only"}
    assert "copilot/claude-haiku-4.5" in hook["permissionDecisionReason"]
    assert "copilot/claude-haiku-4.5" in hook["additionalContext"]
    assert DELEGATE in hook["additionalContext"]


@pytest.mark.parametrize("agent, tier", [
    ("llm-router:explorer", "haiku"),
    ("llm-router:summarizer", "haiku"),
    ("llm-router:implementer", "sonnet"),
    ("llm-router:reviewer", "sonnet"),
    ("llm-router:architect", "opus"),
])
def test_tier_comes_from_the_shipped_frontmatter(agent, tier):
    assert tier_of(decide(call(agent))) == tier


def test_architect_names_the_opus_model():
    hook = decide(call("llm-router:architect"))["hookSpecificOutput"]
    assert "copilot/gpt-5.2" in hook["additionalContext"]


def test_call_model_overrides_frontmatter_and_is_dropped():
    output = decide(call(model="opus"))
    assert tier_of(output) == "opus"
    assert "model" not in output["hookSpecificOutput"]["updatedInput"]
    assert "copilot/gpt-5.2" in output["hookSpecificOutput"]["permissionDecisionReason"]


def test_unknown_call_model_falls_back_to_frontmatter():
    assert tier_of(decide(call(model="fable"))) == "haiku"


@pytest.mark.parametrize("scope", ["plugin", "all"])
def test_the_delegate_itself_is_never_redirected(scope):
    assert decide(call(DELEGATE), pol=policy(external_for=scope)) is None


def test_an_already_redirected_prompt_is_left_alone():
    tool_input = call("general-purpose", prompt="[llm-router job 0123]\ntask")
    assert decide(tool_input, pol=policy(external_for="all")) is None


def test_unknown_agent_with_plugin_scope_is_left_alone():
    pol = policy(external_for="plugin")
    assert decide(call("code-reviewer"), pol=pol) is None
    assert decide(call("other-plugin:explorer"), pol=pol) is None
    assert decide(call(None), pol=pol) is None


# ---- issue 14.3: by default every agent with a tier follows external mode ---------------------

def test_shipped_default_is_every_tiered_agent():
    assert POLICY["agents"]["external_for"] == "tiered"


@pytest.mark.parametrize("agent, session, tier, scope", [
    ("Explore", "opus", "haiku", "read-only"),          # built-in with a known tier
    (None, "opus", "opus", "write"),                    # general-purpose inherits the session's
    ("general-purpose", "haiku", "haiku", "write"),
    ("Plan", "sonnet", "sonnet", "read-only"),          # inherits, and only reads
    ("Plan", None, "sonnet", "read-only"),              # session model unknown: sonnet
    ("other-plugin:helper", "opus", "opus", "write"),   # no file found: inherits
    ("llm-router:explorer", "opus", "haiku", "read-only"),
])
def test_tiered_default_redirects_every_agent_on_its_tier(agent, session, tier, scope):
    job = job_of(decide(call(agent), session_tier=session))
    assert (job["tier"], job["scope"]) == (tier, scope)


def test_tiered_user_agents_keep_their_own_tier_or_inherit():
    agents = {"scout": {"model": "haiku", "tools": ["Read", "Grep"]},
              "helper": {"model": "inherit", "tools": None}, "plain": {"model": None, "tools": None}}
    assert (tier_of(decide(call("scout"), agents=agents, session_tier="opus"))) == "haiku"
    assert (tier_of(decide(call("helper"), agents=agents, session_tier="opus"))) == "opus"
    assert (tier_of(decide(call("plain"), agents=agents, session_tier="haiku"))) == "haiku"


def test_an_agent_pinned_to_a_model_without_a_tier_stays_on_claude():
    agents = {"poet": {"model": "fable", "tools": None}}
    assert decide(call("poet"), agents=agents, session_tier="opus") is None
    assert tier_of(decide(call("poet"), pol=policy(external_for="all"), agents=agents)) == "sonnet"


def test_call_model_and_forced_subagent_model_win_over_inheritance():
    assert tier_of(decide(call(None, model="haiku"), session_tier="opus")) == "haiku"
    assert tier_of(decide(call("Explore"), session_tier="opus", forced_model="claude-opus-5")) == "opus"


def test_exclude_still_wins_over_the_tiered_default():
    assert decide(call("Explore"), pol=policy(exclude=["Explore"])) is None
    assert decide(call("statusline-setup")) is None  # shipped: it edits Claude Code's own settings


def test_session_tier_comes_from_the_transcripts_last_assistant_model(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    transcript = tmp_path / "t.jsonl"
    lines = [{"type": "user", "message": {"role": "user", "content": 'say "model":"claude-haiku-5"'}},
             {"type": "assistant", "message": {"model": "claude-opus-5-5", "content": []}},
             {"type": "user", "message": {"role": "user", "content": "claude-haiku assistant"}},
             {"type": "assistant", "message": {"model": "<synthetic>", "content": []}}]
    transcript.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert agent_redirect.session_tier({"transcript_path": str(transcript)}) == "opus"
    assert agent_redirect.session_tier({"transcript_path": str(tmp_path / "missing")}) is None
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-sonnet-5-5")
    assert agent_redirect.session_tier({}) == "sonnet"


def test_session_tier_waits_for_the_message_that_made_the_call(tmp_path, monkeypatch):
    """Claude Code writes the transcript asynchronously: on a first turn the PreToolUse hook can
    run before the file exists. The hook waits for the message holding its tool_use_id."""
    import threading

    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    transcript = tmp_path / "late.jsonl"
    asked = {"type": "assistant", "message": {"model": "claude-opus-5-5", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "Agent", "input": {}}]}}
    timer = threading.Timer(0.3, lambda: transcript.write_text(json.dumps(asked) + "\n"))
    timer.start()
    try:
        event = {"transcript_path": str(transcript), "tool_use_id": "toolu_1"}
        assert agent_redirect.session_tier(event, wait=5.0) == "opus"
    finally:
        timer.cancel()


def test_session_tier_prefers_the_calling_message_and_gives_up_in_time(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    transcript = tmp_path / "t.jsonl"
    lines = [{"type": "assistant", "message": {"model": "claude-haiku-5-5", "content": [
                 {"type": "tool_use", "id": "toolu_A", "name": "Agent", "input": {}}]}},
             {"type": "assistant", "message": {"model": "claude-opus-5-5", "content": [
                 {"type": "text", "text": "mentions toolu_A in passing"}]}}]
    transcript.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert agent_redirect.session_tier({"transcript_path": str(transcript), "tool_use_id": "toolu_A"}) == "haiku"
    started = time.monotonic()  # a call id that never appears: the last message's tier, after the wait
    event = {"transcript_path": str(transcript), "tool_use_id": "toolu_B"}
    assert agent_redirect.session_tier(event, wait=0.2) == "opus"
    assert 0.2 <= time.monotonic() - started < 2.0
    started = time.monotonic()
    missing = {"transcript_path": str(tmp_path / "never"), "tool_use_id": "toolu_C"}
    assert agent_redirect.session_tier(missing, wait=0.2) is None
    assert time.monotonic() - started < 2.0


def test_from_event_uses_the_session_model_for_general_purpose(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    state.set_mode(True)
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(json.dumps({"type": "assistant", "message": {"model": "claude-haiku-5-5"}}) + "\n")
    output = agent_redirect.from_event({**event(subagent_type=None), "transcript_path": str(transcript)})
    assert (tier_of(output), job_of(output)["agent"]) == ("haiku", "general-purpose")


# ---- a project file may narrow the agents settings, never widen them ---------------------------

def write_user_policy(data_dir, agents: dict) -> None:
    (data_dir / "model-policy.json").write_text(json.dumps({"agents": agents}))


def test_project_file_cannot_widen_external_for_or_include(project_dir, data_dir):
    state.set_mode(True)
    write_user_policy(data_dir, {"external_for": "plugin"})
    (project_dir / ".claude").mkdir()
    (project_dir / ".claude" / "llm-router.json").write_text(
        '{"agents": {"external_for": "all", "include": ["*"]}}')
    assert agent_redirect.from_event(event(subagent_type="general-purpose")) is None
    assert agent_redirect.from_event(event()) is not None  # the user's own setting still applies


def test_project_file_can_narrow(project_dir, data_dir):
    state.set_mode(True)
    (project_dir / ".claude").mkdir()
    (project_dir / ".claude" / "llm-router.json").write_text(
        # lists replace the layer below, so the shipped exclusion stays listed (trust: a project
        # may add exclusions, never drop one)
        '{"agents": {"external_for": "plugin", "exclude": ["statusline-setup", "explorer"]}}')
    assert agent_redirect.from_event(event(subagent_type="general-purpose")) is None
    assert agent_redirect.from_event(event()) is None
    assert agent_redirect.from_event(event(subagent_type="llm-router:architect")) is not None


def test_project_file_cannot_give_a_read_only_agent_write_scope(project_dir, data_dir):
    state.set_mode(True)
    (project_dir / ".claude").mkdir()
    (project_dir / ".claude" / "llm-router.json").write_text(
        '{"agents": {"scope": {"explorer": "write", "Explore": "write", "general-purpose": "read-only"}}}')
    assert job_of(agent_redirect.from_event(event()))["scope"] == "read-only"
    assert job_of(agent_redirect.from_event(event(subagent_type="Explore")))["scope"] == "read-only"
    # the file widens a scope, so trust ignores all of it, its narrowing too
    assert job_of(agent_redirect.from_event(event(subagent_type="general-purpose")))["scope"] == "write"
    (project_dir / ".claude" / "llm-router.json").write_text('{"agents": {"scope": {"general-purpose": "read-only"}}}')
    assert job_of(agent_redirect.from_event(event(subagent_type="general-purpose")))["scope"] == "read-only"


def test_the_preset_names_the_model_in_the_redirect(data_dir):
    state.set_mode(True, prefer="glm")
    hook = agent_redirect.from_event(event())["hookSpecificOutput"]
    assert "runs on zai/glm-4.7" in hook["permissionDecisionReason"]


def test_external_for_none_redirects_nothing():
    assert decide(call(), pol=policy(external_for="none")) is None


def test_external_for_all_redirects_any_agent_on_sonnet_by_default():
    output = decide(call("code-reviewer"), pol=policy(external_for="all"))
    assert tier_of(output) == "sonnet"
    assert job_of(output)["agent"] == "code-reviewer"


def test_external_for_all_uses_known_frontmatter_tiers():
    pol = policy(external_for="all")
    assert tier_of(decide(call("security-auditor"), pol=pol,
                          agents={"security-auditor": {"model": "claude-opus-4-1"}})) == "opus"
    assert tier_of(decide(call("Explore"), pol=pol)) == "haiku"
    assert tier_of(decide(call(None), pol=pol)) == "sonnet"  # general-purpose


def test_include_adds_agents_even_with_none():
    pol = policy(external_for="none", include=["my-*"])
    assert tier_of(decide(call("my-helper"), pol=pol)) == "sonnet"
    assert decide(call("llm-router:explorer"), pol=pol) is None


def test_include_adds_agents_to_the_plugin_scope():
    pol = policy(include=["code-reviewer"])
    assert decide(call("code-reviewer"), pol=pol) is not None
    assert decide(call("llm-router:explorer"), pol=pol) is not None


@pytest.mark.parametrize("pattern", ["explorer", "llm-router:explorer", "llm-router:*"])
def test_exclude_wins_over_everything(pattern):
    for scope in ("plugin", "all"):
        pol = policy(external_for=scope, include=["llm-router:explorer"], exclude=[pattern])
        assert decide(call(), pol=pol) is None
    assert decide(call("llm-router:architect"), pol=policy(exclude=["explorer"])) is not None


def test_cwd_with_spaces_and_quotes_is_kept_in_the_job_not_the_command():
    cwd = "/home/me/my project/it's $(x)"
    output = agent_redirect.decide(call("llm-router:reviewer"), True, POLICY, cwd=cwd)
    assert job_of(output)["cwd"] == cwd
    assert cwd not in output["hookSpecificOutput"]["updatedInput"]["prompt"]


def test_cwd_defaults_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = agent_redirect.decide(call(), True, POLICY)
    assert job_of(output)["cwd"] == str(tmp_path)


def test_unmapped_tier_still_redirects_and_says_so():
    pol = {**POLICY, "claude_to_external_map": {"sonnet": "copilot/claude-sonnet-4.5"}}
    hook = decide(call(), pol=pol)["hookSpecificOutput"]
    assert hook["updatedInput"]["subagent_type"] == DELEGATE
    assert "none is set in claude_to_external_map" in hook["additionalContext"]


def test_other_plugin_name():
    output = agent_redirect.decide(call("fork:explorer"), True, POLICY, plugin_name="fork", cwd="/x")
    assert output["hookSpecificOutput"]["updatedInput"]["subagent_type"] == "fork:external-delegate"


@pytest.mark.parametrize("bad", [None, [], {"prompt": 3, "subagent_type": "llm-router:explorer"}])
def test_malformed_input_is_left_alone(bad):
    assert decide(bad) is None


# ---- the tier table -----------------------------------------------------------------------------

def test_tier_table_matches_the_agent_files():
    expected = {f"llm-router:{p.stem}": frontmatter.load(str(p))["model"] for p in AGENTS.glob("*.md")}
    assert agent_redirect.shipped_tiers() == expected
    assert len(expected) == 7


@pytest.mark.parametrize("frontmatter_text, model", [
    ("model: haiku", "haiku"),
    ("model: 'opus'  # pinned", "opus"),
    ('model: "claude-sonnet-4-5"', "claude-sonnet-4-5"),
    ("model:", None),
    ("  model: opus", None),  # not a top-level key
    ("name: x", None),
])
def test_frontmatter_model_line_scan(tmp_path, frontmatter_text, model):
    path = tmp_path / "a.md"
    path.write_text(f"---\nname: a\n{frontmatter_text}\n---\nmodel: body-text\n")
    assert agent_redirect.frontmatter_model(str(path)) == model


def test_frontmatter_model_ignores_files_without_frontmatter(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("model: haiku\n")
    assert agent_redirect.frontmatter_model(str(path)) is None
    assert agent_redirect.frontmatter_model(str(tmp_path / "missing.md")) is None
    assert agent_redirect.read_tiers(str(tmp_path / "missing")) == {}


@pytest.mark.parametrize("value, tier", [
    ("haiku", "haiku"), ("claude-opus-4-1", "opus"), ("Sonnet", "sonnet"),
    ("inherit", None), ("fable", None), (None, None), (3, None),
])
def test_normalize_tier(value, tier):
    assert agent_redirect.normalize_tier(value) == tier


# ---- from_event: the whole hook step --------------------------------------------------------

def event(**tool_input) -> dict:
    return {"hook_event_name": "PreToolUse", "tool_name": "Agent", "cwd": "/proj",
            "session_id": "sess-1", "tool_input": call(**tool_input)}


def test_from_event_follows_the_mode_file():
    assert agent_redirect.from_event(event()) is None
    state.set_mode(True)
    output = agent_redirect.from_event(event())
    job = job_of(output)
    assert (job["tier"], job["agent"], job["cwd"], job["session_id"]) == (
        "haiku", "llm-router:explorer", "/proj", "sess-1")


def test_from_event_ignores_other_tools():
    state.set_mode(True)
    assert agent_redirect.from_event({**event(), "tool_name": "Bash"}) is None
    assert agent_redirect.from_event({**event(), "tool_name": "Task"}) is not None


def test_from_event_reads_user_and_project_agent_tiers(project_dir, tmp_path, monkeypatch):
    state.set_mode(True)
    (project_dir / ".claude" / "agents").mkdir(parents=True)
    (project_dir / ".claude" / "agents" / "auditor.md").write_text("---\nname: auditor\nmodel: opus\n---\n")
    (tmp_path / "cfg" / "agents").mkdir(parents=True)
    (tmp_path / "cfg" / "agents" / "scout.md").write_text("---\nname: scout\nmodel: haiku\n---\n")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "cfg"))
    assert tier_of(agent_redirect.from_event(event(subagent_type="auditor"))) == "opus"
    assert tier_of(agent_redirect.from_event(event(subagent_type="scout"))) == "haiku"


def test_import_stays_cheap():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import llm_router.hooks.agent_redirect; "
            "heavy = {'frontmatter', 'yaml', 'ruamel', 'subprocess', 'urllib.request', 'pathlib', "
            "'llm_router.policy', 'llm_router.state', 'fnmatch', 'dataclasses', 're'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(ROOT / "lib")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---- the shipped agents ---------------------------------------------------------------------------

SPEC = {
    "explorer": ("haiku", {"Read", "Grep", "Glob"}),
    "summarizer": ("haiku", {"Read", "Grep", "Glob", "Bash"}),
    "implementer": ("sonnet", {"Read", "Grep", "Glob", "Edit", "Write", "Bash"}),
    "reviewer": ("sonnet", {"Read", "Grep", "Glob", "Bash"}),
    "architect": ("opus", {"Read", "Grep", "Glob"}),
    "external-delegate": ("haiku", {"Bash"}),
    "second-opinion": ("haiku", {"Bash"}),
}


def test_exactly_the_specified_agents_ship():
    assert sorted(p.stem for p in AGENTS.glob("*.md")) == sorted(SPEC)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_shipped_agent_frontmatter(name):
    post = frontmatter.load(str(AGENTS / f"{name}.md"))
    meta = post.metadata
    tier, tools = SPEC[name]
    assert meta["name"] == name and ":" not in meta["name"]
    assert meta["model"] == tier
    assert {t.strip() for t in meta["tools"].split(",")} == tools
    assert len(meta["description"]) > 60
    assert not {"hooks", "mcpServers", "permissionMode"} & set(meta)  # ignored for plugin agents
    assert len(post.content.strip()) > 200
    if name not in ("external-delegate", "second-opinion"):  # relays: used when asked for
        assert "use proactively" in meta["description"].lower()


def test_external_delegate_body_is_short_and_retypes_nothing():
    body = frontmatter.load(str(AGENTS / "external-delegate.md")).content
    for needle in ["last line is a shell command", "exactly as written", "timeout: 600000",
                   "Run nothing else", "never do the task yourself", "verbatim",
                   "🔌 [External: <model>]", "🔌 [External: failed] llm-router delegate exited with code <N>:"]:
        assert needle in body, needle
    assert "<<" not in body and "heredoc" not in body  # the task is never typed into a command
    assert len(body.encode()) < 600  # it is sent with every relay request (issue 11.2)


# ---- scope: what the external model may do ------------------------------------------------------

@pytest.mark.parametrize("agent, scope", [
    ("llm-router:explorer", "read-only"), ("llm-router:architect", "read-only"),
    ("llm-router:summarizer", "write"), ("llm-router:reviewer", "write"),  # Bash runs programs
    ("llm-router:implementer", "write"),
    ("Explore", "read-only"), ("Plan", "read-only"), ("general-purpose", "write"),
    ("someone-elses-agent", "write"),  # unknown tools: assume the worst
])
def test_scope_follows_the_agents_tools(agent, scope):
    assert job_of(decide(call(agent), pol=policy(external_for="all")))["scope"] == scope


@pytest.mark.parametrize("tools, scope", [
    (["Read", "Grep", "Glob"], "read-only"), (["Read", "WebFetch", "TodoWrite"], "read-only"),
    (["Read", "Edit"], "write"), (["Read", "Write"], "write"), (["MultiEdit"], "write"),
    (["NotebookEdit"], "write"), (["Bash(git log:*)"], "write"), (["Read", "Agent"], "write"),
    (["mcp__db__query"], "write"), (None, "write"), ([], "write"), (["?"], "write"),
])
def test_scope_of_tool_lists(tools, scope):
    assert agent_redirect.scope_of("x", tools, {}) == scope


def test_policy_sets_the_scope_per_agent():
    pol = policy(external_for="all", scope={"explorer": "write", "general-purpose": "read-only",
                                             "my-*": "read-only", "my-writer": "write"})
    assert job_of(decide(call("llm-router:explorer"), pol=pol))["scope"] == "write"
    assert job_of(decide(call("general-purpose"), pol=pol))["scope"] == "read-only"
    assert job_of(decide(call("my-reader"), pol=pol))["scope"] == "read-only"
    assert job_of(decide(call("my-writer"), pol=pol))["scope"] == "write"  # exact beats a pattern


@pytest.mark.parametrize("text, tools", [
    ("tools: Read, Grep, Glob", ["Read", "Grep", "Glob"]),
    ("tools: [Read, 'Edit']", ["Read", "Edit"]),
    ("tools:\n  - Read\n  - Bash\nmodel: haiku", ["Read", "Bash"]),
    ("tools:\n- Read", ["Read"]),
    ("tools:", ["?"]),
    ("tools: Read  # only reads", ["Read"]),
    ("name: x", None),
])
def test_frontmatter_tools_scan_agrees_with_yaml(tmp_path, text, tools):
    path = tmp_path / "a.md"
    path.write_text(f"---\nname: a\n{text}\n---\nbody\n")
    assert agent_redirect.frontmatter_fields(str(path))["tools"] == tools
    parsed = frontmatter.load(str(path)).metadata.get("tools")
    if tools not in (None, ["?"]):
        as_list = parsed if isinstance(parsed, list) else [t.strip() for t in parsed.split(",")]
        assert as_list == tools


def test_from_event_reads_project_agent_tools_for_the_scope(project_dir, data_dir):
    state.set_mode(True)
    (project_dir / ".claude" / "agents").mkdir(parents=True)
    (project_dir / ".claude" / "agents" / "reader.md").write_text("---\nname: reader\ntools: Read, Grep\n---\n")
    (project_dir / ".claude" / "agents" / "fixer.md").write_text("---\nname: fixer\ntools: Read, Edit\n---\n")
    assert job_of(agent_redirect.from_event(event(subagent_type="reader")))["scope"] == "read-only"
    assert job_of(agent_redirect.from_event(event(subagent_type="fixer")))["scope"] == "write"


def test_second_opinion_is_never_redirected():
    # its one command already asks external models; the relay would keep it from running
    output = decide(call("llm-router:second-opinion"), pol=policy(external_for="all"))
    assert output is None
