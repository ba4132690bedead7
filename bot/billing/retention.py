"""Retention, on a timer: prompts older than each guild's retention period are redacted, kept
results past their time are removed (their rows say expired), and finished jobs (their params
copy the prompt and the attachment links) go a day after they end, as do painting links. With several processes on
one PostgreSQL database, one of them does it at a time."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.jobs import prune_jobs
from bot.db.painting import prune_tickets
from bot.db.policy import guilds_with_retention, prune_prompts, take_chore
from bot.db.results import prune_kept

log = logging.getLogger(__name__)

FINISHED_JOBS_KEPT = timedelta(days=1)


class Retention:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, *, every_minutes: float) -> None:
        self._sessions = sessions
        self._clock = clock
        self._every = every_minutes * 60

    async def prune(self) -> int:
        """Redact what is past every guild's retention, drop expired kept results and old finished
        jobs, in one unit of work; returns how many prompts were redacted (0 while another process
        is pruning)."""
        now, total = self._clock.now(), 0
        async with self._sessions() as session:
            if not await take_chore(session, "retention"):
                return 0
            for settings in await guilds_with_retention(session):
                days = settings.prompt_retention_days or 0
                pruned = await prune_prompts(session, settings.guild_id, now - timedelta(days=days))
                if pruned:
                    log.info("redacted %d prompts older than %d days in guild %s", pruned, days, settings.guild_id)
                total += pruned
            expired = await prune_kept(session, now)
            if expired:
                log.info("removed %d kept results nobody fetched in time", expired)
            jobs = await prune_jobs(session, now - FINISHED_JOBS_KEPT)
            if jobs:
                log.info("removed %d jobs that finished over a day ago", jobs)
            await prune_tickets(session, now - FINISHED_JOBS_KEPT)  # painting links live 15 minutes
            await session.commit()
        return total

    async def run(self) -> None:
        """Prune now and then every period, until cancelled; a failure is logged and tried again."""
        while True:
            try:
                await self.prune()
            except Exception:
                log.exception("pruning prompts failed; it runs again at the next interval")
            await asyncio.sleep(self._every)
