"""The result items on their own: each class makes a custom id its template reads back, the
members' forgeries do not match, and each bot's bound copy keeps its own collaborators."""

import re

import discord
import pytest

from bot.surface.result_items import CancelButton, FrameMenu, KeptButton, ResultButton, bound


async def round_trip(item):
    match = item.template.fullmatch(item.custom_id)
    assert match, item.custom_id
    return await type(item).from_custom_id(None, item.item, match)


async def test_a_result_button_reads_back_its_action_row_and_image():
    again = await round_trip(ResultButton("z2", 123456789012345678, 3, label=None, locale="zh-CN"))
    assert (again.action, again.usage_id, again.index) == ("z2", 123456789012345678, 3)
    assert again.item.label == "缩小 2×"
    plain = await round_trip(ResultButton("reroll", 7))
    assert (plain.action, plain.index, plain.custom_id) == ("reroll", 0, "ib:reroll:7")


async def test_cancel_kept_and_frame_items_read_back():
    assert (await round_trip(CancelButton(42))).job_id == 42
    assert (await round_trip(KeptButton(locale="en-US"))).item.label == "Get my images"
    options = [discord.SelectOption(label="1 · pan left", value="0:pl")]
    menu = await round_trip(FrameMenu(9, 1, options))
    assert menu.usage_id == 9 and [option.value for option in menu.item.options] == ["0:pl"]


@pytest.mark.parametrize(
    "forged", ["ib:vary:1234567890123456789", "ib:rm:1", "ib:vary:-1", "ib:vary:1:123", "ib:cancel:x", "ib:frame:1:10"]
)
def test_forged_custom_ids_match_no_template(forged):
    templates = [item.__discord_ui_compiled_template__ for item in (ResultButton, CancelButton, KeptButton, FrameMenu)]
    assert not any(re.fullmatch(template, forged) for template in templates)


def test_each_bots_copy_keeps_its_own_actions():
    first, second = object(), object()
    one, other = bound(ResultButton, first), bound(ResultButton, second)
    assert (one.actions, other.actions) == (first, second)
    assert one.__discord_ui_compiled_template__ is ResultButton.__discord_ui_compiled_template__
    assert isinstance(one("vary", 1, 0), ResultButton) and not hasattr(ResultButton, "actions")


async def test_the_page_turns_and_the_notice_buttons_read_back_and_refuse_forgeries():
    from bot.surface.flags import FlagButton, FlagPick
    from bot.surface.pages import PageTurn

    page = await round_trip(PageTurn("r", 123456789012345678, 20, "o", "42.ok.imagine", "Older"))
    assert (page.book, page.owner, page.offset, page.args) == ("r", 123456789012345678, 20, "42.ok.imagine")
    assert page.custom_id == "ib:pg:r:123456789012345678:20:o:42.ok.imagine" and page.item.label == "Older"
    longest = PageTurn("r", 10**19, 999990, "n", "1" * 19 + ".filtered." + "x" * 32)
    assert len(longest.custom_id) <= 100  # Discord's limit on a custom id
    made = FlagButton("b7", 55, locale="zh-CN")
    flag = await round_trip(made)
    assert (flag.action, flag.usage_id, made.item.label) == ("b7", 55, "屏蔽 7 天")
    assert (await round_trip(FlagPick(30))).custom_id == "ib:flagpick:30"
    forgeries = (
        "ib:pg:r:1:1234567:o:",
        "ib:pg:r:1:0:x:",
        "ib:pg:R:1:0:o:",
        "ib:pg:r:1:0:o:<@&1>",
        "ib:flag:b30:1",
        "ib:flag:bf:12345678901234567890",
        "ib:flagpick:x",
    )
    for forged in forgeries:
        items = (PageTurn, FlagButton, FlagPick)
        assert not any(item.__discord_ui_compiled_template__.fullmatch(forged) for item in items), forged
