"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import select

from bot.db.models import UNFINISHED, Job, UsageRecord


async def usage_rows(bot, count: int = 1, timeout: float = 10.0, *, delivered: bool = False) -> list[UsageRecord]:
    """The usage rows, once `count` are finished (and, with `delivered`, have their delivery's
    outcome): the bot finishes a row after its images arrive, and records the delivery after that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.sessions() as session:
            rows = list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())
        finished = [row for row in rows if row.status != "pending" and (row.delivery or not delivered)]
        if len(finished) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.02)


async def finished_jobs(bot, timeout: float = 10.0) -> list[Job]:
    """The job rows, once none is queued or running: a job's end is recorded after its delivery."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.sessions() as session:
            jobs = list((await session.scalars(select(Job).order_by(Job.id))).all())
        if all(job.state not in UNFINISHED for job in jobs) or asyncio.get_running_loop().time() > deadline:
            return jobs
        await asyncio.sleep(0.02)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
