"""Time in one place: aware UTC datetimes in and out of the database, whatever it hands back."""

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import UTCDateTime, aware, utcnow


def test_utcnow_is_aware_utc():
    assert utcnow().tzinfo is UTC


def test_aware_makes_a_naive_moment_utc_and_leaves_an_aware_one_alone():
    naive = datetime(2026, 3, 1, 12, 30)
    assert aware(naive) == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    elsewhere = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=8)))
    assert aware(elsewhere) is elsewhere


async def test_a_column_of_utc_datetimes_reads_back_aware_utc_on_sqlite(tmp_path):
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'clock.db'}")
    beijing = datetime(2026, 3, 1, 20, 30, tzinfo=timezone(timedelta(hours=8)))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(table.metadata.create_all)
            await connection.execute(insert(table), [{"id": 1, "at": beijing}, {"id": 2, "at": None}])
            rows = {row.id: row.at for row in await connection.execute(select(table.c.id, table.c.at))}
    finally:
        await engine.dispose()
    assert rows[1] == beijing and rows[1].tzinfo == UTC and rows[1].hour == 12
    assert rows[2] is None
