"""The input of a review, built from git: the changed hunks with CONTEXT_LINES around them,
cut into shards of at most `budget` characters. Over budget, the diff is sharded by file (a
file bigger than the budget by hunk, a hunk bigger than the budget by lines) and the report
says so: every changed line reaches some reviewer, nothing is dropped.

git runs with --no-ext-diff --no-textconv: the repository is untrusted, and a diff driver or
textconv filter would run a program of its choosing."""

from __future__ import annotations

import os

from ..errors import UsageError

CONTEXT_LINES = 10
DEFAULT_BUDGET = 60_000  # characters of diff per reviewer call
MAX_SHARDS = 16  # reviewer calls per model; past it the review stops and says how to narrow it
GIT_TIMEOUT_S = 60


def git(args: list[str], cwd: str, check: bool = True) -> str:
    import subprocess

    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True,
                              timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError as exc:
        raise UsageError("git is not installed", "install git to use `llm-router review`") from exc
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"git {args[0]} took more than {GIT_TIMEOUT_S} s", "try again, or narrow --paths") from exc
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {message[-1] if message else done.returncode}",
                         "run it yourself in the repository to see why")
    # unchecked: the output whatever the status (`diff --no-index` exits 1 when files differ)
    return done.stdout.decode("utf-8", "replace")


def repo_root(cwd: str) -> str:
    try:
        return git(["rev-parse", "--show-toplevel"], cwd).strip()
    except UsageError:
        raise UsageError(f"{cwd} is not inside a git repository",
                         "run `llm-router review` from your repository, or pass --cwd DIR") from None


def resolve(ref: str, root: str) -> str | None:
    if ref.startswith("-"):  # never an option to git
        return None
    out = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root, check=False).strip()
    return out if len(out) >= 40 and "\n" not in out else None


def base_commit(root: str, base: str | None) -> tuple[str, str, str]:
    """(the name shown, the base's commit, the merge-base with HEAD). Without --base: the
    upstream branch, else main, else master, else HEAD itself (uncommitted changes only)."""
    if base is not None:
        if not resolve(base, root):
            raise UsageError(f"--base {base}: no such branch, tag or commit in {root}",
                             "pass a ref that exists (see `git branch -a`), or leave --base out "
                             "to use the upstream branch or main")
        name = base
    else:
        name = next((ref for ref in ("@{upstream}", "main", "master") if resolve(ref, root)), "HEAD")
    commit = resolve(name, root)
    if commit is None:  # an empty repository: no HEAD yet
        raise UsageError("this repository has no commit yet", "commit once, then ask for a review")
    merge = git(["merge-base", commit, "HEAD"], root, check=False).strip() or commit
    return name, commit, merge


def collect(root: str, base: str | None, staged: bool, untracked: bool, paths: list[str]) -> dict:
    """The whole diff, split per file: {"base", "merge_base", "files": [(path, text)], "mode"}."""
    if staged and base is None:  # only what is staged: the index against HEAD
        name, merge = "HEAD", resolve("HEAD", root) or ""
        if not merge:
            raise UsageError("this repository has no commit yet", "commit once, then ask for a review")
    else:
        name, _commit, merge = base_commit(root, base)
    spec = ["--", *paths] if paths else []
    args = ["diff", "--no-ext-diff", "--no-textconv", "--no-color", f"--unified={CONTEXT_LINES}"]
    text = git([*args, "--cached", merge, *spec] if staged else [*args, merge, *spec], root)
    files = split_files(text)
    if untracked:
        files += untracked_files(root, paths)
    mode = ("staged changes" if base is None else "committed and staged changes") if staged \
        else "committed and uncommitted changes"
    return {"base": name, "merge_base": merge, "files": files,
            "mode": mode + (" plus untracked files" if untracked else "")}


def split_files(text: str) -> list[tuple[str, str]]:
    files, current, lines = [], None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("diff --git "):
            if current is not None:
                files.append((current, "".join(lines)))
            current, lines = line.rstrip("\n").split(" b/", 1)[-1], []
        lines.append(line)
    if current is not None:
        files.append((current, "".join(lines)))
    return files


def untracked_files(root: str, paths: list[str]) -> list[tuple[str, str]]:
    names = git(["ls-files", "--others", "--exclude-standard", "-z", "--", *paths], root).split("\0")
    files = []
    for name in filter(None, names):
        diff = git(["diff", "--no-ext-diff", "--no-textconv", "--no-color", "--no-index", "--",
                    os.devnull, name], root, check=False)
        if diff:
            files.append((name, diff))
    return files


def shard(files: list[tuple[str, str]], budget: int) -> list[list[tuple[str, str]]]:
    """Files packed into shards of at most `budget` characters, in order; pieces of a file
    too big for one shard keep its header so each piece says which file it is."""
    pieces: list[tuple[str, str]] = []
    for path, text in files:
        pieces += [(path, part) for part in split_big(text, budget)] if len(text) > budget else [(path, text)]
    total = sum(len(text) for _path, text in pieces)
    if total > budget * MAX_SHARDS:
        raise UsageError(f"the diff is {total} characters: more than {MAX_SHARDS} parts of {budget}",
                         "narrow it with --paths, or raise --budget (characters per reviewer call)")
    shards: list[list[tuple[str, str]]] = []
    size = budget + 1
    for path, text in pieces:
        if size + len(text) > budget:
            shards.append([])
            size = 0
        shards[-1].append((path, text))
        size += len(text)
    return shards


def split_big(text: str, budget: int) -> list[str]:
    """One file's diff in parts of at most `budget` characters: by hunk, else by line."""
    head, _sep, rest = text.partition("\n@@")
    header = head + "\n"
    hunks = ["@@" + h for h in ("\n@@" + rest).split("\n@@")[1:]] if rest else []
    room = max(budget - len(header) - 40, 200)
    parts, current = [], ""
    for hunk in hunks:
        hunk = hunk if hunk.endswith("\n") else hunk + "\n"
        for chunk in _by_lines(hunk, room) if len(hunk) > room else [hunk]:
            if current and len(current) + len(chunk) > room:
                parts.append(current)
                current = ""
            current += chunk
    if current or not parts:
        parts.append(current)
    return [f"{header}{part}" for part in parts]


def _by_lines(text: str, room: int) -> list[str]:
    chunks, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > room:  # one enormous line (minified code): cut it, never drop it
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:room])
            line = line[room:]
        if current and len(current) + len(line) > room:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return chunks
