"""Delivery: an Images API result made into the member's reply, attachments that fit and the
text, and the row settled at the real cost in the same unit of work."""

from __future__ import annotations

import asyncio
import io
import logging

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import BudgetAlert, Policy
from bot.billing.usage import finish_ok
from bot.db.models import Job, UsageRecord
from bot.flow.locales import Locales
from bot.flow.replies import MemberReplies
from bot.i18n import _
from bot.images import ImagesResult, ModelSpec
from bot.imaging import fit_to_limit
from bot.threads import BoundedThreads

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
_PROMPT_SHARE = 900


def quote(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return discord.utils.escape_markdown(text)


def render_result(
    result: ImagesResult, *, prompt: str | None, model: ModelSpec, dimensions: str, requested: int, locale: str
) -> str:
    """The reply's text: the prompt shown back, the revised prompt, and what was made."""
    lines = []
    if prompt:
        lines.append(_("**Prompt:** {prompt}", prompt=quote(prompt, _PROMPT_SHARE)).render(locale))
    revised = next((image.revised_prompt for image in result.images if image.revised_prompt), None)
    if revised and revised.strip() != (prompt or "").strip():
        lines.append(_("**Revised prompt:** {prompt}", prompt=quote(revised, _PROMPT_SHARE)).render(locale))
    count = len(result.images)
    made = _("{count} image", count=count) if count == 1 else _("{count} images", count=count)
    lines.append(f"-# {model.name} · {dimensions} · {made.render(locale)}")
    if result.failures:
        missing = _(
            "{missing} of {requested} images could not be made ({reason}); run the command again for more.",
            missing=requested - count,
            requested=requested,
            reason=result.failures[0].kind.replace("_", " "),
        )
        lines.append("-# " + missing.render(locale))
    return "\n".join(lines)[:MESSAGE_LIMIT]


async def prepare_files(
    threads: BoundedThreads, result: ImagesResult, *, size_limit: int, stem: str
) -> tuple[list[discord.File], str]:
    """Re-encode each image, in worker threads, until it fits Discord's attachment limit.

    Returns the files and their dimensions as text ("1024x1024", or "512x512, 1024x1024").
    """
    encoded = await asyncio.gather(*(threads.run(fit_to_limit, image.data, size_limit) for image in result.images))
    files = [
        discord.File(io.BytesIO(image.data), filename=f"{stem}-{index}.{image.extension}")
        for index, image in enumerate(encoded, start=1)
    ]
    dimensions = ", ".join(dict.fromkeys(f"{image.width}x{image.height}" for image in encoded))
    return files, dimensions


class Delivery:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: Policy,
        threads: BoundedThreads,
        replies: MemberReplies,
        locales: Locales,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._threads = threads
        self._replies = replies
        self._locales = locales

    async def deliver(self, job: Job, record: UsageRecord, result: ImagesResult, spec: ModelSpec) -> None:
        """Post the result, then finish and settle the row. Raises discord.HTTPException if Discord refuses."""
        files, dimensions = await prepare_files(
            self._threads, result, size_limit=job.attachment_limit, stem=f"{record.command}-{job.id}"
        )
        content = render_result(
            result,
            prompt=job.params.get("prompt"),
            model=spec,
            dimensions=dimensions,
            requested=job.params["n"],
            locale=job.locale,
        )
        view = self._replies.views.result(record.id, len(files), rerollable=job.kind == "generate", locale=job.locale)
        message = await self._replies.post_result(job, content, files, view)
        record.message_id = message.id
        finish_ok(record, result)
        alert = await self._settle(record, result)
        if alert is not None and record.guild_id is not None:
            await self._replies.post_notice(
                alert.channel_id, alert.render(await self._locales.of_guild(record.guild_id))
            )

    async def _settle(self, record: UsageRecord, result: ImagesResult) -> BudgetAlert | None:
        try:
            async with self._sessions() as session:
                alert = await self._policy.settle(session, record, result)
                session.add(record)
                await session.commit()
                return alert
        except Exception:
            log.exception(
                "could not settle usage row %s: guild=%s user=%s status=%s images=%s",
                record.id,
                record.guild_id,
                record.user_id,
                record.status,
                record.image_count,
            )
            return None
