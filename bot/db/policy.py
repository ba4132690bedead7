"""Query functions for guild policy: settings, their change log, and the usage counters.

Each takes the session of its caller's unit of work and never commits.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.db.models import (
    UNFINISHED,
    Description,
    GuildSettings,
    Job,
    KeptResult,
    ResultPreview,
    SettingsChange,
    UsageCounter,
    UsageRecord,
    UsageStatus,
)
from bot.db.statements import changed, dialect_of

COUNTED_STATUSES = (UsageStatus.PENDING, UsageStatus.OK, UsageStatus.PARTIAL)


async def get_settings(session: AsyncSession, guild_id: int) -> GuildSettings:
    """The guild's settings, or defaults (not saved) when it has none."""
    settings = await session.get(GuildSettings, guild_id)
    if settings is None:
        settings = GuildSettings(
            guild_id=guild_id,
            allowed_models=[],
            allowed_sizes=[],
            channel_ids=[],
            exempt_role_ids=[],
            budget_alert_percent=0,
            spoiler_always=False,
            drafts=False,
            moderation_level="auto",
        )
    return settings


async def change_setting(session: AsyncSession, guild_id: int, user_id: int, setting: str, value: Any) -> Any:
    """Set one setting and log who changed it from what. Returns the old value."""
    settings = await get_settings(session, guild_id)
    old = getattr(settings, setting)
    setattr(settings, setting, value)
    settings.updated_at = utcnow()
    session.add(settings)
    log_change(session, guild_id, user_id, setting, old, value)
    return old


def log_change(session: AsyncSession, guild_id: int, user_id: int, setting: str, old: Any, new: Any) -> None:
    """A row of the guild's settings change log."""
    session.add(SettingsChange(guild_id=guild_id, user_id=user_id, setting=setting, old_value=old, new_value=new))


async def settings_changes(session: AsyncSession, guild_id: int, limit: int = 10) -> list[SettingsChange]:
    statement = (
        select(SettingsChange)
        .where(SettingsChange.guild_id == guild_id)
        .order_by(SettingsChange.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def add_to_counter(
    session: AsyncSession, guild_id: int, subject: str, period: str, amount: float, limit: float | None = None
) -> bool:
    """Add `amount` to a counter in one upsert, atomic in SQLite and PostgreSQL: with a `limit`,
    nothing changes (and False is returned) if the total would exceed it."""
    if limit is not None and amount > limit + 1e-9:
        return False
    insert = postgresql_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = insert(UsageCounter).values(guild_id=guild_id, subject=subject, period=period, amount=amount)
    total = UsageCounter.amount + statement.excluded.amount
    result = await changed(
        session,
        statement.on_conflict_do_update(
            index_elements=[UsageCounter.guild_id, UsageCounter.subject, UsageCounter.period],
            set_={"amount": total},
            where=None if limit is None else total <= limit + 1e-9,
        ),
    )
    return result == 1


async def counter_value(session: AsyncSession, guild_id: int, subject: str, period: str) -> float:
    statement = select(UsageCounter.amount).where(
        UsageCounter.guild_id == guild_id, UsageCounter.subject == subject, UsageCounter.period == period
    )
    return float((await session.scalar(statement)) or 0.0)


async def last_request_at(session: AsyncSession, guild_id: int, user_id: int, excluding: int | None) -> datetime | None:
    """When the member's latest counted request in the guild began, other than `excluding`."""
    conditions = [
        UsageRecord.guild_id == guild_id,
        UsageRecord.user_id == user_id,
        UsageRecord.status.in_(COUNTED_STATUSES),
    ]
    if excluding is not None:
        conditions.append(UsageRecord.id != excluding)
    return await session.scalar(select(func.max(UsageRecord.created_at)).where(and_(*conditions)))


async def mark_budget_alert(session: AsyncSession, guild_id: int, period: str, percent: int) -> bool:
    """Record that the guild was told it reached `percent` this period; False if it already was."""
    statement = (
        update(GuildSettings)
        .where(GuildSettings.guild_id == guild_id)
        .where(
            (GuildSettings.budget_alert_period != period)
            | (GuildSettings.budget_alert_period.is_(None))
            | (GuildSettings.budget_alert_percent < percent)
        )
        .values(budget_alert_period=period, budget_alert_percent=percent)
        .execution_options(synchronize_session=False)
    )
    result = await changed(session, statement)
    return result == 1


NOTICE_COLUMNS = {"quota": GuildSettings.quota_notice_at, "key": GuildSettings.key_notice_at}


async def mark_notice(session: AsyncSession, guild_id: int, about: str, now: datetime, quiet: timedelta) -> int | None:
    """Record that the guild's moderators are told now `about` a fault ("quota": the image credit
    ran out; "key": their own key failed), unless they were told within `quiet`; returns the
    channel to tell, or None. One conditional update: processes racing tell them once."""
    told_at = NOTICE_COLUMNS[about]
    statement = (
        update(GuildSettings)
        .where(GuildSettings.guild_id == guild_id, GuildSettings.alert_channel_id.is_not(None))
        .where(told_at.is_(None) | (told_at < now - quiet))
        .values({told_at: now})
        .returning(GuildSettings.alert_channel_id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def prune_prompts(session: AsyncSession, guild_id: int, before: datetime) -> int:
    """Redact prompts older than `before` in one guild, and drop those results' previews and kept
    images (finished jobs, which copy prompts too, go a day after they end); returns how many rows
    changed."""
    old = select(UsageRecord.id).where(UsageRecord.guild_id == guild_id, UsageRecord.created_at < before)
    await session.execute(delete(ResultPreview).where(ResultPreview.usage_id.in_(old)))
    await session.execute(delete(Description).where(Description.usage_id.in_(old)))
    await session.execute(
        delete(KeptResult).where(KeptResult.guild_id == guild_id, KeptResult.created_at < before, ~KeptResult.held)
    )
    statement = (
        update(UsageRecord)
        .where(UsageRecord.guild_id == guild_id, UsageRecord.created_at < before, UsageRecord.prompt.is_not(None))
        .values(prompt=None, revised_prompt=None)
        .execution_options(synchronize_session=False)
    )
    result = await changed(session, statement)
    return result


async def guilds_with_retention(session: AsyncSession) -> list[GuildSettings]:
    statement = select(GuildSettings).where(GuildSettings.prompt_retention_days.is_not(None))
    return list((await session.scalars(statement)).all())


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Remove a member's prompts, identity, result previews and kept images from every guild's
    rows, and their finished jobs (whose params copy the prompt and the attachment links); a job
    still under way goes when it ends, with the daily pruning. Returns how many usage rows changed."""
    theirs = select(UsageRecord.id).where(UsageRecord.user_id == user_id)
    await session.execute(delete(ResultPreview).where(ResultPreview.usage_id.in_(theirs)))
    await session.execute(delete(Description).where(Description.usage_id.in_(theirs)))
    await session.execute(delete(KeptResult).where(KeptResult.user_id == user_id))
    await session.execute(delete(Job).where(Job.user_id == user_id, Job.state.not_in(UNFINISHED)))
    statement = (
        update(UsageRecord)
        .where(UsageRecord.user_id == user_id)
        .values(prompt=None, revised_prompt=None, error_detail=None, user_id=0)
        .execution_options(synchronize_session=False)
    )
    result = await changed(session, statement)
    return result


async def take_chore(session: AsyncSession, chore: str) -> bool:
    """Whether this unit of work may do `chore`: on PostgreSQL, only one process at a time holds it
    (a transaction-scoped advisory lock, let go at commit or rollback); SQLite has one process."""
    if dialect_of(session) != "postgresql":
        return True
    key = zlib.crc32(f"imagebot:{chore}".encode()) - 2**31  # a signed 32-bit key, the same in every process
    return bool((await session.execute(select(func.pg_try_advisory_xact_lock(key)))).scalar_one())
