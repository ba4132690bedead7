"""Database faults while the bot works: SQLite locked by another writer, PostgreSQL restarting
mid-job. The bot keeps running, every request ends with its row finished, and no job is left
running."""

import asyncio
import sqlite3

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.db.models import Job
from tests.helpers import finished_jobs, usage_rows


async def job_state_becomes(bot, state: str, timeout: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with bot.sessions() as session:
            if (await session.scalars(select(Job.state))).all() == [state]:
                return True
        await asyncio.sleep(0.02)
    return False


async def test_sqlite_locked_by_another_writer_only_delays_the_requests(
    tmp_path, make_config, start_bot, discord_api, images_api
):
    database = f"sqlite+aiosqlite:///{tmp_path / 'imagebot.db'}"  # this test is about SQLite on any run
    bot = await start_bot(make_config(database={"url": database, "busy_timeout_seconds": 20}))
    other = sqlite3.connect(make_url(str(bot.db_engine.url)).database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer takes the write lock and holds it
        other.execute("UPDATE alembic_version SET version_num = version_num")
        states = [await discord_api.send_slash_command("imagine", {"prompt": f"locked {index}"}) for index in range(4)]
        await discord_api.wait_for(lambda: all(state.callback_type for state in states))
        await asyncio.sleep(1.0)  # the bot's writes wait on the lock meanwhile
        assert not images_api.requests
        other.execute("COMMIT")
    finally:
        other.close()
    for state in states:
        assert (await discord_api.wait_for_reply(state)).attachment_bytes()
    rows = await usage_rows(bot, 4, delivered=True)
    assert [(row.status, row.delivery) for row in rows] == [("ok", "delivered")] * 4
    assert [job.state for job in await finished_jobs(bot)] == ["done"] * 4


async def test_postgresql_restarting_mid_job_loses_nothing(
    postgres_cluster, make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(database={"url": postgres_cluster.url, "reconnect_seconds": 30}))
    images_api.delay = 1.0
    first = await discord_api.send_slash_command("imagine", {"prompt": "before the restart", "n": 2})
    await images_api.wait_for_requests(1)
    assert await job_state_becomes(bot, "running")  # its start is written: nothing is in flight
    await postgres_cluster.stop()  # the pool's connections die; the job's next writes must wait
    await asyncio.sleep(1.5)  # the provider answers while the database is down
    await postgres_cluster.start()
    images_api.delay = 0.0
    assert (await discord_api.wait_for_reply(first)).attachment_bytes()
    second = await discord_api.wait_for_reply(
        await discord_api.send_slash_command("imagine", {"prompt": "after the restart", "n": 2})
    )
    assert second.attachment_bytes()
    rows = await usage_rows(bot, 2, delivered=True, timeout=30)
    assert [(row.status, row.delivery) for row in rows] == [("ok", "delivered")] * 2
    assert all(row.cost_usd for row in rows)
    assert [job.state for job in await finished_jobs(bot, timeout=30)] == ["done"] * 2
