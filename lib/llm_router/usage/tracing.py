"""Optional per-call traces (policy `tracing`), off by default.

  trace             append one JSON line per attempt to trace_jsonl_path (default <data>/trace.jsonl)
  transcripts       also keep the full prompt and answer, one file per attempt, under
                    trace_dir/<YYYY-MM-DD>/ (default <data>/traces)
  trace_dir, trace_jsonl_path   relative paths are taken from the data dir; after symlinks are
                    resolved both must lie inside it, whoever set them (else the trace is
                    dropped and logged; `policy validate` reports it)
The two switches are independent. Everything is redacted before it is written, files are
0600 and folders 0700: prompts routinely contain code and credentials. A trace that cannot
be written is logged and dropped; it never fails the call it describes.
Standard library only: this runs on the invoke path.
"""

import os
import time

from ..errors import ConfigError
from ..io import fileio
from ..log import log_problem
from ..policy import data_dir_path
from ..redact import redact, redact_obj


def settings(config: dict | None) -> dict:
    """The `tracing` section with defaults and absolute, resolved paths inside the data dir
    (ConfigError for a path outside it)."""
    config = config or {}
    return {
        "trace": bool(config.get("trace", False)),
        "transcripts": bool(config.get("transcripts", False)),
        "trace_dir": data_dir_path(config.get("trace_dir"), "traces", "$.tracing.trace_dir"),
        "trace_jsonl_path": data_dir_path(config.get("trace_jsonl_path"), "trace.jsonl",
                                          "$.tracing.trace_jsonl_path"),
    }


def enabled(config: dict | None) -> bool:
    config = config or {}
    return bool(config.get("trace") or config.get("transcripts"))


def write_call(record: dict, prompt: str | None = None, answer: str | None = None,
               config: dict | None = None) -> None:
    """Write what `config` (the policy's `tracing` section; read from the policy when not
    given) asks for; a no-op when tracing is off."""
    if config is None:
        from ..policy import load_policy_quietly

        config = load_policy_quietly().get("tracing")
    if not enabled(config):
        return
    try:
        cfg = settings(config)
    except ConfigError as exc:
        log_problem(f"tracing: trace dropped: {exc.message}")
        return
    clean = redact_obj(record)
    try:
        if cfg["trace"]:
            _append_line(cfg["trace_jsonl_path"], clean)
        if cfg["transcripts"]:
            _write_transcript(cfg["trace_dir"], clean, redact(prompt), redact(answer))
    except (OSError, ConfigError) as exc:
        log_problem(f"tracing: cannot write a trace ({getattr(exc, 'message', exc)})")


def _append_line(path: str, record: dict) -> None:
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    import json  # only when tracing is on

    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    # O_NOFOLLOW: the path was resolved inside the data dir; a symlink planted since is refused
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    try:
        if (os.fstat(fd).st_mode & 0o170000) != 0o100000:
            raise fileio.NotRegularFile(22, "not a regular file", path)
        os.fchmod(fd, 0o600)  # a file the user created by hand may be wider
        os.write(fd, line)  # one write per line: concurrent writers append whole lines
    finally:
        os.close(fd)


def _write_transcript(trace_dir: str, record: dict, prompt: str | None, answer: str | None) -> str:
    stamp = record.get("ts") or time.time()
    day = time.strftime("%Y-%m-%d", time.localtime(stamp))
    folder = os.path.join(trace_dir, day)
    os.makedirs(trace_dir, mode=0o700, exist_ok=True)  # makedirs' mode covers the leaf only
    os.makedirs(folder, mode=0o700, exist_ok=True)
    folder = data_dir_path(folder, folder, "$.tracing.trace_dir")  # a day folder symlinked out
    # The ledger id links a transcript to its row; a spooled row has none, so random then.
    ident = record.get("id") or os.urandom(4).hex()
    model = _slug(record.get("model_used") or record.get("requested_model"))
    name = f"{time.strftime('%H%M%S', time.localtime(stamp))}-{ident}-{model}.json"
    path = os.path.join(folder, name)
    body = {"record": record, "prompt": prompt, "answer": answer}
    import json

    fileio.atomic_write_bytes(path, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"), 0o600)
    return path


def _slug(text: str | None) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in (text or "unknown"))[:60]
