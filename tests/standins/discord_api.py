"""A local Discord: the REST API under /api/v10 and a gateway websocket, over loopback.

The real, unmodified discord.py client connects to it (through `discord.api_base_url` and
`discord.gateway_url`), identifies, receives READY and GUILD_CREATE, and then whatever
interactions a test sends. Every REST call is validated against
`tests/specs/discord-interactions.openapi.json` and every answer against the same
document. Interaction rules that matter to a bot are enforced: acknowledge within 3 seconds,
once; tokens last 15 minutes; ephemeral flags; allowed_mentions decide who is pinged.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from tests.standins.discord_data import (
    ACK_DEADLINE,
    ADMINISTRATOR,
    ALL_MEMBER_PERMISSIONS,
    BOT_TOKEN,
    MANAGE_GUILD,
    TOKEN_LIFETIME,
    Call,
    DiscordError,
    EdgeAnswer,
    GatewaySession,
    GatewaySocket,
    InteractionState,
    RateLimited,
    StoredMessage,
    now_iso,
    shard_of,
    snowflake,
    user_payload,
)
from tests.standins.discord_members import MemberActions
from tests.standins.discord_messages import MemberMessages
from tests.standins.discord_rest import RestOperations
from tests.standins.spec import DISCORD, load_spec


class DiscordStandIn(MemberActions, MemberMessages, RestOperations):
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
        self.nsfw_channel_id = snowflake()  # an age-restricted channel of the guild
        self.dm_channel_id = snowflake()  # the member's DM with the bot
        self.dm_channels: dict[str, str] = {}  # other users' DMs with the bot, by user id
        self.closed_dm_channels: set[str] = set()  # DMs the bot may not post in (the user closed them)
        self.foreign_guild_id = snowflake()  # a server that has not added the bot
        self.bot_in_guild = True  # False: nobody has added the bot to a server yet (READY lists no guilds)
        self.foreign_channel_id = snowflake()  # a channel there: the bot may not post in it
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
        self.cdn_downloads: Counter[str] = Counter()  # attachment id: how often the CDN served it
        self.member_roles: dict[str, list[str]] = {}
        self.channel_messages: dict[str, list[StoredMessage]] = {}
        self.bot_denied: dict[str, int] = {}  # channel id: the permissions the bot's overwrite denies there
        self.intents = 0  # what the bot identified with: which events, and whether messages arrive whole
        self.ack_deadline = ACK_DEADLINE
        self.latency = 0.0
        self.planned_errors: dict[str, list[tuple[DiscordError, bool]]] = {}
        self.upload_delay = 0.0  # seconds before a call that carries files is answered: a slow upload
        self.schema_checks = True  # benchmarks turn the schema checks off: they cost the stand-in ms a call
        self.token_lifetime = TOKEN_LIFETIME
        # False: a deferral's callback names no message (its answer gives no response_message_id),
        # so its reply is known only as @original until an edit returns it.
        self.deferral_names_message = True
        self._changed = asyncio.Condition()
        self.shard_count = 1  # as the bot identifies: each process names its shards and their total
        self._sessions: dict[int, GatewaySession] = {}  # by shard
        self.gateway_log: list[str] = []  # "identify", "resume", "invalid_session", "closed 4000"...
        self.gateway_down = False  # while set, the gateway refuses connections (503), as in an outage
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

    @property
    def _sockets(self) -> list[GatewaySocket]:
        return [session.socket for session in self._sessions.values() if session.socket is not None]

    def _all_shards_connected(self) -> bool:
        return all(
            (session := self._sessions.get(shard)) is not None and session.socket is not None
            for shard in range(self.shard_count)
        )

    async def close(self) -> None:
        for socket in self._sockets:
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

    def rate_limit_next(
        self,
        operation_id: str,
        retry_after: float = 0.05,
        *,
        is_global: bool = False,
        via: bool = True,
        uploads: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `operation_id` with a 429: Discord's own, per route or
        global, which carries its rate-limit headers and `Via`; or, with `via=False`, a Cloudflare
        block, an HTML page without `Via` (Cloudflare's answer, which the API document does not describe)."""
        block = EdgeAnswer(429, "Error 1015: You are being rate limited.", {"Retry-After": "3600"})
        error = RateLimited(retry_after, is_global) if via else block
        self.planned_errors.setdefault(operation_id, []).extend((error, uploads) for _ in range(times))

    def server_error_next(self, operation_id: str, status: int = 502, *, uploads: bool = False, times: int = 1) -> None:
        """Answer the next `times` calls of `operation_id` with a server error page from Discord's edge."""
        reason = {500: "Internal Server Error", 502: "Bad Gateway"}.get(status, "Service Unavailable")
        error = EdgeAnswer(status, reason)
        self.planned_errors.setdefault(operation_id, []).extend((error, uploads) for _ in range(times))

    async def drop_gateway(self, code: int | None, *, resumable: bool = True) -> None:
        """Close every gateway connection: with a close `code`, or (None) by cutting the TCP
        connection without a close frame, which the bot sees as 1006. An unresumable drop ends
        the session, so that the bot must identify afresh (Discord does this for 4009)."""
        self.identified.clear()
        for shard, session in list(self._sessions.items()):
            socket, session.socket = session.socket, None
            if not resumable:
                del self._sessions[shard]
            if socket is None:
                continue
            self.gateway_log.append(f"closed {code or 1006}")
            if code is None:
                socket.abort()
            else:
                await socket.ws.close(code=code, message=b"closed by the stand-in")

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
        """Send an event to the bot, on the shard of its guild. While that shard's session is only
        disconnected, the event waits in the session, and a resume delivers it; with no session,
        it waits for an identify."""
        shard = shard_of(data.get("guild_id"), self.shard_count)
        session = await self.wait_for(lambda: self._sessions.get(shard), 30)
        payload = session.event(event, data)
        if session.socket is not None:
            await session.socket.send(payload)

    def _guild_payload(self) -> dict[str, Any]:
        everyone = {
            "id": self.guild_id,
            "name": "@everyone",
            "permissions": str(ALL_MEMBER_PERMISSIONS & ~MANAGE_GUILD & ~ADMINISTRATOR),  # overwrites apply
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
            "channels": [self.channel_payload(channel_id) for channel_id in self._guild_channels],
        }

    @property
    def _guild_channels(self) -> dict[str, str]:
        return {
            self.channel_id: "general",
            self.alerts_channel_id: "mod-alerts",
            self.art_channel_id: "art",
            self.nsfw_channel_id: "after-dark",
        }

    def channel_payload(self, channel_id: str) -> dict[str, Any]:
        """A text channel of the guild as the gateway describes it, the bot's overwrite included."""
        return {
            "id": channel_id,
            "type": 0,
            "name": self._guild_channels[channel_id],
            "position": list(self._guild_channels).index(channel_id),
            "guild_id": self.guild_id,
            "permission_overwrites": self.bot_overwrites(channel_id),
            "nsfw": channel_id == self.nsfw_channel_id,
            "flags": 0,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
        }

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.gateway_down:
            return web.Response(status=503, text="the gateway is down")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        compress = request.query.get("compress")
        if request.query.get("encoding", "json") != "json" or compress not in (None, "zlib-stream"):
            await ws.close(code=4002, message=b"unsupported encoding or compression")
            return ws
        socket = GatewaySocket(ws, zlib.compressobj() if compress else None, request.transport)
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
                    await self._identify(socket, payload["d"])
                elif op == 6:
                    await self._resume(socket, payload["d"])
        finally:
            for session in self._sessions.values():
                if session.socket is socket:
                    session.socket = None
                    self.identified.clear()
        return ws

    async def _identify(self, socket: GatewaySocket, data: dict[str, Any]) -> None:
        """A new session for the shard the bot names: READY, and its guilds on that shard."""
        shard, self.shard_count = data.get("shard") or [0, 1]
        self.intents = int(data.get("intents") or 0)
        session = self._sessions[shard] = GatewaySession(shard, self.shard_count, socket=socket)
        self.gateway_log.append("identify" if self.shard_count == 1 else f"identify {shard}/{self.shard_count}")
        on_shard = self.bot_in_guild and shard_of(self.guild_id, self.shard_count) == shard
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": self.guild_id, "unavailable": True}] if on_shard else [],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "shard": [shard, self.shard_count],
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
        }
        await socket.send(session.event("READY", ready, replayable=False))
        if on_shard:
            await socket.send(session.event("GUILD_CREATE", self._guild_payload(), replayable=False))
        if self._all_shards_connected():
            self.identified.set()
        await self._notify()

    async def _resume(self, socket: GatewaySocket, data: dict[str, Any]) -> None:
        """Replay what the bot missed and say RESUMED, if its session still lives; otherwise an
        invalid session (not resumable), after which the bot identifies afresh."""
        session = next(
            (session for session in self._sessions.values() if session.session_id == data.get("session_id")), None
        )
        if data.get("token") != self.token or session is None:
            self.gateway_log.append("invalid_session")
            await socket.send({"op": 9, "d": False})
            return
        self.gateway_log.append("resume")
        session.socket = socket
        for payload in session.dispatched:
            if payload["s"] > (data.get("seq") or 0):
                await socket.send(payload)
        await socket.send(session.event("RESUMED", {}, replayable=False))
        if self._all_shards_connected():
            self.identified.set()
        await self._notify()

    # REST -------------------------------------------------------------------------------------
