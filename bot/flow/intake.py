"""Intake: a request from a command, a menu, a form or a button, checked and accepted as a job.

Each request gets a usage row at once (the error path finishes it whatever happens), the
model's rules are checked before anything is sent, "thinking..." is shown within Discord's
3 seconds, and then admission applies the guild's policy (reserving images and budget) and
queues the job in one unit of work.
"""

from __future__ import annotations

import discord

from bot.billing.policy import Requester
from bot.billing.usage import UsageLog, guild_scope, reachable_channel, start_record
from bot.db.models import Job, UsageRecord
from bot.errors import InvalidRequest
from bot.flow.admission import Admission, age_restricted, check
from bot.flow.catalog import ModelCatalog
from bot.flow.job_params import EditParams, GenerateParams, JobParams, OutpaintParams, VaryParams, as_fit
from bot.flow.locales import Locales
from bot.flow.sources import SourceImage
from bot.flow.styles import Styles
from bot.i18n import _
from bot.images import ModelSpec

# Zoom out and pan: how far the canvas grows on each side (left, top, right, bottom), as a
# fraction of the image's width or height, and the command the usage row names.
REFRAMES: dict[str, tuple[str, tuple[float, float, float, float]]] = {
    "z15": ("zoom", (0.25, 0.25, 0.25, 0.25)),
    "z2": ("zoom", (0.5, 0.5, 0.5, 0.5)),
    "pl": ("pan", (0.5, 0.0, 0.0, 0.0)),
    "pr": ("pan", (0.0, 0.0, 0.5, 0.0)),
    "pu": ("pan", (0.0, 0.5, 0.0, 0.0)),
    "pd": ("pan", (0.0, 0.0, 0.0, 0.5)),
}
GRID_CELLS = 9
REFRAME_PROMPT = "Extend this image outward, continuing its scene, style and lighting seamlessly."


class Intake:
    def __init__(
        self, *, catalog: ModelCatalog, admission: Admission, usage: UsageLog, locales: Locales, styles: Styles
    ) -> None:
        self._catalog = catalog
        self._admission = admission
        self._usage = usage
        self._locales = locales
        self._styles = styles

    def _begin(
        self, interaction: discord.Interaction, command: str, model: str | None, **fields: object
    ) -> UsageRecord:
        """The request's usage row, in memory until the deferral is sent (the error path saves it)."""
        self._admission.check_accepting()
        return start_record(interaction, command=command, model=model or self._catalog.default, **fields)

    async def _accept(
        self,
        interaction: discord.Interaction,
        record: UsageRecord,
        spec: ModelSpec,
        params: JobParams,
        *,
        style: str | None = None,
    ) -> None:
        """Show "thinking..." first (its callback's answer gives the message's id), save the row,
        set the prompt in its `style`, then admit and queue the job."""
        message_id = None
        if not interaction.response.is_done():
            response = await interaction.response.defer(thinking=True)
            message_id = getattr(response, "message_id", None)
        if message_id is None:
            message_id = (await interaction.original_response()).id
        record.message_id = message_id  # the reply becomes the result: a reply to it finds this row
        await self._usage.save(record)
        if style is not None and params.prompt is not None:
            styled = await self._styles.apply(guild_scope(interaction), style, params.prompt)
            check(spec.prompt_problem(styled))
            params = params.model_copy(update={"prompt": styled})
        await self._admission.enqueue(
            record,
            spec,
            params,
            requester=Requester.from_interaction(interaction),
            locale_of=lambda settings: self._locales.for_interaction(interaction, settings),
            job=Job(
                guild_id=guild_scope(interaction),
                channel_id=reachable_channel(interaction),
                user_id=interaction.user.id,
                application_id=interaction.application_id,
                interaction_token=interaction.token,
                message_id=message_id,
                attachment_limit=interaction.filesize_limit,
                interaction_at=interaction.created_at,
            ),
            age_restricted=age_restricted(interaction.channel),
        )

    async def generate(
        self,
        interaction: discord.Interaction,
        *,
        command: str,
        prompt: str,
        model: str | None,
        size: str | None,
        quality: str | None,
        n: int,
        style: str | None = None,
        spoiler: bool = False,
    ) -> None:
        """A generation; `style` sets the member's prompt in a style's template (the row keeps both)."""
        record = self._begin(interaction, command, model, size=size, quality=quality, n=n, prompt=prompt, style=style)
        spec = self._catalog.resolve(model)
        check(spec.prompt_problem(prompt))
        check(spec.size_problem(size) if size else None)
        check(spec.quality_problem(quality) if quality else None)
        params = GenerateParams(model=spec.name, n=n, size=size, prompt=prompt, quality=quality, spoiler=spoiler)
        await self._accept(interaction, record, spec, params, style=style)

    async def edit(
        self,
        interaction: discord.Interaction,
        *,
        command: str,
        image: SourceImage,
        prompt: str,
        mask: SourceImage | None = None,
        area: list[int] | None = None,
        references: list[SourceImage] | None = None,
        model: str | None = None,
        size: str | None = None,
        n: int = 1,
        fit: str = "crop",
    ) -> None:
        """`area`: cells of a 3x3 grid (0 top left … 8 bottom right) to change, when there is no
        `mask`; none, or all nine, is the whole image."""
        references = references or []
        area = sorted(set(area or [])) if mask is None else []
        if len(area) == GRID_CELLS:
            area = []
        record = self._begin(interaction, command, model, size=size, n=n, prompt=prompt)
        spec = self._catalog.resolve(model)
        if not spec.edits:
            raise InvalidRequest(_("`{model}` can't edit images. Pick a GPT image model.", model=spec.name))
        if (mask is not None or area) and not spec.masks:
            raise InvalidRequest(
                _("`{model}` doesn't take masks. Leave the mask out or pick another model.", model=spec.name)
            )
        if 1 + len(references) > spec.max_edit_images:
            raise InvalidRequest(
                _(
                    "`{model}` takes at most {limit} images in all; you gave {count}.",
                    model=spec.name,
                    limit=spec.max_edit_images,
                    count=1 + len(references),
                )
            )
        check(spec.prompt_problem(prompt))
        check(spec.size_problem(size) if size else None)
        params = EditParams(
            model=spec.name,
            n=n,
            size=size,
            prompt=prompt,
            fit=as_fit(fit),
            image=image,
            mask=mask,
            area=tuple(area),
            references=tuple(references),
        )
        await self._accept(interaction, record, spec, params)

    async def vary(
        self,
        interaction: discord.Interaction,
        *,
        command: str,
        image: SourceImage,
        model: str | None = None,
        n: int = 1,
        fit: str = "crop",
    ) -> None:
        record = self._begin(interaction, command, model, n=n)
        spec = self._catalog.resolve(model)
        if not (spec.variations or spec.edits):
            raise InvalidRequest(_("`{model}` can't make variations. Pick a GPT image model.", model=spec.name))
        await self._accept(interaction, record, spec, VaryParams(model=spec.name, n=n, fit=as_fit(fit), image=image))

    async def outpaint(
        self,
        interaction: discord.Interaction,
        *,
        command: str,
        image: SourceImage,
        prompt: str,
        model: str | None,
        extend: tuple[float, float, float, float],
        style: str | None = None,
        spoiler: bool = False,
    ) -> None:
        """Zoom out or pan: an edit of `image` on a larger canvas (left, top, right, bottom
        `extend`), the new area masked, with the result's own prompt (and style)."""
        record = self._begin(interaction, command, model, n=1, prompt=prompt, style=style)
        spec = self._catalog.resolve(model)
        if not (spec.edits and spec.masks):
            raise InvalidRequest(
                _(
                    "`{model}` can't extend images. Make the image with a GPT image model to zoom or pan.",
                    model=spec.name,
                )
            )
        check(spec.prompt_problem(prompt))
        params = OutpaintParams(model=spec.name, n=1, prompt=prompt, image=image, extend=extend, spoiler=spoiler)
        await self._accept(interaction, record, spec, params, style=style)
