"""A request's usage row, built as the request goes, and saved as one unit of work."""

from __future__ import annotations

import logging

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import aware, utcnow
from bot.db.models import UsageRecord, UsageStatus
from bot.images import ImagesResult, TokenUsage
from bot.logs import redact

log = logging.getLogger(__name__)

USAGE_KEY = "imagebot.usage"


def guild_scope(interaction: discord.Interaction) -> int | None:
    """The guild whose policy and log a request belongs to: the guild, when it added the bot;
    None in DMs and in servers where only the member installed the app (personal use)."""
    return interaction.guild_id if interaction.is_guild_integration() else None


def reachable_channel(interaction: discord.Interaction) -> int | None:
    """The channel the bot may post in when the interaction has expired: the guild's channel, or
    the member's DM with the bot; None where it is not a member (a group DM, a server that did not
    add it)."""
    if guild_scope(interaction) is not None:
        return interaction.channel_id
    context = interaction.context
    return interaction.channel_id if context.dm_channel and not context.private_channel else None


def start_record(interaction: discord.Interaction, *, command: str, **fields: object) -> UsageRecord:
    """Create the request's row and attach it to the interaction for the error path."""
    values: dict[str, object] = {"n": 1, **fields}
    record = UsageRecord(
        guild_id=guild_scope(interaction),
        channel_id=interaction.channel_id,
        user_id=interaction.user.id,
        interaction_id=interaction.id,
        command=command,
        status=UsageStatus.PENDING,
        image_count=0,
        created_at=utcnow(),
        **values,
    )
    interaction.extras[USAGE_KEY] = record
    return record


def start_message_record(message: discord.Message) -> UsageRecord:
    """The row of a message's request (a reply to an image); the error path finishes it."""
    return UsageRecord(
        guild_id=message.guild.id if message.guild is not None else None,
        channel_id=message.channel.id,
        user_id=message.author.id,
        command="reply",
        via="reply",
        status=UsageStatus.PENDING,
        n=1,
        image_count=0,
        created_at=utcnow(),
    )


def command_name(interaction: discord.Interaction) -> str:
    """The command, context menu or button an interaction came from, for the usage log."""
    if interaction.command is not None:
        return interaction.command.qualified_name.lower().replace(" image", "")
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    parts = custom_id.split(":")
    return parts[1] if len(parts) > 1 else "unknown"


def record_for(interaction: discord.Interaction) -> UsageRecord:
    """The interaction's row, or a new one for failures raised before the request began."""
    record = interaction.extras.get(USAGE_KEY)
    if record is None:
        record = start_record(interaction, command=command_name(interaction))
    return record


def _finish(record: UsageRecord) -> None:
    record.completed_at = now = utcnow()
    record.latency_ms = max(0, int((now - aware(record.created_at)).total_seconds() * 1000))


def finish_ok(record: UsageRecord, result: ImagesResult) -> None:
    record.status = UsageStatus.PARTIAL if result.failures else UsageStatus.OK
    record.image_count = len(result.images)
    record.revised_prompt = next((image.revised_prompt for image in result.images if image.revised_prompt), None)
    if result.usage is not None:
        record.input_tokens = result.usage.input_tokens
        record.output_tokens = result.usage.output_tokens
        record.total_tokens = result.usage.total_tokens
    if result.failures:
        record.error_code = result.failures[0].kind
        record.error_detail = redact(str(result.failures[0]))[:500]
    _finish(record)


def finish_failed(record: UsageRecord, *, status: str, code: str, detail: str | None) -> None:
    record.status = status
    record.error_code = code
    record.error_detail = redact(detail)[:500] if detail else None
    _finish(record)


class UsageLog:
    """Saves usage rows, each in a unit of work of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(self, record: UsageRecord) -> None:
        """Insert or update a row. A database failure is logged with the row, never raised."""
        try:
            async with self._sessions() as session:
                session.add(record)
                await session.commit()
        except Exception:
            log_unwritten(log, record, "could not write usage row")


def log_unwritten(logger: logging.Logger, record: UsageRecord, what: str) -> None:
    """Log to `logger`, with the exception being handled, `what` went wrong writing `record`, and
    the row's guild, member, command, status and code (never its prompt)."""
    logger.exception(
        "%s: guild=%s user=%s command=%s status=%s code=%s",
        what,
        record.guild_id,
        record.user_id,
        record.command,
        record.status,
        record.error_code,
    )


def finish_described(record: UsageRecord, usage: TokenUsage | None) -> None:
    """A description's row: done, with the tokens its answer reports (it makes no image)."""
    record.status = UsageStatus.OK
    if usage is not None:
        record.input_tokens, record.output_tokens, record.total_tokens = (
            usage.input_tokens,
            usage.output_tokens,
            usage.total_tokens,
        )
    _finish(record)
