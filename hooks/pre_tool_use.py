"""PreToolUse(Agent): send a tiered subagent's work to its external model while external mode is on.

A shim: the logic lives in lib/llm_router/hook_agent.py. The plugin's own lib/ goes on sys.path
from this file's location, so the hook works whatever the plugin folder is called.
"""

import os
import sys

sys.path[0] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
try:
    from llm_router.hookio import run
    from llm_router.hook_agent import handle
except BaseException:  # noqa: BLE001 - a broken install must not break the session
    sys.exit(0)
run(handle)
