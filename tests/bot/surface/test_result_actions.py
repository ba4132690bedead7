"""What result buttons do, through the real intake, admission, runner and SQLite: a reroll asks
again for the row's request (a draft's as a draft, a spoiler's hidden), vary and zoom take the
clicked image, each only for a result the clicking member may build on (custom ids are anyone's
to forge); Edit and Remix open their forms; Delete is the requester's or a moderator's, on its
own result; Cancel ends a queued job only, the requester's or a moderator's; a picker shows the
images again privately, with its menus, and takes only its own choices; an upscale reads the
image's own size; the kept images handed over once. The interaction is a recording fake, the
images are on the Discord stand-in's CDN; the buttons through the real bot are in
tests/e2e/results/test_result_actions.py."""

from types import SimpleNamespace
from typing import Any

import discord
import pytest
from PIL import Image
from sqlalchemy import select

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.clock import utcnow
from bot.db.models import Job, KeptResult, UsageRecord
from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest
from bot.flow.failures import Failures
from bot.flow.intake import REFRAME_PROMPT
from bot.flow.locales import Locales
from bot.jobs.queue import FairQueue
from bot.jobs.runner import Runner
from bot.metrics import Metrics
from bot.surface.edit_form import EditForm
from bot.surface.errors import ErrorReporter
from bot.surface.remix_form import PROMPT_LIMIT, RemixForm
from bot.surface.result_actions import ResultActions
from bot.threads import BoundedThreads
from tests.helpers import (
    FakeFollowup,
    FakeInteraction,
    RecordingWork,
    discord_attachment,
    discord_message,
    encode,
    fake_interaction,
    flow_intake,
)

GUILD, MEMBER, OTHER = 10, 30, 31
RESULT_MESSAGE = 700


class Parts:
    """ResultActions over the real intake and a started runner that runs one job at a time (the
    recording JobWork holds it), so later jobs stay queued."""

    def __init__(self, sessions, downloads: AttachmentDownloader) -> None:
        self.sessions = sessions
        policy = Policy(PriceTable(), personal_images_per_day=10)
        self.runner = Runner(
            queue=FairQueue(max_running=1, per_guild=1, per_member=1),
            sessions=sessions,
            policy=policy,
            before_start=self._no_limit,
            shutdown_grace=0,
            metrics=Metrics(models=[]),
        )
        self.work = RecordingWork()
        locales = Locales(sessions, lambda _guild_id: None)
        self.fetched: list[int] = []
        self.actions = ResultActions(
            intake=flow_intake(sessions, policy, self.runner),
            runner=self.runner,
            sessions=sessions,
            locales=locales,
            errors=ErrorReporter(Failures(sessions, policy, Metrics(models=[])), locales),
            downloads=downloads,
            threads=BoundedThreads(1),
            channel=self._channel,
        )

    @staticmethod
    async def _no_limit() -> None:
        return None

    def _channel(self, channel_id: int) -> Any:
        async def fetch_message(message_id: int) -> Any:
            self.fetched.append(message_id)
            raise discord.NotFound(SimpleNamespace(status=404, reason="Not Found"), "Unknown Message")  # type: ignore[arg-type]

        return SimpleNamespace(id=channel_id, fetch_message=fetch_message)

    async def row(self, **fields: Any) -> UsageRecord:
        """A finished /imagine's usage row, by MEMBER in GUILD, posted as RESULT_MESSAGE."""
        values: dict[str, Any] = {
            "guild_id": GUILD,
            "user_id": MEMBER,
            "command": "imagine",
            "status": "ok",
            "prompt": "a red fox",
            "model": "gpt-image-2",
            "size": "1024x1536",
            "quality": "low",
            "n": 2,
            "channel_id": 20,
            "message_id": RESULT_MESSAGE,
        }
        async with self.sessions() as session:
            record = UsageRecord(**(values | fields))
            session.add(record)
            await session.commit()
        return record

    async def jobs(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every queued or started job: its row's command, its kind and its params."""
        async with self.sessions() as session:
            jobs = list(await session.scalars(select(Job).order_by(Job.id)))
            rows = {row.id: row for row in await session.scalars(select(UsageRecord))}
        return [(rows[job.usage_id].command, job.kind, job.params) for job in jobs]


@pytest.fixture
def parts(sessions, downloads) -> Parts:
    return Parts(sessions, downloads)


def result_message(count: int = 2, *, spoiler: bool = False, draft: bool = False) -> Any:
    """The result message a button is on: `count` images, hidden or not, a draft's Enhance or not."""
    prefix = "SPOILER_" if spoiler else ""
    attachments = [discord_attachment(f"{prefix}{number}.png", number=number) for number in range(1, count + 1)]
    buttons = [SimpleNamespace(custom_id="ib:vary:1:0")] + ([SimpleNamespace(custom_id="ib:enhance:1:0")] * draft)
    return discord_message(id=RESULT_MESSAGE, attachments=attachments, components=[SimpleNamespace(children=buttons)])


def click(message: Any = None, *, user_id: int = MEMBER, guild_id: int | None = GUILD, installed: bool = True) -> Any:
    """A member's click on a button of `message`."""
    interaction = fake_interaction(user_id=user_id, guild_id=guild_id, installed=installed)
    interaction.message = message if message is not None else result_message()
    interaction.permissions = discord.Permissions.none()
    interaction.followup = FakeFollowup()
    return interaction


async def test_a_reroll_asks_again_for_the_rows_request(parts):
    row = await parts.row(style="watercolor")
    interaction = click(result_message(spoiler=True))
    await parts.actions.press(interaction, "reroll", row.id, 0)
    assert interaction.response.deferrals == [{"thinking": True}]
    [(command, kind, params)] = await parts.jobs()
    assert (command, kind) == ("reroll", "generate")
    assert (params["model"], params["size"], params["quality"], params["n"]) == ("gpt-image-2", "1024x1536", "low", 2)
    assert "watercolor painting of a red fox" in params["prompt"]  # the row's prompt in its style
    assert params["spoiler"] is True and params["draft"] is False


async def test_a_drafts_reroll_is_a_draft_with_the_draft_model(parts):
    row = await parts.row(model="gpt-image-2.6-flare", quality="low", n=1)
    await parts.actions.press(click(result_message(draft=True)), "reroll", row.id, 0)
    [(_, _, params)] = await parts.jobs()
    assert params["draft"] is True and params["spoiler"] is False
    assert params["model"] == "gpt-image-2.6-flare"  # the guild's draft model, not the row's choice


@pytest.mark.parametrize(
    ("fields", "clicked"),
    [
        ({"guild_id": 99}, {}),  # another guild's result
        ({"guild_id": None}, {"user_id": OTHER, "installed": False}),  # someone else's personal result
        ({"prompt": None}, {}),  # its prompt was redacted
    ],
)
async def test_a_reroll_is_only_of_a_result_the_member_may_build_on(parts, fields, clicked):
    row = await parts.row(**fields)
    interaction = click(**clicked)
    with pytest.raises(InvalidRequest, match="can't be rerolled any more"):
        await parts.actions.press(interaction, "reroll", row.id, 0)
    assert interaction.response.deferrals == [] and await parts.jobs() == []


async def test_a_personal_result_is_its_members_to_build_on_anywhere(parts):
    row = await parts.row(guild_id=None)
    await parts.actions.press(click(installed=False), "reroll", row.id, 0)
    assert [command for command, _, _ in await parts.jobs()] == ["reroll"]


async def test_vary_takes_the_clicked_image_and_a_missing_one_is_refused(parts):
    row = await parts.row()
    await parts.actions.press(click(), "vary", row.id, 1)
    [(command, kind, params)] = await parts.jobs()
    assert (command, kind, params["image"]["url"]) == ("vary", "vary", "https://cdn.example.com/2/2.png")
    with pytest.raises(InvalidRequest, match="no longer on the message"):
        await parts.actions.press(click(), "vary", row.id, 2)


async def test_a_zoom_extends_the_clicked_image_with_the_rows_prompt_or_a_neutral_one(parts):
    row, redacted = await parts.row(style="watercolor"), await parts.row(prompt=None, style="watercolor")
    await parts.actions.press(click(result_message(spoiler=True)), "z2", row.id, 0)
    await parts.actions.press(click(), "pl", redacted.id, 1)
    [(zoom, kind, zoomed), (pan, _, panned)] = await parts.jobs()
    assert (zoom, kind, pan) == ("zoom", "outpaint", "pan")
    assert zoomed["image"]["url"] == "https://cdn.example.com/1/SPOILER_1.png" and zoomed["spoiler"] is True
    assert "watercolor painting of a red fox" in zoomed["prompt"] and zoomed["extend"] != panned["extend"]
    assert panned["prompt"] == REFRAME_PROMPT and panned["image"]["url"] == "https://cdn.example.com/2/2.png"


async def test_edit_and_remix_open_their_forms_and_a_prompt_too_long_for_a_form_is_refused(parts):
    row, long = await parts.row(), await parts.row(prompt="x" * (PROMPT_LIMIT + 1))
    edit, remix = click(), click()
    await parts.actions.press(edit, "edit", row.id, 1)
    await parts.actions.press(remix, "remix", row.id, 0)
    [edit_form], [remix_form] = edit.response.modals, remix.response.modals
    assert isinstance(edit_form, EditForm) and isinstance(remix_form, RemixForm)
    assert remix_form.prompt_input.default == "a red fox"
    with pytest.raises(InvalidRequest, match="too long to change in a form"):
        await parts.actions.press(click(), "remix", long.id, 0)
    assert await parts.jobs() == []


async def test_delete_is_the_requesters_or_a_moderators_on_its_own_result(parts):
    row = await parts.row()
    stranger = FakeInteraction(user_id=OTHER, guild_id=GUILD)
    stranger.message = result_message()
    with pytest.raises(InvalidRequest, match="Only the member who asked"):
        await parts.actions.press(stranger, "delete", row.id, 0)
    elsewhere = FakeInteraction(user_id=MEMBER, guild_id=GUILD)
    elsewhere.message = discord_message(id=RESULT_MESSAGE + 1)
    with pytest.raises(InvalidRequest, match="doesn't belong to this result"):
        await parts.actions.press(elsewhere, "delete", row.id, 0)
    assert not stranger.deleted_original and not elsewhere.deleted_original

    for deleter in (
        FakeInteraction(user_id=MEMBER, guild_id=GUILD),
        FakeInteraction(user_id=OTHER, guild_id=GUILD, permissions=discord.Permissions(manage_messages=True)),
    ):
        deleter.message = result_message()
        await parts.actions.press(deleter, "delete", row.id, 0)
        assert deleter.deleted_original and deleter.response.deferrals == [{}]


async def test_history_vary_is_of_the_members_own_result_where_it_can_be_read(parts):
    mine, theirs = await parts.row(), await parts.row(user_id=OTHER)
    with pytest.raises(InvalidRequest, match="no longer in your history"):
        await parts.actions.press(click(), "hvary", theirs.id, 0)
    with pytest.raises(InvalidRequest, match="can't be reached from here"):
        await parts.actions.press(click(), "hvary", mine.id, 0)
    assert parts.fetched == [RESULT_MESSAGE] and await parts.jobs() == []


async def test_cancel_ends_a_queued_job_only_for_its_member_or_a_moderator(parts):
    await parts.runner.start(parts.work)
    for prompt in ("first", "second", "third"):
        await parts.actions.intake.generate(
            click(), command="imagine", prompt=prompt, model=None, size=None, quality=None, n=1
        )
    running = await parts.work.next_started()
    queued = [waiting.job.id for waiting in parts.runner.waiting()]
    assert len(queued) == 2 and running not in queued

    stranger = FakeInteraction(user_id=OTHER, guild_id=GUILD)
    with pytest.raises(InvalidRequest, match="Only the member who asked, or a moderator"):
        await parts.actions.cancel(stranger, queued[0])
    with pytest.raises(InvalidRequest, match="already started or finished"):
        await parts.actions.cancel(FakeInteraction(user_id=MEMBER, guild_id=GUILD), running)
    with pytest.raises(InvalidRequest, match="already started or finished"):
        await parts.actions.cancel(FakeInteraction(user_id=MEMBER, guild_id=99), queued[0])  # another guild's id
    assert stranger.response.deferrals == []

    member = FakeInteraction(user_id=MEMBER, guild_id=GUILD)
    moderator = FakeInteraction(user_id=OTHER, guild_id=GUILD, permissions=discord.Permissions(manage_messages=True))
    await parts.actions.cancel(member, queued[0])
    await parts.actions.cancel(moderator, queued[1])
    for interaction in (member, moderator):
        assert interaction.response.deferrals == [{}]
        assert interaction.original_edits == [{"content": "Cancelled.", "view": None}]
    assert parts.runner.waiting() == []
    assert parts.work.calls == [("run", running), ("stop_updates", queued[0]), ("stop_updates", queued[1])]
    parts.work.release(SimpleNamespace(id=running))
    await parts.runner.shutdown()


def test_the_pickers_menus_offer_every_image_and_way_25_to_a_menu(parts):
    menus = parts.actions.frame_menus(5, 5, "en-US")
    values = [option.value for menu in menus for option in menu.item.options]
    assert [len(menu.item.options) for menu in menus] == [25, 5]
    assert values[:3] == ["0:z15", "0:z2", "0:pl"] and values[-1] == "4:pd"
    assert [menu.item.custom_id for menu in menus] == ["ib:frame:5:0", "ib:frame:5:1"]
    [enhance] = parts.actions.frame_menus(5, 2, "en-US", ("enhance",))
    assert [option.value for option in enhance.item.options] == ["0:enhance", "1:enhance"]


@pytest.mark.parametrize("value", ["0:vary", "x:z2", "\u0661:z2", "0", ""])  # \u0661: a digit, not an ASCII one
async def test_a_choice_not_on_the_menu_is_refused(parts, value):
    row = await parts.row()
    with pytest.raises(InvalidRequest, match="not on the menu any more"):
        await parts.actions.frame_chosen(click(), row.id, value)
    assert await parts.jobs() == []


async def test_a_picked_way_extends_the_pickers_own_image(parts):
    row = await parts.row()
    await parts.actions.frame_chosen(click(result_message(3)), row.id, "2:pr")
    [(command, kind, params)] = await parts.jobs()
    assert (command, kind, params["image"]["url"]) == ("pan", "outpaint", "https://cdn.example.com/3/3.png")


def on_the_cdn(discord_api, sizes: list[tuple[int, int]]) -> Any:
    """A result message whose images, of `sizes`, are on the Discord stand-in's CDN."""
    attachments = []
    for number, size in enumerate(sizes, start=1):
        data = encode(Image.new("RGB", size, (40, 120, 160)))
        stored = discord_api.upload(f"{number}.png", data)
        attachments.append(discord_attachment(f"{number}.png", number=number, url=stored["url"], size=len(data)))
    return discord_message(id=RESULT_MESSAGE, attachments=attachments, components=[])


async def test_a_picker_shows_the_results_images_again_privately_with_its_menus(parts, discord_api):
    row = await parts.row()
    interaction = click(on_the_cdn(discord_api, [(64, 48), (48, 64)]))
    await parts.actions.press(interaction, "pickupscale", row.id, 0)
    assert interaction.response.deferrals == [{"ephemeral": True, "thinking": True}]
    [(text, sent)] = interaction.followup.sent
    assert text == "Pick an image and what to do with it." and sent["ephemeral"]
    assert [file.filename for file in sent["files"]] == ["1-1.png", "2-2.png"]
    assert [Image.open(file.fp).size for file in sent["files"]] == [(64, 48), (48, 64)]
    [menu] = sent["view"].children
    assert [option.value for option in menu.item.options] == ["0:upscale", "1:upscale"]


async def test_a_picker_of_a_message_without_images_is_refused(parts):
    interaction = click(discord_message(id=RESULT_MESSAGE))
    with pytest.raises(InvalidRequest, match="That result message is gone"):
        await parts.actions.press(interaction, "reframe", (await parts.row()).id, 0)
    assert interaction.response.deferrals == []


async def test_an_upscale_reads_the_images_own_size(parts, discord_api):
    row = await parts.row()
    await parts.actions.press(click(on_the_cdn(discord_api, [(512, 384)])), "upscale", row.id, 0)
    [(command, kind, params)] = await parts.jobs()
    assert (command, kind, params["size"], params["model"]) == ("upscale", "edit", "1024x768", "gpt-image-2")


async def test_kept_images_are_handed_over_once_and_only_the_members_own(parts):
    png = encode(Image.new("RGB", (64, 48), (200, 30, 30)))
    async with parts.sessions() as session:
        for user_id, name in ((MEMBER, "fox.png"), (MEMBER, "heron.png"), (OTHER, "theirs.png")):
            session.add(
                KeptResult(
                    usage_id=1,
                    user_id=user_id,
                    guild_id=GUILD,
                    filename=name,
                    data=png,
                    size=len(png),
                    expires_at=utcnow().replace(year=utcnow().year + 1),
                )
            )
        await session.commit()
    first, again = click(), click()
    await parts.actions.hand_over_kept(first)
    await parts.actions.hand_over_kept(again)
    [(_, sent)] = first.followup.sent
    assert sorted(file.filename for file in sent["files"]) == ["fox.png", "heron.png"] and sent["ephemeral"]
    assert first.response.deferrals == [{"ephemeral": True, "thinking": True}]
    assert again.followup.sent == [("Nothing is waiting for you.", {"ephemeral": True})]
