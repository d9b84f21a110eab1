"""PreToolUse: while external mode is on, redirect a tiered subagent (Agent tool) to
llm-router:external-delegate with its task stored as a relay job (hooks/agent_redirect.py),
and pre-approve the relay's one `llm-router delegate --job <id>` Bash call
(hooks/delegate_permission.py)."""


def handle(event: dict) -> dict | None:
    if event.get("tool_name") == "Bash":
        from .. import paths
        from . import delegate_permission

        return delegate_permission.decide(event, paths.plugin_root(), paths.data_dir())
    from .agent_redirect import from_event

    return from_event(event)
