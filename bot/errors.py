"""Errors meant for the member, raised by cogs and turned into replies by the command tree."""

from __future__ import annotations

from bot.db.models import UsageStatus


class UserFacingError(Exception):
    """An error whose message is written for the member and is shown as it is."""

    status = UsageStatus.FAILED
    code = "user_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(UserFacingError):
    """The member asked for something we cannot do; the message says what to do instead."""

    status = UsageStatus.INVALID
    code = "invalid_request"
