"""The one failure path: what the member is told and what the row records, for any error.

Commands, buttons, modals and jobs all end here: `Failures.record` logs the error (with its
traceback when we did not expect it), finishes the usage row and gives its reservation back,
in one unit of work. Saying it to the member is the caller's part.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.billing.policy import ModeratorNotice, Policy
from bot.billing.usage import finish_failed, log_unwritten
from bot.clock import utcnow
from bot.db.models import UsageRecord, UsageStatus
from bot.errors import Flagged, GuildKeyFailed, UserFacingError
from bot.i18n import Text, _
from bot.images import errors as images_errors
from bot.imaging import ImageDataError
from bot.logs import redact
from bot.metrics import Metrics

log = logging.getLogger(__name__)

UNKNOWN_INTERACTION = 10062


@dataclass(frozen=True)
class Failure:
    message: Text
    status: str
    code: str
    expected: bool = True
    notice: ModeratorNotice | None = None  # for the guild's moderators


_PROVIDER_MESSAGES: list[tuple[type[images_errors.ImagesError], Text]] = [
    (
        images_errors.ContentPolicyError,
        _("The image service's safety system refused this request. Try rephrasing the prompt."),
    ),
    (images_errors.QuotaExceededError, _("The bot's image credit has run out. Please let a server moderator know.")),
    (images_errors.RateLimitError, _("The image service is busy right now. Please try again in a minute.")),
    (images_errors.APITimeoutError, _("The image service took too long to answer. Please try again.")),
    (
        images_errors.AuthenticationError,
        _("The bot's image service key was rejected. Please let the bot's operator know."),
    ),
    (
        images_errors.PermissionDeniedError,
        _("The bot's image service account may not use this model. Try another model."),
    ),
    (images_errors.NotFoundError, _("The image service does not know this model. Try another model.")),
    (images_errors.InternalServerError, _("The image service is having trouble. Please try again shortly.")),
    (images_errors.APIConnectionError, _("The image service could not be reached. Please try again shortly.")),
]
_OPERATOR_FAULTS = (images_errors.AuthenticationError, images_errors.PermissionDeniedError)


def _provider_failure(error: images_errors.ImagesError) -> Failure:
    status = UsageStatus.REFUSED if isinstance(error, images_errors.ContentPolicyError) else UsageStatus.FAILED
    for kind, message in _PROVIDER_MESSAGES:
        if isinstance(error, kind):
            return Failure(message, status, error.kind, not isinstance(error, _OPERATOR_FAULTS))
    if isinstance(error, images_errors.BadRequestError):
        detail = discord.utils.escape_markdown(redact(error.message))[:300]
        return Failure(_("The image service could not do that: {detail}", detail=detail), status, error.kind)
    return Failure(_("The image service gave an answer we could not use. Please try again."), status, error.kind, False)


def _command_failure(error: app_commands.AppCommandError) -> Failure | None:
    if isinstance(error, app_commands.MissingPermissions):
        return Failure(_("You need the Manage Server permission for this."), UsageStatus.INVALID, "missing_permission")
    if isinstance(error, app_commands.NoPrivateMessage):
        return Failure(_("This command only works in a server."), UsageStatus.INVALID, "no_dm")
    if isinstance(error, app_commands.CheckFailure):
        return Failure(_("You can't use this command here."), UsageStatus.INVALID, "check_failed")
    if isinstance(error, app_commands.TransformerError):
        return Failure(
            _("That value doesn't work: {value}.", value=str(error.value)[:100]), UsageStatus.INVALID, "bad_option"
        )
    return None


def describe_failure(error: BaseException) -> Failure:
    """What the member is told, and what the usage row records, for an error."""
    if isinstance(error, UserFacingError):
        return Failure(error.message, error.status, error.code)
    if isinstance(error, ImageDataError):
        return Failure(
            _("The image could not be used: {reason}.", reason=error.reason), UsageStatus.FAILED, "image_data"
        )
    if isinstance(error, images_errors.ImagesError):
        return _provider_failure(error)
    if isinstance(error, app_commands.AppCommandError) and (failure := _command_failure(error)) is not None:
        return failure
    if isinstance(error, discord.HTTPException):
        return Failure(
            _("Discord did not accept the reply. Please try again."),
            UsageStatus.FAILED,
            f"discord_{error.status}" + (f"_{error.code}" if error.code else ""),
            error.code == UNKNOWN_INTERACTION,  # acknowledged too late: Discord's timing, not our fault
        )
    return Failure(
        _("Something went wrong on our side. It has been logged; please try again."), UsageStatus.FAILED, "crash", False
    )


class Failures:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], policy: Policy, metrics: Metrics) -> None:
        self._sessions = sessions
        self._policy = policy
        self._metrics = metrics

    async def record(self, record: UsageRecord, error: BaseException, *, what: str) -> Failure:
        """Describe and log the error, finish the row and release its reservation, in one unit of
        work. Returns what to tell the member, and, when the image credit ran out, what to tell the
        guild's moderators; a database failure is logged, never raised."""
        failure = describe_failure(error)
        if failure.expected:
            log.info("%s failed: %s (%s)", what, failure.code, error)
        else:
            log.error("%s failed unexpectedly", what, exc_info=error)
        finish_failed(record, status=failure.status, code=failure.code, detail=str(error) or None)
        if isinstance(error, Flagged):
            record.flags, record.screened = ",".join(error.categories), True
        self._metrics.request_finished(record.command, record.status)
        try:
            async with self._sessions() as session:
                await self._policy.release(session, record)
                if record.guild_id is not None:
                    notice = await self._notice_for(session, record.guild_id, error)
                    failure = dataclasses.replace(failure, notice=notice)
                session.add(record)
                await session.commit()
        except Exception:
            log_unwritten(log, record, f"could not finish usage row {record.id}")
        return failure

    async def _notice_for(self, session: AsyncSession, guild_id: int, error: BaseException) -> ModeratorNotice | None:
        """What the guild's moderators hear of `error`: that an account ran out or a key failed."""
        if isinstance(error, GuildKeyFailed):
            return await self._policy.guild_key_failed(
                session, guild_id, utcnow(), last_four=error.last_four, out_of_credit=error.out_of_credit
            )
        if isinstance(error, images_errors.QuotaExceededError):
            return await self._policy.credit_ran_out(session, guild_id, utcnow())
        return None
