"""The one failure path: what each error tells the member and records, and the row it finishes."""

import discord
import pytest
from discord import app_commands

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.db.models import UsageRecord, UsageStatus
from bot.errors import Blocked, InvalidRequest, LimitReached
from bot.flow.failures import Failures, describe_failure
from bot.i18n import _
from bot.images import errors
from bot.imaging import ImageDataError
from bot.metrics import Metrics


class Response:
    def __init__(self, status: int = 413) -> None:
        self.status, self.reason = status, "Payload Too Large" if status == 413 else "Not Found"


@pytest.mark.parametrize(
    ("error", "status", "code", "expected", "says"),
    [
        (InvalidRequest(_("Pick another size.")), UsageStatus.INVALID, "invalid_request", True, "Pick another size."),
        (LimitReached(_("Slow down."), "cooldown"), UsageStatus.LIMITED, "cooldown", True, "Slow down."),
        (Blocked(_("Blocked.")), UsageStatus.BLOCKED, "blocked", True, "Blocked."),
        (ImageDataError(_("the file is empty")), UsageStatus.FAILED, "image_data", True, "the file is empty"),
        (
            errors.ContentPolicyError("no", status=400, code="moderation_blocked"),
            UsageStatus.REFUSED,
            "refused",
            True,
            "safety system",
        ),
        (errors.QuotaExceededError("out", status=429), UsageStatus.FAILED, "quota", True, "credit has run out"),
        (errors.RateLimitError("busy", status=429), UsageStatus.FAILED, "rate_limited", True, "busy right now"),
        (errors.RequestTimeoutError("408", status=408), UsageStatus.FAILED, "timeout", True, "took too long"),
        (errors.APITimeoutError("slow"), UsageStatus.FAILED, "timeout", True, "took too long"),
        (errors.AuthenticationError("key", status=401), UsageStatus.FAILED, "auth", False, "key was rejected"),
        (errors.InternalServerError("down", status=503), UsageStatus.FAILED, "server_error", True, "having trouble"),
        (
            errors.BadRequestError("size *bad*", status=400),
            UsageStatus.FAILED,
            "bad_request",
            True,
            "could not do that: size \\*bad\\*",
        ),
        (errors.InvalidResponseError("junk"), UsageStatus.FAILED, "invalid_response", False, "could not use"),
        (
            app_commands.MissingPermissions(["manage_guild"]),
            UsageStatus.INVALID,
            "missing_permission",
            True,
            "Manage Server",
        ),
        (app_commands.NoPrivateMessage(), UsageStatus.INVALID, "no_dm", True, "only works in a server"),
        (
            discord.HTTPException(Response(413), "too big"),
            UsageStatus.FAILED,
            "discord_413",
            False,
            "Discord did not accept",
        ),
        (
            discord.NotFound(Response(404), {"message": "Unknown interaction", "code": 10062}),
            UsageStatus.FAILED,
            "discord_404_10062",
            True,
            "Discord did not accept",
        ),
        (RuntimeError("boom"), UsageStatus.FAILED, "crash", False, "Something went wrong on our side"),
    ],
)
def test_each_error_has_a_message_a_status_and_a_code(error, status, code, expected, says):
    failure = describe_failure(error)
    assert (failure.status, failure.code, failure.expected) == (status, code, expected)
    assert says in failure.message.render("en-US")


async def test_recording_a_failure_finishes_the_row_and_releases_it_in_one_unit(sessions, caplog):
    async with sessions() as session:
        record = UsageRecord(guild_id=None, user_id=1, command="imagine", status="pending", n=1)
        session.add(record)
        await session.commit()
    failures = Failures(sessions, Policy(PriceTable(), personal_images_per_day=10), Metrics(models=[]))
    failure = await failures.record(record, RuntimeError("boom at sk-not-a-secret"), what="/imagine for user 1")
    assert failure.code == "crash"
    async with sessions() as session:
        saved = await session.get(UsageRecord, record.id)
    assert (saved.status, saved.error_code, saved.error_detail) == ("failed", "crash", "boom at sk-not-a-secret")
    assert saved.completed_at is not None and saved.latency_ms >= 0
    assert "/imagine for user 1 failed unexpectedly" in caplog.text
