"""Query functions for guilds' own API keys. Each takes its caller's session and never commits."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.db.models import GuildApiKey


async def get_guild_key(session: AsyncSession, guild_id: int) -> GuildApiKey | None:
    return await session.get(GuildApiKey, guild_id)


async def put_guild_key(
    session: AsyncSession, guild_id: int, *, sealed_key: bytes, last_four: str, base_url: str | None, set_by: int
) -> str | None:
    """Set the guild's key, replacing any it had; returns the last four characters of that one."""
    row = await session.get(GuildApiKey, guild_id)
    previous = row.last_four if row is not None else None
    row = row or GuildApiKey(guild_id=guild_id)
    row.sealed_key, row.last_four, row.base_url, row.set_by = sealed_key, last_four, base_url, set_by
    row.updated_at = utcnow()
    session.add(row)
    return previous


async def delete_guild_key(session: AsyncSession, guild_id: int) -> str | None:
    """Remove the guild's key; returns its last four characters, or None when it had none."""
    statement = delete(GuildApiKey).where(GuildApiKey.guild_id == guild_id).returning(GuildApiKey.last_four)
    return (await session.execute(statement)).scalar_one_or_none()
