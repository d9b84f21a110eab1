"""Which model answers a request, why, and the ordered fallback chain behind it.

Data (settings defaults, task names) plus ONE pure function, `decide()`. It reads no file,
no environment and imports no provider: the caller hands in the env overrides, the budget
switch and a rule matcher, so every path is a parametrized unit test (tests/test_routing.py).

Decision order, first that applies wins:
  1. budget switch      accounting.precheck() asked for a cheaper model
  2. LLM_ROUTER_MODEL   env, forces a model key over every flag (it is meant as a kill switch)
  3. --model KEY        explicit
  4. --task T           through task_routing
  5. rules              first jq predicate that matches (only without --model/--task)
  6. --tier T           through claude_to_external_map
  7. automatic          taskdetect: long-context, code-generation, reasoning, else default
LLM_ROUTER_PROVIDER then keeps only the steps through that provider.

The chain: the chosen model's `via` transports in order, then each of its `fallbacks`, then
the task's `fallbacks`, each expanded to its own `via`s. Fallbacks are expanded one level
only (a fallback's fallbacks are not followed), so a haiku-class request never drifts to an
opus-class model two hops away, and the chain is exactly what the policy entry says.
Availability, cooldowns and max_hops are applied while the chain runs (routing/chain.py), so
deciding never imports a provider module.
"""

from __future__ import annotations

from ..errors import ConfigError, UsageError
from ..policy import TIERS
from . import taskdetect

TASKS = ("reasoning", "code-generation", "long-context", "default")
AUTO_DETECT_ORDER = ("copilot", "opencode", "codex", "gemini", "claude", "openai-http", "anthropic-http")

DEFAULTS = {
    "long_context_tokens": 60_000,
    "max_hops": 8,
    "deadline_s": 540.0,  # the Bash tool stops a delegate call at 600 s: end (and report) first
    "call_timeout_s": 480.0,
    "retries": 1,
    "backoff_base_s": 1.0,
    "backoff_max_s": 20.0,
    "retry_after_max_s": 60.0,
    "cooldown_after_failures": 3,
    "cooldown_s": 300.0,
    "cli_idle_timeout_s": 120.0,  # a CLI step that prints nothing at all this long is stopped
}

RuleMatcher = "Callable[[dict], tuple[int, dict] | None]"  # annotation only


class Record:
    """Base of the plain records below. They are slotted classes rather than dataclasses
    because each @dataclass costs ~0.5-1 ms to build at import, on every cold `invoke`."""

    __slots__ = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Query(Record):
    """Everything a routing decision depends on; built by invocation.py from flags and env."""

    __slots__ = ("prompt", "model", "task", "tier", "cwd", "env_model", "env_provider", "switch")

    def __init__(self, prompt: str = "", model: str | None = None, task: str | None = None,
                 tier: str | None = None, cwd: str | None = None, env_model: str | None = None,
                 env_provider: str | None = None, switch: dict | None = None) -> None:
        self.prompt, self.model, self.task, self.tier, self.cwd = prompt, model, task, tier, cwd
        self.env_model = env_model  # LLM_ROUTER_MODEL
        self.env_provider = env_provider  # LLM_ROUTER_PROVIDER
        self.switch = switch  # accounting.precheck()'s {"model": key, "reason": text}

    def with_switch(self, switch: dict) -> "Query":
        return Query(self.prompt, self.model, self.task, self.tier, self.cwd, self.env_model,
                     self.env_provider, switch)


class Step(Record):
    """One transport in the chain: call `provider` with its own model id `model`."""

    __slots__ = ("position", "model_key", "provider", "model", "options")

    def __init__(self, position: int, model_key: str, provider: str, model: str,
                 options: dict | None = None) -> None:
        self.position, self.model_key, self.provider = position, model_key, provider
        self.model = model  # "" means the provider's own default model (forced provider, no via)
        self.options = {} if options is None else options

    @property
    def transport(self) -> str:
        return "http" if self.provider.endswith("-http") else "cli"

    def as_dict(self) -> dict:
        return {"position": self.position, "model_key": self.model_key,
                "provider": self.provider, "model": self.model,
                "endpoint": self.options.get("endpoint"), "transport": self.transport}


class Decision(Record):
    __slots__ = ("model_key", "source", "reason", "task", "tier", "tokens", "prompt_chars",
                 "steps", "provider")

    def __init__(self, model_key: str, source: str, reason: str, task: str | None,
                 tier: str | None, tokens: int, prompt_chars: int, steps: list[Step],
                 provider: str | None = None) -> None:
        self.model_key, self.reason, self.task, self.tier = model_key, reason, task, tier
        self.source = source  # budget | env | model | task | rule | tier | auto | claude
        self.tokens, self.prompt_chars, self.steps = tokens, prompt_chars, steps
        self.provider = provider  # the forced provider, if any

    def as_dict(self) -> dict:
        return {"model": self.model_key, "source": self.source, "reason": self.reason,
                "task": self.task, "tier": self.tier, "estimated_tokens": self.tokens,
                "prompt_chars": self.prompt_chars, "forced_provider": self.provider,
                "chain": [step.as_dict() for step in self.steps]}


class _Choice(Record):
    __slots__ = ("model_key", "source", "reason", "task", "task_fallbacks")

    def __init__(self, model_key: str, source: str, reason: str, task: str | None = None,
                 task_fallbacks: tuple = ()) -> None:
        self.model_key, self.source, self.reason = model_key, source, reason
        self.task, self.task_fallbacks = task, task_fallbacks


def json_copy(value):
    """A deep copy of JSON data (dicts, lists, scalars): what copy.deepcopy would give, without
    importing copy (and weakref with it) on every invoke."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def settings(policy: dict) -> dict:
    """The `routing` section over the defaults (lists copied: callers may keep them)."""
    merged = {**DEFAULTS, "auto_detect_order": list(AUTO_DETECT_ORDER)}
    merged.update(json_copy(policy.get("routing", {})))
    return merged


def decide(policy: dict, query: Query, match_rule: RuleMatcher | None = None) -> Decision:
    """The route for `query`: chosen model, the reason, and the fallback chain. Pure."""
    tokens = taskdetect.estimate_tokens(query.prompt)
    choice = _choose(policy, query, tokens, match_rule)
    steps = build_steps(policy, choice.model_key, choice.task_fallbacks, query.env_provider)
    reason = choice.reason
    if query.env_provider:
        reason += f"; LLM_ROUTER_PROVIDER={query.env_provider} keeps only {query.env_provider} steps"
        if not steps:
            steps = [Step(0, choice.model_key, query.env_provider, "",
                          provider_options(policy, query.env_provider))]
            reason += f" (no via uses it, so {query.env_provider} runs its own default model)"
    return Decision(choice.model_key, choice.source, reason, choice.task, query.tier,
                    tokens, len(query.prompt), steps, query.env_provider)


def _choose(policy: dict, query: Query, tokens: int, match_rule: RuleMatcher | None) -> _Choice:
    if query.switch and query.switch.get("model"):
        key = _known(policy, query.switch["model"], "the budget check's switch", ConfigError)
        return _Choice(key, "budget", f"budget: {query.switch.get('reason') or 'cheaper model'}")
    if query.env_model:
        key = _known(policy, query.env_model, "LLM_ROUTER_MODEL")
        return _Choice(key, "env", f"LLM_ROUTER_MODEL={key} forces this model{_overridden(query)}")
    if query.model:
        key = _known(policy, query.model, "--model")
        return _Choice(key, "model", f"--model {key} chosen explicitly")
    if query.task:
        if query.task not in policy.get("task_routing", {}):
            raise UsageError(f"unknown task '{query.task}'",
                             "use one of: " + ", ".join(policy.get("task_routing", {})))
        return _task_choice(policy, query.task, "task", f"--task {query.task} -> task_routing")
    threshold = policy.get("routing", {}).get("long_context_tokens", DEFAULTS["long_context_tokens"])
    detection = taskdetect.detect(query.prompt, tokens, threshold)
    matched = _rule_choice(policy, query, tokens, detection.task, match_rule)
    if matched:
        return matched
    if query.tier:
        return _tier_choice(policy, query.tier)
    return _task_choice(policy, detection.task, "auto", f"automatic: {detection.reason}")


def _overridden(query: Query) -> str:
    flags = [f"--{name} {value}" for name, value in
             (("model", query.model), ("task", query.task), ("tier", query.tier)) if value]
    return f" (overrides {', '.join(flags)})" if flags else ""


def _known(policy: dict, key: str, origin: str, error: type = UsageError) -> str:
    """`key` if the policy defines it; a flag or env typo is a usage error, a policy's a config one."""
    if key in policy.get("external_models", {}):
        return key
    raise error(f"{origin}: unknown model '{key}'",
                "use a key from `llm-router models`: "
                + ", ".join(sorted(policy.get("external_models", {}))))


def _task_choice(policy: dict, task: str, source: str, reason: str) -> _Choice:
    routes = policy.get("task_routing", {})
    if task not in routes:
        reason += f" (task_routing has no '{task}', using its default)"
        task = "default"
    route = routes[task]
    if isinstance(route, dict):
        return _Choice(route["model"], source, f"{reason} -> {route['model']}", task,
                       tuple(route.get("fallbacks", ())))
    return _Choice(route, source, f"{reason} -> {route}", task)


def _tier_choice(policy: dict, tier: str) -> _Choice:
    key = policy.get("claude_to_external_map", {}).get(tier)
    if not key:
        raise UsageError(f"unknown tier '{tier}'", "use one of: " + ", ".join(TIERS))
    return _Choice(key, "tier", f"--tier {tier} -> claude_to_external_map -> {key}")


def _rule_choice(policy: dict, query: Query, tokens: int, task: str,
                 match_rule: RuleMatcher | None) -> _Choice | None:
    if not policy.get("rules") or match_rule is None:
        return None
    facts = {"task": task, "tokens": tokens, "tier": query.tier,
             "prompt_chars": len(query.prompt), "cwd": query.cwd}
    matched = match_rule(facts)
    if matched is None:
        return None
    index, rule = matched
    why = f"rule $.rules[{index}] matched ({rule['when']})"
    if rule.get("reason"):
        why += f": {rule['reason']}"
    if "model" in rule:
        key = _known(policy, rule["model"], f"$.rules[{index}].model", ConfigError)
        return _Choice(key, "rule", f"{why} -> {key}", task)
    return _task_choice(policy, rule["task"], "rule", f"{why} -> task {rule['task']}")


def build_steps(policy: dict, model_key: str, task_fallbacks: tuple = (),
                only_provider: str | None = None) -> list[Step]:
    """The chosen model's vias, then its fallbacks' and the task's, de-duplicated, in order."""
    models = policy.get("external_models", {})
    keys = list(dict.fromkeys([model_key, *models[model_key].get("fallbacks", ()), *task_fallbacks]))
    steps: list[Step] = []
    seen: set = set()
    for key in keys:
        for via in models.get(key, {}).get("via", ()):
            ident = (via["provider"], via["model"], via.get("endpoint"))
            if ident in seen or (only_provider and via["provider"] != only_provider):
                continue
            seen.add(ident)
            steps.append(Step(len(steps), key, via["provider"], via["model"],
                              step_options(policy, via, models.get(key))))
    return steps


def provider_options(policy: dict, provider: str) -> dict:
    return json_copy(policy.get("providers", {}).get(provider, {}))


# Model-level settings every via of that model gets (a via's own options still win).
MODEL_OPTIONS = ("max_tokens", "temperature", "context_window")


def step_options(policy: dict, via: dict, model: dict | None = None) -> dict:
    """`providers.<name>`, overlaid by the named endpoint's settings, by the model's own
    MODEL_OPTIONS, then by via.options."""
    options = provider_options(policy, via["provider"])
    endpoint = via.get("endpoint")
    if endpoint:
        options.update(json_copy(policy.get("endpoints", {}).get(endpoint, {})))
        options["endpoint"] = endpoint
    options.update({name: (model or {})[name] for name in MODEL_OPTIONS if name in (model or {})})
    options.update(json_copy(via.get("options", {})))
    return options
