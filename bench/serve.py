"""Serving a benchmark's local HTTP peer from a process of its own."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve_forever(app: web.Application) -> None:
    """Serve `app` on 127.0.0.1 at a free port, print the port for the parent, and run until killed."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
    await asyncio.Event().wait()
