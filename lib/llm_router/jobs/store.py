"""Background jobs on disk: one folder per job under <data dir>/jobs/, nothing shared.

    jobs/<id>/            0700
      request.json        what to run (kind, prompt, route options, cwd, label, deadline); the
                          worker replaces the prompt by its hash once the call has run
      state.json          queued | running | done | failed | cancelled, pid, times, model
      output.txt          streamed text as it arrives
      answer.json         the final answer (the same object as `invoke --json`)
      error.json          the error class, message and hint when it failed
      heartbeat           its mtime is the worker's last sign of life
      worker.log          the worker's own stdout/stderr (a crash's traceback lands here)

Every file is 0600. state.json is only ever replaced whole (io/fileio.atomic_write_json)
under its own lock, so a reader sees the old or the new state and two writers (the worker
finishing, `cancel`) cannot interleave. There is no index file: `list` scans the folders, so
twelve jobs started at once by twelve processes cannot lose each other.
"""

from __future__ import annotations

import json
import os
import time

from .. import paths
from ..errors import UsageError
from ..io.fileio import atomic_write_json, locked

STATES = ("queued", "running", "done", "failed", "cancelled", "stale")
FINAL = ("done", "failed", "cancelled")
HEARTBEAT_S = 2.0  # how often a worker touches its heartbeat file
STALE_AFTER_S = 30.0  # a running job whose heartbeat is older than this is stale
START_GRACE_S = 30.0  # a queued job whose worker never said "running" within this is stale


def root() -> str:
    return os.path.join(paths.data_dir(), "jobs")


def folder(job_id: str) -> str:
    if not job_id or "/" in job_id or job_id.startswith(".") or len(job_id) > 64:
        raise UsageError(f"'{job_id}' is not a job id", "pass an id from `llm-router jobs list`")
    return os.path.join(root(), job_id)


def existing(job_id: str) -> str:
    path = folder(job_id)
    if not os.path.isfile(os.path.join(path, "state.json")):
        raise UsageError(f"no job '{job_id}'", "see `llm-router jobs list` for the ids")
    return path


def create(request: dict) -> str:
    """A new job folder holding request.json and state "queued"; returns its id."""
    import secrets

    paths.ensure_data_dir()
    os.makedirs(root(), mode=0o700, exist_ok=True)
    while True:
        job_id = time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(3)
        try:
            os.mkdir(folder(job_id), 0o700)  # atomic: two starters never get the same folder
            break
        except FileExistsError:
            continue
    path = folder(job_id)
    atomic_write_json(os.path.join(path, "request.json"), {**request, "id": job_id})
    write_state(job_id, {"state": "queued", "created_at": time.time(), "model": request.get("model_key"),
                         "label": request.get("label")})
    return job_id


def read_json(path: str) -> dict | None:
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


def request(job_id: str) -> dict:
    return read_json(os.path.join(existing(job_id), "request.json")) or {}


def raw_state(job_id: str) -> dict:
    return read_json(os.path.join(folder(job_id), "state.json")) or {"state": "failed",
                                                                       "reason": "state.json unreadable"}


def write_state(job_id: str, state: dict) -> None:
    atomic_write_json(os.path.join(folder(job_id), "state.json"), state)


def update_state(job_id: str, change: dict, unless_final: bool = True) -> dict:
    """Apply `change` to the state under the job's lock. With `unless_final`, a job already
    done/failed/cancelled is left as it is (a worker finishing after `cancel` loses)."""
    state_path = os.path.join(folder(job_id), "state.json")
    with locked(state_path):
        current = raw_state(job_id)
        if unless_final and current.get("state") in FINAL:
            return current
        current.update(change)
        write_state(job_id, current)
        return current


def write_file(job_id: str, name: str, obj: dict) -> None:
    atomic_write_json(os.path.join(folder(job_id), name), obj)


def append_output(job_id: str, text: str) -> None:
    fd = os.open(os.path.join(folder(job_id), "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                 0o600)
    try:
        os.write(fd, text.encode("utf-8", "replace"))
    finally:
        os.close(fd)


def touch_heartbeat(job_id: str) -> None:
    path = os.path.join(folder(job_id), "heartbeat")
    try:
        os.utime(path)
    except FileNotFoundError:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def heartbeat_age(job_id: str, now: float) -> float | None:
    try:
        return max(0.0, now - os.stat(os.path.join(folder(job_id), "heartbeat")).st_mtime)
    except OSError:
        return None


def ids() -> list[str]:
    """Every job id, oldest first (ids start with the UTC time they were created)."""
    try:
        names = os.listdir(root())
    except FileNotFoundError:
        return []
    return sorted(n for n in names if os.path.isfile(os.path.join(root(), n, "state.json")))


# ---- is the worker alive? --------------------------------------------------------------------

def process_start(pid: int) -> str | None:
    """The start time of `pid` (field 22 of /proc/PID/stat) or None when it is gone or a
    zombie; it tells our worker from an unrelated process that got the same pid later."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return _start_without_proc(pid)
    if fields[0] in (b"Z", b"X"):
        return None
    return fields[19].decode()


def _start_without_proc(pid: int) -> str | None:
    if os.path.isdir("/proc/self"):
        return None  # /proc exists, so the pid is gone
    try:  # no /proc (macOS): all we can tell is whether the pid exists
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "unknown"


def status(job_id: str, now: float | None = None) -> dict:
    """The state as recorded, corrected to `stale` (with why) when the worker is gone or
    silent while the state still says queued/running; plus elapsed time and last output line."""
    now = time.time() if now is None else now
    state = raw_state(job_id)
    state["id"] = job_id
    why = stale_reason(job_id, state, now)
    if why:  # the worker may have recorded its end between our two looks: read the state again
        again = raw_state(job_id)
        if again.get("state") != state.get("state"):
            state, why = {**again, "id": job_id}, None
    if why:
        state["recorded_state"], state["state"], state["stale_reason"] = state["state"], "stale", why
    start = state.get("started_at") or state.get("created_at") or now
    state["elapsed_s"] = round((state.get("ended_at") or now) - start, 1)
    state["last_line"] = last_line(job_id)
    return state


def stale_reason(job_id: str, state: dict, now: float) -> str | None:
    if state.get("state") == "queued":
        pid = state.get("pid")
        if pid and process_start(int(pid)) is None:
            return f"its worker (pid {pid}) exited before it started the call (see worker.log)"
        if now - (state.get("created_at") or now) > START_GRACE_S:
            return f"its worker never started (queued for more than {START_GRACE_S:g} s)"
        return None
    if state.get("state") != "running":
        return None
    pid = state.get("pid")
    if not pid:
        return "running, but no worker pid was recorded"
    started = process_start(int(pid))
    if started is None or (state.get("pid_start") not in (None, "unknown") and started != "unknown"
                           and started != state.get("pid_start")):
        return f"its worker (pid {pid}) is gone without recording a result"
    age = heartbeat_age(job_id, now)
    if age is None:  # the worker writes it before "running"; count from the start if it went
        age = now - (state.get("started_at") or now)
    if age > STALE_AFTER_S:
        return f"its worker (pid {pid}) last gave a heartbeat {age:.0f} s ago (bound {STALE_AFTER_S:g} s)"
    deadline = state.get("deadline_s")
    if deadline and now - (state.get("started_at") or now) > float(deadline) + 60:
        return f"it ran past its deadline of {float(deadline):g} s"
    return None


def last_line(job_id: str) -> str | None:
    path = os.path.join(folder(job_id), "output.txt")
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 4096))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1][:200] if lines else None


def prune(older_than_s: float, now: float | None = None) -> list[str]:
    """Remove finished jobs (and stale ones whose worker is gone) that ended more than
    `older_than_s` seconds ago."""
    import shutil

    now = time.time() if now is None else now
    removed = []
    for job_id in ids():
        state = status(job_id, now)
        if state["state"] not in (*FINAL, "stale"):
            continue
        if state["state"] == "stale" and state.get("pid") and process_start(int(state["pid"])):
            continue  # silent but alive: `cancel` it first, its folder is still in use
        ended = state.get("ended_at") or state.get("created_at") or now
        if now - ended >= older_than_s:
            shutil.rmtree(folder(job_id), ignore_errors=True)
            removed.append(job_id)
    return removed


def cancel(job_id: str) -> dict:
    """Kill the job's worker tree and record `cancelled`, under the job's lock (a worker that
    finishes meanwhile waits for it, then finds the job final and leaves it)."""
    from . import kill

    existing(job_id)
    state_path = os.path.join(folder(job_id), "state.json")
    with locked(state_path):
        state = raw_state(job_id)
        if state.get("state") in FINAL:
            return {**state, "id": job_id, "cancelled_now": False}
        pid = state.get("pid")
        groups: set = set()
        if pid:
            started = process_start(int(pid))
            recorded = state.get("pid_start")
            if started is not None and (recorded in (None, "unknown") or started in (recorded, "unknown")):
                groups = kill.kill_tree(int(pid))
        state.update({"state": "cancelled", "ended_at": time.time(),
                      "killed_groups": sorted(groups)})
        write_state(job_id, state)
    return {**state, "id": job_id, "cancelled_now": True}
