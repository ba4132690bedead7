"""A message's request of an image: an edit with its words or a variation without, refused before
the bot posts anything when the request or the guild's policy refuses without reserving; else the
bot's one status message, paced by the status sender's openings, replying without a ping, the row
saved as that message's, and the job queued to answer there. A refusal after it was posted takes
it back. Real catalog, policy, admission (an idle runner) and SQLite; the messages are fakes."""

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.billing.usage import UsageLog, start_message_record
from bot.db.models import GuildSettings, JobOrigin, UsageRecord, WordFilter
from bot.errors import Filtered, InvalidRequest, LimitReached
from bot.flow.admission import Admission
from bot.flow.conversation import Ask
from bot.flow.locales import Locales
from bot.flow.message_intake import MessageIntake, asked
from bot.flow.sources import SourceImage
from bot.flow.status import Openings
from bot.i18n import _
from bot.images import ModelRegistry
from tests.helpers import flow_catalog, idle_runner, stored_rows_and_jobs

GUILD, CHANNEL, MEMBER, APP = 10, 20, 30, 40
IMAGE = SourceImage("https://cdn.example.com/1/photo.png", 1000, "photo.png")
MODELS = ModelRegistry()


class StatusMessage:
    def __init__(self, message_id: int, channel, guild) -> None:
        self.id, self.channel, self.guild = message_id, channel, guild
        self.deleted = False

    async def delete(self) -> None:
        self.deleted = True


class MembersMessage:
    """A member's message in a guild channel the bot may answer in; `replies` records the bot's."""

    def __init__(self) -> None:
        self.guild = SimpleNamespace(
            id=GUILD, filesize_limit=10 * 2**20, preferred_locale=SimpleNamespace(value="zh-CN")
        )
        self.channel = SimpleNamespace(id=CHANNEL, guild=self.guild, is_nsfw=lambda: False)
        self.author = SimpleNamespace(id=MEMBER, roles=[])
        self.created_at = datetime.now(UTC)
        self.replies: list[tuple[str, dict]] = []
        self.status: StatusMessage | None = None

    async def reply(self, text: str, **options) -> StatusMessage:
        self.replies.append((text, options))
        self.status = StatusMessage(700 + len(self.replies), self.channel, self.guild)
        return self.status


class Parts:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        policy = Policy(PriceTable(), personal_images_per_day=10)
        self.runner = idle_runner(sessions, policy)
        self.openings = Openings()
        self.intake = MessageIntake(
            catalog=flow_catalog(),
            admission=Admission(policy=policy, sessions=sessions, runner=self.runner),
            sessions=sessions,
            usage=UsageLog(sessions),
            locales=Locales(sessions, lambda _guild_id: None),
            openings=self.openings,
        )

    async def reply(self, message: MembersMessage, ask: Ask) -> UsageRecord:
        """The intake's reply, its opening granted once it asks for one."""
        self.openings.arrived.clear()  # as the status sender does when it wakes
        record = start_message_record(message)  # type: ignore[arg-type]
        replying = asyncio.ensure_future(self.intake.reply(message, record, ask, application_id=APP))  # type: ignore[arg-type]
        arrived = asyncio.ensure_future(self.openings.arrived.wait())
        await asyncio.wait({replying, arrived}, return_when=asyncio.FIRST_COMPLETED)
        arrived.cancel()
        if not replying.done():
            assert message.replies == []  # nothing posted before its turn
            self.openings.grant(1)
        await replying
        return record


@pytest.fixture
def parts(sessions) -> Parts:
    return Parts(sessions)


def test_words_make_an_edit_and_none_a_variation_each_if_the_model_can():
    gpt, dall_e_3 = MODELS.get("gpt-image-2"), MODELS.get("dall-e-3")
    edit = asked(gpt, Ask("make it night", IMAGE, None))
    assert (edit.kind, edit.prompt, edit.image) == ("edit", "make it night", IMAGE)
    assert asked(gpt, Ask("", IMAGE, None)).kind == "vary"
    with pytest.raises(InvalidRequest, match="can't edit images"):
        asked(dall_e_3, Ask("make it night", IMAGE, None))
    with pytest.raises(InvalidRequest, match="can't make variations"):
        asked(dall_e_3, Ask("", IMAGE, None))


async def test_the_status_replies_without_a_ping_and_the_job_answers_in_it(parts):
    message = MembersMessage()
    record = await parts.reply(message, Ask("make it night", IMAGE, None))
    [(text, options)] = message.replies
    assert text == _("⏳ In the queue…").render("zh-CN")  # the guild's Discord language
    assert options["mention_author"] is False and options["allowed_mentions"].users is False
    [row], [job] = await stored_rows_and_jobs(parts.sessions)
    assert (row.id, row.message_id, row.model, row.via) == (record.id, message.status.id, "gpt-image-2", "reply")
    assert (job.origin, job.message_id, job.channel_id, job.kind) == (
        JobOrigin.MESSAGE,
        message.status.id,
        CHANNEL,
        "edit",
    )
    assert job.interaction_token is None and parts.runner.queued_job(job.id) is not None


async def test_a_reply_to_a_result_continues_its_row(parts):
    first = await parts.reply(MembersMessage(), Ask("make it night", IMAGE, None))
    second = await parts.reply(MembersMessage(), Ask("", IMAGE, first.message_id))
    assert second.parent_id == first.id
    rows, _jobs = await stored_rows_and_jobs(parts.sessions)
    assert rows[1].parent_id == first.id


async def test_a_refusal_of_the_precheck_posts_nothing_and_saves_nothing(parts):
    async with parts.sessions() as session:
        session.add(WordFilter(guild_id=GUILD, pattern="night", created_by=1))
        await session.commit()
    message = MembersMessage()
    with pytest.raises(Filtered):
        await parts.reply(message, Ask("make it night", IMAGE, None))
    assert message.replies == [] and await stored_rows_and_jobs(parts.sessions) == ([], [])


async def test_a_refusal_after_the_status_was_posted_takes_it_back(parts):
    async with parts.sessions() as session:
        session.add(GuildSettings(guild_id=GUILD, images_per_day=0))
        await session.commit()
    message = MembersMessage()
    with pytest.raises(LimitReached):
        await parts.reply(message, Ask("make it night", IMAGE, None))
    assert message.status is not None and message.status.deleted
    [_row], jobs = await stored_rows_and_jobs(parts.sessions)  # the row stays for the error path to finish
    assert jobs == [] and parts.runner.waiting() == []


async def test_nothing_is_taken_while_the_bot_shuts_down(parts):
    parts.runner.accepting = False
    message = MembersMessage()
    with pytest.raises(InvalidRequest, match="restarting"):
        await parts.reply(message, Ask("make it night", IMAGE, None))
    assert message.replies == [] and await stored_rows_and_jobs(parts.sessions) == ([], [])
