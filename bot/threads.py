"""Bounded worker threads for CPU work (Pillow), so the event loop never blocks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class BoundedThreads:
    """Run blocking functions in threads, at most `limit` at a time."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)

    async def run(self, func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._slots:
            return await asyncio.to_thread(func, *args, **kwargs)
