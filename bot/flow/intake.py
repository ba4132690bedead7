"""Intake: a request from a command, a menu, a form or a button, checked and accepted as a job.

Each request gets a usage row at once (the error path finishes it whatever happens), the
model's rules are checked before anything is sent, "thinking..." is shown within Discord's
3 seconds, and then admission applies the guild's policy (reserving images and budget) and
queues the job in one unit of work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.usage import UsageLog, guild_scope, start_record
from bot.db.models import UsageRecord
from bot.db.policy import get_settings
from bot.errors import InvalidRequest
from bot.flow.admission import Admission, check
from bot.flow.catalog import ModelCatalog
from bot.flow.job_params import (
    EditParams,
    GenerateParams,
    JobParams,
    OutpaintParams,
    VaryParams,
    as_fit,
    as_format,
)
from bot.flow.locales import Locales
from bot.flow.origin import Origin
from bot.flow.sources import SavedReference, SourceImage
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
UPSCALE_PROMPT = (
    "The same image at a higher resolution, in finer detail: keep its composition, subjects, colours, lighting "
    "and style exactly; add nothing and remove nothing."
)

BLEND_IMAGES = (2, 5)  # the fewest and most images /blend takes
BLEND_PROMPT = (
    "Blend these {count} images into one picture: combine their subjects, styles and colours into a single, "
    "coherent image."
)


def blend_prompt(count: int, words: str | None) -> str:
    """The edit's prompt for a blend of `count` images: one picture of them all, plus the member's words."""
    prompt = BLEND_PROMPT.format(count=count)
    return f"{prompt} {words.strip()}" if words and words.strip() else prompt


@dataclass(frozen=True)
class Drafts:
    """What a draft is made with (fast and cheap), and what its Enhance is made with (detail)."""

    model: str
    quality: str
    enhance_model: str
    enhance_quality: str


def check_prompt_and_size(spec: ModelSpec, prompt: str, size: str | None) -> None:
    """Refuse, before any call, a prompt the model does not take, and a size the member chose
    that it does not make."""
    check(spec.prompt_problem(prompt))
    check(spec.size_problem(size) if size else None)


def check_looks(spec: ModelSpec, quality: str | None, complexity: str | None, background: str | None) -> None:
    """Refuse, before any call, a quality, complexity or background the member chose that the
    model does not take, saying what it does (a choice is never silently dropped)."""
    check(spec.quality_problem(quality) if quality else None)
    check(spec.complexity_problem(complexity) if complexity else None)
    check(spec.background_problem(background) if background else None)


def check_format(
    spec: ModelSpec, format: str, frames: int | None, frame_ms: int | None, *, edit: bool = False, masked: bool = False
) -> None:
    """Refuse, before any call, a `format` (image, gif, svg), frames or frame length the model does
    not take, saying what it does; and a GIF with a mask, which the API refuses."""
    check(spec.format_problem(format, frames, frame_ms, edit=edit))
    if format == "gif" and masked:
        raise InvalidRequest(_("A GIF is made without a mask. Leave the mask out, or set format to image."))


class Intake:
    def __init__(
        self,
        *,
        catalog: ModelCatalog,
        admission: Admission,
        usage: UsageLog,
        locales: Locales,
        styles: Styles,
        sessions: async_sessionmaker[AsyncSession],
        drafts: Drafts,
    ) -> None:
        """`sessions` read whether a guild drafts by default; `drafts` are the models of drafts."""
        self._catalog = catalog
        self._admission = admission
        self._usage = usage
        self._locales = locales
        self._styles = styles
        self._sessions = sessions
        self._drafts = drafts

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
        """Show "thinking..." first, save the row, set the prompt in its `style`, then admit and
        queue the job. The response's message id is never read back: the acknowledgement's answer
        may give it, and otherwise the job edits the interaction's original response, and the
        result's edit gives it (then a reply to the result finds this row)."""
        message_id = None
        if not interaction.response.is_done():
            response = await interaction.response.defer(thinking=True)
            message_id = response.message_id if response is not None else None
        record.message_id = message_id
        await self._usage.save(record)
        if style is not None and params.prompt is not None:
            styled = await self._styles.apply(guild_scope(interaction), style, params.prompt)
            check(spec.prompt_problem(styled))
            params = params.model_copy(update={"prompt": styled})
        origin = Origin.of_interaction(interaction, message_id=message_id, locales=self._locales)
        await self._admission.enqueue(record, spec, params, origin)

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
        complexity: str | None = None,
        background: str | None = None,
        draft: bool | None = None,
        parent_id: int | None = None,
        format: str = "image",
        frames: int | None = None,
        frame_ms: int | None = None,
        references: Sequence[SavedReference] = (),
    ) -> None:
        """A generation; `style` sets the member's prompt in a style's template (the row keeps both).
        A `draft` (None: as the guild chose) is made with the draft model at the draft quality.
        `parent_id`: the row whose result this one continues (a Remix's). With saved `references`
        the picture is made from `prompt` by an edit with them as its inputs (repeated image[];
        none's transparency taken as a mask), on a model that takes several inputs, and is never a
        draft (one asked for is refused, with its row). The job names them by id: their images are
        read when it runs."""
        refused_draft = bool(references) and draft is True
        if references:
            draft = False
        elif draft is None:
            draft = await self._drafts_by_default(guild_scope(interaction))
        record = self._begin(
            interaction,
            command,
            self._drafts.model if draft else model,
            size=size,
            quality=self._drafts.quality if draft else quality,
            n=n,
            prompt=prompt,
            style=style,
            parent_id=parent_id,
        )
        if refused_draft:
            raise InvalidRequest(_("A picture from references is never a draft. Set draft to false."))
        if draft and (model or quality):
            raise InvalidRequest(
                _(
                    "A draft is made with `{model}` at {quality} quality. Leave model and quality empty, "
                    "or set draft to false.",
                    model=self._drafts.model,
                    quality=self._drafts.quality,
                )
            )
        if draft:
            model, quality = self._drafts.model, self._drafts.quality
        spec = self._catalog.configured(self._drafts.model) if draft else self._catalog.resolve(model)
        if references:
            self._check_takes_references(spec, len(references))
        check_prompt_and_size(spec, prompt, size)
        check_looks(spec, quality, complexity, background)
        check_format(spec, format, frames, frame_ms, edit=bool(references))
        fields: dict[str, Any] = {
            "model": spec.name,
            "n": n,
            "size": size,
            "prompt": prompt,
            "quality": quality,
            "complexity": complexity,
            "background": background,
            "spoiler": spoiler,
            "format": as_format(format),
            "frames": frames,
            "frame_ms": frame_ms,
        }
        params: JobParams = (
            EditParams(**fields, image=references[0], references=tuple(references[1:]), alpha_as_mask=False)
            if references
            else GenerateParams(**fields, draft=draft)
        )
        await self._accept(interaction, record, spec, params, style=style)

    def _check_takes_references(self, spec: ModelSpec, count: int) -> None:
        """Refuse a model that can't make a picture from `count` references, naming those that can."""
        if not spec.edits or spec.max_edit_images < max(2, count):
            fitting = [
                name
                for name in self._catalog.offered
                if self._catalog.get(name).edits and self._catalog.get(name).max_edit_images >= max(2, count)
            ]
            raise InvalidRequest(
                _(
                    "`{model}` can't make a picture from references. Pick one of: {models}.",
                    model=spec.name,
                    models=", ".join(fitting) or "-",
                )
            )

    async def _drafts_by_default(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return False
        async with self._sessions() as session:
            return (await get_settings(session, guild_id)).drafts

    async def enhance(
        self, interaction: discord.Interaction, *, image: SourceImage, prompt: str, size: str | None, parent_id: int
    ) -> None:
        """A draft's Enhance: `image` edited by the enhance model at the enhance quality, with high
        input fidelity, the draft's size and its prompt, so that the composition stays and the
        detail comes. Its row continues the draft's (`parent_id`)."""
        drafts = self._drafts
        record = self._begin(
            interaction, "enhance", drafts.enhance_model, size=size, quality=drafts.enhance_quality, prompt=prompt
        )
        record.parent_id = parent_id
        spec = self._catalog.configured(drafts.enhance_model)
        check(spec.edit_problem())
        check_prompt_and_size(spec, prompt, size)
        params = EditParams(
            model=spec.name,
            n=1,
            size=size,
            quality=drafts.enhance_quality,
            prompt=prompt,
            image=image,
            input_fidelity="high" if spec.input_fidelity else None,
        )
        await self._accept(interaction, record, spec, params)

    async def upscale(
        self,
        interaction: discord.Interaction,
        *,
        image: SourceImage,
        measure: Callable[[SourceImage], Awaitable[tuple[int, int]]],
        model: str | None,
        quality: str | None,
        parent_id: int,
        spoiler: bool = False,
    ) -> None:
        """Upscale: `image` edited by `model` at twice its size (up to the model's largest, its
        shape kept; `measure` reads its width and height), with high input fidelity and a prompt
        that asks for the same picture in finer detail. Its row continues the result's (`parent_id`)."""
        record = self._begin(interaction, "upscale", model, quality=quality, prompt=UPSCALE_PROMPT, parent_id=parent_id)
        spec = self._catalog.resolve(model)
        check(spec.upscale_problem())
        check_looks(spec, quality, None, None)
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)  # reading the image may take a while
        size = spec.upscale_size(*await measure(image))
        if size is None:
            raise InvalidRequest(_("This image is already the largest `{model}` makes.", model=spec.name))
        record.size = size
        params = EditParams(
            model=spec.name,
            n=1,
            size=size,
            quality=quality,
            prompt=UPSCALE_PROMPT,
            image=image,
            input_fidelity="high" if spec.input_fidelity else None,
            spoiler=spoiler,
        )
        await self._accept(interaction, record, spec, params)

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
        quality: str | None = None,
        complexity: str | None = None,
        background: str | None = None,
        markup: SourceImage | None = None,
        format: str = "image",
        frames: int | None = None,
        frame_ms: int | None = None,
    ) -> None:
        """`area`: cells of a 3x3 grid (0 top left … 8 bottom right) to change, when there is no
        `mask`; none, or all nine, is the whole image. `markup`: notes drawn on a transparent
        overlay of the image, for a model that takes it, never with a mask or an area."""
        references = references or []
        area = sorted(set(area or [])) if mask is None else []
        if len(area) == GRID_CELLS:
            area = []
        record = self._begin(interaction, command, model, size=size, quality=quality, n=n, prompt=prompt)
        spec = self._catalog.resolve(model)
        masked = mask is not None or bool(area)
        check(spec.edit_problem(1 + len(references), masked=masked, markup=markup is not None))
        check_prompt_and_size(spec, prompt, size)
        check_looks(spec, quality, complexity, background)
        check_format(spec, format, frames, frame_ms, edit=True, masked=masked)
        params = EditParams(
            model=spec.name,
            n=n,
            size=size,
            quality=quality,
            complexity=complexity,
            background=background,
            format=as_format(format),
            frames=frames,
            frame_ms=frame_ms,
            prompt=prompt,
            fit=as_fit(fit),
            image=image,
            mask=mask,
            area=tuple(area),
            references=tuple(references),
            markup=markup,
        )
        await self._accept(interaction, record, spec, params)

    def takes_markup(self) -> bool:
        """Whether an edit with no model named (the Edit form's) may carry markup."""
        return self._catalog.get(self._catalog.default).markup_problem() is None

    async def blend(
        self,
        interaction: discord.Interaction,
        *,
        images: list[SourceImage],
        words: str | None,
        model: str | None = None,
        size: str | None = None,
    ) -> None:
        """Two to five `images` made into one picture: an edit with all of them as inputs (none's
        transparency taken as a mask), its prompt asking for one picture of them, plus `words`."""
        prompt = blend_prompt(len(images), words)
        record = self._begin(interaction, "blend", model, size=size, prompt=prompt)
        fewest, most = BLEND_IMAGES
        if not fewest <= len(images) <= most:
            raise InvalidRequest(_("Blend takes {fewest} to {most} images.", fewest=fewest, most=most))
        spec = self._catalog.resolve(model)
        check(spec.edit_problem(len(images)))
        check_prompt_and_size(spec, prompt, size)
        params = EditParams(
            model=spec.name,
            n=1,
            size=size,
            prompt=prompt,
            image=images[0],
            references=tuple(images[1:]),
            alpha_as_mask=False,
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
        check(spec.variation_problem())
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
        check(spec.reframe_problem())
        check(spec.prompt_problem(prompt))
        params = OutpaintParams(model=spec.name, n=1, prompt=prompt, image=image, extend=extend, spoiler=spoiler)
        await self._accept(interaction, record, spec, params, style=style)
