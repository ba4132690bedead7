"""The shared queue: three real bot processes on one PostgreSQL database, shards 0, 1 and 2 of 3,
and the one running jobs killed mid-burst. The others take over its jobs within the lease; every member
gets their images once, and no row is left pending."""

import asyncio
import signal
import zlib

from sqlalchemy import select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import UNFINISHED, Job, JobState, UsageRecord
from tests.bot.test_shards import guild_on_shard, start_shard_processes, stop_processes
from tests.standins.discord_data import user_payload

PER_GUILD = 6


def member(tag: str) -> dict:
    return user_payload(str(10**17 + zlib.crc32(tag.encode())), tag)


async def rows_and_jobs(url: str) -> tuple[list[UsageRecord], list[Job]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())
            jobs = list((await session.scalars(select(Job).order_by(Job.id))).all())
        return rows, jobs
    finally:
        await engine.dispose()


async def until(condition, url: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        rows, jobs = await rows_and_jobs(url)
        if condition(rows, jobs):
            return rows, jobs
        await asyncio.sleep(0.1)
    raise AssertionError("the database never came to the expected state")


async def test_three_processes_share_one_queue_and_take_over_a_killed_ones_jobs(
    postgres_url, tmp_path, discord_api, images_api
):
    images_api.delay = 1.5  # long enough that the job running when the kill is decided is still running
    settings = "[jobs]\nmax_running = 3\nper_guild = 2\nper_member = 1\nlease_seconds = 2\n"
    processes = await start_shard_processes(tmp_path, discord_api, images_api, postgres_url, 3, settings)
    try:
        states = await asyncio.gather(
            *(
                discord_api.send_slash_command(
                    "imagine",
                    {"prompt": f"guild {shard} #{index}", "n": 2},
                    user=member(f"{shard}-{index}"),
                    guild_id=guild_on_shard(shard, 3),
                )
                for shard in range(3)
                for index in range(PER_GUILD)
            )
        )
        pids = {f":{process.pid}:": process for process in processes}

        def running_on(jobs: list[Job]) -> set[str]:
            return {
                key for job in jobs if job.state == JobState.RUNNING for key in pids if key in (job.claimed_by or "")
            }

        _, jobs = await until(lambda rows, jobs: len(jobs) == 3 * PER_GUILD and running_on(jobs), postgres_url)
        victim = sorted(running_on(jobs))[0]  # a process with a job at the provider right now
        pids[victim].send_signal(signal.SIGKILL)
        await pids[victim].wait()

        for state in states:
            reply = await discord_api.wait_for_reply(state, 60)
            assert len(reply.attachment_bytes()) == 2, state.payload["data"]
        assert not discord_api.channel_messages  # nobody got their images a second time
        rows, jobs = await until(  # a job is marked done after its delivery is recorded
            lambda rows, jobs: (
                all(row.status != "pending" and row.delivery for row in rows)
                and all(job.state not in UNFINISHED for job in jobs)
            ),
            postgres_url,
        )
        assert [(row.status, row.delivery) for row in rows] == [("ok", "delivered")] * (3 * PER_GUILD)
        assert {job.state for job in jobs} == {JobState.DONE}
        taken_over = [job for job in jobs if job.runs == 2]
        assert taken_over and all(victim not in job.claimed_by for job in taken_over)
        # A taken-over job runs at the provider again only when the killed process had not settled
        # its row yet; one whose images had arrived is delivered from them (its row keeps no count of runs).
        # Which of the two a kill lands on is the machine's timing, so each is allowed; a second
        # run anywhere else is not.
        rerun = {row.id for row in rows if row.runs == 2}
        assert rerun <= {job.usage_id for job in taken_over}
        assert all(row.runs in (None, 2) for row in rows)
    finally:
        await stop_processes(processes)
