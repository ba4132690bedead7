"""The form for a guild's own image service key: what is typed is never shown back."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.policy import get_settings
from bot.flow.accounts import Accounts
from bot.flow.locales import Locales
from bot.i18n import _
from bot.surface.checks import guild_of
from bot.surface.errors import ErrorReporter


class ApiKeyModal(discord.ui.Modal):
    """The guild's own key and, optionally, its base URL; what is typed is never shown back."""

    def __init__(
        self,
        *,
        accounts: Accounts,
        sessions: async_sessionmaker[AsyncSession],
        locales: Locales,
        errors: ErrorReporter,
        locale: str,
    ) -> None:
        super().__init__(title=_("This server's image service key").render(locale), timeout=10 * 60)
        self.accounts, self.sessions, self.locales, self.errors = accounts, sessions, locales, errors
        self.key: discord.ui.Label[Any] = discord.ui.Label(
            text=_("API key").render(locale),
            description=_("Stored encrypted; only its last four characters are ever shown.").render(locale),
            component=discord.ui.TextInput(style=discord.TextStyle.short, min_length=8, max_length=400),
        )
        self.base_url: discord.ui.Label[Any] = discord.ui.Label(
            text=_("Base URL (optional)").render(locale),
            description=_("Leave empty to use the bot's image service.").render(locale),
            component=discord.ui.TextInput(
                style=discord.TextStyle.short, required=False, max_length=300, placeholder="https://api.openai.com/v1"
            ),
        )
        self.add_item(self.key)
        self.add_item(self.base_url)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.errors.guarded(interaction, self._save(interaction))

    async def _save(self, interaction: discord.Interaction) -> None:
        key, base_url = self.key.component, self.base_url.component
        assert isinstance(key, discord.ui.TextInput) and isinstance(base_url, discord.ui.TextInput)
        if not interaction.permissions.manage_guild:  # the form outlives the command's check
            raise app_commands.MissingPermissions(["manage_guild"])
        url = base_url.value.strip().rstrip("/") or None
        last_four = await self.accounts.set_key(guild_of(interaction), interaction.user.id, key.value.strip(), url)
        async with self.sessions() as session:
            settings = await get_settings(session, guild_of(interaction))
        locale = await self.locales.for_interaction(interaction, settings)
        saved = _("Saved. This server's requests now use its own key, ending {last_four}.", last_four=last_four).render(
            locale
        )
        if settings.alert_channel_id is None:
            hint = _("Set an alert channel with /settings budget to hear if the key stops working.")
            saved += " " + hint.render(locale)
        await interaction.response.send_message(saved, ephemeral=True)
