"""A guild's policy applied to each request: who and where, what, how often, how much.

`admit` runs before any provider call and reserves the request's images against the member's
daily limit and its estimated cost against the guild's monthly budget, with conditional
updates that hold across processes. `settle` replaces the reservation with what the request
really cost and sends budget alerts at 80% and 100%; `release` gives a failed request's
reservation back.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import discord

from bot.db.models import GuildSettings, UsageRecord
from bot.db.policy import add_to_counter, counter_value, get_settings, last_request_at, mark_budget_alert
from bot.errors import Blocked, InvalidRequest, LimitReached
from bot.i18n import _
from bot.images import ImagesResult, ModelSpec

if TYPE_CHECKING:
    from bot.app import ImageBot

log = logging.getLogger(__name__)

BUDGET = "budget"
ALERT_PERCENTS = (100, 80)


def images_subject(user_id: int) -> str:
    return f"images:{user_id}"


def day_period(now: datetime) -> str:
    return now.strftime("%Y-%m-%d")


def month_period(now: datetime) -> str:
    return now.strftime("%Y-%m")


def next_day(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=1)


def next_month(now: datetime) -> datetime:
    return datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=timezone.utc)


def is_exempt(interaction: discord.Interaction, settings: GuildSettings) -> bool:
    roles = getattr(interaction.user, "roles", [])
    return any(role.id in settings.exempt_role_ids for role in roles)


class Policy:
    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    async def admit(
        self, interaction: discord.Interaction, record: UsageRecord, spec: ModelSpec, size: str | None,
        quality: str | None, n: int,
    ) -> str | None:
        """Refuse what the guild's policy does not allow; reserve images and budget for the rest.

        Returns the size to ask for: the member's, or, when the guild limits sizes and the member
        gave none, the first allowed size the model makes.
        """
        if interaction.guild_id is None:
            return size
        guild_id, user_id = interaction.guild_id, interaction.user.id
        async with self.bot.db() as session:
            settings = await get_settings(session, guild_id)
            if user_id in settings.blocked_user_ids:
                raise Blocked(_("A moderator has blocked you from using this bot here."))
            if settings.channel_ids and interaction.channel_id not in settings.channel_ids:
                channels = ", ".join(f"<#{channel_id}>" for channel_id in settings.channel_ids)
                raise InvalidRequest(_("This bot works in {channels} on this server. Try there.", channels=channels))
            if settings.allowed_models and spec.name not in settings.allowed_models:
                raise InvalidRequest(_("`{model}` is not allowed here. Allowed: {allowed}.", model=spec.name,
                                       allowed=", ".join(settings.allowed_models)))
            if size is None and settings.allowed_sizes:
                size = next((allowed for allowed in settings.allowed_sizes if spec.size_problem(allowed) is None), None)
                if size is None:
                    raise InvalidRequest(_("`{model}` makes none of the sizes allowed here ({allowed}). Pick "
                                           "another model.", model=spec.name, allowed=", ".join(settings.allowed_sizes)))
            effective_size = size or spec.default_size or spec.sizes[0]
            if settings.allowed_sizes and effective_size not in settings.allowed_sizes:
                raise InvalidRequest(_("Size {size} is not allowed here. Allowed: {allowed}.", size=effective_size,
                                       allowed=", ".join(settings.allowed_sizes)))
            exempt = is_exempt(interaction, settings)
            now = record.created_at
            if settings.cooldown_seconds and not exempt:
                last = await last_request_at(session, guild_id, user_id, record.id)
                if last is not None:
                    last = last if last.tzinfo else last.replace(tzinfo=timezone.utc)
                    ready = last + timedelta(seconds=settings.cooldown_seconds)
                    if ready > now:
                        raise LimitReached(_("Slow down: you can ask again {when}.",
                                             when=discord.utils.format_dt(ready, "R")), "cooldown")
            estimate = self.bot.prices.estimate(spec.name, effective_size, quality, n)
            daily_limit = None if exempt else settings.images_per_day
            budget = settings.monthly_budget_usd
            if not await add_to_counter(session, guild_id, images_subject(user_id), day_period(now), n, daily_limit):
                await session.rollback()
                used = await counter_value(session, guild_id, images_subject(user_id), day_period(now))
                raise LimitReached(_("That would go over your {limit} images a day here (you have used {used}). "
                                     "Your limit resets {when}.", limit=daily_limit, used=f"{used:g}",
                                     when=discord.utils.format_dt(next_day(now), "R")), "daily_limit")
            if not await add_to_counter(session, guild_id, BUDGET, month_period(now), estimate, budget):
                await session.rollback()
                raise LimitReached(_("This server's monthly image budget ({budget}) is used up. It resets {when}.",
                                     budget=f"${budget:.2f}", when=discord.utils.format_dt(next_month(now), "R")),
                                   "budget")
            await session.commit()
        record.reserved_images, record.reserved_usd = n, estimate
        record.size = size
        return size

    async def _adjust(self, record: UsageRecord, images: float, dollars: float) -> None:
        when = record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=timezone.utc)
        async with self.bot.db() as session:
            if images:
                await add_to_counter(session, record.guild_id, images_subject(record.user_id), day_period(when), images)
            if dollars:
                await add_to_counter(session, record.guild_id, BUDGET, month_period(when), dollars)
            await session.commit()

    async def release(self, record: UsageRecord) -> None:
        """Give back what a refused or failed request reserved."""
        if record.guild_id is None or not (record.reserved_images or record.reserved_usd):
            return
        await self._adjust(record, -record.reserved_images, -record.reserved_usd)
        record.reserved_images, record.reserved_usd = 0, 0.0

    async def settle(self, record: UsageRecord, result: ImagesResult) -> None:
        """Count what the request really made and cost, then alert the guild if its budget crossed 80% or 100%."""
        record.cost_usd = self.bot.prices.actual(
            record.model or "", record.size, record.quality, len(result.images), result.usage
        )
        if record.guild_id is None:
            return
        await self._adjust(record, len(result.images) - record.reserved_images, record.cost_usd - record.reserved_usd)
        record.reserved_images, record.reserved_usd = 0, 0.0
        await self._alert_if_needed(record.guild_id)

    async def _alert_if_needed(self, guild_id: int) -> None:
        period = month_period(datetime.now(timezone.utc))
        async with self.bot.db() as session:
            settings = await get_settings(session, guild_id)
            locale = self.bot.guild_locale(settings, self.bot.get_guild(guild_id))
            if not settings.monthly_budget_usd or settings.alert_channel_id is None:
                return
            spent = await counter_value(session, guild_id, BUDGET, period)
            percent = spent / settings.monthly_budget_usd * 100
            reached = next((level for level in ALERT_PERCENTS if percent >= level), None)
            if reached is None or not await mark_budget_alert(session, guild_id, period, reached):
                return
        alert = _("⚠️ This server has used {percent}% of its {budget} monthly image budget ({spent}).",
                  percent=f"{percent:.0f}", budget=f"${settings.monthly_budget_usd:.2f}", spent=f"${spent:.2f}")
        text = alert.render(locale)
        if reached >= 100:
            text += " " + _("New requests are refused until next month.").render(locale)
        try:
            await self.bot.get_partial_messageable(settings.alert_channel_id).send(
                text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.exception("could not send the budget alert for guild %s", guild_id)
