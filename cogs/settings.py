"""/settings: a guild's policy, viewed and changed by moderators; every change is logged.

A command that changes several settings changes them in one unit of work, with one change-log
row per setting.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import GuildSettings
from bot.db.policy import change_setting, get_settings, settings_changes
from bot.errors import InvalidRequest
from bot.flow.catalog import ModelCatalog
from bot.flow.locales import Locales
from bot.i18n import LANGUAGE_NAMES, Text, _
from bot.surface.checks import ModeratorCog

ACTIONS = [app_commands.Choice(name=name, value=name) for name in ("add", "remove", "clear")]
LANGUAGE_CHOICES = [app_commands.Choice(name="auto", value="auto")] + [
    app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()
]


def describe_settings(settings: GuildSettings, locale: str) -> discord.Embed:
    def listing(values: list[Any], render, empty: Text) -> str:
        return ", ".join(render(value) for value in values) if values else empty.render(locale)

    def add(name: Text, value: str) -> None:
        embed.add_field(name=name.render(locale), value=value)

    embed = discord.Embed(title=_("Image bot settings").render(locale), colour=discord.Colour.blurple())
    add(_("Images per member per day"), str(settings.images_per_day or _("no limit").render(locale)))
    add(
        _("Cooldown"),
        _("{seconds} s", seconds=settings.cooldown_seconds).render(locale)
        if settings.cooldown_seconds
        else _("none").render(locale),
    )
    budget = f"${settings.monthly_budget_usd:.2f}" if settings.monthly_budget_usd else _("no budget").render(locale)
    if settings.monthly_budget_usd and settings.alert_channel_id:
        budget += _(", alerts in {channel}", channel=f"<#{settings.alert_channel_id}>").render(locale)
    add(_("Monthly budget"), budget)
    add(_("Models"), listing(settings.allowed_models, lambda name: f"`{name}`", _("any")))
    add(_("Sizes"), listing(settings.allowed_sizes, str, _("any")))
    add(_("Channels"), listing(settings.channel_ids, lambda channel: f"<#{channel}>", _("any")))
    add(_("Roles exempt from limits"), listing(settings.exempt_role_ids, lambda role: f"<@&{role}>", _("none")))
    add(_("Blocked members"), listing(settings.blocked_user_ids, lambda user: f"<@{user}>", _("none")))
    add(
        _("Prompts kept for"),
        _("{days} days", days=settings.prompt_retention_days).render(locale)
        if settings.prompt_retention_days
        else _("ever").render(locale),
    )
    add(_("Language"), LANGUAGE_NAMES.get(settings.language or "", _("each member's own").render(locale)))
    return embed


def edit_list(values: list[int], action: str, item: int | None) -> list[int]:
    if action == "clear":
        return []
    if item is None:
        raise InvalidRequest(_("Say which one to {action}.", action=_(action)))
    if action == "add":
        return values if item in values else [*values, item]
    return [value for value in values if value != item]


class Settings(ModeratorCog):
    settings = app_commands.Group(
        name="settings",
        description="This server's image bot policy",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, sessions: async_sessionmaker[AsyncSession], locales: Locales, catalog: ModelCatalog) -> None:
        self.sessions = sessions
        self.locales = locales
        self.catalog = catalog

    async def _change(self, interaction: discord.Interaction, changes: dict[str, Any]) -> None:
        async with self.sessions() as session:
            for setting, value in changes.items():
                await change_setting(session, interaction.guild_id, interaction.user.id, setting, value)
            await session.commit()
            current = await get_settings(session, interaction.guild_id)
        await self._saved(interaction, current)

    async def _edit_list(self, interaction: discord.Interaction, setting: str, action: str, item: int | None) -> None:
        """Add to, remove from or clear one list setting, read and written in one session."""
        async with self.sessions() as session:
            current = getattr(await get_settings(session, interaction.guild_id), setting)
            await change_setting(
                session, interaction.guild_id, interaction.user.id, setting, edit_list(current, action, item)
            )
            await session.commit()
            settings = await get_settings(session, interaction.guild_id)
        await self._saved(interaction, settings)

    async def _saved(self, interaction: discord.Interaction, current: GuildSettings) -> None:
        locale = await self.locales.for_interaction(interaction, current)
        await interaction.response.send_message(
            _("Saved.").render(locale),
            embed=describe_settings(current, locale),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @settings.command(name="show", description="The current settings and the latest changes")
    async def show(self, interaction: discord.Interaction) -> None:
        async with self.sessions() as session:
            current = await get_settings(session, interaction.guild_id)
            changes = await settings_changes(session, interaction.guild_id, limit=5)
        locale = await self.locales.for_interaction(interaction, current)
        embed = describe_settings(current, locale)
        history = "\n".join(
            f"{discord.utils.format_dt(change.created_at, 'R')} <@{change.user_id}> "
            f"`{change.setting}`: {change.old_value!r} → {change.new_value!r}"
            for change in changes
        )
        embed.add_field(
            name=_("Latest changes").render(locale), value=history[:1024] or _("none yet").render(locale), inline=False
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @settings.command(name="limits", description="Per-member limits; 0 removes a limit")
    @app_commands.describe(
        images_per_day="Images each member may make per day (UTC)",
        cooldown_seconds="Seconds a member waits between requests",
    )
    async def limits(
        self,
        interaction: discord.Interaction,
        images_per_day: app_commands.Range[int, 0, 10000] | None = None,
        cooldown_seconds: app_commands.Range[int, 0, 86400] | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if images_per_day is not None:
            changes["images_per_day"] = images_per_day or None
        if cooldown_seconds is not None:
            changes["cooldown_seconds"] = cooldown_seconds or None
        if not changes:
            raise InvalidRequest(_("Give images_per_day, cooldown_seconds, or both."))
        await self._change(interaction, changes)

    @settings.command(name="budget", description="A monthly budget in USD; 0 removes it")
    @app_commands.describe(
        monthly_usd="The most the server may spend per month (UTC)", alert_channel="Where to warn at 80% and 100%"
    )
    async def budget(
        self,
        interaction: discord.Interaction,
        monthly_usd: app_commands.Range[float, 0, 1_000_000],
        alert_channel: discord.TextChannel | None = None,
    ) -> None:
        changes: dict[str, Any] = {"monthly_budget_usd": monthly_usd or None}
        if alert_channel is not None:
            changes["alert_channel_id"] = alert_channel.id
        await self._change(interaction, changes)

    @settings.command(name="models", description="Which models members may use")
    @app_commands.describe(allowed='Comma-separated model names, or "all"')
    async def models(self, interaction: discord.Interaction, allowed: str) -> None:
        names = (
            [] if allowed.strip().lower() == "all" else [name.strip() for name in allowed.split(",") if name.strip()]
        )
        unknown = [name for name in names if name not in self.catalog.offered]
        if unknown:
            raise InvalidRequest(
                _(
                    "Not offered by this bot: {unknown}. Choose from: {models}.",
                    unknown=", ".join(unknown),
                    models=", ".join(self.catalog.offered),
                )
            )
        await self._change(interaction, {"allowed_models": names})

    @settings.command(name="sizes", description="Which sizes members may ask for")
    @app_commands.describe(allowed='Comma-separated sizes like 1024x1024, or "all"')
    async def sizes(self, interaction: discord.Interaction, allowed: str) -> None:
        sizes = (
            [] if allowed.strip().lower() == "all" else [size.strip() for size in allowed.split(",") if size.strip()]
        )
        bad = [size for size in sizes if size != "auto" and not all(part.isdigit() for part in size.split("x", 1))]
        if bad:
            raise InvalidRequest(_("Sizes look like 1024x1024 or auto; these don't: {sizes}.", sizes=", ".join(bad)))
        await self._change(interaction, {"allowed_sizes": sizes})

    @settings.command(name="channels", description="Channels where the bot works (none: everywhere)")
    @app_commands.describe(action="Add or remove a channel, or clear the list", channel="The channel")
    @app_commands.choices(action=ACTIONS)
    async def channels(
        self, interaction: discord.Interaction, action: str, channel: discord.TextChannel | None = None
    ) -> None:
        await self._edit_list(interaction, "channel_ids", action, channel.id if channel else None)

    @settings.command(name="exempt", description="Roles exempt from per-member limits")
    @app_commands.describe(action="Add or remove a role, or clear the list", role="The role")
    @app_commands.choices(action=ACTIONS)
    async def exempt(self, interaction: discord.Interaction, action: str, role: discord.Role | None = None) -> None:
        await self._edit_list(interaction, "exempt_role_ids", action, role.id if role else None)

    @settings.command(name="block", description="Members who may not use the bot here")
    @app_commands.describe(action="Block or unblock a member, or clear the list", member="The member")
    @app_commands.choices(action=ACTIONS)
    async def block(self, interaction: discord.Interaction, action: str, member: discord.User | None = None) -> None:
        await self._edit_list(interaction, "blocked_user_ids", action, member.id if member else None)

    @settings.command(name="retention", description="Redact prompts older than this many days; 0 keeps them")
    @app_commands.describe(days="Days to keep prompts")
    async def retention(self, interaction: discord.Interaction, days: app_commands.Range[int, 0, 3650]) -> None:
        await self._change(interaction, {"prompt_retention_days": days or None})

    @settings.command(name="language", description="The language for members whose own Discord language the bot lacks")
    @app_commands.describe(language="auto follows each member's Discord language")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(self, interaction: discord.Interaction, language: str) -> None:
        await self._change(interaction, {"language": None if language == "auto" else language})
