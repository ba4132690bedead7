"""Admission: a checked request's job admitted by the guild's policy and queued, in one unit of
work. Every way in (a command, a reply to an image, the painting page) ends here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy, Requester
from bot.db.models import JobState, UsageRecord
from bot.db.policy import get_settings
from bot.errors import InvalidRequest
from bot.flow.job_params import GenerateParams, JobParams
from bot.flow.origin import Origin
from bot.i18n import Text, _
from bot.images import ModelSpec
from bot.jobs.runner import Runner


def check(problem: Text | None) -> None:
    """Refuse with `problem`, when there is one (a model's rule the request breaks)."""
    if problem:
        raise InvalidRequest(problem)


class Admission:
    def __init__(self, *, policy: Policy, sessions: async_sessionmaker[AsyncSession], runner: Runner) -> None:
        self._policy = policy
        self._sessions = sessions
        self._runner = runner

    def check_accepting(self) -> None:
        """Refuse while the process is shutting down: its jobs would wait for the next one."""
        if not self._runner.accepting:
            raise InvalidRequest(_("The bot is restarting. Please try again in a minute."))

    async def precheck(self, record: UsageRecord, params: JobParams, requester: Requester) -> None:
        """Refuse at once what the guild's word filters, blocks, channels or cooldown refuse (see
        `Policy.precheck`); `enqueue` checks them again with everything else."""
        async with self._sessions() as session:
            await self._policy.precheck(session, requester, record, params.prompt)

    async def enqueue(self, record: UsageRecord, spec: ModelSpec, params: JobParams, origin: Origin) -> None:
        """Admit the request and queue its job (made by `origin`) in one unit of work, whose guild
        settings also give the member's language (admit finds them in the session) and the
        provider's moderation level: `low` only where the guild chose it and the channel is
        age-restricted. `params.size` is the size asked for; the policy decides it."""
        quality = params.quality if isinstance(params, GenerateParams) else None
        job = origin.job()
        async with self._sessions() as session:
            settings = await get_settings(session, job.guild_id) if job.guild_id is not None else None
            job.locale = await origin.locale_of(settings)
            low = origin.age_restricted and settings is not None and settings.moderation_level == "low"
            size = await self._policy.admit(
                session, origin.requester, record, spec, params.size, quality, params.n, prompt=params.prompt
            )
            admitted = params.model_copy(
                update={
                    "size": size,
                    "moderation": "low" if low else "auto",
                    "spoiler": params.spoiler or bool(settings is not None and settings.spoiler_always),
                }
            )
            job.usage_id, job.kind, job.state = record.id, admitted.kind, JobState.QUEUED
            job.params = admitted.stored()
            session.add_all([record, job])
            await session.commit()
        self._runner.submit(job)
