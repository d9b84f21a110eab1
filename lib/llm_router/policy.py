"""The model policy: shipped defaults, deep-merged with the user's and the project's overrides.

Layers, lowest first:
  1. <plugin>/config/model-policy.json       (shipped, replaced by updates)
  2. <data dir>/model-policy.json            (the user's override)
  3. <project>/.claude/llm-router.json       (per project)
Objects merge key by key; any other value (string, number, list) replaces the lower layer's;
`null` deletes the key. The project layer comes from a repository, so it is used only when it
sets nothing but safe choices, or the user trusted that exact file (trust.py); otherwise it is
ignored as a whole with one warning. Every layer is read only if it is a regular file of at
most MAX_LAYER_BYTES (fileio.read_regular), so a FIFO or /dev/zero cannot hang or bloat us.
The merged policy is checked against config/policy.schema.json with `jsonschema`, but only
when a layer or the schema changed since the last good check (the hash is cached in the data
dir), so the hot path never imports jsonschema.
"""

import os

from . import paths
from .io import fastjson

TIERS = ("opus", "sonnet", "haiku")
CACHE_FILE = "policy-cache.json"
MAX_LAYER_BYTES = 1024 * 1024
# The last verdict on the project file (trust.Verdict), for `policy show` and `doctor`.
project_verdict = None
_warned: set = set()


def layer_paths() -> list[tuple[str, str]]:
    """(label, path) for each layer, lowest precedence first."""
    return [
        ("shipped", paths.config_file("model-policy.json")),
        ("user", paths.data_file("model-policy.json")),
        ("project", os.path.join(paths.project_dir(), ".claude", "llm-router.json")),
    ]


def read_layers(quiet: bool = False) -> list[tuple[str, bytes, dict]]:
    """(path, raw bytes, parsed object) for each layer file that exists and is used.

    An untrusted project file with unsafe keys is left out (and warned about once: on stderr,
    or only in the problem log when `quiet`, as hooks need). With `quiet`, a layer that cannot
    be read or parsed is logged and skipped instead of raising ConfigError.
    """
    global project_verdict
    project_verdict = None
    layers = []
    for label, path in layer_paths():
        try:
            raw = read_layer_file(path)
            if raw is None:
                continue
            data = parse_layer(path, raw)
        except Exception as exc:  # ConfigError; anything else a broken file can cause
            if not quiet:
                raise
            _log_once(path, f"policy: skipped {path}: {getattr(exc, 'message', exc)}")
            continue
        if label == "project":
            from . import trust

            project_verdict = trust.verdict(path, raw, data, merge_layers(layers))
            if not project_verdict.used:
                _warn_once(project_verdict, quiet)
                continue
        layers.append((path, raw, data))
    return layers


def read_layer_file(path: str) -> bytes | None:
    from .io import fileio

    try:
        return fileio.read_regular(path, MAX_LAYER_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        from .errors import ConfigError

        raise ConfigError(f"{path}: cannot read policy file ({exc.strerror})",
                          "make it a regular JSON file of at most "
                          f"{MAX_LAYER_BYTES // 1024} KiB, fix its permissions, or remove it",
                          file=path) from exc


def project_status():
    """The trust.Verdict on this project's policy file (reads the layers again, quietly)."""
    from . import trust

    read_layers(quiet=True)
    path = layer_paths()[-1][1]
    if project_verdict is None and os.path.lexists(path):
        return trust.Verdict("unreadable", path)  # read_layers logged why
    return project_verdict or trust.Verdict("absent", path)


def _warn_once(verdict, quiet: bool) -> None:
    key = (verdict.path, verdict.sha256)
    if key in _warned:
        return
    _warned.add(key)
    if quiet:
        from .log import log_problem

        log_problem(f"policy: {verdict.warning()}")
    else:
        import sys

        print(f"llm-router: warning: {verdict.warning()}", file=sys.stderr)


def _log_once(path: str, message: str) -> None:
    if ("log", path) not in _warned:
        _warned.add(("log", path))
        from .log import log_problem

        log_problem(message)


def parse_layer(path: str, raw: bytes) -> dict:
    try:
        data = fastjson.loads(raw)
    except ValueError:
        raise _syntax_error(path, raw) from None
    if not isinstance(data, dict):
        from .errors import ConfigError

        raise ConfigError(f"{path}: $ must be a JSON object", "wrap the policy in { ... }",
                          file=path, json_path="$")
    return data


def _syntax_error(path: str, raw: bytes):
    """Re-parse with `json` (error path only) for its line and column numbers."""
    import json

    try:
        json.loads(raw.decode("utf-8"))
        detail = "invalid JSON"
    except UnicodeDecodeError as exc:
        detail = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except ValueError as exc:
        detail = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    from .errors import ConfigError

    return ConfigError(f"{path}: {detail}", "fix the JSON syntax (a trailing comma or a missing quote?)",
                       file=path, json_path="$")


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_layers(layers: list[tuple[str, bytes, dict]]) -> dict:
    merged: dict = {}
    for _path, _raw, data in layers:
        merged = deep_merge(merged, data)
    return merged


def load_policy(validate: bool = True) -> dict:
    """The merged policy; with `validate`, raise ConfigError when it is invalid."""
    layers = read_layers()
    policy = merge_layers(layers)
    if validate:
        ensure_valid(policy, layers)
    return policy


def load_policy_quietly() -> dict:
    """For hooks: the merged policy without schema checks; unusable layers are skipped and
    logged, never raised; the shipped file alone if even that fails."""
    try:
        return merge_layers(read_layers(quiet=True))
    except Exception:  # noqa: BLE001 - a hook must keep working on a broken override
        with open(paths.config_file("model-policy.json"), "rb") as handle:
            return fastjson.loads(handle.read())


# ---- validation -------------------------------------------------------------------------

def _fingerprint(layers: list[tuple[str, bytes, dict]]) -> str:
    from .io.digest import sha256_hex

    with open(paths.config_file("policy.schema.json"), "rb") as handle:
        parts = [handle.read()]
    for path, raw, _data in layers:
        parts.append(path.encode() + b"\0" + raw + b"\0")
    return sha256_hex(b"\0".join(parts))


def ensure_valid(policy: dict, layers: list[tuple[str, bytes, dict]]) -> None:
    """Validate unless this exact set of files already passed (hash cached in the data dir)."""
    fingerprint = _fingerprint(layers)
    cache_path = paths.data_file(CACHE_FILE)
    from .io import fileio

    try:
        if fastjson.loads(fileio.read_regular(cache_path, 64 * 1024)).get("valid_hash") == fingerprint:
            return
    except (OSError, ValueError, AttributeError):
        pass
    validate(policy, layers)
    try:
        fileio.atomic_write_json(cache_path, {"valid_hash": fingerprint})
    except OSError:
        pass  # a read-only data dir only costs us a re-check next time


def validate(policy: dict, layers: list[tuple[str, bytes, dict]]) -> None:
    """Schema check with jsonschema, then the cross-references a schema cannot express."""
    from .setup.sitepkgs import enable

    enable()
    try:
        import jsonschema
    except ImportError as exc:
        from .errors import MissingDependency

        raise MissingDependency("jsonschema", "checking the model policy") from exc
    with open(paths.config_file("policy.schema.json"), "rb") as handle:
        schema = fastjson.loads(handle.read())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(policy), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = list(error.absolute_path)
        raise _config_error(layers, where, error.message)
    for where, message in cross_reference_problems(policy):
        raise _config_error(layers, where, message)


def cross_reference_problems(policy: dict) -> list[tuple[list, str]]:
    """Every model named in a map, a route, a rule or a fallback must exist; endpoints too."""
    models = policy.get("external_models", {})
    endpoints = policy.get("endpoints", {})
    problems = []

    def check(where: list, key: object) -> None:
        if isinstance(key, str) and key not in models:
            problems.append((where, f"unknown model '{key}' (not in external_models)"))

    for tier, key in policy.get("claude_to_external_map", {}).items():
        check(["claude_to_external_map", tier], key)
    for task, route in policy.get("task_routing", {}).items():
        if isinstance(route, dict):
            check(["task_routing", task, "model"], route.get("model"))
            for i, key in enumerate(route.get("fallbacks", [])):
                check(["task_routing", task, "fallbacks", i], key)
        else:
            check(["task_routing", task], route)
    for name, model in models.items():
        for i, key in enumerate(model.get("fallbacks", [])):
            check(["external_models", name, "fallbacks", i], key)
        for i, via in enumerate(model.get("via", [])):
            if via.get("provider", "").endswith("-http") and via.get("endpoint") not in endpoints:
                problems.append((["external_models", name, "via", i, "endpoint"],
                                 f"{via['provider']} needs an 'endpoint' naming one of: "
                                 + (", ".join(sorted(endpoints)) or "(no endpoints defined)")))
    for i, rule in enumerate(policy.get("rules", [])):
        check(["rules", i, "model"], rule.get("model"))
    check(["budgets", "fallback_model"], (policy.get("budgets") or {}).get("fallback_model"))
    tracing = policy.get("tracing") or {}
    for key in ("trace_dir", "trace_jsonl_path"):
        if key in tracing:
            from .errors import ConfigError

            try:
                data_dir_path(tracing[key], key, f"$.tracing.{key}")
            except ConfigError as exc:
                problems.append((["tracing", key], exc.message.split(": ", 1)[1]))
    from .presets import cross_reference_problems as preset_problems

    return problems + preset_problems(policy)


def data_dir_path(value: object, default: str, where: str = "$.tracing") -> str:
    """A path the policy names for llm-router to write to, symlinks resolved; ConfigError
    unless it is inside the data dir, whoever set it (a relative path is taken from there).
    A repository's file once pointed tracing at ~/.bashrc; nothing outside the data dir is ours."""
    root = os.path.realpath(paths.data_dir())
    text = value if isinstance(value, str) and value else default
    full = os.path.join(root, os.path.expanduser(text))  # join keeps an absolute second part
    real = os.path.realpath(full)
    if os.path.commonpath([root, real]) != root:
        from .errors import ConfigError

        raise ConfigError(f"{where}: {text} resolves to {real}, outside the data dir {root}",
                          "use a path inside the data dir (a relative path is taken from it), "
                          "or remove the setting", json_path=where)
    return real


def json_path(parts: list) -> str:
    """["a", "b-c", 0] -> $.a["b-c"][0]"""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).isidentifier():
            text += f".{part}"
        else:
            text += f"[{fastjson.dumps(part)}]"
    return text


def _config_error(layers: list[tuple[str, bytes, dict]], where: list, message: str):
    from .errors import ConfigError

    path_text = json_path(where)
    file = _file_defining(layers, where)
    return ConfigError(f"{file}: {path_text}: {message}",
                       "edit that file (or delete the override) and run `llm-router policy validate`",
                       file=file, json_path=path_text)


def _file_defining(layers: list[tuple[str, bytes, dict]], where: list) -> str:
    """The highest-precedence layer that sets the longest prefix of `where`."""
    best, best_depth = layers[0][0] if layers else "model-policy.json", -1
    for path, _raw, data in layers:
        node, depth = data, 0
        for part in where:
            if isinstance(node, dict) and part in node:
                node, depth = node[part], depth + 1
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node, depth = node[part], depth + 1
            else:
                break
        if depth >= best_depth and depth > 0:
            best, best_depth = path, depth
    return best


def tier_map(policy: dict) -> dict:
    """{"opus": model, "sonnet": model, "haiku": model} as the policy sets it."""
    mapping = policy.get("claude_to_external_map", {})
    return {tier: mapping.get(tier) for tier in TIERS}
