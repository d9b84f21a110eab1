"""llm-router digest [FILES... | -] --question Q [--model M] [--budget TOKENS] [--parallel N]
                    [--timeout S] [--json]

Reads large inputs with a cheap model so Claude reads a short digest instead: every chunk
(sized to the model's context_window) is asked the question in parallel, and the findings are
reduced to at most --budget tokens, each with its file:line. See distill/pipeline.py.
Folders are read recursively (text files only); '-' or no FILES reads stdin.
"""

import os
import sys

from ..errors import UsageError
from ..io import fastjson

MAX_FILES = 2000


def configure(parser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="files or folders ('-' is stdin)")
    parser.add_argument("--question", "-q", required=True, help="what to find out from the input")
    parser.add_argument("--model", metavar="KEY", help="the model that reads (default: a local/ "
                        "model in the policy, else the haiku tier's external model)")
    parser.add_argument("--budget", type=int, default=2000, metavar="TOKENS",
                        help="the digest's maximum length in tokens (default 2000)")
    parser.add_argument("--parallel", type=int, default=4, metavar="N",
                        help="model calls at once (default 4)")
    parser.add_argument("--timeout", type=float, metavar="S", help="each call's deadline, seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def read_sources(names: list[str], root: str | None = None):
    """Sources from files, folders or stdin; with `root`, every file (symlinks resolved) must
    lie under it, so a caller that names paths (the MCP tool) cannot reach outside the project."""
    from ..distill.chunks import Source

    if not names or names == ["-"]:
        data = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()
        return [Source("stdin", data.decode("utf-8", "replace"))]
    sources = []
    for path in _paths(names):
        if root is not None:
            _confined(path, root)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror}", "pass readable files") from exc
        if b"\0" not in data[:8192]:  # binary files have nothing to cite by line
            sources.append(Source(path, data.decode("utf-8", "replace")))
    return sources


def _confined(path: str, root: str) -> None:
    real, base = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, base]) != base:
        raise UsageError(f"{path}: outside the project ({base})",
                         "name files inside the project; run `llm-router digest` yourself for others")


def _paths(names: list[str]) -> list[str]:
    out = []
    for name in names:
        if name == "-":
            raise UsageError("'-' (stdin) cannot be mixed with files", "pass either files or '-'")
        if os.path.isdir(name):
            for root, dirs, files in os.walk(name):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
        elif os.path.exists(name):
            out.append(name)
        else:
            raise UsageError(f"{name}: no such file or folder", "pass existing paths")
        if len(out) > MAX_FILES:
            raise UsageError(f"more than {MAX_FILES} files", "pass a narrower folder")
    return out


def digest(sources, question: str, model=None, budget: int = 2000, parallel: int = 4,
           timeout=None):
    """The pipeline with the merged policy; shared with the MCP `digest` tool."""
    from ..distill import pipeline
    from ..invocation import load_policy

    if parallel < 1:
        raise UsageError(f"--parallel {parallel}: must be at least 1", "pass --parallel 4")
    return pipeline.run(sources, question, policy=load_policy(), model=model, budget=budget,
                        parallel=parallel, timeout=timeout)


def run(args) -> int:
    result = digest(read_sources(args.files), args.question, args.model, args.budget,
                    args.parallel, args.timeout)
    if args.json:
        print(fastjson.dumps(result.as_dict()))
    else:
        print(result.text)
    return 0
