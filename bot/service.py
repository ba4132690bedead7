"""The request flow shared by slash commands, context menus, modals and buttons.

Each request: a usage row saved at once (its id goes into the result's buttons), checks
before any provider call, a public deferral, inputs fetched and prepared in worker threads,
the provider call, and the reply with attachments and buttons. Failures propagate to the
command tree's one error path, which finishes the row and tells the member.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.components import result_view
from bot.delivery import prepare_files, render_result
from bot.errors import InvalidRequest
from bot.i18n import Text, _
from bot.images import ImagesResult, InputImage, ModelSpec
from bot.imaging import ImageDataError, PreparedEdit, prepare_edit
from bot.usage import finish_ok, start_record

if TYPE_CHECKING:
    from bot.app import ImageBot

log = logging.getLogger(__name__)

VARIATION_PROMPT = (
    "Make a variation of this image: keep its subject, composition, palette and style, "
    "and vary the details."
)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class SourceImage:
    """An image a member pointed at: where to fetch it and what Discord says its size is."""

    url: str
    size: int | None
    filename: str

    @classmethod
    def from_attachment(cls, attachment: discord.Attachment) -> SourceImage:
        return cls(attachment.url, attachment.size, attachment.filename)


def is_image(attachment: discord.Attachment) -> bool:
    content_type = (attachment.content_type or "").split(";")[0]
    return content_type.startswith("image/") or attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def message_image(message: discord.Message, index: int = 0) -> SourceImage:
    """The message's `index`-th image attachment, or a clear refusal."""
    images = [attachment for attachment in message.attachments if is_image(attachment)]
    if not images:
        raise InvalidRequest(_("That message has no image attached. Right-click a message with an image."))
    if index >= len(images):
        raise InvalidRequest(_("That image is no longer on the message."))
    return SourceImage.from_attachment(images[index])


def provider_user_id(user_id: int) -> str:
    """A stable pseudonymous id for the provider's abuse monitoring; never the Discord id."""
    return "discord-" + hashlib.sha256(str(user_id).encode()).hexdigest()[:24]


def _problem(problem: Text | None) -> None:
    if problem:
        raise InvalidRequest(problem)


class ImageService:
    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    async def _begin(self, interaction: discord.Interaction, command: str, model: str | None, **fields: object):
        record = start_record(interaction, command=command, model=model or self.bot.config.images.model, **fields)
        await self.bot.log_usage(record)
        return record

    async def _admit_and_defer(
        self, interaction: discord.Interaction, record, spec: ModelSpec, size: str | None, quality: str | None, n: int
    ) -> str | None:
        """Apply the guild's policy (reserving images and budget), then show "thinking...".
        Returns the size to ask for."""
        size = await self.bot.policy.admit(interaction, record, spec, size, quality, n)
        await self.bot.log_usage(record)
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        return size

    async def _fetch_prepared(
        self, source: SourceImage, mask: SourceImage | None, spec: ModelSpec, fit: str, *, use_own_alpha: bool
    ) -> PreparedEdit:
        data = await self.bot.downloads.fetch(source.url, declared_size=source.size)
        mask_data = await self.bot.downloads.fetch(mask.url, declared_size=mask.size, mask=True) if mask else None
        try:
            return await self.bot.threads.run(
                prepare_edit, data, mask_data, square_png=spec.square_inputs,
                max_bytes=spec.max_input_mb * 1024 * 1024, fit=fit, use_own_alpha=use_own_alpha,
            )
        except ImageDataError as exc:
            raise InvalidRequest(_("That image can't be used: {reason}.", reason=exc.reason)) from None

    async def _deliver(
        self, interaction: discord.Interaction, record, result: ImagesResult, *, prompt: str | None,
        spec: ModelSpec, n: int, rerollable: bool,
    ) -> None:
        files, dimensions = await prepare_files(
            self.bot.threads, result, size_limit=interaction.filesize_limit, stem=f"{record.command}-{interaction.id}"
        )
        locale = await self.bot.locale_for(interaction)
        content = render_result(result, prompt=prompt, model=spec, dimensions=dimensions, requested=n, locale=locale)
        view = (result_view(record.id, len(files), rerollable=rerollable, locale=locale) if record.id is not None
                else discord.utils.MISSING)
        message = await interaction.edit_original_response(
            content=content, attachments=files, view=view, allowed_mentions=discord.AllowedMentions.none()
        )
        record.message_id = message.id
        finish_ok(interaction, record, result)
        try:
            await self.bot.policy.settle(record, result)
        except Exception:
            log.exception("could not settle the cost of usage row %s", record.id)
        await self.bot.log_usage(record)

    async def generate(
        self, interaction: discord.Interaction, *, command: str, prompt: str, model: str | None,
        size: str | None, quality: str | None, n: int,
    ) -> None:
        record = await self._begin(interaction, command, model, size=size, quality=quality, n=n, prompt=prompt)
        spec = self.bot.resolve_model(model)
        _problem(spec.prompt_problem(prompt))
        _problem(spec.size_problem(size) if size else None)
        _problem(spec.quality_problem(quality) if quality else None)
        size = await self._admit_and_defer(interaction, record, spec, size, quality, n)
        result = await self.bot.images.generate(
            prompt, model=spec, n=n, size=size, quality=quality, user=provider_user_id(interaction.user.id)
        )
        await self._deliver(interaction, record, result, prompt=prompt, spec=spec, n=n, rerollable=True)

    async def edit(
        self, interaction: discord.Interaction, *, command: str, image: SourceImage, prompt: str,
        mask: SourceImage | None = None, references: list[SourceImage] | None = None, model: str | None = None,
        size: str | None = None, n: int = 1, fit: str = "crop",
    ) -> None:
        references = references or []
        record = await self._begin(interaction, command, model, size=size, n=n, prompt=prompt)
        spec = self.bot.resolve_model(model)
        if not spec.edits:
            raise InvalidRequest(_("`{model}` can't edit images. Pick a GPT image model.", model=spec.name))
        if mask is not None and not spec.masks:
            raise InvalidRequest(_("`{model}` doesn't take masks. Leave the mask out or pick another model.",
                                   model=spec.name))
        if 1 + len(references) > spec.max_edit_images:
            raise InvalidRequest(_("`{model}` takes at most {limit} images in all; you gave {count}.",
                                   model=spec.name, limit=spec.max_edit_images, count=1 + len(references)))
        _problem(spec.prompt_problem(prompt))
        _problem(spec.size_problem(size) if size else None)
        size = await self._admit_and_defer(interaction, record, spec, size, None, n)
        prepared = await self._fetch_prepared(image, mask, spec, fit, use_own_alpha=True)
        inputs = [InputImage(prepared.image.data)]
        for reference in references:
            extra = await self._fetch_prepared(reference, None, spec, fit, use_own_alpha=False)
            inputs.append(InputImage(extra.image.data, filename=f"reference-{len(inputs)}.png"))
        mask_input = InputImage(prepared.mask, filename="mask.png") if prepared.mask else None
        result = await self.bot.images.edit(
            inputs, prompt, model=spec, mask=mask_input, n=n, size=size, user=provider_user_id(interaction.user.id)
        )
        await self._deliver(interaction, record, result, prompt=prompt, spec=spec, n=n, rerollable=False)

    async def vary(
        self, interaction: discord.Interaction, *, command: str, image: SourceImage, model: str | None = None,
        n: int = 1, fit: str = "crop",
    ) -> None:
        record = await self._begin(interaction, command, model, n=n)
        spec = self.bot.resolve_model(model)
        if not (spec.variations or spec.edits):
            raise InvalidRequest(_("`{model}` can't make variations. Pick a GPT image model.", model=spec.name))
        await self._admit_and_defer(interaction, record, spec, None, None, n)
        prepared = await self._fetch_prepared(image, None, spec, fit, use_own_alpha=False)
        user = provider_user_id(interaction.user.id)
        if spec.variations:
            result = await self.bot.images.create_variation(InputImage(prepared.image.data), model=spec, n=n, user=user)
        else:
            result = await self.bot.images.edit(
                [InputImage(prepared.image.data)], VARIATION_PROMPT, model=spec, n=n, input_fidelity="high", user=user
            )
        await self._deliver(interaction, record, result, prompt=None, spec=spec, n=n, rerollable=False)
