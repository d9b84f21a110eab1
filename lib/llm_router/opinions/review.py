"""Multi-model review of a git diff: build the input (diffinput.py), ask every reviewer for
every shard at once, read-only (fanout.py), parse the findings tolerantly and merge them
across models (findings.py). A reviewer whose answer holds no findings JSON keeps its raw
answer in the report; when no reviewer could be read at all, the review failed (exit 1):
"no findings" is only said when a reviewer said it."""

from __future__ import annotations

import time

from . import diffinput, fanout, findings

FINDINGS_AT_FAIL_ON = 3
NO_REVIEW = 1
DEFAULT_FAIL_ON = "high"
PROMPT = """You are reviewing a code change in a git repository. Report real problems that this diff
introduces or exposes: bugs, security holes, data loss, races, broken error handling, missing
tests for risky logic. No style remarks unless the focus below asks for them.

Reply with ONLY one JSON object of this shape (no other text):
{shape}
Line numbers are those of the new version of the file (the + side of the hunk headers).
If nothing is wrong, reply {{"findings": []}}.
{focus}{part}
## The diff ({mode}, against {base})
{diff}"""


def prompt_for(shard: list[tuple[str, str]], index: int, total: int, report: dict, focus: str | None) -> str:
    part = (f"\nThis is part {index + 1} of {total} of a diff too large for one review (cut by file); "
            f"review only what is shown here.\n" if total > 1 else "")
    return PROMPT.format(shape=findings.SHAPE, focus=f"\nFocus on: {focus.strip()}\n" if focus else "",
                         part=part, mode=report["mode"], base=report["base"],
                         diff="".join(text for _path, text in shard))


def run(request: dict) -> dict:
    started = time.monotonic()
    root = diffinput.repo_root(request["cwd"])
    collected = diffinput.collect(root, request.get("base"), bool(request.get("staged")),
                                  bool(request.get("untracked")), request.get("paths") or [])
    budget = int(request.get("budget") or diffinput.DEFAULT_BUDGET)
    shards = diffinput.shard(collected["files"], budget) if collected["files"] else []
    size = sum(len(text) for _path, text in collected["files"])
    report = {"base": collected["base"], "merge_base": collected["merge_base"], "mode": collected["mode"],
              "root": root, "files": [path for path, _text in collected["files"]], "diff_chars": size,
              "budget_chars": budget, "shards": len(shards), "models": request["models"],
              "fail_on": request.get("fail_on") or DEFAULT_FAIL_ON, "reviews": [], "findings": []}
    report["sharding"] = (f"the diff is {size} characters, over the {budget}-character budget: "
                          f"reviewed in {len(shards)} parts cut by file" if len(shards) > 1 else None)
    calls = [(key, index) for index in range(len(shards)) for key in request["models"]]
    prompts = [prompt_for(shards[index], index, len(shards), report, request.get("focus")) for _k, index in calls]
    answers = fanout.ask_each([(key, text) for (key, _i), text in zip(calls, prompts)],
                              float(request["timeout_s"]), root) if calls else []
    by_model = []
    for (key, index), answer in zip(calls, answers):
        entry = {"requested": key, "model": answer.get("model", key), "shard": index + 1, "ok": answer.get("ok"),
                 "error_class": answer.get("error_class"), "message": answer.get("message"),
                 "elapsed_s": answer.get("elapsed_s"), "parsed": False, "findings": 0, "raw": None}
        if answer.get("ok"):
            parsed = findings.parse(answer["text"])
            if parsed is None:
                entry.update(raw=answer["text"], error_class="Unparsed",
                             message="the answer holds no findings JSON; its raw text is kept")
            else:
                entry.update(parsed=True, findings=len(parsed))
                by_model.append((entry["model"], parsed))
        report["reviews"].append(entry)
    report["findings"] = findings.merge(by_model)
    report["reviewers_read"] = len({model for model, _found in by_model})
    report["wall_s"] = round(time.monotonic() - started, 2)
    report["exit_code"] = exit_code(report, bool(shards))
    return report


def exit_code(report: dict, had_input: bool) -> int:
    if had_input and not report["reviewers_read"]:
        return NO_REVIEW
    return FINDINGS_AT_FAIL_ON if findings.at_or_above(report["findings"], report["fail_on"]) else 0


def render(report: dict) -> str:
    n_models = len(report["models"])
    lines = [f"# Review of {len(report['files'])} file(s) against {report['base']} "
             f"(merge-base {report['merge_base'][:10]}; {report['mode']}) by {', '.join(report['models'])}"]
    if report["sharding"]:
        lines.append(f"Note: {report['sharding']}.")
    if not report["files"]:
        return "\n".join(lines + ["No changes to review.", ""])
    lines.append("")
    if report["findings"]:
        rows = [("#", "SEVERITY", "AGREE", "WHERE", "TITLE")]
        for number, f in enumerate(report["findings"], 1):
            rows.append((str(number), f["severity"], f"{len(f['models'])}/{n_models}", where(f), f["title"]))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
                  for row in rows]
        lines.append("")
        for number, f in enumerate(report["findings"], 1):
            lines.append(f"{number}. [{f['severity']}] {where(f)}: {f['title']}  ({', '.join(f['models'])})")
            if f["rationale"]:
                lines.append(f"   why: {f['rationale'].strip()}")
            if f["suggested_fix"]:
                lines.append(f"   fix: {f['suggested_fix'].strip()}")
    elif report["reviewers_read"]:
        lines.append("No findings.")
    lines.append("")
    for review in report["reviews"]:
        shard = f" (part {review['shard']})" if report["shards"] > 1 else ""
        if review["parsed"]:
            lines.append(f"- \N{ELECTRIC PLUG} [External: {review['model']}]{shard}: {review['findings']} finding(s)")
        elif review["raw"] is not None:
            lines += [f"- \N{ELECTRIC PLUG} [External: {review['model']}]{shard}: no findings JSON in its answer; "
                      "raw answer:", indent(review["raw"])]
        else:
            lines.append(f"- {review['requested']}{shard}: failed: {review['error_class']}: "
                         f"{(review['message'] or '').strip().splitlines()[0] if review['message'] else ''}")
    if not report["reviewers_read"]:
        lines.append("No reviewer's findings could be read: this is not a clean review.")
    lines.append("")
    return "\n".join(lines)


def where(finding: dict) -> str:
    start, end = finding["line_start"], finding["line_end"]
    if start is None:
        return finding["file"] or "?"
    return f"{finding['file']}:{start}" + (f"-{end}" if end and end != start else "")


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())
