"""A local Images API for the client benchmark, in a process of its own: every generation is
answered with the same 1024x1024 PNG, as JSON or as a stream with two partial images. Prints its port."""

from __future__ import annotations

import asyncio
import base64
import json

from aiohttp import web

from bench.serve import serve_forever
from tests.standins.images_rules import make_png

USAGE = {
    "total_tokens": 1100,
    "input_tokens": 44,
    "output_tokens": 1056,
    "input_tokens_details": {"text_tokens": 44, "image_tokens": 0},
}


def event(kind: str, image: str, **fields: object) -> bytes:
    payload = {
        "type": kind,
        "b64_json": image,
        "created_at": 0,
        "size": "1024x1024",
        "quality": "auto",
        "background": "opaque",
        "output_format": "png",
        **fields,
    }
    return f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode()


async def main() -> None:
    final = base64.b64encode(make_png(1024, 1024, "client bench", noise=True)).decode()
    partial = base64.b64encode(make_png(1024, 1024, "partial", noise=True)).decode()
    plain = json.dumps({"created": 0, "data": [{"b64_json": final}], "usage": USAGE}).encode()
    stream = (
        event("image_generation.partial_image", partial, partial_image_index=0)
        + event("image_generation.partial_image", partial, partial_image_index=1)
        + event("image_generation.completed", final, usage=USAGE)
    )

    async def generate(request: web.Request) -> web.StreamResponse:
        if not (await request.json()).get("stream"):
            return web.Response(body=plain, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for start in range(0, len(stream), 65536):
            await response.write(stream[start : start + 65536])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/images/generations", generate)
    await serve_forever(app)


if __name__ == "__main__":
    asyncio.run(main())
