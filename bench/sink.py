"""A local HTTP sink for the CPU baseline's uploads: answers every POST with 200, prints its port."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def main() -> None:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": "1"})

    app = web.Application(client_max_size=64 * 2**20)
    app.router.add_post("/{tail:.*}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
