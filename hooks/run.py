"""Entry point of every hook: `run.py <event>` (hooks/launch.sh passes the event's name).

The logic lives in lib/llm_router/hooks/<event>.py; hooks.protocol.run reads the event, calls
the handler, prints at most one JSON object and exits 0. The plugin's own lib/ goes on sys.path from this
file's location, so the hooks work whatever the plugin folder is called.
"""

import os
import sys

HANDLERS = {
    "session_start": "llm_router.hooks.session_start",  # SessionStart: announce external mode
    "user_prompt_submit": "llm_router.hooks.prompt",    # UserPromptSubmit: catch toggles
    "pre_tool_use": "llm_router.hooks.agent",           # PreToolUse: route tiered subagents
}

sys.path[0] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
try:
    from llm_router.hooks.protocol import run

    handler = __import__(HANDLERS[sys.argv[1]], fromlist=["handle"]).handle
except BaseException:  # noqa: BLE001 - a broken install or a bad event name must not break the session
    sys.exit(0)
run(handler)
