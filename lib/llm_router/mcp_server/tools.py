"""The MCP tools' definitions and what they do, without the SDK (server.py is the glue).

Small on purpose: every tool's name, description and schema go into Claude's context on
every request of every session with the plugin enabled, used or not. All of them together
stay under 600 tokens (tests/e2e/test_mcp_e2e.py measures it from the real request bytes).

Each handler returns (text, is_error). An error's text is the error's own message and its
`fix:` line. An answer longer than Claude Code's MCP output limit is cut, and says where the
whole text was saved (a 0600 file under the data dir): never cut silently.
"""

from __future__ import annotations

import os
import time

from .. import paths
from ..errors import ProviderError, RouterError, UsageError
from ..io.fileio import atomic_write_bytes
from ..policy import TIERS

# Property descriptions and array item types are left out on purpose: the names say enough
# (the handlers check the types), and every byte here is paid on every request of every
# session; the README's "MCP server" table has the figures.
TOOLS = [
    {"name": "ask",
     "description": "Ask another model; returns its answer.",
     "inputSchema": {"type": "object", "required": ["prompt"], "properties": {
         "prompt": {"type": "string"},
         "model": {"type": "string"},
         "tier": {"enum": list(TIERS)},
         "task": {"type": "string"}}}},
    {"name": "consensus",
     "description": "Ask several models at once, blind.",
     "inputSchema": {"type": "object", "required": ["prompt"], "properties": {
         "prompt": {"type": "string"},
         "models": {"type": "array"}}}},
    {"name": "digest",
     "description": "A cheap model digests big files, citing file:line.",
     "inputSchema": {"type": "object", "required": ["question", "paths"], "properties": {
         "question": {"type": "string"},
         "paths": {"type": "array"},
         "budget": {"type": "integer"}}}},
]

DEFAULT_OUTPUT_TOKENS = 25_000  # Claude Code's MCP output limit unless MAX_MCP_OUTPUT_TOKENS
CHARS_PER_TOKEN = 3  # conservative: Claude Code's count must not exceed its limit after our cut
ANSWERS_DIR = "mcp-answers"


class Server:
    """The tools' behaviour; `scope` is what `ask` lets the external model do (read-only by
    default: an MCP caller never gets write access unless the user started the server so)."""

    def __init__(self, scope: str = "read-only", cwd: str | None = None, answer=None,
                 digest=None) -> None:
        self.scope, self.cwd = scope, cwd or os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
        self._answer, self._digest = answer, digest

    def call(self, name: str, arguments: dict | None) -> tuple[str, bool]:
        try:
            handler = {"ask": self.ask, "consensus": self.consensus, "digest": self.digest}.get(name)
            if handler is None:
                raise UsageError(f"unknown tool '{name}'", "use ask, consensus or digest")
            return handler(**_args(name, arguments)), False
        except RouterError as exc:
            return exc.user_text(), True

    def ask(self, prompt: str, model: str | None = None, tier: str | None = None,
            task: str | None = None) -> str:
        answer = self._answer
        if answer is None:
            from ..invocation import answer
        result, attempts, decision = answer(prompt, model=model, tier=tier, task=task,
                                             cwd=self.cwd, scope=self.scope)
        if not result.text.strip():
            raise RouterError("the external model gave an empty answer", "ask again or pick another model")
        used = next((a.model_key for a in reversed(attempts) if a.outcome == "ok"),
                    getattr(decision, "model_key", None) or model or "?")
        return fit(indicator(used) + result.text)

    def consensus(self, prompt: str, models: list | None = None) -> str:
        """Every model at once, each in its own read-only process, none seeing another's answer
        (opinions/consensus.py); `models` defaults to the policy's consensus.models. Some
        failures still return the answers, each failure named; none answering is an error."""
        from .. import invocation
        from ..opinions import consensus

        if models is not None and not (isinstance(models, list) and all(isinstance(m, str) for m in models)):
            raise UsageError("models must be a list of model keys", "pass models: [\"gemini/gemini-3-pro\"]")
        pol = invocation.load_policy()
        keys = consensus.models_from(pol, ",".join(models) if models else None, None)
        report = consensus.run(prompt, keys, consensus.timeout_from(pol, None), None, self.cwd)
        text = consensus.render(report)
        if not report["answered"]:
            raise ProviderError(f"no model answered the consensus question\n{text}",
                                "see each model's error above; `llm-router models` shows what is available")
        return fit(text)

    def digest(self, question: str, paths: list, budget: int = 2000) -> str:
        digest = self._digest
        if digest is None:
            from ..commands.digest import digest
        from ..commands.digest import read_sources

        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise UsageError("paths must be a non-empty list of file or folder paths",
                             "pass paths: [\"logs/app.log\"]")
        names = [p if os.path.isabs(p) else os.path.join(self.cwd, p) for p in paths]
        result = digest(read_sources(names, root=self.cwd), question, budget=int(budget))
        return fit(indicator(result.model) + result.text)


def _args(name: str, arguments: dict | None) -> dict:
    """The arguments, checked against the tool's schema keys (the SDK checks types)."""
    schema = next(tool["inputSchema"] for tool in TOOLS if tool["name"] == name)
    arguments = {key: value for key, value in (arguments or {}).items() if value is not None}
    unknown = sorted(set(arguments) - set(schema["properties"]))
    missing = [key for key in schema["required"] if key not in arguments]
    if unknown or missing:
        raise UsageError(f"{name}: " + "; ".join(
            ([f"unknown argument(s): {', '.join(unknown)}"] if unknown else [])
            + ([f"missing: {', '.join(missing)}"] if missing else [])),
            "use only: " + ", ".join(schema["properties"]))
    return arguments


def indicator(model_key: str) -> str:
    return f"\N{ELECTRIC PLUG} [External: {model_key}]\n"


def output_limit_chars() -> int:
    try:
        tokens = int(os.environ.get("MAX_MCP_OUTPUT_TOKENS") or DEFAULT_OUTPUT_TOKENS)
    except ValueError:
        tokens = DEFAULT_OUTPUT_TOKENS
    return max(1000, tokens * CHARS_PER_TOKEN)


def fit(text: str, limit: int | None = None) -> str:
    """`text`, or its head plus a pointer to the whole of it saved under the data dir."""
    limit = output_limit_chars() if limit is None else limit
    if len(text) <= limit:
        return text
    saved = save_full(text)
    note = (f"\n\n[answer cut at {limit - 400} of {len(text)} characters (Claude Code's MCP "
            f"output limit); the whole answer is in {saved}: read it from there]")
    return text[: limit - 400] + note


def save_full(text: str) -> str:
    folder = os.path.join(paths.ensure_data_dir(), ANSWERS_DIR)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}.txt")
    atomic_write_bytes(path, text.encode("utf-8", "replace"), 0o600)
    return path
