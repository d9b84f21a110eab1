"""The package layout is the architecture: each folder of lib/llm_router is one concern, and
a module imports only from its own layer or the layers below it (docs/architecture.md).

Lazy imports inside functions count too: they are still a dependency, only a cheaper one."""

import ast
from pathlib import Path

from conftest import LIB

PACKAGE = Path(LIB) / "llm_router"

# Lowest first. A module may import from its own layer and any layer below it.
LAYERS = [
    {"errors", "paths", "redact", "__init__"},      # no llm_router imports at all
    {"io", "log"},                                   # files, processes, sockets, JSON
    {"setup"},                                       # the plugin's venv
    {"state", "policy", "trust", "presets", "providers", "intent", "subagents", "handoff", "threads"},
    {"routing", "usage"},                            # which model; what it cost
    {"invocation", "jobs", "opinions", "brief", "distill"},  # decide, precheck, run, record;
                                                     # background jobs; consensus and review;
                                                     # the brief; digest
    {"hooks"},                                       # Claude Code's hook events
    {"commands", "cli", "__main__", "gateway", "mcp_server"},  # the command line, MCP, export
]
LAYER = {name: depth for depth, names in enumerate(LAYERS) for name in names}
# Concerns of one layer that must stay apart.
APART = [("routing", "usage"), ("intent", "providers"), ("state", "providers")]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "llm_router" or target.startswith("llm_router."):
                out.update(f"{target}.{a.name}" if target == "llm_router" and a.name.islower()
                           and not a.name.startswith("__") else target for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("llm_router."))
    return out


def concern(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    assert sorted({concern(m) for m in modules()} - set(LAYER)) == []


def test_no_module_imports_from_a_higher_layer():
    wrong = []
    for name, path in modules().items():
        for target in imports(name, path):
            if LAYER[concern(target)] > LAYER[concern(name)]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_concerns_of_one_layer_stay_apart():
    wrong = []
    for name, path in modules().items():
        for target in imports(name, path):
            pair = (concern(name), concern(target))
            if pair in APART or pair[::-1] in APART:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_subpackage_inits_are_empty():
    # a hook that imports llm_router.hooks.prompt must pay for nothing more than that module;
    # providers/__init__.py is the provider registry (names only, each provider imported on use)
    inits = [p for p in PACKAGE.rglob("__init__.py") if p.parent not in (PACKAGE, PACKAGE / "providers")]
    assert inits and all(p.read_text() == "" for p in inits)


def test_every_folder_is_a_package():
    folders = [p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert folders and all((p / "__init__.py").exists() for p in folders)
