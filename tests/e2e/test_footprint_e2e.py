"""Issue 14.4: with external mode off, what the plugin adds to every model request (Claude
Code's listings of its agents, skill and /pa command) stays at or under 2,000 bytes.

Measured with the real `claude` binary against the loopback mock: the same prompt, the same
home and project, once with the plugin and once without; the figure is the difference in
bytes of the first main-agent request body as sent. The README quotes it.
"""

import json

import pytest

from claude_harness import claude, claude_bin, mock, run_claude  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

LIMIT = 2_000


def first_main_size(mock) -> tuple[int, str]:
    requests = [r for r in mock.model_requests() if not r.is_subagent()]
    assert requests, f"claude made no model request; saw {[r.path for r in mock.requests]}"
    return requests[0].size, requests[0].text()


def test_mode_off_footprint_is_at_most_2000_bytes(claude, mock):
    without = claude("hello", plugin_dir=None)
    assert without.returncode == 0, without.stderr
    bare_size, bare_text = first_main_size(mock)
    assert "llm-router" not in bare_text  # the baseline really has no plugin
    mock.requests.clear()
    with_plugin = claude("hello")
    assert with_plugin.returncode == 0, with_plugin.stderr
    size, text = first_main_size(mock)
    assert "llm-router:external-delegate" in text  # the plugin really was loaded
    added = size - bare_size
    print(json.dumps({"footprint_bytes": added, "without_plugin": bare_size, "with_plugin": size}))
    assert 0 < added <= LIMIT, f"the plugin adds {added} bytes to every request (limit {LIMIT})"
