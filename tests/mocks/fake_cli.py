"""A scriptable stand-in for opencode/gemini/codex/copilot/claude, for provider unit tests.

    fake = FakeCLI(fake_bin, tmp_path, "codex")      # drops an executable first on PATH
    options = fake.script(stdout=[...], exit=1)       # what the next run prints and returns
    provider.run(Request(..., options=options), 10)
    fake.stdin, fake.argv, fake.env                   # what the fake received, byte for byte

The scenario travels in the child's environment (options["env"]), which also proves that the
providers merge request.options["env"] into the child environment.
"""

import json

BODY = r'''
import json, os, subprocess, sys, time

scenario = json.load(open(os.environ["FAKE_CLI_SCENARIO"]))
record = os.environ["FAKE_CLI_RECORD"]
data = sys.stdin.buffer.read() if scenario["read_stdin"] else b""
with open(os.path.join(record, "stdin"), "wb") as handle:
    handle.write(data)
with open(os.path.join(record, "call.json"), "w") as handle:
    json.dump({"argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd()}, handle)
if scenario["usage_file"] is not None and "--usage-output-file" in sys.argv:
    with open(sys.argv[sys.argv.index("--usage-output-file") + 1], "w") as handle:
        json.dump(scenario["usage_file"], handle)
if scenario["spawn_holder"]:  # a grandchild that keeps our stdout open
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
for line in scenario["stdout"]:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    time.sleep(scenario["line_delay"])
sys.stderr.write(scenario["stderr"])
sys.stderr.flush()
time.sleep(scenario["sleep"])
sys.exit(scenario["exit"])
'''


class FakeCLI:
    def __init__(self, fake_bin, tmp_path, name: str) -> None:
        self.path = fake_bin(name, BODY)
        self.dir = tmp_path / f"fake-{name}"
        self.dir.mkdir()

    def script(self, stdout=(), stderr: str = "", exit: int = 0, sleep: float = 0,
               read_stdin: bool = True, usage_file: dict | None = None,
               spawn_holder: bool = False, line_delay: float = 0, **options) -> dict:
        """Write the scenario; return request options that point the fake at it."""
        lines = [line if isinstance(line, str) else json.dumps(line) for line in stdout]
        scenario = {"stdout": lines, "stderr": stderr, "exit": exit, "sleep": sleep,
                    "read_stdin": read_stdin, "usage_file": usage_file,
                    "spawn_holder": spawn_holder, "line_delay": line_delay}
        path = self.dir / "scenario.json"
        path.write_text(json.dumps(scenario))
        env = {"FAKE_CLI_SCENARIO": str(path), "FAKE_CLI_RECORD": str(self.dir),
               **options.pop("env", {})}
        return {"env": env, **options}

    @property
    def stdin(self) -> bytes:
        return (self.dir / "stdin").read_bytes()

    @property
    def call(self) -> dict:
        return json.loads((self.dir / "call.json").read_text())

    @property
    def argv(self) -> list:
        return self.call["argv"][1:]

    @property
    def env(self) -> dict:
        return self.call["env"]
