"""Which language to answer in: the reader's, else the guild's, else en-US."""

from __future__ import annotations

from collections.abc import Callable

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import GuildSettings
from bot.db.policy import get_settings
from bot.i18n import SOURCE_LOCALE, choose_locale


class Locales:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], community_locale: Callable[[int], str | None]
    ) -> None:
        """`community_locale` gives a guild's Discord language from the gateway's cache, if known."""
        self._sessions = sessions
        self._community_locale = community_locale

    def _of_settings(self, settings: GuildSettings) -> str:
        """The guild's language: pinned by its moderators, else Discord's community locale."""
        return choose_locale(None, settings.language, self._community_locale(settings.guild_id))

    async def of_guild(self, guild_id: int) -> str:
        async with self._sessions() as session:
            return self._of_settings(await get_settings(session, guild_id))

    def for_message(self, message: discord.Message) -> str:
        """A message's reader's language, as far as the message tells: its guild's Discord language."""
        return choose_locale(None, None, message.guild.preferred_locale.value if message.guild else None)

    async def for_settings(self, settings: GuildSettings | None) -> str:
        """The language of a guild's settings (None, outside a guild: en-US)."""
        return self._of_settings(settings) if settings is not None else SOURCE_LOCALE

    async def for_interaction(self, interaction: discord.Interaction, settings: GuildSettings | None = None) -> str:
        """The reader's language. Pass the guild's settings when they are already loaded."""
        pinned = settings.language if settings is not None else None
        if settings is None and interaction.guild_id is not None:
            async with self._sessions() as session:
                pinned = (await get_settings(session, interaction.guild_id)).language
        guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
        return choose_locale(interaction.locale.value, pinned, guild_locale)
