"""llm-router pa: the back end of the /pa slash command.

commands/pa.md's `!` line is the fixed `llm-router pa --stashed "<data dir>"`: the arguments
come from where the UserPromptSubmit hook stored them for this session (handoff.stash_pa), so
whatever the user typed never becomes part of a shell command line. The data dir is Claude
Code's CLAUDE_PLUGIN_DATA, which the Bash tool's environment lacks; LLM_ROUTER_HOME, when set,
still wins, exactly as in the hooks. In a terminal, `llm-router pa` reads its arguments from
the command line or stdin. Every outcome exits 0 with a message for the model, because a
non-zero exit would abort the whole slash command.
"""

import os
import shlex
import sys

from .. import state

USAGE = ("usage: /pa --external on [--prefer VENDOR]|off|status | --stats | --tier-agents [--apply] | "
         "--once <request> | --continue ID [--allow-switch] <message> | --background <request> | "
         "--jobs | --result ID | --cancel ID | --review [--base REF] [--staged] [--focus TEXT] "
         "[--models A,B] | <request>")
# /pa words that map onto a `llm-router` subcommand; the rest of the words are its arguments
# (an argv list given to cli.main in this process: never a shell command line).
SUBCOMMANDS = {"--stats": ["stats", "--compact"], "--tier-agents": ["tier-agents"],
               "--jobs": ["jobs", "list"], "--result": ["jobs", "result"],
               "--cancel": ["jobs", "cancel"], "--review": ["review"]}


def configure(parser) -> None:
    parser.add_argument("arguments", nargs="*", help="the /pa arguments (default: read from stdin)")
    parser.add_argument("--stashed", metavar="DATA_DIR",
                        help="take the arguments the prompt hook stored for this session "
                             "(what /pa's `!` line runs); DATA_DIR is Claude Code's plugin data dir")


def run(args) -> int:
    if args.stashed is not None:
        text = _stashed(args.stashed)
        if text is None:
            print("llm-router could not read the arguments of this /pa command: the prompt hook "
                  "did not store them for this session.\n  fix: type the /pa command again; if it "
                  "keeps failing, run `llm-router doctor` and look in the data dir's log")
            return 0
    else:
        text = " ".join(args.arguments) if args.arguments else sys.stdin.read()
    try:
        _dispatch(text.strip())
    except Exception as exc:  # noqa: BLE001 - reported to the model, never a failed expansion
        from ..errors import RouterError

        detail = exc.user_text() if isinstance(exc, RouterError) else f"{type(exc).__name__}: {exc}"
        print(f"llm-router could not complete /pa: {detail}")
    return 0


def _stashed(data_dir: str) -> str | None:
    from .. import handoff

    if data_dir and not os.environ.get("LLM_ROUTER_HOME"):
        os.environ["CLAUDE_PLUGIN_DATA"] = data_dir  # what the hooks saw; children inherit it
    return handoff.take_pa(os.environ.get("CLAUDE_CODE_SESSION_ID"))


def _dispatch(text: str) -> None:
    words = _split(text)
    if words[:1] and words[0].startswith("--external="):
        words = ["--external", words[0].partition("=")[2], *words[1:]]
    if words[:1] == ["--external"]:
        return _external(words[1:])
    short = {"on": "on", "enable": "on", "off": "off", "disable": "off", "status": "status"}.get(words[0].lower()) \
        if words else None
    if short and (len(words) == 1 or words[1:2] == ["--prefer"]):
        return _external([short, *words[1:]])  # "/pa off": the short form users type, never a request
    if short == "on" and len(words) == 2:
        return _external(["on", "--prefer", words[1]])  # "/pa on codex"
    if words[:1] and words[0] in SUBCOMMANDS:
        return _run_command([*SUBCOMMANDS[words[0]], *words[1:]])
    if words[:1] == ["--background"]:
        return _background(text[len("--background"):].strip())
    if words[:1] == ["--once"]:
        return _answer(text[len("--once"):].strip(), one_shot=True)
    if words[:1] == ["--continue"]:
        return _continue(text[len("--continue"):].strip())
    if words[:1] in (["--help"], ["-h"]) or not text:
        print(USAGE)
        return None
    setting = _setting(text)
    if setting:
        return _external(setting)
    return _answer(text, one_shot=_asks_for_once(text))


def _setting(text: str) -> list[str] | None:
    """"/pa ?", "/pa on, vendor codex": settings typed as settings, read as the prompt hook read
    them (intent/settings_form.py), never sent to a model as a one-word request."""
    from ..intent import detect

    found = detect.settings_verdict("/pa " + text)
    if not found:
        return None
    word = {"enable": "on", "disable": "off", "status": "status"}[found["action"]]
    return [word, "--prefer", found["vendor"]] if found["vendor"] else [word]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote in a free-text request
        return text.split()


def _external(words: list[str]) -> None:
    """on [--prefer VENDOR] | off | status: `llm-router mode` with the same words."""
    action = words[0].lower() if words else "status"
    rest = " ".join(words[1:]).replace("--prefer=", "--prefer ").split()
    prefer = rest[1:] if rest[:1] == ["--prefer"] else None
    if action not in ("on", "off", "status") or (rest and (action != "on" or not prefer)):
        print(f"llm-router: unknown --external value '{' '.join(words)}'. {USAGE}")
        return None
    argv = ["mode", action]
    if action == "on":
        argv += ["--reason", "/pa --external on"] + (["--prefer", " ".join(prefer)] if prefer else [])
    _run_command(argv)
    return None


def _run_command(argv: list[str]) -> None:
    from ..cli import main

    code = main(argv)
    if code:
        print(f"llm-router could not run `llm-router {' '.join(argv)}` (exit {code}); see the message above.")


def _background(request: str) -> None:
    """A background job through the tier map's default route; its id is how to collect it."""
    if not request:
        print(USAGE)
        return None
    _run_command(["jobs", "start", "--label", "/pa --background", "-p", request])
    print("Collect the answer with `/pa --result <id>` (the id printed above); "
          "`/pa --jobs` lists your jobs, `/pa --cancel <id>` stops one.")
    return None


def _asks_for_once(text: str) -> bool:
    from ..intent import detect

    return detect.classify(text)["action"] == "once"


def _continue(rest: str) -> None:
    """`--continue ID [--allow-switch] <message>`: the next message of thread ID, whatever the
    mode (the user named the thread); the message is the text after the flags, as typed."""
    thread_id, _, message = rest.partition(" ")
    message = message.strip()
    allow_switch = message.startswith("--allow-switch")
    if allow_switch:
        message = message[len("--allow-switch"):].strip()
    if not thread_id or not message:
        print(USAGE)
        return None
    from .. import invocation

    turn = invocation.Turn(thread_id, allow_switch)
    result, attempts, _decision = invocation.answer(message, turn=turn)
    _print_answer(result, attempts, turn)
    return None


def _print_answer(result, attempts, turn) -> None:
    from .invoke import indicator_line

    used = next((a for a in reversed(attempts) if a.outcome == "ok"), None)
    key = used.model_key if used else result.model
    sys.stdout.write(indicator_line(key, "write", turn.thread_id, turn.switched_from))
    print(result.text)


def _answer(request: str, one_shot: bool) -> None:
    current, _warning = state.load_mode()
    if not request:
        print(USAGE)
        return None
    if not (current["enabled"] or one_shot):
        print("llm-router: external mode is OFF; Claude answers this request")
        return None
    from .. import invocation

    turn = invocation.Turn()
    result, attempts, _decision = invocation.answer(request, one_shot=one_shot, turn=turn)
    _print_answer(result, attempts, turn)
    return None
