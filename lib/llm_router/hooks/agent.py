"""PreToolUse: while external mode is on, redirect a tiered subagent (Agent tool) to
llm-router:external-delegate with its task stored as a relay job (hooks/agent_redirect.py),
and pre-approve the relay's one `llm-router delegate --job <id>` Bash call
(hooks/delegate_permission.py)."""


def handle(event: dict) -> dict | None:
    if event.get("tool_name") == "Bash":
        from .. import paths
        from . import delegate_permission

        out = delegate_permission.decide(event, paths.plugin_root(), paths.data_dir())
        if out is not None and event.get("agent_id"):
            _note_relay_agent(event, paths.data_dir())
        return out
    from .agent_redirect import from_event

    return from_event(event)


def _note_relay_agent(event: dict, data_dir: str) -> None:
    """The approved command runs a relay job inside subagent `agent_id`: remember which, so a
    message that later resumes that agent reaches the same external thread (threads.py)."""
    from .. import handoff, threads

    command = (event.get("tool_input") or {}).get("command")
    job_id = command.rpartition(" ")[2] if isinstance(command, str) else ""
    if handoff.is_job_id(job_id):
        threads.remember_job_agent(job_id, event["agent_id"], data_dir)
