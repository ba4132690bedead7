"""Retention on its timer: prompts past each guild's retention period are redacted (guilds
without one keep theirs), kept results past their time are removed, finished jobs and painting
links go a day after; one process at a time does it on PostgreSQL; a failed round is logged and
the next one runs."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.billing.retention import Retention
from bot.db.jobs import unfinished_jobs
from bot.db.models import GuildSettings, Job, JobState, KeptResult, PaintTicket, UsageRecord
from bot.db.policy import take_chore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEEPS_7_DAYS, KEEPS_ALL = 10, 11


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


def prompt(guild_id: int, age: timedelta) -> UsageRecord:
    return UsageRecord(
        guild_id=guild_id, user_id=1, command="imagine", status="ok", prompt="a fox", created_at=NOW - age
    )


def job(usage_id: int, state: str, finished_ago: timedelta | None) -> Job:
    return Job(
        usage_id=usage_id,
        kind="imagine",
        state=state,
        user_id=1,
        locale="en-US",
        params={"prompt": "a fox"},
        application_id=2,
        attachment_limit=10_000_000,
        interaction_at=NOW,
        finished_at=NOW - finished_ago if finished_ago is not None else None,
    )


async def filled(sessions) -> list[UsageRecord]:
    async with sessions() as session:
        session.add_all(
            [GuildSettings(guild_id=KEEPS_7_DAYS, prompt_retention_days=7), GuildSettings(guild_id=KEEPS_ALL)]
        )
        rows = [
            prompt(KEEPS_7_DAYS, timedelta(days=8)),
            prompt(KEEPS_7_DAYS, timedelta(days=6)),
            prompt(KEEPS_ALL, timedelta(days=300)),
        ]
        session.add_all(rows)
        await session.flush()
        kept = {"user_id": 1, "guild_id": KEEPS_ALL, "filename": "a.png", "data": b"x", "size": 1}
        session.add_all(
            [
                KeptResult(usage_id=rows[2].id, expires_at=NOW - timedelta(minutes=1), **kept),
                KeptResult(usage_id=rows[2].id, expires_at=NOW + timedelta(hours=1), **kept),
                job(rows[0].id, JobState.DONE, timedelta(days=2)),
                job(rows[1].id, JobState.FAILED, timedelta(hours=2)),
                job(rows[2].id, JobState.QUEUED, None),
                PaintTicket(
                    nonce="old",
                    user_id=1,
                    application_id=2,
                    interaction_token="t",
                    interaction_at=NOW,
                    attachment_limit=1,
                    locale="en-US",
                    source={},
                    created_at=NOW - timedelta(days=2),
                ),
            ]
        )
        await session.commit()
    return rows


async def test_a_round_prunes_what_is_past_its_time_and_nothing_else(sessions):
    rows = await filled(sessions)
    assert await Retention(sessions, FixedClock(), every_minutes=60).prune() == 1
    async with sessions() as session:
        prompts = [(await session.get(UsageRecord, row.id)).prompt for row in rows]
        kept = (await session.scalars(select(KeptResult.expires_at))).all()
        jobs = (await session.scalars(select(Job.state).order_by(Job.id))).all()
        tickets = (await session.scalars(select(PaintTicket.nonce))).all()
        assert [job.state for job in await unfinished_jobs(session)] == ["queued"]
    assert prompts == [None, "a fox", "a fox"]
    assert kept == [NOW + timedelta(hours=1)]
    assert jobs == ["failed", "queued"]
    assert tickets == []
    assert await Retention(sessions, FixedClock(), every_minutes=60).prune() == 0  # nothing left to redact


async def test_while_another_process_prunes_this_one_does_nothing(postgres_sessions):
    await filled(postgres_sessions)
    async with postgres_sessions() as other:
        assert await take_chore(other, "retention")
        assert await Retention(postgres_sessions, FixedClock(), every_minutes=60).prune() == 0
        await other.commit()  # its round is over
    async with postgres_sessions() as session:
        assert len((await session.scalars(select(KeptResult))).all()) == 2
    assert await Retention(postgres_sessions, FixedClock(), every_minutes=60).prune() == 1


async def test_a_failed_round_is_logged_and_the_next_one_runs(sessions, caplog):
    await filled(sessions)
    calls, second_round = [], asyncio.Event()

    def failing_once():
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database away")
        second_round.set()
        return sessions()

    task = asyncio.create_task(Retention(failing_once, FixedClock(), every_minutes=0).run())
    try:
        await asyncio.wait_for(second_round.wait(), 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    failures = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert [record.getMessage() for record in failures][:1] == [
        "pruning prompts failed; it runs again at the next interval"
    ]
