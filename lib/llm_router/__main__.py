"""Entry point: `python lib/llm_router/__main__.py ...` (what bin/llm-router runs) or `python -m llm_router`."""

import os
import sys

# Before the first import below writes a .pyc: everything this process creates is private
# (see paths.CALLER_UMASK; CLIs get the caller's umask back).
_caller_umask = os.umask(0o077)

if __package__ in (None, ""):
    # Run as a script: replace the script's own folder (which would let our module names
    # shadow others) with the plugin's lib/ folder, never the plugin's parent folder.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from llm_router import paths  # noqa: E402

paths.use_private_umask(_caller_umask)

from llm_router.cli import main  # noqa: E402


def leave(code: int) -> None:
    """Exit without the interpreter's teardown, which frees every module and object one by
    one: ~2 ms of a cold call on our modules, ~3 ms in all. Output is flushed and atexit
    handlers run first; nothing else is left to clean up (files are closed, children reaped)."""
    import atexit

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away: no "Exception ignored" noise, exit 1
        code = code or 1
    atexit._run_exitfuncs()  # io/proc.py's last-resort kill of CLIs left running
    os._exit(code)


if __name__ == "__main__":
    leave(main())
