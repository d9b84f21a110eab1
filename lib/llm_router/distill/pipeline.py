"""`digest`: cheap models read, Claude decides. Map a question over every chunk of a large
input in parallel, then reduce the partial answers into one digest within a token budget,
each claim with the file:line it came from.

    result = run(sources, "Which errors occurred?", budget=2000)
    result.text, result.failed, result.calls

Every model call goes through invocation.answer(), so the ledger, budgets and the read-only
scope apply exactly as for `invoke`. A chunk whose call failed is named in the digest, never
dropped silently. (Not to be confused with io/digest.py, the sha-256 helper.)
"""

from __future__ import annotations

import re
import threading
import time

from ..errors import RouterError, UsageError
from ..routing.taskdetect import estimate_tokens
from . import chunks as chunking

DEFAULT_PARALLEL = 4
NONE = "NONE"
CLAIM = re.compile(r"^\s*[-*]?\s*(?P<where>[^\s:][^:\n]*:\d+(?:-\d+)?)\s*:\s*(?P<claim>\S.*)$")

MAP_PROMPT = """Answer a question about one excerpt of a larger input.
Question: {question}

The excerpt is {name} lines {first}-{last}; each line starts with its line number and "| ".
Use only this excerpt. Write each relevant finding on its own line, exactly as
- {name}:<line>: <finding>
citing the line it comes from. If nothing in the excerpt bears on the question, write only {none}.

{excerpt}"""

REDUCE_PROMPT = """Merge these findings into one answer to the question, at most {budget} tokens.
Question: {question}
Keep the "- file:line: finding" form and the citations exactly; merge duplicates (keep every
citation); drop nothing that answers the question unless the budget forces it.

{findings}"""


def choose_model(policy: dict, model: str | None) -> str:
    """--model, else a local/ model from the policy, else the haiku tier's external model."""
    models = policy.get("external_models", {})
    if model:
        if model not in models:
            raise UsageError(f"--model: unknown model '{model}'",
                             "use a key from `llm-router models`: " + ", ".join(sorted(models)))
        return model
    local = sorted(key for key in models if key.startswith("local/") and _usable(policy, key))
    if local:
        return local[0]
    key = policy.get("claude_to_external_map", {}).get("haiku")
    if not key:
        raise UsageError("no cheap model to read with: the policy maps no haiku tier",
                         "pass --model KEY, or set claude_to_external_map.haiku")
    return key


def _usable(policy: dict, key: str) -> bool:
    """Whether a step of model `key` can run now (a shipped local model that `setup --local`
    has not installed is not: the digest then reads with the haiku tier's model)."""
    from ..routing.chain import check_available
    from ..routing.router import build_steps

    return any(check_available(step)[1] for step in build_steps(policy, key) if step.model_key == key)


class Digest:
    """What run() returns: the digest text and how it was made."""

    def __init__(self, text: str, model: str, chunks: int, failed: list[dict], calls: list[dict],
                 budget: int, reduced: bool, cut: bool) -> None:
        self.text, self.model, self.chunks, self.failed = text, model, chunks, failed
        self.calls, self.budget, self.reduced, self.cut = calls, budget, reduced, cut

    def as_dict(self) -> dict:
        return {"digest": self.text, "model": self.model, "chunks": self.chunks,
                "failed": self.failed, "tokens": estimate_tokens(self.text), "budget": self.budget,
                "reduced_by_model": self.reduced, "cut_to_budget": self.cut,
                "cost_usd": _total_cost(self.calls), "calls": self.calls}


def run(sources: list[chunking.Source], question: str, *, policy: dict, model: str | None = None,
        budget: int = 2000, parallel: int = DEFAULT_PARALLEL, timeout: float | None = None,
        cwd: str | None = None, answer=None) -> Digest:
    """Map `question` over every chunk (at most `parallel` calls at once), then reduce.
    `answer` is invocation.answer (injected so the pipeline stays testable)."""
    if not question.strip():
        raise UsageError("digest: the question is empty", "pass --question TEXT")
    if budget < 50:
        raise UsageError(f"--budget {budget}: too small", "give at least 50 tokens")
    key = choose_model(policy, model)
    window = policy["external_models"][key].get("context_window")
    pieces = chunking.split(sources, chunking.chunk_tokens(window))
    if not pieces:
        raise UsageError("digest: the input is empty", "pass files with text, or pipe text on stdin")
    ask = _asker(answer, key, timeout, cwd)
    partials, calls = _map(pieces, question, ask, parallel)
    failed = [{"where": piece.where, "error": error} for piece, (_, error) in zip(pieces, partials)
              if error]
    if len(failed) == len(pieces):
        raise RouterError(f"digest: every chunk failed; the first: {failed[0]['error']}",
                          "run `llm-router doctor`, or pass --model with a model that works")
    findings = [line for text, _ in partials for line in _findings(text)]
    failures = _failures(failed)  # they count against the budget too: never cut them
    room = budget - (estimate_tokens(failures) + 1 if failures else 0)
    text, reduced, cut = _reduce(findings, question, max(room, 1), ask, calls,
                                 chunking.chunk_tokens(window))
    text = f"{text}\n{failures}" if failures else text
    return Digest(text, key, len(pieces), failed, calls, budget, reduced, cut)


def _asker(answer, key: str, timeout: float | None, cwd: str | None):
    if answer is None:
        from ..invocation import answer
    def ask(prompt: str) -> tuple[str, dict]:
        started = time.monotonic()
        result, _attempts, _decision = answer(prompt, model=key, timeout=timeout, cwd=cwd,
                                              scope="read-only")
        if not result.text.strip():
            raise RouterError(f"{key} gave an empty answer", "try another --model")
        return result.text, {"model": key, "started": started, "ended": time.monotonic(),
                             "cost_usd": result.cost_usd}
    return ask


def _map(pieces: list[chunking.Chunk], question: str, ask, parallel: int):
    """(text, error) per chunk in order, and one record per call (start/end times included)."""
    results: list = [None] * len(pieces)
    calls: list[dict] = []
    lock = threading.Lock()
    queue = list(enumerate(pieces))

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, piece = queue.pop(0)
            prompt = MAP_PROMPT.format(question=question, name=piece.name, first=piece.first,
                                       last=piece.last, none=NONE, excerpt=piece.render())
            try:
                text, call = ask(prompt)
                results[index] = (text, None)
                with lock:
                    calls.append({**call, "where": piece.where})
            except RouterError as exc:
                results[index] = ("", " ".join(exc.message.split())[:300])

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, parallel))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, calls


def _findings(text: str) -> list[str]:
    """The cited claims of one partial answer; uncited prose is kept only if it says something."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or (len(lines) == 1 and lines[0].strip(" .").upper() == NONE):
        return []
    out = []
    for line in lines:
        match = CLAIM.match(line)
        if match:
            out.append(f"- {match['where']}: {match['claim']}")
        elif line.strip(" .").upper() != NONE:
            out.append(f"- (uncited) {line.lstrip('-* ')}")
    return out


def _reduce(findings: list[str], question: str, budget: int, ask, calls: list[dict],
            window_tokens: int):
    """(text, reduced_by_model, cut): the findings as they are when they fit, else merged by
    the model (when they fit its window); whatever is still over budget is cut at a line, and
    says so."""
    findings = list(dict.fromkeys(findings))
    if not findings:
        return "No part of the input bears on the question.", False, False
    text = "\n".join(findings)
    reduced = False
    if budget < estimate_tokens(text) <= window_tokens:
        try:
            merged, call = ask(REDUCE_PROMPT.format(budget=budget, question=question,
                                                    findings=text))
            calls.append({**call, "where": "reduce"})
            text, reduced = "\n".join(_findings(merged)) or merged.strip(), True
        except RouterError:
            pass  # the unmerged findings, cut below, still answer
    return _fit(text, budget, reduced)


def _fit(text: str, budget: int, reduced: bool):
    if estimate_tokens(text) <= budget:
        return text, reduced, False
    kept, lines = [], text.splitlines()
    note = "[digest cut to the {budget}-token budget: {left} more finding(s) left out]"
    room = budget - estimate_tokens(note.format(budget=budget, left=len(lines))) - 1
    for line in lines:
        if estimate_tokens("\n".join([*kept, line])) > room:
            break
        kept.append(line)
    kept.append(note.format(budget=budget, left=len(lines) - len(kept)))
    return "\n".join(kept), reduced, True


def _failures(failed: list[dict]) -> str:
    lines = [f"- {item['where']}: NOT READ ({item['error']})" for item in failed[:5]]
    if len(failed) > 5:
        lines.append(f"- ... and {len(failed) - 5} more chunk(s) not read")
    return "\n".join(lines)


def _total_cost(calls: list[dict]) -> float | None:
    costs = [call.get("cost_usd") for call in calls]
    return None if not costs or any(cost is None for cost in costs) else round(sum(costs), 6)
