"""A message's request of an image (a reply to one, or a mention with one), checked and queued.

It is answered in the channel by one message of the bot's own that replies to the member's,
shows the status, then becomes the result; where the bot may not answer there, in the member's
DMs after a line that says why.
"""

from __future__ import annotations

import contextlib
import logging

import discord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.usage import UsageLog
from bot.db.models import UsageRecord
from bot.db.usage import usage_id_of_message
from bot.flow.admission import Admission, check
from bot.flow.answers import answer_message
from bot.flow.catalog import ModelCatalog
from bot.flow.conversation import Ask
from bot.flow.job_params import EditParams, JobParams, VaryParams
from bot.flow.locales import Locales
from bot.flow.origin import Origin, message_requester
from bot.flow.status import Openings
from bot.i18n import _
from bot.images import ModelSpec

log = logging.getLogger(__name__)


def asked(spec: ModelSpec, ask: Ask) -> JobParams:
    """An edit with the message's words, or a variation without any."""
    if ask.words:
        check(spec.edit_problem())
        check(spec.prompt_problem(ask.words))
        return EditParams(model=spec.name, n=1, prompt=ask.words, image=ask.image)
    check(spec.variation_problem())
    return VaryParams(model=spec.name, n=1, image=ask.image)


class MessageIntake:
    def __init__(
        self,
        *,
        catalog: ModelCatalog,
        admission: Admission,
        sessions: async_sessionmaker[AsyncSession],
        usage: UsageLog,
        locales: Locales,
        openings: Openings,
    ) -> None:
        """`openings` paces the first answer to a member's message with the status sender's budget."""
        self._catalog = catalog
        self._admission = admission
        self._sessions = sessions
        self._usage = usage
        self._locales = locales
        self._openings = openings

    async def reply(self, message: discord.Message, record: UsageRecord, ask: Ask, *, application_id: int) -> None:
        """Queue `ask`, the request of `message`; `record` is the row the error path finishes.
        Whatever the request or the guild's policy refuses without reserving (a blocked member, a
        filtered word, another channel, the cooldown) is refused before the status is posted."""
        self._admission.check_accepting()
        spec = self._catalog.resolve(None)
        params = asked(spec, ask)
        record.model = spec.name
        if ask.continues is not None:
            async with self._sessions() as session:
                record.parent_id = await usage_id_of_message(session, ask.continues)
        await self._admission.precheck(record, params, message_requester(message))
        status = await self._status_message(message)
        record.message_id = status.id  # it becomes the result: a reply to it finds this row at once
        await self._usage.save(record)
        try:
            origin = Origin.of_message(message, status=status, application_id=application_id, locales=self._locales)
            await self._admission.enqueue(record, spec, params, origin)
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

        def why(missing: list[str]) -> list[str]:
            text = _(
                "I can't answer you in <#{channel}>: I lack the {permissions} permission there, so I'll answer "
                "here. A server moderator can grant it.",
                channel=message.channel.id,
                permissions=", ".join(missing),
            )
            return [text.render(locale), queued]

        return await answer_message(
            message,
            lambda: self._openings.paced(
                lambda: message.reply(queued, mention_author=False, allowed_mentions=discord.AllowedMentions.none())
            ),
            why,
        )
