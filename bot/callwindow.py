"""The bot's recent Discord REST calls, counted as they start.

`CallWindow.trace()` is handed to discord.py (`http_trace`), so every call on its session is
counted: commands, interaction callbacks, webhooks. Senders that can wait (status edits) send
only while the window has room under the bot-wide budget; calls that must not wait (an
acknowledgement, a result) are counted and never held back.

A call is counted for a little longer than Discord's one second: between its start here and its
arrival there lie a connection from the pool (or a new one) and the network, which vary from call
to call, so two batches 1.1 s apart here can land 0.9 s apart at Discord.
"""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.clock import Clock


class CallWindow:
    def __init__(self, clock: Clock, seconds: float = 1.25) -> None:
        self._clock = clock
        self._seconds = seconds
        self._starts: deque[float] = deque()

    def note(self) -> None:
        self._starts.append(self._clock.monotonic())

    def count(self, now: float) -> int:
        """Calls started in the window that ends at `now`, as many as could reach Discord in one second."""
        while self._starts and self._starts[0] <= now - self._seconds:
            self._starts.popleft()
        return len(self._starts)

    def trace(self) -> aiohttp.TraceConfig:
        async def started(_session: aiohttp.ClientSession, _context: SimpleNamespace, _params: Any) -> None:
            self.note()

        config = aiohttp.TraceConfig()
        config.on_request_start.append(started)
        return config
