"""One way to page: a private list its owner turns with Newer and Older, 10 to a page, used by
/usage recent, /usage flagged and /history.

A list is a `Book`, known to `Pages` by a one-letter code. The turn buttons are `DynamicItem`s
(`ib:pg:BOOK:OWNER:OFFSET:WAY:ARGS`, ARGS the book's own filters), so a page turns after a
restart, and is read again on every turn. Only the member who opened the pages turns them; the
book checks anything else it needs (a moderator's permission) on every turn, since custom ids
are anyone's to forge.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol

import discord

from bot.flow.locales import Locales
from bot.i18n import _
from bot.surface.errors import ErrorReporter
from bot.surface.result_items import bound

PAGE_SIZE = 10
MAX_ARGS = 60
PAGE_TEMPLATE = (
    r"ib:pg:(?P<book>[a-z]):(?P<owner>[0-9]{1,20}):(?P<offset>[0-9]{1,6}):(?P<way>[no]):(?P<args>[-_.a-z0-9]{0,60})"
)


def footer(offset: int, shown: int, total: int, locale: str) -> str:
    """ "11–20 of 57" under a page."""
    first = offset + 1 if shown else 0
    return _("{first}–{last} of {total}", first=first, last=offset + shown, total=total).render(locale)


class Book(Protocol):
    """A list of pages: `code` names it in the turn buttons' ids."""

    code: str

    async def open(self, interaction: discord.Interaction, offset: int, args: str, *, turn: bool) -> None:
        """Show the page at `offset` privately: a new message, or (`turn`) the page replaced."""
        ...


class PageTurn(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """Newer (`n`) or Older (`o`): to the page at OFFSET of BOOK, for OWNER."""

    actions: ClassVar[Pages]

    def __init__(
        self, book: str, owner: int, offset: int, way: str, args: str, label: str | None = None, disabled: bool = False
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label,
            emoji="◀️" if way == "n" else "▶️",
            custom_id=f"ib:pg:{book}:{owner}:{offset}:{way}:{args}",
            disabled=disabled,
        )
        super().__init__(button)
        self.book, self.owner, self.offset, self.args = book, owner, offset, args

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageTurn:
        label = getattr(item, "label", None)
        return cls(match["book"], int(match["owner"]), int(match["offset"]), match["way"], match["args"], label)

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.actions.turn(interaction, self.book, self.owner, self.offset, self.args)


class Pages:
    """The books, and the turn buttons of their pages (bound to this `Pages`; what app.py registers)."""

    def __init__(self, errors: ErrorReporter, locales: Locales) -> None:
        self.errors, self.locales = errors, locales
        self._books: dict[str, Book] = {}
        self._turn = bound(PageTurn, self)
        self.items = (self._turn,)

    def add(self, book: Book) -> None:
        self._books[book.code] = book

    async def turn(self, interaction: discord.Interaction, code: str, owner: int, offset: int, args: str) -> None:
        book = self._books.get(code)
        if book is None or interaction.user.id != owner:
            locale = await self.locales.for_interaction(interaction)
            await interaction.response.send_message(
                _("These pages belong to someone else. Open your own with the command.").render(locale), ephemeral=True
            )
            return
        await self.errors.guarded(interaction, book.open(interaction, offset, args, turn=True))

    async def answer(
        self,
        interaction: discord.Interaction,
        book: Book,
        embed: discord.Embed,
        *,
        offset: int,
        total: int,
        locale: str,
        args: str,
        turn: bool,
        items: tuple[discord.ui.Item[Any], ...] = (),
    ) -> None:
        """An embed page with its `items` and turns: the page replaced (`turn`), or a new private
        message after the book's deferral."""
        view = discord.ui.View(timeout=None)
        for item in (*items, *self.turns(book, interaction.user.id, offset, total, locale, args)):
            view.add_item(item)
        none = discord.AllowedMentions.none()
        if turn:
            await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=none)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=True, allowed_mentions=none)

    def turns(
        self, book: Book, owner: int, offset: int, total: int, locale: str, args: str = ""
    ) -> list[discord.ui.Item[Any]]:
        """Newer and Older for the page at `offset` of `total` items; `args` (at most 60 of
        `-_.a-z0-9`) is what the book needs to read the same list again."""
        assert len(args) <= MAX_ARGS and re.fullmatch(r"[-_.a-z0-9]*", args), args
        last = max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)
        newer, older = _("Newer").render(locale), _("Older").render(locale)
        return [
            self._turn(book.code, owner, max(0, offset - PAGE_SIZE), "n", args, newer, disabled=offset == 0),
            self._turn(book.code, owner, min(offset + PAGE_SIZE, last), "o", args, older, disabled=offset >= last),
        ]
