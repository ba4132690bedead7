"""Copy a SQLite database into a fresh PostgreSQL one (`python -m bot copy-db --to URL`).

Both databases are migrated to the latest schema first (the source as the bot itself would at its
next start: that is the one write it gets, and then it is only read); the target must hold no
rows. Every table is copied in dependency order, in batches, inside one transaction on the
target; the row counts of source and target must then agree, and each table's id sequence is
moved past the largest id copied, so that new rows never collide with copied ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.engine import migrate_to_head
from bot.db.models import Base

BATCH_ROWS = 1000


class CopyError(Exception):
    """The copy cannot be made, or did not come out whole; nothing was committed to the target."""


@dataclass(frozen=True)
class TableCopy:
    name: str
    rows: int


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


async def _copy_table(source: AsyncConnection, target: AsyncConnection, table: Table) -> int:
    copied = 0
    result = await source.stream(select(table).order_by(*table.primary_key.columns))
    async for rows in result.partitions(BATCH_ROWS):
        rows_as_dicts = [dict(row._mapping) for row in rows]  # pyright: ignore[reportPrivateUsage]  Row's documented API
        await target.execute(table.insert(), rows_as_dicts)
        copied += len(rows)
    return copied


async def _advance_sequence(target: AsyncConnection, table: Table) -> None:
    """Set the id sequence so that the next id comes after the largest one copied."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer) or keys[0].autoincrement is False:
        return
    key = keys[0]
    await target.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "
            f"COALESCE(MAX({key.name}), 1), MAX({key.name}) IS NOT NULL) FROM {table.name}"
        )
    )


async def copy_database(source_engine: AsyncEngine, target_engine: AsyncEngine) -> list[TableCopy]:
    """Copy every table; returns the row count of each. Raises `CopyError` when the target is not
    PostgreSQL, already holds rows, or the counts disagree afterwards."""
    if target_engine.dialect.name != "postgresql":
        raise CopyError("the target must be a postgresql+asyncpg:// URL")
    await migrate_to_head(source_engine)
    await migrate_to_head(target_engine)
    tables = list(Base.metadata.sorted_tables)
    copies: list[TableCopy] = []
    async with source_engine.connect() as source, target_engine.begin() as target:
        for table in tables:
            if await _count(target, table):
                raise CopyError(f"the target's {table.name} table already has rows; copy into a fresh database")
        for table in tables:
            copied = await _copy_table(source, target, table)
            expected, landed = await _count(source, table), await _count(target, table)
            if not copied == expected == landed:
                raise CopyError(f"{table.name}: {expected} rows in the source, {landed} copied; nothing was kept")
            await _advance_sequence(target, table)
            copies.append(TableCopy(table.name, landed))
    return copies
