"""Exactly once, with real bot processes: a paid job is made once and charged once, whatever waits
(a provider's rate-limit reset longer than a lease) or crashes (SIGKILL in the middle of a slow
upload)."""

import asyncio
import signal

import pytest
from sqlalchemy import select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import UsageCounter
from tests.helpers import (
    guild_on_shard,
    member,
    process_config,
    rows_when,
    saved_rows,
    start_quiet_process,
    start_shard_processes,
    stop_processes,
)

JOBS_PER_GUILD = 4


async def counters(url: str) -> dict[tuple[int, str], float]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(UsageCounter))).all()
        return {(row.guild_id, row.subject.split(":")[0]): row.amount for row in rows}
    finally:
        await engine.dispose()


async def test_a_rate_limit_reset_longer_than_the_lease_runs_no_job_twice(
    postgres_url, tmp_path, discord_api, images_api
):
    """Every answer says the request budget is spent for 2.5 s; leases last 1 s. Each process
    waits out the reset before its next start, holding claims meanwhile: they are renewed by a
    task of their own, so no other process takes them. (Before: 9 provider calls for 8 jobs.)"""
    images_api.budget_reset = "2.5s"
    settings = "[jobs]\nmax_running = 4\nper_guild = 2\nper_member = 1\nlease_seconds = 1\n"
    processes = await start_shard_processes(tmp_path, discord_api, images_api, postgres_url, 2, settings)
    try:
        states = await asyncio.gather(
            *(
                discord_api.send_slash_command(
                    "imagine",
                    {"prompt": f"guild {shard} #{index}", "n": 2},
                    user=member(f"lease-{shard}-{index}"),
                    guild_id=guild_on_shard(shard, 2),
                )
                for shard in range(2)
                for index in range(JOBS_PER_GUILD)
            )
        )
        for state in states:
            assert len((await discord_api.wait_for_reply(state, 90)).attachment_bytes()) == 2
        rows, jobs = await rows_when(
            lambda rows, jobs: all(row.delivery for row in rows) and all(job.state == "done" for job in jobs),
            postgres_url,
        )
    finally:
        await stop_processes(processes)
    assert len(images_api.requests) == 2 * JOBS_PER_GUILD  # one provider call a job
    assert not discord_api.channel_messages  # nobody got their images a second time
    assert all(job.runs == 1 for job in jobs) and all(row.runs is None for row in rows)
    spent = await counters(postgres_url)
    for guild in {row.guild_id for row in rows}:
        assert spent[(guild, "budget")] == pytest.approx(sum(row.cost_usd for row in rows if row.guild_id == guild))


async def test_a_crash_during_a_slow_upload_delivers_what_was_made_without_making_it_again(
    tmp_path, discord_api, images_api
):
    """The row is settled, with the images held, before the upload starts; SIGKILL while Discord
    takes its time over the upload; on restart the held images are delivered: one provider call,
    one charge. (Before: 2 provider calls and a double charge.)"""
    config, env = process_config(tmp_path, discord_api, images_api, "max_running = 1")
    database = f"sqlite+aiosqlite:///{tmp_path / 'imagebot.db'}"
    discord_api.upload_delay = 30.0
    process = await start_quiet_process(config, env)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 30)
        state = await discord_api.send_slash_command("imagine", {"prompt": "a heron", "n": 2})
        await discord_api.wait_for(
            lambda: any(call.files for call in discord_api.calls if call.operation_id == "update_webhook_message"), 30
        )
        rows, _ = await saved_rows(tmp_path)
        assert [(row.status, row.image_count) for row in rows] == [("ok", 2)]  # settled before the upload
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await discord_api.wait_for(lambda: not discord_api.identified.is_set())

        discord_api.upload_delay = 0.0
        process = await start_quiet_process(config, env)
        reply = await discord_api.wait_for_reply(state, 40)
        rows, jobs = await rows_when(lambda rows, jobs: jobs[0].state == "done", database)  # recorded after delivery
    finally:
        await stop_processes([process])
    assert len(reply.attachment_bytes()) == 2
    assert len(images_api.requests) == 1
    [row], [job] = rows, jobs
    assert (row.status, row.image_count, row.delivery, job.state) == ("ok", 2, "delivered", "done")
    spent = await counters(database)
    assert spent[(row.guild_id, "images")] == 2 and spent[(row.guild_id, "budget")] == pytest.approx(row.cost_usd)
