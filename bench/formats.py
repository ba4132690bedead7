"""What the format asked for saves the bot on a 4K result: the same /imagine at 3840x2160 through
the real bot process, once with `images.output_format = "png"` (the provider's PNG passes the
server's 10 MiB, so the bot re-encodes it until it fits) and once with the default, `auto` (WebP
at 90 is asked for and posted as made), in the same run, one request at a time.

The images are noise, a picture's worst case for size: the PNG is about 25 MB. What is measured
is the bot process's own CPU time per result (user and system, from psutil), so the stand-in's
own encoding of the images, in the benchmark's process, is not counted.
"""

from __future__ import annotations

import statistics

from bench.harness import running_bot
from bench.report import Figure

LIMIT = 10 * 1024 * 1024


async def cpu_per_result(choice: str, requests: int) -> float:
    """The median CPU seconds the bot spends on one 4K result, from command to delivered reply."""
    async with running_bot("", images=f'output_format = "{choice}"\n', per_image=0.0, latency=0.0) as bot:
        bot.images_api.noise_images = True
        spent = []
        for index in range(requests + 1):
            before = bot.process.cpu_times()
            state = await bot.discord_api.send_slash_command(
                "imagine", {"prompt": f"static {index}", "size": "3840x2160"}, attachment_size_limit=LIMIT
            )
            reply = await bot.discord_api.wait_for_reply(state, timeout=120)
            after = bot.process.cpu_times()
            [data] = reply.attachment_bytes()
            assert len(data) <= LIMIT, len(data)
            if index:  # the first warms the process up
                spent.append((after.user - before.user) + (after.system - before.system))
        asked = {request.fields.get("output_format") for request in bot.images_api.requests}
    assert asked == ({"webp"} if choice == "auto" else {None}), asked
    return statistics.median(spent)


async def run(requests: int) -> list[Figure]:
    reencoded = await cpu_per_result("png", requests)
    as_made = await cpu_per_result("auto", requests)
    return [
        Figure(
            "the bot's CPU per 4K result, WebP asked for and posted as made",
            as_made * 1000,
            "ms",
            reencoded * 1000,
            "the same result asked as PNG and re-encoded to fit 10 MiB",
        )
    ]
