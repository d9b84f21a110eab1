"""Send subagent work to external models by rewriting `Agent` tool calls (PreToolUse hook logic).

Mechanism. Claude Code asks a PreToolUse hook (matcher `Agent`, `Task` on older releases) before
it starts a subagent. The hook's input carries `tool_input`
{"subagent_type", "prompt", "description", "run_in_background", "model"?}. Answering with
`permissionDecision: "allow"` plus `updatedInput` makes Claude Code run the call with the new
input instead (verified on 2.1.330, plugin-format.md §10). While external mode is on we store
the task as a relay job (handoff.py: prompt, tier, original agent, cwd, data dir, session,
scope) and swap the agent for `llm-router:external-delegate`, a cheap relay whose prompt is
only the one command that runs the job:

    [llm-router job 7f3k…]
    LLM_ROUTER_HOME='/…/data' '/…/bin/llm-router' delegate --job 7f3k…

The relay never retypes the task, so no task text is ever inside a shell command line, and
hooks/delegate_permission.py pre-approves exactly that command and nothing else.

The tier is the Claude tier the original agent would have run on: the call's own `model`
input (it overrides frontmatter in Claude Code too), else the agent's frontmatter `model`,
else sonnet. `llm-router delegate` maps the tier to an external model through the policy's
`claude_to_external_map`. The relay itself is never redirected, so there is no loop.

The scope says what the external model may do in cwd: `read-only` when the original agent has
only tools that neither write nor execute (its frontmatter `tools:`; Explore and Plan are
read-only built-ins), else `write`; an agent without a `tools:` line inherits every tool, so
it is `write`. The policy's `agents.scope` {"<agent>": "read-only"|"write"} sets it per agent.

Which agents are redirected is the policy's `agents` section:
  external_for: "plugin" (default, this plugin's tiered agents) | "all" | "none"
  include: extra agent types (fnmatch patterns) redirected even outside that set
  exclude: agent types never redirected; wins over everything
A bare name in include/exclude/scope also matches this plugin's agent of that name.

Standard library only, and nothing heavy at import: the hook runs on every Agent call.
"""

import os

TIERS = ("haiku", "sonnet", "opus")
DEFAULT_TIER = "sonnet"
DELEGATE = "external-delegate"
HEADER_PREFIX = "[llm-router "
# Claude Code's own agents with a known fixed tier (Explore runs on haiku); others inherit.
BUILTIN_TIERS = {"Explore": "haiku"}
# Claude Code's own agents and their tools: Explore and Plan only read; general-purpose has all.
BUILTIN_TOOLS = {"Explore": ["Read", "Grep", "Glob", "WebFetch", "WebSearch"],
                 "Plan": ["Read", "Grep", "Glob", "WebFetch", "WebSearch"]}
# Tools that neither write files nor run programs. Anything else (Edit, Write, MultiEdit,
# NotebookEdit, Bash, Agent, an MCP tool, a tool added later) makes the scope `write`.
READ_ONLY_TOOLS = frozenset({"Read", "Grep", "Glob", "LS", "NotebookRead", "WebFetch",
                             "WebSearch", "TodoWrite", "TodoRead"})
SCOPES = ("read-only", "write")


def plan(tool_input: dict, policy: dict, plugin_name: str = "llm-router",
         agents: dict | None = None) -> dict | None:
    """{"agent", "tier", "scope"} when this Agent call goes external, else None.

    `agents` maps agent types ("code-reviewer", "other-plugin:x") to their frontmatter
    {"model", "tools"}; it extends and overrides the table read from this plugin's agents/.
    """
    if not isinstance(tool_input, dict):
        return None
    agent = tool_input.get("subagent_type") or "general-purpose"
    prompt = tool_input.get("prompt")
    if not isinstance(agent, str) or not isinstance(prompt, str):
        return None
    if agent == f"{plugin_name}:{DELEGATE}" or prompt.startswith(HEADER_PREFIX):
        return None  # already the relay, or already redirected once
    known = {**{name: {"model": tier} for name, tier in BUILTIN_TIERS.items()},
             **shipped_agents(plugin_name), **(agents or {})}
    settings = policy.get("agents") or {}
    tiers = {name: (info or {}).get("model") for name, info in known.items()}
    if not _selected(agent, settings, plugin_name, tiers):
        return None
    return {"agent": agent, "tier": _tier(tool_input.get("model"), tiers.get(agent)),
            "scope": scope_of(agent, (known.get(agent) or {}).get("tools", BUILTIN_TOOLS.get(agent)),
                              settings.get("scope") or {}, plugin_name)}


def decide(tool_input: dict, mode_enabled: bool, policy: dict, plugin_name: str = "llm-router",
           agents: dict | None = None, cwd: str | None = None, session_id: str | None = None,
           data_dir: str | None = None, transcript_path: str | None = None) -> dict | None:
    """The PreToolUse output that redirects this Agent call (after storing its job), or None.

    An Agent call that resumes an agent (`resume`: its agent id) whose relay job answered in a
    thread gets a job that continues that thread (threads.agent_thread)."""
    if not mode_enabled:
        return None
    chosen = plan(tool_input, policy, plugin_name, agents)
    if chosen is None:
        return None
    from .. import handoff, paths, threads

    data = os.path.abspath(data_dir or paths.data_dir())
    job_id = handoff.create(tool_input["prompt"], tier=chosen["tier"], agent=chosen["agent"],
                            cwd=cwd or os.getcwd(), session_id=session_id, scope=chosen["scope"],
                            data_dir=data, transcript_path=transcript_path,
                            continue_thread=threads.agent_thread(tool_input.get("resume"), data))
    return _output(tool_input, chosen, policy, plugin_name, job_id,
                   handoff.command(job_id, data))


def scope_of(agent: str, tools: object, scopes: dict, plugin_name: str = "llm-router") -> str:
    """The policy's agents.scope entry for `agent`, else what its tools allow."""
    if isinstance(scopes, dict) and scopes:
        for key in sorted(scopes, key=lambda k: k != agent):  # an exact key wins over a pattern
            if scopes[key] in SCOPES and (key == agent or _matches(agent, [key], plugin_name)):
                return scopes[key]
    if not isinstance(tools, list) or not tools:
        return "write"  # no tools line: the agent inherits every tool
    names = {str(tool).split("(", 1)[0].strip() for tool in tools}
    return "read-only" if names <= READ_ONLY_TOOLS else "write"


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


def _output(tool_input: dict, chosen: dict, policy: dict, plugin_name: str, job_id: str,
            command: str) -> dict:
    delegate = f"{plugin_name}:{DELEGATE}"
    agent, tier = chosen["agent"], chosen["tier"]
    target = (policy.get("claude_to_external_map") or {}).get(tier)
    where = (f"the external model {target}" if target else
             f"the external model for tier {tier} (none is set in claude_to_external_map; "
             "llm-router delegate will report it)")
    updated = {key: value for key, value in tool_input.items() if key != "model"}
    # Dropping `model` keeps the relay on its own cheap tier; the job carries the real one.
    updated["subagent_type"] = delegate
    updated["prompt"] = relay_prompt(job_id, command)
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": (f"llm-router external mode: {agent} (tier {tier}, "
                                     f"{chosen['scope']}) runs on {target or 'an external model'} "
                                     f"via {delegate}"),
        "updatedInput": updated,
        "additionalContext": (f"llm-router external mode is on: this {agent} task (tier {tier}) "
                              f"was sent to {where} through {delegate}. Its reply is the "
                              "external model's answer, starting with 🔌 [External: <model>]."),
    }}


def relay_prompt(job_id: str, command: str) -> str:
    """All the relay sees: a marker line (also the loop guard) and the command to run."""
    return f"{HEADER_PREFIX}job {job_id}]\n{command}"


# ---- agent tables from frontmatter -------------------------------------------------------

def shipped_agents(plugin_name: str = "llm-router", agents_dir: str | None = None) -> dict:
    """{"llm-router:explorer": {"model": "haiku", "tools": [...]}, ...} from agents/*.md."""
    folder = agents_dir or os.path.join(_plugin_root(), "agents")
    return read_agents(folder, prefix=f"{plugin_name}:")


def shipped_tiers(plugin_name: str = "llm-router", agents_dir: str | None = None) -> dict:
    """{"llm-router:explorer": "haiku", ...} from this plugin's agents/*.md files."""
    return {name: info["model"] for name, info in shipped_agents(plugin_name, agents_dir).items()
            if info.get("model")}


def _plugin_root() -> str:
    from .. import paths

    return paths.plugin_root()


def read_agents(folder: str, prefix: str = "") -> dict:
    """{prefix + name: {"model", "tools"}} for the *.md agents in `folder` (not recursive).

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
            fields = frontmatter_fields(os.path.join(folder, name))
            if fields is not None:
                table[prefix + name[:-3]] = fields
    return table


def read_tiers(folder: str, prefix: str = "") -> dict:
    """{prefix + name: model} for the *.md agents in `folder` that name a model; {} if absent."""
    return {name: info["model"] for name, info in read_agents(folder, prefix).items()
            if info.get("model")}


def frontmatter_model(path: str) -> str | None:
    """The top-level `model:` value of an agent file's frontmatter, or None."""
    return (frontmatter_fields(path) or {}).get("model")


def frontmatter_fields(path: str) -> dict | None:
    """{"model": str | None, "tools": list | None} from an agent file's frontmatter, or None
    for a file without frontmatter.

    A line scan, not a YAML parser, on purpose: this runs inside the PreToolUse hook, which
    must stay standard-library-only and fast. `model` is one word; `tools` is a comma list,
    a flow list `[a, b]` or a block list of `- a` lines. A `tools:` value the scan cannot read
    becomes ["?"], which no read-only table contains (so the scope is `write`). tier-agents
    and the tests use real YAML parsers; a test checks this scan against python-frontmatter.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read(16384).splitlines()
    except OSError:
        return None
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return None
    fields = {"model": None, "tools": None}
    body = []
    for line in lines[1:]:
        if line.rstrip() == "---":
            break
        body.append(line)
    for index, line in enumerate(body):
        if line.startswith("model:"):
            fields["model"] = _scalar(line[len("model:"):]) or None
        elif line.startswith("tools:"):
            fields["tools"] = _tool_list(line[len("tools:"):], body[index + 1:])
    return fields


def _scalar(text: str) -> str:
    return text.split(" #", 1)[0].strip().strip("'\"")


def _tool_list(inline: str, following: list) -> list:
    value = inline.split(" #", 1)[0].strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if value:
        return [_scalar(part) for part in value.split(",") if _scalar(part)] or ["?"]
    items = []
    for line in following:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[:1].isspace() and not stripped.startswith("-"):
            break  # the next top-level key
        if not stripped.startswith("-"):
            return ["?"]
        items.append(_scalar(stripped[1:]))
    return [item for item in items if item] or ["?"]


# ---- the whole hook step, for the hooks/ shim --------------------------------------------

def resumed_agent(event: dict, mode_enabled: bool, data_dir: str,
                  plugin_name: str = "llm-router") -> dict | None:
    """SendMessage to an agent id whose relay job answered in a thread: the message becomes a
    relay job that continues that thread, and the resumed relay agent gets only the command
    (as a redirected Agent call does). Anything else: None (the message goes as it is)."""
    tool_input = event.get("tool_input") or {}
    to, message = tool_input.get("to"), tool_input.get("message")
    if isinstance(to, dict):
        to = to.get("agentId")
    if not mode_enabled or not isinstance(message, str) or not message.strip():
        return None
    from .. import handoff, threads

    thread_id = threads.agent_thread(to, data_dir)
    if thread_id is None:
        return None
    try:
        scope = threads.load(thread_id, data_dir).get("scope") or "write"
    except threads.ThreadError:
        return None
    session = event.get("session_id")
    cwd = event.get("cwd") if isinstance(event.get("cwd"), str) else os.getcwd()
    job_id = handoff.create(message, tier=DEFAULT_TIER, agent=f"{plugin_name}:{DELEGATE}", cwd=cwd,
                            session_id=session if isinstance(session, str) else None,
                            scope=scope if scope in handoff.SCOPES else "write",
                            data_dir=data_dir, continue_thread=thread_id)
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": f"llm-router: agent {to} continues external thread {thread_id}",
        "updatedInput": {**tool_input,
                         "message": relay_prompt(job_id, handoff.command(job_id, data_dir))},
    }}


def from_event(event: dict, plugin_name: str = "llm-router") -> dict | None:
    """PreToolUse event in, hook output (or None) out: reads mode, policy and agent tables."""
    if event.get("tool_name") == "SendMessage":
        from .. import paths, state

        current, _warning = state.load_mode()
        return resumed_agent(event, current["enabled"], os.path.abspath(paths.data_dir()),
                             plugin_name)
    if event.get("tool_name") not in ("Agent", "Task"):
        return None
    from .. import state

    current, _warning = state.load_mode()
    if not current["enabled"]:
        return None
    from .. import paths
    from .. import policy as policy_mod

    policy = policy_mod.load_policy_quietly()
    settings = policy.get("agents") or {}
    extra = {}
    if settings.get("external_for") == "all" or settings.get("include"):
        extra = {**user_agents(), **read_agents(
            os.path.join(paths.project_dir(), ".claude", "agents"))}
    session = event.get("session_id")
    transcript = event.get("transcript_path")
    return decide(event.get("tool_input") or {}, True, policy, plugin_name, agents=extra,
                  cwd=event.get("cwd"), session_id=session if isinstance(session, str) else None,
                  data_dir=paths.data_dir(),
                  transcript_path=transcript if isinstance(transcript, str) else None)


def user_agents() -> dict:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    return read_agents(os.path.join(config, "agents"))

