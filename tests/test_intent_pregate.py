"""The prompt hook's cold path: the detector never imports `re`, and a prompt that names a
keyword but holds words the lexicon does not know stops before the grammar is compiled."""

import subprocess
import sys

from conftest import LIB

_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
from llm_router.intent import detect
action = detect.classify(sys.argv[2])["action"]
compiled = detect._rules is not None and detect._rules._grammar is not None
print(action, "re" in sys.modules, compiled)
"""


def _run(text: str) -> list:
    return subprocess.run([sys.executable, "-I", "-S", "-c", _PROBE, str(LIB), text],
                          capture_output=True, text=True, check=True).stdout.split()


def test_prompt_naming_claude_stops_before_the_grammar_and_without_re():
    assert _run("update CLAUDE.md with the new build steps") == ["none", "False", "False"]
    assert _run("refactor the external API client to use retries") == ["none", "False", "False"]


def test_a_keyword_prompt_with_unknown_words_never_builds_the_phrase_index():
    code = _PROBE.replace("print(action", "print(detect._rules.lexicon._phrases is None, action")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(LIB), "update CLAUDE.md with the new build steps"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["True", "none"]


def test_a_command_is_read_without_re():
    assert _run("could you switch to the external models for the rest of the session?") == \
        ["enable", "False", "True"]
    assert _run("```\nswitch to external models\n```") == ["none", "False", "False"]
