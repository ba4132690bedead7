"""The status sender with an injected clock: pacing, coalescing, coarse places, the call budget."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.callwindow import CallWindow
from bot.db.models import Job
from bot.flow.status import Status, StatusSender, queue_status, shown_place
from bot.i18n import _
from bot.jobs.work import Waiting


class FakeClock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds, UTC)

    def monotonic(self) -> float:
        return self.seconds


class RecordedAnswers:
    def __init__(self) -> None:
        self.edits: list[tuple[int, str]] = []

    async def edit_status(self, job, text, *, cancellable, preview, spoiler):
        self.edits.append((job.id, text))


def job(job_id: int) -> Job:
    return Job(id=job_id, user_id=job_id, guild_id=1, locale="en-US")


def sender(waiting, *, every=5.0, calls=40.0, in_flight=None):
    clock = FakeClock()
    window = CallWindow(clock)
    in_flight = in_flight if in_flight is not None else [0]
    status = StatusSender(
        RecordedAnswers(), clock, lambda: waiting, window, lambda: in_flight[0], every=every, calls_per_second=calls
    )
    status.window = window
    return status, clock


def texts(sends) -> list[tuple[int, str]]:
    return [(reply.job.id, status.render("en-US")) for reply, status in sends]


def test_places_are_exact_near_the_front_and_coarse_further_back():
    assert [shown_place(p) for p in (1, 7, 10, 11, 20, 21, 49, 51, 101, 999, 1000, 1001)] == [
        1, 7, 10, 20, 20, 50, 50, 100, 200, 1000, 1000, 2000,
    ]  # fmt: skip
    assert queue_status(3, False).render("en-US") == "⏳ In the queue: #3. It starts when it reaches the front."
    assert "among the next 50" in queue_status(42, False).render("en-US")
    assert queue_status(1, True).render("en-US").startswith("🔁 The bot restarted")


def test_a_reply_is_edited_when_its_place_changes_and_at_most_once_per_period():
    waiting = [Waiting(job(1), 3)]
    status, clock = sender(waiting)
    assert texts(status.due(clock.monotonic())) == [(1, queue_status(3, False).render("en-US"))]
    assert status.due(clock.monotonic()) == []
    waiting[0] = Waiting(job(1), 2)
    clock.seconds += 4.9
    assert status.due(clock.monotonic()) == []
    waiting[0] = Waiting(job(1), 1)
    clock.seconds += 0.1
    assert texts(status.due(clock.monotonic())) == [(1, queue_status(1, False).render("en-US"))]


def test_coarse_places_do_not_edit_the_reply_when_the_shown_text_is_the_same():
    waiting = [Waiting(job(1), 480)]
    status, clock = sender(waiting)
    assert len(status.due(clock.monotonic())) == 1
    for place in (470, 400, 301):
        waiting[0] = Waiting(job(1), place)
        clock.seconds += 10
        assert status.due(clock.monotonic()) == []
    waiting[0] = Waiting(job(1), 200)
    clock.seconds += 10
    assert "among the next 200" in texts(status.due(clock.monotonic()))[0][1]


def test_a_newer_status_replaces_an_unsent_older_one():
    status, clock = sender([])
    status.show(job(1), Status((_("🎨 Working on it…"),)))
    assert len(status.due(clock.monotonic())) == 1
    status.show(job(1), Status((_("🎨 Working on it… preview {index}", index=1),), preview=b"1"))
    status.show(job(1), Status((_("🎨 Working on it… preview {index}", index=2),), preview=b"2"))
    clock.seconds += 5
    assert texts(status.due(clock.monotonic())) == [(1, "🎨 Working on it… preview 2")]


def test_status_edits_only_use_what_the_bots_other_calls_leave_of_the_budget():
    waiting = [Waiting(job(index), index) for index in range(1, 101)]
    status, clock = sender(waiting, calls=40)
    for _call in range(15):
        status.window.note()
    first = status.due(clock.monotonic())
    assert len(first) == 25
    for _send in first:
        status.window.note()
    clock.seconds += 0.5
    assert status.due(clock.monotonic()) == []
    clock.seconds += 0.6  # 1.1 s here may be under a second at Discord: the calls still count
    assert status.due(clock.monotonic()) == []
    clock.seconds += 0.2
    second = status.due(clock.monotonic())
    assert len(second) == 40
    assert {reply.job.id for reply, _ in first}.isdisjoint({reply.job.id for reply, _ in second})


def test_status_edits_leave_a_call_for_the_result_of_every_job_in_flight():
    waiting = [Waiting(job(index), index) for index in range(1, 101)]
    in_flight = [30]
    status, clock = sender(waiting, calls=40, in_flight=in_flight)
    for _call in range(5):
        status.window.note()
    assert len(status.due(clock.monotonic())) == 5
    in_flight[0] = 45
    clock.seconds += 1.3
    assert status.due(clock.monotonic()) == []
    in_flight[0] = 0
    assert len(status.due(clock.monotonic())) == 40


async def test_stop_updates_drops_unsent_statuses():
    status, clock = sender([])
    status.show(job(1), Status((_("🎨 Working on it…"),)))
    await status.stop_updates(1)
    assert status.due(clock.monotonic()) == []


async def test_sending_edits_the_reply_and_a_repeat_is_not_sent_again():
    waiting = [Waiting(job(1), 2)]
    status, clock = sender(waiting, every=0)
    for reply, shown in status.due(clock.monotonic()):
        await status._send(reply, shown)
    clock.seconds += 1
    assert status.due(clock.monotonic()) == []
    assert status._answers.edits == [(1, queue_status(2, False).render("en-US"))]


@pytest.mark.parametrize("every", [0.0, 5.0, 60.0])
def test_the_tick_is_short_but_not_busy(every):
    status, _ = sender([], every=every)
    assert 0.02 <= status.tick_seconds <= 0.5


async def test_first_answers_to_messages_go_in_turn_ahead_of_edits_within_the_budget():
    waiting = [Waiting(job(index), index) for index in range(1, 11)]
    status, clock = sender(waiting, calls=40)
    for _call in range(20):
        status.window.note()
    sent: list[int] = []

    async def answer(index: int) -> int:
        async def send() -> int:
            status.window.note()  # the call starts: the window counts it from now
            sent.append(index)
            return index

        return await status.openings.paced(send)

    answers = [asyncio.ensure_future(answer(index)) for index in range(30)]
    await asyncio.sleep(0)
    assert status.due(clock.monotonic()) == []  # 20 of 40 used: all 20 left go to first answers
    assert sum(await asyncio.gather(*answers[:20])) == sum(range(20)) and sent == list(range(20))
    assert status.openings.under_way == 0 and not any(task.done() for task in answers[20:])

    clock.seconds += 1.3  # the window has emptied
    assert len(status.due(clock.monotonic())) == 10  # the 10 first answers left, then the 10 edits
    assert sum(await asyncio.gather(*answers[20:])) == sum(range(20, 30))


async def test_a_first_answer_cancelled_while_waiting_leaves_the_budget_as_it_was():
    status, clock = sender([], calls=1)
    status.window.note()
    waiting = asyncio.ensure_future(status.openings.paced(lambda: asyncio.sleep(0)))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    clock.seconds += 1.3
    status.due(clock.monotonic())
    assert status.openings.under_way == 0
