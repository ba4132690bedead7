"""Query functions for saved references (/references). Each takes its caller's session and never
commits. Listings read names, never the images' bytes; `reference_image` reads those by id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Reference, ReferenceScope
from bot.db.statements import changed


@dataclass(frozen=True)
class ReferenceEntry:
    """A reference as listings show it: no bytes."""

    id: int
    scope: str
    name: str
    width: int
    height: int


def _usable_by(guild_id: int | None, user_id: int) -> ColumnElement[bool]:
    """References a member may use: their own, and, in a guild, the guild's."""
    own = and_(Reference.scope == ReferenceScope.MEMBER, Reference.owner_id == user_id)
    if guild_id is None:
        return own
    return or_(own, and_(Reference.scope == ReferenceScope.SERVER, Reference.owner_id == guild_id))


async def usable_references(session: AsyncSession, guild_id: int | None, user_id: int) -> list[ReferenceEntry]:
    """The member's own references, then the guild's (`guild_id` None: only their own), by name."""
    statement = (
        select(Reference.id, Reference.scope, Reference.name, Reference.width, Reference.height)
        .where(_usable_by(guild_id, user_id))
        .order_by(Reference.scope, Reference.name)  # "member" sorts before "server"
    )
    return [ReferenceEntry(*row) for row in (await session.execute(statement)).all()]


async def count_references(session: AsyncSession, scope: ReferenceScope, owner_id: int) -> int:
    statement = (
        select(func.count()).select_from(Reference).where(Reference.scope == scope, Reference.owner_id == owner_id)
    )
    return (await session.execute(statement)).scalar_one()


async def reference_named(
    session: AsyncSession, scope: ReferenceScope, owner_id: int, name: str
) -> ReferenceEntry | None:
    statement = select(Reference.id, Reference.scope, Reference.name, Reference.width, Reference.height).where(
        Reference.scope == scope, Reference.owner_id == owner_id, Reference.name == name
    )
    row = (await session.execute(statement)).one_or_none()
    return ReferenceEntry(*row) if row is not None else None


def add_reference(
    session: AsyncSession,
    *,
    scope: ReferenceScope,
    owner_id: int,
    name: str,
    data: bytes,
    width: int,
    height: int,
    created_by: int,
) -> Reference:
    """A new reference, added to the session (the name's uniqueness is the table's to enforce)."""
    reference = Reference(
        scope=scope, owner_id=owner_id, name=name, data=data, width=width, height=height, created_by=created_by
    )
    session.add(reference)
    return reference


async def remove_reference(session: AsyncSession, scope: ReferenceScope, owner_id: int, name: str) -> bool:
    """Remove a reference; whether there was one."""
    statement = delete(Reference).where(
        Reference.scope == scope, Reference.owner_id == owner_id, Reference.name == name
    )
    return await changed(session, statement) == 1


async def reference_image(session: AsyncSession, reference_id: int) -> bytes | None:
    """The saved image of the reference `reference_id`, or None when it is gone."""
    statement = select(Reference.data).where(Reference.id == reference_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def forget_member_references(session: AsyncSession, user_id: int) -> int:
    """/forget-me: the member's own references go; the servers' they saved stay, without their
    name. Returns how many of their own went."""
    removed = await changed(
        session,
        delete(Reference).where(Reference.scope == ReferenceScope.MEMBER, Reference.owner_id == user_id),
    )
    await session.execute(
        update(Reference)
        .where(Reference.created_by == user_id)
        .values(created_by=0)
        .execution_options(synchronize_session=False)
    )
    return removed
