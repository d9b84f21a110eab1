"""Fake models for bin/llm-router run as separate processes (jobs, consensus, review tests and
bench/): every provider in the registry is replaced by one that answers by *model name*.

    env = fake_models_env(tmp_path, {"a": {"delay": 1, "text": "yes"}, "b": {"error": "ServerError"}})
    subprocess.run([BIN, "consensus", ...], env={**os.environ, **env})
    recorded(env)      # every request the fakes received: [{"model", "prompt", "pid", "scope"}]

Plan keys per model: delay (seconds before answering), text, error (an errors.py class name),
deltas (stream the text in that many pieces, `delay` split between them), echo (answer
"echo: <prompt>"), spawn (start `sleep 600` in a session of its own first, its pid recorded
in a file named spawned-PID).
"""

import json
import os
import sys
from pathlib import Path

LIB = str(Path(__file__).resolve().parents[2] / "lib")

FAKE_MODULE = '''
import json, os, time
from llm_router import errors
from llm_router.providers.base import Result, Usage


class Fake:
    transport = "cli"

    def available(self, options):
        return True, "fake " + self.name

    def run(self, request, timeout):
        plan = json.loads(os.environ.get("FAKE_MODELS", "{}")).get(request.model, {})
        record = os.environ["FAKE_MODELS_RECORD"]
        name = "%s-%d-%d.json" % (request.model, os.getpid(), time.monotonic_ns())
        with open(os.path.join(record, name), "w") as handle:
            json.dump({"model": request.model, "prompt": request.prompt, "pid": os.getpid(),
                       "scope": getattr(request, "scope", None)}, handle)
        text = plan.get("text", "answer from " + request.model)
        if plan.get("echo"):
            text = "echo: " + request.prompt
        if plan.get("spawn"):  # a grandchild in a session of its own, as a real CLI would be
            import subprocess
            child = subprocess.Popen(["sleep", "600"], start_new_session=True)
            with open(os.path.join(record, "spawned-%d" % child.pid), "w") as handle:
                handle.write(str(child.pid))
        pieces = max(1, int(plan.get("deltas", 1)))
        for index in range(pieces):
            time.sleep(float(plan.get("delay", 0)) / pieces)
            if request.on_text and plan.get("deltas"):
                request.on_text(text[index * len(text) // pieces:(index + 1) * len(text) // pieces])
        if plan.get("error"):
            raise getattr(errors, plan["error"])(request.model + " failed on purpose")
        return Result(text=text, model=request.model, provider=self.name, usage=Usage(3, 4))


for _name in ("opencode", "gemini", "codex", "copilot", "claude", "openai-http", "anthropic-http"):
    globals()["P_" + _name.replace("-", "_")] = type("P", (Fake,), {"name": _name})
'''

LAUNCHER = '''
import os, sys
sys.path[0:0] = [{lib!r}, {fake_dir!r}]
_caller_umask = os.umask(0o077)
from llm_router import paths, providers
paths.use_private_umask(_caller_umask)
for name in list(providers.REGISTRY):
    providers.REGISTRY[name] = "fake_models_providers:P_" + name.replace("-", "_")
from llm_router.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
os._exit(code)
'''

# bin/llm-router runs "$LLM_ROUTER_PYTHON <interpreter options> <lib>/llm_router/__main__.py ARGS"
DROP_INTERPRETER_ARGS = 'while [ $# -gt 0 ]; do case $1 in */__main__.py) shift; break ;; esac; shift; done\n'


def fake_models_env(tmp_path, plan: dict) -> dict:
    """Env for bin/llm-router whose providers are the fakes above, steered by `plan`."""
    folder = Path(tmp_path) / "fakemodels"
    record = folder / "record"
    record.mkdir(parents=True, exist_ok=True)
    (folder / "fake_models_providers.py").write_text(FAKE_MODULE)
    (folder / "launch.py").write_text(LAUNCHER.format(lib=LIB, fake_dir=str(folder)))
    python = folder / "python"
    python.write_text(f'#!/bin/sh\n{DROP_INTERPRETER_ARGS}exec "{sys.executable}" "{folder / "launch.py"}" "$@"\n')
    python.chmod(0o755)
    return {"LLM_ROUTER_PYTHON": str(python), "FAKE_MODELS": json.dumps(plan),
            "FAKE_MODELS_RECORD": str(record)}


def recorded(env: dict) -> list[dict]:
    folder = env["FAKE_MODELS_RECORD"]
    return [json.loads(Path(folder, name).read_text()) for name in sorted(os.listdir(folder))
            if name.endswith(".json")]


def spawned(env: dict) -> list[int]:
    return [int(name.split("-")[1]) for name in os.listdir(env["FAKE_MODELS_RECORD"])
            if name.startswith("spawned-")]


def policy_for(models: list[str]) -> dict:
    """A user-layer policy with one model key f/<name> per fake model, each on its own provider
    step (copilot) and no fallbacks, so each key's answer comes from that fake model only."""
    return {"external_models": {f"f/{m}": {"tier": "sonnet", "via": [{"provider": "copilot", "model": m}]}
                                for m in models},
            "claude_to_external_map": {t: f"f/{models[0]}" for t in ("opus", "sonnet", "haiku")},
            "task_routing": {k: f"f/{models[0]}" for k in ("reasoning", "code-generation", "long-context",
                                                           "default")},
            "routing": {"retries": 0, "backoff_base_s": 0, "backoff_max_s": 0},
            "consensus": {"models": [f"f/{m}" for m in models]}}
