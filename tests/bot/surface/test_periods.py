"""/usage's periods: each starts at a UTC midnight (today, the last 7 and 30 days counting today,
the month's first day); all time has no start."""

from datetime import UTC, datetime

from bot.surface.periods import PERIOD_CHOICES, PERIODS, period_start

NOW = datetime(2026, 3, 3, 17, 45, tzinfo=UTC)


def test_each_period_starts_at_a_utc_midnight():
    assert {period: period_start(period, NOW) for period in PERIODS} == {
        "today": datetime(2026, 3, 3, tzinfo=UTC),
        "7d": datetime(2026, 2, 25, tzinfo=UTC),
        "30d": datetime(2026, 2, 2, tzinfo=UTC),
        "month": datetime(2026, 3, 1, tzinfo=UTC),
        "all": None,
    }
    assert period_start("yesterday", NOW) is None


def test_the_choices_offer_every_period_by_its_name():
    assert [(choice.name, choice.value) for choice in PERIOD_CHOICES] == [
        ("today", "today"),
        ("last 7 days", "7d"),
        ("last 30 days", "30d"),
        ("this month", "month"),
        ("all time", "all"),
    ]
