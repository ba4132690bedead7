"""Our images client against the official `openai` SDK: the same responses from one local server,
plain and streamed, measured side by side in one run."""

from __future__ import annotations

import asyncio
import base64
import signal
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import aiohttp
import openai

from bench.report import Figure
from bot.images import ImagesClient, ModelRegistry
from bot.images.transport import Transport, TransportSettings

SPEC = ModelRegistry().get("gpt-image-2")


def clients(session: aiohttp.ClientSession, base_url: str) -> dict[str, dict[str, Callable[[], Awaitable[bytes]]]]:
    """Each client's plain and streamed request, each ending with the image's bytes in hand."""
    ours = ImagesClient(
        Transport(session, base_url=base_url, api_key="sk-bench", settings=TransportSettings(max_retries=0))
    )
    sdk = openai.AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)

    async def ours_plain() -> bytes:
        return (await ours.generate("a fox", model=SPEC, size="1024x1024")).images[0].data

    async def ours_streamed() -> bytes:
        events = [event async for event in ours.stream_generate("a fox", model=SPEC, size="1024x1024")]
        return events[-1].image

    async def sdk_plain() -> bytes:
        result = await sdk.images.generate(model=SPEC.name, prompt="a fox", size="1024x1024")
        return base64.b64decode(result.data[0].b64_json or "")

    async def sdk_streamed() -> bytes:
        stream = await sdk.images.generate(
            model=SPEC.name, prompt="a fox", size="1024x1024", stream=True, partial_images=2
        )
        images = [base64.b64decode(event.b64_json) async for event in stream]
        return images[-1]

    return {
        "ours": {"plain": ours_plain, "streamed": ours_streamed},
        "sdk": {"plain": sdk_plain, "streamed": sdk_streamed},
    }


async def cpu_per_request(request: Callable[[], Awaitable[bytes]], requests: int) -> float:
    await request()
    start = time.process_time()
    for _ in range(requests):
        await request()
    return (time.process_time() - start) / requests


async def peak_memory(request: Callable[[], Awaitable[bytes]]) -> int:
    tracemalloc.start()
    try:
        data = await request()
        assert len(data) > 1_000_000
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def run(requests: int = 30) -> list[Figure]:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.provider", stdout=asyncio.subprocess.PIPE
    )
    try:
        port = int((await server.stdout.readline()).decode())  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:
            both = clients(session, f"http://127.0.0.1:{port}/v1")
            figures = []
            for mode in ("plain", "streamed"):
                cpu = {name: await cpu_per_request(calls[mode], requests) for name, calls in both.items()}
                memory = {name: await peak_memory(calls[mode]) for name, calls in both.items()}
                figures += [
                    Figure(
                        f"images client CPU per request, {mode}",
                        cpu["ours"] * 1000,
                        "ms",
                        cpu["sdk"] * 1000,
                        "the openai SDK",
                        "≥ 1.5x less (≤ 0.67x)",
                        cpu["ours"] * 1.5 <= cpu["sdk"],
                    ),
                    Figure(
                        f"images client peak memory per request, {mode}",
                        memory["ours"] / 2**20,
                        "MB",
                        memory["sdk"] / 2**20,
                        "the openai SDK",
                        "no more (≤ 1x)",
                        memory["ours"] <= memory["sdk"],
                    ),
                ]
            return figures
    finally:
        server.send_signal(signal.SIGTERM)
        await server.wait()
