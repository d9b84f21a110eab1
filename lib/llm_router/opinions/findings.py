"""Review findings: the one JSON shape reviewers are asked for, a tolerant parser (code
fences, prose before and after, a bare list, loose field names), and the merge across models.

A finding: {"file", "line_start", "line_end", "severity", "title", "rationale", "suggested_fix"}.
Two findings are one when they name the same file, their lines overlap (within LINE_SLACK) and
their titles are similar; the merged finding carries the list of models that raised it and
the highest severity any of them gave. Ranking: severity, then how many models agree."""

from __future__ import annotations

import json
import re

SEVERITIES = ("critical", "high", "medium", "low", "info")
RANK = {name: index for index, name in enumerate(SEVERITIES)}
ALIASES = {"blocker": "critical", "severe": "critical", "major": "high", "error": "high",
           "warning": "medium", "moderate": "medium", "warn": "medium", "minor": "low", "nit": "low",
           "trivial": "low", "style": "low", "note": "info", "suggestion": "info", "informational": "info"}
LINE_SLACK = 3
SHAPE = """{"findings": [{"file": "path/in/repo.py", "line_start": 12, "line_end": 14,
  "severity": "critical|high|medium|low|info", "title": "one line",
  "rationale": "why it is a problem", "suggested_fix": "what to change"}]}"""


def parse(text: str) -> list[dict] | None:
    """The findings in a reviewer's answer, or None when no JSON of the shape is in it."""
    for candidate in _json_values(text):
        items = candidate.get("findings") if isinstance(candidate, dict) else candidate
        if isinstance(items, list) and all(isinstance(item, dict) for item in items):
            return [f for f in (normalize(item) for item in items) if f]
    return None


def _json_values(text: str):
    """Every JSON object or array found in `text`: fenced blocks first, then from each { or [."""
    decoder = json.JSONDecoder()
    fenced = re.findall(r"```(?:json|JSON)?\s*\n(.*?)```", text, re.S)
    for block in fenced:
        try:
            yield json.loads(block)
        except ValueError:
            pass
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _end = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, (dict, list)):
            yield value


def normalize(item: dict) -> dict | None:
    title = str(item.get("title") or item.get("summary") or item.get("issue") or "").strip()
    if not title:
        return None
    start, end = _lines(item)
    severity = str(item.get("severity") or "medium").strip().lower()
    severity = ALIASES.get(severity, severity)
    return {"file": str(item.get("file") or item.get("path") or "").strip().removeprefix("b/"),
            "line_start": start, "line_end": end,
            "severity": severity if severity in RANK else "medium", "title": title,
            "rationale": str(item.get("rationale") or item.get("description") or item.get("why") or ""),
            "suggested_fix": str(item.get("suggested_fix") or item.get("fix") or item.get("suggestion") or "")}


def _lines(item: dict) -> tuple[int | None, int | None]:
    raw = item.get("line_range") or item.get("lines")
    if isinstance(raw, list) and raw:
        start, end = _int(raw[0]), _int(raw[-1])
    elif isinstance(raw, str) and re.match(r"^\s*\d+\s*(-\s*\d+\s*)?$", raw):
        numbers = [int(n) for n in re.findall(r"\d+", raw)]
        start, end = numbers[0], numbers[-1]
    else:
        start = _int(item.get("line_start", item.get("line", item.get("start_line"))))
        end = _int(item.get("line_end", item.get("end_line"))) or start
    if start is not None and end is not None and end < start:
        start, end = end, start
    return start, end


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def merge(by_model: list[tuple[str, list[dict]]]) -> list[dict]:
    merged: list[dict] = []
    for model, found in by_model:
        for finding in found:
            twin = next((m for m in merged if same(m, finding)), None)
            if twin is None:
                merged.append({**finding, "models": [model], "titles": [finding["title"]]})
                continue
            if model not in twin["models"]:
                twin["models"].append(model)
            twin["titles"].append(finding["title"])
            if RANK[finding["severity"]] < RANK[twin["severity"]]:
                twin.update({k: finding[k] for k in ("severity", "title", "rationale", "suggested_fix")})
            twin["line_start"] = _min(twin["line_start"], finding["line_start"])
            twin["line_end"] = _max(twin["line_end"], finding["line_end"])
    merged.sort(key=lambda f: (RANK[f["severity"]], -len(f["models"]), f["file"], f["line_start"] or 0))
    return merged


def same(a: dict, b: dict) -> bool:
    return a["file"] == b["file"] and overlap(a, b) and similar(a["title"], b["title"])


def overlap(a: dict, b: dict) -> bool:
    if a["line_start"] is None or b["line_start"] is None:
        return a["line_start"] is None and b["line_start"] is None
    return a["line_start"] <= (b["line_end"] or b["line_start"]) + LINE_SLACK and \
        b["line_start"] <= (a["line_end"] or a["line_start"]) + LINE_SLACK


STOP = frozenset("the a an of in on to for and or is are be with without not no from by at this that may can".split())


def words(title: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9_]+", title.lower()) if w not in STOP and len(w) > 2}


def similar(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    if SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.6:
        return True
    left, right = words(a), words(b)
    return bool(left and right) and len(left & right) / min(len(left), len(right)) >= 0.5


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def at_or_above(findings: list[dict], severity: str) -> list[dict]:
    return [f for f in findings if RANK[f["severity"]] <= RANK[severity]]
