"""The PreToolUse `Agent` redirect, and the shipped agents it relies on."""

import json
import subprocess
import sys
from pathlib import Path

import frontmatter
import pytest
from llm_router import state
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


def tier_of(output: dict) -> str:
    header = output["hookSpecificOutput"]["updatedInput"]["prompt"].split("\n", 1)[0]
    return header.split("tier=", 1)[1].split(" ", 1)[0]


# ---- decisions --------------------------------------------------------------------------------

def test_mode_off_leaves_every_call_alone():
    assert decide(call(), mode=False) is None
    assert decide(call("anything"), mode=False, pol=policy(external_for="all")) is None


def test_explorer_goes_to_the_delegate_on_haiku():
    output = decide(call())
    hook = output["hookSpecificOutput"]
    assert hook["hookEventName"] == "PreToolUse"
    assert hook["permissionDecision"] == "allow"
    assert hook["updatedInput"] == {
        "description": "Find the config loader",
        "run_in_background": False,
        "subagent_type": DELEGATE,
        "prompt": "[llm-router tier=haiku agent=llm-router:explorer cwd=/x]\nWhere is the config loaded?",
    }
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
    tool_input = call("general-purpose", prompt="[llm-router tier=haiku agent=x cwd=/]\ntask")
    assert decide(tool_input, pol=policy(external_for="all")) is None


def test_unknown_agent_with_plugin_scope_is_left_alone():
    assert decide(call("code-reviewer")) is None
    assert decide(call("other-plugin:explorer")) is None
    assert decide(call(None)) is None


def test_external_for_none_redirects_nothing():
    assert decide(call(), pol=policy(external_for="none")) is None


def test_external_for_all_redirects_any_agent_on_sonnet_by_default():
    output = decide(call("code-reviewer"), pol=policy(external_for="all"))
    assert tier_of(output) == "sonnet"
    assert "agent=code-reviewer " in output["hookSpecificOutput"]["updatedInput"]["prompt"]


def test_external_for_all_uses_known_frontmatter_tiers():
    pol = policy(external_for="all")
    assert tier_of(decide(call("security-auditor"), pol=pol,
                          agent_tiers={"security-auditor": "claude-opus-4-1"})) == "opus"
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


def test_cwd_with_spaces_is_the_last_header_field():
    output = agent_redirect.decide(call("llm-router:reviewer"), True, POLICY, cwd="/home/me/my project")
    header = output["hookSpecificOutput"]["updatedInput"]["prompt"].split("\n", 1)[0]
    assert header == "[llm-router tier=sonnet agent=llm-router:reviewer cwd=/home/me/my project]"


def test_cwd_defaults_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = agent_redirect.decide(call(), True, POLICY)
    assert f"cwd={tmp_path}]" in output["hookSpecificOutput"]["updatedInput"]["prompt"]


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
            "tool_input": call(**tool_input)}


def test_from_event_follows_the_mode_file():
    assert agent_redirect.from_event(event()) is None
    state.set_mode(True)
    output = agent_redirect.from_event(event())
    assert output["hookSpecificOutput"]["updatedInput"]["prompt"].startswith(
        "[llm-router tier=haiku agent=llm-router:explorer cwd=/proj]\n")


def test_from_event_ignores_other_tools():
    state.set_mode(True)
    assert agent_redirect.from_event({**event(), "tool_name": "Bash"}) is None
    assert agent_redirect.from_event({**event(), "tool_name": "Task"}) is not None


def test_from_event_reads_user_and_project_agent_tiers_for_all(project_dir, tmp_path, monkeypatch):
    state.set_mode(True)
    (project_dir / ".claude" / "agents").mkdir(parents=True)
    (project_dir / ".claude" / "llm-router.json").write_text('{"agents": {"external_for": "all"}}')
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


def test_external_delegate_body_is_precise():
    body = frontmatter.load(str(AGENTS / "external-delegate.md")).content
    for needle in [
        "[llm-router tier=<haiku|sonnet|opus> agent=<original agent> cwd=<dir>]",
        "\"${CLAUDE_PLUGIN_ROOT}/bin/llm-router\" delegate --tier <tier> --cwd '<cwd>' <<'LLM_ROUTER_TASK_EOF'",
        "\n    LLM_ROUTER_TASK_EOF\n",
        "timeout: 600000",
        "never as an argument",
        "🔌 [External: <model>]",
        "plain `llm-router`",
        "on the Bash tool's PATH",
        "Do not attempt the task yourself",
        "verbatim",
    ]:
        assert needle in body, needle
