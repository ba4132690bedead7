"""Paging: "11–20 of 57" under a page; Newer and Older to the neighbouring pages, each disabled
at its end; a turn opens the owner's book again at its offset, and anyone else is told the pages
are not theirs; a page is a new private message or replaces the one turned."""

import re

import discord
import pytest

from bot.surface.pages import PAGE_TEMPLATE, Pages, PageTurn, footer
from tests.helpers import EnglishLocales, FakeInteraction

OWNER = 20


class Book:
    code = "r"

    def __init__(self) -> None:
        self.opened: list[tuple[int, str, bool]] = []

    async def open(self, interaction, offset: int, args: str, *, turn: bool) -> None:
        self.opened.append((offset, args, turn))


class Errors:
    async def guarded(self, interaction, work) -> None:
        await work


def test_the_footer_counts_what_the_page_shows():
    assert footer(10, 10, 57, "en-US") == "11–20 of 57"
    assert footer(50, 7, 57, "en-US") == "51–57 of 57"
    assert footer(0, 0, 0, "en-US") == "0–0 of 0"


@pytest.mark.parametrize(
    ("offset", "total", "newer", "older"),
    [
        (0, 57, (0, True), (10, False)),
        (20, 57, (10, False), (30, False)),
        (50, 57, (40, False), (50, True)),
        (0, 0, (0, True), (0, True)),
        (0, 10, (0, True), (0, True)),
    ],
)
def test_the_turns_go_to_the_neighbouring_pages_disabled_at_the_ends(offset, total, newer, older):
    pages = Pages(Errors(), EnglishLocales())
    back, forward = pages.turns(Book(), OWNER, offset, total, "en-US", "42.ok.imagine")
    assert [(turn.offset, turn.item.disabled, turn.item.label) for turn in (back, forward)] == [
        (*newer, "Newer"),
        (*older, "Older"),
    ]
    assert back.custom_id == f"ib:pg:r:{OWNER}:{newer[0]}:n:42.ok.imagine"
    assert all(isinstance(turn, PageTurn) for turn in (back, forward))


def test_a_books_arguments_keep_to_what_a_custom_id_may_hold():
    pages = Pages(Errors(), EnglishLocales())
    for args in ("A", "x" * 61, "<@1>"):
        with pytest.raises(AssertionError):
            pages.turns(Book(), OWNER, 0, 1, "en-US", args)


async def test_a_turn_opens_the_owners_book_again_and_refuses_anyone_else():
    pages, book = Pages(Errors(), EnglishLocales()), Book()
    pages.add(book)
    (turn_class,) = pages.items
    pressed = turn_class("r", OWNER, 30, "o", "a.b")
    again = await turn_class.from_custom_id(None, pressed.item, re.fullmatch(PAGE_TEMPLATE, pressed.custom_id))
    await again.callback(FakeInteraction(user_id=OWNER))
    assert book.opened == [(30, "a.b", True)]
    stranger = FakeInteraction(user_id=OWNER + 1)
    await again.callback(stranger)
    unknown = FakeInteraction(user_id=OWNER)
    await pages.turn(unknown, "x", OWNER, 0, "")
    assert book.opened == [(30, "a.b", True)]
    for refused in (stranger, unknown):
        assert refused.response.sent == [
            ("These pages belong to someone else. Open your own with the command.", {"ephemeral": True})
        ]


async def test_a_page_is_a_new_private_message_or_replaces_the_one_turned():
    pages, book, embed = Pages(Errors(), EnglishLocales()), Book(), discord.Embed(title="Recent")
    opened = FakeInteraction(user_id=OWNER)
    extra = discord.ui.Button(label="Pick")
    await pages.answer(opened, book, embed, offset=0, total=25, locale="en-US", args="", turn=False, items=(extra,))
    ((_, options),) = opened.followup.sent
    assert options["ephemeral"] is True and options["embed"] is embed
    assert options["allowed_mentions"].to_dict()["parse"] == []
    assert [getattr(item, "offset", None) for item in options["view"].children] == [None, 0, 10]
    turned = FakeInteraction(user_id=OWNER)
    await pages.answer(turned, book, embed, offset=10, total=25, locale="en-US", args="", turn=True)
    (edit,) = turned.response.edits
    assert [item.offset for item in edit["view"].children] == [0, 20] and turned.followup.sent == []
