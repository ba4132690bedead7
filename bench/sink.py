"""A local HTTP sink for the CPU baseline's uploads: answers every POST with 200, prints its port."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bench.serve import serve_forever


async def main() -> None:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": "1"})

    app = web.Application(client_max_size=64 * 2**20)
    app.router.add_post("/{tail:.*}", accept)
    await serve_forever(app)


if __name__ == "__main__":
    asyncio.run(main())
