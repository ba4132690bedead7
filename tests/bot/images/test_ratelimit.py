"""The Images API's rate-limit headers: when to retry, and when the request budget resets."""

from email.utils import format_datetime

import pytest

from bot.clock import utcnow
from bot.images import ratelimit
from bot.images.ratelimit import RequestBudget, parse_duration, parse_retry_after


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("", None), ("soon", None)],
)
def test_reset_durations_as_openai_writes_them(text, seconds):
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_in_milliseconds_wins_over_seconds():
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "9"}) == 9.0
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({}) is None


def test_retry_after_as_an_http_date():
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # long past
    later = utcnow().replace(year=utcnow().year + 1)
    assert parse_retry_after({"retry-after": format_datetime(later, usegmt=True)}) > 3600


@pytest.fixture
def slept(monkeypatch):
    """The delays the budget sleeps, instead of sleeping them."""
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(ratelimit.asyncio, "sleep", sleep)
    return delays


async def test_a_spent_budget_waits_for_its_reset_up_to_the_cap_once(slept):
    budget = RequestBudget(max_wait=5.0)
    budget.note({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"})
    await budget.wait()
    await budget.wait()
    assert len(slept) == 1 and 4.0 < slept[0] <= 5.0


async def test_a_budget_with_requests_left_does_not_wait(slept):
    budget = RequestBudget(max_wait=5.0)
    budget.note({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"})
    budget.note({"x-ratelimit-remaining-requests": "7", "x-ratelimit-reset-requests": "2s"})
    budget.note({})  # an answer without the headers changes nothing
    await budget.wait()
    assert slept == []


async def test_a_429_holds_the_next_start(slept):
    budget = RequestBudget(max_wait=5.0)
    budget.hold(30.0)
    await budget.wait()
    assert len(slept) == 1 and 4.0 < slept[0] <= 5.0
