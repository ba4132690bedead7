"""The settings card: a guild's settings as its moderators see them, in one embed that fits
Discord's limits however long the guild's lists are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

from bot.db.models import GuildSettings, GuildStyle, MemberBlock, SettingsChange
from bot.i18n import LANGUAGE_NAMES, Text, _

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


def described_block(block: MemberBlock, locale: str) -> str:
    """A block as moderators see it: the member, and until when or for good."""
    if block.until is None:
        return f"<@{block.user_id}> " + _("for good").render(locale)
    return f"<@{block.user_id}> " + _("until {when}", when=discord.utils.format_dt(block.until, "R")).render(locale)


def describe_settings(
    settings: GuildSettings,
    locale: str,
    key: tuple[str, str | None] | None = None,
    *,
    blocks: list[MemberBlock],
) -> discord.Embed:
    """The settings as moderators see them, with the `blocks` in force, whoever made them; `key`
    is the guild's own key's last four characters and base URL, when it has one. Long lists end
    in "and N more", so the answer fits Discord's limits (1,024 characters a field, 6,000 an
    embed) however many entries a guild has."""

    def listing(values: list[Any], render: Callable[[Any], str], empty: Text) -> str:
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
    add(_("Blocked members"), listing(blocks, lambda block: described_block(block, locale), _("none")))
    add(
        _("Prompts kept for"),
        _("{days} days", days=settings.prompt_retention_days).render(locale)
        if settings.prompt_retention_days
        else _("ever").render(locale),
    )
    add(_("Language"), LANGUAGE_NAMES.get(settings.language or "", _("each member's own").render(locale)))
    add(_("Spoilers"), (_("every result") if settings.spoiler_always else _("when a member asks")).render(locale))
    add(_("Drafts"), (_("every /imagine") if settings.drafts else _("when a member asks")).render(locale))
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


def add_the_rest(
    embed: discord.Embed,
    locale: str,
    *,
    styles: list[GuildStyle],
    patterns: list[str],
    changes: list[SettingsChange],
) -> None:
    """What /settings show adds to the card: styles, word filters, the latest changes."""
    listing = "\n".join(
        f"**{discord.utils.escape_markdown(style.name)}**: {discord.utils.escape_markdown(style.template)[:200]}"
        for style in styles
    )
    embed.add_field(name=_("Styles").render(locale), value=listing[:1024] or _("none yet").render(locale), inline=False)
    shown = fit_list([discord.utils.escape_markdown(pattern) for pattern in patterns], LIST_FIELD_CHARS, locale)
    embed.add_field(name=_("Word filters").render(locale), value=shown or _("none yet").render(locale), inline=False)
    history = "\n".join(
        f"{discord.utils.format_dt(change.created_at, 'R')} <@{change.user_id}> "
        f"`{change.setting}`: {change.old_value!r} → {change.new_value!r}"
        for change in changes
    )
    embed.add_field(
        name=_("Latest changes").render(locale), value=history[:1024] or _("none yet").render(locale), inline=False
    )
