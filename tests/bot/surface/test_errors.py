"""The one error path: the member is told privately (a public "thinking..." reply replaced, a
form's or button's failure too), then the failure is recorded; a message's request gets a short
reply that mentions only its author, unless the bot may not answer there; Discord's own failure
to take the answer is logged, never raised."""

import logging
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands

from bot.billing.usage import USAGE_KEY
from bot.db.models import UsageRecord
from bot.errors import CannotAnswer, InvalidRequest
from bot.i18n import _
from bot.surface.errors import ErrorReporter, send_ephemeral_error
from tests.helpers import FakeInteraction

REFUSAL = InvalidRequest(_("Try a shorter prompt."))


class Failures:
    def __init__(self) -> None:
        self.recorded: list[tuple[UsageRecord, BaseException, str]] = []

    async def record(self, record: UsageRecord, error: BaseException, *, what: str) -> None:
        self.recorded.append((record, error, what))


class Locales:
    async def for_interaction(self, interaction, settings=None) -> str:
        return "en-US"

    def for_message(self, message) -> str:
        return "zh-CN"


def interaction(**options) -> tuple[FakeInteraction, UsageRecord]:
    made = FakeInteraction(custom_id="ib:vary:5", **options)
    record = UsageRecord(user_id=made.user.id, command="vary", status="pending")
    made.extras[USAGE_KEY] = record
    return made, record


def http_error(status: int = 500) -> discord.HTTPException:
    return discord.HTTPException(SimpleNamespace(status=status, reason="Server Error"), "Discord is down")


async def test_a_failure_is_told_privately_then_recorded():
    failures, (made, record) = Failures(), interaction()
    await ErrorReporter(failures, Locales()).report(made, REFUSAL)
    assert made.response.sent == [("Try a shorter prompt.", {"ephemeral": True})]
    assert failures.recorded == [(record, REFUSAL, "/vary for user 20")]


async def test_the_tree_reports_what_a_command_raised_not_its_wrapper():
    failures, (made, _record) = Failures(), interaction()
    wrapped = app_commands.CommandInvokeError(SimpleNamespace(name="imagine", qualified_name="imagine"), REFUSAL)
    await ErrorReporter(failures, Locales()).on_tree_error(made, wrapped)
    assert failures.recorded[0][1] is REFUSAL


async def test_guarded_work_that_fails_goes_down_the_error_path_and_work_that_succeeds_does_not():
    failures, (made, _record) = Failures(), interaction()
    reporter = ErrorReporter(failures, Locales())

    async def fine() -> None:
        return None

    async def broken() -> None:
        raise REFUSAL

    await reporter.guarded(made, fine())
    assert failures.recorded == [] and made.response.sent == []
    await reporter.guarded(made, broken())
    assert [error for _, error, _ in failures.recorded] == [REFUSAL]


async def test_a_deferred_public_reply_is_replaced_by_a_private_one():
    made, _record = interaction(deferred=True)
    await send_ephemeral_error(made, "No.")
    assert made.deleted_original and made.followup.sent == [("No.", {"ephemeral": True})]


async def test_a_reply_that_cannot_be_deleted_or_sent_is_logged(caplog):
    made, _record = interaction(deferred=True, delete_failure=http_error(), followup_failure=http_error())
    with caplog.at_level(logging.WARNING, "bot.surface.errors"):
        await send_ephemeral_error(made, "No.")
    assert [record.getMessage() for record in caplog.records] == [
        "could not delete the deferred response of interaction 900",
        "could not tell user 20 about a failure of interaction 900",
    ]


class Message:
    def __init__(self, failure: Exception | None = None) -> None:
        self.id, self.author, self.guild = 70, SimpleNamespace(id=21), None
        self.channel = SimpleNamespace(id=30)
        self.replies: list[tuple[str, dict[str, object]]] = []
        self._failure = failure

    async def reply(self, text: str, **options: object) -> None:
        if self._failure is not None:
            raise self._failure
        self.replies.append((text, options))


async def test_a_messages_refusal_is_a_short_reply_mentioning_only_its_author():
    failures, message = Failures(), Message()
    record = UsageRecord(user_id=21, command="imagine", status="pending")
    await ErrorReporter(failures, Locales()).report_message(message, record, REFUSAL)
    ((text, options),) = message.replies
    assert text == REFUSAL.message.render("zh-CN")
    assert options["mention_author"] is True and options["delete_after"] > 0
    mentions = options["allowed_mentions"]
    assert (mentions.everyone, mentions.roles, mentions.users) == (False, False, [message.author])
    assert failures.recorded == [(record, REFUSAL, "a reply from user 21")]


@pytest.mark.parametrize(
    ("error", "failure"), [(CannotAnswer(["Send Messages"]), None), (REFUSAL, None), (REFUSAL, http_error(403))]
)
async def test_a_message_the_bot_cannot_answer_still_has_its_row_finished(error, failure, caplog):
    failures, message = Failures(), Message(failure)
    record = UsageRecord(user_id=21, command="imagine", status="pending")
    await ErrorReporter(failures, Locales()).report_message(message, record, error)
    assert [recorded for _, recorded, _ in failures.recorded] == [error]
    if isinstance(error, CannotAnswer):
        assert message.replies == []
