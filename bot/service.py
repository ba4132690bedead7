"""The request flow shared by slash commands, context menus, modals and buttons.

Each request: a usage row saved at once (its id goes into the result's buttons), checks
before any provider call, a public deferral, inputs fetched and prepared in worker threads,
the provider call, and the reply with attachments and buttons. Failures propagate to the
command tree's one error path, which finishes the row and tells the member.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.components import cancel_view, result_view
from bot.db.models import Job, JobState, UsageRecord
from bot.delivery import prepare_files, render_result
from bot.errors import InvalidRequest
from bot.i18n import Text, _
from bot.images import GeneratedImage, ImagesResult, InputImage, ModelSpec
from bot.imaging import ImageDataError, PreparedEdit, fit_to_limit, prepare_edit
from bot.jobs import lifetime_left
from bot.tree import record_failure
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

    @classmethod
    def from_params(cls, data: dict[str, Any] | None) -> SourceImage | None:
        return cls(**data) if data else None


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
    """Accepts requests from interactions, and runs them as jobs when the scheduler says."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        self.interaction_lifetime = timedelta(minutes=bot.config.jobs.interaction_minutes)

    # Accepting: checks, policy, deferral, a job in the queue -----------------------------------

    def _begin(self, interaction: discord.Interaction, command: str, model: str | None, **fields: object):
        """The request's usage row, in memory until the deferral is sent (the error path saves it)."""
        if not self.bot.scheduler.accepting:
            raise InvalidRequest(_("The bot is restarting. Please try again in a minute."))
        return start_record(interaction, command=command, model=model or self.bot.config.images.model, **fields)

    async def _accept(
        self, interaction: discord.Interaction, record: UsageRecord, spec: ModelSpec, kind: str,
        params: dict[str, Any], *, size: str | None, quality: str | None, n: int,
    ) -> None:
        """Show "thinking..." first (Discord allows 3 seconds), then save the row, apply the guild's
        policy (reserving images and budget), and queue the job."""
        message_id = None
        if not interaction.response.is_done():
            response = await interaction.response.defer(thinking=True)
            message_id = getattr(response, "message_id", None)
        await self.bot.log_usage(record)
        params["size"] = await self.bot.policy.admit(interaction, record, spec, size, quality, n)
        await self.bot.log_usage(record)
        if message_id is None:
            message_id = (await interaction.original_response()).id
        job = Job(
            usage_id=record.id, kind=kind, state=JobState.QUEUED, guild_id=interaction.guild_id,
            channel_id=interaction.channel_id, user_id=interaction.user.id,
            locale=await self.bot.locale_for(interaction), params={**params, "model": spec.name, "n": n},
            application_id=interaction.application_id, interaction_token=interaction.token, message_id=message_id,
            attachment_limit=interaction.filesize_limit, interaction_at=interaction.created_at,
        )
        async with self.bot.db() as session:
            session.add(job)
            await session.commit()
        await self.bot.scheduler.submit(job)

    async def generate(
        self, interaction: discord.Interaction, *, command: str, prompt: str, model: str | None,
        size: str | None, quality: str | None, n: int,
    ) -> None:
        record = self._begin(interaction, command, model, size=size, quality=quality, n=n, prompt=prompt)
        spec = self.bot.resolve_model(model)
        _problem(spec.prompt_problem(prompt))
        _problem(spec.size_problem(size) if size else None)
        _problem(spec.quality_problem(quality) if quality else None)
        await self._accept(interaction, record, spec, "generate", {"prompt": prompt, "quality": quality},
                           size=size, quality=quality, n=n)

    async def edit(
        self, interaction: discord.Interaction, *, command: str, image: SourceImage, prompt: str,
        mask: SourceImage | None = None, references: list[SourceImage] | None = None, model: str | None = None,
        size: str | None = None, n: int = 1, fit: str = "crop",
    ) -> None:
        references = references or []
        record = self._begin(interaction, command, model, size=size, n=n, prompt=prompt)
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
        params = {"prompt": prompt, "fit": fit, "image": asdict(image), "mask": asdict(mask) if mask else None,
                  "references": [asdict(reference) for reference in references]}
        await self._accept(interaction, record, spec, "edit", params, size=size, quality=None, n=n)

    async def vary(
        self, interaction: discord.Interaction, *, command: str, image: SourceImage, model: str | None = None,
        n: int = 1, fit: str = "crop",
    ) -> None:
        record = self._begin(interaction, command, model, n=n)
        spec = self.bot.resolve_model(model)
        if not (spec.variations or spec.edits):
            raise InvalidRequest(_("`{model}` can't make variations. Pick a GPT image model.", model=spec.name))
        await self._accept(interaction, record, spec, "vary", {"fit": fit, "image": asdict(image)},
                           size=None, quality=None, n=n)

    # Talking to the member through the interaction's webhook ----------------------------------

    def token_valid(self, job: Job) -> bool:
        """Whether the interaction can still be answered, with a minute (or a tenth of it) to spare."""
        margin = min(timedelta(minutes=1), self.interaction_lifetime / 10)
        return job.interaction_token is not None and lifetime_left(job, self.interaction_lifetime) > margin

    def _webhook(self, job: Job) -> discord.Webhook:
        data = {"id": job.application_id, "type": 3, "token": job.interaction_token}
        return discord.Webhook.from_state(data, self.bot._connection)

    async def show_status(self, job: Job, text: str, *, cancellable: bool = False,
                          preview: bytes | None = None) -> None:
        """Edit the member's reply while the job waits or runs; a failure here is only logged."""
        if not self.token_valid(job) or job.message_id is None:
            return
        try:
            await self._webhook(job).edit_message(
                job.message_id, content=text,
                view=cancel_view(job.id, job.locale) if cancellable else None,
                attachments=[discord.File(io.BytesIO(preview), filename="preview.png")] if preview else [],
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException:
            log.warning("could not update the status of job %s", job.id)

    async def tell_member(self, job: Job, text: str) -> None:
        """A private message through the interaction, or, once it has expired, a channel message."""
        try:
            if self.token_valid(job):
                webhook = self._webhook(job)
                if job.message_id is not None:
                    await webhook.delete_message(job.message_id)
                await webhook.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
            elif job.channel_id is not None:
                await self.bot.get_partial_messageable(job.channel_id).send(
                    f"<@{job.user_id}> {text}", allowed_mentions=discord.AllowedMentions(users=[discord.Object(job.user_id)]))
        except discord.HTTPException:
            log.exception("could not tell user %s about job %s", job.user_id, job.id)

    # Running ----------------------------------------------------------------------------------

    async def run_job(self, job: Job) -> None:
        """Run a job to its end: delivered, or failed with the member told and the row finished."""
        async with self.bot.db() as session:
            record = await session.get(UsageRecord, job.usage_id)
        assert record is not None, f"job {job.id} has no usage row"
        spec = self.bot.models.get(job.params["model"])
        try:
            await self.show_status(job, _("🎨 Working on it…").render(job.locale))
            result = await self._produce(job, spec)
            await self._deliver(job, record, result, spec)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._fail(job, record, exc)

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

    async def _produce(self, job: Job, spec: ModelSpec) -> ImagesResult:
        params, user = job.params, provider_user_id(job.user_id)
        images = self.bot.images
        if job.kind == "generate":
            if params["n"] == 1 and spec.streaming:
                return await self._stream(job, spec, user)
            return await images.generate(params["prompt"], model=spec, n=params["n"], size=params["size"],
                                         quality=params["quality"], user=user)
        fit = params.get("fit", "crop")
        if job.kind == "vary":
            prepared = await self._fetch_prepared(SourceImage(**params["image"]), None, spec, fit, use_own_alpha=False)
            if spec.variations:
                return await images.create_variation(InputImage(prepared.image.data), model=spec, n=params["n"],
                                                     user=user)
            return await images.edit([InputImage(prepared.image.data)], VARIATION_PROMPT, model=spec, n=params["n"],
                                     input_fidelity="high", user=user)
        prepared = await self._fetch_prepared(SourceImage(**params["image"]), SourceImage.from_params(params["mask"]),
                                              spec, fit, use_own_alpha=True)
        inputs = [InputImage(prepared.image.data)]
        for reference in params["references"]:
            extra = await self._fetch_prepared(SourceImage(**reference), None, spec, fit, use_own_alpha=False)
            inputs.append(InputImage(extra.image.data, filename=f"reference-{len(inputs)}.png"))
        mask_input = InputImage(prepared.mask, filename="mask.png") if prepared.mask else None
        return await images.edit(inputs, params["prompt"], model=spec, mask=mask_input, n=params["n"],
                                 size=params["size"], user=user)

    async def _stream(self, job: Job, spec: ModelSpec, user: str) -> ImagesResult:
        """One image, streamed: each partial image is shown as it arrives."""
        params = job.params
        async for event in self.bot.images.stream_generate(params["prompt"], model=spec, size=params["size"],
                                                           quality=params["quality"], user=user):
            if event.completed:
                return ImagesResult(images=[GeneratedImage(event.image)], usage=event.usage)
            preview = await self.bot.threads.run(fit_to_limit, event.image, job.attachment_limit)
            await self.show_status(job, _("🎨 Working on it… preview {index}",
                                          index=(event.partial_index or 0) + 1).render(job.locale),
                                   preview=preview.data)
        raise AssertionError("stream_generate ends with a completed event")

    async def _deliver(self, job: Job, record: UsageRecord, result: ImagesResult, spec: ModelSpec) -> None:
        files, dimensions = await prepare_files(
            self.bot.threads, result, size_limit=job.attachment_limit, stem=f"{record.command}-{job.id}"
        )
        content = render_result(result, prompt=job.params.get("prompt"), model=spec, dimensions=dimensions,
                                requested=job.params["n"], locale=job.locale)
        view = result_view(record.id, len(files), rerollable=job.kind == "generate", locale=job.locale)
        if self.token_valid(job):
            message = await self._webhook(job).edit_message(
                job.message_id, content=content, attachments=files, view=view,
                allowed_mentions=discord.AllowedMentions.none())
        else:
            message = await self.bot.get_partial_messageable(job.channel_id).send(
                f"<@{job.user_id}> {content}"[:2000], files=files, view=view,
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(job.user_id)]))
        record.message_id = message.id
        finish_ok(record, result)
        try:
            await self.bot.policy.settle(record, result)
        except Exception:
            log.exception("could not settle the cost of usage row %s", record.id)
        await self.bot.log_usage(record)
        await self.bot.scheduler.finish(job, JobState.DONE)

    async def _fail(self, job: Job, record: UsageRecord, error: Exception) -> None:
        failure = await record_failure(self.bot, record, error, what=f"job {job.id} (/{record.command})")
        await self.tell_member(job, failure.message.render(job.locale))
        await self.bot.scheduler.finish(job, JobState.FAILED)
