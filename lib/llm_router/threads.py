"""Threads: every external answer is a turn of a thread, a short id the user can continue.

A thread is one file, `<data dir>/threads/<id>.json` (0600, written atomically under that
thread's own lock: there is no shared index for two writers to read-modify-write). It holds
the model key, the provider that answered and that provider's own session id (what its
resume flag takes), the cwd, the scope, the last answer's text (cut to LAST_ANSWER_CHARS, so a
switch to another model has a real summary to hand over), and the turns: for each, the
prompt and answer sha-256 digests, the ledger row ids and who answered. Prompts themselves are
never stored.

The id is 5 characters of lowercase base32 (32^5, about 33 million ids), reserved with
O_CREAT|O_EXCL so two processes can never take the same one.

`<data dir>/thread-agents/<sha256 of agent id>` maps a Claude Code agent id to the thread its
relay job answered, one small file per agent: a resumed agent reaches the same thread.

Standard library only: the hooks import this module.
"""

import os
import time

from . import paths
from .errors import UsageError
from .io import fileio

THREADS_DIR = "threads"
AGENTS_DIR = "thread-agents"
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
ID_LENGTH = 5
LAST_ANSWER_CHARS = 4000
MAX_THREAD_BYTES = 4 * 1024 * 1024
LOCK_TIMEOUT_S = 30.0
_ID_SET = frozenset(ID_ALPHABET)


class ThreadError(UsageError):
    """A thread id that is malformed, unknown or whose file cannot be read."""


class ThreadUnavailable(UsageError):
    """The thread's provider cannot take its next turn now, and no switch was allowed."""


def is_thread_id(text: object) -> bool:
    return isinstance(text, str) and len(text) == ID_LENGTH and _ID_SET.issuperset(text)


def threads_dir(data_dir: str | None = None) -> str:
    return os.path.join(data_dir or paths.data_dir(), THREADS_DIR)


def _path(thread_id: str, data_dir: str | None = None) -> str:
    return os.path.join(threads_dir(data_dir), f"{thread_id}.json")


def _new_id() -> str:
    raw = int.from_bytes(os.urandom(4), "big")
    return "".join(ID_ALPHABET[(raw >> (5 * i)) & 31] for i in range(ID_LENGTH))


def reserve(data_dir: str | None = None) -> str:
    """A fresh id whose file now exists (empty: `start` fills it). O_EXCL makes it unique."""
    folder = threads_dir(data_dir)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    for _ in range(64):
        thread_id = _new_id()
        try:
            fd = os.open(_path(thread_id, data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return thread_id
    raise ThreadError("could not find a free thread id after 64 tries",
                      "run `llm-router threads prune --older-than 30d` to remove old threads")


def release(thread_id: str, data_dir: str | None = None) -> None:
    """Give back a reserved id whose call failed before any turn was stored."""
    path = _path(thread_id, data_dir)
    try:
        if os.path.getsize(path) == 0:
            os.unlink(path)
    except OSError:
        pass


def load(thread_id: str, data_dir: str | None = None) -> dict:
    """The thread `thread_id`; ThreadError when it is malformed, unknown or unreadable."""
    if not is_thread_id(thread_id):
        raise ThreadError(f"'{thread_id}' is not a thread id",
                          f"a thread id is {ID_LENGTH} characters of a-z and 2-7; "
                          "`llm-router threads list` shows them")
    return _read(_path(thread_id, data_dir), thread_id)


def _read(path: str, thread_id: str) -> dict:
    from .io import fastjson

    try:
        raw = fileio.read_regular(path, MAX_THREAD_BYTES)
    except FileNotFoundError:
        raise ThreadError(f"no thread '{thread_id}'",
                          "`llm-router threads list` shows the threads there are") from None
    except OSError as exc:
        raise ThreadError(f"thread '{thread_id}' cannot be read: {exc.strerror or exc}",
                          f"check {path}, or start a new thread without --continue") from None
    try:
        thread = fastjson.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        thread = None
    if not isinstance(thread, dict) or not isinstance(thread.get("turns"), list):
        raise ThreadError(f"thread '{thread_id}' is damaged (its file is not a thread record)",
                          f"remove {path} and start a new thread without --continue")
    return thread


def add_turn(thread_id: str, turn: dict, *, model: str, provider: str,
             provider_session_id: str | None, cwd: str | None, scope: str,
             answer_text: str | None, data_dir: str | None = None, now: float | None = None) -> dict:
    """Append `turn` to the thread (creating it on its first turn) and return the thread.

    The read-modify-write runs under the thread's own lock, so concurrent continues each
    land exactly once."""
    path = _path(thread_id, data_dir)
    stamp = time.time() if now is None else now
    with fileio.locked(path, timeout=LOCK_TIMEOUT_S):
        try:
            exists = os.path.getsize(path) > 0
        except OSError:
            exists = False
        thread = _read(path, thread_id) if exists else {
            "id": thread_id, "created_at": stamp, "turns": []}
        thread.update({"model": model, "provider": provider, "cwd": cwd, "scope": scope,
                       "updated_at": stamp})
        if provider_session_id:
            thread["provider_session_id"] = provider_session_id
        thread.setdefault("provider_session_id", None)
        if answer_text is not None:
            thread["last_answer"] = answer_text[-LAST_ANSWER_CHARS:]
        thread["turns"].append({"n": len(thread["turns"]) + 1, "at": stamp, **turn})
        _write(path, thread)
    return thread


def _write(path: str, obj: dict) -> None:
    from .io import fastjson

    fileio.atomic_write_bytes(path, fastjson.dumps(obj).encode("ascii"), mode=0o600)


def list_threads(data_dir: str | None = None) -> tuple[list[dict], list[str]]:
    """(threads newest first, ids whose files are damaged). Reserved empty ids are skipped."""
    folder = threads_dir(data_dir)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return [], []
    found, damaged = [], []
    for name in names:
        thread_id, dot, ext = name.partition(".")
        if ext != "json" or not dot or not is_thread_id(thread_id):
            continue
        path = os.path.join(folder, name)
        try:
            if os.path.getsize(path) == 0:
                continue
            found.append(_read(path, thread_id))
        except (ThreadError, OSError):
            damaged.append(thread_id)
    found.sort(key=lambda t: t.get("updated_at") or 0, reverse=True)
    return found, sorted(damaged)


def prune(older_than_s: float, data_dir: str | None = None, now: float | None = None) -> list[str]:
    """Remove threads not used for `older_than_s` seconds; their ids."""
    cutoff = (time.time() if now is None else now) - older_than_s
    folder = threads_dir(data_dir)
    removed = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return removed
    for name in names:
        thread_id, _, ext = name.partition(".")
        path = os.path.join(folder, name)
        if ext not in ("json", "json.lock") or not is_thread_id(thread_id):
            continue
        try:
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
                if ext == "json":
                    removed.append(thread_id)
        except OSError:
            continue
    return sorted(removed)


def summary(thread: dict, max_chars: int = LAST_ANSWER_CHARS) -> str:
    """What a model that takes over a thread is told about it (prompts are not stored)."""
    turns = thread.get("turns") or []
    lines = [f"[llm-router thread {thread.get('id')}: this conversation continues one that "
             f"{thread.get('model')} ({thread.get('provider')}) answered in {len(turns)} turn(s); "
             "that model is unavailable now, so you take over.]"]
    last = thread.get("last_answer")
    if last:
        lines.append("Its last answer was:\n" + last[-max_chars:])
    return "\n".join(lines) + "\n\n[The next message follows.]\n"


# ---- agent id -> thread ---------------------------------------------------------------------

def _agent_path(agent_id: str, data_dir: str | None) -> str:
    from .io.digest import sha256_hex

    return os.path.join(data_dir or paths.data_dir(), AGENTS_DIR,
                        sha256_hex(agent_id.encode("utf-8", "surrogatepass")))


def remember_job_agent(job_id: str, agent_id: object, data_dir: str | None = None) -> None:
    """The relay agent `agent_id` runs job `job_id` (seen by the Bash hook inside it), so the
    job's thread can be mapped to that agent once `delegate --job` knows it."""
    if isinstance(agent_id, str) and 0 < len(agent_id) <= 200:
        fileio.atomic_write_bytes(_agent_path("job:" + job_id, data_dir),
                                  agent_id.encode("utf-8", "surrogatepass"), 0o600)


def job_agent(job_id: str, data_dir: str | None = None) -> str | None:
    try:
        return fileio.read_regular(_agent_path("job:" + job_id, data_dir), 400).decode(
            "utf-8", "surrogatepass") or None
    except (OSError, UnicodeDecodeError):
        return None


def remember_agent(agent_id: str, thread_id: str, data_dir: str | None = None) -> None:
    if not agent_id or not is_thread_id(thread_id):
        return
    fileio.atomic_write_bytes(_agent_path(agent_id, data_dir), thread_id.encode("ascii"), 0o600)


def agent_thread(agent_id: object, data_dir: str | None = None) -> str | None:
    """The thread the relay answered for Claude Code agent `agent_id`, or None."""
    if not isinstance(agent_id, str) or not agent_id or len(agent_id) > 200:
        return None
    try:
        text = fileio.read_regular(_agent_path(agent_id, data_dir), 64).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if is_thread_id(text) else None
