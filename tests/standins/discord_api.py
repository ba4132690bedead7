"""A local Discord: the REST API under /api/v10 and a gateway websocket, over loopback.

The real, unmodified discord.py client connects to it (through `discord.api_base_url` and
`discord.gateway_url`), identifies, receives READY and GUILD_CREATE, and then whatever
interactions a test sends. Every REST call is validated against
`../shared/specs/discord-interactions.openapi.json` and every answer against the same
document. Interaction rules that matter to a bot are enforced: acknowledge within 3 seconds,
once; tokens last 15 minutes; ephemeral flags; allowed_mentions decide who is pinged.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from tests.standins.discord_data import (
    ACK_DEADLINE,
    ALL_MEMBER_PERMISSIONS,
    BOT_TOKEN,
    MANAGE_GUILD,
    TOKEN_LIFETIME,
    Call,
    DiscordError,
    GatewaySocket,
    InteractionState,
    StoredMessage,
    now_iso,
    snowflake,
    user_payload,
)
from tests.standins.discord_members import MemberActions
from tests.standins.discord_rest import RestOperations
from tests.standins.spec import DISCORD, load_spec


class DiscordStandIn(MemberActions, RestOperations):
    def __init__(self, *, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.spec = load_spec(DISCORD, "/api/v10")
        self.request_spec = load_spec(DISCORD, "/api/v10", integer_snowflakes=True)
        self.application_id = snowflake()
        self.bot_user = user_payload(self.application_id, "imagebot", bot=True)
        self.owner = user_payload(snowflake(), "owner")
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.alerts_channel_id = snowflake()
        self.art_channel_id = snowflake()
        self.artist_role_id = snowflake()
        self.member = user_payload(snowflake(), "member")
        self.moderator = user_payload(snowflake(), "moderator")
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.interactions: dict[str, InteractionState] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.identified = asyncio.Event()
        self._uploads: dict[str, bytes] = {}
        self.member_roles: dict[str, list[str]] = {}
        self.channel_messages: dict[str, list[StoredMessage]] = {}
        self.ack_deadline = ACK_DEADLINE
        self.latency = 0.0
        self.planned_errors: dict[str, list[tuple[DiscordError, bool]]] = {}
        self.schema_checks = True  # benchmarks turn the schema checks off: they cost the stand-in ms a call
        self.token_lifetime = TOKEN_LIFETIME
        self._changed = asyncio.Condition()
        self._sockets: list[GatewaySocket] = []
        self._sequence = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.api_base_url = ""
        self.gateway_url = ""

    # Lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{channel}/{attachment}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_base_url = f"{self.base_url}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(
        self, operation_id: str, status: int, code: int, message: str, *, uploads: bool = False, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `operation_id` (only those carrying files, with
        `uploads`) with Discord's error `code`."""
        errors = [(DiscordError(status, code, message), uploads) for _ in range(times)]
        self.planned_errors.setdefault(operation_id, []).extend(errors)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until `predicate()` is truthy (checked after every change), and return it."""

        async def waiter() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(waiter(), timeout)

    # Interactions sent to the bot -----------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self.identified.wait()
        self._sequence += 1
        for socket in list(self._sockets):
            await socket.send({"op": 0, "t": event, "s": self._sequence, "d": data})

    def _guild_payload(self) -> dict[str, Any]:
        everyone = {
            "id": self.guild_id,
            "name": "@everyone",
            "permissions": str(ALL_MEMBER_PERMISSIONS & ~MANAGE_GUILD),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": self.guild_id,
            "name": "Stand-in Guild",
            "icon": None,
            "owner_id": self.owner["id"],
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [everyone, self.role_payload(self.artist_role_id)],
            "preferred_locale": "en-US",
            "verification_level": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "nsfw_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
            "joined_at": now_iso(),
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "voice_states": [],
            "presences": [],
            "members": [self.member_payload(self.bot_user)],
            "channels": [
                {
                    "id": channel_id,
                    "type": 0,
                    "name": name,
                    "position": position,
                    "guild_id": self.guild_id,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "flags": 0,
                    "topic": None,
                    "last_message_id": None,
                    "rate_limit_per_user": 0,
                    "parent_id": None,
                }
                for position, (channel_id, name) in enumerate(
                    [(self.channel_id, "general"), (self.alerts_channel_id, "mod-alerts"), (self.art_channel_id, "art")]
                )
            ],
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        compress = request.query.get("compress")
        if request.query.get("encoding", "json") != "json" or compress not in (None, "zlib-stream"):
            await ws.close(code=4002, message=b"unsupported encoding or compression")
            return ws
        socket = GatewaySocket(ws, zlib.compressobj() if compress else None)
        await socket.send({"op": 10, "d": {"heartbeat_interval": 41250}})
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                op = payload.get("op")
                if op == 1:
                    await socket.send({"op": 11})
                elif op == 2:
                    if payload["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    self._sockets.append(socket)
                    self._sequence += 1
                    await socket.send(
                        {
                            "op": 0,
                            "t": "READY",
                            "s": self._sequence,
                            "d": {
                                "v": 10,
                                "user": self.bot_user,
                                "guilds": [{"id": self.guild_id, "unavailable": True}],
                                "session_id": snowflake(),
                                "resume_gateway_url": self.gateway_url,
                                "shard": [0, 1],
                                "application": {"id": self.application_id, "flags": 0},
                                "private_channels": [],
                                "relationships": [],
                                "presences": [],
                                "user_settings": {},
                                "guild_join_requests": [],
                            },
                        }
                    )
                    self._sequence += 1
                    await socket.send({"op": 0, "t": "GUILD_CREATE", "s": self._sequence, "d": self._guild_payload()})
                    self.identified.set()
                elif op == 6:
                    await socket.send({"op": 9, "d": False})
        finally:
            if socket in self._sockets:
                self._sockets.remove(socket)
            if not self._sockets:
                self.identified.clear()
        return ws

    # REST -------------------------------------------------------------------------------------
