"""The bot's one error path for commands, menus, buttons and forms.

`ErrorReporter.on_tree_error` is the command tree's error handler; buttons and forms send their
failures to `report` themselves, since discord.py only logs errors raised there. Both record
the failure through the request flow's `Failures` and tell the member privately.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import discord
from discord import app_commands

from bot.billing.usage import command_name, record_for
from bot.db.models import UsageRecord
from bot.errors import CannotAnswer
from bot.flow.answers import REFUSAL_SECONDS, answer_message
from bot.flow.failures import Failures, describe_failure
from bot.flow.locales import Locales

log = logging.getLogger(__name__)


class ErrorReporter:
    def __init__(self, failures: Failures, locales: Locales) -> None:
        self._failures = failures
        self._locales = locales

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await self.report(interaction, original)

    async def report(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Tell the member, privately, then record the failure: the answer waits on no commit
        (Discord gives three seconds)."""
        what = f"/{command_name(interaction)} for user {interaction.user.id}"
        message = describe_failure(error).message
        await send_ephemeral_error(interaction, message.render(await self._locales.for_interaction(interaction)))
        await self._failures.record(record_for(interaction), error, what=what)

    async def report_message(self, message: discord.Message, record: UsageRecord, error: BaseException) -> None:
        """A message's request that failed before it was queued: a short reply that mentions only
        its author and goes in a minute, then the row finished. Where the bot may not reply, the
        log says which permission it lacks."""
        failure = describe_failure(error)
        text = failure.message.render(self._locales.for_message(message))
        try:
            if not isinstance(error, CannotAnswer):  # else neither the channel nor the member's DMs take a message
                await answer_message(
                    message,
                    lambda: message.reply(
                        text,
                        mention_author=True,
                        delete_after=REFUSAL_SECONDS,
                        allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[message.author]),
                    ),
                    lambda _missing: [text],
                )
        except CannotAnswer:
            pass  # the log says why
        except discord.HTTPException:
            log.exception("could not answer message %s of user %s", message.id, message.author.id)
        await self._failures.record(record, error, what=f"a reply from user {message.author.id}")

    async def guarded(self, interaction: discord.Interaction, work: Awaitable[Any]) -> None:
        """Run a button's or form's work; send any failure down the one error path."""
        try:
            await work
        except Exception as exc:
            await self.report(interaction, exc)


async def send_ephemeral_error(interaction: discord.Interaction, message: str) -> None:
    """Tell the member privately, replacing a public "thinking..." response if there is one."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
            return
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.warning("could not delete the deferred response of interaction %s", interaction.id)
        await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException:
        log.exception("could not tell user %s about a failure of interaction %s", interaction.user.id, interaction.id)
