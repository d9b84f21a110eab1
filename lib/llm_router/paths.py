"""Where things live: the plugin's own files (read-only) and the data dir (state).

State never goes under CLAUDE_PLUGIN_ROOT: that folder is a versioned cache that plugin
updates replace. Everything here is computed on call so tests can change the environment.
"""

import os

_LIB_DIR = os.path.dirname(os.path.abspath(__file__))


def plugin_root() -> str:
    """The plugin folder, derived from this file so any folder name (even `0.1.0/`) works."""
    return os.path.dirname(os.path.dirname(_LIB_DIR))


def config_file(name: str) -> str:
    """A file shipped in the plugin's config/ folder."""
    return os.path.join(plugin_root(), "config", name)


def data_dir() -> str:
    """$LLM_ROUTER_HOME, else $CLAUDE_PLUGIN_DATA, else ~/.claude/plugins/data/llm-router.

    Inside Claude Code CLAUDE_PLUGIN_DATA is always set. Outside it (a user running the CLI
    in a terminal), the plain fallback is used if it exists; otherwise the data dir of a
    marketplace install (llm-router-<marketplace>) if there is exactly one, so the terminal
    and the hooks see the same external-mode state.
    """
    for var in ("LLM_ROUTER_HOME", "CLAUDE_PLUGIN_DATA"):
        value = os.environ.get(var)
        if value:
            return value
    base = os.path.join(os.path.expanduser("~"), ".claude", "plugins", "data")
    plain = os.path.join(base, "llm-router")
    if os.path.isdir(plain):
        return plain
    try:
        installed = [n for n in os.listdir(base) if n.startswith("llm-router-") and n != "llm-router-inline"]
    except OSError:
        installed = []
    return os.path.join(base, installed[0]) if len(installed) == 1 else plain


def data_file(name: str) -> str:
    return os.path.join(data_dir(), name)


def ensure_data_dir() -> str:
    path = data_dir()
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def venv_dir() -> str:
    return data_file("venv")


def venv_python() -> str:
    return os.path.join(venv_dir(), "bin", "python")


def project_dir() -> str:
    """The project the session started in (CLAUDE_PROJECT_DIR), else the working directory."""
    return os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
