"""What screening adds to a request: the same edits through the real bot process, once with
`[moderation]` off and once with it on, in the same run, one request at a time.

Each edit has a prompt and a 1024x1024 photo, so screening does all of its work: a copy of the
image at 768 pixels encoded as JPEG in a worker thread, base64, and two requests to the
moderation endpoint (the prompt, the image) at once. The stand-in's moderation endpoint answers at
once, so the difference is the bot's own cost plus one local round trip; the real endpoint's
answer time comes on top of it.
"""

from __future__ import annotations

import statistics
import time

from bench.harness import running_bot
from bench.report import Figure
from tests.standins.images_rules import make_png

PER_IMAGE = 0.2


async def median_request(extra_config: str, requests: int) -> float:
    """The median seconds from the command to its delivered result, over `requests` edits."""
    async with running_bot(extra_config, per_image=PER_IMAGE, latency=0.02) as bot:
        photo = bot.discord_api.upload("photo.png", make_png(1024, 1024, "a photo to edit"))
        took = []
        for index in range(requests + 1):
            started = time.monotonic()
            options = {"image": photo, "prompt": f"make it night {index}"}
            state = await bot.discord_api.send_slash_command("edit", options)
            reply = await bot.discord_api.wait_for_reply(state, timeout=60)
            assert reply.payload["attachments"], reply.text
            if index:  # the first warms the process up
                took.append(time.monotonic() - started)
        screened = len(bot.images_api.moderation_requests)
    assert screened == (2 * (requests + 1) if "enabled = true" in extra_config else 0)
    return statistics.median(took)


async def run(requests: int) -> list[Figure]:
    plain = await median_request("[moderation]\nenabled = false\n", requests)
    screened = await median_request("[moderation]\nenabled = true\n", requests)
    return [
        Figure(
            "an edit's time with screening",
            screened * 1000,
            "ms",
            plain * 1000,
            "the same edit unscreened",
        ),
        Figure("screening's added latency per request", (screened - plain) * 1000, "ms"),
    ]
