"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import io

import aiohttp
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


# The painting page ------------------------------------------------------------------------------

PAINT_SECRET = "a-test-secret-key-that-is-long-enough-for-the-vault"


def web_config(make_config, *, model: str | None = None, **web):
    """A config that serves the painting page; `model`: the default model (a send's)."""
    return make_config(
        web={"listen": "127.0.0.1:0", "public_url": "https://paint.example.com", **web},
        security={"secret_key": PAINT_SECRET},
        **({"images": {"model": model}} if model else {}),
    )


def photo(size=(400, 300), colour=(40, 120, 160)) -> bytes:
    return encode(Image.new("RGB", size, colour))


async def offered_link(discord_api, bot, image: bytes, **options) -> tuple[str, object]:
    """/edit without a mask, and the path of the link it offers privately; and the interaction."""
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("photo.png", image), "prompt": "make it night", **options}
    )
    await discord_api.wait_for(lambda: any(painting_link(message) for message in state.followups))
    [url] = [url for message in state.followups if (url := painting_link(message))]
    assert url.startswith("https://paint.example.com/paint/")
    return f"http://127.0.0.1:{bot.paint_server.port}{url.removeprefix('https://paint.example.com')}", state


def painting_link(message) -> str | None:
    return next((c["url"] for c in message.components if c["type"] == 2 and c.get("style") == 5), None)


def mask_png(size, painted_box) -> bytes:
    """A mask as the page makes it: opaque black, transparent in `painted_box`."""
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), painted_box)
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    return buffer.getvalue()


def markup_png(size, drawn_box, colour=(255, 59, 48)) -> bytes:
    """A markup as the page makes it: transparent, with an opaque `colour` box drawn at `drawn_box`."""
    markup = Image.new("RGBA", size, (0, 0, 0, 0))
    markup.paste((*colour, 255), drawn_box)
    return encode(markup)


async def post(
    url: str, prompt: str, mask: bytes, *, accept: str = "application/json", fields: tuple[str, ...] = ("mask",)
):
    """The page's send: `prompt`, and `mask` in each of `fields` (`markup` for notes)."""
    form = aiohttp.FormData()
    form.add_field("prompt", prompt)
    for field in fields:
        form.add_field(field, mask, filename=f"{field}.png", content_type="image/png")
    async with aiohttp.ClientSession() as session, session.post(url, data=form, headers={"Accept": accept}) as answer:
        return answer.status, await answer.text(), dict(answer.headers)


async def get(url: str):
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.read(), dict(answer.headers)
