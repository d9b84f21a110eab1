"""`llm-router` command line. argparse, and only the chosen subcommand's module is imported,
so `llm-router mode status` starts about as fast as the interpreter does.

Each subcommand lives in llm_router/commands/<module>.py with two functions:
  configure(parser)  - add its arguments
  run(args) -> int   - do the work; raise RouterError subclasses for failures
Exit codes: 0 ok, 2 usage or configuration error, 1 runtime failure.
"""

import sys

from . import __version__

# name -> (module under llm_router.commands, one-line help)
COMMANDS = {
    "mode": ("mode", "turn external mode on or off, or show it"),
    "policy": ("policy_cmd", "show or validate the merged model policy"),
    "setup": ("setup", "create or refresh the plugin's venv (jsonschema, ruamel.yaml, ...)"),
    "doctor": ("doctor", "check the interpreter, data dir, venv, policy, mode and external CLIs"),
    "route": ("route", "show which model a request would go to, and why, without calling it"),
    "invoke": ("invoke", "send a prompt to an external model and print its answer"),
    "delegate": ("delegate", "run a task on the external model mapped from a Claude tier"),
    "models": ("models", "list external models, their availability and why"),
    "intent": ("intent", "classify a sentence as an external-mode toggle (enable/disable/...)"),
    "pa": ("pa", "the /pa command's back end (reads its arguments on stdin)"),
    "tier-agents": ("tier_agents", "suggest or set model tiers for your own subagents"),
    "stats": ("stats", "usage, cost and latency of external calls"),
    "cooldowns": ("cooldowns", "list the providers and endpoints skipped after failures, or clear them"),
    "jobs": ("jobs", "run a call in the background: start, status, result, cancel, list, prune"),
    "consensus": ("consensus", "ask several models the same question in parallel, blinded"),
    "review": ("review", "have several models review your git diff; merged, ranked findings"),
    "threads": ("threads", "list, show or prune the threads --continue can resume"),
    "digest": ("digest", "read large inputs with a cheap model and print a short cited digest"),
    "export": ("export", "write a LiteLLM proxy config from the policy (export litellm)"),
    "mcp": ("mcp", "run the stdio MCP server (tools: ask, consensus, digest)"),
}


# Commands that run on a hot path (Claude Code waits on them) and need only the standard
# library; the places in them that may import a third-party package enable site first.
# Every other command gets the venv's site-packages up front (see setup/sitepkgs.py).
NO_SITE = frozenset({"invoke", "delegate", "route", "mode", "pa", "models", "intent", "stats",
                     "jobs", "consensus", "review"})


def build_parser(chosen: str | None):
    import argparse

    parser = argparse.ArgumentParser(
        prog="llm-router",
        description="Hand work from Claude Code to external models through their own CLIs and APIs.",
    )
    parser.add_argument("--version", action="version", version=f"llm-router {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Each sub-parser costs about a millisecond to build, so when the command is known only
    # its own parser is built; the full list is built for --help and for mistakes.
    for name, (module_name, summary) in COMMANDS.items():
        if chosen and name != chosen:
            continue
        command_parser = sub.add_parser(name, help=summary, description=summary)
        if name == chosen:
            _command_module(module_name).configure(command_parser)
    return parser


def _command_module(module_name: str):
    return __import__(f"llm_router.commands.{module_name}", fromlist=["run"])


def _chosen_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = _chosen_command(argv)
    if chosen not in NO_SITE:
        from .setup.sitepkgs import enable

        enable()
    parser = build_parser(chosen)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from .errors import RouterError, Terminated

    try:
        return _command_module(COMMANDS[args.command][0]).run(args) or 0
    except RouterError as exc:
        print(f"llm-router {args.command}: {exc.user_text()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"llm-router {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:  # the CLI's group is already killed
        print(f"llm-router {args.command}: stopped by signal {exc.signum}", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        return 1
