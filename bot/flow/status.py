"""Members' status messages, paced and coalesced, sent by one task of their own.

A job's status (its place in line, "working", a partial image) is only recorded when it
changes; the sender edits each member's status message at most once every `every` seconds, a newer
status replacing an unsent older one, and only while the bot's REST calls of the last second
(all of them, counted by `CallWindow`) leave room under the bot-wide budget, after one call is
set aside for each job in flight: its result goes out unpaced, and may come at any moment.
A member's message is answered by a new bot message (a bot-token call, bound by Discord's 50 a
second like the edits): those first answers wait their turn in `Openings`, served first, in the
order they came, from the same budget. Places far back are shown coarsely ("among the next
200"), so a long queue draining does not edit every status message on every step. Nothing here is
awaited by the loop that starts jobs, and a result is never held back: `stop_updates` drops what is
unsent and waits only for an edit in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import discord

from bot.callwindow import CallWindow
from bot.clock import Clock
from bot.db.models import Job
from bot.flow.answers import MemberAnswers
from bot.i18n import Text, _
from bot.jobs.work import Waiting

log = logging.getLogger(__name__)

T = TypeVar("T")
EXACT_UP_TO = 10
_STEPS = (1, 2, 5)


@dataclass(frozen=True)
class Status:
    lines: tuple[Text, ...]
    cancellable: bool = False
    preview: bytes | None = None
    spoiler: bool = False  # the preview is hidden as the result will be

    def render(self, locale: str) -> str:
        return "\n".join(line.render(locale) for line in self.lines)


def shown_place(position: int) -> int:
    """The place to show: exact up to 10, then the 1-2-5 step at or above it (20, 50, 100, 200...)."""
    if position <= EXACT_UP_TO:
        return position
    scale = 10
    while True:
        for step in _STEPS:
            if position <= step * scale:
                return step * scale
        scale *= 10


def queue_status(position: int, recovered: bool) -> Status:
    if position <= EXACT_UP_TO:
        text = _("⏳ In the queue: #{position}. It starts when it reaches the front.", position=position)
    else:
        limit = shown_place(position)
        text = _("⏳ In the queue: among the next {limit}. It starts when it reaches the front.", limit=limit)
    note = _("🔁 The bot restarted; your request is back in the queue.")
    return Status((note, text) if recovered else (text,), cancellable=True)


class Openings:
    """Members' messages waiting to post the bot's first answer, each in turn as the status
    sender's budget leaves room for it."""

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self.under_way = 0  # granted and not yet done: counted against the budget
        self.arrived = asyncio.Event()  # wakes the status sender early

    async def paced(self, send: Callable[[], Awaitable[T]]) -> T:
        """`send()` once the budget has room for it; returns what it returns."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        self.arrived.set()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.under_way -= 1  # granted, then cancelled before it could go
            else:
                self._waiting.remove(turn)
            raise
        try:
            return await send()
        finally:
            self.under_way -= 1

    def grant(self, room: int) -> int:
        """Let the first `room` waiting go; returns how many went."""
        granted = 0
        while self._waiting and granted < room:
            turn = self._waiting.popleft()
            if turn.done():
                continue
            turn.set_result(None)
            self.under_way += 1
            granted += 1
        return granted

    def release_all(self) -> None:
        """At shutdown: let every waiting one go unpaced (each still answers its member)."""
        self.grant(len(self._waiting))


@dataclass
class _JobStatus:
    job: Job
    pending: Status | None = None
    latest: Status | None = None
    next_at: float = 0.0
    sending: asyncio.Task[None] | None = None


class StatusSender:
    def __init__(
        self,
        answers: MemberAnswers,
        clock: Clock,
        waiting: Callable[[], Iterable[Waiting]],
        calls: CallWindow,
        in_flight: Callable[[], int],
        *,
        every: float,
        calls_per_second: float,
        openings: Openings | None = None,
    ) -> None:
        """`waiting` lists the queued jobs with their places; it is read once a tick. `calls`
        counts all of the bot's REST calls; `in_flight` is how many jobs are running or
        delivering, each owed a call for its result; `openings` are the first answers to
        members' messages, served ahead of edits."""
        self._answers = answers
        self.openings = openings or Openings()
        self._clock = clock
        self._waiting = waiting
        self._every = every
        self._calls = calls
        self._in_flight = in_flight
        self._budget = int(calls_per_second)
        self._statuses_by_job: dict[int, _JobStatus] = {}
        self.tick_seconds = max(0.02, min(0.5, every / 4))

    def show(self, job: Job, status: Status) -> None:
        """Record the job's newest status; it replaces an unsent older one."""
        entry = self._statuses_by_job.setdefault(job.id, _JobStatus(job))
        entry.pending = None if status == entry.latest else status

    def due(self, now: float) -> list[tuple[_JobStatus, Status]]:
        """What to send now: queue places read afresh, then each entry whose turn has come,
        longest waiting first, as far as the call budget goes. Edits still under way count
        against it too: on a busy loop their calls may not have started yet. So does one call for
        each job in flight, kept for its result."""
        for waiting in self._waiting():
            self.show(waiting.job, queue_status(waiting.position, waiting.recovered))
        sending = sum(1 for entry in self._statuses_by_job.values() if entry.sending is not None)
        room = self._budget - self._calls.count(now) - sending - self._in_flight() - self.openings.under_way
        room = max(0, room)
        room -= self.openings.grant(room)
        ready = [
            entry
            for entry in self._statuses_by_job.values()
            if entry.pending is not None and entry.sending is None and entry.next_at <= now
        ]
        ready.sort(key=lambda entry: entry.next_at)
        sends = []
        for entry in ready[:room]:
            assert entry.pending is not None
            sends.append((entry, entry.pending))
            entry.latest, entry.pending, entry.next_at = entry.pending, None, now + self._every
        return sends

    async def stop_updates(self, job_id: int) -> None:
        """Forget the job's statuses before its result or failure is shown: drop what is unsent,
        and wait for an edit already under way so that it cannot land on top of the result."""
        entry = self._statuses_by_job.pop(job_id, None)
        if entry is not None and entry.sending is not None:
            await asyncio.wait([entry.sending])

    async def run(self) -> None:
        """Send what is due, once a tick, until cancelled."""
        while True:
            self.openings.arrived.clear()
            try:
                for entry, status in self.due(self._clock.monotonic()):
                    entry.sending = asyncio.create_task(self._send(entry, status), name=f"status-{entry.job.id}")
            except Exception:
                log.exception("the status sender hit an error; it carries on at the next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.openings.arrived.wait(), self.tick_seconds)

    async def _send(self, entry: _JobStatus, status: Status) -> None:
        job = entry.job
        try:
            await self._answers.edit_status(
                job,
                status.render(job.locale),
                cancellable=status.cancellable,
                preview=status.preview,
                spoiler=status.spoiler,
            )
        except discord.HTTPException as exc:
            log.warning("could not update the status of job %s (HTTP %s)", job.id, exc.status)
        finally:
            entry.sending = None

    async def close(self) -> None:
        """Wait for edits under way (they are short), and forget the rest."""
        self.openings.release_all()
        sending = [entry.sending for entry in self._statuses_by_job.values() if entry.sending is not None]
        self._statuses_by_job.clear()
        with contextlib.suppress(asyncio.CancelledError):
            if sending:
                await asyncio.wait(sending)
