"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import select

from bot.db.models import UsageRecord


async def usage_rows(bot, count: int = 1, timeout: float = 10.0) -> list[UsageRecord]:
    """The usage rows, once `count` are finished: the bot finishes a row after its reply lands."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.sessions() as session:
            rows = list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())
        finished = [row for row in rows if row.status != "pending"]
        if len(finished) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.02)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
