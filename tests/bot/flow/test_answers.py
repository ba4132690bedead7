"""Where a job's member is answered: the reply target for each origin, token age and channel,
and what each target does with a status, a result and a note (on recording fakes of discord.py's
webhook, channel and message; the end-to-end routes are in test_delivery_routes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db.models import Job, JobOrigin
from bot.flow.answers import (
    REFUSAL_SECONDS,
    ChannelMessage,
    DirectMessages,
    FollowUp,
    InteractionResponse,
    MemberAnswers,
    OwnMessage,
)

ASKED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=15)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


class Recorder:
    """Records each call made on it, by name, with its arguments."""

    def __init__(self, name: str, calls: list[tuple]) -> None:
        self.name, self.calls = name, calls

    def __getattr__(self, method: str):
        async def call(*args, **kwargs):
            self.calls.append((self.name, method, args, kwargs))
            return self

        return call


class Channel(Recorder):
    def get_partial_message(self, message_id: int) -> Recorder:
        return Recorder(f"message {message_id}", self.calls)


class View:
    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class Views:
    def cancel(self, job_id: int, locale: str) -> str:
        return f"cancel {job_id}"


def replies(calls: list[tuple], after: timedelta = timedelta(0)) -> MemberAnswers:
    async def dm(user_id: int):
        return Recorder(f"dm {user_id}", calls)

    return MemberAnswers(
        webhook=lambda payload: Recorder(f"webhook {payload['token']}", calls),  # type: ignore[arg-type,return-value]
        channel=lambda channel_id: Channel(f"channel {channel_id}", calls),  # type: ignore[arg-type,return-value]
        dm=dm,  # type: ignore[arg-type]
        views=Views(),  # type: ignore[arg-type]
        clock=Clock(ASKED + after),  # type: ignore[arg-type]
        lifetime=LIFETIME,
    )


def job(origin: str = JobOrigin.INTERACTION, *, message_id: int | None = 7, channel_id: int | None = 3) -> Job:
    token = None if origin == JobOrigin.MESSAGE else "tok"
    return Job(
        id=1,
        origin=origin,
        user_id=42,
        channel_id=channel_id,
        message_id=message_id,
        application_id=9,
        interaction_token=token,
        interaction_at=ASKED,
        locale="en-US",
        params={},
    )


@pytest.mark.parametrize(
    ("origin", "message_id", "channel_id", "after", "target", "route"),
    [
        (JobOrigin.MESSAGE, 7, 3, timedelta(hours=5), OwnMessage, "reply"),  # its own message never expires
        (JobOrigin.INTERACTION, 7, 3, timedelta(minutes=1), InteractionResponse, "reply"),
        (JobOrigin.INTERACTION, None, 3, timedelta(minutes=1), InteractionResponse, "reply"),  # by @original
        (JobOrigin.PAINTING, None, 3, timedelta(minutes=1), FollowUp, "reply"),
        (JobOrigin.INTERACTION, 7, 3, timedelta(minutes=14, seconds=1), ChannelMessage, "channel"),  # a minute short
        (JobOrigin.PAINTING, None, 3, timedelta(minutes=20), ChannelMessage, "channel"),
        (JobOrigin.INTERACTION, 7, None, timedelta(minutes=20), DirectMessages, "dm"),  # no channel to post in
    ],
)
def test_each_job_is_answered_by_one_target(origin, message_id, channel_id, after, target, route):
    calls: list[tuple] = []
    found = replies(calls, after).target(job(origin, message_id=message_id, channel_id=channel_id))
    assert type(found) is target and found.route == route
    assert replies(calls, after).answerable(job(origin, message_id=message_id, channel_id=channel_id)) == (
        route == "reply"
    )


def test_the_fallbacks_are_the_channel_and_the_dms():
    calls: list[tuple] = []
    member = replies(calls)
    assert type(member.fallback(job(), "channel")) is ChannelMessage
    assert member.fallback(job(channel_id=None), "channel") is None
    assert type(member.fallback(job(), "dm")) is DirectMessages


async def test_a_deferral_without_an_id_is_edited_as_the_original_response_never_read_back():
    calls: list[tuple] = []
    await replies(calls).edit_status(job(message_id=None), "⏳ #2", cancellable=True, preview=None)
    [(where, method, args, kwargs)] = calls
    assert (where, method, args) == ("webhook tok", "edit_message", ("@original",))
    assert kwargs["content"] == "⏳ #2" and kwargs["view"] == "cancel 1"


async def test_only_a_target_with_a_reply_of_the_bots_shows_a_status():
    calls: list[tuple] = []
    await replies(calls).edit_status(job(JobOrigin.PAINTING, message_id=None), "⏳", cancellable=False, preview=None)
    await replies(calls, timedelta(minutes=20)).edit_status(job(), "⏳", cancellable=False, preview=None)
    assert calls == []
    await replies(calls).edit_status(job(JobOrigin.MESSAGE), "⏳", cancellable=False, preview=b"png")
    [(where, method, _, kwargs)] = calls
    assert (where, method, kwargs["content"], len(kwargs["attachments"])) == ("message 7", "edit", "⏳", 1)


async def test_a_note_replaces_the_interactions_response_privately_and_stops_its_view():
    calls: list[tuple] = []
    view = View()
    assert await replies(calls).tell(job(), "kept for you", view)  # type: ignore[arg-type]
    assert [(where, method, args) for where, method, args, _ in calls] == [
        ("webhook tok", "delete_message", (7,)),
        ("webhook tok", "send", ("kept for you",)),
    ]
    assert calls[1][3]["ephemeral"] and view.stopped


async def test_a_note_in_a_messages_own_reply_mentions_the_member_and_a_refusal_goes_in_a_minute():
    calls: list[tuple] = []
    await replies(calls).tell(job(JobOrigin.MESSAGE), "no")
    await replies(calls).tell(job(JobOrigin.MESSAGE), "kept", View())  # type: ignore[arg-type]
    assert [kwargs["content"] for *_, kwargs in calls] == ["<@42> no", "<@42> kept"]
    assert [kwargs["delete_after"] for *_, kwargs in calls] == [REFUSAL_SECONDS, None]


async def test_after_the_token_a_note_goes_in_the_channel_mentioning_only_the_member():
    calls: list[tuple] = []
    assert await replies(calls, timedelta(minutes=20)).tell(job(), "failed")
    [(where, method, args, kwargs)] = calls
    assert (where, method, args) == ("channel 3", "send", ("<@42> failed",))
    assert [user.id for user in kwargs["allowed_mentions"].users] == [42]
