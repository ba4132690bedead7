"""The periods moderators pick for /usage: their names, and when each starts (UTC days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from discord import app_commands

from bot.i18n import _

PERIODS = {
    "today": _("today"),
    "7d": _("last 7 days"),
    "30d": _("last 30 days"),
    "month": _("this month"),
    "all": _("all time"),
}
PERIOD_CHOICES = [app_commands.Choice(name=label.message, value=key) for key, label in PERIODS.items()]


def period_start(period: str, now: datetime) -> datetime | None:
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    return {
        "today": midnight,
        "7d": midnight - timedelta(days=6),
        "30d": midnight - timedelta(days=29),
        "month": midnight.replace(day=1),
    }.get(period)
