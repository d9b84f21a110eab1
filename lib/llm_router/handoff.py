"""Relay jobs: how a redirected Agent call hands its task to `llm-router delegate` without
any task text passing through a shell command line.

The PreToolUse(Agent) hook stores the task as a job file, `<data dir>/relay-jobs/<id>.json`
(0600, written atomically), under a random id, and tells the relay agent to run exactly
`command(id)`:

    LLM_ROUTER_HOME='<data dir>' '<plugin>/bin/llm-router' delegate --job <id>

That command is the only one llm-router pre-approves (hooks/delegate_permission.py), and only
while the job exists, is unused and belongs to the session asking. The id is 32 lowercase hex
digits, the data dir and program path are quoted with shlex.quote, so the command holds no
text that a user, a model or a repository wrote. The data dir is in the command because the
Bash tool's environment has no CLAUDE_PLUGIN_DATA (issue 11.1): without it `delegate` could
resolve another data dir than the hook did.

`consume(id)` takes a job exactly once: under the jobs lock the file is renamed to
`<id>.used` (a tombstone without the prompt replaces it), so a second run, a concurrent run or
an id from another session is an error, never a second delegation.

Standard library only: the hooks import this module.
"""

import os
import time

from . import paths
from .errors import UsageError
from .io import fileio

JOBS_DIR = "relay-jobs"
ID_LENGTH = 32
_HEX = frozenset("0123456789abcdef")
MAX_AGE_S = 24 * 3600  # older jobs and tombstones are removed when a new job is made
SCOPES = ("read-only", "write")


def is_job_id(text: object) -> bool:
    """32 lowercase hex digits, as secrets.token_hex(16) makes (no `re`: hooks import this)."""
    return isinstance(text, str) and len(text) == ID_LENGTH and _HEX.issuperset(text)


def jobs_dir(data_dir: str | None = None) -> str:
    return os.path.join(data_dir or paths.data_dir(), JOBS_DIR)


def program(plugin_root: str | None = None) -> str:
    return os.path.join(plugin_root or paths.plugin_root(), "bin", "llm-router")


# Which subcommands may run a job of which kind: the relay's jobs run through `delegate`; the
# second-opinion agent's through `review` or `consensus` (it picks one for its task).
VERBS = {"relay": ("delegate",), "second-opinion": ("review", "consensus")}


def command(job_id: str, data_dir: str, plugin_root: str | None = None, verb: str = "delegate") -> str:
    """The one shell command that runs job `job_id` through `verb`; byte for byte what the hook
    approves."""
    import shlex

    if not is_job_id(job_id):
        raise ValueError(f"not a relay job id: {job_id!r}")
    if not any(verb in verbs for verbs in VERBS.values()):
        raise ValueError(f"not a job subcommand: {verb!r}")
    return (f"LLM_ROUTER_HOME={shlex.quote(data_dir)} {shlex.quote(program(plugin_root))} "
            f"{verb} --job {job_id}")


def create(prompt: str, *, tier: str, agent: str, cwd: str, session_id: str | None,
           scope: str, data_dir: str | None = None, now: float | None = None,
           kind: str = "relay", continue_thread: str | None = None,
           transcript_path: str | None = None) -> str:
    """Store a job of `kind` (a key of VERBS) and return its id. `continue_thread`: the thread
    a resumed agent answered in before (threads.agent_thread), so `delegate --job` continues
    it; `transcript_path`: the Claude Code transcript the hook saw, for the brief (only its
    path is stored)."""
    import secrets

    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    folder = jobs_dir(data_dir)
    job_id = secrets.token_hex(16)
    created = time.time() if now is None else now
    _prune(folder, created)
    _write(os.path.join(folder, f"{job_id}.json"), {
        "id": job_id, "prompt": prompt, "tier": tier, "agent": agent, "cwd": cwd,
        "data_dir": os.path.abspath(data_dir or paths.data_dir()), "session_id": session_id or "",
        "scope": scope, "created_at": created, "kind": kind, "continue": continue_thread or None,
        "transcript_path": transcript_path if isinstance(transcript_path, str) else None})
    return job_id


def _write(path: str, obj: dict) -> None:
    # ASCII JSON: any str, lone surrogates included, comes back exactly (json.dumps with
    # ensure_ascii=False could not encode those); and no `import json` in a hook.
    from .io import fastjson

    fileio.atomic_write_bytes(path, fastjson.dumps(obj).encode("ascii"), mode=0o600)


def pending(job_id: str, data_dir: str | None = None) -> dict | None:
    """The unused job `job_id`, or None (bad id, no such job, used, unreadable)."""
    if not is_job_id(job_id):
        return None
    return _read(os.path.join(jobs_dir(data_dir), f"{job_id}.json"))


def consume(job_id: str, session_id: str | None = None, data_dir: str | None = None,
            kind: str = "relay") -> dict:
    """Take job `job_id` once and return it; UsageError if it is unknown, used, foreign or of
    another kind (a relay job never runs as a review, nor the other way round).

    `session_id` (the caller's CLAUDE_CODE_SESSION_ID, when it has one) must match the
    session the job was made for.
    """
    if not is_job_id(job_id):
        raise UsageError(f"'{job_id}' is not a relay job id (32 lowercase hex digits)",
                         "run only the exact command llm-router's hook gave the relay")
    folder = jobs_dir(data_dir)
    path = os.path.join(folder, f"{job_id}.json")
    with fileio.locked(os.path.join(folder, "jobs")):
        job = _read(path)
        if job is None:
            raise _missing(job_id, folder)
        if session_id and job.get("session_id") and job["session_id"] != session_id:
            raise UsageError(f"relay job {job_id} belongs to another Claude Code session",
                             "a job runs only in the session whose Agent call made it")
        if job.get("kind", "relay") != kind:
            raise UsageError(f"job {job_id} is a {job.get('kind')} job, not a {kind} job",
                             "run only the exact command llm-router's hook gave the agent")
        used = os.path.join(folder, f"{job_id}.used")
        os.replace(path, used)  # from here on the job is taken, whatever happens next
        _write(used, {"id": job_id, "session_id": job.get("session_id", ""), "used_at": time.time()})
    return job


def _missing(job_id: str, folder: str) -> UsageError:
    if os.path.exists(os.path.join(folder, f"{job_id}.used")):
        return UsageError(f"relay job {job_id} was already run (a job runs once)",
                          "ask for the task again: the hook makes a new job for each Agent call")
    return UsageError(f"relay job {job_id} does not exist in {folder}",
                      "run only the exact command llm-router's hook gave the relay; jobs older "
                      f"than {MAX_AGE_S // 3600} h are removed")


def _read(path: str) -> dict | None:
    job = _read_json(path)
    if job is None or not isinstance(job.get("prompt"), str):
        return None
    return job


def _read_json(path: str) -> dict | None:
    """A JSON object from a regular file (no symlink, FIFO or device), else None."""
    import stat

    from .io import fastjson

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 64 * 1024 * 1024:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            job = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return job if isinstance(job, dict) else None


def _prune(folder: str, now: float) -> None:
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if now - os.lstat(path).st_mtime > MAX_AGE_S and name.endswith((".json", ".used")):
                os.unlink(path)
        except OSError:
            pass


# ---- /pa arguments: from the prompt hook to the command's `!` line -----------------------
#
# The UserPromptSubmit hook sees the raw `/pa …` prompt and stores its arguments for the
# session; commands/pa.md's `!` line runs the fixed `llm-router pa --stashed <data dir>`,
# which takes them. No text the user typed is ever part of a shell command line.

PA_DIR = "pa-args"
PA_MAX_AGE_S = 300  # the `!` line runs right after the hook; an older stash is stale
PA_COMMANDS = ("/pa", "/llm-router:pa", "/llm-router pa")


def pa_arguments(prompt: str) -> str | None:
    """The argument string of a typed `/pa …` (any of its spellings), or None."""
    text = prompt.lstrip()
    for name in PA_COMMANDS:
        if text.startswith(name) and (len(text) == len(name) or text[len(name)].isspace()):
            return text[len(name):].strip()
    return None


def _session_file(session_id: object, data_dir: str | None) -> str | None:
    allowed = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 128 \
            or not allowed.issuperset(session_id):
        return None
    return os.path.join(data_dir or paths.data_dir(), PA_DIR, f"{session_id}.json")


def stash_pa(session_id: str, arguments: str, data_dir: str | None = None,
             now: float | None = None) -> bool:
    """Store the /pa arguments of `session_id`; False when the session id is unusable."""
    path = _session_file(session_id, data_dir)
    if path is None:
        return False
    _write(path, {"arguments": arguments, "session_id": session_id,
                  "created_at": time.time() if now is None else now})
    return True


def take_pa(session_id: str | None, data_dir: str | None = None,
            now: float | None = None) -> str | None:
    """The stashed /pa arguments of `session_id`, removed as they are read; None if there are
    none, they are stale, or the session id is unusable."""
    path = _session_file(session_id, data_dir)
    if path is None:
        return None
    with fileio.locked(os.path.join(os.path.dirname(path), "stash")):
        stash = _read_json(path)
        try:
            os.unlink(path)
        except OSError:
            pass
    if not stash or not isinstance(stash.get("arguments"), str):
        return None
    created = stash.get("created_at")
    moment = time.time() if now is None else now
    if not isinstance(created, (int, float)) or not 0 <= moment - created <= PA_MAX_AGE_S:
        return None
    return stash["arguments"]
