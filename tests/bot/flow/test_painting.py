"""The painting page's links: a signed token bound to its ticket (member, guild, image), living
15 minutes, used once; a send's prompt and drawing checked before the link is used up, then an
edit queued like any other (a refusal finishes its row); and the page's copies of the images,
made once per link and kept within a budget. Real signing, catalog, admission (an idle runner),
failure path and SQLite; images on the Discord stand-in's CDN."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.billing.usage import UsageLog
from bot.db.models import JobOrigin
from bot.flow.admission import Admission
from bot.flow.failures import Failures
from bot.flow.painting import (
    LINK_LIFETIME,
    MAX_PROMPT_CHARS,
    Drawing,
    PageImages,
    PaintedEdits,
    Painting,
    PaintRefused,
)
from bot.flow.sources import SourceImage
from bot.imaging import page_copy
from bot.metrics import Metrics
from bot.threads import BoundedThreads
from tests.helpers import (
    PAINT_SECRET,
    decode,
    encode,
    fake_interaction,
    flow_catalog,
    idle_runner,
    mask_png,
    stored_rows_and_jobs,
    uploaded,
)

GUILD, MEMBER = 10, 30
PUBLIC = "https://paint.example.com"


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


def photo(size=(400, 300), colour=(40, 120, 160)) -> bytes:
    return encode(Image.new("RGB", size, colour))


class Parts:
    def __init__(self, sessions, downloads, *, budget: int = 64 * 2**20) -> None:
        self.sessions, self.clock = sessions, Clock()
        policy = Policy(PriceTable(), personal_images_per_day=10)
        self.runner = idle_runner(sessions, policy)
        self.images = PageImages(downloads=downloads, threads=BoundedThreads(1), clock=self.clock, budget_bytes=budget)
        self.painting = Painting(
            sessions=sessions,
            edits=PaintedEdits(
                catalog=flow_catalog(),
                admission=Admission(policy=policy, sessions=sessions, runner=self.runner),
                usage=UsageLog(sessions),
                failures=Failures(sessions, policy, Metrics(models=[])),
            ),
            images=self.images,
            threads=BoundedThreads(1),
            clock=self.clock,
            public_url=PUBLIC + "/",
            secret_key=PAINT_SECRET,
        )

    async def link(self, discord_api, image: bytes | None = None) -> str:
        """The token of a new link to paint on `image`, offered to MEMBER in GUILD."""
        source = uploaded(discord_api, image or photo())
        url = await self.painting.offer(fake_interaction(guild_id=GUILD, user_id=MEMBER, roles=(3,)), source, "zh-CN")
        assert url.startswith(f"{PUBLIC}/paint/")
        return url.removeprefix(f"{PUBLIC}/paint/")


@pytest.fixture
def parts(sessions, downloads) -> Parts:
    return Parts(sessions, downloads)


MASK = Drawing("mask", mask_png((400, 300), (0, 0, 200, 150)))


async def refused(call, status: int, says: str) -> PaintRefused:
    with pytest.raises(PaintRefused) as caught:
        await call
    assert caught.value.status == status and says in caught.value.message.render("en-US")
    return caught.value


async def test_a_link_names_its_ticket_bound_to_the_member_the_guild_and_the_image(parts, discord_api):
    token = await parts.link(discord_api)
    ticket = await parts.painting.ticket(token)
    assert parts.painting.link_of(token) == ticket.nonce
    assert (ticket.user_id, ticket.guild_id, ticket.channel_id, ticket.roles, ticket.locale) == (
        MEMBER,
        GUILD,
        20,
        [3],
        "zh-CN",
    )
    assert (ticket.interaction_token, ticket.used_at) == ("interaction-token", None)


async def test_a_changed_or_foreign_token_is_refused(parts, discord_api, sessions):
    token = await parts.link(discord_api)
    body, mac = token.split(".")
    await refused(parts.painting.ticket(f"{body}.{mac[:-2]}AA"), 403, "not valid")
    assert parts.painting.link_of(f"{body}x.{mac}") is None
    other = Painting(
        sessions=sessions,
        edits=None,
        images=None,
        threads=None,
        clock=parts.clock,  # type: ignore[arg-type]
        public_url=PUBLIC,
        secret_key="another-secret-key-that-is-long-enough",
    )
    assert other.link_of(token) is None
    await refused(other.ticket(token), 403, "not valid")


async def test_a_link_expires_with_the_interaction_that_offered_it(parts, discord_api):
    token = await parts.link(discord_api)
    parts.clock.at += LINK_LIFETIME - timedelta(seconds=1)
    await parts.painting.ticket(token)
    parts.clock.at += timedelta(seconds=1)
    failure = await refused(parts.painting.ticket(token), 403, "expired")
    assert failure.locale == "zh-CN"


async def test_a_send_queues_the_painted_edit_once_and_uses_up_the_link(parts, discord_api):
    token = await parts.link(discord_api)
    ticket = await parts.painting.ticket(token)
    await parts.painting.send(ticket, "  make it night  ", MASK)
    [row], [job] = await stored_rows_and_jobs(parts.sessions)
    assert (row.command, row.via, row.prompt, row.status) == ("edit", "paint", "make it night", "pending")
    assert (job.origin, job.kind, job.interaction_token, job.message_id) == (
        JobOrigin.PAINTING,
        "edit",
        "interaction-token",
        None,
    )
    assert job.params["mask_png"] and job.params["image"]["url"] == ticket.source["url"]
    assert parts.runner.queued_job(job.id) is not None
    await refused(parts.painting.send(ticket, "again", MASK), 410, "used already")
    await refused(parts.painting.ticket(token), 410, "used already")
    assert len((await stored_rows_and_jobs(parts.sessions))[1]) == 1


@pytest.mark.parametrize(
    ("prompt", "drawing", "says"),
    [
        ("   ", MASK, "Write what should change"),
        ("x" * (MAX_PROMPT_CHARS + 1), MASK, "Write what should change"),
        ("night\x07", MASK, "control"),
        ("night", Drawing("mask", encode(Image.new("RGB", (40, 30)), "JPEG")), "The mask must be a PNG"),
        ("night", Drawing("markup", b"not an image"), "The markup must be a PNG"),
    ],
)
async def test_a_bad_prompt_or_drawing_is_refused_and_the_link_still_works(parts, discord_api, prompt, drawing, says):
    ticket = await parts.painting.ticket(token := await parts.link(discord_api))
    await refused(parts.painting.send(ticket, prompt, drawing), 400, says)
    assert await stored_rows_and_jobs(parts.sessions) == ([], [])
    await parts.painting.ticket(token)


async def test_an_edit_the_model_refuses_finishes_its_row_and_tells_the_page(parts, discord_api):
    assert not parts.painting.takes_markup()  # gpt-image-2 takes no markup
    ticket = await parts.painting.ticket(await parts.link(discord_api))
    markup = Drawing("markup", mask_png((400, 300), (0, 0, 10, 10)))
    await refused(parts.painting.send(ticket, "add a hat", markup), 400, "doesn't take markup")
    [row], jobs = await stored_rows_and_jobs(parts.sessions)
    assert (row.status, row.error_code, jobs) == ("invalid", "invalid_request", [])


async def test_the_pages_image_is_made_once_per_link_however_often_it_is_asked(parts, discord_api):
    ticket = await parts.painting.ticket(await parts.link(discord_api, photo((3000, 1500))))
    copies = await asyncio.gather(*(parts.painting.image(ticket) for _ in range(5)))
    assert len(set(copies)) == 1 and decode(copies[0]).size == (2048, 1024)
    await parts.painting.image(ticket)
    assert sum(discord_api.cdn_downloads.values()) == 1
    parts.clock.at += LINK_LIFETIME  # the link is gone: its copy too
    await parts.painting.image(ticket)
    assert sum(discord_api.cdn_downloads.values()) == 2


async def test_an_unreadable_or_vanished_image_is_refused_and_asked_again_next_time(parts, discord_api):
    ticket = await parts.painting.ticket(await parts.link(discord_api, b"not an image"))
    await refused(parts.painting.image(ticket), 422, "can't be used")
    await refused(parts.painting.image(ticket), 422, "can't be used")
    assert sum(discord_api.cdn_downloads.values()) == 2
    vanished = SourceImage(f"{discord_api.base_url}/attachments/1/2/gone.png", 100, "gone.png")
    url = await parts.painting.offer(fake_interaction(guild_id=GUILD, user_id=MEMBER), vanished, "en-US")
    gone = await parts.painting.ticket(url.removeprefix(f"{PUBLIC}/paint/"))
    await refused(parts.painting.image(gone), 410, "HTTP 404")


async def test_the_copies_kept_stay_within_the_budget_the_oldest_going_first(sessions, downloads, discord_api):
    red, blue = photo(colour=(200, 0, 0)), photo(colour=(0, 0, 200))
    sizes = [len(page_copy(image)) for image in (red, blue)]
    parts = Parts(sessions, downloads, budget=sum(sizes) - 1)  # room for either copy, not both
    first = await parts.painting.ticket(await parts.link(discord_api, red))
    second = await parts.painting.ticket(await parts.link(discord_api, blue))
    await parts.painting.image(first)
    await parts.painting.image(first)
    assert sum(discord_api.cdn_downloads.values()) == 1  # kept
    await parts.painting.image(second)  # over the budget: the first goes
    await parts.painting.image(second)
    assert sum(discord_api.cdn_downloads.values()) == 2
    await parts.painting.image(first)
    assert sum(discord_api.cdn_downloads.values()) == 3
