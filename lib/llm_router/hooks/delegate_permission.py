"""Pre-approve the one Bash command that runs a relay job (or a second-opinion job), and
nothing else.

In an interactive session every delegation would otherwise stop at a permission prompt, and a
plugin agent cannot carry its own permissions. So the PreToolUse(Bash) hook allows a command
only when all of this holds:
  - it comes from inside the llm-router:external-delegate subagent (the event's agent_type);
  - it names a relay job (handoff.py) that exists in this data dir, is unused, and was made
    for this session (the event's session_id);
  - it is, byte for byte, handoff.command(<that job's id>): no other spelling, spacing,
    quoting, prefix or suffix.
The command carries no text anyone wrote, so nothing is parsed: it is rebuilt and compared.
The second-opinion agent gets the same rule for its job, run through `review --job` or
`consensus --job` (handoff.VERBS). Anything else gets no decision from us, and Claude Code's
own permission flow applies.
"""

RELAY = "llm-router:external-delegate"
# agent type -> the kind of job whose command it may run
KINDS = {RELAY: "relay", "llm-router:second-opinion": "second-opinion"}


def decide(event: dict, plugin_root: str, data_dir: str) -> dict | None:
    kind = KINDS.get(event.get("agent_type")) if event.get("tool_name") == "Bash" else None
    if kind is None:
        return None
    command = (event.get("tool_input") or {}).get("command")
    session = event.get("session_id")
    if not isinstance(command, str) or not isinstance(session, str) or not session:
        return None
    job_id = approved_job(command, session, plugin_root, data_dir, kind)
    if job_id is None:
        return None
    return {"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "allow",
        "permissionDecisionReason": f"llm-router: {event['agent_type']} runs its job {job_id}",
    }}


def approved_job(command: str, session: str, plugin_root: str, data_dir: str,
                 kind: str = "relay") -> str | None:
    """The id of the pending `kind` job of `session` whose exact command this is, else None."""
    import os

    from .. import handoff

    data = os.path.abspath(data_dir)
    job_id = command[-handoff.ID_LENGTH:]
    if not handoff.is_job_id(job_id):
        return None
    if command not in {handoff.command(job_id, data, plugin_root, verb) for verb in handoff.VERBS[kind]}:
        return None
    job = handoff.pending(job_id, data)
    if job is None or job.get("session_id") != session or job.get("data_dir") != data \
            or job.get("kind", "relay") != kind:
        return None
    return job_id
