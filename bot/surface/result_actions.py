"""Buttons on results and queued requests (the Edit form is in edit_form.py).

The buttons are `DynamicItem`s, so they keep working after a restart: a result button's custom
id carries the usage row's id and the image's index (`ib:vary:USAGE_ID:INDEX`,
`ib:reroll:USAGE_ID`, zoom out and pan `ib:z2:USAGE_ID:INDEX`...), a queued request's Cancel the
job's id (`ib:cancel:JOB_ID`), and the private notice about kept images `ib:results` (it hands
over the clicking member's own). On a result of several images, "Zoom / pan" opens a private
picker that shows the images again, with menus of image and way (`ib:frame:USAGE_ID:PART`); the
database holds the rest. `ResultActions` is what they do; `ResultButtons` (result_view.py)
binds the item classes to it and builds the views.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.usage import guild_scope
from bot.db.models import KeptResult, UsageRecord
from bot.db.results import hand_over, kept_for
from bot.db.usage import get_usage
from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest
from bot.flow.intake import REFRAME_PROMPT, REFRAMES, Intake
from bot.flow.locales import Locales
from bot.flow.result_message import posted_as, sent_smaller
from bot.flow.sources import SourceImage, image_attachments, message_image
from bot.i18n import _
from bot.imaging import ImageDataError, describe
from bot.jobs.runner import Runner
from bot.surface.edit_form import EditForm
from bot.surface.errors import ErrorReporter
from bot.surface.remix_form import PROMPT_LIMIT, RemixForm
from bot.surface.result_items import (
    CANCEL_TEMPLATE,
    FRAME_TEMPLATE,
    KEPT_TEMPLATE,
    LOOKS,
    RESULT_TEMPLATE,
    FrameMenu,
    bound,
)
from bot.threads import BoundedThreads

CUSTOM_ID_TEMPLATES = (RESULT_TEMPLATE, CANCEL_TEMPLATE, KEPT_TEMPLATE, FRAME_TEMPLATE)
# What usage rows of buttons and menus name their command: the ACTION of ib:ACTION:..., and
# "zoom" and "pan" for the jobs those make.
BUTTON_COMMANDS = (
    *("vary", "hvary", "edit", "reroll", "remix", "delete", "cancel", "results", "reframe", "frame", "history"),
    *("zoom", "pan", *REFRAMES, "enhance", "pickenhance", "upscale", "pickupscale"),
)
FILES_PER_MESSAGE = 10
OPTIONS_PER_MENU = 25
_PAN_NAMES = {"pl": _("pan left"), "pr": _("pan right"), "pu": _("pan up"), "pd": _("pan down")}
# A result button that opens a private picker of the image, and what its choices may do.
PICKERS: dict[str, tuple[str, ...]] = {
    "reframe": tuple(REFRAMES),
    "pickenhance": ("enhance",),
    "pickupscale": ("upscale",),
}
PICKED_WAYS = frozenset(way for ways in PICKERS.values() for way in ways)


def reframe_name(action: str, locale: str) -> str:
    """ "Zoom out 2×", "pan left"... as the picker's menus show it."""
    text = _PAN_NAMES.get(action) or LOOKS[action][0]
    assert text is not None
    return text.render(locale)


def is_spoiler(message: discord.Message | None) -> bool:
    """Whether a result's images are spoilers: what is made from them is hidden too."""
    return message is not None and any(attachment.is_spoiler() for attachment in message.attachments)


def is_draft(message: discord.Message | None) -> bool:
    """Whether a result is a draft (it offers Enhance): its reroll is a draft too, made with the
    draft model, whatever the server's default; any other reroll is never one."""
    rows = [component for component in (message.components if message else []) if hasattr(component, "children")]
    custom_ids = [getattr(child, "custom_id", None) or "" for row in rows for child in getattr(row, "children", [])]
    return any(custom_id.startswith(("ib:enhance:", "ib:pickenhance:")) for custom_id in custom_ids)


def in_scope(row: UsageRecord | None, interaction: discord.Interaction) -> UsageRecord | None:
    """The row, if the clicking member may build on it here: a result of this guild (which its
    members all see), or, in personal use, one of the member's own. Custom ids are anyone's to
    forge, so this is checked on every click."""
    if row is None or row.guild_id != guild_scope(interaction):
        return None
    if row.guild_id is None and row.user_id != interaction.user.id:
        return None
    return row


class ResultActions:
    """What the buttons do."""

    def __init__(
        self,
        *,
        intake: Intake,
        runner: Runner,
        sessions: async_sessionmaker[AsyncSession],
        locales: Locales,
        errors: ErrorReporter,
        downloads: AttachmentDownloader,
        threads: BoundedThreads,
        channel: Callable[[int], discord.PartialMessageable],
        offer_painting: Callable[[discord.Interaction, SourceImage], Awaitable[None]] | None = None,
    ) -> None:
        """`channel` is a channel to read a result message from (Vary in /history);
        `offer_painting` the painting page's link, when it is served."""
        self.intake, self.runner, self.sessions = intake, runner, sessions
        self.locales, self.errors, self.downloads = locales, errors, downloads
        self.threads, self.channel = threads, channel
        self.offer_painting = offer_painting
        self.frame_menu = bound(FrameMenu, self)  # the picker's menu, run by these actions

    async def press(self, interaction: discord.Interaction, action: str, usage_id: int, index: int) -> None:
        """A result button: `action` on image `index` of the result `usage_id`."""
        if action in REFRAMES:
            await self.reframe(interaction, usage_id, index, action, interaction.message)
        elif action in PICKERS:
            ways = PICKERS[action]
            await self.open_picker(interaction, lambda count, locale: self.frame_menus(usage_id, count, locale, ways))
        elif action == "enhance":
            await self.enhance(interaction, usage_id, index, interaction.message)
        elif action == "upscale":
            await self.upscale(interaction, usage_id, index, interaction.message)
        else:
            handlers = {
                "vary": self.vary,
                "hvary": self.vary_from_history,
                "edit": self.edit,
                "reroll": self.reroll,
                "remix": self.remix,
                "delete": self.delete,
            }
            await handlers[action](interaction, usage_id, index)

    def frame_menus(
        self, usage_id: int, count: int, locale: str, ways: Sequence[str] = tuple(REFRAMES)
    ) -> list[FrameMenu]:
        """The picker's menus for a result of `count` images: every image and each of `ways` to
        take it on (to extend it, or `enhance`), 25 options a menu."""
        options = [
            discord.SelectOption(label=f"{index + 1} · {reframe_name(action, locale)}", value=f"{index}:{action}")
            for index in range(count)
            for action in ways
        ]
        return [
            self.frame_menu(usage_id, part, options[start : start + OPTIONS_PER_MENU])
            for part, start in enumerate(range(0, len(options), OPTIONS_PER_MENU))
        ]

    async def open_edit_form(self, interaction: discord.Interaction, source: SourceImage) -> None:
        locale = await self.locales.for_interaction(interaction)
        form = EditForm(source, locale, self.intake, self.errors, self.offer_painting)
        await interaction.response.send_modal(form)

    async def vary(self, interaction: discord.Interaction, usage_id: int, index: int) -> None:
        await self.intake.vary(interaction, command="vary", image=message_image(interaction.message, index))

    async def vary_from_history(self, interaction: discord.Interaction, usage_id: int, index: int) -> None:
        """Vary a result's first image from /history: the result message is read where it is."""
        async with self.sessions() as session:
            row = await get_usage(session, usage_id)
        if row is None or row.user_id != interaction.user.id or row.channel_id is None or row.message_id is None:
            raise InvalidRequest(_("That result is no longer in your history."))
        try:
            message = await self.channel(row.channel_id).fetch_message(row.message_id)
        except (discord.NotFound, discord.Forbidden):
            raise InvalidRequest(
                _("That result can't be reached from here. Open it with its link and press Vary there.")
            ) from None
        await self.intake.vary(interaction, command="vary", image=message_image(message, 0))

    async def edit(self, interaction: discord.Interaction, usage_id: int, index: int) -> None:
        await self.open_edit_form(interaction, message_image(interaction.message, index))

    async def reroll(self, interaction: discord.Interaction, usage_id: int, index: int) -> None:
        async with self.sessions() as session:
            row = in_scope(await get_usage(session, usage_id), interaction)
        if row is None or not row.prompt:
            raise InvalidRequest(_("This result can't be rerolled any more. Run /imagine again."))
        draft = is_draft(interaction.message)  # a draft's model and quality are the draft's own
        await self.intake.generate(
            interaction,
            command="reroll",
            prompt=row.prompt,
            model=None if draft else row.model,
            size=row.size,
            quality=None if draft else row.quality,
            n=row.n,
            style=row.style,
            spoiler=is_spoiler(interaction.message),
            draft=draft,
        )

    async def remix(self, interaction: discord.Interaction, usage_id: int, index: int) -> None:
        """The Remix form, the result's prompt filled in; submitted, the same request with the new prompt."""
        async with self.sessions() as session:
            row = in_scope(await get_usage(session, usage_id), interaction)
        if row is None or not row.prompt:
            raise InvalidRequest(_("This result can't be remixed any more. Run /imagine again."))
        if len(row.prompt) > PROMPT_LIMIT:
            raise InvalidRequest(_("This prompt is too long to change in a form. Run /imagine with the new prompt."))
        locale = await self.locales.for_interaction(interaction)
        form = RemixForm(row, is_spoiler(interaction.message), locale, self.intake, self.errors)
        await interaction.response.send_modal(form)

    async def reframe(
        self, interaction: discord.Interaction, usage_id: int, index: int, action: str, message: discord.Message | None
    ) -> None:
        """Zoom out or pan image `index` of the result `message`, with the result's prompt and model."""
        async with self.sessions() as session:
            row = in_scope(await get_usage(session, usage_id), interaction)
        if row is None:
            raise InvalidRequest(_("This result can't be extended any more. Run /imagine again."))
        command, extend = REFRAMES[action]
        await self.intake.outpaint(
            interaction,
            command=command,
            image=message_image(message, index),
            prompt=row.prompt or REFRAME_PROMPT,
            model=row.model,
            extend=extend,
            style=row.style if row.prompt else None,
            spoiler=is_spoiler(message),
        )

    async def open_picker(self, interaction: discord.Interaction, menus: Callable[[int, str], list[Any]]) -> None:
        """Privately, the result's images again, numbered, with `menus(count, locale)` to pick one
        and what to do with it (how to extend it, or to enhance it). The picker carries the images
        itself: wherever the bot may not read the channel (a server that did not add it), the
        choice still has them at hand."""
        images = image_attachments(interaction.message)
        if not images:
            raise InvalidRequest(_("That result message is gone."))
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        data = await asyncio.gather(
            *(self.downloads.fetch(attachment.url, declared_size=attachment.size) for attachment in images)
        )
        files = [
            discord.File(
                io.BytesIO(content), filename=f"{number}-{attachment.filename}", spoiler=attachment.is_spoiler()
            )
            for number, (attachment, content) in enumerate(zip(images, data, strict=True), start=1)
        ]
        view = discord.ui.View(timeout=None)
        for menu in menus(len(images), locale):
            view.add_item(menu)
        await interaction.followup.send(
            _("Pick an image and what to do with it.").render(locale), files=files, view=view, ephemeral=True
        )
        view.stop()  # DynamicItems answer it: discord.py need not keep the view of an ephemeral message

    async def frame_chosen(self, interaction: discord.Interaction, usage_id: int, value: str) -> None:
        """A choice in the picker: image `index` of the picker's own images, extended, enhanced or
        upscaled by `action`."""
        index, _separator, action = value.partition(":")
        if action not in PICKED_WAYS or not index.isascii() or not index.isdigit():
            raise InvalidRequest(_("That choice is not on the menu any more. Press the button again."))
        if action == "enhance":
            await self.enhance(interaction, usage_id, int(index), interaction.message)
        elif action == "upscale":
            await self.upscale(interaction, usage_id, int(index), interaction.message)
        else:
            await self.reframe(interaction, usage_id, int(index), action, interaction.message)

    async def enhance(
        self, interaction: discord.Interaction, usage_id: int, index: int, message: discord.Message | None
    ) -> None:
        """Enhance image `index` of the draft `message`: the same picture in detail, from its prompt."""
        async with self.sessions() as session:
            row = in_scope(await get_usage(session, usage_id), interaction)
        if row is None or not row.prompt:
            raise InvalidRequest(_("This draft can't be enhanced any more. Run /imagine again."))
        await self.intake.enhance(
            interaction, image=message_image(message, index), prompt=row.prompt, size=row.size, parent_id=row.id
        )

    async def upscale(
        self, interaction: discord.Interaction, usage_id: int, index: int, message: discord.Message | None
    ) -> None:
        """Upscale image `index` of the result `message`, with the result's model and quality."""
        async with self.sessions() as session:
            row = in_scope(await get_usage(session, usage_id), interaction)
        if row is None:
            raise InvalidRequest(_("This result can't be upscaled any more. Run /imagine again."))
        await self.intake.upscale(
            interaction,
            image=message_image(message, index),
            measure=self.measure,
            model=row.model,
            quality=row.quality,
            parent_id=row.id,
            spoiler=is_spoiler(message),
        )

    async def measure(self, image: SourceImage) -> tuple[int, int]:
        """The width and height of `image`, read from the image itself (in a worker thread)."""
        data = await self.downloads.fetch(image.url, declared_size=image.size)
        try:
            found = await self.threads.run(describe, data)
        except ImageDataError as exc:
            raise InvalidRequest(_("That image can't be used: {reason}.", reason=exc.reason)) from None
        return found.width, found.height

    async def delete(self, interaction: discord.Interaction, usage_id: int, index: int) -> None:
        """Delete the result this button is on: its row must be that message's, and the member its
        requester or, in a guild, a moderator."""
        async with self.sessions() as session:
            row = await get_usage(session, usage_id)
        message_id = interaction.message.id if interaction.message else None
        if row is None or row.guild_id != guild_scope(interaction) or row.message_id != message_id:
            raise InvalidRequest(_("This button doesn't belong to this result."))
        moderator = row.guild_id is not None and interaction.permissions.manage_messages
        if not (row.user_id == interaction.user.id or moderator):
            raise InvalidRequest(_("Only the member who asked for these images, or a moderator, can delete them."))
        await interaction.response.defer()
        await interaction.delete_original_response()

    async def hand_over_kept(self, interaction: discord.Interaction) -> None:
        """Send the member, privately, the images kept for them because Discord would not take
        them; each is handed over once. Only the member's own are ever read."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = await self.locales.for_interaction(interaction)
        async with self.sessions() as session:
            kept = await kept_for(session, interaction.user.id)
        if not kept:
            await interaction.followup.send(_("Nothing is waiting for you.").render(locale), ephemeral=True)
            return
        for start in range(0, len(kept), FILES_PER_MESSAGE):
            await self._send_fitted(interaction, kept[start : start + FILES_PER_MESSAGE])
        async with self.sessions() as session:
            await hand_over(session, kept)
            await session.commit()

    async def _send_fitted(self, interaction: discord.Interaction, batch: list[KeptResult]) -> None:
        """Kept images, privately, each fitted to what Discord takes here and re-encoded smaller
        each time it says they are too large, as a delivery is."""

        async def send(limit: int) -> None:
            fitted = await asyncio.gather(*(posted_as(self.threads, result.data, limit) for result in batch))
            files = [
                discord.File(io.BytesIO(image.data), filename=f"{result.filename.rsplit('.', 1)[0]}.{image.extension}")
                for result, images in zip(batch, fitted, strict=True)
                for image in images
            ]
            await interaction.followup.send(files=files, ephemeral=True)

        await sent_smaller(send, interaction.filesize_limit)

    async def cancel(self, interaction: discord.Interaction, job_id: int) -> None:
        job = self.runner.queued_job(job_id)
        if job is None or job.guild_id != guild_scope(interaction):
            raise InvalidRequest(_("This request has already started or finished."))
        moderator = job.guild_id is not None and interaction.permissions.manage_messages
        if job.user_id != interaction.user.id and not moderator:
            raise InvalidRequest(_("Only the member who asked, or a moderator, can cancel this."))
        await interaction.response.defer()  # answered at once; the cancel itself is database work
        if not await self.runner.cancel(job):
            raise InvalidRequest(_("This request has already started or finished."))
        await interaction.edit_original_response(content=_("Cancelled.").render(job.locale), view=None)
