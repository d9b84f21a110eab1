"""The re-free pre-gate may only reject what stage 2 rejects: over every labelled utterance and
every registry trigger, a prompt the full detector acts on must pass the gate."""

import json
import subprocess
import sys

from conftest import LIB, ROOT
from llm_router.intent import detect

UTTERANCES = [json.loads(line)["text"] for line in
              (ROOT / "tests" / "data" / "intent_utterances.jsonl").read_text().splitlines() if line.strip()]
TRIGGERS = list(json.loads((ROOT / "component-registry.json").read_text())["components"]
                ["external-mode-toggle"]["triggers"])
EXTRA = ["let\u2019s switch to external models", "use z.ai for everything", "ask gemini: " + "x" * 400,
         "/pa --external on", "Switch to “external” models", "go back to claude.", "anthropic's models please"]


def test_gate_never_rejects_what_the_detector_acts_on():
    detect._save_vocabulary(detect.compiled_rules().vocabulary)  # as the first keyword prompt does
    assert detect._cached_vocabulary() is not None
    for text in UTTERANCES + TRIGGERS + EXTRA:
        full = detect._classify_relevant(text) if any(k in text.lower() for k in detect._KEYWORDS) else None
        if full and full["action"] != "none":
            assert not detect._pregate_rejects(text), text


def test_gate_rejects_ordinary_talk_about_claude():
    detect._save_vocabulary(detect.compiled_rules().vocabulary)
    for text in ("update CLAUDE.md with the new build steps", "why did claude pick that model for the test?",
                 "refactor the external API client to use retries"):
        assert detect._pregate_rejects(text), text


_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
from llm_router.intent import detect
print(detect.classify(sys.argv[2])["action"], "re" in sys.modules)
"""


def test_prompt_naming_claude_does_not_import_re_once_the_cache_exists():
    run = lambda text: subprocess.run([sys.executable, "-I", "-S", "-c", _PROBE, str(LIB), text],
                                      capture_output=True, text=True, check=True).stdout.split()
    assert run("switch to external models")[0] == "enable"  # builds the cache
    assert run("update CLAUDE.md with the new build steps") == ["none", "False"]
