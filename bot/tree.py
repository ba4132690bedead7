"""The command tree, and with it the bot's one error path.

Every failure of an application command ends in `ImageBotTree.on_error`: it maps our error
types to a short ephemeral message, records the failure in the usage log, and logs what we
did not expect with its traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.db.models import UsageStatus
from bot.errors import UserFacingError
from bot.i18n import Text, _
from bot.images import errors as images_errors
from bot.imaging import ImageDataError
from bot.logs import redact
from bot.usage import command_name, finish_failed, record_for

if TYPE_CHECKING:
    from bot.app import ImageBot
    from bot.db.models import UsageRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    message: Text
    status: str
    code: str
    expected: bool = True


_PROVIDER_MESSAGES: list[tuple[type[images_errors.ImagesError], Text]] = [
    (images_errors.ContentPolicyError,
     _("The image service's safety system refused this request. Try rephrasing the prompt.")),
    (images_errors.QuotaExceededError,
     _("The bot's image credit has run out. Please let a server moderator know.")),
    (images_errors.RateLimitError,
     _("The image service is busy right now. Please try again in a minute.")),
    (images_errors.APITimeoutError,
     _("The image service took too long to answer. Please try again.")),
    (images_errors.AuthenticationError,
     _("The bot's image service key was rejected. Please let the bot's operator know.")),
    (images_errors.PermissionDeniedError,
     _("The bot's image service account may not use this model. Try another model.")),
    (images_errors.NotFoundError,
     _("The image service does not know this model. Try another model.")),
    (images_errors.InternalServerError,
     _("The image service is having trouble. Please try again shortly.")),
    (images_errors.APIConnectionError,
     _("The image service could not be reached. Please try again shortly.")),
]


def describe_failure(error: BaseException) -> Failure:
    """What the member is told, and what the usage row records, for an error."""
    if isinstance(error, UserFacingError):
        return Failure(error.message, error.status, error.code)
    if isinstance(error, app_commands.MissingPermissions):
        return Failure(_("You need the Manage Server permission for this."), UsageStatus.INVALID,
                       "missing_permission")
    if isinstance(error, ImageDataError):
        return Failure(_("The image could not be used: {reason}.", reason=error.reason), UsageStatus.FAILED,
                       "image_data")
    if isinstance(error, images_errors.ImagesError):
        status = UsageStatus.REFUSED if isinstance(error, images_errors.ContentPolicyError) else UsageStatus.FAILED
        for kind, message in _PROVIDER_MESSAGES:
            if isinstance(error, kind):
                expected = not isinstance(error, (images_errors.AuthenticationError, images_errors.PermissionDeniedError))
                return Failure(message, status, error.kind, expected)
        if isinstance(error, images_errors.BadRequestError):
            detail = discord.utils.escape_markdown(redact(error.message))[:300]
            return Failure(_("The image service could not do that: {detail}", detail=detail), status, error.kind)
        return Failure(_("The image service gave an answer we could not use. Please try again."), status,
                       error.kind, False)
    if isinstance(error, app_commands.NoPrivateMessage):
        return Failure(_("This command only works in a server."), UsageStatus.INVALID, "no_dm")
    if isinstance(error, app_commands.CheckFailure):
        return Failure(_("You can't use this command here."), UsageStatus.INVALID, "check_failed")
    if isinstance(error, app_commands.TransformerError):
        return Failure(_("That value doesn't work: {value}.", value=str(error.value)[:100]), UsageStatus.INVALID,
                       "bad_option")
    if isinstance(error, discord.HTTPException):
        return Failure(_("Discord did not accept the reply. Please try again."), UsageStatus.FAILED,
                       f"discord_{error.status}", False)
    return Failure(_("Something went wrong on our side. It has been logged; please try again."),
                   UsageStatus.FAILED, "crash", False)


async def record_failure(bot: ImageBot, record: UsageRecord, error: BaseException, *, what: str) -> Failure:
    """The one failure path: describe the error, log it (with its traceback if unexpected),
    finish the usage row, give back its reservation, and save it. Returns what to tell the member."""
    failure = describe_failure(error)
    if failure.expected:
        log.info("%s failed: %s (%s)", what, failure.code, error)
    else:
        log.error("%s failed unexpectedly", what, exc_info=error)
    finish_failed(record, status=failure.status, code=failure.code, detail=str(error) or None)
    try:
        await bot.policy.release(record)
    except Exception:
        log.exception("could not release the reservation of usage row %s", record.id)
    await bot.log_usage(record)
    return failure


class ImageBotTree(app_commands.CommandTree["ImageBot"]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await self.report_failure(interaction, original)

    async def report_failure(self, interaction: discord.Interaction, original: BaseException) -> None:
        """Record the failure and tell the member, privately."""
        what = f"/{command_name(interaction)} for user {interaction.user.id}"
        failure = await record_failure(self.client, record_for(interaction), original, what=what)
        await send_ephemeral_error(interaction, failure.message.render(await self.client.locale_for(interaction)))


async def send_ephemeral_error(interaction: discord.Interaction, message: str) -> None:
    """Tell the member privately, replacing a public "thinking..." reply if there is one."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
            return
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.warning("could not delete the deferred reply of interaction %s", interaction.id)
        await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException:
        log.exception("could not tell user %s about a failure of interaction %s", interaction.user.id, interaction.id)
