#!/bin/sh
# Start a hook with the fastest interpreter at hand: the plugin venv's python (a link to the
# real interpreter) when `llm-router setup` has made it, else python3 from PATH (which may be
# a slow version-manager shim). -I -S: no site, no user paths, nothing from the environment;
# compiled files go to the data dir, never into the plugin folder, and like every file a hook
# makes they are private (umask 077: 0700/0600). Hooks start no CLI that could need the user's
# umask (only `llm-router setup`, which works in the data dir).
umask 077
data=${LLM_ROUTER_HOME:-${CLAUDE_PLUGIN_DATA:-$HOME/.claude/plugins/data/llm-router}}
py=$data/venv/bin/python
[ -x "$py" ] || py=python3
exec "$py" -I -S -X "pycache_prefix=$data/pycache" "${0%/*}/run.py" "$1"
