"""The bot's Discord REST calls in the last second, counted as they start.

`CallWindow.trace()` is handed to discord.py (`http_trace`), so every call on its session is
counted: commands, interaction callbacks, webhooks. Senders that can wait (status edits) send
only while the window has room under the bot-wide budget; calls that must not wait (an
acknowledgement, a result) are counted and never held back.
"""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.clock import Clock


class CallWindow:
    def __init__(self, clock: Clock, seconds: float = 1.0) -> None:
        self._clock = clock
        self._seconds = seconds
        self._starts: deque[float] = deque()

    def note(self) -> None:
        self._starts.append(self._clock.monotonic())

    def count(self, now: float) -> int:
        """Calls started in the window that ends at `now`."""
        while self._starts and self._starts[0] <= now - self._seconds:
            self._starts.popleft()
        return len(self._starts)

    def trace(self) -> aiohttp.TraceConfig:
        async def started(_session: aiohttp.ClientSession, _context: SimpleNamespace, _params: Any) -> None:
            self.note()

        config = aiohttp.TraceConfig()
        config.on_request_start.append(started)
        return config
