"""What a call cost, and what it would have cost on Claude.

Prices are USD per million tokens, from config/prices.json deep-merged with the policy's
`pricing` section (same shape). Token convention (providers.base.Usage: each provider converts
its own report to it; the three input figures do not overlap):
  input_tokens   prompt tokens billed at the full input price (cached ones NOT included);
  cached_tokens  prompt tokens served from a prompt cache (cheaper);
  cache_write_tokens  prompt tokens written to a cache (dearer on Anthropic);
  output_tokens  every generated token, reasoning included;
  reasoning_tokens  the part of output_tokens spent thinking.
A figure the provider did not report is None and counts as nothing known.
Cost rules, in order: a subscription plan -> None (we never invent dollars for a flat fee);
a provider-reported cost above 0 -> that ("provider"); a table price -> computed ("table");
else None. A reported 0.0 is what opencode says for any model it has no price for (a local
llama.cpp one included), so it only counts when the table agrees that the model is free.
Standard library only: this runs on the invoke path.
"""

from .. import paths
from ..io import fastjson
from ..policy import deep_merge

PER = 1_000_000
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens")


def bundled_table() -> dict:
    with open(paths.config_file("prices.json"), "rb") as handle:
        return fastjson.loads(handle.read())


def load_table(policy: dict | None = None) -> dict:
    """The bundled table with the policy's `pricing` overrides merged in, key by key."""
    table = bundled_table()
    override = (policy or {}).get("pricing")
    return deep_merge(table, override) if isinstance(override, dict) else table


def price_for(table: dict, *keys: str | None) -> dict | None:
    """The first entry among `keys` that has both an input and an output price."""
    models = table.get("models", {})
    for key in keys:
        entry = models.get(key) if key else None
        if isinstance(entry, dict) and _has_rates(entry):
            return entry
    return None


def _has_rates(entry: dict) -> bool:
    return isinstance(entry.get("input"), (int, float)) and isinstance(entry.get("output"), (int, float))


def is_subscription(table: dict, provider: str | None, *model_ids: str | None) -> bool:
    """A flat-fee plan (Copilot, a coding plan): usage is counted in tokens and quota units."""
    subs = table.get("subscriptions", {})
    if provider and provider in subs.get("providers", ()):
        return True
    prefixes = tuple(subs.get("model_prefixes", ()))
    return bool(prefixes) and any(m and m.startswith(prefixes) for m in model_ids)


def token_cost(price: dict, usage: dict) -> float:
    """USD for `usage` (token counts, see the module docstring) at `price`."""
    tokens = {name: max(int(usage.get(name) or 0), 0) for name in TOKEN_FIELDS}
    cached = tokens["cached_tokens"]
    written = tokens["cache_write_tokens"]
    reasoning = tokens["reasoning_tokens"]
    fresh = tokens["input_tokens"]  # already without the cached and written parts
    # Output does include reasoning. A provider that reports more reasoning than output
    # counted it on top instead, so that reading undercounts nothing.
    plain_out = tokens["output_tokens"] - reasoning
    if plain_out < 0:
        plain_out = tokens["output_tokens"]
    rate_in = float(price["input"])
    rate_out = float(price["output"])
    usd = (fresh * rate_in
           + cached * float(price.get("cached_input", rate_in))
           + written * float(price.get("cache_write", rate_in))
           + plain_out * rate_out
           + reasoning * float(price.get("reasoning", rate_out)))
    return usd / PER


def attempt_cost(attempt: dict, table: dict) -> tuple[float | None, str | None]:
    """(cost_usd, source) for one attempt; source is "provider", "table" or None."""
    model = attempt.get("model_used")
    provider_model = attempt.get("provider_model")
    if is_subscription(table, attempt.get("provider"), model, provider_model):
        return None, None
    reported = attempt.get("cost_usd")
    if isinstance(reported, (int, float)) and not isinstance(reported, bool) and reported > 0:
        return float(reported), "provider"
    price = price_for(table, model, provider_model)
    if price is None or not _has_tokens(attempt):
        return None, None
    return token_cost(price, attempt), "table"


def _has_tokens(attempt: dict) -> bool:
    # An attempt that never reached the model (skipped, failed before any usage) costs
    # nothing we know of; NULL says "unknown" where 0.0 would claim "free".
    return any(attempt.get(name) for name in TOKEN_FIELDS)


def claude_saved(attempt: dict, tier: str | None, table: dict) -> tuple[int | None, float | None]:
    """(tokens, usd) this call would have used on the Claude tier it replaced: an estimate.

    Only successful calls to a non-Claude model save anything. Tokens = the call's whole
    prompt (fresh + cached + written) + output (the same prompt and a comparable answer);
    dollars use that tier's list price, all input counted fresh."""
    if attempt.get("outcome") != "ok":
        return None, None
    if str(attempt.get("model_used") or "").startswith("claude/"):
        return None, None  # Claude itself answered (delegate with external mode off)
    tokens_in = sum(max(int(attempt.get(name) or 0), 0)
                    for name in ("input_tokens", "cached_tokens", "cache_write_tokens"))
    tokens_out = max(int(attempt.get("output_tokens") or 0), 0)
    if not tokens_in and not tokens_out:
        return None, None
    price = table.get("claude_tiers", {}).get(tier or "sonnet")
    usd = None
    if isinstance(price, dict) and _has_rates(price):
        usd = token_cost(price, {"input_tokens": tokens_in, "output_tokens": tokens_out})
    return tokens_in + tokens_out, usd


def estimate_call_cost(table: dict, model_key: str, input_tokens: int) -> float | None:
    """Before the call: the input side only (output is unknown). 0.0 for subscriptions,
    None when the model has no price."""
    if is_subscription(table, None, model_key):
        return 0.0
    price = price_for(table, model_key)
    if price is None:
        return None
    return token_cost(price, {"input_tokens": max(int(input_tokens or 0), 0)})
