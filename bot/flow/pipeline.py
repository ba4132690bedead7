"""A job from start to end: production, then delivery, or the one failure path; the member's
status shown on the way. This is what the job runner runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.clock import Clock, aware
from bot.db.models import Job, UsageRecord
from bot.errors import Flagged
from bot.flow.accounts import Account, Accounts
from bot.flow.answers import MemberAnswers
from bot.flow.delivery import Delivery
from bot.flow.failures import Failures
from bot.flow.flags import FlagAlerts
from bot.flow.job_params import RunningJob, params_of
from bot.flow.notices import ModeratorNotices
from bot.flow.production import Production
from bot.flow.screening import Screener
from bot.flow.status import Status, StatusSender
from bot.i18n import Text, _
from bot.images import ImagesResult, ModelRegistry
from bot.images import errors as images_errors
from bot.images.moderation import Screening
from bot.imaging import ImageDataError
from bot.jobs.work import RetryLater
from bot.metrics import Metrics

log = logging.getLogger(__name__)

# A provider's Retry-After up to this long is waited out in the queue, at most MAX_WAITS times
# for one job; a longer one, or more, fails the request as rate limited.
MAX_QUEUE_WAIT_SECONDS = 600.0
MAX_WAITS = 3


class Pipeline:
    def __init__(
        self,
        *,
        models: ModelRegistry,
        production: Production,
        accounts: Accounts,
        delivery: Delivery,
        failures: Failures,
        notices: ModeratorNotices,
        answers: MemberAnswers,
        status: StatusSender,
        metrics: Metrics,
        clock: Clock,
        screener: Screener | None,
        flags: FlagAlerts,
    ) -> None:
        """`screener` screens each job before its paid call (None: screening is off); `flags`
        tells the moderators of what it flagged, and blocks a member on strikes."""
        self._screener = screener
        self._flags = flags
        self._models = models
        self._production = production
        self._accounts = accounts
        self._delivery = delivery
        self._failures = failures
        self._notices = notices
        self._answers = answers
        self._status = status
        self._metrics = metrics
        self._clock = clock

    def answerable(self, job: Job) -> bool:
        return self._answers.answerable(job)

    def _running(self, job: Job) -> RunningJob:
        """The job with its params read, once, and its model; a damaged row raises DamagedJob."""
        params = params_of(job)
        return RunningJob(job, params, self._models.get(params.model))

    async def run(self, job: Job, provider_done: Callable[[], None]) -> bool | RetryLater:
        """Run a job to its end: delivered, or failed with the member told and the row finished,
        or, when the provider asks for a long wait, back to the queue. `provider_done()` is called
        when the provider's part is over. The usage row is read beside the provider call, not
        before it."""
        row = asyncio.create_task(self._delivery.usage_row(job))
        self._metrics.queue_waited((self._clock.now() - aware(job.created_at)).total_seconds())
        screenings: list[Screening] = []
        account: Account | None = None
        try:
            running = self._running(job)  # a damaged row fails here, on the one failure path
            relaxed = running.params.moderation == "low"

            async def show_preview(image: bytes, number: int) -> None:
                preview = await self._production.preview(image, job.attachment_limit)
                status = Status(
                    (_("🎨 Working on it… preview {index}", index=number),),
                    preview=preview.data,
                    spoiler=running.params.spoiler,
                )
                self._status.show(job, status)

            async def screen(prompt: str | None, images: list[bytes]) -> None:
                if self._screener is not None:
                    screenings.append(await self._screener.check_inputs(prompt, images, relaxed=relaxed))

            self._status.show(job, Status((_("🎨 Working on it…"),)))
            called = self._clock.monotonic()
            try:
                account = await self._accounts.for_guild(job.guild_id)
                result = await self._production.produce(running, account.images, show_preview, screen)
            finally:
                provider_done()
                self._metrics.provider_called(job.kind, self._clock.monotonic() - called)
            await self._status.stop_updates(job.id)
            record = await row
            record.paid_by = account.paid_by
            if screenings:
                record.screened = all(screening.screened for screening in screenings)
            try:
                result = await self._production.drawings_cleaned(result)
            except ImageDataError as exc:
                await self._unposted(job, record, result, reason=exc.reason)
                return True
            if self._screener is not None and self._screener.check_results:
                pictures = await self._production.pictures(result)
                flagged = await self._screener.check_result(pictures, relaxed=relaxed)
                if flagged:
                    await self._unposted(job, record, result, flagged=flagged)
                    return True
            await self._delivery.deliver(running, record, result)
            return True
        except asyncio.CancelledError:
            row.cancel()
            raise
        except images_errors.ImagesError as exc:
            wait = exc.wait_in_queue
            if wait is None or wait > MAX_QUEUE_WAIT_SECONDS or job.waits >= MAX_WAITS:
                return await self._fail(job, row, account, exc)
            await row
            self._status.show(job, Status((_("⏳ The image service asked us to wait; your request is back in line."),)))
            return RetryLater(wait)
        except Exception as exc:
            return await self._fail(job, row, account, exc)

    async def _fail(self, job: Job, row: asyncio.Task[UsageRecord], account: Account | None, exc: Exception) -> bool:
        """The one failure path: the row finished with the error's kind, the member told."""
        record = await row
        if account is not None:
            record.paid_by, exc = account.paid_by, account.fault(exc)
        failure = await self._failures.record(record, exc, what=f"job {job.id} (/{record.command})")
        told = [failure.message]
        if isinstance(exc, Flagged) and (
            blocked := await self._flags.flagged(job, record, deletable=exc.in_image and record.parent_id is not None)
        ):
            told.append(blocked)
        await self._told(job, told)
        if failure.notice is not None and record.guild_id is not None:
            await self._notices.post(record.guild_id, failure.notice)
        return False

    async def _unposted(
        self,
        job: Job,
        record: UsageRecord,
        result: ImagesResult,
        *,
        reason: Text | None = None,
        flagged: tuple[str, ...] = (),
    ) -> None:
        """Made images that are charged once and never posted: files that can't be posted (an SVG
        that can't be made safe, for `reason`), or images screening `flagged` (the moderators hear
        too). The member hears why, unless an earlier run settled them."""
        if flagged:
            if not await self._delivery.withhold(record, result, flagged):
                return
            told = [
                _(
                    "The safety check flagged the images that were made ({categories}), so they were not posted. "
                    "The request was charged.",
                    categories=", ".join(flagged),
                )
            ]
            if blocked := await self._flags.flagged(job, record):
                told.append(blocked)
        else:
            assert reason is not None
            if not await self._delivery.discard(record, result, reason.render("en-US")):
                return
            told = [
                _(
                    "The image service made a file that can't be posted: {reason}. The request was charged.",
                    reason=reason,
                )
            ]
        await self._told(job, told)

    async def _told(self, job: Job, told: list[Text]) -> None:
        """The member told `told`, in place of their status (cleared first, so that no status
        edit lands on top)."""
        await self._status.stop_updates(job.id)
        await self._answers.tell(job, " ".join(text.render(job.locale) for text in told))

    async def redeliver(self, job: Job) -> bool:
        """A settled job after a crash: its held images delivered, nothing made or charged again."""
        record = await self._delivery.usage_row(job)
        return await self._delivery.redeliver(self._running(job), record)

    async def stop_updates(self, job: Job) -> None:
        await self._status.stop_updates(job.id)

    async def tell(self, job: Job, message: Text) -> None:
        await self._told(job, [message])
