"""Production: a job's inputs fetched and prepared in worker threads, then the provider call."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest
from bot.flow.job_params import EditParams, GenerateParams, OutpaintParams, RunningJob, VaryParams
from bot.flow.sources import InputSource, SavedReference, SourceImage
from bot.i18n import _
from bot.images import GeneratedImage, ImagesClient, ImagesResult, InputImage, ModelSpec, StreamEvent
from bot.images.bodies import PictureOptions
from bot.images.formats import OutputChoice, OutputFormat, output_format
from bot.imaging import EncodedImage, ImageDataError, PreparedEdit, fit_to_limit, is_svg, outpaint_canvas, prepare_edit
from bot.svg import clean_svg, render_svg
from bot.threads import BoundedThreads

VARIATION_PROMPT = (
    "Make a variation of this image: keep its subject, composition, palette and style, and vary the details."
)
OnPreview = Callable[[bytes, int], Awaitable[None]]
Screen = Callable[[str | None, list[bytes]], Awaitable[None]]  # raises to stop the job before the paid call
ReadSaved = Callable[[SavedReference], Awaitable[bytes]]  # a saved reference's image, from the database


def provider_user_id(user_id: int) -> str:
    """A stable pseudonymous id for the provider's abuse monitoring; never the Discord id."""
    return "discord-" + hashlib.sha256(str(user_id).encode()).hexdigest()[:24]


class Production:
    def __init__(
        self,
        *,
        downloads: AttachmentDownloader,
        threads: BoundedThreads,
        output_format: OutputChoice,
        output_compression: int,
        read_saved: ReadSaved,
    ) -> None:
        """`output_format` and `output_compression`: what GPT image models are asked to make (see
        bot/images/formats.py); `auto` fits the size to where the result goes. `read_saved` reads
        a saved reference's image when a job that names it runs."""
        self._downloads = downloads
        self._read_saved = read_saved
        self._threads = threads
        self._output_format: OutputChoice = output_format
        self._output_compression = output_compression

    def _output(
        self,
        spec: ModelSpec,
        size: str | None,
        limit: int,
        background: str | None = None,
        chosen: GenerateParams | EditParams | None = None,
    ) -> OutputFormat | None:
        """The format to ask for a result of `size` that goes where files of `limit` bytes are taken:
        the GIF or SVG the member `chosen`, else the image format that fits."""
        if chosen is not None and chosen.format != "image":
            return OutputFormat(chosen.format, frames=chosen.frames, frame_ms=chosen.frame_ms)
        return output_format(
            spec,
            size,
            limit,
            choice=self._output_format,
            compression=self._output_compression,
            transparent=background == "transparent",
        )

    def _picture_options(
        self, params: GenerateParams | EditParams, spec: ModelSpec, user: str, limit: int
    ) -> PictureOptions:
        """What the job asks of its pictures (`limit`: the bytes a file may be where they go)."""
        return PictureOptions(
            size=params.size,
            quality=params.quality,
            complexity=params.complexity,
            background=params.background,
            user=user,
            output=self._output(spec, params.size, limit, params.background, params),
        )

    async def produce(
        self, running: RunningJob, images: ImagesClient, on_preview: OnPreview, screen: Screen
    ) -> ImagesResult:
        """Make the job's images with `images` (the paying account's client). The final prompt
        and the prepared input images go to `screen` first, before any paid call. A single GPT
        generation is streamed; each partial image goes to `on_preview(image, number)` as it arrives."""
        job, params, spec = running.job, running.params, running.spec
        user, limit = provider_user_id(job.user_id), job.attachment_limit
        if isinstance(params, GenerateParams):
            await screen(params.prompt, [])
            options = self._picture_options(params, spec, user, limit)
            moderation = params.moderation
            if params.n == 1 and spec.streaming and params.format == "image":  # a GIF or SVG comes whole
                events = images.stream_generate(params.prompt, model=spec, moderation=moderation, **options)
                return await self._stream(events, on_preview)
            return await images.generate(params.prompt, model=spec, n=params.n, moderation=moderation, **options)
        if isinstance(params, VaryParams):
            return await self._vary(images, params, spec, user, screen, limit)
        if isinstance(params, OutpaintParams):
            return await self._outpaint(images, params, spec, user, screen, limit)
        return await self._edit(images, params, spec, user, screen, limit)

    async def preview(self, image: bytes, limit: int) -> EncodedImage:
        """A partial image fitted to `limit` bytes, to show in the member's status."""
        return await self._threads.run(fit_to_limit, image, limit)

    async def drawings_cleaned(self, result: ImagesResult) -> ImagesResult:
        """The result with each SVG drawing made safe (bot/svg.py) before it is screened, held or
        posted; raises ImageDataError when one can't be."""

        async def cleaned(image: GeneratedImage) -> GeneratedImage:
            if not is_svg(image.data):
                return image
            return dataclasses.replace(image, data=await self._threads.run(clean_svg, image.data))

        images = await asyncio.gather(*(cleaned(image) for image in result.images))
        return dataclasses.replace(result, images=list(images))

    async def pictures(self, result: ImagesResult) -> list[bytes]:
        """The result's images as pictures for screening: an SVG drawing as its rendering."""

        async def picture(data: bytes) -> bytes:
            return await self._threads.run(render_svg, data) if is_svg(data) else data

        return list(await asyncio.gather(*(picture(image.data) for image in result.images)))

    async def _stream(self, events: AsyncIterator[StreamEvent], on_preview: OnPreview) -> ImagesResult:
        """The completed image of a stream, each partial image before it to `on_preview`."""
        async for event in events:
            if event.completed:
                return ImagesResult(images=[GeneratedImage(event.image)], usage=event.usage)
            await on_preview(event.image, (event.partial_index or 0) + 1)
        raise AssertionError("stream_generate ends with a completed event")

    async def _vary(
        self, images: ImagesClient, params: VaryParams, spec: ModelSpec, user: str, screen: Screen, limit: int
    ) -> ImagesResult:
        prepared = await self._fetch_prepared(params.image, None, spec, params.fit, use_own_alpha=False)
        await screen(None, [prepared.image.data])
        image = InputImage(prepared.image.data)
        if spec.variations:
            return await images.create_variation(image, model=spec, n=params.n, user=user)
        return await images.edit(
            [image],
            VARIATION_PROMPT,
            model=spec,
            n=params.n,
            input_fidelity="high",
            user=user,
            output=self._output(spec, None, limit),
        )

    async def _edit(
        self, images: ImagesClient, params: EditParams, spec: ModelSpec, user: str, screen: Screen, limit: int
    ) -> ImagesResult:
        prepared = await self._fetch_prepared(
            params.image,
            params.mask,
            spec,
            params.fit,
            use_own_alpha=params.alpha_as_mask,
            area=params.area,
            mask_data=params.mask_png,
            markup=params.markup,
            markup_data=params.markup_png,
        )
        inputs = [InputImage(prepared.image.data)]
        for reference in params.references:
            extra = await self._fetch_prepared(reference, None, spec, params.fit, use_own_alpha=False)
            inputs.append(InputImage(extra.image.data, filename=f"reference-{len(inputs)}.png"))
        mask = InputImage(prepared.mask, filename="mask.png") if prepared.mask else None
        markup = InputImage(prepared.markup, filename="markup.png") if prepared.markup else None
        await screen(params.prompt, [image.data for image in inputs] + ([markup.data] if markup else []))
        return await images.edit(
            inputs,
            params.prompt,
            model=spec,
            mask=mask,
            n=params.n,
            input_fidelity=params.input_fidelity,
            markup=markup,
            **self._picture_options(params, spec, user, limit),
        )

    async def _outpaint(
        self, images: ImagesClient, params: OutpaintParams, spec: ModelSpec, user: str, screen: Screen, limit: int
    ) -> ImagesResult:
        source = params.image
        data = await self._downloads.fetch(source.url, declared_size=source.size)
        await screen(params.prompt, [data])
        try:
            canvas = await self._threads.run(outpaint_canvas, data, params.extend, spec.canvas_size)
        except ImageDataError as exc:
            raise InvalidRequest(_("That image can't be used: {reason}.", reason=exc.reason)) from None
        return await images.edit(
            [InputImage(canvas.image)],
            params.prompt,
            model=spec,
            mask=InputImage(canvas.mask, filename="mask.png"),
            size=canvas.size,
            user=user,
            output=self._output(spec, canvas.size, limit),
        )

    async def _fetch_prepared(
        self,
        source: InputSource,
        mask: SourceImage | None,
        spec: ModelSpec,
        fit: str,
        *,
        use_own_alpha: bool,
        area: Sequence[int] = (),
        mask_data: bytes | None = None,
        markup: SourceImage | None = None,
        markup_data: bytes | None = None,
    ) -> PreparedEdit:
        """`mask_data`, `markup_data`: a mask or markup at hand (drawn on the page), instead of one
        to fetch."""
        if isinstance(source, SavedReference):
            data = await self._read_saved(source)
        else:
            data = await self._downloads.fetch(source.url, declared_size=source.size)
        if mask is not None:
            mask_data = await self._downloads.fetch(mask.url, declared_size=mask.size, what=_("mask"))
        if markup is not None:
            markup_data = await self._downloads.fetch(markup.url, declared_size=markup.size, what=_("markup"))
        try:
            return await self._threads.run(
                prepare_edit,
                data,
                mask_data,
                square_png=spec.square_inputs,
                max_bytes=spec.max_input_mb * 1024 * 1024,
                fit=fit,
                use_own_alpha=use_own_alpha,
                area=area,
                markup=markup_data,
            )
        except ImageDataError as exc:
            raise InvalidRequest(_("That image can't be used: {reason}.", reason=exc.reason)) from None
