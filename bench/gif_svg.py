"""What a GIF or an SVG result costs the bot beside a plain picture: the same /imagine at 1024x1024
on gpt-image-2.6-flare through the real bot process, as a PNG (the baseline), as a GIF of 9 frames
(the API's default) and as an SVG (cleaned, rendered to PNG, both posted), in the same run, one
request at a time. What is measured is the bot process's own CPU time per result (user and
system, from psutil), from command to delivered reply; the stand-in's own making of the files, in
the benchmark's process, is not counted.
"""

from __future__ import annotations

import statistics

from bench.harness import running_bot
from bench.report import Figure

MODEL = 'model = "gpt-image-2.6-flare"\noffered_models = ["gpt-image-2.6-flare"]\n'


async def cpu_per_result(format: str, requests: int) -> float:
    """The median CPU seconds the bot spends on one 1024x1024 result made as `format`."""
    async with running_bot("", images=MODEL, per_image=0.0, latency=0.0) as bot:
        spent = []
        for index in range(requests + 1):
            before = bot.process.cpu_times()
            state = await bot.discord_api.send_slash_command(
                "imagine", {"prompt": f"a fox {index}", "size": "1024x1024", "format": format}
            )
            reply = await bot.discord_api.wait_for_reply(state, timeout=120)
            after = bot.process.cpu_times()
            assert len(reply.attachment_bytes()) == (2 if format == "svg" else 1)
            if index:  # the first warms the process up
                spent.append((after.user - before.user) + (after.system - before.system))
        asked = {request.fields.get("output_format") for request in bot.images_api.requests}
    assert asked == ({None} if format == "image" else {format}), asked
    return statistics.median(spent)


async def run(requests: int) -> list[Figure]:
    picture = await cpu_per_result("image", requests)
    figures = []
    for format, what in (("gif", "a GIF of 9 frames"), ("svg", "an SVG, cleaned and rendered")):
        spent = await cpu_per_result(format, requests)
        figures.append(
            Figure(
                f"the bot's CPU per 1024x1024 result as {what}",
                spent * 1000,
                "ms",
                picture * 1000,
                "the same result as a PNG",
            )
        )
    return figures
