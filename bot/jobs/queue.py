"""A fair job queue with caps: pure data, no I/O, no clock.

Guilds take turns: the next job comes from the guild served least recently (guilds never served
first, in the order their jobs arrived), so a busy guild cannot starve the others. Within a
guild, jobs start first come, first served, skipping members who already run `per_member` jobs.
At most `max_running` jobs run at once, and `per_guild` of one guild.

Every event costs O(log n): guilds that may start a job wait in a heap keyed by their last
turn, members' oldest jobs in a heap per guild, and an entry made stale by a cancel or a cap
is dropped when it reaches the top. Members at their cap are parked until one of their jobs
ends. `positions()` is one pass over the queue, for whoever shows positions, never run per event.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

P = TypeVar("P")
GuildKey = int | None


@dataclass(eq=False)
class Ticket(Generic[P]):
    """One queued job: its ids, its place in arrival order, and what the caller keeps with it."""

    job_id: int
    guild_id: GuildKey
    user_id: int
    payload: P
    seq: int = 0


@dataclass(eq=False)
class _Line(Generic[P]):
    """One guild's queued jobs."""

    arrival: int
    tickets: dict[int, Ticket[P]] = field(default_factory=dict[int, "Ticket[P]"])
    members: dict[int, deque[Ticket[P]]] = field(default_factory=dict[int, "deque[Ticket[P]]"])
    heads: list[tuple[int, int]] = field(default_factory=list[tuple[int, int]])
    parked: set[int] = field(default_factory=set[int])
    stamp: int = -1


class FairQueue(Generic[P]):
    def __init__(self, *, max_running: int, per_guild: int, per_member: int) -> None:
        self.max_running, self.per_guild, self.per_member = max_running, per_guild, per_member
        self._seq = itertools.count()
        self._turns = itertools.count()
        self._lines: dict[GuildKey, _Line[P]] = {}
        self._served: dict[GuildKey, int] = {}
        self._rotation: list[tuple[int, int, int, GuildKey]] = []
        self._where: dict[int, Ticket[P]] = {}
        self._running: dict[int, Ticket[P]] = {}
        self._running_guild: Counter[GuildKey] = Counter()
        self._running_member: Counter[int] = Counter()
        self._parked_in: dict[int, set[GuildKey]] = {}

    # Reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._where

    def get(self, job_id: int) -> P | None:
        ticket = self._where.get(job_id)
        return ticket.payload if ticket else None

    @property
    def running(self) -> int:
        return len(self._running)

    def queued(self) -> list[P]:
        return [ticket.payload for ticket in self._where.values()]

    def positions(self) -> dict[int, int]:
        """Each queued job's place in line (1 = next), in guild turns, capacity aside."""
        lines = sorted(self._lines.items(), key=lambda item: (self._served.get(item[0], -1), item[1].arrival))
        columns = [list(line.tickets.values()) for _, line in lines]
        positions: dict[int, int] = {}
        depth = 0
        while columns:
            for column in columns:
                positions[column[depth].job_id] = len(positions) + 1
            depth += 1
            columns = [column for column in columns if len(column) > depth]
        return positions

    # Changing ---------------------------------------------------------------------------------

    def push(self, job_id: int, guild_id: GuildKey, user_id: int, payload: P) -> None:
        ticket = Ticket(job_id, guild_id, user_id, payload, next(self._seq))
        line = self._lines.get(guild_id)
        if line is None:
            line = self._lines[guild_id] = _Line(arrival=ticket.seq)
        line.tickets[job_id] = ticket
        self._where[job_id] = ticket
        queue = line.members.setdefault(user_id, deque())
        queue.append(ticket)
        if len(queue) == 1:
            self._offer_head(line, guild_id, user_id)
        self._rotate(guild_id)

    def pop(self) -> P | None:
        """The next job to start, now counted as running; None when none may start."""
        while len(self._running) < self.max_running and self._rotation:
            _served, _arrival, stamp, guild_id = heapq.heappop(self._rotation)
            line = self._lines.get(guild_id)
            if line is None or stamp != line.stamp:
                continue
            line.stamp = -1
            ticket = self._take_head(line, guild_id)
            if ticket is None:
                continue
            self._start(ticket, line)
            return ticket.payload
        return None

    def remove(self, job_id: int) -> P | None:
        """Take a queued job out (a cancel); None if it is not queued."""
        ticket = self._where.pop(job_id, None)
        if ticket is None:
            return None
        line = self._lines[ticket.guild_id]
        del line.tickets[job_id]
        queue = line.members[ticket.user_id]
        was_head = queue[0] is ticket
        queue.remove(ticket)
        if not queue:
            del line.members[ticket.user_id]
            self._unpark(line, ticket.guild_id, ticket.user_id)
        elif was_head:
            self._offer_head(line, ticket.guild_id, ticket.user_id)
        self._drop_if_empty(ticket.guild_id)
        return ticket.payload

    def finish(self, job_id: int) -> None:
        """A job no longer counts as running (its provider part is over): its guild and member may
        start another. Finishing twice is harmless."""
        ticket = self._running.pop(job_id, None)
        if ticket is None:
            return
        self._running_guild[ticket.guild_id] -= 1
        self._running_member[ticket.user_id] -= 1
        for guild_id in self._parked_in.pop(ticket.user_id, set()):
            line = self._lines.get(guild_id)
            if line is not None and ticket.user_id in line.parked:
                line.parked.discard(ticket.user_id)
                self._offer_head(line, guild_id, ticket.user_id)
                self._rotate(guild_id)
        self._rotate(ticket.guild_id)

    # Inside -----------------------------------------------------------------------------------

    def _offer_head(self, line: _Line[P], guild_id: GuildKey, user_id: int) -> None:
        """Put the member's oldest job in the guild's heap, or park the member at their cap."""
        if self._running_member[user_id] >= self.per_member:
            line.parked.add(user_id)
            self._parked_in.setdefault(user_id, set()).add(guild_id)
        else:
            heapq.heappush(line.heads, (line.members[user_id][0].seq, user_id))

    def _unpark(self, line: _Line[P], guild_id: GuildKey, user_id: int) -> None:
        if user_id in line.parked:
            line.parked.discard(user_id)
            self._parked_in.get(user_id, set()).discard(guild_id)

    def _take_head(self, line: _Line[P], guild_id: GuildKey) -> Ticket[P] | None:
        """The guild's oldest job whose member may start one, taken out of the queue."""
        if self._running_guild[guild_id] >= self.per_guild:
            return None
        while line.heads:
            seq, user_id = heapq.heappop(line.heads)
            queue = line.members.get(user_id)
            if not queue or queue[0].seq != seq:
                continue
            if self._running_member[user_id] >= self.per_member:
                self._offer_head(line, guild_id, user_id)
                continue
            ticket = queue.popleft()
            del line.tickets[ticket.job_id]
            del self._where[ticket.job_id]
            if not queue:
                del line.members[user_id]
            return ticket
        return None

    def _start(self, ticket: Ticket[P], line: _Line[P]) -> None:
        guild_id, user_id = ticket.guild_id, ticket.user_id
        self._running[ticket.job_id] = ticket
        self._running_guild[guild_id] += 1
        self._running_member[user_id] += 1
        if user_id in line.members:
            self._offer_head(line, guild_id, user_id)
        self._served[guild_id] = next(self._turns)
        self._drop_if_empty(guild_id)
        self._rotate(guild_id)

    def _drop_if_empty(self, guild_id: GuildKey) -> None:
        line = self._lines.get(guild_id)
        if line is not None and not line.tickets:
            del self._lines[guild_id]

    def _rotate(self, guild_id: GuildKey) -> None:
        """(Re)enter the guild in the rotation, keyed by its last turn, if it may start a job now."""
        line = self._lines.get(guild_id)
        if line is None or not line.heads or self._running_guild[guild_id] >= self.per_guild:
            if line is not None:
                line.stamp = -1
            return
        line.stamp = next(self._seq)
        heapq.heappush(self._rotation, (self._served.get(guild_id, -1), line.arrival, line.stamp, guild_id))
