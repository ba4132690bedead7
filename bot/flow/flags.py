"""What follows a flagged request: strikes, and one notice for the guild's moderators.

`limits.flags_before_block` flags within `limits.flag_window_days` block the member for 24 hours
by themselves. The block is one conditional upsert (bot/db/safety.py), so when several processes
count the same strike at once, one of them makes the block and only that one tells the member.
The notice, in the guild's alert channel, has the prompt, the member, the categories and a link
to where it was asked, with buttons that act on it (the Discord surface makes them).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.models import Job, UsageRecord
from bot.db.policy import get_settings
from bot.db.safety import block_member, flags_since
from bot.flow.answers import MemberAnswers
from bot.flow.locales import Locales
from bot.flow.result_message import quote
from bot.i18n import Text, _

log = logging.getLogger(__name__)

STRIKE_BLOCK = timedelta(hours=24)
NOTICE_PROMPT_CHARS = 600


class FlagViews(Protocol):
    """The buttons under a moderators' notice; the Discord surface builds them."""

    def flag_notice(self, usage_id: int, *, deletable: bool, locale: str) -> discord.ui.View: ...


def notice_text(record: UsageRecord, locale: str, *, strikes: int | None = None) -> str:
    """The moderators' notice of a flagged or filtered row; `strikes` when they blocked the member.
    Mentions in it never ping."""
    who = {"user": record.user_id, "channel": record.channel_id, "categories": record.flags or "?"}
    lines = [
        _("🚩 The safety check flagged a request by <@{user}> in <#{channel}>: {categories}.", **who)
        if record.status == "flagged"
        else _("🚩 A word filter refused a request by <@{user}> in <#{channel}>: {categories}.", **who),
        _("**Prompt:** {prompt}", prompt=quote(record.prompt or "—", NOTICE_PROMPT_CHARS)),
        _("The images were made and charged, and not posted. [Where it was asked]({link})", link=record.channel_link())
        if record.cost_usd
        else _("Nothing was made or charged. [Where it was asked]({link})", link=record.channel_link()),
    ]
    if strikes is not None:
        lines.append(_("That makes {count} flags in a short time: they are blocked for 24 hours.", count=strikes))
    return "\n".join(line.render(locale) for line in lines)


class FlagAlerts:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        answers: MemberAnswers,
        locales: Locales,
        views: FlagViews,
        clock: Clock,
        flags_before_block: int,
        flag_window: timedelta,
    ) -> None:
        self._sessions = sessions
        self._answers = answers
        self._locales = locales
        self._views = views
        self._clock = clock
        self._flags_before_block = flags_before_block
        self._flag_window = flag_window

    async def flagged(self, job: Job, record: UsageRecord, *, deletable: bool = False) -> Text | None:
        """Count the strike, block on the last one, and post the notice; failures are logged.
        Returns what the member hears besides the refusal: that they are blocked, if they are.
        `deletable`: the flagged input was one of the bot's results, which moderators may delete."""
        if record.guild_id is None:
            return None
        now = self._clock.now()
        try:
            async with self._sessions() as session:
                settings = await get_settings(session, record.guild_id)
                strikes = await flags_since(session, record.guild_id, record.user_id, now - self._flag_window)
                blocked = strikes >= self._flags_before_block and await block_member(
                    session,
                    record.guild_id,
                    record.user_id,
                    until=now + STRIKE_BLOCK,
                    reason="strikes",
                    blocked_by=None,
                    now=now,
                    only_if_free=True,
                )
                await session.commit()
        except Exception:
            log.exception("could not count the strike of user %s in guild %s", record.user_id, record.guild_id)
            return None
        if blocked:
            log.info("user %s blocked in guild %s for 24 h after %d flags", record.user_id, record.guild_id, strikes)
        if settings.alert_channel_id is not None:
            locale = await self._locales.of_guild(record.guild_id)
            text = notice_text(record, locale, strikes=strikes if blocked else None)
            view = self._views.flag_notice(record.id, deletable=deletable, locale=locale)
            await self._answers.post_notice(settings.alert_channel_id, text, view=view)
        if not blocked:
            return None
        return _(
            "That makes {count} flagged requests in {days} days, so you can't use the bot here for 24 hours.",
            count=strikes,
            days=self._flag_window.days,
        )
