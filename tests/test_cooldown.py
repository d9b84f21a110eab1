"""cooldown.Cooldowns: consecutive retryable failures put a provider+model on a persisted cooldown."""

import json

from llm_router.routing.cooldown import FILE_NAME, Cooldowns, entry_key


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


KEY = entry_key("opencode", "zai/glm-4.7")


def test_entry_key_includes_the_endpoint_when_there_is_one():
    assert entry_key("openai-http", "m", "ollama") == "openai-http m @ollama"
    assert KEY == "opencode zai/glm-4.7"


def test_threshold_failures_in_a_row_start_a_cooldown_that_ends(data_dir):
    clock = Clock()
    cools = Cooldowns(3, 300, clock=clock)
    assert cools.failure(KEY, "ServerError") == 0 and cools.failure(KEY, "ServerError") == 0
    assert cools.remaining(KEY) == 0 and cools.failures(KEY) == 2
    assert cools.failure(KEY, "RateLimited") == 300
    assert cools.remaining(KEY) == 300
    clock.now += 299
    assert cools.remaining(KEY) == 1
    clock.now += 1
    assert cools.remaining(KEY) == 0
    saved = json.loads((data_dir / FILE_NAME).read_text())
    assert saved[KEY]["last_error"] == "RateLimited" and saved[KEY]["failures"] == 0


def test_cooldown_and_the_failure_count_are_seen_by_another_process(data_dir):
    clock = Clock()
    Cooldowns(2, 60, clock=clock).failure(KEY, "ServerError")
    second = Cooldowns(2, 60, clock=clock)  # a new process: nothing in memory
    assert second.failures(KEY) == 1
    assert second.failure(KEY, "ServerError") == 60
    assert Cooldowns(2, 60, clock=clock).remaining(KEY) == 60


def test_success_forgets_failures_and_writes_only_when_needed(data_dir):
    cools = Cooldowns(3, 60, clock=Clock())
    cools.success(KEY)
    assert not (data_dir / FILE_NAME).exists()
    cools.failure(KEY, "ServerError")
    cools.success(KEY)
    assert cools.failures(KEY) == 0
    assert json.loads((data_dir / FILE_NAME).read_text()) == {}


def test_corrupt_or_odd_file_means_no_cooldowns_and_is_rewritten(data_dir):
    path = data_dir / FILE_NAME
    path.write_text("{not json")
    cools = Cooldowns(1, 10, clock=Clock())
    assert cools.remaining(KEY) == 0
    path.write_text(json.dumps({KEY: {"until": "soon", "failures": True}, "other": 3}))
    cools = Cooldowns(1, 10, clock=Clock())
    assert cools.remaining(KEY) == 0 and cools.failures(KEY) == 0
    assert cools.failure(KEY, "ServerError") == 10
    assert set(json.loads(path.read_text())) == {KEY}  # junk entries pruned


def test_expired_entries_are_pruned_on_the_next_write(data_dir):
    clock = Clock()
    cools = Cooldowns(1, 10, clock=clock)
    cools.failure("a", "ServerError")
    clock.now += 11
    cools.failure("b", "ServerError")
    assert set(json.loads((data_dir / FILE_NAME).read_text())) == {"b"}


def test_zero_cooldown_never_blocks(data_dir):
    cools = Cooldowns(1, 0, clock=Clock())
    assert cools.failure(KEY, "ServerError") == 0 and cools.remaining(KEY) == 0


def test_file_is_private(data_dir):
    Cooldowns(1, 10, clock=Clock()).failure(KEY, "ServerError")
    assert (data_dir / FILE_NAME).stat().st_mode & 0o777 == 0o600
