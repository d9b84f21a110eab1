"""llm-router setup [--force] [--quiet]: create or refresh the plugin's venv."""

import argparse

from ..setup import venv


def configure(parser) -> None:
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    parser.add_argument("--from-hook", action="store_true", help=argparse.SUPPRESS)


def run(args) -> int:
    say = (lambda _text: None) if args.quiet else print
    venv.create_or_refresh(force=args.force, say=say)
    return 0
