"""Notices for a guild's moderators, in the guild's language, in its alert channel."""

from __future__ import annotations

from bot.billing.policy import ModeratorNotice
from bot.flow.answers import MemberAnswers
from bot.flow.locales import Locales


class ModeratorNotices:
    def __init__(self, answers: MemberAnswers, locales: Locales) -> None:
        self._answers = answers
        self._locales = locales

    async def post(self, guild_id: int, notice: ModeratorNotice) -> None:
        """Post the notice; a failure is logged, never raised."""
        await self._answers.post_notice(notice.channel_id, notice.render(await self._locales.of_guild(guild_id)))
