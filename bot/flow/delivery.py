"""Delivery: what the provider made, and charged for, reaches the member or is kept for them.

First the row is settled at the real cost, once (a conditional update: a row some earlier run
settled is not counted again), in one unit of work with the images themselves, held: whatever
crashes after that, the job is delivered from them and never made again. Then the routes, each
attempt logged: the interaction's response (while the interaction lives), re-encoded smaller each time
Discord says the files are too large (413 / 40005); a channel message that mentions only the
member when the response is gone (10015, 10008, 50027) or its token has expired; the member's DMs
when neither works (no permission in the channel, Discord failing); and when even those are
closed, the images are kept for `/results` and the member is told privately.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import discord
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import ModeratorNotice, Policy
from bot.billing.usage import finish_ok
from bot.clock import Clock, aware
from bot.db.models import DeliveryOutcome, Job, KeptResult, ResultPreview, UsageRecord, UsageStatus
from bot.db.results import held_for, keep, keep_held, log_attempt, release_held
from bot.db.usage import claim_settlement
from bot.flow.answers import AnswerTarget, AnswerViews, MemberAnswers
from bot.flow.job_params import GenerateParams, JobParams, RunningJob
from bot.flow.notices import ModeratorNotices
from bot.flow.result_message import as_files, dimensions_of, encode, render_result, sent_smaller
from bot.flow.sources import image_attachments
from bot.i18n import _
from bot.images import GeneratedImage, ImagesResult
from bot.imaging import ImageDataError, extension_of
from bot.metrics import Metrics
from bot.threads import BoundedThreads

log = logging.getLogger(__name__)

MISSING_PERMISSIONS = 50013
GONE = {10008, 10015, 50027}


def hidden_by(params: JobParams, route: str) -> bool:
    """Whether a result goes as spoilers: asked for, or made at the `low` moderation level and
    posted outside the age-restricted channel it was asked in."""
    return params.spoiler or (route == "dm" and params.moderation == "low")


def outcome_of(error: discord.HTTPException) -> str:
    return f"{error.status}/{error.code}"


class Delivery:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: Policy,
        threads: BoundedThreads,
        answers: MemberAnswers,
        views: AnswerViews,
        lacking: Callable[[int], list[str]],
        notices: ModeratorNotices,
        clock: Clock,
        keep_for: timedelta,
        keep_bytes: int,
        metrics: Metrics,
    ) -> None:
        """`views` make the result's buttons; `lacking` names the permissions the bot lacks to
        answer in a channel (`missing_permissions` of the cached channel). Undelivered results are
        kept `keep_for`, at most `keep_bytes` in all (oldest dropped first)."""
        self._sessions = sessions
        self._policy = policy
        self._threads = threads
        self._answers = answers
        self._views = views
        self._lacking = lacking
        self._notices = notices
        self._clock = clock
        self._keep_for = keep_for
        self._keep_bytes = keep_bytes
        self._metrics = metrics

    async def usage_row(self, job: Job) -> UsageRecord:
        """The job's usage row, read while the provider works; read again on a fresh connection
        if the database dropped the first (a restart), which a read may safely do."""
        record: UsageRecord | None = None
        for attempt in (1, 2):
            try:
                async with self._sessions() as session:
                    record = await session.get(UsageRecord, job.usage_id)
                break
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == 2:
                    raise
                log.warning("job %s: the database dropped the connection reading its row; reading again", job.id)
        assert record is not None, f"job {job.id} has no usage row"
        return record

    async def deliver(self, running: RunningJob, record: UsageRecord, result: ImagesResult) -> None:
        """Settle the row with the images held, then get them to the member by the first route
        that works, or keep them."""
        finish_ok(record, result)
        images = await self._kept(running, record, result)
        alert, held = await self._settle(record, result, images)
        await self._hand_over(running, record, result, [] if held else images)
        if alert is not None and record.guild_id is not None:
            await self._notices.post(record.guild_id, alert)

    async def withhold(self, record: UsageRecord, result: ImagesResult, categories: tuple[str, ...]) -> bool:
        """Made images that screening flagged: the row settled at their real cost, once, as
        flagged, and the images neither posted nor kept. False when an earlier run settled it."""
        finish_ok(record, result)
        record.status, record.error_code = UsageStatus.FLAGGED, "flagged_result"
        record.flags, record.screened = ",".join(categories), True
        return await self._settle_unposted(record, result)

    async def discard(self, record: UsageRecord, result: ImagesResult, reason: str) -> bool:
        """Made images that can't be posted (an SVG that can't be made safe): the row settled at
        their real cost, once, as failed with the reason, and the files neither posted nor kept.
        False when an earlier run settled it."""
        finish_ok(record, result)
        record.status, record.error_code, record.error_detail = UsageStatus.FAILED, "unusable_result", reason[:500]
        return await self._settle_unposted(record, result)

    async def _settle_unposted(self, record: UsageRecord, result: ImagesResult) -> bool:
        """Settle a result that is never posted, once, at its real cost, in the row's status."""
        record.delivery = DeliveryOutcome.WITHHELD
        try:
            async with self._sessions() as session:
                if not await claim_settlement(session, record.id, record.status):
                    log.warning("usage row %s was settled by an earlier run; not counted again", record.id)
                    return False
                alert = await self._policy.settle(session, record, result)
                session.add(record)
                await session.commit()
        except Exception:
            log.exception("could not settle the withheld result of usage row %s", record.id)
            return False
        self._metrics.request_finished(record.command, record.status)
        self._metrics.made(record.model or "", len(result.images), record.cost_usd)
        if alert is not None and record.guild_id is not None:
            await self._notices.post(record.guild_id, alert)
        return True

    async def redeliver(self, running: RunningJob, record: UsageRecord) -> bool:
        """Deliver a settled result from its held images, making and charging nothing; False when
        none are held (delivered before the crash, or dropped)."""
        async with self._sessions() as session:
            held = await held_for(session, record.id)
        if not held:
            return record.delivery is not None
        result = ImagesResult(images=[GeneratedImage(row.data) for row in held])
        await self._hand_over(running, record, result, [])
        return True

    async def _hand_over(
        self, running: RunningJob, record: UsageRecord, result: ImagesResult, unheld: list[KeptResult]
    ) -> None:
        """The routes in turn, then the outcome on record; `unheld` are the images to keep if
        Discord takes none, when settling could not hold them."""
        job = running.job
        attempts: list[tuple[str, str]] = []
        delivery, message = await self._send(running, record, result, attempts)
        record.delivery, record.message_id = delivery, message.id if message is not None else None
        self._metrics.request_finished(record.command, record.status)
        self._metrics.made(running.spec.name, len(result.images), record.cost_usd)
        if delivery != DeliveryOutcome.KEPT:
            self._metrics.delivered((self._clock.now() - aware(record.created_at)).total_seconds())
        preview = None
        if message is not None:
            urls = [attachment.url for attachment in image_attachments(message)]
            preview = ResultPreview(usage_id=record.id, image_urls=urls, spoiler=running.params.spoiler)
        else:
            hours = round(self._keep_for.total_seconds() / 3600)
            notice = _(
                "Your images are ready, but Discord would not take them here. They are kept for {hours} "
                "hours: press the button or run /results to get them.",
                hours=hours,
            )
            if not await self._answers.tell(job, notice.render(job.locale), self._views.kept(job.locale)):
                log.warning("kept the images of job %s; its member could not be told", job.id)
        await self._record(record, attempts, unheld if message is None else [], preview)

    async def _send(
        self, running: RunningJob, record: UsageRecord, result: ImagesResult, attempts: list[tuple[str, str]]
    ) -> tuple[str, discord.Message | discord.WebhookMessage | None]:
        """Try the routes in turn, each re-encoded smaller while Discord says the files are too
        large; returns the row's delivery status and the message that has the images. The row
        itself is left alone: it may be in the settling session still."""
        job, params, spec = running.job, running.params, running.spec
        target: AnswerTarget | None = self._answers.target(job)
        limit = job.attachment_limit
        lacking: list[str] = []  # the permissions a refusal in the channel showed the bot lacks

        async def post(at: int) -> discord.Message | discord.WebhookMessage:
            nonlocal limit
            assert target is not None
            limit = at
            images = await encode(self._threads, result, at)
            content = render_result(
                result,
                prompt=params.prompt,
                model=spec,
                dimensions=dimensions_of(images),
                requested=params.n,
                locale=job.locale,
            )
            files = as_files(images, f"{record.command}-{job.id}", spoiler=hidden_by(params, target.route))
            text = target.addressed(content)
            if target.route == "dm" and lacking:
                text = f"{self._why_here(job, lacking)}\n{text}"
            view = self._views.result(
                record.id,
                text,
                files,
                rerollable=job.kind == "generate",
                enhanceable=isinstance(params, GenerateParams) and params.draft,
                upscalable=any(spec.upscale_size(image.width, image.height) for image in images),
                locale=job.locale,
            )
            posting = self._clock.monotonic()
            message = await target.send(files, view)
            self._metrics.uploaded(self._clock.monotonic() - posting)
            return message

        def refused(error: discord.HTTPException, _limit: int) -> None:
            assert target is not None
            attempts.append((target.route, outcome_of(error)))
            log.warning("job %s: Discord refused the result by %s (%s)", job.id, target.route, outcome_of(error))

        while target is not None:
            try:
                message = await sent_smaller(post, limit, refused)
            except ImageDataError:
                attempts.append((target.route, "cannot_shrink"))
                return DeliveryOutcome.KEPT, None
            except discord.HTTPException as error:
                refused(error, limit)
                if error.code == MISSING_PERMISSIONS and target.route != "dm" and job.channel_id is not None:
                    lacking = self._lacking(job.channel_id)
                    log.warning(
                        "job %s: the bot lacks %s in channel %s",
                        job.id,
                        ", ".join(lacking) or "a permission",
                        job.channel_id,
                    )
                target = self._next_target(target, error, job)
                continue
            attempts.append((target.route, "ok"))
            return (DeliveryOutcome.DELIVERED if target.route == "reply" else DeliveryOutcome.DELIVERED_LATE), message
        return DeliveryOutcome.KEPT, None

    @staticmethod
    def _why_here(job: Job, lacking: list[str]) -> str:
        return _(
            "I couldn't post this in <#{channel}>: I lack the {permissions} permission there.",
            channel=job.channel_id,
            permissions=", ".join(lacking),
        ).render(job.locale)

    def _next_target(self, target: AnswerTarget, error: discord.HTTPException, job: Job) -> AnswerTarget | None:
        """Where to try after `target` failed: the channel when the response is gone, the member's
        DMs when every other route is closed, then nowhere (the images are kept). A 429 that
        discord.py gave up on is a block of the bot's address (Cloudflare's): no route would pass,
        and every call made during it lengthens it."""
        if error.status == 429 or target.route == "dm":
            return None
        if target.route == "reply" and error.code in GONE and job.channel_id is not None:
            return self._answers.fallback(job, "channel")
        return self._answers.fallback(job, "dm")

    async def _kept(self, running: RunningJob, record: UsageRecord, result: ImagesResult) -> list[KeptResult]:
        """The result's images as rows to hold (identified in worker threads, not re-encoded)."""
        job, now = running.job, self._clock.now()
        extensions = await asyncio.gather(*(self._threads.run(extension_of, image.data) for image in result.images))
        prefix = "SPOILER_" if running.params.moderation == "low" else ""
        return [
            KeptResult(
                usage_id=record.id,
                user_id=record.user_id,
                guild_id=record.guild_id,
                data=image.data,
                filename=f"{prefix}{record.command}-{job.id}-{index}.{extension}",
                size=len(image.data),
                created_at=now,
                expires_at=now + self._keep_for,
                held=True,
            )
            for index, (image, extension) in enumerate(zip(result.images, extensions, strict=True), start=1)
        ]

    async def _record(
        self,
        record: UsageRecord,
        attempts: list[tuple[str, str]],
        unheld: list[KeptResult],
        preview: ResultPreview | None,
    ) -> None:
        """The delivery's outcome, its attempts, what becomes of the held images (released once
        delivered, kept when not) and where the result's images are (for /history's preview), in
        one unit of work."""
        try:
            async with self._sessions() as session:
                if preview is not None:
                    await session.merge(preview)  # a job run again replaces its first result's
                    await release_held(session, record.id)
                else:
                    for result in unheld:
                        result.held = False
                    dropped = await (
                        keep(session, unheld, self._keep_bytes)
                        if unheld
                        else keep_held(session, record.id, self._keep_bytes)
                    )
                    if dropped:
                        log.warning("dropped the %d oldest kept results to stay within the cap", dropped)
                for route, outcome in attempts:
                    log_attempt(session, record.id, route, outcome)
                session.add(record)
                await session.commit()
        except Exception:
            log.exception("could not record the delivery of usage row %s (%s)", record.id, record.delivery)

    async def _settle(
        self, record: UsageRecord, result: ImagesResult, images: list[KeptResult]
    ) -> tuple[ModeratorNotice | None, bool]:
        """Count the result once and hold its images, in one unit of work; returns the budget
        alert, if any, and whether the images are held."""
        try:
            async with self._sessions() as session:
                if not await claim_settlement(session, record.id, record.status):
                    log.warning("usage row %s was settled by an earlier run; not counted again", record.id)
                    return None, False
                alert = await self._policy.settle(session, record, result)
                session.add(record)
                session.add_all(images)
                await session.commit()
                return alert, True
        except Exception:
            log.exception(
                "could not settle usage row %s: guild=%s user=%s status=%s images=%s",
                record.id,
                record.guild_id,
                record.user_id,
                record.status,
                record.image_count,
            )
            return None, False
