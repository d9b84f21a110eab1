"""fastargs: for every command line it accepts, the same attributes argparse gives; anything
else is left to argparse (None)."""

import itertools

import pytest
from llm_router import cli
from llm_router.io.fastargs import parse

PIECES = [
    [], ["--json"], ["--stream"], ["--json", "--stream"], ["--tier", "haiku"], ["--tier=opus"],
    ["--task", "reasoning"], ["--model", "zai/glm-4.7"], ["--model="], ["-p", "hello world"],
    ["--prompt", "ünïcödé $(rm -rf /) `x` \"q\""], ["--prompt-file", "f.txt"], ["--prompt-file=-"],
    ["--cwd", "/tmp"], ["--timeout", "2.5"], ["--timeout=30"], ["--scope", "read-only"],
    ["--scope=write"], ["--continue", "k3f9a"], ["--continue=k3f9a", "--allow-switch"],
    ["--brief"], ["--no-brief"], ["--allow-switch"],
]
# Lines argparse must see: help, bad values, abbreviations, conflicts, odd shapes.
TO_ARGPARSE = [
    ["-h"], ["--help"], ["--tier", "gpt"], ["--tier"], ["--timeout", "0"], ["--timeout", "nan"],
    ["--timeout", "-1"], ["--timeout", "soon"], ["--mod", "x"], ["extra"], ["-p", "-dash"],
    ["-p", "a", "--prompt-file", "f"], ["--json=yes"], ["-p=x"], ["--", "-p", "x"], ["-pX"],
    ["--unknown"], ["-p"], ["--scope", "none"], ["--scope"], ["--scope", "read"],
    ["--brief", "--no-brief"], ["--no-brief=1"], ["--continue"], ["--cont", "x"],
]


def argparse_result(command: str, argv: list[str]):
    return cli.build_parser(command).parse_args([command, *argv])


def fast_result(command: str, argv: list[str]):
    return cli._fast_parse(command, [command, *argv])


def command_lines():
    for first, second in itertools.combinations_with_replacement(range(len(PIECES)), 2):
        yield PIECES[first] + PIECES[second]


@pytest.mark.parametrize("command", ["invoke", "delegate"])
def test_a_fast_parse_equals_argparse(command):
    checked = 0
    for argv in command_lines():
        if command == "delegate" and ("--task" in argv or any(a.startswith("--model") for a in argv)):
            continue  # not delegate options: argparse rejects them, so must fastargs
        if command == "delegate" and not any(a.startswith("--tier") for a in argv):
            argv = [*argv, "--tier", "sonnet"]
        fast = fast_result(command, argv)
        try:
            expected = vars(argparse_result(command, argv))
        except SystemExit:
            assert fast is None, argv
            continue
        assert fast is not None, argv
        assert vars(fast) == expected, argv
        checked += 1
    assert checked > 50  # most lines take the fast path


@pytest.mark.parametrize("argv", TO_ARGPARSE)
@pytest.mark.parametrize("command", ["invoke", "delegate"])
def test_anything_unusual_goes_to_argparse(command, argv):
    assert fast_result(command, argv) is None


def test_delegate_without_its_required_tier_goes_to_argparse():
    assert fast_result("delegate", ["-p", "x"]) is None
    with pytest.raises(SystemExit):
        argparse_result("delegate", ["-p", "x"])


def test_options_before_the_command_go_to_argparse():
    assert cli._fast_parse("invoke", ["--version", "invoke"]) is None


def test_spec_kinds():
    spec = {"--n": ("n", int), "--c": ("c", ("a", "b")), "--f": ("f", "flag"), "--v": ("v", "value")}
    assert vars(parse(["--n", "3", "--c=b", "--f", "--v", "x"], spec, {})) == {"n": 3, "c": "b", "f": True, "v": "x"}
    assert parse(["--n", "three"], spec, {}) is None
    assert parse(["--c", "z"], spec, {}) is None
    assert vars(parse(["--v", "1", "--v", "2"], spec, {})) == {"v": "2"}  # the last one wins, as in argparse


def test_the_invoke_path_does_not_import_argparse(tmp_path):
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['llm-router', 'invoke', '--json', '-p', 'x', '--tier', 'haiku'];"
            "from llm_router import cli; args = cli._fast_parse('invoke', sys.argv[1:]);"
            "print(args.tier, 'argparse' in sys.modules)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {cli.__file__.rsplit('/', 2)[0]!r}); {code}"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["haiku", "False"]
