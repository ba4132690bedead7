"""Query functions for guild styles. Each takes its caller's session and never commits."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildStyle


async def guild_styles(session: AsyncSession, guild_id: int) -> list[GuildStyle]:
    statement = select(GuildStyle).where(GuildStyle.guild_id == guild_id).order_by(GuildStyle.name)
    return list((await session.scalars(statement)).all())


async def count_styles(session: AsyncSession, guild_id: int) -> int:
    statement = select(func.count()).select_from(GuildStyle).where(GuildStyle.guild_id == guild_id)
    return (await session.execute(statement)).scalar_one()


async def get_style(session: AsyncSession, guild_id: int, name: str) -> GuildStyle | None:
    return await session.get(GuildStyle, (guild_id, name))


async def put_style(session: AsyncSession, guild_id: int, name: str, template: str, created_by: int) -> str | None:
    """Add or replace a style; returns the template it replaced, if any."""
    row = await session.get(GuildStyle, (guild_id, name))
    previous = row.template if row is not None else None
    row = row or GuildStyle(guild_id=guild_id, name=name)
    row.template, row.created_by = template, created_by
    session.add(row)
    return previous


async def delete_style(session: AsyncSession, guild_id: int, name: str) -> str | None:
    """Remove a style; returns its template, or None when there was none."""
    statement = (
        delete(GuildStyle)
        .where(GuildStyle.guild_id == guild_id, GuildStyle.name == name)
        .returning(GuildStyle.template)
    )
    return (await session.execute(statement)).scalar_one_or_none()
