"""chain.Chain: skip / retry / stop by error class, backoff, retry-after, hops, deadline,
cooldowns, streaming. Fake providers go through the real registry (providers.get)."""

import pytest
from llm_router import providers
from llm_router.errors import (
    AllProvidersFailed,
    AuthError,
    BadOutput,
    BadRequest,
    NotConfigured,
    NotInstalled,
    ProviderTimeout,
    RateLimited,
    ServerError,
)
from llm_router.providers.base import Request, Result, Usage
from llm_router.routing import router
from llm_router.routing.chain import Chain, ChainStopped
from llm_router.routing.cooldown import Cooldowns
from llm_router.routing.router import Step


class FakeClock:
    """time.monotonic and time.sleep in one: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeProvider:
    """Answers from a script: an exception instance is raised, a string is the answer.
    With `deltas`, streams them through request.on_text before answering."""

    transport = "cli"

    def __init__(self, name: str, script=(), usable: bool = True, why: str = "fake: ready",
                 deltas=(), clock: FakeClock | None = None, takes: float = 0.0) -> None:
        self.name, self.script, self.usable, self.why = name, list(script), usable, why
        self.deltas, self.clock, self.takes = list(deltas), clock, takes
        self.calls: list[tuple[str, float, dict]] = []
        self.requests: list[Request] = []

    def available(self, options: dict) -> tuple[bool, str]:
        return self.usable, self.why

    def run(self, request: Request, timeout: float) -> Result:
        self.calls.append((request.model, timeout, request.options))
        self.requests.append(request)
        if self.clock:
            self.clock.now += self.takes
        item = self.script.pop(0) if self.script else f"answer from {self.name}"
        for chunk in self.deltas:
            request.on_text(chunk)
        if isinstance(item, BaseException):
            raise item
        return Result(text=item, model=request.model, provider=self.name,
                      usage=Usage(input_tokens=10, output_tokens=5), cost_usd=0.001)


@pytest.fixture
def fakes(monkeypatch):
    """A FakeProvider for every registered name, so no real provider module is imported;
    `fakes.add(name, provider)` swaps one in (also for names not in the registry)."""
    table = {}

    def add(name: str, provider=None):
        provider = provider or FakeProvider(name)
        if name not in providers.REGISTRY:
            monkeypatch.setitem(providers.REGISTRY, name, "tests.fake:Unused")
        monkeypatch.setitem(providers._instances, name, provider)
        table[name] = provider
        return provider

    for name in list(providers.REGISTRY):
        add(name)
    add.table = table
    return add


def steps(*names: str) -> list[Step]:
    return [Step(i, f"key/{name}", name, f"model-{name}", {"opt": name}) for i, name in enumerate(names)]


def settings(**overrides) -> dict:
    return {**router.settings({}), "retries": 2, "backoff_base_s": 1.0, "backoff_max_s": 4.0,
            **overrides}


def make_chain(clock: FakeClock, **kwargs) -> Chain:
    return Chain(kwargs.pop("settings", settings()), sleep=clock.sleep, clock=clock,
                 jitter=lambda: 1.0, **kwargs)


REQUEST = Request(prompt="hi", model="")


def test_first_step_answers_with_its_model_and_options(fakes):
    clock = FakeClock()
    result, attempts = make_chain(clock).run(steps("copilot", "opencode"), REQUEST)
    assert result.text == "answer from copilot" and result.provider == "copilot"
    timeout = settings()["call_timeout_s"]
    # a CLI step also gets the chain's no-output bound (routing.cli_idle_timeout_s)
    assert fakes.table["copilot"].calls == [("model-copilot", timeout, {
        "opt": "copilot", "idle_timeout_s": settings()["cli_idle_timeout_s"]})]
    assert fakes.table["opencode"].calls == []
    assert [(a.outcome, a.model_key, a.fallback_position) for a in attempts] == [("ok", "key/copilot", 0)]


@pytest.mark.parametrize("error", [NotInstalled("no bin"), NotConfigured("no url"), AuthError("401")])
def test_skip_errors_move_on_at_once(fakes, error):
    fakes("copilot", FakeProvider("copilot", [error]))
    clock = FakeClock()
    result, attempts = make_chain(clock).run(steps("copilot", "opencode"), REQUEST)
    assert result.provider == "opencode" and clock.sleeps == []
    assert len(fakes.table["copilot"].calls) == 1
    assert [(a.outcome, a.error_class, a.message) for a in attempts] == [
        ("error", type(error).__name__, error.message), ("ok", None, "")]


@pytest.mark.parametrize("error", [RateLimited("429"), ProviderTimeout("slow"), ServerError("500"),
                                   BadOutput("garbage")])
def test_retry_errors_retry_with_backoff_then_fall_back(fakes, error):
    fakes("copilot", FakeProvider("copilot", [error] * 3))
    clock = FakeClock()
    result, attempts = make_chain(clock).run(steps("copilot", "opencode"), REQUEST)
    assert result.provider == "opencode"
    assert len(fakes.table["copilot"].calls) == 3  # 1 + retries
    assert clock.sleeps == [1.0, 2.0]
    assert [(a.error_class, a.retry, a.step, a.fallback_position) for a in attempts] == [
        (type(error).__name__, 0, 0, 0), (type(error).__name__, 1, 0, 1),
        (type(error).__name__, 2, 0, 2), (None, 0, 1, 3)]


def test_retry_succeeds_on_the_same_step(fakes):
    fakes("copilot", FakeProvider("copilot", [ServerError("500"), "second time lucky"]))
    result, attempts = make_chain(FakeClock()).run(steps("copilot", "opencode"), REQUEST)
    assert result.text == "second time lucky"
    assert [a.outcome for a in attempts] == ["error", "ok"]


def test_bad_request_stops_the_chain(fakes):
    fakes("copilot", FakeProvider("copilot", [BadRequest("prompt too long", hint="shorten it")]))
    with pytest.raises(ChainStopped) as caught:
        make_chain(FakeClock()).run(steps("copilot", "opencode"), REQUEST)
    assert isinstance(caught.value, AllProvidersFailed) and caught.value.exit_code == 1
    assert fakes.table["opencode"].calls == []
    assert "rejected the request (BadRequest)" in caught.value.message
    assert "prompt too long" in caught.value.message and caught.value.hint == "shorten it"


def test_retry_after_is_honoured_instead_of_backoff(fakes):
    fakes("copilot", FakeProvider("copilot", [RateLimited("429", retry_after=7.5)]))
    clock = FakeClock()
    result, _ = make_chain(clock).run(steps("copilot"), REQUEST)
    assert clock.sleeps == [7.5] and result.provider == "copilot"


def test_retry_after_beyond_the_cap_falls_back_without_waiting(fakes):
    fakes("copilot", FakeProvider("copilot", [RateLimited("429", retry_after=3600)]))
    clock = FakeClock()
    result, _ = make_chain(clock, settings=settings(retry_after_max_s=60)).run(
        steps("copilot", "opencode"), REQUEST)
    assert clock.sleeps == [] and result.provider == "opencode"
    assert len(fakes.table["copilot"].calls) == 1


@pytest.mark.parametrize("jitter, expected", [(1.0, [1.0, 2.0, 4.0, 4.0, 4.0]),
                                              (0.0, [0.5, 1.0, 2.0, 2.0, 2.0])])
def test_backoff_doubles_and_is_capped_with_jitter_between_half_and_full(fakes, jitter, expected):
    fakes("copilot", FakeProvider("copilot", [ServerError("500")] * 6))
    clock = FakeClock()
    chain = Chain(settings(retries=5), sleep=clock.sleep, clock=clock, jitter=lambda: jitter)
    with pytest.raises(AllProvidersFailed):
        chain.run(steps("copilot"), REQUEST)
    assert clock.sleeps == expected


def test_hops_are_bounded_and_unavailable_steps_do_not_count(fakes):
    for name in ("copilot", "opencode", "codex", "gemini"):
        fakes(name, FakeProvider(name, [AuthError("no")]))
    fakes("claude", FakeProvider("claude", usable=False, why="claude not on PATH"))
    with pytest.raises(AllProvidersFailed) as caught:
        make_chain(FakeClock(), settings=settings(max_hops=2)).run(
            steps("claude", "copilot", "opencode", "codex", "gemini"), REQUEST)
    assert fakes.table["codex"].calls == [] and fakes.table["gemini"].calls == []
    assert [(a.provider, a.outcome, a.error_class) for a in caught.value.attempts] == [
        ("claude", "skipped", "Unavailable"), ("copilot", "error", "AuthError"),
        ("opencode", "error", "AuthError"), ("codex", "skipped", "HopLimit")]
    assert "claude not on PATH" in caught.value.attempts[0].message


def test_deadline_bounds_each_call_timeout_and_ends_the_chain(fakes):
    clock = FakeClock()
    fakes("copilot", FakeProvider("copilot", [ProviderTimeout("t")] * 3, clock=clock, takes=40))
    fakes("opencode", FakeProvider("opencode", clock=clock))
    chain = make_chain(clock, settings=settings(deadline_s=100, call_timeout_s=50, retries=5,
                                                backoff_base_s=1, backoff_max_s=1))
    with pytest.raises(AllProvidersFailed) as caught:
        chain.run(steps("copilot", "opencode"), REQUEST)
    timeouts = [call[1] for call in fakes.table["copilot"].calls]
    assert timeouts == [50, 50, 18]  # 100 - (40 + 1 + 40 + 1)
    assert fakes.table["opencode"].calls == []
    assert caught.value.attempts[-1].error_class == "DeadlineExceeded"


def test_unavailable_everywhere_lists_every_reason(fakes):
    fakes("copilot", FakeProvider("copilot", usable=False, why="copilot: not installed"))
    fakes("opencode", FakeProvider("opencode", usable=False, why="opencode: not logged in"))
    with pytest.raises(AllProvidersFailed) as caught:
        make_chain(FakeClock()).run(steps("copilot", "opencode"), REQUEST)
    text = caught.value.user_text()
    assert "copilot/model-copilot: Unavailable: copilot: not installed" in text
    assert "opencode/model-opencode: Unavailable: opencode: not logged in" in text


def test_unknown_provider_and_unimportable_module_are_unavailable(fakes, monkeypatch):
    monkeypatch.setitem(providers.REGISTRY, "ghost", "llm_router.providers.no_such_module:X")
    monkeypatch.delitem(providers._instances, "ghost", raising=False)
    chain_steps = [Step(0, "k", "nobody", "m"), Step(1, "k", "ghost", "m"), *steps("copilot")[:1]]
    chain_steps[2].position = 2
    result, attempts = make_chain(FakeClock()).run(chain_steps, REQUEST)
    assert result.provider == "copilot"
    assert "unknown provider 'nobody'" in attempts[0].message
    assert "cannot be imported" in attempts[1].message


def test_repeated_retryable_failures_put_the_step_on_a_persisted_cooldown(fakes, data_dir):
    fakes("copilot", FakeProvider("copilot", [ServerError("500")] * 5))
    cools = Cooldowns(2, 300)
    chain = make_chain(FakeClock(), cooldowns=cools, settings=settings(retries=5))
    result, attempts = chain.run(steps("copilot", "opencode"), REQUEST)
    # the second failure started the cooldown, so the step was left at once
    assert len(fakes.table["copilot"].calls) == 2 and result.provider == "opencode"
    assert (data_dir / "cooldowns.json").exists()

    later = make_chain(FakeClock(), cooldowns=Cooldowns(2, 300))  # as a new process would
    result, attempts = later.run(steps("copilot", "opencode"), REQUEST)
    assert len(fakes.table["copilot"].calls) == 2  # not called again
    assert (attempts[0].outcome, attempts[0].error_class) == ("skipped", "CoolingDown")
    assert "cooling down" in attempts[0].message


def test_success_clears_the_failure_count(fakes, data_dir):
    fakes("copilot", FakeProvider("copilot", [ServerError("500"), "ok", ServerError("500"), "ok"]))
    cools = Cooldowns(2, 300)
    for _ in range(2):
        make_chain(FakeClock(), cooldowns=cools).run(steps("copilot"), REQUEST)
    assert cools.failures("copilot model-copilot") == 0 and cools.remaining("copilot model-copilot") == 0


def test_skip_and_stop_errors_do_not_count_towards_cooldown(fakes, data_dir):
    fakes("copilot", FakeProvider("copilot", [AuthError("401")] * 3))
    cools = Cooldowns(1, 300)
    for _ in range(3):
        make_chain(FakeClock(), cooldowns=cools).run(steps("copilot", "opencode"), REQUEST)
    assert cools.failures("copilot model-copilot") == 0
    assert not (data_dir / "cooldowns.json").exists()


def test_streamed_deltas_pass_through_and_before_text_fires_once(fakes):
    fakes("copilot", FakeProvider("copilot", deltas=["a", "", "b"]))
    seen, started = [], []
    request = Request(prompt="hi", model="", stream=True, on_text=seen.append)
    make_chain(FakeClock(), before_text=started.append).run(steps("copilot"), request)
    assert seen == ["a", "b"] and [s.provider for s in started] == ["copilot"]


def test_failure_after_streamed_text_is_not_retried_elsewhere(fakes):
    fakes("copilot", FakeProvider("copilot", [ServerError("dropped")], deltas=["partial"]))
    request = Request(prompt="hi", model="", stream=True, on_text=lambda text: None)
    with pytest.raises(ChainStopped) as caught:
        make_chain(FakeClock()).run(steps("copilot", "opencode"), request)
    assert fakes.table["opencode"].calls == [] and len(fakes.table["copilot"].calls) == 1
    assert "streamed out" in caught.value.message


def test_every_attempt_is_reported_once_with_latency(fakes):
    clock = FakeClock()
    fakes("copilot", FakeProvider("copilot", [ServerError("500")] * 3, clock=clock, takes=0.25))
    reported = []
    make_chain(clock, on_attempt=reported.append).run(steps("copilot", "opencode"), REQUEST)
    assert [(a.provider, a.outcome, a.latency_ms) for a in reported] == [
        ("copilot", "error", 250), ("copilot", "error", 250), ("copilot", "error", 250),
        ("opencode", "ok", 0)]
    assert reported[0].as_dict()["fallback_position"] == 0
    assert sum(a.fallback_position == 0 for a in reported) == 1
