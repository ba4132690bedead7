"""Intake: a request from a command, a menu, a form or a button, checked and accepted as a job.

Each request gets a usage row at once (the error path finishes it whatever happens), the
model's rules are checked before anything is sent, "thinking..." is shown within Discord's
3 seconds, and then one unit of work applies the guild's policy (reserving images and budget)
and queues the job.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import Policy, Requester
from bot.billing.usage import UsageLog, guild_scope, reachable_channel, start_record
from bot.clock import utcnow
from bot.db.models import GuildSettings, Job, JobOrigin, JobState, PaintTicket, UsageRecord, UsageStatus
from bot.db.policy import get_settings
from bot.db.usage import usage_id_of_message
from bot.errors import CannotAnswer, InvalidRequest
from bot.flow.catalog import ModelCatalog
from bot.flow.conversation import Ask
from bot.flow.failures import Failures
from bot.flow.locales import Locales
from bot.flow.replies import missing_permissions
from bot.flow.sources import SourceImage
from bot.flow.status import Openings
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
GRID_CELLS = 9
DM_UPLOAD_LIMIT = 10 * 1024 * 1024  # what Discord takes in a DM without Nitro
log = logging.getLogger(__name__)
REFRAME_PROMPT = "Extend this image outward, continuing its scene, style and lighting seamlessly."


def paint_record(ticket: PaintTicket, model: str, prompt: str) -> UsageRecord:
    """The usage row of an edit sent from the painting page."""
    return UsageRecord(
        guild_id=ticket.guild_id,
        channel_id=ticket.channel_id,
        user_id=ticket.user_id,
        command="edit",
        model=model,
        n=1,
        prompt=prompt,
        status=UsageStatus.PENDING,
        image_count=0,
        via="paint",
        created_at=utcnow(),
    )


def age_restricted(channel: object) -> bool:
    """Whether a channel is age-restricted (`nsfw`); a thread is as its parent is. Never a DM."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) and getattr(channel, "guild", None) is not None else False


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
        openings: Openings,
        failures: Failures,
    ) -> None:
        """`openings` paces the first answer to a member's message with the status sender's budget."""
        self._catalog = catalog
        self._styles = styles
        self._policy = policy
        self._sessions = sessions
        self._usage = usage
        self._locales = locales
        self._runner = runner
        self._openings = openings
        self._failures = failures

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
        if message_id is None:
            message_id = (await interaction.original_response()).id
        record.message_id = message_id  # the reply becomes the result: a reply to it finds this row
        await self._usage.save(record)
        if style is not None:
            params["prompt"] = await self._styles.apply(guild_scope(interaction), style, params["prompt"])
            _check(spec.prompt_problem(params["prompt"]))
        guild_id = guild_scope(interaction)
        await self._enqueue(
            record,
            spec,
            kind,
            params,
            size=size,
            quality=quality,
            n=n,
            requester=Requester.from_interaction(interaction),
            locale_of=lambda settings: self._locales.for_interaction(interaction, settings),
            job=Job(
                guild_id=guild_id,
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

    async def _enqueue(
        self,
        record: UsageRecord,
        spec: ModelSpec,
        kind: str,
        params: dict[str, Any],
        *,
        size: str | None,
        quality: str | None,
        n: int,
        requester: Requester,
        locale_of: Callable[[GuildSettings | None], Awaitable[str]],
        job: Job,
        age_restricted: bool,
    ) -> None:
        """Admit the request and queue `job` (where it came from filled in) in one unit of work,
        whose guild settings also give the member's language (admit finds them in the session)
        and the provider's moderation level: `low` only where the guild chose it and the channel
        is age-restricted."""
        async with self._sessions() as session:
            settings = await get_settings(session, job.guild_id) if job.guild_id is not None else None
            job.locale = await locale_of(settings)
            low = age_restricted and settings is not None and settings.moderation_level == "low"
            params["moderation"] = "low" if low else "auto"
            params["size"] = await self._policy.admit(
                session, requester, record, spec, size, quality, n, prompt=params.get("prompt")
            )
            params["spoiler"] = bool(params.get("spoiler")) or bool(settings is not None and settings.spoiler_always)
            job.usage_id, job.kind, job.state = record.id, kind, JobState.QUEUED
            job.params = {**params, "model": spec.name, "n": n}
            session.add_all([record, job])
            await session.commit()
        self._runner.submit(job)

    async def reply(self, message: discord.Message, record: UsageRecord, ask: Ask, *, application_id: int) -> None:
        """A message's request of an image (`ask`): an edit with its words, or a variation without
        any, answered in the channel by one message that replies to the member's, shows the
        status, then becomes the result. `record` is the row the error path finishes."""
        if not self._runner.accepting:
            raise InvalidRequest(_("The bot is restarting. Please try again in a minute."))
        spec = self._catalog.resolve(None)
        if ask.words:
            if not spec.edits:
                raise InvalidRequest(_("`{model}` can't edit images. Pick a GPT image model.", model=spec.name))
            _check(spec.prompt_problem(ask.words))
            kind, params = "edit", {"prompt": ask.words, "fit": "crop", "image": asdict(ask.image), "mask": None}
            params["references"] = []
        else:
            if not (spec.variations or spec.edits):
                raise InvalidRequest(_("`{model}` can't make variations. Pick a GPT image model.", model=spec.name))
            kind, params = "vary", {"fit": "crop", "image": asdict(ask.image)}
        record.model = spec.name
        if ask.continues is not None:
            async with self._sessions() as session:
                record.parent_id = await usage_id_of_message(session, ask.continues)
        status = await self._status_message(message)
        record.message_id = status.id  # it becomes the result: a reply to it finds this row at once
        await self._usage.save(record)
        guild_id = message.guild.id if message.guild is not None else None
        roles = getattr(message.author, "roles", [])
        try:
            await self._enqueue(
                record,
                spec,
                kind,
                params,
                size=None,
                quality=None,
                n=1,
                requester=Requester(guild_id, message.channel.id, message.author.id, frozenset(r.id for r in roles)),
                locale_of=self._locales.for_settings,
                job=Job(
                    origin=JobOrigin.MESSAGE,
                    guild_id=guild_id,
                    channel_id=status.channel.id,
                    user_id=message.author.id,
                    application_id=application_id,
                    interaction_token=None,
                    message_id=status.id,
                    attachment_limit=status.guild.filesize_limit if status.guild is not None else DM_UPLOAD_LIMIT,
                    interaction_at=message.created_at,
                ),
                age_restricted=age_restricted(message.channel) and status.guild is not None,
            )
        except Exception:
            record.message_id = None
            with contextlib.suppress(discord.HTTPException):
                await status.delete()  # refused after all: the error path answers in its place
            raise

    async def _status_message(self, message: discord.Message) -> discord.Message:
        """The bot's message that shows the job's status and then becomes its result: a reply to
        the member's message, or, where the bot lacks a permission to answer in the channel, a
        message in the member's DMs after one that says which (the log names it too)."""
        locale = self._locales.for_message(message)
        queued = _("⏳ In the queue…").render(locale)
        missing = missing_permissions(message.channel)
        if not missing:
            return await self._openings.paced(
                lambda: message.reply(queued, mention_author=False, allowed_mentions=discord.AllowedMentions.none())
            )
        names = ", ".join(missing)
        log.warning(
            "cannot answer user %s in channel %s: the bot lacks %s there; answering in DMs",
            message.author.id,
            message.channel.id,
            names,
        )
        why = _(
            "I can't answer you in <#{channel}>: I lack the {permissions} permission there, so I'll answer here. "
            "A server moderator can grant it.",
            channel=message.channel.id,
            permissions=names,
        )
        try:
            dm = await message.author.create_dm()
            await dm.send(why.render(locale), allowed_mentions=discord.AllowedMentions.none())
            return await dm.send(queued, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning(
                "user %s does not take DMs either; their reply in channel %s goes unanswered",
                message.author.id,
                message.channel.id,
            )
            raise CannotAnswer(missing) from None

    async def painted(self, ticket: PaintTicket, prompt: str, mask: bytes) -> Text | None:
        """An edit sent from the painting page: `mask` (a PNG, transparent where the member
        painted) over the ticket's image. Its answer is a follow-up through the interaction that
        offered the link, or, once that is gone, a channel message. Returns None once queued, or
        what the page tells the member (the row is finished either way)."""
        spec = self._catalog.resolve(None)
        record = paint_record(ticket, spec.name, prompt)
        await self._usage.save(record)
        try:
            if not self._runner.accepting:
                raise InvalidRequest(_("The bot is restarting. Please try again in a minute."))
            if not (spec.edits and spec.masks):
                raise InvalidRequest(_("`{model}` doesn't take masks. Pick a GPT image model.", model=spec.name))
            _check(spec.prompt_problem(prompt))
            params = {
                "prompt": prompt,
                "fit": "crop",
                "image": ticket.source,
                "mask": None,
                "mask_png": base64.b64encode(mask).decode("ascii"),
                "references": [],
            }

            async def locale_of(_settings: GuildSettings | None) -> str:
                return ticket.locale

            await self._enqueue(
                record,
                spec,
                "edit",
                params,
                size=None,
                quality=None,
                n=1,
                requester=Requester(ticket.guild_id, ticket.channel_id or 0, ticket.user_id, frozenset(ticket.roles)),
                locale_of=locale_of,
                job=Job(
                    guild_id=ticket.guild_id,
                    channel_id=ticket.channel_id,
                    user_id=ticket.user_id,
                    application_id=ticket.application_id,
                    interaction_token=ticket.interaction_token,
                    message_id=None,
                    attachment_limit=ticket.attachment_limit,
                    interaction_at=ticket.interaction_at,
                ),
                age_restricted=False,
            )
        except Exception as exc:
            failure = await self._failures.record(record, exc, what=f"a painted edit for user {ticket.user_id}")
            return failure.message
        return None

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
        _check(spec.prompt_problem(prompt))
        _check(spec.size_problem(size) if size else None)
        params = {
            "prompt": prompt,
            "fit": fit,
            "image": asdict(image),
            "mask": asdict(mask) if mask else None,
            "references": [asdict(reference) for reference in references],
        }
        if area:
            params["area"] = area
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
