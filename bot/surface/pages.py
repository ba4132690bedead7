"""One way to page: a private list that its owner pages through with Newer and Older, 10 to a
page, and that only they may turn. A page comes from `render(offset)`, which reads that page and
says how many items there are in all; a subclass may add items of its own (a menu, say)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.i18n import _

PAGE_SIZE = 10


Render = Callable[[int], Awaitable[tuple[discord.Embed, int]]]


def footer(offset: int, shown: int, total: int, locale: str) -> str:
    """ "11–20 of 57" under a page."""
    first = offset + 1 if shown else 0
    return _("{first}–{last} of {total}", first=first, last=offset + shown, total=total).render(locale)


class Paginator(discord.ui.View):
    def __init__(self, *, owner_id: int, locale: str, render: Render, timeout: float = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id, self.locale, self._render = owner_id, locale, render
        self.offset, self.total = 0, 0
        self.newer.label = _("Newer").render(locale)
        self.older.label = _("Older").render(locale)

    async def page(self) -> discord.Embed:
        """The page at `offset`, the turns set for it."""
        embed, self.total = await self._render(self.offset)
        self._refresh_turns()
        return embed

    def _refresh_turns(self) -> None:
        self.newer.disabled = self.offset == 0
        self.older.disabled = self.offset + PAGE_SIZE >= self.total

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                _("These pages belong to another moderator.").render(self.locale), ephemeral=True
            )
            return False
        return True

    async def _turn(self, interaction: discord.Interaction, offset: int) -> None:
        self.offset = max(0, offset)
        embed = await self.page()
        await interaction.response.edit_message(embed=embed, view=self, allowed_mentions=discord.AllowedMentions.none())

    @discord.ui.button(label="Newer", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def newer(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, self.offset - PAGE_SIZE)

    @discord.ui.button(label="Older", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def older(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, self.offset + PAGE_SIZE)
