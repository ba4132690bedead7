"""A burst of replies through the real bot process: members mention the bot in messages that carry
a photo, all at once over the gateway, and each is answered by one bot message that shows the
status and becomes the edited image.

Every call of this path is made with the bot token (none is an interaction callback or an
interaction's webhook), so all of them count against Discord's global 50 a second: the figure
held is the busiest second of those calls, beside the time to answer every message against the
ideal.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.bursts import MAX_RUNNING, busiest_second, member
from bench.harness import running_bot
from bench.report import Figure
from tests.standins.discord_api import DiscordStandIn
from tests.standins.discord_data import Call, StoredMessage
from tests.standins.images_rules import make_png

INTERACTION_PATHS = ("/api/v10/interactions/", "/api/v10/webhooks/")


@dataclass(frozen=True)
class ReplyBurst:
    n: int
    took: float
    ideal: float
    calls: int
    per_second: list[int]  # bot-token calls in each second from the burst's start
    busiest: int  # the most in any one-second window, wherever it starts


def bot_token_calls(calls: list[Call]) -> list[Call]:
    """The calls bound by the global limit: all but interaction callbacks and interaction webhooks."""
    return [call for call in calls if not call.path.startswith(INTERACTION_PATHS)]


def answered(discord_api: DiscordStandIn, asked: list[StoredMessage]) -> int:
    """How many of `asked` have the bot's answer holding its image."""
    waiting = {message.id for message in asked}
    done = 0
    for stored in discord_api.channel_messages.get(discord_api.channel_id, []):
        target = (stored.payload.get("message_reference") or {}).get("message_id")
        if target in waiting and stored.payload["attachments"]:
            done += 1
    return done


async def burst(discord_api: DiscordStandIn, n: int, per_image: float) -> ReplyBurst:
    photo = make_png(256, 256, "a photo to edit")
    since = len(discord_api.calls)
    started = time.monotonic()
    asked = await asyncio.gather(
        *(
            discord_api.send_member_message(
                f"make it night #{index}",
                user=member(f"reply-{n}-{index}"),
                mention_bot=True,
                attachments=[("photo.png", photo, "image/png")],
            )
            for index in range(n)
        )
    )
    deadline = started + max(120.0, n * per_image)
    while answered(discord_api, asked) < n:
        assert time.monotonic() < deadline, f"the reply burst of {n} was not answered in time"
        await asyncio.sleep(0.1)
    calls = bot_token_calls(discord_api.calls[since:])
    took = max(call.at for call in calls) - started
    seconds = [0] * (int(took) + 1)
    for call in calls:
        seconds[int(call.at - started)] += 1
    return ReplyBurst(n, took, n / MAX_RUNNING * per_image, len(calls), seconds, busiest_second([c.at for c in calls]))


async def run(n: int, *, per_image: float = 0.5, latency: float = 0.05) -> tuple[list[Figure], ReplyBurst]:
    jobs = f"[jobs]\nmax_running = {MAX_RUNNING}\nper_guild = {MAX_RUNNING}\n"  # one guild: its cap is the bot's
    async with running_bot(jobs, per_image=per_image, latency=latency) as bot:
        result = await burst(bot.discord_api, n, per_image)
    return figures(result), result


def figures(result: ReplyBurst) -> list[Figure]:
    return [
        Figure(
            f"time to answer a burst of {result.n} replies",
            result.took,
            "s",
            result.ideal,
            "the ideal",
            "≤ 1.25x ideal",
            result.took <= 1.25 * result.ideal,
        ),
        Figure("bot-token calls per reply", result.calls / result.n, "calls"),
        Figure(
            f"busiest second of bot-token calls, {result.n} replies",
            result.busiest,
            "calls",
            target="≤ 50",
            met=result.busiest <= 50,
        ),
    ]


def section(result: ReplyBurst) -> list[str]:
    """The burst's bot-token calls second by second, for docs/performance.md."""
    return [
        f"## A burst of {result.n} replies",
        "",
        "Bot-token calls in each second from the burst's start (the status messages, their edits and",
        "the results; every one counts against Discord's 50 a second):",
        "",
        "| second | " + " | ".join(str(second) for second in range(len(result.per_second))) + " |",
        "| --- | " + " | ".join("---" for _ in result.per_second) + " |",
        "| calls | " + " | ".join(str(count) for count in result.per_second) + " |",
        "",
    ]
