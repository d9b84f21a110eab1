"""The relay's delegate command is pre-approved; nothing that merely resembles it is."""

import pytest
from conftest import ROOT
from llm_router.hooks import delegate_permission as dp

BIN = f"{ROOT}/bin/llm-router"
RELAY = "llm-router:external-delegate"


def event(command, agent=RELAY):
    return {"tool_name": "Bash", "agent_type": agent, "tool_input": {"command": command}}


GOOD = [
    f'"{BIN}" delegate --tier haiku --cwd \'/tmp/x y\' <<\'LLM_ROUTER_TASK_EOF\'\nmap the repo\n$(rm -rf ~)\nLLM_ROUTER_TASK_EOF',
    f'"{BIN}" delegate --tier opus <<\'LLM_ROUTER_TASK_EOF\'\ntask\nLLM_ROUTER_TASK_EOF\n',
    "llm-router delegate --tier sonnet --cwd '/it'\\''s' <<'LLM_ROUTER_TASK_EOF_2'\nLLM_ROUTER_TASK_EOF\nLLM_ROUTER_TASK_EOF_2",
]

BAD = [
    f'"{BIN}" delegate --tier haiku <<\'LLM_ROUTER_TASK_EOF\'\ntask\nLLM_ROUTER_TASK_EOF\nrm -rf ~',
    f'"{BIN}" delegate --tier haiku <<LLM_ROUTER_TASK_EOF\n$(rm -rf ~)\nLLM_ROUTER_TASK_EOF',
    f'"{BIN}" delegate --tier haiku; rm -rf ~ <<\'LLM_ROUTER_TASK_EOF\'\nx\nLLM_ROUTER_TASK_EOF',
    f'"/elsewhere/bin/llm-router" delegate --tier haiku <<\'LLM_ROUTER_TASK_EOF\'\nx\nLLM_ROUTER_TASK_EOF',
    f'"{BIN}" delegate --tier haiku --cwd \'/x\'; rm -rf ~; \' <<\'LLM_ROUTER_TASK_EOF\'\nx\nLLM_ROUTER_TASK_EOF',
    f'"{BIN}" delegate --tier haiku <<\'LLM_ROUTER_TASK_EOF\'\nx\nLLM_ROUTER_TASK_EOF\nLLM_ROUTER_TASK_EOF',
    f'"{BIN}" invoke --tier haiku <<\'LLM_ROUTER_TASK_EOF\'\nx\nLLM_ROUTER_TASK_EOF',
]


@pytest.mark.parametrize("command", GOOD)
def test_the_relay_command_is_allowed(command):
    out = dp.decide(event(command), str(ROOT))
    assert out["hookSpecificOutput"]["permissionDecision"] == "allow"


@pytest.mark.parametrize("command", BAD)
def test_anything_else_is_left_to_claude_code(command):
    assert dp.decide(event(command), str(ROOT)) is None


def test_only_inside_the_relay_agent():
    assert dp.decide(event(GOOD[0], agent="llm-router:explorer"), str(ROOT)) is None
    assert dp.decide(event(GOOD[0], agent=None), str(ROOT)) is None
