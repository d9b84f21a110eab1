"""The external-mode toggle detector: accuracy on the labelled set, agreement between the
registry, the skill and the hook, the /pa literal, the CLI, and hostile input."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import frontmatter
import pytest
from conftest import LIB, ROOT, run_cli
from llm_router.errors import ConfigError
from llm_router.intent import detect, learned

TOGGLES = ("enable", "disable", "status", "once")
DATA = ROOT / "tests" / "data"
UTTERANCES = DATA / "intent_utterances.jsonl"
FRESH = [DATA / f"intent_fresh_{n}.jsonl" for n in range(1, 16)]
# Written blind, mostly hard negatives, to try the second reading's guards (tuned on: 2 false
# toggles fixed); held to precision.
PROBE = DATA / "intent_probe.jsonl"
# Batches 16-79: each scored once before any change for it (docs/intent-eval.md has that first pass,
# below the targets); since then the learned model was trained on them and their false toggles fixed,
# but some of their recall is still under the targets: held to precision only.
UNTUNED = [DATA / f"intent_fresh_{n}.jsonl" for n in range(16, 80)]
TOPIC_WORDS = ("external", "claude", "anthropic", "copilot", "codex", "gemini", "glm", "opencode",
               "openrouter", "ollama", "mode", "switch", "/pa", "opus")


def load_rows(path: Path = UTTERANCES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def component() -> dict:
    return detect.toggle_component(json.loads((ROOT / "component-registry.json").read_text()))


def skill():
    return frontmatter.load(ROOT / component()["path"])


def scores(rows: list[dict]) -> dict:
    """{action: (precision, recall, support)} for the toggle actions."""
    predicted = [detect.classify(row["text"])["action"] for row in rows]
    result = {}
    for action in TOGGLES:
        hits = sum(1 for row, got in zip(rows, predicted) if got == action == row["action"])
        claimed = sum(1 for got in predicted if got == action)
        support = sum(1 for row in rows if row["action"] == action)
        result[action] = (hits / claimed if claimed else 1.0, hits / support if support else 1.0, support)
    return result


# ---- the labelled set ---------------------------------------------------------------------------

def test_labelled_set_is_big_and_mostly_hard_negatives():
    rows = load_rows()
    texts = [row["text"] for row in rows]
    assert len(rows) >= 150
    assert len(set(texts)) == len(texts), "duplicate utterances"
    assert {row["action"] for row in rows} == {*TOGGLES, "none"}
    hard = [row for row in rows if row["action"] == "none"
            and any(word in row["text"].lower() for word in TOPIC_WORDS)]
    assert len(hard) * 2 >= len(rows)


@pytest.mark.parametrize("action", TOGGLES)
def test_precision_and_recall_per_action(action):
    precision, recall, support = scores(load_rows())[action]
    assert support >= 20
    assert precision >= 0.98, f"{action}: precision {precision:.3f}"
    assert recall >= 0.90, f"{action}: recall {recall:.3f}"


@pytest.mark.parametrize("path", [UTTERANCES, *FRESH, PROBE, *UNTUNED], ids=lambda p: p.name)
def test_no_hard_negative_toggles(path):
    """Precision first: list every false toggle so a regression names its sentence."""
    wrong = [(row["text"], got) for row in load_rows(path) if row["action"] == "none"
             and (got := detect.classify(row["text"])["action"]) != "none"]
    assert not wrong


# Issue 14's targets, on the batch written after the grammar (intent_fresh_2.jsonl) and kept
# on the batch written before it (intent_fresh_1.jsonl, whose misses were then studied).
RECALL_TARGETS = {"enable": 0.90, "disable": 0.90, "status": 0.85, "once": 0.85}


@pytest.mark.parametrize("path", FRESH, ids=lambda p: p.name)
@pytest.mark.parametrize("action", TOGGLES)
def test_fresh_batches_meet_the_recall_targets(path, action):
    rows = load_rows(path)
    assert len(rows) >= 200
    precision, recall, support = scores(rows)[action]
    assert support >= 20
    assert recall >= RECALL_TARGETS[action], f"{path.name} {action}: recall {recall:.3f}"
    assert precision >= 0.98, f"{path.name} {action}: precision {precision:.3f}"


# ---- contract examples from the issue --------------------------------------------------------------

@pytest.mark.parametrize("text,action", [
    ("switch to external models", "enable"),
    ("use copilot for everything", "enable"),
    ("OK now, could you please switch over to the external models?", "enable"),
    ("go back to claude", "disable"),
    ("are we on external?", "status"),
    ("is external mode on?", "status"),
    ("use external for this", "once"),
    ("ask copilot about this one", "once"),
    ("send this to gemini", "once"),
    ("have an external model answer this: why is the sky blue?", "once"),
    ("don't switch to external", "none"),
    ("what does external mode do?", "none"),
    ("how do I use copilot with vscode?", "none"),
    ("go back to the claude.md file", "none"),
    ("refactor the external API client", "none"),
    ("switch to the main branch", "none"),
    ("use copilot's API in this function", "none"),
    ('the docs say "switch to external models"', "none"),
    ("the docs say `switch to external models`", "none"),
    ("```\nswitch to external models\n```", "none"),
    ("turn dark mode on", "none"),
])
def test_issue_examples(text, action):
    assert detect.classify(text)["action"] == action


# ---- issue 14: the kinds of phrasing a phrase list missed -------------------------------------

@pytest.mark.parametrize("text,action,vendor", [
    ("switch to gpt", "enable", "gpt"),
    ("let's use codex from now on", "enable", "codex"),
    ("switch to gemini 2.5 pro for the rest of the day", "enable", "gemini"),
    ("glm-only mode please", "enable", "glm"),
    ("put the agents on copilot", "enable", "copilot"),
    ("route all my prompts to ollama from here on", "enable", "local"),
    ("claude-only mode", "disable", None),
    ("put the agents back on claude", "disable", None),
    ("no more external models", "disable", None),
    ("don't use external models anymore", "disable", None),
    ("which model is answering?", "status", None),
    ("are you claude or gpt right now?", "status", None),
    ("who am I talking to?", "status", None),
    ("just this once, use gemini: summarize the diff", "once", "gemini"),
    ("one-off: ask codex to write the migration", "once", "codex"),
    ("only this prompt: send it to the external models", "once", None),
    ("use gpt-5 for this one only", "once", "gpt"),
])
def test_compositional_phrasings(text, action, vendor):
    result = detect.classify(text)
    assert (result["action"], result["vendor"]) == (action, vendor), result


@pytest.mark.parametrize("text", [
    "> switch to external models\nwhy did this line not work?",
    "~~~\nexternal mode on\n~~~\nadd this to the docs",
    "```text\nfrom now on use gemini\n```",
    "example:\n\n    go back to claude\n\nformat this as a snippet",
    "\tgo back to claude",
    "<!-- switch to external models -->\nfix the header layout",
    "<!--\nswitch to gemini\nfrom now on\n-->\nrename the css classes",
    "update the template <!-- go back to claude --> so it renders",
    "the flag `use claude` is ignored",
    "what happens if I type 'go back to claude'?",
    "Someone in the issue said:\n> from now on use gemini\nplease reply politely",
    "my teammate wrote: use copilot for everything",
    "he said, use copilot for everything",
])
def test_quoted_material_never_toggles(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text", [
    "if the tests keep failing, switch to gemini",
    "once the build passes, switch to codex",
    "Fix the login bug. Then if that works, switch to codex.",
    "don't switch to external models",
    "I don't want to go back to claude",
    "should I switch to external models?",
    "use copilot for everything? not sure that's a good idea",
    "switch the embeddings provider from openai to cohere in config.py",
    "switch to the gemini branch",
    "go back to the claude.md file",
    "ask gemini about this and compare it with your answer",
    "thanks claude",
    "gemini",
])
def test_guards(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text,action", [
    ("Fix the flaky test in test_api.py\nswitch to external models", "enable"),
    ("switch to external models\nthen fix the flaky test", "enable"),
    ("enable external mode and then refactor the auth module", "enable"),
    ("I'm out of claude credits, switch to external", "enable"),
    ("use codex just for this and keep claude for the rest", "once"),
    ("back to claude please.\n\nnow can you look at the flaky login test?", "disable"),
    ("Three things:\n1. use codex for every subagent from now on\n2. fix the lint\n3. bump it", "enable"),
    ("stop using copilot, use gemini", "none"),
    ("stop using copilot and use claude for this one", "none"),
])
def test_a_toggle_beside_other_work(text, action):
    """A toggle counts when it stands alone as a clause or line, with nothing guarding it."""
    assert detect.classify(text)["action"] == action



_TRACE = ("Traceback (most recent call last):\n  File \"svc/jobs.py\", line 301, in <module>\n    main()\n"
          "  File \"svc/jobs.py\", line 77, in main\n    q = Queue(cfg)\nKeyError: 'REDIS_URL'\n")


@pytest.mark.parametrize("text,action", [
    (_TRACE + "the glm agent wrote this. switch external off and fix it yourself", "disable"),
    (_TRACE * 3 + "while you're at it, route the subagents to o4-mini for the rest of the day", "enable"),
    ("npm ERR! code ELIFECYCLE\nnpm ERR! errno 1\nnpm ERR! build failed\ntake over again claude, no more external",
     "disable"),
    ("trace below, have gemini look at it just this once\n\n" + _TRACE, "once"),
])
def test_a_toggle_on_its_own_line_beside_pasted_material(text, action):
    """A log's code words and its many lines do not hide the user's own line after or before it."""
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "my lead wrote:\nswitch to codex for everything",
    "if the nightly build fails again:\nswitch to codex for everything",
    _TRACE + "if it happens again, switch to codex",
    "| phrase | action |\n|---|---|\n| switch to gemini | enable |",
    "switch the agents to gemini\n\n^ the user story's wording for the button. implement the button",
    "/pa off\n\nsorry, ignore that, typed it in the wrong window",
    "switch to gemini\nthat's the label on the button in the gemini settings mock, make it bold",
])
def test_a_line_alone_still_stops_at_its_guards(text):
    """The line counts only when it stands alone: nothing else names the feature, introduces it,
    conditions it, points back at it or takes it back."""
    assert detect.classify(text)["action"] == "none"

# ---- batch 9's kinds, in phrasings of their own (the batch itself is scored above) -----------------

@pytest.mark.parametrize("text,action,vendor", [
    # status: no stage-1 keyword but provider/backend/vendor/agent; more question shapes
    ("what provider are we on right now?", "status", None),
    ("which vendor is handling my requests?", "status", None),
    ("are the subagents still on codex?", "status", "codex"),
    ("is gemini doing the work or you?", "status", "gemini"),
    ("did we leave external on?", "status", None),
    ("is this reply coming from codex?", "status", "codex"),
    ("which model generated that response?", "status", None),
    ("is external mode on or off? I forgot", "status", None),
    ("Is Codex currently being used for subagents?", "status", "codex"),
    ("which backend are my prompts hitting?", "status", None),
    ("is the work still going to gemini, or did we go back to claude?", "status", "gemini"),
    ("who's handling the agents these days, still glm?", "status", None),
    # enable / disable: subagents, wishes, mode verbs, complaints
    ("delegate all subagent tasks to gemini going forward", "enable", "gemini"),
    ("from now on all subagents should be on gemini", "enable", "gemini"),
    ("I'd like the subagents on gemini for the rest of the day", "enable", "gemini"),
    ("turn the external models back on", "enable", None),
    ("turn on external mode w/ glm", "enable", "glm"),
    ("claude isn't cutting it, switch everything to gemini", "enable", "gemini"),
    ("put claude back in control", "disable", None),
    ("move all agents back to claude", "disable", None),
    ("gemini isn't working well, go back to claude", "disable", None),
    ("the external models are not good, stop using them", "disable", None),
    ("claude should do the work from now on", "disable", None),
    ("put codex on the agents", "enable", "codex"),
    ("take codex off the agents", "disable", "codex"),
    ("from here on, all completions should come from gemini", "enable", "gemini"),
    ("we're going back to claude", "disable", None),
    # once: a request the lexicon cannot read, with a one-off scope; "ask it"
    ("just this once, have codex write the migration", "once", "codex"),
    ("use gemini for the summary, just this once", "once", "gemini"),
    ("get a second opinion from codex on the migration plan", "once", "codex"),
    ("get gemini's take on the migration plan", "once", "gemini"),  # not "get gemini (to) take (over)"
    ("what does codex think of this function? ask it", "once", "codex"),
    ("run this by gpt real quick, don't switch the mode", "once", "gpt"),
    ("send this prompt to codex and show me what it says", "once", "codex"),
])
def test_batch_9_kinds(text, action, vendor):
    result = detect.classify(text)
    assert (result["action"], result["vendor"]) == (action, vendor), result


@pytest.mark.parametrize("text", [
    "have codex installed on the CI runner",  # no one-off scope, and a participle: not a request
    "use gemini for the embeddings in config.py",
    "let gemini handle auth in the wrapper, just for this module",
    "what would codex do here? don't ask it, just tell me",
    "the tests are flaky, stop using them",  # "them" names no target
    "delete the gemini agents and stop using them",  # "them" is what the work deletes
    "the agents run on codex",  # a statement, no wish and no scope
    "I'd rather the agents run on codex, but not today",
    "claude isn't bad, don't switch to codex",
    "external mode is on but the hook still uses claude, why?",  # a statement, then a question
    "switch to gemini.\n\nis that wise?",  # a question about the toggle, on a later line
    "back to claude please.\n\ncan you tell me if that's wise?",
    "who wrote this code?",  # WHICH names a model; "who" may be a person
    "which provider has the cheapest tokens?",
    "put claude in charge of the release notes",
    "re-enable the gemini tests in CI",
    "ask openai about the invoice",
    "put codex on the agents team",
    "should I put codex on the agents?",
    "from now on, if it fails, the agents should use codex",
    "have gemini write the tests, or maybe not",
])
def test_batch_9_guards_hold(text):
    assert detect.classify(text)["action"] == "none"


# ---- the second reading (cues.py): a target and a cue anywhere, when the grammar found nothing -----

@pytest.mark.parametrize("text,action,vendor", [
    # words the lexicon does not know around a clear command
    ("from here on I'd like gemini carrying most of the load, not you", "enable", "gemini"),
    ("for the rest of the sprint, every subagent runs on glm", "enable", "glm"),
    ("Would you mind moving us over to the local model? The wifi here is terrible.", "enable", None),
    ("fix the failing snapshot test first.\nAfter that, put all subagents on codex for the rest of the day.",
     "enable", "codex"),
    ("hand all the agents to o3 going forward", "enable", "gpt"),
    # returns, with the target Claude, "you" or the mode
    ("Could we switch back to Claude, please?", "disable", None),
    ("can we go back to using you instead of gemini?", "disable", None),
    ("ext off", "disable", None),
    ("undo the external mode thing please", "disable", None),
    # status questions with no grammar frame
    ("what's handling my prompts at the moment?", "status", None),
    ("is ext on or off", "status", None),
    ("Where are the subagents being sent currently?", "status", None),
    ("Sorry, can you tell me which model is answering now?", "status", None),
    # one-off requests whose words are the request itself
    ("don't touch the mode, but send this particular question to gemini", "once", "gemini"),
    ("one time: o3, check the sql for injection", "once", "gpt"),
    ("externally, just this once: draft a changelog entry", "once", None),
    ("Would you mind sending just this request to GPT-5? No need to change anything else.", "once", "gpt"),
    ("lemme see what codex says about this one, just this time", "once", "codex"),
    # batch 11's families, in other words
    ("make copilot the default backend for the subagents", "enable", "copilot"),
    ("GLM-4.6 as the default from here, please", "enable", "glm"),
    ("no more external models, thank you", "disable", None),
    ("turn llm-router off", "disable", None),
    ("external mode status", "status", None),
    ("which backend is live for the agents right now", "status", None),
    ("is the litellm proxy being used at the moment?", "status", "litellm"),
    ("what does gemini think about this migration? just this once", "once", "gemini"),
    ("ask gpt-5 if this regex is right, don't touch the mode", "once", "gpt"),
    ("get a second opinion from openai on the retry policy below", "once", "gpt"),
    ("once via ollama: how many bytes in a u32", "once", "local"),
    ("hand this one bug to codex, keep everything else on claude", "once", "codex"),
    # batch 12's families, in other words
    ("put llm-router into external mode for the rest of the day please", "enable", None),
    ("I'd appreciate it if you could move every subagent over to glm from now on.", "enable", "glm"),
    ("make the default provider gemini for the agents, from now", "enable", "gemini"),
    ("disable the plugin's external routing for good", "disable", None),
    ("meh, undo the external thing. claude for everything", "disable", None),
    ("ok, external mode did its job. turn it off.", "disable", None),
    ("is this codex or claude answering?", "status", "codex"),
    ("just checking: is openrouter still the active backend?", "status", "openrouter"),
    ("can gemini take a look at this diff? just this once", "once", "gemini"),
    ("pls ask codex real quick if this schema is sane", "once", "codex"),
    ("Hand just this subtask to glm; leave the mode as it is.", "once", "glm"),
    ("Please ask gpt-5 one time about this error, then back to normal.", "once", "gpt"),
])
def test_second_reading_kinds(text, action, vendor):
    result = detect.classify(text)
    assert (result["action"], result["vendor"]) == (action, vendor), result
    assert result["confidence"] >= detect.CUE


@pytest.mark.parametrize("text", [
    # the target qualifies another word, or is the subject of a statement
    "turn on external logging in nginx",
    "stop the local llama server",
    "ollama pull llama3 is stuck at 99%",
    "use gpt-4o-mini in the summarizer service instead of gpt-3.5",
    "external only works on linux for now",
    "make the external mode banner red",
    "put codex on the agents team",
    "which agents are active right now?",
    "switch the default model to gemini in config.yaml",  # a file name: code talk
    "route the webhook to ollama",  # the cue's object is not work or agents
    "our users switch to gemini when claude is down",
    # advice, capability, plans, someone else, the past, irony, a question after the command
    "can we use codex to generate the migrations?",
    "can codex read images?",
    "I want to try gemini sometime",
    "we could move the agents to codex next sprint",
    "my manager wants everything on copilot",
    "I switched to gemini last month and regretted it",
    "yeah, let's just hand everything to gpt, what a plan",
    "switch to gemini? not sure it's worth it",
    "use codex from now on but keep everything on claude",  # two sides, no contrast
    "copy the codex adapter and make one for glm",
    "let copilot handle the autocomplete, you do the refactor",
    "Claude you're doing great, keep going",
    "codex and gemini both failed on this, please try it yourself",
    # batch 11 and the probe
    "enable external mode but also keep claude doing all the work",
    "Use Gemini's JSON schema format for our tool definitions, but keep calling Anthropic.",
    "Kill the codex process that is eating the CPU",
    "ask gemini if you get stuck",
    "which model does litellm use by default?",
    "what model is our app using right now?",
    "use codex from now on? hmm",
    "switch our product's agents to gemini",
    # batch 12 and its checks
    "can external mode work with openrouter's free models?",
    "Can llm-router route to a LiteLLM proxy that sits behind a VPN?",
    "is the local server still running?",
    "once external mode is on, the banner should turn blue",
    "use codex from now on, no, just this once, hmm, forget it",
    "ask gemini about this and compare it with your answer",
    "disable the prettier plugin",
    "restart the router in the office",
    # batch 13's false toggles, in other words
    "Oh sure, switch to external models and watch the invoice explode. Anyway, fix the flaky test.",
    "turn external mode off and on again every five minutes lol",
])
def test_second_reading_guards(text):
    assert detect.classify(text)["action"] == "none"


def test_second_reading_words_come_from_the_registry():
    from llm_router.intent import cues

    lists = component()["cues"]
    for name, words in lists.items():
        assert words and all(w == w.lower().strip() and w for w in words), name
    vocab = cues.vocabulary(detect.compiled_rules())
    assert vocab.code == frozenset(lists["code"]) and ("never", "mind") in vocab.takebacks["never"]
    assert "don't" in vocab.negations  # the lexicon's NEG class


@pytest.mark.parametrize("text,action", [
    ("swtich to extrenal models", "enable"),
    ("swich back to claud", "disable"),
    ("enabel extrenal mode", "enable"),
])
def test_typos_one_edit_away(text, action):
    result = detect.classify(text)
    assert result["action"] == action and result["confidence"] < detect.GRAMMAR


# ---- registry, skill and hook agree -----------------------------------------------------------------

def test_every_trigger_classifies_to_its_action():
    for trigger, action in component()["triggers"].items():
        got = detect.classify(trigger)
        assert (got["action"], got["trigger"]) == (action, trigger), trigger
        assert got["confidence"] >= detect.HOOK_THRESHOLD


@pytest.mark.parametrize("dress", ["please {}", "{}, thanks", "OK now, {}!", "{}  ", "{}."])
def test_triggers_survive_politeness_and_punctuation(dress):
    for trigger, action in component()["triggers"].items():
        text = dress.format(trigger)
        assert detect.classify(text)["action"] == action, text
        assert detect.classify(text.upper())["action"] == action, text.upper()


def test_keyword_prefilter_matches_the_registry():
    """Stage 1 drops prompts without a keyword, so every target word of the lexicon must
    contain one (a question without one, "which one is answering?", is left to the skill)."""
    comp = component()
    assert detect._KEYWORDS == tuple(comp["keywords"])
    lexicon = comp["lexicon"]
    named = [*comp["triggers"], *(n for names in comp["vendors"].values() for n in names),
             *lexicon["EXT"], *lexicon["CLAUDE"]]
    for phrase in named:
        assert any(word in phrase for word in detect._KEYWORDS), phrase


def test_skill_named_in_registry_exists_and_lists_every_trigger():
    comp = component()
    page = skill()
    assert comp["type"] == "skill" and comp["action"] == "toggle-external-mode"
    assert page["name"] == detect.COMPONENT == Path(comp["path"]).parent.name
    # Only the mode commands (issue 10.8: model output alone ran `stats --reset --yes`).
    assert page["allowed-tools"].split(") ") == [
        "Bash(${CLAUDE_PLUGIN_ROOT}/bin/llm-router mode on:*",
        "Bash(${CLAUDE_PLUGIN_ROOT}/bin/llm-router mode off:*",
        "Bash(${CLAUDE_PLUGIN_ROOT}/bin/llm-router mode status:*)"]
    # The triggers live in the skill's body, loaded only when the skill is used; the
    # description is listed in every request, so it stays one short sentence (issue 14.4).
    text = page.content.lower()
    missing = [trigger for trigger in comp["triggers"] if trigger not in text]
    assert not missing, f"triggers missing from {comp['path']}'s body: {missing}"
    listed = [trigger for trigger in comp["triggers"] if f'"{trigger}"' in page["description"].lower()]
    assert not listed and len(page["description"]) <= 300, "keep trigger lists out of the description"


def test_skill_fits_the_listing_and_knows_the_hook_marker():
    comp = component()
    page = skill()
    assert len(page["description"] + page.get("when_to_use", "")) < 1536
    assert len((ROOT / comp["path"]).read_text().splitlines()) < 500
    assert comp["hook_marker"] == "llm-router:toggle-applied"
    assert comp["hook_marker"] in page.content
    assert "<<'" in page.content, "the once prompt goes on stdin through a quoted heredoc"
    from llm_router.hooks import prompt

    assert prompt.APPLIED == comp["hook_marker"]


def test_grammar_uses_only_lexicon_words():
    """The registry stays the single source of vocabulary: every literal word of a grammar
    pattern is a lexicon word, every class a lexicon class."""
    from llm_router.intent import grammar

    comp = component()
    rules = detect.compiled_rules()
    missing = sorted(grammar.literal_words() - rules.lexicon.vocabulary - {"?"})
    assert not missing, f"grammar words missing from component-registry.json: {missing}"
    classes = set(comp["lexicon"]) | {"T", "GENERIC"}
    for source in [*grammar.SUBS.values(), *(p for _, p in grammar.FRAMES), *grammar.STATUS_FRAMES]:
        for kind, value, _mark in grammar._tokenize_pattern(source):
            if kind == "atom" and value.isupper():
                assert value in classes, (value, source)


def test_every_frame_compiles_and_matches_something():
    from llm_router.intent import grammar

    compiled = grammar.Grammar()
    assert len(compiled.frames) == len(grammar.FRAMES)
    for _tag, pattern in compiled.frames:
        pattern.full([])  # builds the automaton


def test_fast_gate_only_skips_what_the_grammar_rejects(monkeypatch):
    texts = [row["text"] for path in (UTTERANCES, *FRESH) for row in load_rows(path)]
    gated = [detect.classify(text) for text in texts]
    monkeypatch.setattr(detect, "_FAST_GATE", False)
    assert [detect.classify(text) for text in texts] == gated


# ---- the /pa literal ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,action", [
    ("/pa --external on", "enable"),
    ("/pa --external off", "disable"),
    ("/pa --external status", "status"),
    ("/llm-router:pa --external on", "enable"),
    ("/llm-router:pa --external off", "disable"),
    ("/llm-router:pa --external status", "status"),
    ("  /pa  --external=ON\n", "enable"),
])
def test_pa_literal(text, action):
    result = detect.classify(text)
    assert (result["action"], result["confidence"]) == (action, detect.LITERAL)
    assert "--external" in result["trigger"]


@pytest.mark.parametrize("text", ["`/pa --external on`", "/pa --external maybe",
                                  "run /pa --external on in the test", "/pa --internal on"])
def test_pa_literal_only_as_the_whole_prompt(text):
    assert detect.classify(text)["action"] == "none"


# ---- hostile and odd input --------------------------------------------------------------------------

def _timed(text) -> tuple[dict, float]:
    start = time.perf_counter()
    result = detect.classify(text)
    return result, time.perf_counter() - start


@pytest.mark.parametrize("text", [
    "",
    "a" * 10_000_000,
    "switch to external models " * 400_000,
    "\ud800 switch to \udfff external",
    "use \udcff external",
    "\u202eslebom lanretxe ot hctiws",
    "switch\u200b to exter\u200dnal models",
    "ｓｗｉｔｃｈ ｔｏ ｅｘｔｅｒｎａｌ ｍｏｄｅｌｓ",
    "\x00\x01\x02 claude \x7f",
    "🔌🔌🔌 external 🔌🔌🔌",
])
def test_odd_input_is_none_and_fast(text):
    detect.classify("switch to external models")  # compile once, outside the timing
    result, seconds = _timed(text)
    assert result == {"action": "none", "trigger": None, "confidence": 0.0, "vendor": None}
    assert seconds < 0.05


def test_long_payload_still_goes_out_once_fast():
    result, seconds = _timed("ask gemini: " + "explain this log line. " * 500_000)
    assert result["action"] == "once" and seconds < 0.05


def test_non_string_is_none():
    assert detect.classify(None)["action"] == "none"  # type: ignore[arg-type]


def test_results_have_the_documented_shape():
    for row in load_rows():
        result = detect.classify(row["text"])
        assert set(result) == {"action", "trigger", "confidence", "vendor"}
        assert 0.0 <= result["confidence"] <= 1.0
        if result["action"] == "none":
            assert result["trigger"] is None and result["confidence"] == 0.0
        else:
            assert isinstance(result["trigger"], str) and result["confidence"] >= detect.HOOK_THRESHOLD


def test_ordinary_prompt_imports_nothing():
    """The hot-path budget, measured without a clock: no `os`, `re` or `json` for a prompt
    without keywords, in the interpreter the hook uses."""
    code = ("import sys; before = set(sys.modules); sys.path.insert(0, sys.argv[1]); "
            "import llm_router.intent.detect as i; "
            "r = i.classify('please refactor the parser, then run the tests'); "
            "print(r['action'], sorted(set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(LIB)], capture_output=True,
                         text=True, check=True).stdout.split(" ", 1)
    assert out[0] == "none"
    loaded = json.loads(out[1].replace("'", '"'))
    assert loaded == ["llm_router", "llm_router.intent", "llm_router.intent.detect"]


# ---- a broken registry is a ConfigError, never a silent "none" -----------------------------------

def test_registry_errors_are_config_errors(tmp_path):
    from llm_router.intent.lexicon import Lexicon

    with pytest.raises(ConfigError):
        detect.load_registry(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError):
        detect.load_registry(str(tmp_path / "bad.json"))
    with pytest.raises(ConfigError):
        detect.toggle_component({"components": {}})
    comp = component()
    with pytest.raises(ConfigError):
        Lexicon({**comp, "lexicon": None})
    with pytest.raises(ConfigError):
        detect.Rules({**comp, "triggers": {"use external": "explode"}})


# ---- the CLI ----------------------------------------------------------------------------------------

def test_cli_json_shape_and_exit_code():
    proc = run_cli("intent", "--json", "switch", "to", "external", "models")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"action": "enable", "trigger": "switch to external models",
                                       "confidence": detect.EXACT, "vendor": None}


def test_cli_reads_stdin_and_prints_none():
    proc = run_cli("intent", "--json", input="what does external mode do?\n")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"action": "none", "trigger": None, "confidence": 0.0, "vendor": None}


def test_cli_plain_line_and_literal_after_double_dash():
    proc = run_cli("intent", "--", "/pa", "--external", "off")
    assert proc.returncode == 0
    assert proc.stdout.startswith("disable:") and len(proc.stdout.splitlines()) == 1
    assert run_cli("intent", "hello").stdout.startswith("none")


def test_cli_survives_invalid_utf8():
    proc = run_cli("intent", "--json", input=b"\xff\xfe\xfd are we using external?")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["action"] == "status"


# ---- the learned reading (learned.py) ---------------------------------------------------------------

def test_the_learned_model_was_trained_on_the_data_as_it_is():
    """A changed or added labelled file means bench/train_intent.py --write was not re-run."""
    model = learned.load()
    assert model["trained_on"], "the model names no training files"
    for name, count in model["trained_on"].items():
        assert len(load_rows(DATA / name)) == count, f"{name} changed since the model was trained"
    assert model["threshold"] == learned.THRESHOLD


@pytest.mark.parametrize("text, action", [
    ("router status?", "status"),
    ("shut off the delegation thing", "disable"),
    ("is offloading enabled atm?", "status"),
])
def test_the_learned_reading_reads_the_features_own_names(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "if the router is slow, switch off the delegation thing",       # a condition
    "then I'll switch the delegation thing on. great plan",         # the user's own plan, irony
    "shut off the delegation thing. never mind",                    # taken back
    "what model is our app using right now?",                       # their own software
])
def test_the_learned_reading_stops_at_the_hard_guards(text):
    """Each of these the model alone reads as a toggle; the guards must stop it."""
    guess, probability = learned.predict(text)
    assert guess != "none" and probability >= learned.THRESHOLD, "the attack no longer tests anything"
    assert detect.classify(text)["action"] == "none"


# Held-out false toggles of the retrained model (each batch left out of training in turn): the
# detector must stay silent even where the model alone, or the rules, would toggle.
@pytest.mark.parametrize("text", [
    "Enable external auth via Okta on the admin panel.",                       # "external" qualifies auth
    "Is external mode off by default right after installing llm-router?",      # what it does by default
    "is the router open source?",                                              # what it is
    "which models can the subagents run on?",                                  # what it can do
    "Estimate the effort for migrating our internal bot from OpenRouter to a self-hosted LiteLLM proxy.",
    "turn off the GPU offloading in llama.cpp, pass -ngl 0",                   # offloading to hardware
    "Quick question, can Copilot see my private repos?",                       # a question about copilot
    "Give me an estimate: how long would codex take on this refactor compared to you? Just curious.",
    "ask gpt this one — eh forget it, you answer: what's a monad?",            # a one-off taken back
    "one more hallucination and I'm turning the router off, I swear",          # a vow, not a command
    "sure, let's just send everything to gpt and call it a day \U0001f644",     # an eye-roll
])
def test_held_out_false_toggles_stay_silent(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("path", sorted(DATA.glob("intent_train_*.jsonl")), ids=lambda p: p.name)
def test_no_false_toggle_on_the_training_batches(path):
    """The batches written only to train the model (intent_train_N.jsonl) are never measured for
    recall, but a hard negative in them must still not toggle."""
    false = [r["text"] for r in load_rows(path) if r["action"] == "none"
             and detect.classify(r["text"])["action"] != "none"]
    assert not false


@pytest.mark.parametrize("typed, action, vendor", [
    ("/pa on", "enable", None), ("/pa off", "disable", None), ("/pa status", "status", None),
    ("/pa on codex", "enable", "codex"), ("/pa --external on --prefer gemini", "enable", "gemini"),
    ("/pa on the other hand", "none", None), ("/pa switch to gemini", "none", None),
])
def test_pa_short_forms_are_read_literally(typed, action, vendor):
    """A /pa prompt is the command's own syntax or nothing: its request is the command's to answer."""
    found = detect.classify(typed)
    assert (found["action"], found["vendor"]) == (action, vendor)


@pytest.mark.parametrize("text, action", [
    ("switch off /pa", "disable"),                                  # the command's name in a sentence
    ("what's /pa set to rn?", "status"),
    ("how do i turn off the external thing? nvm just turn it off", "disable"),  # take-back, then a command
    ("TODO for now:\n- disable external mode\n- fix the flaky test in payments", "disable"),  # own list
])
def test_batch_18_to_21_kinds(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "cd /path/to/repo and switch branches",                          # "/pa" only as a path's start
    "expected output:\n- switch to gemini\n- go back to claude",    # a list of someone else's text
    "commit this:\n\nchore: disable external routing by default",  # a commit subject
    "ollama pull qwen2.5",                                          # a command line
    "Enable external mode — just kidding, keep going with the tests.",
    "is there a way to make external mode the default for every new session?",
])
def test_batch_18_to_21_guards(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("typed, action, vendor", [
    ("external=off", "disable", None), ("routing: ?", "status", None), ("/pa ?", "status", None),
    ("mode: external\nvendor: copilot", "enable", "copilot"), ("mode: claude\nexternal: off", "disable", None),
    ("pa off — done with the experiment", "disable", None), ("pa on", "enable", None),
    ("/pa on, vendor codex, model gpt-5-codex", "enable", "codex"),
    ("Routing on, vendor=openrouter, model=llama-3.3-70b", "enable", "openrouter"),
    ("model: gpt-5", "none", None), ("mode: dark", "none", None), ("pa on the fridge", "none", None),
    ("external: maybe", "none", None), ("mode: external\nexternal: off", "none", None),  # two that disagree
    ("mode=external vendor=gemini model=gemini-2.5-pro", "enable", "gemini"),            # batch 24-25: one line
    ("external: on\nmodel: llama-3.3-70b\nscope: session", "enable", "local"),
    ("pa off thx", "disable", None), ("/pa off, the quota's back", "disable", None),     # a reason after it
    ("/pa status?", "status", None), ("external on?", "status", None),                   # batch 26-27
    ("router: off\nreason: client NDA", "disable", None), ("router: 2.5 pro", "enable", "gemini"),
    ("mode: once\nmodel: gemini-2.5-pro\ntask: review src/auth/*.ts", "once", "gemini"),
    ("mode: once\ntask: review src/auth", "none", None),                                 # a one-off needs a model
    ("external models? really?", "none", None),
    ("/pa status? need to know before the deploy", "status", None),                     # batch 30: a reason
    ("/pa status … did I type that right? what does it say?", "status", None),
    ("/pa off\n\nsorry, ignore that, typed it in the wrong window", "none", None),       # taken back
    ("/pa off, wait no", "none", None),
])
def test_settings_typed_as_settings(typed, action, vendor):
    """Batch 22-23's key:value and bare "pa on" forms: the whole prompt is settings, or nothing."""
    found = detect.classify(typed)
    assert (found["action"], found["vendor"]) == (action, vendor)


@pytest.mark.parametrize("text, action", [
    ("is the other AI thing still on? i can't tell", "status"),            # a vague name for the feature
    ("can u turn the other ai off? it keeps breaking my css", "disable"),
    ("just this once, can you ask the google one what it thinks of my README? don't switch anything", "once"),
    ("let copilot handle only the next prompt: scaffold a NestJS module", "once"),
    ("get gpt-5's take on this schema, but keep claude for everything else", "once"),  # claude keeps the rest
    ("Please ask once the kimi model to review my Dockerfile", "once"),     # "once the" after its verb
    ("who's got the agents right now", "status"),
    ("single shot to openrouter/llama: what's wrong with this dockerfile?", "once"),  # a model id, vendor first
    ("throw this one at the cheap model only: generate the fixture json", "once"),
    ("can you switch routing on and point it at openrouter? qwen3-coder if available", "enable"),
    ("morning! plan for today: 1) triage the crash reports 2) put the agents on 2.5 pro 3) sort the flaky tests",
     "enable"),                                                      # the user's own plan, on one line
    ("QA day. step one: route agents to mistral. step two: generate edge case tests", "enable"),
    ("cheers, now get 4o's opinion on this naming scheme, one time only", "once"),  # a model by its nickname
])
def test_batch_22_to_27_kinds(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "Is it possible to use kimi with llm-router or only the big vendors?",  # what it can do
    "is codex still maintained by openai or did they deprecate it?",        # a fact about the vendor
    "once the kimi model is configured, use it for the agents",            # a real condition
    "yesterday i turned on the router, it was fun",                        # the past, no request after it
    "sure, let's just send everything to gpt and call it a day \U0001f644",  # the eye-roll trails the words
    "reckon we'll move to 2.5 pro next quarter once finance signs off. meanwhile, fix this memory leak",
    "TODO: use codex for everything",                                # a label, not the user's plan
    "explain how llm-router's status command knows which vendor is active",  # batch 29: how it works
    "delegating the art to my friend, you handle the code. start with the title screen",  # a person
])
def test_batch_22_to_27_guards(text):
    assert detect.classify(text)["action"] == "none"


def test_the_model_never_turns_a_disable_into_an_enable(monkeypatch):
    """The rules read "dun want codex anymore, u do it" as a disable; a model sure of an enable
    (as an earlier one was) may not send the work away against them: the verdict is "none"."""
    from llm_router.intent import learned

    text = "dun want codex anymore, u do it"
    assert detect.classify(text)["action"] == "disable"
    monkeypatch.setattr(learned, "predict", lambda _text: ("enable", 0.99))
    assert detect.classify(text)["action"] == "none"
    monkeypatch.setattr(learned, "predict", lambda _text: ("disable", 0.99))
    assert detect.classify("Deactivate. External mode, I mean.")["action"] == "disable"  # the safe way round


def test_the_learned_reading_never_reads_quoted_material():
    """The model's features are taken after guards.strip_quoted: a quotation tells it nothing, and
    a pasted block does not hide the user's own request after it."""
    assert learned.grams("> router status?") == learned.grams("> pasted text")
    assert detect.classify("> router status?")["action"] == "none"
    assert detect.classify('he wrote "turn the router off" in the channel')["action"] == "none"
    pasted = "here's the log:\n```\nTypeError: x is undefined\n```\nlook into it. also turn external mode off, I'm done with it."
    assert detect.classify(pasted)["action"] == "disable"


def test_the_learned_reading_is_the_same_in_every_process():
    """Features are hashed with CRC-32, not str's per-process salted hash()."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from llm_router.intent import learned; "
            "print(repr(learned.predict('router status?')))")
    seen = {subprocess.run([sys.executable, "-c", code, str(ROOT / "lib")], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, timeout=30, check=True).stdout
            for seed in ("1", "2", "random")}
    assert len(seen) == 1 and "status" in seen.pop()


def test_an_unreadable_model_is_a_config_error(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b'{"classes": ["none"], "intercept": [0.0], "blocks": [4]}\n' + b"\0" * 12)
    with pytest.raises(ConfigError, match="unreadable"):
        learned.load(str(bad))


@pytest.mark.parametrize("text,action,vendor", [
    ("back to claude-sonnet-4-5 please, mistral-large wasn't cutting it", "disable", None),  # Claude's own model id
    ("claude-opus-4-1 for everything again", "disable", None),
    ("from now on everything goes to moonshotai/kimi-k2", "enable", "kimi"),  # a router's org/model id
    ("openrouter/qwen/qwen3-coder as default from now", "enable", "qwen"),
    ("qwen3-coder:30b for just this task: write the parser", "once", "qwen"),  # a local server's name:tag
    ("deepseek-reasoner for everything", "enable", "deepseek"),
    ("turn routing back on", "enable", None),  # the feature by its own name, with on/off
    ("turn the routing back on", "enable", None),  # the model alone once read this as disable
    ("turn delegation back off", "disable", None),
    ("hurry pls: turn routing on, gpt-5, and run the integration suite", "enable", "gpt"),
])
def test_batch_28_to_31_kinds(text, action, vendor):
    result = detect.classify(text)
    assert (result["action"], result["vendor"]) == (action, vendor), result


@pytest.mark.parametrize("text", [
    "fix src/gemini/client.py please",  # a path, not a model id
    "claude, kill the staging db migrations and rerun them",  # Claude addressed, no target
    "turn off routing in the next.js config",  # the user's app's routing
    "let gemini handle auth in the wrapper",  # a vendor placed in the user's code
    "model: gpt-5",  # a config line
])
def test_batch_28_to_31_guards(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text,action", [
    ("[WARN] codex: rate limited\n[ERROR] codex: giving up\n\nok enough. back to claude for all tasks", "disable"),
    ("openai.RateLimitError: quota exceeded\n\nwell that's that. back to claude for everything", "disable"),
    ("switch back to Claude for everything period", "disable"),  # dictation's punctuation
    ("only for this question use deep seek", "once"),  # a name heard as two words
    ("have gemini write all the tests from now on", "enable"),  # a request's frame, a lasting scope
    ("I know I said to use the local model for the rest of the week. Switch back to Claude.", "disable"),
    ("Results were mixed. So let's go back to Claude for everything. Next, can you tidy the README and fix "
     "the badge?", "disable"),  # a request in a later sentence asks for other work
    ("Before the standup: rename the bucket. Please stop using the outside models, everything back on "
     "Claude from now. After that ping me with a summary.", "disable"),
    ("Please turn on external mode. Also, after that, could you explain what a closure is?", "enable"),
    ("Um, is it okay if we turn off external mode now? Please switch back to Claude. Thank you!", "disable"),
])
def test_batch_32_33_kinds(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "Switch to codex. Or maybe not.",  # a doubt after the command, in a later sentence, still cancels it
    "Switch to gemini. Not sure though.",
    "use codex from now on. actually no.",
    "My lead said: switch to codex.",
    "Switch to codex for everything. Unless you think that is a bad idea?",
    "for the billing period use gemini",  # "period" a noun, not dictation
    "Our consumer 'router-service' keeps rebalancing. Logs:\nWARN router-service (external mode enabled)\n"
    "What's going on?",  # a line alone must name the feature itself
])
def test_batch_32_33_guards(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text,action", [
    ("Could you take over again instead of GPT? Thank you so much!", "disable"),  # the side left is no target
    ("Set external mode to false.", "disable"),
    ("por favor, back to claude para todo", "disable"),  # another language's words end the name's phrase
    ("Q for an external model (single use): is this regex slow? `^(a+)+$`", "once"),  # a quote in the payload
    ("Just checking, are we still using Codex? I don't want to change anything, I'm just curious.", "status"),
    ("switch to codex, if that works", "enable"),  # polite after the command
])
def test_held_out_32_33_kinds(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "Fix the login bug. Then if that works, switch to codex.",  # a condition before the command
    "Then if that works, switch to codex.",
    "what would codex do here? don't ask it, just tell me",  # the request refused
    "switch our product's agents to gemini",  # their own software
])
def test_held_out_32_33_guards(text):
    assert detect.classify(text)["action"] == "none"


_STATUS = ("Status update before we continue. Tests: 412 passing, 3 skipped. Coverage 81%. Lint clean. "
           "The only open item is the i18n extraction. ")


@pytest.mark.parametrize("text,action", [
    (_STATUS + "Please hand everything to GLM from this point forward and start with the i18n strings.", "enable"),
    (_STATUS * 2 + "Please stop using external models and take over again yourself.", "disable"),  # > 280 characters
    (_STATUS + "For item 3 only, send it to GLM, I want to compare its tests with yours later.", "once"),
])
def test_a_sentence_of_a_long_paragraph(text, action):
    """A paragraph too long for one reading is read a sentence at a time."""
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    _STATUS + "Please hand everything to GLM from this point forward. Or maybe not, let me think.",
    _STATUS + "Should we hand everything to GLM from this point forward?",
    _STATUS + "The docs say: 'hand everything to GLM from this point forward'. Is that right?",
    _STATUS + "Does the plugin send the whole conversation to the external model or only the task?",
    _STATUS + "Switch to gemini from now on. Actually no, stay on Claude.",
])
def test_a_sentence_of_a_long_paragraph_keeps_its_guards(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text,action", [
    ("3am. external on. fix the cron job after", "enable"),  # "after" alone is afterwards, no condition
    ("let's put the external models away for now and have you do everything again", "disable"),  # not "put on"
    ("revert model to claude. next: fix watchdog reset in main.c", "disable"),
    ("Spent the morning on the billing bug, no luck. Let's put Gemini in charge from here on and see if a "
     "different model cracks it.", "enable"),  # "see if" after the command is its purpose, not a doubt
])
def test_batch_36_37_kinds(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "switch to codex after the tests pass",
    "put the agents away and use gemini? no",
])
def test_batch_36_37_guards(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text,action", [
    ("For the remainder of this session, route all generation to gpt-5. I want to compare its outputs "
     "against the baseline runs from last week.", "enable"),  # the past is the other sentence's
    ("just curious what Codex would say about this layout bug, only this time though", "once"),
])
def test_a_guard_belongs_to_the_sentence_that_names_the_model(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text", [
    "Give me an estimate: how long would codex take on this refactor compared to you? Just curious.",
    "Yesterday I routed all generation to gpt-5. It was slow.",
])
def test_a_musing_or_the_past_in_the_model_s_sentence_still_stops_the_model(text):
    assert detect.classify(text)["action"] == "none"


@pytest.mark.parametrize("text,action", [
    ("From now on, please delegate every request to an external model. I will let you know when to stop.", "enable"),
    ("gemini mode. now. the level editor isn't going to fix itself", "enable"),  # a reason of its own
    ("all agent use glm from now, because it cheap for us", "enable"),
    ("turn on mode external", "enable"),
    ("Switch to codex. Or maybe not.", "none"),  # a later sentence that doubts the command still cancels it
    ("Use gemini from now on. I am not sure it is a good idea.", "none"),
    ("Use codex from now on. My lead said no.", "none"),
    ("the agents run on codex", "none"),  # a statement, no scope
])
def test_a_later_sentence_cancels_only_when_it_doubts_the_command(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text,action", [
    ("I've got the LiteLLM proxy running on localhost:4000 with deepseek behind it. From now on send the work "
     "there instead of Claude.", "enable"),  # "there": the model named before
    ("Qwen3-coder did really well on the last benchmark. Let's make it the default from now on.", "enable"),
    ("I read the gemini docs. send the logs there.", "none"),  # no frame for "the logs"
    ("is there a gemini mode?", "none"),
])
def test_there_and_it_stand_for_the_model_named_before(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text,action", [
    ("Turn on external models and then can you help me fix the failing jest tests? I think it's the mock",
     "enable"),  # "and then can you ...": other work asked for after the command
    ("Switch to codex from now on. Why is the build red?", "enable"),  # a later question about other work
    ("Switch to codex. Any concerns?", "none"),  # a later question about the command
    ("switch to gemini and then can you tell me if that is wise?", "none"),
])
def test_a_later_question_cancels_only_when_it_is_about_the_command(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text,action", [
    ("what's external mode", "none"),  # batch 44's first-pass false toggles: what the feature is
    ("what's glm?", "none"),
    ("what's the router pointed at", "status"),
    ("whats the backend rn for the agents", "status"),
])
def test_what_is_asks_what_it_is_unless_it_asks_about_now(text, action):
    assert detect.classify(text)["action"] == action


@pytest.mark.parametrize("text,action", [
    ("The guide says 'Step 3: tell Claude to enable external models.' So, enable external models.", "enable"),
    ('the docs say "switch to external models."', "none"),  # the quote itself never toggles
    ('my lead wrote: "switch to codex." thoughts?', "none"),
])
def test_a_quote_that_ends_a_sentence_ends_it(text, action):
    assert detect.classify(text)["action"] == action


# Each first-pass false toggle of batches 38-47 (and batch 43's enables read as disables) is a guard now.
@pytest.mark.parametrize("text", [
    # batch 38-39's false toggles on a first pass, each now a guard
    "Priya: switch to codex for everything from now on\n\ncan you summarize what Priya is asking for in this thread?",
    "Kat: just this once ask gemini, it's better at CSS\n\nlol she says that every week. anyway, center this div",
    "can this tool use glm or no? just ask only",
    "Dear Claude,\n\nThank you for your assistance today.\n\nKind regards,\nTomás",
    # batch 40-41's first-pass false toggles, each now a guard
    "1. Do NOT fail over to external models.\n2. Roll back deploy 4411.\n3. Page the DB on-call.",
    "When claude is not able to do this, then maybe use external model. But now try yourself please.",
    "never send our code to gemini",
    # batch 42's first-pass false toggle
    "don't switch to codex, I want you on this one",
    # batch 46-47's first-pass false toggles, each now a guard
    "refactor:\n- ModelRouter.enable() → activate()\n- ModelRouter.disable() → deactivate()",
    "We're adding a model picker to our app's settings page. Make a dropdown with Claude, GPT-5, Gemini, "
    "and Llama options.",
    "mika: are we on external?\n\nlol she asked me that in slack, ignore. please rename the util functions to camelCase",
])
def test_first_pass_false_toggles_of_batches_38_to_47_stay_silent(text):
    assert detect.classify(text)["action"] == "none"


# ... and what those guards must not stop.
@pytest.mark.parametrize("text,action", [
    ("Codex: review this diff just this once", "once"),  # a vendor addressed is no pasted speaker
    # batch 43's two enables once read as disables (then "none", to ask); the model retrained on 38-47 reads them
    ("external, everything", "enable"),
    ("ok new plan: outside models do everything until I say back to claude", "enable"),
    ("Dear Claude,\n\nplease switch to gemini from now on.\n\nKind regards", "enable"),
    ("could gemini review this PR description? just this time", "once"),  # asks a model, not the tool
    ("Please obtain Codex's review of auth.py for this task only; do not enable external mode.", "once"),
    ("don't use claude, use gemini from now on", "enable"),
    ("no more gemini, do it yourself", "disable"),
    ("enough gpt", "disable"),
    ("I should be most grateful if you would resume doing all the work yourself, without recourse to outside "
     "models, until I say otherwise.", "disable"),
])
def test_what_the_batch_38_to_47_guards_still_let_through(text, action):
    assert detect.classify(text)["action"] == action


# What each batch since 46 taught, read after its first pass (never before): its kinds, its
# first-pass false toggles, and the negatives each new reading must leave alone.
READ_AFTER_FIRST_PASS: dict = {}

# Batch 46-47's kinds (read after their first pass), with the hard negatives each reading must leave alone.
READ_AFTER_FIRST_PASS["46_47"] = [
    # the feature's outside models as "non-claude"
    ("non-claude mode pls, rest of day", "enable"),
    ("i regret everything. turn the non-claude stuff off", "disable"),
    ("non-claude models are banned in our app's settings page", "none"),
    # a formal "I would be grateful if" is politeness, not a condition
    ("I would be most grateful if all subsequent tasks could be delegated to Gemini. Many thanks.", "enable"),
    ("If it is not too much trouble, I would like Codex to handle all of my requests for the rest of the "
     "session.", "enable"),
    ("if the build fails, I would like Codex to handle the rest of the session", "none"),
    # "you're back" said to Claude
    ("codex is fired. claude, you're back", "disable"),
    ("Claude, you're back on. Kimi made the inventory UI worse.", "disable"),
    ("you're back on the main branch now, the codex PR merged", "none"),
    # a later question that asks for the command itself, or for a nod, does not doubt it
    ("route everything to gemini going forward. Can you do that?", "enable"),
    ("I'd prefer the subagents run on GPT-5 from here forward. Would you switch them?", "enable"),
    ("switch to gemini. is that wise?", "none"),
    ("switch to gemini. can you tell me if that's wise?", "none"),
    # a condition on what comes next is not one on the command
    ("Hand the workload off to the external models for the rest of this session and ping me when the "
     "migration's done.", "enable"),
    ("hand the workload to the external models when the migration's done", "none"),
    # a pasted log, by its time stamps
    ("10:02 router: external mode enabled (gemini)\n10:47 router: external mode disabled\n11:05 router: once -> "
     "glm\n\nsummarize this for the incident report", "none"),
    # a last word of doubt; one task put in someone's charge
    ("use codex from now on? hmm", "none"),
    ("put claude in charge of the release notes", "none"),
    ("put claude back in charge of everything", "disable"),
    # ", so ..." opens the user's own conclusion: a report before it is its own sentence
    ("prof said any model is allowed for the lab, so let's route everything through gemini from now on", "enable"),
    ("Keys are configured, so switch to external mode.", "enable"),
    ("prof said we should route everything through gemini, so he did", "none"),
]


# Batch 48's kinds (read after its first pass): phone typos in model names, steps around the command.
READ_AFTER_FIRST_PASS["48"] = [
    ("let codx handle evrything from here", "enable"),
    ("use gtp5 from now on", "enable"),
    ("pls hand all work to quen3 coder going foward", "enable"),
    ("revert to clade for the rest of the seshion", "disable"),
    ("send jus this task to deepsek", "once"),
    ("switch to o4 mini for all the tasks from now", "enable"),
    ("kiwi is the fruit, grow it from now on", "none"),  # a short real word one edit from a name is not it
    ("Add a unit test for parse_duration, then go back to claude-only mode, then write docstrings.", "disable"),
    ("Turn on external routing via the LiteLLM proxy first, then implement the export.", "enable"),
    ("Fix the import cycle. And stop using codex after this, you take over all the remaining work.", "disable"),
    ("Finish the pagination work, and after that switch off outside models completely", "disable"),
    ("use gemini after the tests pass", "none"),
    ("ok im done w the outside modles, shut em off", "disable"),  # texting's "w", "em"; a misspelt "models"
    ("Put the external mode, the Claude is very slow today.", "enable"),  # "put"/"open" for "on" (batch 46, 49)
    ("Please open the external mode, I will work with gemini today", "enable"),
    ("open the codex cli", "none"),
    ("put the gemini mode in the config file", "none"),
    # the first false toggle of batch 48: code asked for, whose spec names the models
    ("Implement a /status endpoint that reports which model backend is active (claude or external), with a "
     "unit test.", "none"),
    ("write the unit tests for parser.py after you switch the subagents over to codex. from now on they should "
     "all go there", "enable"),
]


# Batch 50-51's kinds (read after their first pass), with the negatives each must leave alone.
READ_AFTER_FIRST_PASS["50_51"] = [
    ("switch execution to external vendors. keep claude out of the loop until further notice.", "enable"),
    ("from here: codex handles impl, no claude.", "enable"),  # two clauses that agree outweigh the model
    ("Would it be possible to turn on external mode? And then, if you have a moment, look at the flaky test.",
     "enable"),
    ("Is it okay if we go external for the rest of the session? Please go ahead and enable it.", "enable"),
    ("Three things, in order: enable Copilot for all code generation from now on; add type hints to utils.",
     "enable"),
    ("I need you back in charge: no more routing to OpenRouter models for this session.", "disable"),
    ("my lead wrote: no more routing to OpenRouter models for this session", "none"),
    ("For this prompt alone, route to the local llama model since it has a confidential snippet:\nid,age\n1,34",
     "once"),
    ("ok new plan, deepseek handles all tasks going forward, i'll tell u when to stop", "enable"),
    ("What is the actual mode? External or normal?", "status"),
    ("Please have GPT-5 take over everything from here, subagents included, until I revert it.", "enable"),
    ("hand the whole session to the local llama, no signal at this cafe rn", "enable"),
    ("switch to codex, no wait", "none"),
    ("switch to codex. no wait", "none"),
]


# Batch 52-53's kinds (read after their first pass), with the negatives each must leave alone.
READ_AFTER_FIRST_PASS["52_53"] = [
    ("cna you send all teh work to deepseek fromhere", "enable"),  # scope words typed together
    ("frm now on evrything gose to kimmi k2 plz", "enable"),  # a name with a letter doubled
    ("point evrythign at teh litelm proxy from now", "enable"),
    ("hand everyting to gpt5 untill i say stopp", "enable"),
    ("unroute everything", "disable"),
    ("turn the plugin on", "enable"),  # "plugin" is no "plug in"
    ("local llama is cooked, route nothing externally from now on", "disable"),  # nor "nothing" "no thing"
    ("switch back from the local llama model to claude for everything after this", "disable"),
    ("switch from claude to gemini", "enable"),
    ("Can you turn off codex mode, and then go through the failing snapshot tests and update the ones that "
     "changed intentionally?", "disable"),
    ("can you switch to codex, does that even work?", "none"),
    # batch 52-53's first-pass false toggles
    ("Parse this log and tell me why it crashed:\n[router] mode=external backend=openrouter/qwen3-coder\n"
     "[router] error: 401 Unauthorized\n[router] falling back to claude", "none"),
    ("Budi will handle the openrouter part, you do the UI only", "none"),
    ("[x] switch to codex from now on\n[ ] fix the tests", "enable"),  # a checklist is no log
]


# Batch 54-55's kinds (read after their first pass), with the negatives each must leave alone.
READ_AFTER_FIRST_PASS["54_55"] = [
    ("Please enable external mode. I will be drafting the migration guide for the next several hours, and I "
     "would prefer that Codex generate the code samples throughout.", "enable"),  # "I would prefer" is a wish
    ("Please turn external routing on. Subsequently, reformat the tables in chapter four so that every header "
     "is in sentence case.", "enable"),  # a sentence of its own; "so that" points back at nothing
    ("Switch to codex. I do not think that is wise though.", "none"),
    ("switch to gemini. my lead says that would break the build", "none"),
    ("um, can we go back to just claude? I'm not sure gemini understood the codebase", "disable"),
    ("@dana's PR #1203 needs a rebase anyway. Meanwhile: gemini mode on for the session", "enable"),
    ("I think I'd like non-Claude models to do the work for the rest of today. Not because anything is wrong! "
     "Just want to compare.", "enable"),
    ("apologies for the confusion earlier, yes, I do want external mode ON, for everything, until I say stop",
     "enable"),
    ("I apologize, I should have asked first. Please stop sending my tasks to deepseek and just do them yourself "
     "from now on", "disable"),
]



# Batch 56-57's kinds and first-pass false toggles (read after their first pass).
READ_AFTER_FIRST_PASS["56_57"] = [
    ("no external yet", "none"),  # not now
    ("is external on yet?", "status"),
    ("my coworkr swiched to copilot lol, anwyay help w this regex", "none"),  # someone else's choice
    ("My friend in other company is using codex for everything", "none"),
    ("my agents should use codex from now on", "enable"),
    ("stop the external mode please, my company don't allow send code outside", "disable"),  # a reason
    ("turn off outside mode, thank you na", "disable"),
    ("I will be thankful if you route all work to codex for rest of session", "enable"),
    ("what mdoe are we in rn", "status"),
    ("ok enuf of gpt5, u do it agian", "disable"),
    ("use copiolt for all of it from here on, and then fix the tests in utils/", "enable"),
]


# Batch 58-59's first-pass false toggle and kinds (read after their first pass).
READ_AFTER_FIRST_PASS["58_59"] = [
    ("Don't switch to external. We're fine on Claude for now.", "none"),  # content to stay
    ("claude for now", "disable"),
    ("Please have the 'Codex' program handle everything from this point forward.", "enable"),  # a scare-quoted name
    ("Task: make 'go external' work in the CLI", "none"),  # a quoted command is still quoted
    ("Write a SQL CASE that maps provider='anthropic' to 'Claude' and everything else to 'External'", "none"),
    ("Going forward in this chat, codex does the work, not you. First job: convert these transforms.", "enable"),
]


# Batch 60-61's first-pass false toggle and kinds (read after their first pass).
READ_AFTER_FIRST_PASS["60_61"] = [
    ("Comment in the PR I'm reviewing, for context:\n\n<!-- TODO: switch default model to qwen3-coder once "
     "benchmarks are in -->\n\nPlease tell me whether this TODO still applies given the current code in "
     "router/defaults.py.", "none"),  # "this TODO" is no session; a path is no feature word
    ("who's on the other end of this prompt, honestly", "status"),
    ("is /pa on rn", "status"),
    ("The Ollama is very slow in my machine, please go back to you for everything.", "disable"),
    ("ok, get back to you", "none"),
    ("get back to you on the codex question", "none"),  # an email's promise
    ("Switch to the outside models and after fix me the lint errors in utils.py", "enable"),  # "and after" = then
    ("switch to codex and after the tests pass fix the lint", "none"),
    ("Make the favor to change the default to DeepSeek, every task after this one.", "enable"),
]


# Batch 66-67's first-pass false toggle and kinds (read after their first pass).
READ_AFTER_FIRST_PASS["66_67"] = [
    ("Codex please NOT activate, my company doesn't allow it.", "none"),  # a negation right before the verb
    ("codex please activate", "enable"),
    ("router.mode=external", "enable"),  # settings as a power user types them
    ("router.mode=claude", "disable"),
    ("toggle external=1", "enable"),
    ("put the other bots in charge from now on. thanks!!", "enable"),  # a newcomer's words for the models
    ("ok can you go back to being just you now? no more other bots", "disable"),
    ("just this time pass it to the other bots: write tests for utils.js", "once"),
    ("deploy the other bots to staging", "none"),
    ("my other bots are discord bots, switch them to python 3.12", "none"),
]


# Batch 71's first-pass false toggle: a name qualifying a piece of its setup.
READ_AFTER_FIRST_PASS["71"] = [
    ("update the litellm proxy port to 4001", "none"),
    ("switch to the litellm proxy from now on", "enable"),
    # a prompt written as a document of the user's own sections: the request, read without its story
    ("Context: I've been told by my lead to dogfood GPT for a week.\nTask: Make GPT the default for this whole "
     "session (main agent and subagents).\nConstraints: none, just keep going as normal afterwards.", "enable"),
    ("Background: the team wants numbers on o3 vs Claude.\nAsk: enable o3 as the default model for the remainder "
     "of this session.\nOut of scope: changing anything in the repo config.", "enable"),
    ("Context: I came back from lunch.\nQuestion: are prompts going to Claude or to an external model right now?",
     "status"),
    ("Question: what's the current llm-router mode for this session?", "status"),
    ("Context: my lead said switch to gemini.\nTask: write the migration doc.", "none"),
    ("Context: we switched to codex yesterday for everything.\nTask: summarize the diff.", "none"),
    ("Context: switch to gemini for everything, my lead keeps saying.\nTask: write the reply to her.", "none"),
    ("Task: add a --use-gemini flag to the CLI.\nConstraints: keep it off by default.", "none"),
    ("Context: codex is down.\nTask: don't switch to codex today.", "none"),
    ("Task: switch the summarizer to Gemini.\nContext: cost.", "none"),
    ("mode: external\nmodel: kimi-k2\nreason: cost", "enable"),  # settings keys are no sections
    # a condition with no clause of its own bends the sentence before it
    ("Task: switch to gemini for the rest of the session.\nConstraints: only if the quota allows it.", "none"),
    ("Context: big refactor.\nTask: enable external mode.\nConstraints: only after the tests pass.", "none"),
    ("enable external mode. only after the tests pass.", "none"),
    ("switch to gemini for the rest of the session.\nonly if the quota allows it.", "none"),
    # a numbered item under the user's own lead-in is theirs
    ("TODO:\n1. Turn off Ollama routing\n2. Delete the tmp/ folder\n3. Re-run `npm test`", "disable"),
    ("Task list (in order):\n1. Enable routing to outside models for everything going forward\n2. Regenerate "
     "the OpenAPI client\n3. Run `make lint`", "enable"),
    ("TODO: use codex for the parser", "none"),  # a code comment's TODO on the same line
    ("expected output:\n1. switch to gemini\n2. fix the tests", "none"),
]


# Batches 72-75's first-pass false toggles (read after their first pass), with what must still be read.
READ_AFTER_FIRST_PASS["72_75"] = [
    # a change of mind said in new words takes the command back; a command after it still counts
    ("turn on external mode — actually hold off, let's not do that today", "none"),
    ("back to claude— oh wait, we never left claude. ok nothing to change then, carry on with the tests", "none"),
    ("ask gemini about this. hmm no, I'll ask a human instead, let me ping Raj", "none"),
    ("route the agents to kimi... actually forget it, I'll decide tomorrow. keep going on the parser", "none"),
    ("how do i turn external mode off? nvm, just turn it off", "disable"),
    ("switch to codex— actually never mind switching, just tell me what we're on right now", "status"),
    ("go on with step 3. oh wait, are we in claude mode or external mode rn", "status"),
    ("use the local model for everything. no wait, my laptop will melt. just this one prompt", "once"),
    ("right, let's not faff about, o3 for everything from here", "enable"),
    # the only model named is refused; the question is for Claude
    ("hocam don't switch to external, I only ask a question: how to cache this?", "none"),
    ("quick q for o4-mini (don't switch anything): big-O of heapify?", "once"),
    ("would gemini have done this better? rhetorical, don't actually ask it", "none"),
    # what the feature is, asked
    ("what is this external mode people are talking about?", "none"),
    ("what's active rn — gemini, codex, or claude?", "status"),
    # what the user settles on after correcting themselves, read alone
    ("switch to gemini— no wait, actually the opposite, go back to claude", "disable"),
    ("use kimi for this one. actually scratch that. which model is on right now?", "status"),
    ("let's do just this one prompt with kimi. no wait, do all of them with kimi, for the rest of the day", "enable"),
    ("use gemini from now on. actually no, forget it, stay on claude", "none"),
    ("fix the build. no wait, I meant the lint job", "none"),
    ("rename it to use_gemini. no wait, use_codex", "none"),
    ("switch to gemini for the rest of the session, never mind the cost", "enable"),  # a thing set aside
    # a report, then a sentence that asks for it
    ("my teammate said you can make codex do all the coding instead of claude. can you set that up for the rest "
     "of the session?", "enable"),
    ("someone on slack said this plugin can route the subagents to glm-4.6. do that, from here on", "enable"),
    ("my lead said we should never use codex. can you do that?", "none"),
    ("my coworker switched to copilot yesterday. can you do that refactor too?", "none"),
    # settings whose scope is prose; a ticket is the user's when it is assigned to the assistant
    ("mode: claude\nexternal: off\nscope: rest of session", "disable"),
    ("router: on\ntarget: openrouter\nmodel: mistral-large\nuntil: I say so", "enable"),
    ("Priority: P1\nOwner: assistant\nDescription: stop delegating to Gemini; Claude handles all further work\n"
     "Acceptance: no more external calls", "disable"),
    ("Title: Use gemini for all subagents\nDescription: route all subagents to gemini from now on\nOwner: platform "
     "team", "none"),
    ("Priority: P2\nOwner: Sam\nDescription: switch the summarizer to Gemini\nAcceptance: tests pass", "none"),
    ("Request (this prompt only): route to Codex: convert setup.py to pyproject.toml", "once"),
    # "if it is possible" is polite before a request, a condition before "that"
    ("Dear Claude, if it is possible kindly enable the external models for remainder of this session. Merci",
     "enable"),
    ("if it is possible that gemini fails, switch to codex", "none"),
    # three vendors or more side by side are data
    ("plot accuracy by model from results.csv: gpt-4o, claude sonnet, gemini 2.5 pro, llama 3 70b, qwen3-coder. "
     "bar chart, sorted", "none"),
]


# Batches 76-79's first-pass false toggles and kinds (read after their first pass).
READ_AFTER_FIRST_PASS["76_79"] = [
    ("route the agents to openrouter— hmm, let me check the pricing first. later.", "none"),  # put off
    ("send this to deepseek... wait, actually, don't send it anywhere, I'll paste it into slack myself", "none"),
    ("external mode is on already or not yet?", "status"),
    # a newcomer's names for the outside models and the one on their machine
    ("from now on have the other brain do the coding 🙏", "enable"),
    ("no outside ones from now on pls", "disable"),
    ("stop using the one on my machine, my laptop fan is screaming", "disable"),
    ("run only this one on the model on my machine: explain this bash script", "once"),
    ("is the one on my machine doing the work currently or is it you?", "status"),
    ("the one on my machine has 16GB, use it for training", "none"),
    ("works on my machine, but CI fails. switch the build to the model cache", "none"),
    ("I don't trust any single model, but for today I want to go all in on the outside ones.", "enable"),
    ("send a single request to codex: what is a monad", "once"),
]


@pytest.mark.parametrize("text,action", [pytest.param(text, action, id=f"{batch}-{k}")
                                         for batch, rows in READ_AFTER_FIRST_PASS.items()
                                         for k, (text, action) in enumerate(rows)])
def test_what_each_batch_since_46_taught(text, action):
    assert detect.classify(text)["action"] == action


# A long paste whose two ends ask for different models: ask, never the first one silently.
def test_a_long_prompt_whose_ends_disagree_is_left_to_ask():
    paste = "log line\n" * 40_000
    assert detect.classify("switch to gemini from now on\n" + paste + "use codex from now on")["action"] == "none"
    assert detect.classify("switch to gemini from now on\n" + paste + "thanks")["vendor"] == "gemini"
    long_paragraph = "Status update. Tests pass. Please use gemini from now on. Then use codex from now on." + " more" * 60
    assert detect.classify(long_paragraph)["action"] == "none"
