"""/settings: a guild's policy, viewed and changed by moderators; every change is logged.

A command that changes several settings changes them in one unit of work, with one change-log
row per setting.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import utcnow
from bot.db.models import GuildSettings
from bot.db.policy import change_setting, get_settings, settings_changes
from bot.db.safety import blocks_in_force
from bot.errors import InvalidRequest
from bot.flow.accounts import Accounts
from bot.flow.catalog import ModelCatalog
from bot.flow.filters import WordFilters
from bot.flow.locales import Locales
from bot.flow.styles import Styles
from bot.i18n import LANGUAGE_NAMES, Text, _
from bot.surface.checks import ModeratorCog, guild_of
from bot.surface.errors import ErrorReporter
from bot.surface.options import GUILD_INSTALL, IN_GUILDS, choices

ACTIONS = [app_commands.Choice(name=name, value=name) for name in ("add", "remove", "clear")]
LANGUAGE_CHOICES = [app_commands.Choice(name="auto", value="auto")] + [
    app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()
]


LIST_FIELD_CHARS = 400  # five lists of this, the styles and the changes stay within an embed's 6,000


def fit_list(items: list[str], limit: int, locale: str) -> str:
    """`items` joined with commas, cut to `limit` characters with "and N more" at the end."""
    whole = ", ".join(items)
    if len(whole) <= limit:
        return whole
    shown: list[str] = []
    for index, item in enumerate(items):
        more = _("and {count} more", count=len(items) - index).render(locale)
        if len(", ".join([*shown, item, more])) > limit:
            return ", ".join([*shown, more])
        shown.append(item)
    return whole


def describe_settings(settings: GuildSettings, locale: str, key: tuple[str, str | None] | None = None) -> discord.Embed:
    """The settings as moderators see them; `key` is the guild's own key's last four characters
    and base URL, when it has one. Long lists end in "and N more", so the reply fits Discord's
    limits (1,024 characters a field, 6,000 an embed) however many entries a guild has."""

    def listing(values: list[Any], render, empty: Text) -> str:
        if not values:
            return empty.render(locale)
        return fit_list([render(value) for value in values], LIST_FIELD_CHARS, locale)

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
    add(_("Spoilers"), (_("every result") if settings.spoiler_always else _("when a member asks")).render(locale))
    add(_("Alerts"), f"<#{settings.alert_channel_id}>" if settings.alert_channel_id else _("none").render(locale))
    add(
        _("Image service strictness"),
        (_("low in age-restricted channels") if settings.moderation_level == "low" else _("auto")).render(locale),
    )
    if key is None:
        add(_("Image service key"), _("the bot's").render(locale))
    else:
        last_four, base_url = key
        shown = _("this server's own, ending {last_four}", last_four=last_four).render(locale)
        add(_("Image service key"), shown + (f"\n{discord.utils.escape_markdown(base_url)}" if base_url else ""))
    return embed


class ApiKeyModal(discord.ui.Modal):
    """The guild's own key and, optionally, its base URL; what is typed is never shown back."""

    def __init__(self, settings: Settings, locale: str) -> None:
        super().__init__(title=_("This server's image service key").render(locale), timeout=10 * 60)
        self.settings = settings
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
        await self.settings.errors.guarded(interaction, self._save(interaction))

    async def _save(self, interaction: discord.Interaction) -> None:
        key, base_url = self.key.component, self.base_url.component
        assert isinstance(key, discord.ui.TextInput) and isinstance(base_url, discord.ui.TextInput)
        if not interaction.permissions.manage_guild:  # the form outlives the command's check
            raise app_commands.MissingPermissions(["manage_guild"])
        url = base_url.value.strip().rstrip("/") or None
        cog = self.settings
        last_four = await cog.accounts.set_key(guild_of(interaction), interaction.user.id, key.value.strip(), url)
        async with cog.sessions() as session:
            settings = await get_settings(session, guild_of(interaction))
        locale = await cog.locales.for_interaction(interaction, settings)
        saved = _("Saved. This server's requests now use its own key, ending {last_four}.", last_four=last_four).render(
            locale
        )
        if settings.alert_channel_id is None:
            hint = _("Set an alert channel with /settings budget to hear if the key stops working.")
            saved += " " + hint.render(locale)
        await interaction.response.send_message(saved, ephemeral=True)


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
        allowed_contexts=IN_GUILDS,
        allowed_installs=GUILD_INSTALL,
        default_permissions=discord.Permissions(manage_guild=True),
    )

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
        await self._saved(interaction, current)

    async def _edit_list(self, interaction: discord.Interaction, setting: str, action: str, item: int | None) -> None:
        """Add to, remove from or clear one list setting, read and written in one session."""
        async with self.sessions() as session:
            current = getattr(await get_settings(session, guild_of(interaction)), setting)
            await change_setting(
                session, guild_of(interaction), interaction.user.id, setting, edit_list(current, action, item)
            )
            await session.commit()
            settings = await get_settings(session, guild_of(interaction))
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
            current = await get_settings(session, guild_of(interaction))
            changes = await settings_changes(session, guild_of(interaction), limit=5)
            key = await self.accounts.describe(session, guild_of(interaction))
            styles = await self.styles.listing(session, guild_of(interaction))
            patterns = await self.filters.listing(session, guild_of(interaction))
            blocks = await blocks_in_force(session, guild_of(interaction), utcnow())
        locale = await self.locales.for_interaction(interaction, current)
        embed = describe_settings(current, locale, key)
        listing = "\n".join(
            f"**{discord.utils.escape_markdown(style.name)}**: {discord.utils.escape_markdown(style.template)[:200]}"
            for style in styles
        )
        embed.add_field(
            name=_("Styles").render(locale), value=listing[:1024] or _("none yet").render(locale), inline=False
        )
        if blocks:
            listed = [
                f"<@{block.user_id}> "
                + (
                    _("until {when}", when=discord.utils.format_dt(block.until, "R")).render(locale)
                    if block.until
                    else _("for good").render(locale)
                )
                for block in blocks
            ]
            embed.add_field(
                name=_("Blocked by notices and strikes").render(locale), value=fit_list(listed, 1000, locale)
            )
        shown = fit_list([discord.utils.escape_markdown(pattern) for pattern in patterns], LIST_FIELD_CHARS, locale)
        embed.add_field(
            name=_("Word filters").render(locale), value=shown or _("none yet").render(locale), inline=False
        )
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

    @settings.command(name="api-key", description="Use this server's own image service key (opens a private form)")
    async def api_key(self, interaction: discord.Interaction) -> None:
        self.accounts.require_vault()
        locale = await self.locales.for_interaction(interaction)
        await interaction.response.send_modal(ApiKeyModal(self, locale))

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

    @settings.command(name="filter-add", description="Refuse prompts with this text; * is any letters within a word")
    @app_commands.describe(pattern="Plain text like dragon or dra*on; case and look-alike letters do not matter")
    async def filter_add(self, interaction: discord.Interaction, pattern: app_commands.Range[str, 1, 100]) -> None:
        key, added = await self.filters.add(guild_of(interaction), interaction.user.id, pattern)
        locale = await self.locales.for_interaction(interaction)
        shown = f"**{discord.utils.escape_markdown(key)}**"
        message = (
            _("Added the filter {pattern}. Prompts that contain it are refused here.", pattern=shown)
            if added
            else _("This server has the filter {pattern} already.", pattern=shown)
        )
        await interaction.response.send_message(message.render(locale), ephemeral=True)

    @settings.command(name="filter-remove", description="Remove one of this server's word filters")
    @app_commands.describe(pattern="The filter to remove")
    async def filter_remove(self, interaction: discord.Interaction, pattern: app_commands.Range[str, 1, 100]) -> None:
        key, removed = await self.filters.remove(guild_of(interaction), interaction.user.id, pattern)
        locale = await self.locales.for_interaction(interaction)
        shown = f"**{discord.utils.escape_markdown(key)}**"
        message = (
            _("Removed the filter {pattern}.", pattern=shown)
            if removed
            else _("There is no filter {pattern} here.", pattern=shown)
        )
        await interaction.response.send_message(message.render(locale), ephemeral=True)

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
