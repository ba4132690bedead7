"""Query functions for the painting page's tickets; each takes the caller's session, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import PaintTicket
from bot.db.statements import changed


async def get_ticket(session: AsyncSession, nonce: str) -> PaintTicket | None:
    return await session.get(PaintTicket, nonce)


async def claim_ticket(session: AsyncSession, nonce: str, now: datetime) -> bool:
    """Mark the ticket used; False when it was used already (by any process)."""
    statement = (
        update(PaintTicket)
        .where(PaintTicket.nonce == nonce, PaintTicket.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return (await changed(session, statement)) == 1


async def prune_tickets(session: AsyncSession, before: datetime) -> int:
    """Forget tickets made before `before`: their links have long expired."""
    result = await changed(session, delete(PaintTicket).where(PaintTicket.created_at < before))
    return result
