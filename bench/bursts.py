"""Bursts of /imagine through the real bot process, against both stand-ins with real latencies.

Measures time to deliver every result against the ideal, Discord REST calls per request and in
the busiest second, acknowledgement time, the bot's memory with requests in flight, and its CPU
per request against a bare baseline doing each request's essential work.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import signal
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass

import aiohttp
import psutil
from PIL import Image

from bench.harness import running_bot
from bench.report import Figure, percentile
from tests.standins.discord_api import DiscordStandIn
from tests.standins.discord_data import InteractionState, user_payload
from tests.standins.images_rules import make_png

MAX_RUNNING = 4
OTHER_GUILD = "9100000000000001"
ACKS = "create_interaction_response"
READ_BACK = "get_original_webhook_message"  # a reply's id read back: a request never needs it


@dataclass(frozen=True)
class Burst:
    n: int
    took: float
    ideal: float
    calls: int
    kinds: Counter[str]  # the calls by the stand-in's name of the route (its OpenAPI operation)
    peak_all: int
    peak_bounded: int
    acks: list[float]
    cpu: float
    rss: int


def member(tag: str) -> dict:
    return user_payload(str(10**17 + zlib.crc32(tag.encode())), tag)


def delivered_at(states: list[InteractionState], discord_api: DiscordStandIn, since: int) -> dict[str, float]:
    """When each reply got its final attachments: the last call with files made with its token."""
    done: dict[str, float] = {}
    tokens = {state.token for state in states}
    for call in discord_api.calls[since:]:
        parts = call.path.split("/")
        token = parts[5] if len(parts) > 5 and parts[3] == "webhooks" else None
        if token in tokens and call.files:
            done[token] = call.at
    return done


def finished(state: InteractionState) -> bool:
    message = state.original
    return bool(message and message.payload["attachments"] and "ib:vary" in json.dumps(message.payload["components"]))


def busiest_second(times: list[float]) -> int:
    """The most calls in any one-second window."""
    times, most, start = sorted(times), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def burst(discord_api: DiscordStandIn, process: psutil.Process, n: int, per_image: float) -> Burst:
    since, before = len(discord_api.calls), process.cpu_times()
    started = time.monotonic()
    states = await asyncio.gather(
        *(
            discord_api.send_slash_command(
                "imagine",
                {"prompt": f"burst {n} #{index}"},
                user=member(f"{n}-{index}"),
                guild_id=None if index % 2 else OTHER_GUILD,
            )
            for index in range(n)
        )
    )
    rss = process.memory_info().rss
    deadline = started + max(120.0, n * per_image)
    while not all(finished(state) for state in states):
        assert time.monotonic() < deadline, f"the burst of {n} was not delivered in time"
        rss = max(rss, process.memory_info().rss)
        await asyncio.sleep(0.1)
    after = process.cpu_times()
    done = delivered_at(states, discord_api, since)
    calls = discord_api.calls[since:]
    return Burst(
        n=n,
        took=max(done.values()) - started,
        ideal=n / MAX_RUNNING * per_image,
        calls=len(calls),
        kinds=Counter(call.operation_id for call in calls),
        peak_all=busiest_second([call.at for call in calls]),
        peak_bounded=busiest_second([call.at for call in calls if call.operation_id != ACKS]),
        acks=[state.acknowledged - state.created for state in states if state.acknowledged is not None],
        cpu=(after.user + after.system) - (before.user + before.system),
        rss=rss,
    )


async def baseline_cpu(requests: int) -> float:
    """CPU seconds per request of the bare work: parse the provider's JSON, decode the image,
    re-encode it, and upload it once as multipart, to a sink in another process."""
    body = json.dumps({"created": 0, "data": [{"b64_json": base64.b64encode(make_png(1024, 1024, "base")).decode()}]})
    sink = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.sink", stdout=asyncio.subprocess.PIPE)
    try:
        port = int((await sink.stdout.readline()).decode())  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:
            start = time.process_time()
            for index in range(requests):
                image = Image.open(io.BytesIO(base64.b64decode(json.loads(body)["data"][0]["b64_json"])))
                encoded = io.BytesIO()
                image.save(encoded, "PNG")
                form = aiohttp.FormData()
                form.add_field("payload_json", json.dumps({"content": f"result {index}"}))
                form.add_field("files[0]", encoded.getvalue(), filename="result.png", content_type="image/png")
                async with session.post(f"http://127.0.0.1:{port}/upload", data=form) as response:
                    await response.read()
            return (time.process_time() - start) / requests
    finally:
        sink.send_signal(signal.SIGTERM)
        await sink.wait()


async def run(sizes: list[int], *, per_image: float = 0.5, latency: float = 0.05) -> tuple[list[Figure], list[Burst]]:
    async with running_bot(f"[jobs]\nmax_running = {MAX_RUNNING}\n", per_image=per_image, latency=latency) as bot:
        results = [await burst(bot.discord_api, bot.process, n, per_image) for n in sizes]
    return figures(results, await baseline_cpu(20)), results


def figures(results: list[Burst], baseline: float) -> list[Figure]:
    rows = [
        Figure(
            f"time to deliver a burst of {burst.n}",
            burst.took,
            "s",
            burst.ideal,
            "the ideal",
            "≤ 1.25x ideal",
            burst.took <= 1.25 * burst.ideal,
        )
        for burst in results
    ]
    requests = sum(burst.n for burst in results)
    calls = sum(burst.calls for burst in results) / requests
    kinds: Counter[str] = sum((burst.kinds for burst in results), Counter())
    by_kind = [
        Figure(f"Discord REST calls per request: {kind}", count / requests, "calls")
        for kind, count in kinds.most_common()
    ]
    acked = max(results, key=lambda burst: burst.n if burst.n <= 200 else 0)
    in_flight = min(results, key=lambda burst: abs(burst.n - 100))
    cpu = sum(burst.cpu for burst in results) / sum(burst.n for burst in results)
    peak_bounded = max(burst.peak_bounded for burst in results)
    ack_p99 = percentile(acked.acks, 0.99)
    return [
        *rows,
        Figure("Discord REST calls per request", calls, "calls", target="≤ 8", met=calls <= 8),
        *by_kind,
        Figure(
            f"reads of a reply's id ({READ_BACK}) per request",
            kinds[READ_BACK] / requests,
            "calls",
            target="0",
            met=kinds[READ_BACK] == 0,
        ),
        Figure("peak REST calls in one second, all", max(burst.peak_all for burst in results), "calls"),
        Figure(
            "peak REST calls in one second, less interaction callbacks",
            peak_bounded,
            "calls",
            target="≤ 50",
            met=peak_bounded <= 50,
        ),
        Figure(f"acknowledgement p99, {acked.n} at once", ack_p99 * 1000, "ms", target="< 100 ms", met=ack_p99 < 0.1),
        Figure(
            f"bot RSS with {in_flight.n} requests in flight",
            in_flight.rss / 2**20,
            "MB",
            target="< 300 MB",
            met=in_flight.rss < 300 * 2**20,
        ),
        Figure(
            "bot CPU per request",
            cpu * 1000,
            "ms",
            baseline * 1000,
            "decode + re-encode + upload",
            "≤ 1.5x baseline",
            cpu <= 1.5 * baseline,
        ),
    ]
