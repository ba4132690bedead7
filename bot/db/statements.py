"""Two small helpers the query functions share: how many rows a statement changed, and which
database the session talks to."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncSession


async def changed(session: AsyncSession, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE; how many rows it changed (a conditional update's answer)."""
    result = cast("CursorResult[Any]", await session.execute(statement))
    return result.rowcount


def dialect_of(session: AsyncSession) -> str:
    """ "postgresql" or "sqlite": sessions come bound to the engine (bot/db/engine.py)."""
    bind = session.bind
    assert bind is not None, "an unbound session"
    return bind.dialect.name
