"""Policy layers, deep merge, schema validation with the file and JSON path named, caching."""

import json
import subprocess
import sys

import pytest

from conftest import LIB
from llm_router import policy
from llm_router.errors import ConfigError


def write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return path


def test_shipped_policy_is_valid_and_has_the_seed_maps():
    pol = policy.load_policy()
    assert policy.tier_map(pol) == {"opus": "copilot/gpt-5.2", "sonnet": "copilot/claude-sonnet-4.5",
                                    "haiku": "copilot/claude-haiku-4.5"}
    assert pol["task_routing"] == {"reasoning": "copilot/gpt-5.2", "code-generation": "zai/glm-4.7",
                                   "long-context": "gemini/gemini-3-pro", "default": "copilot/claude-sonnet-4.5"}
    for key in ("copilot/gpt-5.2", "copilot/claude-sonnet-4.5", "copilot/claude-haiku-4.5", "copilot/o3",
                "copilot/gemini-3-pro", "zai/glm-4.7", "opencode/big-pickle", "gemini/gemini-3-pro"):
        model = pol["external_models"][key]
        assert model["tier"] in ("opus", "sonnet", "haiku") and model["use_cases"] and model["via"]


def test_user_then_project_layers_deep_merge(data_dir, project_dir):
    write(data_dir / "model-policy.json", {"claude_to_external_map": {"haiku": "opencode/big-pickle"},
                                           "routing": {"retries": 3}})
    project = write(project_dir / ".claude" / "llm-router.json",
                    {"routing": {"retries": 0}, "endpoints": {"litellm": None}})
    from llm_router import trust

    trust.trust(str(project), project.read_bytes())  # dropping an endpoint needs trust
    pol = policy.load_policy()
    assert pol["claude_to_external_map"] == {"opus": "copilot/gpt-5.2", "sonnet": "copilot/claude-sonnet-4.5",
                                             "haiku": "opencode/big-pickle"}
    assert pol["routing"]["retries"] == 0 and pol["routing"]["long_context_tokens"] == 60000
    assert "litellm" not in pol["endpoints"]


def test_unknown_model_in_a_map_names_the_file_and_path(data_dir):
    bad = write(data_dir / "model-policy.json", {"claude_to_external_map": {"haiku": "nope/x"}})
    with pytest.raises(ConfigError) as info:
        policy.load_policy()
    assert info.value.file == str(bad)
    assert info.value.json_path == "$.claude_to_external_map.haiku"
    assert "unknown model 'nope/x'" in info.value.message


def test_bad_type_names_the_file_and_path(data_dir):
    bad = write(data_dir / "model-policy.json", {"external_models": {"zai/glm-4.7": {"tier": "huge"}}})
    with pytest.raises(ConfigError) as info:
        policy.load_policy()
    assert info.value.file == str(bad)
    assert info.value.json_path == '$.external_models["zai/glm-4.7"].tier'


def test_bad_json_names_the_file_and_line(data_dir):
    bad = write(data_dir / "model-policy.json", '{\n  "routing": {"retries": 1,}\n}')
    with pytest.raises(ConfigError) as info:
        policy.load_policy()
    assert info.value.file == str(bad)
    assert "line 2" in info.value.message


def test_api_keys_are_not_allowed_in_the_policy(data_dir):
    write(data_dir / "model-policy.json", {"endpoints": {"litellm": {"kind": "openai", "api_key": "sk-x"}}})
    with pytest.raises(ConfigError) as info:
        policy.load_policy()
    assert info.value.json_path == "$.endpoints.litellm"


_CHECK_IMPORTS = """
import sys
sys.path.insert(0, sys.argv[1])
from llm_router import policy
policy.load_policy()
print("jsonschema" in sys.modules)
"""


def test_validation_runs_only_when_a_policy_file_changed(data_dir):
    def imports_jsonschema():
        out = subprocess.run([sys.executable, "-c", _CHECK_IMPORTS, str(LIB)], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip() == "True"

    assert imports_jsonschema() is True    # first run validates and caches the hash
    assert imports_jsonschema() is False   # unchanged files: no jsonschema import
    write(data_dir / "model-policy.json", {"routing": {"retries": 2}})
    assert imports_jsonschema() is True    # a changed layer is checked again
    assert imports_jsonschema() is False


def test_budget_fallback_model_must_exist(data_dir):
    write(data_dir / "model-policy.json", {"budgets": {"daily_usd": 1, "on_exceed": "fallback",
                                                        "fallback_model": "cheap/none"}})
    with pytest.raises(ConfigError) as info:
        policy.load_policy()
    assert info.value.json_path == "$.budgets.fallback_model"
