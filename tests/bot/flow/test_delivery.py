"""Delivery as a unit: the row settled once with the images held, then the routes in turn (the
reply, re-encoded smaller on 413; the channel when the reply is gone; the DMs, saying why, when the
channel is closed; nowhere after a 429), every attempt logged, and the images released once
delivered or kept for /results with the member told; a crash between settling and delivering is
delivered from the held images. Real policy and SQLite; the answer targets are scripted fakes of
Discord's answers (what each route does is tests/bot/flow/test_delivery_routes.py's, end to end)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.db.models import DeliveryAttempt, Job, KeptResult, ResultPreview, UsageRecord
from bot.flow.delivery import Delivery, hidden_by, outcome_of
from bot.flow.job_params import GenerateParams, RunningJob
from bot.flow.locales import Locales
from bot.flow.notices import ModeratorNotices
from bot.images import GeneratedImage, ImagesResult, ModelRegistry
from bot.images.results import TokenUsage
from bot.metrics import Metrics
from bot.threads import BoundedThreads
from tests.helpers import ResultViews, ScriptedAnswers, ScriptedRoute, encode, http_refusal, pending_usage

GUILD, CHANNEL, MEMBER = 10, 20, 30
KEEP_FOR = timedelta(hours=24)


class Parts:
    def __init__(self, sessions, answers: ScriptedAnswers) -> None:
        self.sessions, self.answers, self.views = sessions, answers, ResultViews()
        self.delivery = Delivery(
            sessions=sessions,
            policy=Policy(PriceTable(), personal_images_per_day=10),
            threads=BoundedThreads(2),
            answers=answers,  # type: ignore[arg-type]
            views=self.views,  # type: ignore[arg-type]
            lacking=lambda channel_id: ["Attach Files"],
            notices=ModeratorNotices(answers, Locales(sessions, lambda _guild_id: None)),  # type: ignore[arg-type]
            clock=SimpleNamespace(now=lambda: datetime.now(UTC), monotonic=lambda: 0.0),  # type: ignore[arg-type]
            keep_for=KEEP_FOR,
            keep_bytes=10 * 2**20,
            metrics=Metrics(models=["gpt-image-2"]),
        )

    async def pending(self, limit: int = 25 * 2**20, **params) -> tuple[RunningJob, UsageRecord]:
        record = await pending_usage(
            self.sessions, guild_id=GUILD, channel_id=CHANNEL, user_id=MEMBER, model="gpt-image-2", n=2
        )
        job = Job(
            id=7,
            usage_id=record.id,
            kind="generate",
            user_id=MEMBER,
            guild_id=GUILD,
            channel_id=CHANNEL,
            locale="en-US",
            attachment_limit=limit,
        )
        spec = ModelRegistry().get("gpt-image-2")
        return RunningJob(
            job=job, params=GenerateParams(model=spec.name, n=2, prompt="two foxes", **params), spec=spec
        ), record

    async def saved(self, record: UsageRecord):
        async with self.sessions() as session:
            row = await session.get(UsageRecord, record.id)
            attempts = [
                (a.route, a.outcome)
                for a in await session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))
            ]
            kept = list(await session.scalars(select(KeptResult).order_by(KeptResult.id)))
            preview = await session.get(ResultPreview, record.id)
        return row, attempts, kept, preview


def result(size=(64, 64), noise: bool = False) -> ImagesResult:
    def image(colour):
        picture = Image.effect_noise(size, 100).convert("RGB") if noise else Image.new("RGB", size, colour)
        return GeneratedImage(encode(picture))

    usage = TokenUsage(input_tokens=50, output_tokens=4000, total_tokens=4050)
    return ImagesResult(images=[image((255, 0, 0)), image((0, 0, 255))], usage=usage)


def test_a_result_is_a_spoiler_when_asked_or_when_low_moderation_leaves_its_channel():
    plain, spoiler = (
        GenerateParams(model="m", n=1, prompt="p"),
        GenerateParams(model="m", n=1, prompt="p", spoiler=True),
    )
    low = GenerateParams(model="m", n=1, prompt="p", moderation="low")
    assert not hidden_by(plain, "reply") and hidden_by(spoiler, "reply")
    assert not hidden_by(low, "reply") and not hidden_by(low, "channel") and hidden_by(low, "dm")
    assert outcome_of(http_refusal(404, 10015)) == "404/10015"


async def test_a_delivered_reply_settles_once_and_releases_the_held_images(sessions):
    sent: list = []
    parts = Parts(sessions, ScriptedAnswers(reply=ScriptedRoute("reply", sent)))
    running, record = await parts.pending(spoiler=True)
    await parts.delivery.deliver(running, record, result())
    row, attempts, kept, preview = await parts.saved(record)
    assert (row.status, row.delivery, row.message_id, row.image_count) == ("ok", "delivered", 5001, 2)
    assert row.cost_usd > 0 and row.output_tokens == 4000
    assert attempts == [("reply", "ok")] and kept == []
    assert preview.spoiler and len(preview.image_urls) == 2
    [(route, filenames, _sizes)] = sent
    assert route == "reply" and all(name.startswith("SPOILER_") for name in filenames)


async def test_too_large_files_are_sent_again_smaller(sessions):
    sent: list = []
    parts = Parts(sessions, ScriptedAnswers(reply=ScriptedRoute("reply", sent, [http_refusal(413, 40005)])))
    running, record = await parts.pending(limit=4 * 2**20)
    await parts.delivery.deliver(running, record, result((1024, 1024), noise=True))
    row, attempts, _kept, _preview = await parts.saved(record)
    assert attempts == [("reply", "413/40005"), ("reply", "ok")] and row.delivery == "delivered"
    (_r, _n, first), (_r2, _n2, second) = sent
    assert sum(second) < sum(first)


async def test_a_gone_reply_goes_to_the_channel_then_a_closed_channel_to_the_dms_saying_why(sessions):
    sent: list = []
    answers = ScriptedAnswers(
        reply=ScriptedRoute("reply", sent, [http_refusal(404, 10015)]),
        channel=ScriptedRoute("channel", sent, [http_refusal(403, 50013)]),
        dm=ScriptedRoute("dm", sent),
    )
    parts = Parts(sessions, answers)
    running, record = await parts.pending()
    await parts.delivery.deliver(running, record, result())
    row, attempts, kept, _preview = await parts.saved(record)
    assert attempts == [("reply", "404/10015"), ("channel", "403/50013"), ("dm", "ok")]
    assert (row.delivery, kept) == ("delivered_late", [])
    assert parts.views.texts[1].startswith(f"<@{MEMBER}>")  # the channel's mentions the member
    assert parts.views.texts[2].startswith(f"I couldn't post this in <#{CHANNEL}>: I lack the Attach Files")


async def test_after_a_429_no_other_route_is_tried_and_the_images_are_kept(sessions):
    sent: list = []
    parts = Parts(
        sessions,
        ScriptedAnswers(reply=ScriptedRoute("reply", sent, [http_refusal(429, 0)]), dm=ScriptedRoute("dm", sent)),
    )
    running, record = await parts.pending()
    await parts.delivery.deliver(running, record, result())
    row, attempts, kept, preview = await parts.saved(record)
    assert attempts == [("reply", "429/0")] and [route for route, *_ in sent] == ["reply"]
    assert (row.delivery, row.message_id, preview) == ("kept", None, None)
    assert [(k.held, k.expires_at - k.created_at) for k in kept] == [(False, KEEP_FOR)] * 2
    [(text, view)] = parts.answers.told
    assert "kept for 24 hours" in text and view == "the results button"


async def test_a_crash_after_settling_is_delivered_from_the_held_images_without_paying_again(sessions):
    sent: list = []
    parts = Parts(sessions, ScriptedAnswers(reply=ScriptedRoute("reply", sent, crash=True)))
    running, record = await parts.pending()
    with pytest.raises(RuntimeError):
        await parts.delivery.deliver(running, record, result())
    row, _attempts, kept, _preview = await parts.saved(record)
    assert row.status == "ok" and [k.held for k in kept] == [True, True]
    cost = row.cost_usd
    again = Parts(sessions, ScriptedAnswers(reply=ScriptedRoute("reply", sent)))  # the next run
    assert await again.delivery.redeliver(running, row)
    row, attempts, kept, _preview = await again.saved(record)
    assert (row.delivery, row.cost_usd, kept, attempts) == ("delivered", cost, [], [("reply", "ok")])
    assert not await again.delivery.redeliver(running, UsageRecord(id=row.id, delivery=None))  # nothing held


async def test_a_result_settled_by_an_earlier_run_is_not_counted_again(sessions, caplog):
    parts = Parts(sessions, ScriptedAnswers(reply=ScriptedRoute("reply", [])))
    running, record = await parts.pending()
    read_by_the_second_run = await parts.delivery.usage_row(running.job)  # while both runs waited on the provider
    await parts.delivery.deliver(running, record, result())
    cost = (await parts.saved(record))[0].cost_usd
    await parts.delivery.deliver(running, read_by_the_second_run, result())
    row, attempts, kept, _preview = await parts.saved(record)
    assert row.cost_usd == cost and row.delivery == "delivered" and kept == []
    assert attempts == [("reply", "ok"), ("reply", "ok")]
    assert "settled by an earlier run; not counted again" in caplog.text
    assert "could not record" not in caplog.text


async def test_flagged_or_unusable_images_are_settled_once_and_never_posted(sessions):
    sent: list = []
    parts = Parts(sessions, ScriptedAnswers(reply=ScriptedRoute("reply", sent)))
    _running, flagged = await parts.pending()
    assert await parts.delivery.withhold(flagged, result(), ("violence", "gore"))
    assert not await parts.delivery.withhold(flagged, result(), ("violence",))  # an earlier run settled it
    row, attempts, kept, _preview = await parts.saved(flagged)
    assert (row.status, row.error_code, row.flags, row.delivery) == (
        "flagged",
        "flagged_result",
        "violence,gore",
        "withheld",
    )
    assert row.cost_usd > 0 and (attempts, kept, sent) == ([], [], [])
    _running, broken = await parts.pending()
    assert await parts.delivery.discard(broken, result(), "the SVG does not parse")
    row, *_ = await parts.saved(broken)
    assert (row.status, row.error_code, row.error_detail, row.delivery) == (
        "failed",
        "unusable_result",
        "the SVG does not parse",
        "withheld",
    )
