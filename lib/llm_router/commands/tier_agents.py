"""llm-router tier-agents [PATH...] [--apply] [--force] [--json]

Suggests a Claude tier (haiku / sonnet / opus) for each of your own subagents and, with
--apply, writes it as the agent's `model:`. Agents that already have a `model` are left alone
unless --force. Default paths: the user's agents folder (~/.claude/agents, or
$CLAUDE_CONFIG_DIR/agents) and the project's .claude/agents.
"""

import json
import os
import sys

from .. import paths
from ..errors import UsageError


def configure(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="agent folder or .md file (default: ~/.claude/agents and "
                             "<project>/.claude/agents)")
    parser.add_argument("--apply", action="store_true", help="write the suggested `model:` into the files")
    parser.add_argument("--force", action="store_true",
                        help="also replace a `model` that is already set")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")


def default_paths() -> list[str]:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    found = []
    for folder in (os.path.join(config, "agents"), os.path.join(paths.project_dir(), ".claude", "agents")):
        if os.path.isdir(folder) and os.path.realpath(folder) not in map(os.path.realpath, found):
            found.append(folder)
    return found


def agent_files(targets: list[str]) -> list[str]:
    from ..subagents.agentfiles import markdown_files

    for target in targets:
        if not os.path.exists(target):
            raise UsageError(f"{target}: no such file or folder",
                             "give an agents folder or an agent .md file")
    files = []
    for target in targets:
        for path in markdown_files(target):
            if os.path.abspath(path) not in files:
                files.append(os.path.abspath(path))
    return files


def run(args) -> int:
    targets = args.paths or default_paths()
    files = agent_files(targets)
    rows = [plan(path, args.apply, args.force) for path in files]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print("llm-router tier-agents: no agent files found in " + (", ".join(targets) or
              "~/.claude/agents or <project>/.claude/agents"))
    else:
        print_table(rows)
        if not args.apply and any(row["action"].startswith("would") for row in rows):
            print("\nDry run: add --apply to write these `model:` lines.")
    return 1 if any(row["error"] for row in rows) else 0


def plan(path: str, apply: bool, force: bool) -> dict:
    """One row: what the file has, what we suggest and why, and what we did (or would do)."""
    from ..subagents import agentfiles, tiering

    agent = agentfiles.read_agent(path)
    row = {"file": path, "name": agent.name, "current_model": agent.model, "suggested": None,
           "reason": None, "reasons": [], "scores": None, "action": "skip", "changed": False,
           "problem": agent.problem, "error": None}
    if agent.problem:
        return row
    suggestion = tiering.suggest(agent.meta, fallback_name=agent.name)
    row.update(suggested=suggestion.tier, reason=suggestion.reason, scores=suggestion.scores,
               reasons=[{"signal": text, "tier": tier, "weight": weight}
                        for text, tier, weight in suggestion.signals])
    row["action"] = _act(agent, suggestion.tier, apply, force, row)
    return row


def _act(agent, tier: str, apply: bool, force: bool, row: dict) -> str:
    from ..subagents.agentfiles import AgentFileError, write_model

    current = agent.model
    if current == tier:
        return "keep (already set)"
    if current and not force:
        return "keep (model set; --force replaces it)"
    verb = f"replace {current} -> {tier}" if current else f"set {tier}"
    if not apply:
        return f"would {verb}"
    try:
        write_model(agent, tier)
    except (AgentFileError, OSError) as exc:
        row["error"] = getattr(exc, "message", None) or f"cannot write ({exc})"
        return f"failed: {row['error']}"
    row["changed"] = True
    return f"replaced {current} -> {tier}" if current else f"set {tier}"


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    if not relative.startswith(".."):
        return relative
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


COLUMNS = (("file", "FILE"), ("name", "NAME"), ("current_model", "MODEL"),
           ("suggested", "SUGGESTED"), ("action", "ACTION"), ("reason", "REASON"))


def print_table(rows: list[dict]) -> None:
    cells = [[_cell(row, key) for key, _title in COLUMNS] for row in rows]
    titles = [title for _key, title in COLUMNS]
    widths = [max(len(line[i]) for line in [titles, *cells]) for i in range(len(COLUMNS) - 1)]
    for line in [titles, *cells]:
        fixed = "  ".join(text.ljust(width) for text, width in zip(line, widths))
        print(f"{fixed}  {line[-1]}".rstrip())
    if any(row["problem"] for row in rows):
        print("\nSkipped files are listed with the problem; fix them and run again.", file=sys.stderr)


def _cell(row: dict, key: str) -> str:
    value = row[key]
    if key == "reason" and row["problem"]:
        return row["problem"]
    if key == "file":
        return _display(value)
    return "-" if value is None else str(value)
