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

The tier is the Claude tier the original agent would have run on, resolved as Claude Code
does (plugin-format.md §6): CLAUDE_CODE_SUBAGENT_MODEL, else the call's own `model` input,
else the agent's frontmatter `model` (Explore: haiku), else, for an agent that inherits
(no `model`, `model: inherit`, general-purpose, Plan), the session's model. No hook event
names the session's model (SessionStart's `model` is absent under 2.1.330), so it is read
from the transcript the event points at: the `model` of the assistant message that made this
Agent call (found by the event's `tool_use_id`; Claude Code writes the transcript
asynchronously, so on a first turn the hook may run before the file exists and waits for it, up
to TRANSCRIPT_WAIT), else the last assistant message's, else ANTHROPIC_MODEL, else sonnet. An agent pinned to a non-tier model (`fable`, a foreign id) has
no tier. `llm-router delegate` maps the tier to an external model through the policy's
`claude_to_external_map` (with the mode's vendor preset laid over it, presets.py). The relay
itself is never redirected, so there is no loop.

The scope says what the external model may do in cwd: `read-only` when the original agent has
only tools that neither write nor execute (its frontmatter `tools:`; Explore and Plan are
read-only built-ins), else `write`; an agent without a `tools:` line inherits every tool, so
it is `write`. The policy's `agents.scope` {"<agent>": "read-only"|"write"} sets it per agent.

Which agents are redirected is the policy's `agents` section:
  external_for: "tiered" (default: every agent with a tier: built-ins, the user's, the
                project's, other plugins', this plugin's) | "plugin" (this plugin's tiered
                agents) | "all" (also agents without a tier, on sonnet) | "none"
  include: extra agent types (fnmatch patterns) redirected even outside that set
  exclude: agent types never redirected; wins over everything
A bare name in include/exclude/scope also matches this plugin's agent of that name.
These are user-level settings: the project's .claude/llm-router.json may only narrow them
(a smaller external_for, more exclude patterns, read-only scopes); its include, a wider
external_for and its `write` scopes are ignored (agent_settings()).

Standard library only, and nothing heavy at import: the hook runs on every Agent call.
"""

import os

TIERS = ("haiku", "sonnet", "opus")
DEFAULT_TIER = "sonnet"
DEFAULT_FOR = "tiered"
# external_for values from narrowest to widest: a project file may only move down this list.
FOR_ORDER = ("none", "plugin", "tiered", "all")
DELEGATE = "external-delegate"
SECOND_OPINION = "second-opinion"
# This plugin's agents whose own work is already a call to external models: never redirected.
NOT_REDIRECTED = (DELEGATE, SECOND_OPINION)
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
         agents: dict | None = None, session_tier: str | None = None,
         forced_model: str | None = None) -> dict | None:
    """{"agent", "tier", "scope"} when this Agent call goes external, else None.

    `agents` maps agent types ("code-reviewer", "other-plugin:x") to their frontmatter
    {"model", "tools"}; it extends and overrides the table read from this plugin's agents/.
    `session_tier` is the main model's tier (what an inheriting agent runs on);
    `forced_model` is CLAUDE_CODE_SUBAGENT_MODEL, which overrides every agent's model.
    """
    if not isinstance(tool_input, dict):
        return None
    agent = tool_input.get("subagent_type") or "general-purpose"
    prompt = tool_input.get("prompt")
    if not isinstance(agent, str) or not isinstance(prompt, str):
        return None
    if agent in {f"{plugin_name}:{name}" for name in NOT_REDIRECTED} or prompt.startswith(HEADER_PREFIX):
        return None  # the relay, second-opinion (it runs llm-router itself), or already redirected
    known = {**{name: {"model": tier} for name, tier in BUILTIN_TIERS.items()},
             **shipped_agents(plugin_name), **(agents or {})}
    settings = policy.get("agents") or {}
    own = (known.get(agent) or {}).get("model")
    tier = tier_of(own, tool_input.get("model"), session_tier, forced_model)
    if not _selected(agent, settings, plugin_name, normalize_tier(own) if own else None, tier):
        return None
    return {"agent": agent, "tier": tier or DEFAULT_TIER,
            "scope": scope_of(agent, (known.get(agent) or {}).get("tools", BUILTIN_TOOLS.get(agent)),
                              settings.get("scope") or {}, plugin_name)}


def tier_of(own_model: object, call_model: object = None, session_tier: str | None = None,
            forced_model: object = None) -> str | None:
    """The Claude tier this agent runs on, in Claude Code's order; None when it has none
    (pinned to `fable` or a model id of no known tier)."""
    for value in (forced_model, call_model):
        if normalize_tier(value):
            return normalize_tier(value)
    if isinstance(own_model, str) and own_model.strip() and own_model.strip().lower() != "inherit":
        return normalize_tier(own_model)
    return normalize_tier(session_tier) or DEFAULT_TIER


def decide(tool_input: dict, mode_enabled: bool, policy: dict, plugin_name: str = "llm-router",
           agents: dict | None = None, cwd: str | None = None, session_id: str | None = None,
           data_dir: str | None = None, session_tier: str | None = None,
           forced_model: str | None = None, transcript_path: str | None = None) -> dict | None:
    """The PreToolUse output that redirects this Agent call (after storing its job), or None.

    An Agent call that resumes an agent (`resume`: its agent id) whose relay job answered in a
    thread gets a job that continues that thread (threads.agent_thread)."""
    if not mode_enabled:
        return None
    chosen = plan(tool_input, policy, plugin_name, agents, session_tier, forced_model)
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


def _selected(agent: str, settings: dict, plugin_name: str, own_tier: str | None,
              tier: str | None) -> bool:
    if _matches(agent, settings.get("exclude") or [], plugin_name):
        return False
    if _matches(agent, settings.get("include") or [], plugin_name):
        return True
    scope = settings.get("external_for", DEFAULT_FOR)
    if scope == "all":
        return True
    if scope == "tiered":
        return tier is not None
    if scope == "plugin":
        return agent.startswith(f"{plugin_name}:") and own_tier is not None
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


def second_opinion(event: dict, tool_input: dict, plugin_name: str = "llm-router") -> dict | None:
    """Store the second-opinion agent's task as a job and give the agent the two exact commands
    that may run it (review or consensus), so its one Bash call is pre-approved and no text
    anyone wrote is ever part of it. Read-only: reviewers and consensus members never write."""
    prompt = tool_input.get("prompt")
    if not isinstance(prompt, str) or prompt.startswith(HEADER_PREFIX):
        return None
    from .. import handoff, paths

    data = os.path.abspath(paths.data_dir())
    session = event.get("session_id")
    job_id = handoff.create(prompt, tier="haiku", agent=f"{plugin_name}:{SECOND_OPINION}",
                            cwd=event.get("cwd") or os.getcwd(),
                            session_id=session if isinstance(session, str) else None,
                            scope="read-only", data_dir=data, kind="second-opinion")
    review, consensus = (handoff.command(job_id, data, verb=verb) for verb in ("review", "consensus"))
    updated = {**tool_input, "prompt": (f"{HEADER_PREFIX}job {job_id}]\nreview: {review}\n"
                                        f"consensus: {consensus}\n\nTask:\n{prompt}")}
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": f"llm-router: {SECOND_OPINION} gets its job {job_id}",
        "updatedInput": updated,
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
    tool_input = event.get("tool_input") or {}
    if isinstance(tool_input, dict) and tool_input.get("subagent_type") == f"{plugin_name}:{SECOND_OPINION}":
        return second_opinion(event, tool_input, plugin_name)  # whatever the mode: it asks for it
    from .. import state

    current, _warning = state.load_mode()
    if not current["enabled"]:
        return None
    from .. import paths

    policy = _policy(current)
    settings = policy.get("agents") or {}
    extra = {}
    if settings.get("external_for", DEFAULT_FOR) in ("tiered", "all") or settings.get("include"):
        extra = {**user_agents(), **read_agents(
            os.path.join(paths.project_dir(), ".claude", "agents"))}
    session = event.get("session_id")
    forced = os.environ.get("CLAUDE_CODE_SUBAGENT_MODEL")
    transcript = event.get("transcript_path")
    return decide(event.get("tool_input") or {}, True, policy, plugin_name, agents=extra,
                  cwd=event.get("cwd"), session_id=session if isinstance(session, str) else None,
                  data_dir=paths.data_dir(), session_tier=session_tier(event), forced_model=forced,
                  transcript_path=transcript if isinstance(transcript, str) else None)


def _policy(mode: dict) -> dict:
    """The merged policy with the mode's preset over its tier map and the user-level `agents`
    settings; the shipped policy when an override is broken (a hook never fails)."""
    from .. import policy as policy_mod
    from .. import presets

    try:
        layers = policy_mod.read_layers()
        merged = policy_mod.merge_layers(layers)
    except Exception:  # noqa: BLE001 - a broken override must not break the session
        layers, merged = [], policy_mod.load_policy_quietly()
    merged = presets.effective_or_plain(merged, mode)[0]
    project = policy_mod.layer_paths()[-1][1]
    return {**merged, "agents": agent_settings(
        [(path, data) for path, _raw, data in layers] or [("shipped", merged)], project)}


def agent_settings(layers: list[tuple[str, dict]], project_path: str) -> dict:
    """The `agents` section from the user-level layers, narrowed (never widened) by the
    project's: a project file cannot send more of the user's work to another vendor, nor let
    an external model write where the agent could only read."""
    settings: dict = {}
    narrowing: dict = {}
    for path, data in layers:
        section = data.get("agents") if isinstance(data, dict) else None
        if not isinstance(section, dict):
            continue
        if path == project_path:
            narrowing = section
            continue
        for key, value in section.items():
            if value is None:
                settings.pop(key, None)
            elif isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = value
    wanted = narrowing.get("external_for")
    current = settings.get("external_for", DEFAULT_FOR)
    if wanted in FOR_ORDER and current in FOR_ORDER and FOR_ORDER.index(wanted) < FOR_ORDER.index(current):
        settings["external_for"] = wanted
    extra_exclude = [p for p in narrowing.get("exclude") or [] if isinstance(p, str)]
    if extra_exclude:
        settings["exclude"] = [*(settings.get("exclude") or []), *extra_exclude]
    scopes = narrowing.get("scope")
    if isinstance(scopes, dict):
        read_only = {k: v for k, v in scopes.items() if v == "read-only"}
        settings["scope"] = {**(settings.get("scope") or {}), **read_only}
    return settings


# Claude Code writes the transcript asynchronously: on a fast machine the PreToolUse hook of a
# first-turn Agent call can run before the file exists (seen with 2.1.330). The message that asked
# for this call is the one to read, so the hook waits for it this long, then takes what is there.
TRANSCRIPT_WAIT = 2.0
_POLL = 0.02


def session_tier(event: dict, wait: float = TRANSCRIPT_WAIT) -> str | None:
    """The tier of the session's main model: the `model` of the assistant message that made this
    tool call (its `tool_use_id`), waited for up to `wait` seconds, else of the transcript's last
    assistant message (its last 256 KiB), else ANTHROPIC_MODEL; None when none says."""
    path = event.get("transcript_path")
    if isinstance(path, str) and path:
        call = event.get("tool_use_id")
        tier = _transcript_tier(path, call if isinstance(call, str) and call else None, wait)
        if tier:
            return tier
    return normalize_tier(os.environ.get("ANTHROPIC_MODEL"))


def _transcript_tier(path: str, call: str | None, wait: float) -> str | None:
    import time

    deadline = time.monotonic() + wait
    while True:
        tier, exact = _read_tier(path, call)
        if exact or call is None or time.monotonic() >= deadline:
            return tier
        time.sleep(_POLL)


def _read_tier(path: str, call: str | None, tail: int = 262144) -> tuple:
    """(tier, found the message with `call`): that message's tier, else the last assistant one's."""
    from ..io import fastjson

    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - tail))
            lines = handle.read().splitlines()
    except OSError:
        return None, False
    if size > tail:
        lines = lines[1:]  # the first line is cut
    marker = call.encode() if call else None
    last = None
    for line in reversed(lines):
        if b'"assistant"' not in line:
            continue
        try:
            entry = fastjson.loads(line)
        except ValueError:
            continue
        message = entry.get("message") if isinstance(entry, dict) else None
        if entry.get("type") != "assistant" or not isinstance(message, dict):
            continue
        tier = normalize_tier(message.get("model"))
        if marker is not None and marker in line and _made_call(message, call):
            return tier, True
        if last is None and tier:
            last = tier
            if marker is None:
                break
    return last, False


def _made_call(message: dict, call: str) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(block, dict) and block.get("type") == "tool_use" and block.get("id") == call for block in content)


def user_agents() -> dict:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    return read_agents(os.path.join(config, "agents"))

