"""PreToolUse on the Agent tool: while external mode is on, redirect a tiered subagent to
llm-router:external-delegate so its work reaches the external model mapped from its tier.
The decision itself lives in agent_redirect.py; this is the hook's entry point."""

from .agent_redirect import from_event


def handle(event: dict) -> dict | None:
    return from_event(event)
