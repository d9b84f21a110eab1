"""Where things live: the plugin's own files (read-only) and the data dir (state).

State never goes under CLAUDE_PLUGIN_ROOT: that folder is a versioned cache that plugin
updates replace. Everything here is computed on call so tests can change the environment.
"""

import os
import stat  # already loaded by os: free

_LIB_DIR = os.path.dirname(os.path.abspath(__file__))
CALLER_UMASK_VAR = "LLM_ROUTER_CALLER_UMASK"

# The umask the process was started with. The entry point (__main__.py) switches to 077 before
# its first import, so the data dir, its files and the bytecode cache that `-X pycache_prefix`
# puts there are private (0700/0600); io/proc.py gives the CLIs it starts this umask back,
# so what they write in the project is as the user expects. None: the umask was not changed.
CALLER_UMASK: int | None = None


def use_private_umask(previous: int) -> None:
    """Record the caller's umask once the entry point has set 077 (`previous` is what
    os.umask returned). bin/llm-router may have set 077 already, on the run that creates the
    bytecode cache; it then passes the caller's umask in LLM_ROUTER_CALLER_UMASK."""
    global CALLER_UMASK
    passed = os.environ.pop(CALLER_UMASK_VAR, None)
    try:
        CALLER_UMASK = int(passed, 8) if passed else previous
    except ValueError:
        CALLER_UMASK = previous


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
    """The data dir, created 0700 if missing; one made wider by an earlier version (or by
    Python creating the bytecode cache in it) is narrowed to 0700 here, its cache with it."""
    path = data_dir()
    os.makedirs(path, mode=0o700, exist_ok=True)
    if path not in _checked:
        _checked.add(path)
        _make_private(path, walk=False)
        _make_private(os.path.join(path, "pycache"), walk=True)
    return path


_checked: set = set()  # data dirs already checked by this process: two stat calls each


def _make_private(path: str, walk: bool) -> None:
    """chmod go-rwx the folder `path` (and, with `walk`, everything under it) if it is wider.
    Symlinks are neither changed nor followed."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if not (mode & 0o077 and stat.S_ISDIR(mode)):
        return
    _chmod_private(path, mode)
    if walk:
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                full = os.path.join(root, name)
                try:
                    mode = os.lstat(full).st_mode
                except OSError:
                    continue
                if mode & 0o077 and not stat.S_ISLNK(mode):
                    _chmod_private(full, mode)


def _chmod_private(path: str, mode: int) -> None:
    try:
        os.chmod(path, mode & 0o700)
    except OSError:
        pass  # not ours, or a file system without modes: nothing more we can do


def venv_dir() -> str:
    return data_file("venv")


def venv_python() -> str:
    return os.path.join(venv_dir(), "bin", "python")


def project_dir() -> str:
    """The project the session started in (CLAUDE_PROJECT_DIR), else the working directory."""
    return os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
