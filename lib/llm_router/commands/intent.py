"""llm-router intent [--json] [TEXT ...]: is this sentence an external-mode toggle?

Without TEXT the prompt is read from stdin, which is the safe way to pass anything that starts
with a dash: `llm-router intent --json -- /pa --external on` works too.
Prints {"action", "trigger", "confidence", "vendor"} with --json, else one line. Always exits 0:
"none" is an answer, not a failure.
"""

import json
import sys

from ..intent import detect

MAX_STDIN = 1 << 20  # a prompt is never a megabyte; classify() reads far less than this anyway


def configure(parser) -> None:
    parser.add_argument("text", nargs="*", help="the sentence (read from stdin when omitted)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    text = " ".join(args.text) if args.text else _read_stdin()
    result = detect.classify(text)
    print(json.dumps(result) if args.json else _describe(result))
    return 0


def _read_stdin() -> str:
    if sys.stdin is None:
        return ""
    return sys.stdin.buffer.read(MAX_STDIN).decode("utf-8", "replace")


def _describe(result: dict) -> str:
    if result["action"] == "none":
        return "none: not an external-mode request"
    vendor = f", vendor {result['vendor']}" if result.get("vendor") else ""
    return f"{result['action']}: matched {result['trigger']!r} (confidence {result['confidence']:.2f}{vendor})"
