"""The context brief: what the first turn of a thread tells the external model about where it is.

    text, info = build(prompt, cwd, scope, transcript_path)

The brief holds, in this order and only while it fits in policy `brief.max_tokens` (about 4
characters a token): the repository root and branch, the files the task names that exist
inside the repository (paths only, never their content), `git status --short`, and the diff
stat against the upstream. Then, only when policy `brief.transcript_lines` is above 0, the
scope is write and the caller knows the Claude Code transcript (a relay job: the hook's
`transcript_path`), the last lines of that conversation, redacted. A read-only task gets no
transcript lines: the conversation may hold things the repository does not, and a task that
only reads needs the repository, not the chat.

git runs through io/proc.py (no shell, a timeout, its group killed), with optional locks off
and no external diff or textconv driver: a repository's .gitattributes may name a driver, and
nothing a repository ships may choose a program we run.

`info` is what `--json` shows: {"chars", "max_tokens", "sections", "truncated", "skipped"}.
"""

import os

DEFAULT_MAX_TOKENS = 1500
CHARS_PER_TOKEN = 4
GIT_TIMEOUT_S = 5.0
MAX_NAMED_FILES = 20
MAX_STATUS_LINES = 40
TRANSCRIPT_TAIL_BYTES = 256 * 1024
TRANSCRIPT_LINE_CHARS = 400
_GIT_SAFETY = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
               "-c", "diff.external=", "--no-pager")


def settings(policy: dict) -> tuple[int, int]:
    section = policy.get("brief") or {}
    return (int(section.get("max_tokens", DEFAULT_MAX_TOKENS)),
            int(section.get("transcript_lines", 0)))


def build(prompt: str, cwd: str, scope: str, transcript_path: str | None = None,
          policy: dict | None = None) -> tuple[str, dict]:
    """(the brief to put before the prompt, or "", and what --json shows of it)."""
    if policy is None:
        from .invocation import load_policy

        policy = load_policy()
    max_tokens, transcript_lines = settings(policy)
    info = {"chars": 0, "max_tokens": max_tokens, "sections": [], "truncated": False,
            "skipped": None}
    root = _git(cwd, "rev-parse", "--show-toplevel")
    if not root:
        info["skipped"] = "not inside a git repository"
        return "", info
    root = root.strip()
    sections = [("repository", f"{root} (branch {(_git(root, 'rev-parse', '--abbrev-ref', 'HEAD') or '?').strip()})")]
    named = named_files(prompt, root, cwd)
    if named:
        sections.append(("files named in the task", "\n".join(named)))
    status = _git(root, "status", "--short", "--untracked-files=normal")
    if status is not None:
        lines = status.splitlines()
        sections.append(("git status --short", "\n".join(lines[:MAX_STATUS_LINES]) or "(clean)"))
    stat = _git(root, "diff", "--stat", "--no-ext-diff", "--no-textconv", "@{upstream}")
    sections.append(("diff stat against the upstream",
                     stat.strip() or "(no difference)" if stat is not None else "(no upstream)"))
    if transcript_path and transcript_lines > 0 and scope == "write":
        tail = transcript_tail(transcript_path, transcript_lines)
        if tail:
            sections.append(("the Claude Code conversation so far (last lines, redacted)", tail))
    return _assemble(sections, max_tokens * CHARS_PER_TOKEN, info)


def _assemble(sections: list, budget: int, info: dict) -> tuple[str, dict]:
    head, tail = "[llm-router brief: where this task runs]\n", "[end of brief; the task follows]\n\n"
    text = head
    for title, body in sections:
        part = f"## {title}\n{body}\n"
        room = budget - len(text) - len(tail)
        if room <= 0:
            info["truncated"] = True
            break
        if len(part) > room:
            part = part[:room].rsplit("\n", 1)[0] + "\n"
            info["truncated"] = True
        text += part
        info["sections"].append(title)
        if info["truncated"]:
            break
    text += tail
    if len(text) > budget:  # a budget smaller than the frame itself: no brief at all
        info.update(skipped="brief.max_tokens is too small for any section", sections=[],
                    truncated=True)
        return "", info
    info["chars"] = len(text)
    return text, info


def named_files(prompt: str, root: str, cwd: str) -> list[str]:
    """Paths in the prompt that name existing files or folders inside `root`, relative to it."""
    real_root = os.path.realpath(root)
    found = []
    for word in prompt.split():
        word = word.strip("`'\"()[]{}<>,;:")
        if not word or ("/" not in word and "." not in word) or len(word) > 300 or "\x00" in word:
            continue
        for base in (cwd, root):
            full = os.path.realpath(os.path.join(base, word))
            if (full == real_root or full.startswith(real_root + os.sep)) and os.path.exists(full):
                rel = os.path.relpath(full, real_root)
                if rel not in found:
                    found.append(rel)
                break
        if len(found) >= MAX_NAMED_FILES:
            break
    return found


def transcript_tail(path: str, lines: int) -> str:
    """The last `lines` user/assistant texts of a Claude Code transcript (JSON Lines), each cut
    to TRANSCRIPT_LINE_CHARS and redacted; "" when it cannot be read."""
    from .io import fastjson
    from .redact import redact

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            info = os.fstat(fd)
            if (info.st_mode & 0o170000) != 0o100000:
                return ""
            os.lseek(fd, max(0, info.st_size - TRANSCRIPT_TAIL_BYTES), os.SEEK_SET)
            raw = os.read(fd, TRANSCRIPT_TAIL_BYTES)
        finally:
            os.close(fd)
    except OSError:
        return ""
    texts = []
    for line in raw.decode("utf-8", "replace").splitlines()[1:] if len(raw) == TRANSCRIPT_TAIL_BYTES \
            else raw.decode("utf-8", "replace").splitlines():
        try:
            event = fastjson.loads(line)
        except ValueError:
            continue
        said = _said(event)
        if said:
            texts.append(said)
    return "\n".join(redact(t) or "" for t in texts[-lines:])


def _said(event) -> str | None:
    if not isinstance(event, dict) or event.get("type") not in ("user", "assistant"):
        return None
    content = (event.get("message") or {}).get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content
                           if isinstance(p, dict) and p.get("type") == "text")
    if not isinstance(content, str) or not content.strip():
        return None
    text = " ".join(content.split())[:TRANSCRIPT_LINE_CHARS]
    return f"{event['type']}: {text}"


def _git(cwd: str, *args: str) -> str | None:
    """git's stdout, or None when git is missing, fails or times out."""
    from .io import proc

    git = proc.which("git")
    if not git or not os.path.isdir(cwd):
        return None
    env = proc.child_env({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0",
                          "GIT_EXTERNAL_DIFF": None, "GIT_PAGER": "cat", "LC_ALL": "C"})
    try:
        done = proc.run([git, *_GIT_SAFETY, "-C", cwd, *args], stdin=None, env=env,
                        timeout=GIT_TIMEOUT_S, cwd=cwd, label="git", max_output=1 << 20)
    except Exception:  # noqa: BLE001 - a brief is best effort: no git, a timeout, too much output
        return None
    return done.stdout_text if done.returncode == 0 else None
