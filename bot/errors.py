"""Errors meant for the member, raised by cogs and turned into private answers by the command tree."""

from __future__ import annotations

from bot.db.models import UsageStatus
from bot.i18n import Text, _


class UserFacingError(Exception):
    """An error whose message is written for the member, shown in the member's language."""

    status = UsageStatus.FAILED
    code = "user_error"

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(UserFacingError):
    """The member asked for something we cannot do; the message says what to do instead."""

    status = UsageStatus.INVALID
    code = "invalid_request"


class LimitReached(UserFacingError):
    """A daily limit, a cooldown or the guild's budget stops the request; the message says when it resets."""

    status = UsageStatus.LIMITED

    def __init__(self, message: Text, code: str) -> None:
        super().__init__(message)
        self.code = code


class Blocked(UserFacingError):
    status = UsageStatus.BLOCKED
    code = "blocked"


class Filtered(UserFacingError):
    """One of the guild's word filters matched the prompt: nothing is screened, sent or paid."""

    status = UsageStatus.FILTERED
    code = "filtered"

    def __init__(self, message: Text, pattern: str) -> None:
        super().__init__(message)
        self.pattern = pattern


class Flagged(UserFacingError):
    """The moderation screening flagged the prompt or an image: no paid call is made."""

    status = UsageStatus.FLAGGED
    code = "flagged"

    def __init__(self, message: Text, categories: tuple[str, ...], *, in_image: bool = False) -> None:
        """`in_image`: an input image was flagged for one of `categories`."""
        super().__init__(message)
        self.categories = categories
        self.in_image = in_image


class CannotAnswer(UserFacingError):
    """The bot lacks a permission to answer where the member asked, and their DMs are closed too:
    nothing is made, and no one can be told; the row and the log say why."""

    status = UsageStatus.INVALID
    code = "missing_permission"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(_("I lack the {permissions} permission here.", permissions=", ".join(missing)))


class GuildKeyFailed(UserFacingError):
    """The guild's own Images API key was refused (401) or its account is out of credit: the
    guild's moderators hear the details, the member only that the server's key needs them."""

    status = UsageStatus.FAILED

    def __init__(self, message: Text, *, last_four: str, out_of_credit: bool) -> None:
        super().__init__(message)
        self.last_four = last_four
        self.out_of_credit = out_of_credit
        self.code = "guild_key_no_credit" if out_of_credit else "guild_key_refused"


class Unavailable(UserFacingError):
    """Something the bot's image service does not offer (a chat endpoint, for /describe)."""

    code = "unavailable"


class UnusableAnswer(UserFacingError):
    """The provider answered, but not with what was asked for (four prompts, as JSON)."""

    code = "unusable_answer"
