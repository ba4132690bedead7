"""A guild's policy applied to each request: who and where, what, how often, how much.

`admit` runs before any provider call and reserves the request's images against the member's
daily limit and its estimated cost against the guild's monthly budget, with conditional
updates that hold across processes. `settle` replaces the reservation with what the request
really cost and says when the budget crossed 80% or 100%; `release` gives a failed request's
reservation back; `quota` reads what a member has used and has left, for /quota. Each takes
the caller's session; the caller commits its unit of work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import discord
from sqlalchemy.ext.asyncio import AsyncSession

from bot.billing.prices import PriceTable
from bot.billing.usage import guild_scope
from bot.clock import aware
from bot.db.models import GuildSettings, MemberBlock, UsageRecord
from bot.db.policy import (
    add_to_counter,
    counter_value,
    get_settings,
    last_request_at,
    mark_budget_alert,
    mark_notice,
)
from bot.db.safety import block_in_force, filter_patterns
from bot.errors import Blocked, Filtered, InvalidRequest, LimitReached
from bot.i18n import Text, _
from bot.images import ImagesResult, ModelSpec, TokenUsage
from bot.wordfilter import first_match

log = logging.getLogger(__name__)

BUDGET = "budget"
PERSONAL = 0  # the counters' guild for personal use: DMs, and servers where only the member installed the app
ALERT_PERCENTS = (100, 80)


def images_subject(user_id: int) -> str:
    return f"images:{user_id}"


def day_period(now: datetime) -> str:
    return now.strftime("%Y-%m-%d")


def month_period(now: datetime) -> str:
    return now.strftime("%Y-%m")


def next_day(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def next_month(now: datetime) -> datetime:
    return datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Requester:
    """Who asks, and where: what the policy needs to know of an interaction."""

    guild_id: int | None
    channel_id: int | None
    user_id: int
    role_ids: frozenset[int] = frozenset()

    @classmethod
    def from_interaction(cls, interaction: discord.Interaction) -> Requester:
        roles = getattr(interaction.user, "roles", [])
        return cls(
            guild_scope(interaction), interaction.channel_id, interaction.user.id, frozenset(role.id for role in roles)
        )

    def exempt(self, settings: GuildSettings) -> bool:
        return bool(self.role_ids & set(settings.exempt_role_ids))


QUOTA_NOTICE_QUIET = timedelta(hours=1)


@dataclass(frozen=True)
class ModeratorNotice:
    """Something a guild's moderators should hear in their alert channel: the budget crossed a
    threshold this month, or the bot's image credit ran out."""

    channel_id: int
    parts: tuple[Text, ...]

    def render(self, locale: str) -> str:
        return " ".join(part.render(locale) for part in self.parts)


@dataclass(frozen=True)
class Quota:
    """What a member has used and has left in a guild at `at`, as the policy counts it: their
    block, today's images against their daily limit, the cooldown, and the guild's monthly budget."""

    at: datetime
    block: MemberBlock | None
    exempt: bool  # the member's role is exempt from the daily limit and the cooldown
    images_used: float
    images_per_day: int | None  # None: no daily limit holds for the member (none set, or exempt)
    next_request: datetime | None  # when the cooldown lets them ask again; None: no cooldown holds
    budget_usd: float | None  # the guild's monthly budget; None: none set
    spent_usd: float

    @property
    def images_left(self) -> int | None:
        """Images the member may still make today; None without a daily limit."""
        if self.images_per_day is None:
            return None
        return max(0, self.images_per_day - int(self.images_used))

    @property
    def budget_percent(self) -> float | None:
        """How much of the monthly budget is spent, in percent; None without a budget."""
        return self.spent_usd / self.budget_usd * 100 if self.budget_usd else None

    @property
    def images_reset(self) -> datetime:
        return next_day(self.at)

    @property
    def budget_reset(self) -> datetime:
        return next_month(self.at)


def check_channel(settings: GuildSettings, requester: Requester) -> None:
    """The channels the bot is limited to."""
    if settings.channel_ids and requester.channel_id not in settings.channel_ids:
        channels = ", ".join(f"<#{channel_id}>" for channel_id in settings.channel_ids)
        raise InvalidRequest(_("This bot works in {channels} on this server. Try there.", channels=channels))


def block_refusal(block: MemberBlock) -> Text:
    """What a blocked member is told, when they ask and in /quota: for good, or until when."""
    if block.until is None:
        return _("A moderator has blocked you from using this bot here.")
    ends = discord.utils.format_dt(aware(block.until), "R")
    return _("You are blocked from using this bot here; the block ends {when}.", when=ends)


async def check_block(session: AsyncSession, requester: Requester, now: datetime) -> None:
    """A block a moderator or strikes set, while it lasts."""
    assert requester.guild_id is not None
    block = await block_in_force(session, requester.guild_id, requester.user_id, now)
    if block is not None:
        raise Blocked(block_refusal(block))


def choose_size(settings: GuildSettings, spec: ModelSpec, size: str | None) -> str | None:
    """The size to ask for: the member's, or the first allowed one the model makes when sizes are
    limited and the member gave none. Refuses models and sizes the guild does not allow."""
    if settings.allowed_models and spec.name not in settings.allowed_models:
        raise InvalidRequest(
            _(
                "`{model}` is not allowed here. Allowed: {allowed}.",
                model=spec.name,
                allowed=", ".join(settings.allowed_models),
            )
        )
    if not settings.allowed_sizes:
        return size
    if size is None:
        size = next((allowed for allowed in settings.allowed_sizes if spec.size_problem(allowed) is None), None)
        if size is None:
            raise InvalidRequest(
                _(
                    "`{model}` makes none of the sizes allowed here ({allowed}). Pick another model.",
                    model=spec.name,
                    allowed=", ".join(settings.allowed_sizes),
                )
            )
    if size not in settings.allowed_sizes:
        raise InvalidRequest(
            _(
                "Size {size} is not allowed here. Allowed: {allowed}.",
                size=size,
                allowed=", ".join(settings.allowed_sizes),
            )
        )
    return size


async def _reserve_images(
    session: AsyncSession, scope: int, requester: Requester, record: UsageRecord, n: int, limit: int | None
) -> None:
    """Reserve `n` of the member's daily images in `scope` (a guild, or PERSONAL), within `limit`."""
    now = aware(record.created_at)
    subject = images_subject(requester.user_id)
    if await add_to_counter(session, scope, subject, day_period(now), n, limit):
        return
    used = await counter_value(session, scope, subject, day_period(now))
    values = {"limit": limit, "used": f"{used:g}", "when": discord.utils.format_dt(next_day(now), "R")}
    if scope == PERSONAL:
        message = _(
            "That would go over your {limit} images a day outside servers (you have used {used}). "
            "Your limit resets {when}.",
            **values,
        )
    else:
        message = _(
            "That would go over your {limit} images a day here (you have used {used}). Your limit resets {when}.",
            **values,
        )
    raise LimitReached(message, "daily_limit")


def scope_of(record: UsageRecord) -> int:
    """The guild whose counters a row counts against (PERSONAL for personal use)."""
    return record.guild_id if record.guild_id is not None else PERSONAL


class Policy:
    def __init__(self, prices: PriceTable, *, personal_images_per_day: int) -> None:
        """`personal_images_per_day`: each member's daily images outside guilds that added the bot
        (`limits.dm_images_per_day`; 0 allows no personal use)."""
        self.prices = prices
        self.personal_images_per_day = personal_images_per_day

    async def admit(
        self,
        session: AsyncSession,
        requester: Requester,
        record: UsageRecord,
        spec: ModelSpec,
        size: str | None,
        quality: str | None,
        n: int,
        *,
        prompt: str | None = None,
    ) -> str | None:
        """Refuse what the guild's policy does not allow; reserve images and budget for the rest.
        The checks of `precheck` come first (again, for a request prechecked); then models and
        sizes, and the reservations. Returns the size to ask for (see `choose_size`). `record`
        must have its id."""
        if requester.guild_id is None:
            await self._reserve_personal(session, requester, record, n)
            return size
        settings = await self._prechecked(session, requester, record, prompt)
        size = choose_size(settings, spec, size)
        exempt = requester.exempt(settings)
        estimate = self.prices.estimate(spec.name, size or spec.default_size or spec.sizes[0], quality, n)
        await self._reserve(session, requester, record, settings, n, estimate, exempt)
        record.reserved_images, record.reserved_usd = n, estimate
        record.size = size
        return size

    async def admit_description(
        self, session: AsyncSession, requester: Requester, record: UsageRecord, estimate: float
    ) -> None:
        """A request that makes no image (a description of one): the checks of `precheck`, then one
        of the member's daily images and `estimate` of the guild's budget reserved, as for an image."""
        if requester.guild_id is None:
            await self._reserve_personal(session, requester, record, 1)
            return
        settings = await self._prechecked(session, requester, record, None)
        await self._reserve(session, requester, record, settings, 1, estimate, requester.exempt(settings))
        record.reserved_images, record.reserved_usd = 1, estimate

    @staticmethod
    async def quota(session: AsyncSession, requester: Requester, now: datetime) -> Quota:
        """The member's `Quota` in their guild at `now`, from the counters `admit` and `settle`
        keep, the block store and their latest request; reads only."""
        assert requester.guild_id is not None
        guild_id, user_id = requester.guild_id, requester.user_id
        settings = await get_settings(session, guild_id)
        exempt = requester.exempt(settings)
        last = await last_request_at(session, guild_id, user_id, None)
        cooldown = settings.cooldown_seconds if not exempt else 0
        return Quota(
            at=now,
            block=await block_in_force(session, guild_id, user_id, now),
            exempt=exempt,
            images_used=await counter_value(session, guild_id, images_subject(user_id), day_period(now)),
            images_per_day=None if exempt else settings.images_per_day or None,
            next_request=aware(last) + timedelta(seconds=cooldown) if cooldown and last is not None else None,
            budget_usd=settings.monthly_budget_usd or None,
            spent_usd=await counter_value(session, guild_id, BUDGET, month_period(now)),
        )

    async def precheck(
        self, session: AsyncSession, requester: Requester, record: UsageRecord, prompt: str | None
    ) -> None:
        """The refusals that reserve nothing: the guild's word filters on the final `prompt`, then
        blocks and channels, then the cooldown (nothing, outside a guild). A way in that answers in
        public runs them before it posts anything, so that a refusal costs one message."""
        if requester.guild_id is not None:
            await self._prechecked(session, requester, record, prompt)

    async def _prechecked(
        self, session: AsyncSession, requester: Requester, record: UsageRecord, prompt: str | None
    ) -> GuildSettings:
        """`precheck` in a guild; returns its settings."""
        assert requester.guild_id is not None
        if prompt and (pattern := first_match(await filter_patterns(session, requester.guild_id), prompt)):
            record.flags = pattern
            raise Filtered(_("This server's word filter does not allow that prompt. Try other words."), pattern)
        settings = await get_settings(session, requester.guild_id)
        await check_block(session, requester, aware(record.created_at))
        check_channel(settings, requester)
        if settings.cooldown_seconds and not requester.exempt(settings):
            await self._check_cooldown(session, requester, record, settings.cooldown_seconds)
        return settings

    async def _reserve_personal(self, session: AsyncSession, requester: Requester, record: UsageRecord, n: int) -> None:
        """Personal use: the member's own daily images, the same across DMs and servers."""
        if self.personal_images_per_day == 0:
            raise InvalidRequest(_("This bot only works in servers that have added it."))
        await _reserve_images(session, PERSONAL, requester, record, n, self.personal_images_per_day)
        record.reserved_images = n

    @staticmethod
    async def _check_cooldown(session: AsyncSession, requester: Requester, record: UsageRecord, seconds: int) -> None:
        assert requester.guild_id is not None
        last = await last_request_at(session, requester.guild_id, requester.user_id, record.id)
        if last is not None and (ready := last + timedelta(seconds=seconds)) > aware(record.created_at):
            raise LimitReached(
                _("Slow down: you can ask again {when}.", when=discord.utils.format_dt(ready, "R")), "cooldown"
            )

    @staticmethod
    async def _reserve(
        session: AsyncSession,
        requester: Requester,
        record: UsageRecord,
        settings: GuildSettings,
        n: int,
        estimate: float,
        exempt: bool,
    ) -> None:
        """Both reservations, or neither: a refusal raises, and the caller's rollback undoes the first."""
        guild_id, now = settings.guild_id, aware(record.created_at)
        await _reserve_images(session, guild_id, requester, record, n, None if exempt else settings.images_per_day)
        budget = settings.monthly_budget_usd
        if not await add_to_counter(session, guild_id, BUDGET, month_period(now), estimate, budget):
            raise LimitReached(
                _(
                    "This server's monthly image budget ({budget}) is used up. It resets {when}.",
                    budget=f"${budget:.2f}",
                    when=discord.utils.format_dt(next_month(now), "R"),
                ),
                "budget",
            )

    @staticmethod
    async def _adjust(session: AsyncSession, record: UsageRecord, images: float, dollars: float) -> None:
        """Change the counters of the day and month the request was made in (personal use has
        no budget)."""
        when = aware(record.created_at)
        if images:
            await add_to_counter(session, scope_of(record), images_subject(record.user_id), day_period(when), images)
        if dollars and record.guild_id is not None:
            await add_to_counter(session, record.guild_id, BUDGET, month_period(when), dollars)

    async def release(self, session: AsyncSession, record: UsageRecord) -> None:
        """Give back what a refused or failed request reserved."""
        if not (record.reserved_images or record.reserved_usd):
            return
        await self._adjust(session, record, -record.reserved_images, -record.reserved_usd)
        record.reserved_images, record.reserved_usd = 0, 0.0

    async def settle(self, session: AsyncSession, record: UsageRecord, result: ImagesResult) -> ModeratorNotice | None:
        """Count what the request really made and cost; returns an alert when the budget crossed 80% or 100%."""
        cost = self.prices.actual(record.model or "", record.size, record.quality, len(result.images), result.usage)
        return await self._settled(session, record, len(result.images), cost)

    async def settle_description(
        self, session: AsyncSession, record: UsageRecord, usage: TokenUsage | None
    ) -> ModeratorNotice | None:
        """Count a description as its one image, at what its tokens cost; an alert as for `settle`."""
        return await self._settled(session, record, 1, self.prices.actual(record.model or "", None, None, 0, usage))

    async def _settled(
        self, session: AsyncSession, record: UsageRecord, images: int, cost: float
    ) -> ModeratorNotice | None:
        record.cost_usd = cost
        await self._adjust(session, record, images - record.reserved_images, cost - record.reserved_usd)
        record.reserved_images, record.reserved_usd = 0, 0.0
        if record.guild_id is None:
            return None
        return await self._budget_alert(session, record.guild_id, month_period(aware(record.created_at)))

    @staticmethod
    async def credit_ran_out(session: AsyncSession, guild_id: int, now: datetime) -> ModeratorNotice | None:
        """The notice that the bot's image credit ran out, at most once in `QUOTA_NOTICE_QUIET` per
        guild, across processes; None when it was given lately or the guild has no alert channel."""
        channel_id = await mark_notice(session, guild_id, "quota", now, QUOTA_NOTICE_QUIET)
        if channel_id is None:
            return None
        notice = _(
            "⚠️ The bot's image credit has run out: requests here fail until the bot's operator adds "
            "credit or raises the spending limit with the image service."
        )
        return ModeratorNotice(channel_id, (notice,))

    @staticmethod
    async def guild_key_failed(
        session: AsyncSession, guild_id: int, now: datetime, *, last_four: str, out_of_credit: bool
    ) -> ModeratorNotice | None:
        """The notice that the guild's own key was refused or is out of credit, at most once in
        `QUOTA_NOTICE_QUIET` per guild, across processes; None as for `credit_ran_out`."""
        channel_id = await mark_notice(session, guild_id, "key", now, QUOTA_NOTICE_QUIET)
        if channel_id is None:
            return None
        if out_of_credit:
            notice = _(
                "⚠️ This server's own image service key (ending {last_four}) has run out of credit: "
                "requests here fail until credit is added to its account.",
                last_four=last_four,
            )
        else:
            notice = _(
                "⚠️ The image service refused this server's own key (ending {last_four}): requests here fail "
                "until a moderator sets a working key with /settings api-key, or removes it with "
                "/settings api-key-remove to use the bot's key.",
                last_four=last_four,
            )
        return ModeratorNotice(channel_id, (notice,))

    @staticmethod
    async def _budget_alert(session: AsyncSession, guild_id: int, period: str) -> ModeratorNotice | None:
        settings = await get_settings(session, guild_id)
        if not settings.monthly_budget_usd or settings.alert_channel_id is None:
            return None
        spent = await counter_value(session, guild_id, BUDGET, period)
        percent = spent / settings.monthly_budget_usd * 100
        reached = next((level for level in ALERT_PERCENTS if percent >= level), None)
        if reached is None or not await mark_budget_alert(session, guild_id, period, reached):
            return None
        alert = _(
            "⚠️ This server has used {percent}% of its {budget} monthly image budget ({spent}).",
            percent=f"{percent:.0f}",
            budget=f"${settings.monthly_budget_usd:.2f}",
            spent=f"${spent:.2f}",
        )
        refused = _("New requests are refused until next month.")
        return ModeratorNotice(settings.alert_channel_id, (alert, refused) if reached >= 100 else (alert,))
