"""/history's pages: a member's latest results in this server (or in their personal use), 10 a
page, as one private Components V2 message: a gallery of the results' previews, a line each
(prompt, when, a link to the result), Reroll and Vary buttons, and Newer / Older.

The page buttons are the shared paginator's (bot/surface/pages.py), so they work after a
restart; the page is read again on each press, so it follows /forget-me and prompt retention at once. A
result's preview is made the first time a page shows it, from its images where Discord keeps
them (the stored links, or, once those expired, the result message read again), then kept.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.usage import guild_scope
from bot.db.models import ResultPreview, UsageRecord
from bot.db.usage import member_results
from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest
from bot.flow.locales import Locales
from bot.flow.result_message import quote
from bot.flow.sources import image_attachments
from bot.i18n import _
from bot.imaging import contact_sheet
from bot.surface.pages import PAGE_SIZE, Pages
from bot.surface.result_view import BUTTONS_PER_ROW, ResultButtons
from bot.threads import BoundedThreads

HISTORY_LIMIT = 50
PER_PAGE = PAGE_SIZE
REROLLABLE = frozenset({"imagine", "reroll"})  # the commands whose rows a reroll can repeat


DOWNLOADS_AT_ONCE = 4  # a page of ten results of ten images is 100 links: fetched four at a time


Entry = tuple[UsageRecord, ResultPreview | None, list[UsageRecord]]
STEPS_SHOWN = 5  # of a long chain, its latest steps


def as_chains(results: list[tuple[UsageRecord, ResultPreview | None]]) -> list[Entry]:
    """The results, newest first, with each chain of replies as one entry: a result and the
    replies that continue it (and continue those) are shown as their newest step, with every
    step, oldest first. A chain whose first result is older than the history still groups."""
    by_id = {row.id: row for row, _ in results}

    def root(row: UsageRecord) -> int:
        while row.parent_id is not None and row.parent_id in by_id:
            row = by_id[row.parent_id]
        return row.id

    entries: dict[int, Entry] = {}
    for row, preview in results:
        key = root(row)
        if key not in entries:
            entries[key] = (row, preview, [])
        entries[key][2].insert(0, row)
    return list(entries.values())


def _rows(items: list[Any]) -> list[list[Any]]:
    return [items[start : start + BUTTONS_PER_ROW] for start in range(0, len(items), BUTTONS_PER_ROW)]


class HistoryPages:
    """/history's book of pages (see bot/surface/pages.py); it takes no ARGS: a member's own results here."""

    code = "h"

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        locales: Locales,
        buttons: ResultButtons,
        pages: Pages,
        downloads: AttachmentDownloader,
        threads: BoundedThreads,
        channel: Callable[[int], discord.PartialMessageable],
    ) -> None:
        """`channel` is a channel to read a result message from, when its stored links expired."""
        self._sessions, self._locales, self._buttons = sessions, locales, buttons
        self._downloads, self._threads, self._channel = downloads, threads, channel
        self._fetching = asyncio.Semaphore(DOWNLOADS_AT_ONCE)
        self._pages = pages
        pages.add(self)

    async def open(
        self, interaction: discord.Interaction, offset: int = 0, args: str = "", *, turn: bool = False
    ) -> None:
        """The page at `offset` of the member's history, privately: a new message, or (`turn`)
        the page they were on, replaced."""
        if turn:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._sessions() as session:
            results = await member_results(session, guild_scope(interaction), interaction.user.id, limit=HISTORY_LIMIT)
        locale = await self._locales.for_interaction(interaction)
        if not results:
            nothing = _("You have no results here yet. Make some with /imagine.").render(locale)
            await interaction.followup.send(nothing, ephemeral=True)
            return
        chains = as_chains(results)
        last = (len(chains) - 1) // PER_PAGE
        page = min(max(offset // PER_PAGE, 0), last)
        entries = chains[page * PER_PAGE : (page + 1) * PER_PAGE]
        missing = [preview for _, preview, _ in entries if preview is not None and preview.data is None]
        sheets = await asyncio.gather(*(self._sheet(row, preview) for row, preview, _ in entries))
        if made := [preview for preview in missing if preview.data is not None]:
            async with self._sessions() as session:  # the previews made for this page, kept for the next look
                for preview in made:
                    await session.merge(preview)
                await session.commit()
        shown = [(row, preview, sheet, steps) for (row, preview, steps), sheet in zip(entries, sheets, strict=True)]
        files = [
            discord.File(io.BytesIO(sheet), filename=f"history-{row.id}.webp", spoiler=preview.spoiler)
            for row, preview, sheet, _ in shown
            if preview is not None and sheet is not None
        ]
        view = self._page(shown, page, last, locale, first_number=page * PER_PAGE + 1)
        view.add_item(
            discord.ui.ActionRow(*self._pages.turns(self, interaction.user.id, page * PER_PAGE, len(chains), locale))
        )
        if turn:
            await interaction.edit_original_response(view=view, attachments=files)
        else:
            await interaction.followup.send(view=view, files=files, ephemeral=True)

    async def _sheet(self, row: UsageRecord, preview: ResultPreview | None) -> bytes | None:
        """The result's preview, made now (and set on `preview`, for the caller to save) if it has
        none yet; None when its images are gone."""
        if preview is None or preview.data is not None:
            return preview.data if preview is not None else None
        images = await self._images(preview.image_urls)
        if images is None and row.channel_id is not None and row.message_id is not None:
            try:
                message = await self._channel(row.channel_id).fetch_message(row.message_id)
            except discord.HTTPException:
                return None  # deleted, or somewhere the bot may not read
            preview.image_urls = [attachment.url for attachment in image_attachments(message)]
            images = await self._images(preview.image_urls)
        if not images:
            return None
        preview.data = await self._threads.run(contact_sheet, images)
        return preview.data

    async def _images(self, urls: list[str]) -> list[bytes] | None:
        """The images at `urls`; None when a link no longer works (Discord expires them)."""

        async def fetch(url: str) -> bytes:
            async with self._fetching:
                return await self._downloads.fetch(url)

        try:
            return list(await asyncio.gather(*(fetch(url) for url in urls)))
        except InvalidRequest:
            return None

    def _page(
        self,
        entries: list[tuple[UsageRecord, ResultPreview | None, bytes | None, list[UsageRecord]]],
        page: int,
        last: int,
        locale: str,
        *,
        first_number: int,
    ) -> discord.ui.LayoutView:
        view = discord.ui.LayoutView(timeout=None)
        title = _("**Your latest results here** · page {page} of {pages}", page=page + 1, pages=last + 1)
        view.add_item(discord.ui.TextDisplay(title.render(locale)))
        removed, link_text = _("(prompt removed)").render(locale), _("open").render(locale)
        gallery, lines, rerolls, varies = [], [], [], []
        for number, (row, preview, sheet, steps) in enumerate(entries, start=first_number):
            prompt = quote(row.prompt, 100) if row.prompt else removed
            if len(steps) > 1:  # a chain of replies: its steps, oldest first, to the newest
                said = [quote(step.prompt, 40) if step.prompt else "🔀" for step in steps[-STEPS_SHOWN:]]
                prompt = ("… → " if len(steps) > STEPS_SHOWN else "") + " → ".join(said)
            if preview is not None and sheet is not None:
                name = f"{'SPOILER_' if preview.spoiler else ''}history-{row.id}.webp"
                gallery.append(
                    discord.MediaGalleryItem(f"attachment://{name}", description=f"{number}", spoiler=preview.spoiler)
                )
            when = discord.utils.format_dt(row.created_at, "R")
            lines.append(f"**{number}.** {prompt} · {when} · [{link_text}]({row.jump_link()})")
            if row.prompt and row.command in REROLLABLE:
                rerolls.append(self._buttons.result_button("reroll", row.id, label=f"R{number}", locale=locale))
            varies.append(self._buttons.result_button("hvary", row.id, label=f"V{number}", locale=locale))
        if gallery:
            view.add_item(discord.ui.MediaGallery(*gallery))
        view.add_item(discord.ui.TextDisplay("\n".join(lines)))
        for row_items in _rows(rerolls) + _rows(varies):
            view.add_item(discord.ui.ActionRow(*row_items))
        return view
