"""taskdetect: the cheap token estimate, task detection, and the jq rules."""

import sys

import pytest
from llm_router.errors import ConfigError, MissingDependency
from llm_router.routing import taskdetect
from llm_router.routing.taskdetect import detect, estimate_tokens


@pytest.mark.parametrize("text, tokens", [
    ("", 0), ("abcd", 1), ("abcde", 2), ("x" * 400, 100),
    ("日本語", 3),  # 9 UTF-8 bytes: counting characters would say 1
    ("é" * 4, 2),
])
def test_estimate_is_utf8_bytes_over_four_rounded_up(text, tokens):
    assert estimate_tokens(text) == tokens


@pytest.mark.parametrize("prompt, task", [
    ("Write a Python function that parses ISO dates", "code-generation"),
    ("Implement the caching layer for the API client", "code-generation"),
    ("please add unit tests for parser.py", "code-generation"),
    ("Can you create a REST endpoint for uploads?", "code-generation"),
    ("Fix this:\n```py\nx = 1/0\n```", "code-generation"),
    ("Think step by step: why does the cache miss on every second call?", "reasoning"),
    ("Find the root cause of the deadlock", "reasoning"),
    ("Compare these two designs and evaluate the migration risk", "reasoning"),
    ("Plan:\n1. read the logs\n2. group errors\n3. report", "reasoning"),
    ("What is the capital of France?", "default"),
    ("Write a haiku about autumn", "default"),
    ("summarize this article for me", "default"),
])
def test_detect_task(prompt, task):
    assert detect(prompt, estimate_tokens(prompt), 60_000).task == task


def test_long_context_wins_and_says_how_tokens_were_counted():
    found = detect("Write a function", 70_000, 60_000)
    assert found.task == "long-context"
    assert "70,000" in found.reason and "UTF-8 bytes/4" in found.reason and "60,000" in found.reason


def test_intent_is_read_from_head_and_tail_only():
    filler = "lorem ipsum dolor sit amet " * 400  # ~10 KB with no cue
    assert detect("Write a Python script. " + filler, 10, 60_000).task == "code-generation"
    assert detect(filler + " Now write a Python script.", 10, 60_000).task == "code-generation"
    hidden = filler + " Write a Python script. " + filler
    assert detect(hidden, 10, 60_000).task == "default"


def test_reason_quotes_the_cue():
    assert "'step by step'" in detect("go step by step", 4, 60_000).reason


# ---- jq rules --------------------------------------------------------------------------

RULES = [{"when": ".tokens > 100", "model": "big"},
         {"when": '.task == "reasoning" and .tier == null', "task": "reasoning"},
         {"when": ".cwd", "model": "cwd-rule"}]


@pytest.mark.parametrize("facts, index", [
    ({"task": "default", "tokens": 500, "tier": None, "prompt_chars": 2000, "cwd": None}, 0),
    ({"task": "reasoning", "tokens": 5, "tier": None, "prompt_chars": 20, "cwd": None}, 1),
    ({"task": "reasoning", "tokens": 5, "tier": "opus", "prompt_chars": 20, "cwd": "/p"}, 2),
    ({"task": "default", "tokens": 5, "tier": None, "prompt_chars": 20, "cwd": None}, None),
])
def test_jq_rules_first_truthy_wins(facts, index):
    matched = taskdetect.rule_matcher(RULES)(facts)
    assert (matched[0] if matched else None) == index
    if matched:
        assert matched[1] is RULES[index]


def test_invalid_jq_is_a_config_error_naming_the_rule():
    match = taskdetect.rule_matcher([{"when": "true", "model": "m"}, {"when": ".a >", "model": "m"}])
    with pytest.raises(ConfigError) as caught:
        match({"task": "default"})
    assert caught.value.json_path == "$.rules[1].when"
    assert caught.value.exit_code == 2 and "$.rules[1].when" in caught.value.message


def test_jq_runtime_error_is_a_config_error_too():
    match = taskdetect.rule_matcher([{"when": 'error("boom")', "model": "m"}])
    with pytest.raises(ConfigError) as caught:
        match({"task": "default"})
    assert "$.rules[0].when" in caught.value.message and "boom" in caught.value.message


def test_missing_jq_is_a_missing_dependency_naming_setup(monkeypatch):
    monkeypatch.setitem(sys.modules, "jq", None)
    match = taskdetect.rule_matcher(RULES)
    with pytest.raises(MissingDependency) as caught:
        match({"task": "default"})
    assert caught.value.package == "jq" and "llm-router setup" in caught.value.user_text()


def test_jq_is_imported_only_when_a_rule_is_consulted(monkeypatch):
    monkeypatch.setitem(sys.modules, "jq", None)
    taskdetect.rule_matcher(RULES)  # building the matcher alone must not import jq


def _regex_words(text: str) -> list[str]:
    import re

    return [w for w in (raw.strip(".-") for raw in re.findall(taskdetect.WORD_PATTERN, text.lower())) if w]


def test_the_ascii_tokenizer_splits_exactly_as_the_word_pattern_does():
    import json
    import pathlib
    import random

    corpus = pathlib.Path(__file__).parent / "data" / "intent_utterances.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text().splitlines() if line.strip()]
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(128)]
    texts += ["".join(rng.choice(alphabet) for _ in range(200)) for _ in range(300)]
    texts += ["c++ and c# in node.js, unit-test -x- ...a... __init__ $(x) `y` {z}\t\r\n"]
    checked = 0
    for text in texts:
        if text.isascii():
            assert taskdetect.words_of(text) == _regex_words(text), text
            checked += 1
    assert checked > 700


@pytest.mark.parametrize("text", ["Écris une fonction Python", "写一个 Python 函数 to parse", "naïve café—code"])
def test_non_ascii_text_still_goes_through_the_pattern(text):
    assert taskdetect.words_of(text) == _regex_words(text)


def test_a_plain_prompt_is_classified_without_importing_re():
    import subprocess

    lib = str(__import__("pathlib").Path(taskdetect.__file__).parents[2])
    code = (f"import sys; sys.path.insert(0, {lib!r}); from llm_router.routing import taskdetect;"
            "print(taskdetect.detect('Write a Python function that adds', 8, 60000).task, 're' in sys.modules)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["code-generation", "False"]
