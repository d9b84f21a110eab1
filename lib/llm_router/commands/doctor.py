"""llm-router doctor: one line per check, each failing line with its fix.

Checks: interpreter, plugin folder, data dir, venv and packages, policy, the project policy
file's trust (used, or ignored until `llm-router policy trust`), mode, every external
CLI (on PATH, version, looks logged in) and the HTTP endpoints of the policy. Exit 0 when
llm-router itself works (missing external CLIs are warnings), 1 when a core check fails.
"""

import os
import shutil
import sys

from .. import __version__, paths, policy, state
from ..errors import RouterError
from ..setup import venv

OK, WARN, FAIL = "✔", "⚠", "✘"
PACKAGES = (("jsonschema", "jsonschema"), ("ruamel.yaml", "ruamel.yaml"),
            ("python-frontmatter", "frontmatter"), ("jq", "jq"))

# binary -> (npm package, login command, credential files under $HOME, env vars that count as a login)
CLIS = {
    "copilot": ("@github/copilot", "copilot login (or set COPILOT_GITHUB_TOKEN)",
                (".copilot/config.json",), ("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")),
    "opencode": ("opencode-ai", "opencode auth login",
                 (".local/share/opencode/auth.json",), ("ZHIPU_API_KEY", "OPENCODE_API_KEY", "OPENROUTER_API_KEY")),
    "codex": ("@openai/codex", "codex login (or set CODEX_API_KEY)",
              (".codex/auth.json",), ("CODEX_API_KEY", "OPENAI_API_KEY")),
    "gemini": ("@google/gemini-cli", "gemini (choose a login), or set GEMINI_API_KEY",
               (".gemini/oauth_creds.json",), ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI")),
    "claude": ("@anthropic-ai/claude-code", "claude /login (or set ANTHROPIC_API_KEY)",
               (".claude/.credentials.json",), ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN")),
}


def configure(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")


def run(args) -> int:
    checks = [*_core_checks(), *_cli_checks(), *_endpoint_checks(), _local_model_check(), *_cooldown_checks()]
    if args.json:
        import json

        print(json.dumps([dict(zip(("status", "what", "detail", "fix"), c)) for c in checks], indent=2))
    else:
        for status, what, detail, fix in checks:
            print(f"{status} {what}: {detail}" + (f"\n    fix: {fix}" if fix else ""))
    return 1 if any(c[0] == FAIL for c in checks) else 0


def _core_checks() -> list[tuple]:
    version = sys.version.split()[0]
    checks = [(OK if sys.version_info >= (3, 10) else FAIL, "python", f"{version} at {sys.executable}",
               "" if sys.version_info >= (3, 10) else "install Python 3.10 or newer"),
              (OK, "llm-router", f"{__version__} in {paths.plugin_root()}", "")]
    checks.append(_data_dir_check())
    checks.extend(_venv_checks())
    checks.append(_policy_check())
    checks.append(_trust_check())
    current, warning = state.load_mode()
    checks.append((WARN if warning else OK, "mode", warning or state.describe(current),
                   "run `llm-router mode off` to rewrite the state file" if warning else ""))
    return checks


def _data_dir_check() -> tuple:
    directory = paths.data_dir()
    try:
        paths.ensure_data_dir()
        probe = os.path.join(directory, ".doctor-probe")
        with open(probe, "w") as handle:
            handle.write("ok")
        os.unlink(probe)
    except OSError as exc:
        return (FAIL, "data dir", f"{directory} is not writable ({exc.strerror})",
                "fix its permissions, or point LLM_ROUTER_HOME at a writable folder")
    return (OK, "data dir", directory, "")


def _venv_checks() -> list[tuple]:
    if not os.path.exists(paths.venv_python()):
        return [(WARN, "venv", f"not created yet ({paths.venv_dir()})", "run `llm-router setup`")]
    checks = [(OK if venv.is_current() else WARN, "venv", paths.venv_dir(),
               "" if venv.is_current() else "requirements changed: run `llm-router setup`")]
    running_in_venv = os.path.realpath(sys.prefix) == os.path.realpath(paths.venv_dir())
    for dist, module in PACKAGES:
        checks.append(_package_check(dist, module, running_in_venv))
    return checks


def _package_check(dist: str, module: str, running_in_venv: bool) -> tuple:
    from importlib import metadata, util

    if not running_in_venv:
        return (OK, f"package {dist}", "in the venv (not checked from this interpreter)", "")
    if util.find_spec(module) is None:
        return (FAIL, f"package {dist}", "missing", "run `llm-router setup --force`")
    return (OK, f"package {dist}", metadata.version(dist), "")


def _policy_check() -> tuple:
    try:
        layers = policy.read_layers()
        policy.validate(policy.merge_layers(layers), layers)
    except RouterError as exc:
        status = WARN if exc.__class__.__name__ == "MissingDependency" else FAIL
        return (status, "policy", exc.message, exc.hint)
    return (OK, "policy", "valid (" + ", ".join(p for p, _r, _d in layers) + ")", "")


def _trust_check() -> tuple:
    from .policy_cmd import trust_line

    verdict = policy.project_status()
    fix = {"untrusted": "review the file, then run `llm-router policy trust` in this project",
           "changed": "review the changes, then run `llm-router policy trust` in this project",
           "unreadable": "make it a regular JSON file (see the policy check above), or remove it"}
    return (OK if verdict.used else WARN, "project policy", trust_line(verdict), fix.get(verdict.status, ""))


def _cli_checks() -> list[tuple]:
    return [_cli_check(name, *spec) for name, spec in CLIS.items()]


def _cli_check(name: str, package: str, login: str, files: tuple, env_vars: tuple) -> tuple:
    path = shutil.which(name)
    if not path:
        return (WARN, name, "not on PATH", f"npm install -g {package}")
    version = _version(path)
    home = os.path.expanduser("~")
    logged_in = any(os.environ.get(v) for v in env_vars) or any(
        os.path.exists(os.path.join(home, f)) for f in files)
    if not logged_in:
        return (WARN, name, f"{version} at {path}; no login found", login)
    return (OK, name, f"{version} at {path}; looks logged in", "")


def _version(path: str) -> str:
    import subprocess

    try:
        proc = subprocess.run([path, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=15, start_new_session=True)
    except (OSError, subprocess.TimeoutExpired):
        return "version unknown"
    lines = [line.strip() for line in (proc.stdout or proc.stderr).splitlines() if line.strip()]
    return lines[0][:60] if lines else "version unknown"


def _endpoint_checks() -> list[tuple]:
    checks = []
    endpoints = policy.load_policy_quietly().get("endpoints", {})
    for name, endpoint in sorted(endpoints.items()):
        base = endpoint.get("base_url") or os.environ.get(endpoint.get("base_url_env", ""), "")
        key_env = endpoint.get("api_key_env")
        if not base:
            checks.append((WARN, f"endpoint {name}", "no base URL", f"set {endpoint.get('base_url_env')}"))
        elif key_env and not os.environ.get(key_env) and not endpoint.get("api_key_optional"):
            checks.append((WARN, f"endpoint {name}", f"{base}; {key_env} is not set", f"export {key_env}=..."))
        else:
            checks.append(_endpoint_answers(name, endpoint))
    return checks


def _endpoint_answers(name: str, endpoint: dict) -> tuple:
    """A configured local endpoint is probed (GET its model list, 2 s): configured is not
    the same as running. Remote ones are not probed (doctor makes no calls off this machine)."""
    from .. import providers
    from ..providers import _http

    base = _http.endpoint(endpoint)[0]
    if not _http.loopback(base):
        return (OK, f"endpoint {name}", f"{base} (configured; not probed: not on this machine)", "")
    provider = providers.get("anthropic-http" if endpoint.get("kind") == "anthropic" else "openai-http")
    if provider.probe(endpoint):
        return (OK, f"endpoint {name}", f"{base} answers", "")
    return (WARN, f"endpoint {name}", f"{base} does not answer (GET {provider._models_url(base)})",
            "start the server, or fix the endpoint's base URL")


def _local_model_check() -> tuple:
    from ..providers import local_llama
    from ..setup import local_model

    if not local_model.is_installed():
        return (OK, "local model", "not installed (optional: `llm-router setup --local`)", "")
    running = local_llama.status()
    state = (f"server running on 127.0.0.1:{running['port']}, pid {running.get('server_pid')}"
             if running else "server stopped (starts on the first call)")
    return (OK, "local model", f"installed ({local_model.gguf_path()}); {state}", "")


def _cooldown_checks() -> list[tuple]:
    from .cooldowns import store

    try:
        active = store().active()
    except RouterError as exc:
        return [(WARN, "cooldowns", exc.message, exc.hint)]
    return [(WARN, "cooldown", (f"{key}: skipped for {entry['remaining_s']} s more "
                                f"(last error {entry.get('last_error') or '?'})"),
             f"llm-router cooldowns clear '{key}'") for key, entry in active.items()]
