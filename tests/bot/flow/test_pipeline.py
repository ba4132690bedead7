"""A job from start to end as the runner runs it: the status shown, the paying account's call
(screened first), then delivery, or the one failure path with the member told; made images that
screening flags or that can't be posted are charged once and never posted; a long Retry-After
sends the job back to the queue, a few times at most. Real production, accounts, screening,
delivery, failures and strikes, on the Images stand-in and SQLite; the member's answers and the
status sender are recording fakes."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from PIL import Image

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.clock import SystemClock
from bot.db.models import Job, KeptResult, UsageRecord
from bot.flow.delivery import Delivery
from bot.flow.failures import Failures
from bot.flow.flags import FlagAlerts
from bot.flow.job_params import EditParams, GenerateParams
from bot.flow.locales import Locales
from bot.flow.notices import ModeratorNotices
from bot.flow.pipeline import MAX_WAITS, Pipeline
from bot.flow.production import Production
from bot.flow.screening import Screener
from bot.images import ModelRegistry
from bot.images.transport import Transport, TransportSettings
from bot.jobs.work import RetryLater
from bot.metrics import Metrics
from bot.threads import BoundedThreads
from tests.helpers import ResultViews, ScriptedAnswers, ScriptedRoute, encode, keyless_accounts, pending_usage, uploaded
from tests.standins.images_rules import API_KEY

GUILD, CHANNEL, MEMBER = 10, 20, 30


class RecordedStatus:
    """The status sender: what each job was shown, and which stopped updating."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, bool]] = []
        self.stopped: list[int] = []

    def show(self, job, status) -> None:
        self.shown.append((status.render("en-US"), status.preview is not None))

    async def stop_updates(self, job_id: int) -> None:
        self.stopped.append(job_id)


class Parts:
    def __init__(self, sessions, session, images_api, downloads, moderation, *, check_results: bool) -> None:
        self.sessions, self.sent = sessions, []
        self.answers = ScriptedAnswers(reply=ScriptedRoute("reply", self.sent))
        self.status = RecordedStatus()
        policy, threads, clock = Policy(PriceTable(), personal_images_per_day=10), BoundedThreads(2), SystemClock()
        locales = Locales(sessions, lambda _guild_id: None)
        notices = ModeratorNotices(self.answers, locales)  # type: ignore[arg-type]
        settings = TransportSettings(max_retries=0, max_retry_wait=1.0)
        transport = Transport(session, base_url=images_api.base_url, api_key=API_KEY, settings=settings)
        metrics = Metrics(models=["gpt-image-2"])

        async def nothing_saved(_reference):
            raise AssertionError("no saved reference here")

        self.pipeline = Pipeline(
            models=ModelRegistry(),
            production=Production(
                downloads=downloads,
                threads=threads,
                output_format="auto",
                output_compression=80,
                read_saved=nothing_saved,
            ),
            accounts=keyless_accounts(sessions, transport, clock=clock),
            delivery=Delivery(
                sessions=sessions,
                policy=policy,
                threads=threads,
                answers=self.answers,  # type: ignore[arg-type]
                views=ResultViews(),  # type: ignore[arg-type]
                lacking=lambda _channel_id: [],
                notices=notices,
                clock=clock,
                keep_for=timedelta(hours=24),
                keep_bytes=2**20,
                metrics=metrics,
            ),
            failures=Failures(sessions, policy, metrics),
            notices=notices,
            answers=self.answers,  # type: ignore[arg-type]
            status=self.status,  # type: ignore[arg-type]
            metrics=metrics,
            clock=clock,
            screener=Screener(moderation, categories=(), threads=threads, check_results=check_results),
            flags=FlagAlerts(
                sessions=sessions,
                answers=self.answers,  # type: ignore[arg-type]
                locales=locales,
                views=ResultViews(),  # type: ignore[arg-type]
                clock=clock,
                flags_before_block=3,
                flag_window=timedelta(days=7),
            ),
        )
        self.provider_done = 0

    def done(self) -> None:
        self.provider_done += 1

    async def job(self, params, *, waits: int = 0, kind: str | None = None) -> Job:
        record = await pending_usage(
            self.sessions,
            guild_id=GUILD,
            channel_id=CHANNEL,
            user_id=MEMBER,
            model=params.model,
            n=params.n,
            prompt=params.prompt,
        )
        return Job(
            id=record.id,
            usage_id=record.id,
            kind=kind or params.kind,
            user_id=MEMBER,
            guild_id=GUILD,
            channel_id=CHANNEL,
            locale="en-US",
            params=params.stored(),
            attachment_limit=8 * 2**20,
            created_at=datetime.now(UTC),
            waits=waits,
        )

    async def row(self, job: Job) -> UsageRecord:
        async with self.sessions() as session:
            return await session.get(UsageRecord, job.usage_id)


@pytest.fixture
async def make_parts(sessions, images_api, downloads, moderation) -> AsyncIterator:
    async with aiohttp.ClientSession() as session:
        yield lambda check_results=False: Parts(
            sessions, session, images_api, downloads, moderation, check_results=check_results
        )


def told(parts: Parts) -> str:
    [(text, _view)] = parts.answers.told
    return text


async def test_a_job_is_made_screened_paid_for_and_delivered(make_parts, images_api):
    parts = make_parts()
    job = await parts.job(GenerateParams(model="gpt-image-2", n=2, prompt="two foxes"))
    assert await parts.pipeline.run(job, parts.done) is True
    assert parts.provider_done == 1 and parts.status.shown[0] == ("🎨 Working on it…", False)
    assert job.id in parts.status.stopped
    row = await parts.row(job)
    assert (row.status, row.delivery, row.paid_by, row.screened, row.image_count) == ("ok", "delivered", "bot", True, 2)
    assert len(images_api.moderation_requests) == 1 and len(images_api.requests) == 1
    assert parts.pipeline.answerable(job)


async def test_a_streamed_job_shows_each_preview_in_the_status(make_parts):
    parts = make_parts()
    job = await parts.job(GenerateParams(model="gpt-image-2", n=1, prompt="a fox"))
    assert await parts.pipeline.run(job, parts.done) is True
    assert parts.status.shown[1:] == [("🎨 Working on it… preview 1", True), ("🎨 Working on it… preview 2", True)]


async def test_a_flagged_request_fails_before_the_paid_call_and_counts_a_strike(make_parts, images_api):
    images_api.moderation.words["axe"] = ("violence",)
    parts = make_parts()
    job = await parts.job(GenerateParams(model="gpt-image-2", n=1, prompt="an axe"))
    assert await parts.pipeline.run(job, parts.done) is False
    assert images_api.requests == [] and parts.provider_done == 1
    row = await parts.row(job)
    assert (row.status, row.flags, row.cost_usd) == ("flagged", "violence", None)
    assert "safety check flagged this request (violence)" in told(parts) and parts.sent == []


async def test_made_images_flagged_are_charged_withheld_and_the_member_told(make_parts, images_api):
    images_api.moderation.every_image = ("violence",)
    parts = make_parts(check_results=True)
    job = await parts.job(GenerateParams(model="gpt-image-2", n=2, prompt="two foxes"))
    assert await parts.pipeline.run(job, parts.done) is True
    row = await parts.row(job)
    assert (row.status, row.delivery, row.flags) == ("flagged", "withheld", "violence") and row.cost_usd > 0
    assert "flagged the images that were made (violence)" in told(parts) and parts.sent == []


async def test_a_drawing_that_cannot_be_made_safe_is_charged_and_never_posted(make_parts, images_api):
    images_api.svg_answer = "broken"
    parts = make_parts()
    params = GenerateParams(model="gpt-image-2.6-flare", n=1, prompt="a logo", format="svg")
    job = await parts.job(params)
    assert await parts.pipeline.run(job, parts.done) is True
    row = await parts.row(job)
    assert (row.status, row.error_code, row.delivery) == ("failed", "unusable_result", "withheld")
    assert "made a file that can't be posted" in told(parts) and parts.sent == []


async def test_a_long_retry_after_sends_the_job_back_to_the_queue_a_few_times_at_most(make_parts, images_api):
    parts = make_parts()
    job = await parts.job(GenerateParams(model="gpt-image-2", n=2, prompt="two foxes"))
    images_api.fail_next("rate_limit", retry_after=30)
    assert await parts.pipeline.run(job, parts.done) == RetryLater(30)
    assert "back in line" in parts.status.shown[-1][0] and (await parts.row(job)).status == "pending"
    job.waits = MAX_WAITS
    images_api.fail_next("rate_limit", retry_after=30)
    assert await parts.pipeline.run(job, parts.done) is False
    assert (await parts.row(job)).error_code == "rate_limited" and "busy right now" in told(parts)


async def test_a_damaged_job_fails_on_the_one_failure_path(make_parts, images_api):
    parts = make_parts()
    job = await parts.job(GenerateParams(model="gpt-image-2", n=1, prompt="a fox"), kind="edit")  # params not an edit's
    assert await parts.pipeline.run(job, parts.done) is False
    row = await parts.row(job)
    assert (row.status, row.error_code, images_api.requests) == ("failed", "crash", [])
    assert "went wrong on our side" in told(parts)


async def test_an_unreadable_input_fails_the_job_before_any_call(make_parts, discord_api, images_api):
    parts = make_parts()
    params = EditParams(model="gpt-image-2", n=1, prompt="night", image=uploaded(discord_api, b"not an image"))
    job = await parts.job(params)
    assert await parts.pipeline.run(job, parts.done) is False
    row = await parts.row(job)
    assert (row.status, row.error_code) == ("invalid", "invalid_request") and images_api.requests == []
    assert "can't be used" in told(parts)


async def test_a_settled_job_after_a_crash_is_delivered_from_its_held_images(make_parts, images_api):
    parts = make_parts()
    job = await parts.job(GenerateParams(model="gpt-image-2", n=2, prompt="two foxes"))
    assert await parts.pipeline.redeliver(job) is False  # nothing was settled or held
    now = datetime.now(UTC)
    async with parts.sessions() as session:
        row = await session.get(UsageRecord, job.usage_id)
        row.status, row.cost_usd = "ok", 0.08  # settled, the images held, then the process died
        session.add_all(
            KeptResult(
                usage_id=row.id,
                user_id=MEMBER,
                guild_id=GUILD,
                data=encode(Image.new("RGB", (64, 64), colour)),
                filename=f"imagine-{job.id}-{number}.png",
                size=100,
                created_at=now,
                expires_at=now + timedelta(days=1),
                held=True,
            )
            for number, colour in enumerate([(255, 0, 0), (0, 0, 255)], 1)
        )
        await session.commit()
    assert await parts.pipeline.redeliver(job) is True
    [(route, filenames, _sizes)] = parts.sent
    assert route == "reply" and len(filenames) == 2 and images_api.requests == []
    row = await parts.row(job)
    assert (row.delivery, row.cost_usd) == ("delivered", 0.08)
