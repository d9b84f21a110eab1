"""Run the policy's jq `rules` where they can read nothing and cannot run away.

A jq program can read the environment (`$ENV`, `env`), read JSON files through
`import "x" as $d {search: "/"}`, loop forever or allocate without bound, and libjq offers no
switch for any of it; in our own process a runaway C loop cannot even be interrupted. So the
rules run in a child Python process (io/proc.py: own process group, killed at the deadline):
  * its environment is empty, and each rule is wrapped as
        def env: {}; {} as $ENV | [limit(1; (<rule>))] | ...
    so `env`/`$ENV` are empty twice over, and since jq allows `import`/`include` only at the
    very start of a program, the leading `def` turns any module import into a syntax error;
  * RLIMIT_AS caps its memory, TIMEOUT_S its time, and it prints one small JSON object
    (the index of the first truthy rule, or an error naming the rule), read with a size cap.
Only the rules path pays for this (one process of ~30 ms); a policy without rules never
gets here.
"""

import os
import sys

TIMEOUT_S = 3.0
MEMORY_BYTES = 512 * 1024 * 1024
MAX_ANSWER_BYTES = 4096
MAX_MESSAGE_CHARS = 300
WRAPPER = "def env: {}; {} as $ENV | [limit(1; (\n%s\n))] | (length > 0 and .[0] != false and .[0] != null)"


def first_match(whens: list[str], facts: dict, jq_dir: str) -> dict:
    """{"match": index | None} or {"error": "compile" | "run", "index": i, "message": text};
    raises RuntimeError when the child was killed, timed out or answered nonsense."""
    from ..errors import ProviderTimeout
    from ..io import fastjson, proc

    lib = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = "import sys; sys.path[:0] = [sys.argv[1]]; from llm_router.routing.jqsandbox import main; main()"
    payload = fastjson.dumps({"rules": whens, "facts": facts, "path": [jq_dir]}).encode("utf-8")
    try:
        done = proc.run([sys.executable, "-I", "-S", "-c", code, lib], stdin=payload, env={},
                        timeout=TIMEOUT_S, cwd="/", label="jq rules")
    except ProviderTimeout:
        raise RuntimeError(f"did not finish within {TIMEOUT_S:g} s (killed)") from None
    out = bytes(done.stdout[:MAX_ANSWER_BYTES + 1])
    if done.returncode != 0:
        raise RuntimeError(f"stopped with exit status {done.returncode} (a rule that allocates "
                           f"without bound is stopped at {MEMORY_BYTES >> 20} MiB)")
    if len(out) > MAX_ANSWER_BYTES:
        raise RuntimeError(f"answered more than {MAX_ANSWER_BYTES} bytes")
    try:
        answer = fastjson.loads(out)
    except ValueError:
        raise RuntimeError("gave no readable answer") from None
    if not isinstance(answer, dict):
        raise RuntimeError("gave no readable answer")
    return answer


def main() -> None:
    """The child: read {rules, facts, path} on stdin, print one JSON answer."""
    import json
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    payload = json.loads(sys.stdin.buffer.read(8 * 1024 * 1024))
    sys.path[:0] = payload["path"]
    import jq

    programs = []
    for index, when in enumerate(payload["rules"]):
        try:
            programs.append(jq.compile(WRAPPER % when))
        except ValueError as exc:
            return _emit({"error": "compile", "index": index, "message": _first_line(exc)})
    for index, program in enumerate(programs):
        try:
            if program.input_value(payload["facts"]).first() is True:
                return _emit({"match": index})
        except (ValueError, StopIteration) as exc:
            return _emit({"error": "run", "index": index, "message": _first_line(exc)})
    return _emit({"match": None})


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:MAX_MESSAGE_CHARS]


def _emit(answer: dict) -> None:
    import json

    sys.stdout.write(json.dumps(answer) + "\n")
