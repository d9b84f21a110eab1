"""Pre-approve the one Bash command the external-delegate relay runs, and nothing else.

In an interactive session every delegation would otherwise stop at a permission prompt.
A plugin agent cannot carry its own permissions, so the PreToolUse hook allows a Bash call
only when all of this holds:
  - it comes from inside the llm-router:external-delegate subagent (the event's agent_type);
  - the command is exactly `<this plugin>/bin/llm-router delegate --tier T [--cwd '<dir>']`
    followed by a quoted heredoc, whose body the shell never expands;
  - nothing follows the heredoc's closing delimiter, and the body never contains it.
Anything else is left to Claude Code's normal permission flow.
"""

import os

RELAY = "llm-router:external-delegate"


def decide(event: dict, plugin_root: str) -> dict | None:
    if event.get("tool_name") != "Bash" or event.get("agent_type") != RELAY:
        return None
    command = (event.get("tool_input") or {}).get("command")
    if not isinstance(command, str) or not is_delegate_command(command, plugin_root):
        return None
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": "llm-router: the external-delegate relay's own `llm-router delegate` call",
    }}


def is_delegate_command(command: str, plugin_root: str) -> bool:
    import re

    binaries = {os.path.join(plugin_root, "bin", "llm-router"), "llm-router"}
    head, _, rest = command.partition("\n")
    match = re.fullmatch(
        r'"?(?P<bin>[^"\n]+)"? delegate --tier (?:haiku|sonnet|opus)'
        r"(?: --cwd '(?:[^'\n]|'\\'')*')?(?: --stream)? <<'(?P<delim>LLM_ROUTER_TASK_EOF(?:_2)?)'",
        head)
    if not match or match["bin"] not in binaries:
        return False
    delim = match["delim"]
    lines = rest.rstrip("\n").split("\n")
    return lines[-1] == delim and delim not in lines[:-1]
