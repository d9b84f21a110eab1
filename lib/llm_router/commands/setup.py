"""llm-router setup [--force] [--quiet] [--local]: create or refresh the plugin's venv;
with --local, install the embedded local model instead (setup/local_model.py)."""

import argparse

from ..setup import venv


def configure(parser) -> None:
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    parser.add_argument("--local", action="store_true",
                        help="install the local model (llama.cpp server + Gemma 3 270M) into its own venv")
    parser.add_argument("--from-hook", action="store_true", help=argparse.SUPPRESS)


def run(args) -> int:
    if args.local:
        from ..setup import local_model

        local_model.install(force=args.force, say=(lambda _text: None) if args.quiet else None)
        return 0
    say = (lambda _text: None) if args.quiet else print
    venv.create_or_refresh(force=args.force, say=say)
    return 0
