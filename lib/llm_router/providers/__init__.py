"""Provider registry: name -> "module:Class", imported on first use so that calling one
provider never pays for the others (or for urllib when only a CLI is used)."""

REGISTRY = {
    "opencode": "llm_router.providers.opencode:OpencodeProvider",
    "gemini": "llm_router.providers.gemini:GeminiProvider",
    "codex": "llm_router.providers.codex:CodexProvider",
    "copilot": "llm_router.providers.copilot:CopilotProvider",
    "claude": "llm_router.providers.claude:ClaudeProvider",
    "openai-http": "llm_router.providers.openai_http:OpenAIHTTPProvider",
    "anthropic-http": "llm_router.providers.anthropic_http:AnthropicHTTPProvider",
    "local-llama": "llm_router.providers.local_llama:LocalLlamaProvider",
}

_instances: dict = {}


def get(name: str):
    """The provider instance for `name`; KeyError names the known providers."""
    if name not in REGISTRY:
        raise KeyError(f"unknown provider '{name}' (known: {', '.join(REGISTRY)})")
    if name not in _instances:
        module_name, class_name = REGISTRY[name].split(":")
        _instances[name] = getattr(__import__(module_name, fromlist=[class_name]), class_name)()
    return _instances[name]
