"""Entry point: `python lib/llm_router/__main__.py ...` (what bin/llm-router runs) or `python -m llm_router`."""

import os
import sys

if __package__ in (None, ""):
    # Run as a script: replace the script's own folder (which would let our module names
    # shadow others) with the plugin's lib/ folder, never the plugin's parent folder.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from llm_router.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
