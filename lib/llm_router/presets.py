"""Vendor presets: "use gemini from now on" binds the tier map to that vendor's models.

A preset is data in the policy's `presets` section, an overlay of the two maps routing reads:

    "presets": {"gemini": {"claude_to_external_map": {"opus": "gemini/gemini-3-pro", ...},
                           "task_routing": {"default": "gemini/gemini-3-pro", ...}}}

`llm-router mode on --prefer gemini` (or an enable in which the user named the vendor) stores
the name in the external-mode state (`prefer`); `mode off` clears it. Every reader of the tier
map (invocation, the hooks, `mode status`) asks `effective()` for the policy with the active
preset laid over it, so routing/router.py's pure decide() sees an ordinary policy.

Standard library only: the hooks import this when the mode is on.
"""

from .errors import ConfigError, UsageError

# Words a user (or the toggle detector's `vendor` field: the registry's `vendors` keys) may use,
# and the preset they mean. GPT models come from OpenAI's own CLI, codex.
ALIASES = {
    "copilot": "copilot", "github copilot": "copilot", "gh copilot": "copilot", "github": "copilot",
    "co pilot": "copilot", "co-pilot": "copilot",
    "codex": "codex", "openai codex": "codex", "codex cli": "codex",
    "gpt": "codex", "gpt5": "codex", "gpt-5": "codex", "chatgpt": "codex", "openai": "codex",
    "o3": "codex", "o3-pro": "codex", "o4-mini": "codex", "o1": "codex", "o4": "codex", "o4 mini": "codex",
    "o3 mini": "codex", "o3-mini": "codex", "o1 mini": "codex", "o1-mini": "codex", "4o mini": "codex",
    "4o": "codex", "gpt-4o": "codex", "4o-mini": "codex", "gpt4o": "codex", "gpt 4o": "codex",
    "2.5 pro": "gemini", "2.5 flash": "gemini", "gemini flash": "gemini", "flash": "gemini", "the big g": "gemini",
    "openai one": "codex", "openai thing": "codex", "openai model": "codex", "openai's model": "codex",
    "gemini": "gemini", "google": "gemini", "google gemini": "gemini", "gemini cli": "gemini",
    "google one": "gemini", "google thing": "gemini", "google ai": "gemini", "google model": "gemini",
    "google models": "gemini", "google's model": "gemini", "google's ai": "gemini", "google llm": "gemini",
    "glm": "glm", "z.ai": "glm", "zai": "glm", "zhipu": "glm", "chatglm": "glm",
    "local": "local", "ollama": "local", "llama": "local", "local llama": "local",
    "llama.cpp": "local", "llamacpp": "local", "lm studio": "local", "lmstudio": "local", "vllm": "local",
    "olama": "local", "one on my machine": "local", "model on my machine": "local", "one on my laptop": "local",
    "model on my laptop": "local", "one on my computer": "local", "model on my computer": "local",
    "one running on my machine": "local",
}
# What to add when a well-known vendor's preset was removed from the user's policy.
MISSING_HINT = {
    "codex": "a model that runs through the codex CLI, e.g. \"codex/gpt-5.2\": {\"tier\": "
             "\"opus\", \"via\": [{\"provider\": \"codex\", \"model\": \"gpt-5.2\"}]}",
    "local": "a local model, e.g. \"ollama/qwen3\": {\"tier\": \"haiku\", \"via\": [{\"provider\": "
             "\"openai-http\", \"endpoint\": \"ollama\", \"model\": \"qwen3:8b\"}]}",
}


def canonical(word: object, policy: dict | None = None) -> str | None:
    """The preset name a vendor word means ("Z.AI" -> "glm"), or the word itself lowercased.
    A preset the policy defines under that very name wins over the alias (a user's own
    "openai" preset is theirs, not codex)."""
    if not isinstance(word, str) or not word.strip():
        return None
    lowered = " ".join(word.lower().split())
    if policy is not None and lowered in names(policy):
        return lowered
    return ALIASES.get(lowered, lowered)


def names(policy: dict) -> list[str]:
    found = policy.get("presets")
    return sorted(found) if isinstance(found, dict) else []


def resolve(policy: dict, name: str) -> dict:
    """The preset `name`, or UsageError saying what is missing and how to add it."""
    preset = (policy.get("presets") or {}).get(name) if isinstance(policy.get("presets"), dict) else None
    if isinstance(preset, dict) and isinstance(preset.get("claude_to_external_map"), dict):
        return preset
    known = ", ".join(names(policy)) or "(none defined)"
    what = MISSING_HINT.get(name)
    if what:
        raise UsageError(
            f"no '{name}' preset: the policy has no {name} model configured, so the tiers cannot be "
            f"bound to {name}",
            f"add {what} to external_models in your policy ({_user_policy()}), "
            f"plus presets.{name}.claude_to_external_map naming it for opus, sonnet and haiku; "
            f"or use one of: {known}")
    raise UsageError(f"no preset named '{name}' in the policy",
                     f"use one of: {known} (or add presets.{name} to your policy)")


def _user_policy() -> str:
    from . import paths

    return paths.data_file("model-policy.json")


def effective(policy: dict, name: object) -> dict:
    """`policy` with preset `name` laid over its tier map and task routes; unchanged for None.

    The preset's map replaces `claude_to_external_map` whole; its task routes replace the
    policy's route for each task they name. A preset that names a model the policy does not
    have is a ConfigError (policy validation reports it earlier, with the file).
    """
    if not name:
        return policy
    preset = resolve(policy, str(name))
    models = policy.get("external_models") or {}
    merged = dict(policy)
    merged["claude_to_external_map"] = dict(preset["claude_to_external_map"])
    routes = preset.get("task_routing")
    if isinstance(routes, dict):
        merged["task_routing"] = {**(policy.get("task_routing") or {}), **routes}
    for tier, key in merged["claude_to_external_map"].items():
        if key not in models:
            raise ConfigError(f"preset '{name}': {tier} names unknown model '{key}'",
                              "fix presets in your policy and run `llm-router policy validate`",
                              json_path=f"$.presets.{name}.claude_to_external_map.{tier}")
    return merged


def active(mode: dict) -> str | None:
    """The preset of an external-mode state, if any (only while the mode is on)."""
    prefer = mode.get("prefer")
    return prefer if mode.get("enabled") and isinstance(prefer, str) and prefer else None


def cross_reference_problems(policy: dict) -> list[tuple[list, str]]:
    """Every model a preset names must exist in external_models (for policy validation)."""
    models = policy.get("external_models") or {}
    problems = []
    for name, preset in (policy.get("presets") or {}).items():
        if not isinstance(preset, dict):
            continue
        for section in ("claude_to_external_map", "task_routing"):
            for slot, key in (preset.get(section) or {}).items():
                if isinstance(key, str) and key not in models:
                    problems.append((["presets", name, section, slot],
                                     f"unknown model '{key}' (not in external_models)"))
    return problems


def effective_or_plain(policy: dict, mode: dict) -> tuple[dict, str | None]:
    """For hooks, which must not fail: (effective policy, None), or (policy, what is wrong)
    when the active preset is no longer in the policy."""
    try:
        return effective(policy, active(mode)), None
    except (UsageError, ConfigError) as exc:
        return policy, f"the active preset cannot be used ({exc.message}); the plain tier map applies"
