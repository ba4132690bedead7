"""/quota, the limit reservation and /usage summary on a usage table of a million rows, in SQLite
and in PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.report import Figure, percentile
from bot.billing.policy import BUDGET, Policy, Requester, day_period, images_subject, month_period
from bot.billing.prices import PriceTable
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.models import UsageRecord
from bot.db.policy import counter_value, get_settings, last_request_at
from bot.db.usage import summarize
from bot.images import ModelRegistry
from tests.postgres_cluster import bot_url, fresh_database

GUILDS, USERS, DAYS = 100, 5000, 180
GUILD, USER = 7, 7
COLUMNS = (
    "guild_id",
    "channel_id",
    "user_id",
    "command",
    "model",
    "size",
    "n",
    "prompt",
    "status",
    "image_count",
    "cost_usd",
    "reserved_usd",
    "reserved_images",
    "created_at",
)
STATUSES = ["ok"] * 8 + ["failed", "limited"]


def usage_rows(count: int, now: datetime) -> list[tuple]:
    step = DAYS * 86400 / count
    return [
        (
            index % GUILDS,
            1,
            index % USERS,
            "imagine",
            "gpt-image-2",
            "1024x1024",
            1,
            f"prompt {index}",
            STATUSES[index % 10],
            1,
            0.04,
            0.0,
            0,
            now - timedelta(seconds=index * step),
        )
        for index in range(count)
    ]


def load_sqlite(path: Path, rows: list[tuple]) -> None:
    """Bulk load in one transaction, in the format SQLAlchemy stores SQLite datetimes in."""
    with sqlite3.connect(path) as connection:
        connection.executemany(
            f"INSERT INTO usage ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            [(*row[:-1], row[-1].strftime("%Y-%m-%d %H:%M:%S.%f")) for row in rows],
        )
        connection.execute("ANALYZE")


async def load_postgres(url: str, rows: list[tuple]) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.copy_records_to_table("usage", records=rows, columns=COLUMNS)
        await connection.execute("VACUUM ANALYZE usage")
    finally:
        await connection.close()


async def timed(engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[object]], runs: int) -> float:
    """p99 seconds of `work`, each run in its own session, rolled back."""
    sessions = make_sessionmaker(engine)
    timings = []
    for _ in range(runs):
        async with sessions() as session:
            start = time.perf_counter()
            await work(session)
            timings.append(time.perf_counter() - start)
            await session.rollback()
    return percentile(timings, 0.99)


async def measure(engine: AsyncEngine, name: str, rows: int, runs: int) -> list[Figure]:
    now, policy, spec = (
        datetime.now(UTC),
        Policy(PriceTable(), personal_images_per_day=10),
        ModelRegistry().get("gpt-image-2"),
    )
    async with make_sessionmaker(engine)() as session:
        settings = await get_settings(session, GUILD)
        settings.images_per_day, settings.monthly_budget_usd, settings.cooldown_seconds = 1_000_000, 1e9, 1
        session.add(settings)
        await session.commit()

    async def quota(session: AsyncSession) -> None:
        await get_settings(session, GUILD)
        await counter_value(session, GUILD, images_subject(USER), day_period(now))
        await counter_value(session, GUILD, BUDGET, month_period(now))
        await last_request_at(session, GUILD, USER, None)

    async with make_sessionmaker(engine)() as session:
        record = UsageRecord(guild_id=GUILD, user_id=USER, command="imagine", status="pending", n=1, created_at=now)
        session.add(record)
        await session.commit()

    async def reserve(session: AsyncSession) -> None:
        """What intake's unit of work does for a request whose row is already saved."""
        await policy.admit(session, Requester(GUILD, 1, USER), record, spec, "1024x1024", "low", 1)

    async def summary(session: AsyncSession) -> None:
        await summarize(session, GUILD, now - timedelta(days=30))

    async def round_trip(session: AsyncSession) -> None:
        await session.execute(text("SELECT 1"))

    baseline = await timed(engine, round_trip, runs)
    label = f"{rows:,} rows, {name}"
    results = [
        (await timed(engine, work, runs), what, limit)
        for work, what, limit in (
            (quota, f"/quota p99 ({label})", 0.02),
            (reserve, f"limit reservation p99 ({label})", 0.02),
            (summary, f"/usage summary, 30 days, p99 ({label})", 0.2),
        )
    ]
    return [
        Figure(
            what, p99 * 1000, "ms", baseline * 1000, "a SELECT 1 round trip", f"< {limit * 1000:.0f} ms", p99 < limit
        )
        for p99, what, limit in results
    ]


async def run(rows: int = 1_000_000, runs: int = 200) -> list[Figure]:
    data = usage_rows(rows, datetime.now(UTC))
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await migrate_to_head(engine)
        await asyncio.to_thread(load_sqlite, path, data)
        figures += await measure(engine, "SQLite", rows, runs)
        await engine.dispose()
    async with fresh_database("imagebot_bench") as database:
        engine = make_engine(bot_url(database))
        await migrate_to_head(engine)
        await load_postgres(database, data)
        figures += await measure(engine, "PostgreSQL", rows, runs)
        await engine.dispose()
    return figures
