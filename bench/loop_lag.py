"""Event-loop lag while 16 edits of 4K images are prepared in the bot's bounded worker threads."""

from __future__ import annotations

import asyncio
import time

from bench.report import Figure, percentile
from bot.imaging import prepare_edit
from bot.threads import BoundedThreads
from tests.standins.images_rules import make_png

TICK = 0.005


async def lags(until: asyncio.Future) -> list[float]:
    """How late the loop runs a 5 ms timer, again and again until `until` is done."""
    late = []
    while not until.done():
        start = time.perf_counter()
        await asyncio.sleep(TICK)
        late.append(time.perf_counter() - start - TICK)
    return late


async def run(edits: int = 16, workers: int = 2) -> list[Figure]:
    images = [make_png(3840, 2160, f"4k {index}", noise=True) for index in range(min(edits, 4))]
    idle = asyncio.ensure_future(asyncio.sleep(1.0))
    baseline = percentile(await lags(idle), 0.99)
    threads = BoundedThreads(workers)
    work = asyncio.ensure_future(
        asyncio.gather(
            *(
                threads.run(prepare_edit, images[index % len(images)], None, square_png=False, max_bytes=50 * 2**20)
                for index in range(edits)
            )
        )
    )
    lag = percentile(await lags(work), 0.99)
    await work
    return [
        Figure(
            f"event-loop lag p99 while {edits} edits of 3840x2160 images are prepared",
            lag * 1000,
            "ms",
            baseline * 1000,
            "an idle loop",
            "< 50 ms",
            lag < 0.05,
        )
    ]
