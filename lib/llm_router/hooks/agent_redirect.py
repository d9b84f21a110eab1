"""Send subagent work to external models by rewriting `Agent` tool calls (PreToolUse hook logic).

Mechanism. Claude Code asks a PreToolUse hook (matcher `Agent`, `Task` on older releases) before
it starts a subagent. The hook's input carries `tool_input`
{"subagent_type", "prompt", "description", "run_in_background", "model"?}. Answering with
`permissionDecision: "allow"` plus `updatedInput` makes Claude Code run the call with the new
input instead (verified on 2.1.330, plugin-format.md §10). While external mode is on we swap
the agent for `llm-router:external-delegate`, a cheap relay whose body pipes the task into
`llm-router delegate`, and prefix the prompt with a header the relay reads:

    [llm-router tier=haiku agent=llm-router:explorer cwd=/path/to/project]
    <original prompt>

The tier is the Claude tier the original agent would have run on: the call's own `model`
input (it overrides frontmatter in Claude Code too), else the agent's frontmatter `model`,
else sonnet. `llm-router delegate` maps the tier to an external model through the policy's
`claude_to_external_map`. The relay itself is never redirected, so there is no loop.

Which agents are redirected is the policy's `agents` section:
  external_for: "plugin" (default, this plugin's tiered agents) | "all" | "none"
  include: extra agent types (fnmatch patterns) redirected even outside that set
  exclude: agent types never redirected; wins over everything
A bare name in include/exclude also matches this plugin's agent of that name.

Standard library only, and nothing heavy at import: the hook runs on every Agent call.
"""

import os

TIERS = ("haiku", "sonnet", "opus")
DEFAULT_TIER = "sonnet"
DELEGATE = "external-delegate"
HEADER_PREFIX = "[llm-router "
# Claude Code's own agents with a known fixed tier (Explore runs on haiku); others inherit.
BUILTIN_TIERS = {"Explore": "haiku"}


def decide(tool_input: dict, mode_enabled: bool, policy: dict, plugin_name: str = "llm-router",
           agent_tiers: dict | None = None, cwd: str | None = None) -> dict | None:
    """The PreToolUse output that redirects this Agent call, or None to leave it alone.

    `agent_tiers` maps agent types ("code-reviewer", "other-plugin:x") to their frontmatter
    `model`; it extends and overrides the table read from this plugin's agents/ folder.
    """
    if not mode_enabled or not isinstance(tool_input, dict):
        return None
    agent = tool_input.get("subagent_type") or "general-purpose"
    prompt = tool_input.get("prompt")
    if not isinstance(agent, str) or not isinstance(prompt, str):
        return None
    if agent == f"{plugin_name}:{DELEGATE}" or prompt.startswith(HEADER_PREFIX):
        return None  # already the relay, or already redirected once
    tiers = {**BUILTIN_TIERS, **shipped_tiers(plugin_name), **(agent_tiers or {})}
    if not _selected(agent, policy.get("agents") or {}, plugin_name, tiers):
        return None
    tier = _tier(tool_input.get("model"), tiers.get(agent))
    return _output(tool_input, agent, tier, policy, plugin_name, cwd or os.getcwd())


def _selected(agent: str, settings: dict, plugin_name: str, tiers: dict) -> bool:
    if _matches(agent, settings.get("exclude") or [], plugin_name):
        return False
    if _matches(agent, settings.get("include") or [], plugin_name):
        return True
    scope = settings.get("external_for", "plugin")
    if scope == "all":
        return True
    if scope == "plugin":
        return agent.startswith(f"{plugin_name}:") and normalize_tier(tiers.get(agent)) is not None
    return False


def _matches(agent: str, patterns: list, plugin_name: str) -> bool:
    from fnmatch import fnmatchcase  # small; only loaded when a list is set

    own_prefix = f"{plugin_name}:"
    short = agent[len(own_prefix):] if agent.startswith(own_prefix) else None
    for pattern in patterns:
        if not isinstance(pattern, str):
            continue
        if fnmatchcase(agent, pattern) or (short is not None and fnmatchcase(short, pattern)):
            return True
    return False


def normalize_tier(value: object) -> str | None:
    """haiku/sonnet/opus from an alias or a full model id; None for inherit, fable or unknown."""
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    for tier in TIERS:
        if tier in lowered:
            return tier
    return None


def _tier(call_model: object, frontmatter_model: object) -> str:
    return normalize_tier(call_model) or normalize_tier(frontmatter_model) or DEFAULT_TIER


def _output(tool_input: dict, agent: str, tier: str, policy: dict, plugin_name: str,
            cwd: str) -> dict:
    delegate = f"{plugin_name}:{DELEGATE}"
    target = (policy.get("claude_to_external_map") or {}).get(tier)
    where = (f"the external model {target}" if target else
             f"the external model for tier {tier} (none is set in claude_to_external_map; "
             "llm-router delegate will report it)")
    updated = {key: value for key, value in tool_input.items() if key != "model"}
    # Dropping `model` keeps the relay on its own cheap tier; the header carries the real one.
    updated["subagent_type"] = delegate
    updated["prompt"] = f"{header(tier, agent, cwd)}\n{tool_input['prompt']}"
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": (f"llm-router external mode: {agent} (tier {tier}) "
                                     f"runs on {target or 'an external model'} via {delegate}"),
        "updatedInput": updated,
        "additionalContext": (f"llm-router external mode is on: this {agent} task (tier {tier}) "
                              f"was sent to {where} through {delegate}. Its reply is the "
                              "external model's answer, starting with 🔌 [External: <model>]."),
    }}


def header(tier: str, agent: str, cwd: str) -> str:
    """The first prompt line the relay agent parses; cwd is last so it may contain spaces."""
    return f"{HEADER_PREFIX}tier={tier} agent={agent} cwd={cwd}]"


# ---- tier tables from agent frontmatter ------------------------------------------------

def shipped_tiers(plugin_name: str = "llm-router", agents_dir: str | None = None) -> dict:
    """{"llm-router:explorer": "haiku", ...} from this plugin's agents/*.md files."""
    folder = agents_dir or os.path.join(_plugin_root(), "agents")
    return read_tiers(folder, prefix=f"{plugin_name}:")


def _plugin_root() -> str:
    from .. import paths

    return paths.plugin_root()


def read_tiers(folder: str, prefix: str = "") -> dict:
    """{prefix + name: model} for the *.md agents in `folder` (not recursive); {} if absent.

    The name is the file's stem, as for plugin agents; user agents should keep `name` equal
    to their file name (Claude Code's own convention) for this table to find them.
    """
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    table = {}
    for name in names:
        if name.endswith(".md"):
            model = frontmatter_model(os.path.join(folder, name))
            if model:
                table[prefix + name[:-3]] = model
    return table


def frontmatter_model(path: str) -> str | None:
    """The top-level `model:` value of an agent file's frontmatter, or None.

    A line scan, not a YAML parser, on purpose: this runs inside the PreToolUse hook, which
    must stay standard-library-only and fast, and `model` is always a one-word scalar
    (an alias or a model id). tier-agents and the tests use real YAML parsers; a test checks
    this scan against python-frontmatter on the shipped agents.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read(16384).splitlines()
    except OSError:
        return None
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return None
    for line in lines[1:]:
        if line.rstrip() == "---":
            break
        if line.startswith("model:"):
            value = line[len("model:"):].split(" #", 1)[0].strip().strip("'\"")
            return value or None
    return None


# ---- the whole hook step, for the hooks/ shim --------------------------------------------

def from_event(event: dict, plugin_name: str = "llm-router") -> dict | None:
    """PreToolUse event in, hook output (or None) out: reads mode, policy and agent tiers."""
    if event.get("tool_name") not in ("Agent", "Task"):
        return None
    from .. import state

    current, _warning = state.load_mode()
    if not current["enabled"]:
        return None
    from .. import paths
    from .. import policy as policy_mod

    policy = policy_mod.load_policy_quietly()
    extra = {}
    if (policy.get("agents") or {}).get("external_for") == "all":
        extra = {**user_agent_tiers(), **read_tiers(
            os.path.join(paths.project_dir(), ".claude", "agents"))}
    return decide(event.get("tool_input") or {}, True, policy, plugin_name,
                  agent_tiers=extra, cwd=event.get("cwd"))


def user_agent_tiers() -> dict:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    return read_tiers(os.path.join(config, "agents"))
