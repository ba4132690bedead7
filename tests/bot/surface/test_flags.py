"""A flagged request's notice: only a moderator of the row's own guild acts on it, and only on a
flagged row; a block for 24 h, 7 d or for good, a dismissal, or the result deleted, each recorded
on the row and said on the notice, with the buttons that still apply; /usage flagged's pages and
their menu; the notice's buttons read back from a message."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.db.models import MemberBlock, SettingsChange, UsageRecord, UsageStatus
from bot.db.usage import get_usage
from bot.errors import InvalidRequest
from bot.surface.flags import (
    FLAG_TEMPLATE,
    FlagActions,
    FlagButtons,
    FlaggedRequests,
    flagged_lines,
    on_message,
)
from bot.surface.pages import Pages
from tests.helpers import EnglishLocales, FakeInteraction, RecordedErrors

GUILD, MEMBER, MODERATOR = 10, 21, 20
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MANAGER = discord.Permissions(manage_guild=True)


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


class Messages:
    def __init__(self) -> None:
        self.deleted: list[int] = []

    def get_partial_message(self, message_id: int):
        async def delete() -> None:
            self.deleted.append(message_id)

        return SimpleNamespace(delete=delete)


def actions(sessions, messages: Messages | None = None) -> FlagActions:
    return FlagActions(
        sessions=sessions,
        locales=EnglishLocales(),
        errors=RecordedErrors(),
        clock=FixedClock(),
        channel=lambda channel_id: messages or Messages(),
    )


async def flagged(
    sessions, *, status: str = UsageStatus.FLAGGED, guild_id: int | None = GUILD, **values
) -> UsageRecord:
    fields = {"guild_id": guild_id, "user_id": MEMBER, "command": "imagine", "status": status, "prompt": "a fox"}
    async with sessions() as session:
        row = UsageRecord(**(fields | {"created_at": NOW} | values))
        session.add(row)
        await session.commit()
    return row


def moderator(**options) -> FakeInteraction:
    return FakeInteraction(user_id=MODERATOR, guild_id=GUILD, permissions=MANAGER, **options)


@pytest.mark.parametrize(
    ("row_values", "interaction", "refusal"),
    [
        ({"guild_id": 11}, moderator(), "not about this server"),
        ({"guild_id": None}, moderator(), "not about this server"),
        ({"status": UsageStatus.OK}, moderator(), "was not flagged"),
        ({}, FakeInteraction(guild_id=GUILD), "Only moderators with Manage Server"),
    ],
)
async def test_only_a_moderator_of_the_rows_guild_acts_on_a_flagged_row(sessions, row_values, interaction, refusal):
    row = await flagged(sessions, **row_values)
    with pytest.raises(InvalidRequest) as refused:
        await actions(sessions).act(interaction, "b1", row.id)
    assert refusal in refused.value.message.render("en-US")
    with pytest.raises(InvalidRequest):
        await actions(sessions).act(moderator(), "dismiss", 999)


@pytest.mark.parametrize(
    ("action", "until", "said"),
    [
        ("b1", NOW + timedelta(hours=24), f"<@{MODERATOR}> blocked <@{MEMBER}> until <t:"),
        ("b7", NOW + timedelta(days=7), f"<@{MODERATOR}> blocked <@{MEMBER}> until <t:"),
        ("bf", None, f"<@{MODERATOR}> blocked <@{MEMBER}> for good."),
    ],
)
async def test_a_block_is_stored_logged_and_said(sessions, action, until, said):
    row = await flagged(sessions, status=UsageStatus.FILTERED)
    done = await actions(sessions).act(moderator(), action, row.id)
    assert done.render("en-US").startswith(said)
    async with sessions() as session:
        block = (await session.scalars(select(MemberBlock))).one()
        change = (await session.scalars(select(SettingsChange))).one()
        assert (block.guild_id, block.user_id, block.until, block.blocked_by) == (GUILD, MEMBER, until, MODERATOR)
        assert (change.setting, change.new_value) == (f"block {MEMBER}", action)
        assert (await get_usage(session, row.id)).review == "blocked"


async def test_a_dismissal_is_recorded(sessions):
    row = await flagged(sessions)
    assert (await actions(sessions).act(moderator(), "dismiss", row.id)).render(
        "en-US"
    ) == f"<@{MODERATOR}> dismissed this."
    async with sessions() as session:
        assert (await get_usage(session, row.id)).review == "dismissed"


async def test_the_flagged_result_is_deleted_only_where_the_bot_made_one(sessions):
    result = await flagged(sessions, status=UsageStatus.OK, channel_id=30, message_id=40)
    reply = await flagged(sessions, parent_id=result.id)
    alone = await flagged(sessions)
    messages = Messages()
    done = await actions(sessions, messages).act(moderator(), "delete", reply.id)
    assert done.render("en-US") == f"<@{MODERATOR}> deleted the result." and messages.deleted == [40]
    with pytest.raises(InvalidRequest) as refused:
        await actions(sessions, messages).act(moderator(), "delete", alone.id)
    assert refused.value.message.render("en-US") == "There is no result of the bot's to delete here."
    async with sessions() as session:
        assert [(await get_usage(session, id)).review for id in (reply.id, alone.id)] == ["deleted", None]


def message_with(buttons: FlagButtons, usage_id: int, names: list[str]) -> SimpleNamespace:
    view = buttons._view(usage_id, names, "en-US")
    components = [
        SimpleNamespace(children=[discord.Button._raw_construct(custom_id=item.custom_id) for item in view.children])
    ]
    return SimpleNamespace(content="Flagged: a fox", components=components)


def test_the_notices_buttons_are_read_back_from_its_message():
    buttons = FlagButtons(actions(None))
    assert on_message(message_with(buttons, 5, ["b1", "dismiss", "delete"]), 5) == ["b1", "dismiss", "delete"]
    assert on_message(message_with(buttons, 5, ["b1"]), 6) == []
    assert on_message(None, 5) == []
    notice = buttons.flag_notice(5, deletable=False, locale="en-US")
    assert [item.custom_id for item in notice.children] == [
        f"ib:flag:{name}:5" for name in ("b1", "b7", "bf", "dismiss")
    ]
    assert all(re.fullmatch(FLAG_TEMPLATE, item.custom_id) for item in notice.children)


@pytest.mark.parametrize(
    ("action", "left"),
    [("b7", ["dismiss", "delete"]), ("delete", ["b1", "b7", "bf", "dismiss"]), ("dismiss", [])],
)
async def test_a_click_edits_the_notice_to_say_what_was_done_and_keeps_what_still_applies(sessions, action, left):
    result = await flagged(sessions, status=UsageStatus.OK, channel_id=30, message_id=40)
    row = await flagged(sessions, parent_id=result.id)
    buttons = FlagButtons(actions(sessions, Messages()))
    click = moderator()
    click.message = message_with(buttons, row.id, ["b1", "b7", "bf", "dismiss", "delete"])
    await buttons.button(action, row.id).callback(click)
    (edit,) = click.response.edits
    assert edit["content"].startswith("Flagged: a fox\n-# <@20> ")
    remaining = [item.custom_id.split(":")[2] for item in edit["view"].children] if edit["view"] else []
    assert remaining == left


def test_a_page_of_flagged_requests_reads_each_line():
    rows = [
        UsageRecord(id=1, user_id=MEMBER, status="flagged", flags="violence", prompt="a *fox*", created_at=NOW),
        UsageRecord(id=2, user_id=MEMBER, status="filtered", flags="fox_*", review="blocked", created_at=NOW),
    ]
    lines = flagged_lines(rows, 10).split("\n")
    stamp = f"<t:{int(NOW.timestamp())}:f>"
    assert lines == [
        f"**11.** {stamp} <@{MEMBER}> **flagged** violence · a \\*fox\\*",
        f"**12.** {stamp} <@{MEMBER}> **filtered** fox\\_\\* · blocked · —",
    ]


async def test_the_flagged_pages_need_a_moderator_and_open_a_notice_from_their_menu(sessions):
    row = await flagged(sessions, flags="violence", created_at=datetime.now(UTC))
    made = actions(sessions)
    buttons = FlagButtons(made)
    book = FlaggedRequests(
        sessions=sessions, locales=EnglishLocales(), pages=Pages(RecordedErrors(), EnglishLocales()), buttons=buttons
    )
    with pytest.raises(app_commands.MissingPermissions):
        await book.open(FakeInteraction(guild_id=GUILD), 0, "7d", turn=False)
    opened = moderator()
    await book.open(opened, 0, "7d", turn=False)
    ((_, options),) = opened.followup.sent
    assert options["embed"].description.startswith("**1.** <t:") and options["embed"].footer.text == "1–1 of 1"
    pick = options["view"].children[0]
    assert [option.value for option in pick.item.options] == [str(row.id)]
    chosen = moderator()
    chosen.data = {"custom_id": pick.custom_id, "values": [str(row.id)]}
    await pick.callback(chosen)
    ((text, notice),) = chosen.response.sent
    assert "a fox" in text and notice["allowed_mentions"].to_dict()["parse"] == []
    assert (
        notice["ephemeral"] is True
        and [item.custom_id for item in notice["view"].children][-1] == f"ib:flag:dismiss:{row.id}"
    )
