"""/settings: a guild's policy, viewed and changed by moderators; every change is logged.

A command that changes several settings changes them in one unit of work, with one change-log
row per setting. `/settings block` works on the one store of member blocks, the one a notice's
buttons and strikes write too: it blocks for good, and lifts any block, whoever made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import utcnow
from bot.db.models import GuildSettings, MemberBlock
from bot.db.policy import change_setting, get_settings, log_change, settings_changes
from bot.db.safety import block_in_force, block_member, blocks_in_force, unblock_all, unblock_member
from bot.errors import InvalidRequest
from bot.flow.accounts import Accounts
from bot.flow.catalog import ModelCatalog
from bot.flow.filters import WordFilters
from bot.flow.locales import Locales
from bot.flow.styles import Styles
from bot.i18n import LANGUAGE_NAMES, Text, _
from bot.surface.api_key_form import ApiKeyModal
from bot.surface.checks import ModeratorCog, guild_of, moderator_group
from bot.surface.errors import ErrorReporter
from bot.surface.options import choices
from bot.surface.settings_card import add_the_rest, describe_settings
from bot.wordfilter import looks_as_typed

ACTIONS = [app_commands.Choice(name=name, value=name) for name in ("add", "remove", "clear")]
LANGUAGE_CHOICES = [app_commands.Choice(name="auto", value="auto")] + [
    app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()
]


def edit_list(values: list[int], action: str, item: int | None) -> list[int]:
    if action == "clear":
        return []
    if item is None:
        raise InvalidRequest(_("Say which one to {action}.", action=_(action)))
    if action == "add":
        return values if item in values else [*values, item]
    return [value for value in values if value != item]


def block_state(block: MemberBlock | None) -> str | None:
    """A block as the change log keeps it: None, "for good", or when it ends."""
    if block is None:
        return None
    return "for good" if block.until is None else block.until.isoformat(timespec="seconds")


def shown(pattern: str) -> str:
    """A word filter as a moderator's answer shows it: bold, its markdown escaped."""
    return f"**{discord.utils.escape_markdown(pattern)}**"


class Settings(ModeratorCog):
    settings = moderator_group("settings", "This server's image bot policy")

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        locales: Locales,
        catalog: ModelCatalog,
        accounts: Accounts,
        errors: ErrorReporter,
        styles: Styles,
        filters: WordFilters,
    ) -> None:
        self.sessions = sessions
        self.styles = styles
        self.filters = filters
        self.locales = locales
        self.catalog = catalog
        self.accounts = accounts
        self.errors = errors

    async def _change(self, interaction: discord.Interaction, changes: dict[str, Any]) -> None:
        async with self.sessions() as session:
            for setting, value in changes.items():
                await change_setting(session, guild_of(interaction), interaction.user.id, setting, value)
            await session.commit()
            current = await get_settings(session, guild_of(interaction))
            blocks = await blocks_in_force(session, guild_of(interaction), utcnow())
        await self._saved(interaction, current, blocks)

    async def _edit_list(self, interaction: discord.Interaction, setting: str, action: str, item: int | None) -> None:
        """Add to, remove from or clear one list setting, read and written in one session."""
        async with self.sessions() as session:
            current = getattr(await get_settings(session, guild_of(interaction)), setting)
            await change_setting(
                session, guild_of(interaction), interaction.user.id, setting, edit_list(current, action, item)
            )
            await session.commit()
            settings = await get_settings(session, guild_of(interaction))
            blocks = await blocks_in_force(session, guild_of(interaction), utcnow())
        await self._saved(interaction, settings, blocks)

    async def _saved(self, interaction: discord.Interaction, current: GuildSettings, blocks: list[MemberBlock]) -> None:
        locale = await self.locales.for_interaction(interaction, current)
        await interaction.response.send_message(
            _("Saved.").render(locale),
            embed=describe_settings(current, locale, blocks=blocks),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @settings.command(name="show", description="The current settings and the latest changes")
    async def show(self, interaction: discord.Interaction) -> None:
        async with self.sessions() as session:
            current = await get_settings(session, guild_of(interaction))
            changes = await settings_changes(session, guild_of(interaction), limit=5)
            key = await self.accounts.describe(session, guild_of(interaction))
            styles = await self.styles.listing(session, guild_of(interaction))
            patterns = await self.filters.listing(session, guild_of(interaction))
            blocks = await blocks_in_force(session, guild_of(interaction), utcnow())
        locale = await self.locales.for_interaction(interaction, current)
        embed = describe_settings(current, locale, key, blocks=blocks)
        add_the_rest(embed, locale, styles=styles, patterns=patterns, changes=changes)
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
    @app_commands.describe(
        action="Block a member for good, lift a member's block, or lift every block", member="The member"
    )
    @app_commands.choices(action=ACTIONS)
    async def block(self, interaction: discord.Interaction, action: str, member: discord.User | None = None) -> None:
        """Blocks for good, or lifts blocks, whoever made them (a notice, strikes, a moderator);
        each block changed is logged as `block <member>`."""
        if action != "clear" and member is None:
            raise InvalidRequest(_("Say which one to {action}.", action=_(action)))
        guild_id, moderator, now = guild_of(interaction), interaction.user.id, utcnow()
        async with self.sessions() as session:
            if action == "add":
                assert member is not None
                await self._block_for_good(session, guild_id, member.id, moderator, now)
            else:
                await self._lift(
                    session, guild_id, member.id if action == "remove" and member else None, moderator, now
                )
            await session.commit()
            current = await get_settings(session, guild_id)
            blocks = await blocks_in_force(session, guild_id, now)
        await self._saved(interaction, current, blocks)

    @staticmethod
    async def _block_for_good(
        session: AsyncSession, guild_id: int, user_id: int, moderator: int, now: datetime
    ) -> None:
        """Block the member for good in place of any block they have, and log it."""
        before = block_state(await block_in_force(session, guild_id, user_id, now))
        await block_member(session, guild_id, user_id, until=None, reason="moderator", blocked_by=moderator, now=now)
        log_change(session, guild_id, moderator, f"block {user_id}", before, "for good")

    @staticmethod
    async def _lift(session: AsyncSession, guild_id: int, user_id: int | None, moderator: int, now: datetime) -> None:
        """Lift the member's block, or every block here (None), whoever made it; log each that was in force."""
        if user_id is None:
            lifted = await blocks_in_force(session, guild_id, now)
            await unblock_all(session, guild_id)
        else:
            before = await block_in_force(session, guild_id, user_id, now)
            lifted = [] if before is None else [before]
            await unblock_member(session, guild_id, user_id)
        for block in lifted:
            log_change(session, guild_id, moderator, f"block {block.user_id}", block_state(block), None)

    @settings.command(name="retention", description="Redact prompts older than this many days; 0 keeps them")
    @app_commands.describe(days="Days to keep prompts")
    async def retention(self, interaction: discord.Interaction, days: app_commands.Range[int, 0, 3650]) -> None:
        await self._change(interaction, {"prompt_retention_days": days or None})

    @settings.command(name="language", description="The language for members whose own Discord language the bot lacks")
    @app_commands.describe(language="auto follows each member's Discord language")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(self, interaction: discord.Interaction, language: str) -> None:
        await self._change(interaction, {"language": None if language == "auto" else language})

    @settings.command(name="api-key", description="Use this server's own image service key (opens a private form)")
    async def api_key(self, interaction: discord.Interaction) -> None:
        self.accounts.require_vault()
        locale = await self.locales.for_interaction(interaction)
        await interaction.response.send_modal(
            ApiKeyModal(
                accounts=self.accounts, sessions=self.sessions, locales=self.locales, errors=self.errors, locale=locale
            )
        )

    @settings.command(name="api-key-remove", description="Forget this server's own key and use the bot's again")
    async def api_key_remove(self, interaction: discord.Interaction) -> None:
        removed = await self.accounts.remove_key(guild_of(interaction), interaction.user.id)
        locale = await self.locales.for_interaction(interaction)
        if removed is None:
            message = _("This server has no key of its own; it uses the bot's.")
        else:
            message = _("Removed the key ending {last_four}. This server uses the bot's key again.", last_four=removed)
        await interaction.response.send_message(message.render(locale), ephemeral=True)

    @settings.command(name="style-add", description="Add a style members can pick in /imagine, or change one")
    @app_commands.describe(name="What members pick, like pixel art", template="The prompt, with {prompt} for theirs")
    async def style_add(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 32],
        template: app_commands.Range[str, 1, 1000],
    ) -> None:
        key = await self.styles.add(guild_of(interaction), interaction.user.id, name, template)
        locale = await self.locales.for_interaction(interaction)
        saved = _("Saved the style {name}. Members can pick it in /imagine.", name=discord.utils.escape_markdown(key))
        await interaction.response.send_message(saved.render(locale), ephemeral=True)

    @settings.command(name="style-remove", description="Remove one of this server's styles")
    @app_commands.describe(name="The style to remove")
    async def style_remove(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 32]) -> None:
        removed = await self.styles.remove(guild_of(interaction), interaction.user.id, name)
        locale = await self.locales.for_interaction(interaction)
        shown = discord.utils.escape_markdown(name)
        message = (
            _("Removed the style {name}.", name=shown) if removed else _("There is no style {name} here.", name=shown)
        )
        await interaction.response.send_message(message.render(locale), ephemeral=True)

    @style_remove.autocomplete("name")
    async def _complete_own_style(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        async with self.sessions() as session:
            own = [style.name for style in await self.styles.listing(session, guild_of(interaction))]
        return choices(own, current)

    @settings.command(name="spoiler", description="Hide every result here behind a spoiler, or only when asked")
    @app_commands.describe(when="always: every result; off: only when a member asks with spoiler:true")
    @app_commands.choices(when=[app_commands.Choice(name=name, value=name) for name in ("always", "off")])
    async def spoiler(self, interaction: discord.Interaction, when: str) -> None:
        await self._change(interaction, {"spoiler_always": when == "always"})

    @settings.command(name="drafts", description="Make every /imagine a fast, cheap draft first, with Enhance")
    @app_commands.describe(when="on: /imagine drafts unless a member says draft:false; off: only when asked")
    @app_commands.choices(when=[app_commands.Choice(name=name, value=name) for name in ("on", "off")])
    async def drafts(self, interaction: discord.Interaction, when: str) -> None:
        await self._change(interaction, {"drafts": when == "on"})

    @settings.command(name="filter-add", description="Refuse prompts with this text; * is any letters within a word")
    @app_commands.describe(pattern="Plain text like dragon or dra*on; case and look-alike letters do not matter")
    async def filter_add(self, interaction: discord.Interaction, pattern: app_commands.Range[str, 1, 100]) -> None:
        key, added = await self.filters.add(guild_of(interaction), interaction.user.id, pattern)
        done = _("Added the filter {pattern}. Prompts that contain it are refused here.", pattern=shown(key))
        already = _("This server has the filter {pattern} already.", pattern=shown(key))
        if not looks_as_typed(pattern, key):
            done, already = (self._kept_as(said, pattern) for said in (done, already))
        await self._filter_changed(interaction, key, added, done=done, already=already)

    @staticmethod
    def _kept_as(said: Text, pattern: str) -> Text:
        """A filter answer that also says what the moderator typed, where the key reads otherwise."""
        return _(
            "{said} (You typed {typed}: look-alike letters, digits for letters and punctuation inside words "
            "are read as the letters they stand for, in prompts and filters alike.)",
            said=said,
            typed=shown(pattern),
        )

    @settings.command(name="filter-remove", description="Remove one of this server's word filters")
    @app_commands.describe(pattern="The filter to remove")
    async def filter_remove(self, interaction: discord.Interaction, pattern: app_commands.Range[str, 1, 100]) -> None:
        key, removed = await self.filters.remove(guild_of(interaction), interaction.user.id, pattern)
        await self._filter_changed(
            interaction,
            key,
            removed,
            done=_("Removed the filter {pattern}.", pattern=shown(key)),
            already=_("There is no filter {pattern} here.", pattern=shown(key)),
        )

    async def _filter_changed(
        self, interaction: discord.Interaction, key: str, changed: bool, *, done: Text, already: Text
    ) -> None:
        locale = await self.locales.for_interaction(interaction)
        await interaction.response.send_message((done if changed else already).render(locale), ephemeral=True)

    @filter_remove.autocomplete("pattern")
    async def _complete_filter(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        async with self.sessions() as session:
            return choices(await self.filters.listing(session, guild_of(interaction)), current)

    @settings.command(name="moderation", description="How strict the image service is in age-restricted channels")
    @app_commands.describe(
        level="low: less strict, only in age-restricted channels; auto: the service's default everywhere"
    )
    @app_commands.choices(level=[app_commands.Choice(name=name, value=name) for name in ("auto", "low")])
    async def moderation(self, interaction: discord.Interaction, level: str) -> None:
        await self._change(interaction, {"moderation_level": level})

    @settings.command(name="alerts", description="Where moderators hear of budgets, flagged requests and the key")
    @app_commands.describe(channel="The channel for the bot's notices to moderators")
    async def alerts(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await self._change(interaction, {"alert_channel_id": channel.id})
