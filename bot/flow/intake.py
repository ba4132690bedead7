"""Intake: a request from a command, a menu, a form or a button, checked and accepted as a job.

Each request gets a usage row at once (the error path finishes it whatever happens), the
model's rules are checked before anything is sent, "thinking..." is shown within Discord's
3 seconds, and then one unit of work applies the guild's policy (reserving images and budget)
and queues the job.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy, Requester
from bot.billing.usage import UsageLog, guild_scope, reachable_channel, start_record
from bot.db.models import Job, JobState, UsageRecord
from bot.db.policy import get_settings
from bot.errors import InvalidRequest
from bot.flow.catalog import ModelCatalog
from bot.flow.locales import Locales
from bot.flow.sources import SourceImage
from bot.flow.styles import Styles
from bot.i18n import Text, _
from bot.images import ModelSpec
from bot.jobs.runner import Runner

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
REFRAME_PROMPT = "Extend this image outward, continuing its scene, style and lighting seamlessly."


def _check(problem: Text | None) -> None:
    if problem:
        raise InvalidRequest(problem)


class Intake:
    def __init__(
        self,
        *,
        catalog: ModelCatalog,
        policy: Policy,
        sessions: async_sessionmaker[AsyncSession],
        usage: UsageLog,
        locales: Locales,
        runner: Runner,
        styles: Styles,
    ) -> None:
        self._catalog = catalog
        self._styles = styles
        self._policy = policy
        self._sessions = sessions
        self._usage = usage
        self._locales = locales
        self._runner = runner

    def _begin(
        self, interaction: discord.Interaction, command: str, model: str | None, **fields: object
    ) -> UsageRecord:
        """The request's usage row, in memory until the deferral is sent (the error path saves it)."""
        if not self._runner.accepting:
            raise InvalidRequest(_("The bot is restarting. Please try again in a minute."))
        return start_record(interaction, command=command, model=model or self._catalog.default, **fields)

    async def _accept(
        self,
        interaction: discord.Interaction,
        record: UsageRecord,
        spec: ModelSpec,
        kind: str,
        params: dict[str, Any],
        *,
        size: str | None,
        quality: str | None,
        n: int,
        style: str | None = None,
    ) -> None:
        """Show "thinking..." first (its callback's answer gives the message's id), save the row,
        set the prompt in its `style`, then admit and queue the job in one unit of work, whose
        guild settings also give the member's language (admit finds them in the session)."""
        message_id = None
        if not interaction.response.is_done():
            response = await interaction.response.defer(thinking=True)
            message_id = getattr(response, "message_id", None)
        await self._usage.save(record)
        if message_id is None:
            message_id = (await interaction.original_response()).id
        if style is not None:
            params["prompt"] = await self._styles.apply(guild_scope(interaction), style, params["prompt"])
            _check(spec.prompt_problem(params["prompt"]))
        async with self._sessions() as session:
            guild_id = guild_scope(interaction)
            settings = await get_settings(session, guild_id) if guild_id is not None else None
            locale = await self._locales.for_interaction(interaction, settings)
            params["size"] = await self._policy.admit(
                session, Requester.from_interaction(interaction), record, spec, size, quality, n
            )
            params["spoiler"] = bool(params.get("spoiler")) or bool(settings is not None and settings.spoiler_always)
            job = Job(
                usage_id=record.id,
                kind=kind,
                state=JobState.QUEUED,
                guild_id=guild_id,
                channel_id=reachable_channel(interaction),
                user_id=interaction.user.id,
                locale=locale,
                params={**params, "model": spec.name, "n": n},
                application_id=interaction.application_id,
                interaction_token=interaction.token,
                message_id=message_id,
                attachment_limit=interaction.filesize_limit,
                interaction_at=interaction.created_at,
            )
            session.add_all([record, job])
            await session.commit()
        self._runner.submit(job)

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
        _check(spec.prompt_problem(prompt))
        _check(spec.size_problem(size) if size else None)
        _check(spec.quality_problem(quality) if quality else None)
        await self._accept(
            interaction,
            record,
            spec,
            "generate",
            {"prompt": prompt, "quality": quality, "spoiler": spoiler},
            size=size,
            quality=quality,
            n=n,
            style=style,
        )

    async def edit(
        self,
        interaction: discord.Interaction,
        *,
        command: str,
        image: SourceImage,
        prompt: str,
        mask: SourceImage | None = None,
        references: list[SourceImage] | None = None,
        model: str | None = None,
        size: str | None = None,
        n: int = 1,
        fit: str = "crop",
    ) -> None:
        references = references or []
        record = self._begin(interaction, command, model, size=size, n=n, prompt=prompt)
        spec = self._catalog.resolve(model)
        if not spec.edits:
            raise InvalidRequest(_("`{model}` can't edit images. Pick a GPT image model.", model=spec.name))
        if mask is not None and not spec.masks:
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
        _check(spec.prompt_problem(prompt))
        _check(spec.size_problem(size) if size else None)
        params = {
            "prompt": prompt,
            "fit": fit,
            "image": asdict(image),
            "mask": asdict(mask) if mask else None,
            "references": [asdict(reference) for reference in references],
        }
        await self._accept(interaction, record, spec, "edit", params, size=size, quality=None, n=n)

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
        await self._accept(
            interaction, record, spec, "vary", {"fit": fit, "image": asdict(image)}, size=None, quality=None, n=n
        )

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
        _check(spec.prompt_problem(prompt))
        params = {"prompt": prompt, "image": asdict(image), "extend": list(extend), "spoiler": spoiler}
        await self._accept(interaction, record, spec, "outpaint", params, size=None, quality=None, n=1, style=style)
