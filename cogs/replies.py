"""Replies to images: a member replies to an image, or mentions the bot with one, in plain words."""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord.ext import commands

from bot.billing.usage import start_message_record
from bot.errors import InvalidRequest
from bot.flow.conversation import Conversation
from bot.flow.message_intake import MessageIntake
from bot.i18n import _
from bot.surface.errors import ErrorReporter


class Replies(commands.Cog):
    def __init__(
        self,
        conversation: Conversation,
        intake: MessageIntake,
        errors: ErrorReporter,
        application_id: Callable[[], int | None],
    ) -> None:
        self.conversation, self.intake, self.errors = conversation, intake, errors
        self.application_id = application_id

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self.conversation.addressed(message):
            return  # not for the bot: no REST call, no row
        record = start_message_record(message)
        try:
            ask = self.conversation.read(message, await self._target(message))
            record.prompt = ask.words or None
            await self.intake.reply(message, record, ask, application_id=self.application_id() or 0)
        except Exception as exc:
            await self.errors.report_message(message, record, exc)

    @staticmethod
    async def _target(message: discord.Message) -> discord.Message | None:
        """The message this one replies to: from the event, or read once when Discord left it out."""
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        if isinstance(reference.resolved, discord.Message):
            return reference.resolved
        if isinstance(reference.resolved, discord.DeletedReferencedMessage):
            raise InvalidRequest(_("The message you replied to was deleted."))
        try:
            return await message.channel.fetch_message(reference.message_id)
        except discord.NotFound:
            raise InvalidRequest(_("The message you replied to was deleted.")) from None
