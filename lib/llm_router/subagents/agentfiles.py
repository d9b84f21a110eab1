"""Read subagent files (Markdown with YAML frontmatter) and set their `model:` key in place.

Reading uses python-frontmatter. Writing must leave every byte except the `model:` line alone
(comments, quoting, key order, list indentation, folded scalars, CRLF, the body). A full
ruamel.yaml load-and-dump does not promise that: it re-indents lists and re-attaches
comments. So ruamel.yaml's round-trip composer locates the keys (exact line and column of
every node), the change is spliced into the original text as one line, and the result is
loaded again to prove that only `model` changed. If no placement passes that proof, the file
is left alone and the problem reported.
"""

import os
import re
import stat
from dataclasses import dataclass

from ..errors import MissingDependency, RouterError

WRITABLE_MODELS = ("haiku", "sonnet", "opus", "inherit")
BOM = "\ufeff"


class AgentFileError(RouterError):
    """An agent file cannot be read or edited safely; the message names the problem."""


@dataclass
class AgentFile:
    path: str
    raw: bytes
    meta: dict
    problem: str | None = None

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or os.path.splitext(os.path.basename(self.path))[0])

    @property
    def model(self) -> str | None:
        """The `model` value when it is set to something; None when absent or empty."""
        value = self.meta.get("model")
        return None if value is None or str(value).strip() == "" else str(value)


# ---- finding and reading -------------------------------------------------------------------

def markdown_files(path: str) -> list[str]:
    """`path` itself if it is a file, else every *.md below it (hidden folders skipped)."""
    if not os.path.isdir(path):
        return [path]
    found = []
    for folder, subfolders, files in os.walk(path):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".md")]
    return found


def read_agent(path: str) -> AgentFile:
    """Parse one file; a file that cannot be used comes back with `problem` set, never raises."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return AgentFile(path, b"", {}, f"cannot read ({exc.strerror})")
    try:
        text = raw.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError:
        return AgentFile(path, raw, {}, "not UTF-8 text")
    meta, problem = parse_frontmatter(text)
    return AgentFile(path, raw, meta, problem)


def parse_frontmatter(text: str) -> tuple[dict, str | None]:
    """(metadata, problem) via python-frontmatter's own YAML handler and boundary pattern."""
    try:
        import yaml
        from frontmatter.default_handlers import YAMLHandler
    except ImportError as exc:
        raise MissingDependency("python-frontmatter", "reading agent files") from exc
    span = block_span(text)
    if span is None:
        if YAMLHandler.FM_BOUNDARY.match(text):
            return {}, "frontmatter has no closing '---' line"
        return {}, "no YAML frontmatter (the file must start with a '---' line)"
    try:
        meta = YAMLHandler().load(text[span[0]:span[1]])
    except yaml.YAMLError as exc:
        return {}, _yaml_problem(exc, text[:span[0]].count("\n"))
    if meta is None:
        return {}, None
    if not isinstance(meta, dict):
        return {}, "frontmatter is not a list of `key: value` pairs"
    return meta, None


def _yaml_problem(exc: Exception, first_line: int) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {first_line + mark.line + 1}" if mark is not None else ""
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"invalid YAML in the frontmatter{where}: {what}"


def block_span(text: str) -> tuple[int, int] | None:
    """(start, end) of the YAML between the two '---' lines, or None when there is no block.

    Uses python-frontmatter's boundary pattern so reading and writing agree on the block.
    """
    from frontmatter.default_handlers import YAMLHandler

    opening = YAMLHandler.FM_BOUNDARY.match(text)
    if not opening:
        return None
    start = opening.end() + (1 if text[opening.end():opening.end() + 1] == "\n" else 0)
    closing = YAMLHandler.FM_BOUNDARY.search(text, start)
    return (start, closing.start()) if closing else None


# ---- writing `model:` ----------------------------------------------------------------------

def with_model(raw: bytes, model: str) -> bytes:
    """`raw` with its frontmatter `model` set to `model`; every other byte unchanged."""
    if model not in WRITABLE_MODELS:
        raise AgentFileError(f"refusing to write model '{model}' (expected one of {WRITABLE_MODELS})")
    text = raw.decode("utf-8")
    bom = BOM if text.startswith(BOM) else ""
    text = text[len(bom):]
    span = block_span(text)
    if span is None:
        raise AgentFileError("no YAML frontmatter to add `model:` to")
    eol = "\r\n" if "\r\n" in text else "\n"
    block = _edit_block(text[span[0]:span[1]], model, eol, text[:span[0]].count("\n"))
    return (bom + text[:span[0]] + block + text[span[1]:]).encode("utf-8")


def _yaml():
    try:
        from ruamel.yaml import YAML
    except ImportError as exc:
        raise MissingDependency("ruamel.yaml", "writing agent files") from exc
    return YAML


def _edit_block(block: str, model: str, eol: str, first_line: int) -> str:
    YAML = _yaml()
    from ruamel.yaml.error import YAMLError

    try:
        root = YAML(typ="rt").compose(block)
        before = YAML(typ="safe", pure=True).load(block) or {}
    except YAMLError as exc:
        raise AgentFileError(f"ruamel.yaml cannot edit this file: {_yaml_problem(exc, first_line)}") from exc
    pairs = getattr(root, "value", [])
    if root is not None and not isinstance(before, dict):
        raise AgentFileError("frontmatter is not a list of `key: value` pairs")
    existing = [(k, v) for k, v in pairs if getattr(k, "value", None) == "model"]
    if existing:
        candidates = [_replace_value(block, *existing[0], model)]
    else:
        candidates = [_insert_line(block, pairs, at, model, eol) for at in _insert_lines(block, pairs)]
    for candidate in candidates:
        if _only_model_changed(before, candidate, model):
            return candidate
    raise AgentFileError("cannot set `model:` without disturbing other keys; add it by hand")


def _replace_value(block: str, key, value, model: str) -> str:
    """Swap the value's token, keeping its quote style and any comment after it."""
    start, end = value.start_mark.index, value.end_mark.index
    if value.tag.endswith(":null") and start == end:  # `model:` with nothing after it
        start = end = block.index(":", key.end_mark.index) + 1
        return block[:start] + " " + model + block[end:]
    quote = value.style if value.style in ("'", '"') else ""
    return block[:start] + quote + model + quote + block[end:]


def _lines(block: str) -> list[str]:
    # Split on \n only (str.splitlines also splits on \f, \x1c, \u2028 ..., unlike YAML).
    return re.findall(r"[^\n]*\n|[^\n]+$", block)


def _insert_lines(block: str, pairs: list) -> list[int]:
    """Line numbers to try, best first: right after the value of `tools` or `description`
    (or the last key), before the comments that lead into the next key; then just before
    the next key, which is always safe for the data but may split a comment from its key."""
    lines = _lines(block)
    if not pairs:
        return [len(lines)]
    names = [getattr(k, "value", None) for k, _v in pairs]
    anchors = [i for i, name in enumerate(names) if name in ("tools", "description")]
    anchor = anchors[-1] if anchors else len(pairs) - 1
    after = pairs[anchor + 1][0].start_mark.line if anchor + 1 < len(pairs) else len(lines)
    first = after
    floor = pairs[anchor][0].start_mark.line + 1
    while first > floor and _is_filler(lines[first - 1]):
        first -= 1
    return [first, after] if first != after else [after]


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _insert_line(block: str, pairs: list, at: int, model: str, eol: str) -> str:
    lines = _lines(block)
    indent = " " * (pairs[0][0].start_mark.column if pairs else 0)
    if at > 0 and lines[at - 1].endswith("\r\n"):
        eol = "\r\n"
    elif at > 0:
        eol = "\n"
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += eol  # only possible for a block with no final line break
    return "".join(lines[:at] + [f"{indent}model: {model}{eol}"] + lines[at:])


def _only_model_changed(before: dict, block: str, model: str) -> bool:
    from ruamel.yaml.error import YAMLError

    try:
        after = _yaml()(typ="safe", pure=True).load(block)
    except YAMLError:
        return False
    if not isinstance(after, dict) or after.get("model") != model:
        return False
    rest = {k: v for k, v in after.items() if k != "model"}
    return rest == {k: v for k, v in before.items() if k != "model"} and list(rest) == [
        k for k in before if k != "model"]


def write_model(agent: AgentFile, model: str) -> None:
    """Set `model` in the file atomically, keeping its permissions; a symlink keeps pointing
    at the same (now edited) target. Raises AgentFileError or OSError."""
    target = os.path.realpath(agent.path)
    new = with_model(agent.raw, model)
    with open(target, "rb") as handle:
        if handle.read() != agent.raw:
            raise AgentFileError("the file changed since it was read; run the command again")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    from ..io.fileio import atomic_write_bytes

    atomic_write_bytes(target, new, mode)
    if stat.S_IMODE(os.stat(target).st_mode) != mode:
        os.chmod(target, mode)  # the umask may have narrowed it
