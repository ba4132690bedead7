"""Errors meant for the member: each kind records its status and code on the usage row, keeps the
message written for the member, and carries what its handler needs (the filter that matched, the
categories flagged, the guild key's last four)."""

import pytest

from bot.db.models import UsageStatus
from bot.errors import (
    Blocked,
    CannotAnswer,
    Filtered,
    Flagged,
    GuildKeyFailed,
    InvalidRequest,
    LimitReached,
    Unavailable,
    UnusableAnswer,
    UserFacingError,
)
from bot.i18n import _

MESSAGE = _("Try a shorter prompt.")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UserFacingError(MESSAGE), UsageStatus.FAILED, "user_error"),
        (InvalidRequest(MESSAGE), UsageStatus.INVALID, "invalid_request"),
        (LimitReached(MESSAGE, "cooldown"), UsageStatus.LIMITED, "cooldown"),
        (Blocked(MESSAGE), UsageStatus.BLOCKED, "blocked"),
        (Filtered(MESSAGE, "fox*"), UsageStatus.FILTERED, "filtered"),
        (Flagged(MESSAGE, ("violence",)), UsageStatus.FLAGGED, "flagged"),
        (Unavailable(MESSAGE), UsageStatus.FAILED, "unavailable"),
        (UnusableAnswer(MESSAGE), UsageStatus.FAILED, "unusable_answer"),
    ],
)
def test_each_kind_records_its_status_and_code_and_keeps_the_members_message(error, status, code):
    assert (error.status, error.code, error.message) == (status, code, MESSAGE)
    assert isinstance(error, UserFacingError)


def test_a_limits_code_is_the_limit_that_stopped_the_request():
    assert [LimitReached(MESSAGE, code).code for code in ("daily_limit", "budget")] == ["daily_limit", "budget"]
    assert UserFacingError.code == "user_error"  # set on the instance, never the class


def test_filtered_and_flagged_carry_what_matched():
    assert Filtered(MESSAGE, "fox*").pattern == "fox*"
    flagged = Flagged(MESSAGE, ("violence", "hate"))
    assert (flagged.categories, flagged.in_image) == (("violence", "hate"), False)
    assert Flagged(MESSAGE, ("sexual",), in_image=True).in_image


def test_cannot_answer_names_the_missing_permissions():
    error = CannotAnswer(["Send Messages", "Attach Files"])
    assert (error.status, error.code) == (UsageStatus.INVALID, "missing_permission")
    assert error.message.render("en-US") == "I lack the Send Messages, Attach Files permission here."


def test_a_guild_keys_failure_says_whether_it_was_refused_or_out_of_credit():
    refused = GuildKeyFailed(MESSAGE, last_four="abcd", out_of_credit=False)
    empty = GuildKeyFailed(MESSAGE, last_four="wxyz", out_of_credit=True)
    assert (refused.code, refused.last_four, refused.status) == ("guild_key_refused", "abcd", UsageStatus.FAILED)
    assert (empty.code, empty.last_four) == ("guild_key_no_credit", "wxyz")
