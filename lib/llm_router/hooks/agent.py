"""PreToolUse: while external mode is on, redirect a tiered subagent (Agent tool) to
llm-router:external-delegate so its work reaches the external model mapped from its tier
(hooks/agent_redirect.py), and pre-approve the relay's own `llm-router delegate` Bash call
(hooks/delegate_permission.py)."""


def handle(event: dict) -> dict | None:
    if event.get("tool_name") == "Bash":
        from .. import paths
        from . import delegate_permission

        return delegate_permission.decide(event, paths.plugin_root())
    from .agent_redirect import from_event

    return from_event(event)
