"""Start a job's worker detached from the caller: its own session and process group, stdin
from /dev/null, stdout/stderr into the job's worker.log, no other descriptor of ours. Then
the Bash tool call, the Claude Code turn or the session can end without taking it along, and
the caller's pipes close as soon as the caller exits (nothing waits on the worker).

The worker is `bin/llm-router jobs _worker ID`, so it runs under the same interpreter choice
as any call (LLM_ROUTER_PYTHON, the plugin's venv, python3)."""

from __future__ import annotations

import os

from .. import paths
from ..io import proc


def worker_argv(job_id: str) -> list[str]:
    return [os.path.join(paths.plugin_root(), "bin", "llm-router"), "jobs", "_worker", job_id]


def start_worker(job_id: str, job_folder: str) -> int:
    """posix_spawn the worker in a new session; returns its pid (the exec keeps it)."""
    argv = worker_argv(job_id)
    env = dict(os.environ)
    env["LLM_ROUTER_HOME"] = paths.data_dir()  # the worker must see this data dir, whatever set it
    if paths.CALLER_UMASK is not None:  # the worker hands the caller's umask on to its CLIs
        env[paths.CALLER_UMASK_VAR] = format(paths.CALLER_UMASK, "o")
    proc._stop_passing_on_inherited_fds()  # the caller's pipes must not stay open in the worker
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.path.join(job_folder, "worker.log"),
                os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
               (os.POSIX_SPAWN_DUP2, 1, 2)]
    try:
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True,
                              setsigdef=proc.RESTORED_SIGNALS)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID: a group of its own still detaches it
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setpgroup=0,
                              setsigdef=proc.RESTORED_SIGNALS)
