"""The shared queue's claim against the size of the job history, on PostgreSQL: the same queue of
waiting jobs behind 10,000 finished jobs, then behind a million. The claim's turn order asks each
waiting guild's last start of an index, so its time should not grow with the history."""

from __future__ import annotations

import time
from datetime import timedelta

import asyncpg

from bench.report import Figure, percentile
from bot.db.engine import make_engine, make_sessionmaker, migrate_to_head
from bot.db.jobs import Caps, claim_next
from tests.postgres_cluster import bot_url, fresh_database

GUILDS, QUEUED = 200, 100
CAPS = Caps(max_running=64, per_guild=2, per_member=1)

FINISHED = """
INSERT INTO job (usage_id, kind, state, guild_id, channel_id, user_id, locale, params, application_id,
                 attachment_limit, interaction_at, created_at, started_at, finished_at, runs, waits)
SELECT n, 'generate', 'done', n % $2, 1, n, 'en-US', '{}', 1, 10485760,
       now() - n * interval '1 second', now() - n * interval '1 second', now() - n * interval '1 second',
       now() - n * interval '1 second', 1, 0
FROM generate_series($1::bigint, $1::bigint + $3 - 1) AS n
"""
QUEUED_JOBS = """
INSERT INTO job (usage_id, kind, state, guild_id, channel_id, user_id, locale, params, application_id,
                 attachment_limit, interaction_at, created_at, runs, waits)
SELECT n, 'generate', 'queued', n % $1, 1, 10000000 + n, 'en-US', '{}', 1, 10485760, now(), now(), 0, 0
FROM generate_series(1, $2) AS n
"""


async def claim_p99(url: str, runs: int) -> float:
    """p99 seconds of claiming the next job, each claim rolled back so the queue stays the same."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    timings = []
    try:
        for _ in range(runs + 1):  # the first opens the connection: not timed
            async with sessions() as session:
                start = time.perf_counter()
                job = await claim_next(session, owner="bench", lease=timedelta(seconds=30), caps=CAPS)
                timings.append(time.perf_counter() - start)
                assert job is not None
                await session.rollback()
    finally:
        await engine.dispose()
    return percentile(timings[1:], 0.99)


async def run(small: int = 10_000, large: int = 1_000_000, runs: int = 200) -> list[Figure]:
    async with fresh_database("imagebot_claims") as database:
        url = bot_url(database)
        engine = make_engine(url)
        await migrate_to_head(engine)
        await engine.dispose()
        connection = await asyncpg.connect(database)
        try:
            await connection.execute(QUEUED_JOBS, GUILDS, QUEUED)
            await connection.execute(FINISHED, 1, GUILDS, small)
            await connection.execute("VACUUM ANALYZE job")
            baseline = await claim_p99(url, runs)
            await connection.execute(FINISHED, small + 1, GUILDS, large - small)
            await connection.execute("VACUUM ANALYZE job")
            measured = await claim_p99(url, runs)
        finally:
            await connection.close()
    return [
        Figure(
            f"shared-queue claim p99, {QUEUED} queued behind {large:,} finished jobs (PostgreSQL)",
            measured * 1000,
            "ms",
            baseline * 1000,
            f"the same claim behind {small:,}",
            "≤ 1.5× (flat)",
            measured <= 1.5 * baseline,
        )
    ]
