"""The plugin's own venv in the data dir, holding the packages from requirements.txt.

Hooks and the mode/route hot path never need it, so a fresh install works at once. The
SessionStart hook starts `llm-router setup` in the background when the venv is missing or
its requirements changed; `llm-router setup` can also be run by hand. The venv is current
when its stamp file holds exactly the bundled requirements.txt.
"""

import os
import sys
import time

from .. import paths

STAMP = "llm-router-requirements.txt"
RUNNING = "setup.running"
STALE_RUNNING_S = 900  # a setup marker older than this is from a crashed setup


def requirements_path() -> str:
    return os.path.join(paths.plugin_root(), "requirements.txt")


def stamp_path() -> str:
    return os.path.join(paths.venv_dir(), STAMP)


def _read(path: str) -> bytes | None:
    from ..io.fileio import read_regular  # the SessionStart hook reads these: never hang on a FIFO

    try:
        return read_regular(path)
    except OSError:
        return None


def is_current() -> bool:
    stamp = _read(stamp_path())
    return stamp is not None and stamp == _read(requirements_path()) and os.path.exists(paths.venv_python())


def auto_setup_allowed() -> bool:
    return os.environ.get("LLM_ROUTER_AUTO_SETUP", "1").lower() not in ("0", "false", "no", "off")


def start_in_background_if_needed() -> bool:
    """Spawn `llm-router setup` detached when needed. Returns True if it started one."""
    if not auto_setup_allowed() or is_current() or _setup_running():
        return False
    data = paths.ensure_data_dir()
    marker = os.path.join(data, RUNNING)
    with open(marker, "w") as handle:
        handle.write(str(os.getpid()))
    main = os.path.join(paths.plugin_root(), "lib", "llm_router", "__main__.py")
    log = os.path.join(data, "setup.log")
    # posix_spawn rather than subprocess: this runs inside a hook, where importing
    # subprocess would cost more than the rest of the hook.
    os.posix_spawn(
        sys.executable, [sys.executable, "-I", *_pycache_args(), main, "setup", "--quiet", "--from-hook"],
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )
    return True


def _pycache_args() -> list[str]:
    """Our own bytecode cache setting: the setup process compiles into the (private) data dir
    too, never into the plugin folder."""
    prefix = getattr(sys, "pycache_prefix", None)
    return ["-X", f"pycache_prefix={prefix}"] if prefix else []


def _setup_running() -> bool:
    try:
        age = time.time() - os.path.getmtime(paths.data_file(RUNNING))
    except OSError:
        return False
    return age < STALE_RUNNING_S


def create_or_refresh(force: bool = False, say=print) -> bool:
    """Create or refresh the venv. Returns True if anything was installed."""
    from ..io import fileio

    data = paths.ensure_data_dir()
    try:
        with fileio.locked(os.path.join(data, "venv")):
            if is_current() and not force:
                say(f"venv is up to date: {paths.venv_dir()}")
                return False
            _build(say)
            return True
    finally:
        try:
            os.unlink(os.path.join(data, RUNNING))
        except OSError:
            pass


def _build(say) -> None:
    import subprocess
    import venv

    from ..errors import RouterError

    target = paths.venv_dir()
    say(f"creating venv in {target} ...")
    venv.EnvBuilder(with_pip=True, clear=False, symlinks=True, upgrade_deps=False).create(target)
    say("installing " + ", ".join(_requirement_names()) + " ...")
    proc = subprocess.run(
        [paths.venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         "-r", requirements_path()],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RouterError("pip could not install the plugin's packages: " + " / ".join(tail),
                          "check your network or proxy for PyPI, then run `llm-router setup` again")
    with open(requirements_path(), "rb") as handle:
        from ..io.fileio import atomic_write_bytes

        atomic_write_bytes(stamp_path(), handle.read(), 0o600)
    say(f"venv ready: {paths.venv_python()}")


def _requirement_names() -> list[str]:
    names = []
    for line in (_read(requirements_path()) or b"").decode().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names
