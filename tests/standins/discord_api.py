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
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.standins.spec import DISCORD, SpecViolation, load_spec

BOT_TOKEN = "standin.bot-token.0123456789"
EPHEMERAL = 1 << 6
ACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60.0
MANAGE_GUILD = 1 << 5
MANAGE_MESSAGES = 1 << 13
ALL_MEMBER_PERMISSIONS = (1 << 41) - 1
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)
MODERATOR_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_MESSAGES | MANAGE_GUILD
_snowflakes = itertools.count((int(time.time() * 1000) - 1420070400000) << 22)


def snowflake(age: float = 0.0) -> str:
    """A new id; `age` seconds old when the id is to say it was made in the past."""
    sequence = next(_snowflakes)
    if not age:
        return str(sequence)
    return str(((int((time.time() - age) * 1000) - 1420070400000) << 22) | (sequence & 0x3FFFFF))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: str, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": username,
        "global_name": username,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "primary_guild": None,
    }


@dataclass
class StoredMessage:
    payload: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    pings: set[str] = field(default_factory=set)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def ephemeral(self) -> bool:
        return bool(self.payload["flags"] & EPHEMERAL)

    def attachment_bytes(self) -> list[bytes]:
        return [self.files[attachment["id"]] for attachment in self.payload["attachments"]]


@dataclass
class InteractionState:
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    age: float = 0.0
    callback_type: int | None = None
    callback_data: dict[str, Any] | None = None
    original: StoredMessage | None = None
    original_deleted: bool = False
    followups: list[StoredMessage] = field(default_factory=list)
    modal: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    def visible_messages(self) -> list[StoredMessage]:
        messages = [] if self.original is None or self.original_deleted else [self.original]
        return messages + self.followups


@dataclass(frozen=True)
class UserOption:
    user: dict[str, Any]


@dataclass(frozen=True)
class ChannelOption:
    channel_id: str


@dataclass(frozen=True)
class RoleOption:
    role_id: str


@dataclass
class Call:
    method: str
    path: str
    operation_id: str
    body: Any
    files: dict[str, bytes]


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class DiscordStandIn:
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
        self.token_lifetime = TOKEN_LIFETIME
        self._changed = asyncio.Condition()
        self._sockets: list[_GatewaySocket] = []
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

    def permissions_for(self, user: dict[str, Any]) -> int:
        if user["id"] == self.moderator["id"]:
            return MODERATOR_PERMISSIONS
        if user["id"] == self.bot_user["id"]:
            return ALL_MEMBER_PERMISSIONS
        return MEMBER_PERMISSIONS

    def role_payload(self, role_id: str) -> dict[str, Any]:
        return {
            "id": role_id,
            "name": f"role-{role_id}",
            "permissions": "0",
            "position": 1,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def member_payload(self, user: dict[str, Any]) -> dict:
        return {
            "user": user,
            "roles": list(self.member_roles.get(user["id"], [])),
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "permissions": str(self.permissions_for(user)),
        }

    def upload(self, filename: str, data: bytes, content_type: str | None = None) -> dict[str, Any]:
        """Put a file on the stand-in's CDN, as a member's upload; returns its attachment object."""
        attachment_id = snowflake()
        url = f"{self.base_url}/attachments/{self.channel_id}/{attachment_id}/{filename}"
        self._uploads[attachment_id] = data
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type or _content_type(filename),
        }

    def post_message(
        self, attachments: list[dict[str, Any]], *, author: dict[str, Any] | None = None, content: str = ""
    ) -> StoredMessage:
        """A message a member posted in the channel (the bot only sees it through interactions)."""
        payload = {
            "id": snowflake(),
            "type": 0,
            "channel_id": self.channel_id,
            "content": content,
            "author": author or self.member,
            "attachments": attachments,
            "embeds": [],
            "components": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now(),
            "edited_timestamp": None,
            "flags": 0,
        }
        message = StoredMessage(payload)
        self.messages[message.id] = message
        return message

    def _base_interaction(
        self, kind: int, data: dict[str, Any], user: dict[str, Any], locale: str, attachment_size_limit: int
    ) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "token": f"interaction-token-{snowflake()}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(ALL_MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "attachment_size_limit": attachment_size_limit,
            "channel_id": self.channel_id,
            "guild_id": self.guild_id,
            "guild_locale": "en-US",
            "context": 0,
            "member": self.member_payload(user),
            "channel": {
                "id": self.channel_id,
                "type": 0,
                "guild_id": self.guild_id,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "flags": 0,
            },
        }

    async def _send(
        self, payload: dict[str, Any], original: StoredMessage | None = None, age: float = 0.0
    ) -> InteractionState:
        state = InteractionState(payload, original=original, age=age)
        self.interactions[state.id] = state
        await self.dispatch("INTERACTION_CREATE", payload)
        return state

    async def send_message_command(
        self,
        name: str,
        message: StoredMessage,
        *,
        user: dict[str, Any] | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
    ) -> InteractionState:
        """Right-click `message` and pick the message command `name`."""
        data = {
            "id": snowflake(),
            "name": name,
            "type": 3,
            "target_id": message.id,
            "guild_id": self.guild_id,
            "resolved": {"messages": {message.id: message.payload}},
        }
        return await self._send(self._base_interaction(2, data, user or self.member, "en-US", attachment_size_limit))

    async def click(
        self,
        message: StoredMessage,
        custom_id: str,
        *,
        user: dict[str, Any] | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
    ) -> InteractionState:
        """Click the button `custom_id` on `message`."""
        buttons = [child for row in message.payload["components"] for child in row.get("components", [])]
        assert any(button.get("custom_id") == custom_id for button in buttons), f"no button {custom_id}"
        payload = self._base_interaction(
            3, {"custom_id": custom_id, "component_type": 2}, user or self.member, "en-US", attachment_size_limit
        )
        payload["message"] = message.payload
        return await self._send(payload, original=message)

    async def submit_modal(
        self, state: InteractionState, values: list[str], *, attachment_size_limit: int = 10 * 1024 * 1024
    ) -> InteractionState:
        """Fill the text inputs of the modal the bot opened for `state`, in order, and submit it."""
        assert state.modal is not None, "the bot opened no modal"
        answers = iter(values)

        def fill(component: dict[str, Any]) -> dict[str, Any]:
            if component["type"] == 1:
                return {"type": 1, "components": [fill(child) for child in component["components"]]}
            if component["type"] == 18:
                return {"type": 18, "id": component.get("id", 1), "component": fill(component["component"])}
            return {"type": component["type"], "custom_id": component["custom_id"], "value": next(answers)}

        data = {"custom_id": state.modal["custom_id"], "components": [fill(c) for c in state.modal["components"]]}
        user = state.payload["member"]["user"]
        payload = self._base_interaction(5, data, user, "en-US", attachment_size_limit)
        if state.original is not None:
            payload["message"] = state.original.payload
        return await self._send(payload)

    async def send_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict[str, Any] | None = None,
        locale: str = "en-US",
        attachment_size_limit: int = 10 * 1024 * 1024,
        guild: bool = True,
        subcommand: str | None = None,
        channel_id: str | None = None,
        guild_id: str | None = None,
        age: float = 0.0,
    ) -> InteractionState:
        """Dispatch INTERACTION_CREATE for `/name` with options, as a member would trigger it;
        `age` makes it an interaction created that many seconds ago (its token expires sooner)."""
        option_types = {bool: 5, int: 4, float: 10, str: 3, dict: 11, UserOption: 6, ChannelOption: 7, RoleOption: 8}
        resolved: dict[str, dict[str, Any]] = {}

        def option(key: str, value: Any) -> dict[str, Any]:
            if isinstance(value, dict):
                resolved.setdefault("attachments", {})[value["id"]] = value
                value = value["id"]
            elif isinstance(value, UserOption):
                resolved.setdefault("users", {})[value.user["id"]] = value.user
                member = self.member_payload(value.user)
                resolved.setdefault("members", {})[value.user["id"]] = {k: v for k, v in member.items() if k != "user"}
                value = value.user["id"]
            elif isinstance(value, ChannelOption):
                resolved.setdefault("channels", {})[value.channel_id] = {
                    "id": value.channel_id,
                    "type": 0,
                    "name": "channel",
                    "permissions": str(ALL_MEMBER_PERMISSIONS),
                    "guild_id": self.guild_id,
                    "position": 1,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "flags": 0,
                }
                value = value.channel_id
            elif isinstance(value, RoleOption):
                resolved.setdefault("roles", {})[value.role_id] = self.role_payload(value.role_id)
                value = value.role_id
            return {"name": key, "type": kinds[key], "value": value}

        kinds = {key: option_types[type(value)] for key, value in (options or {}).items()}
        built = [option(key, value) for key, value in (options or {}).items()]
        if subcommand is not None:
            built = [{"name": subcommand, "type": 1, "options": built}]
        data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1, "options": built}
        if resolved:
            data["resolved"] = resolved
        payload: dict[str, Any] = {
            "id": snowflake(age),
            "application_id": self.application_id,
            "type": 2,
            "data": data,
            "token": f"interaction-token-{snowflake()}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(ALL_MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "attachment_size_limit": attachment_size_limit,
            "channel_id": channel_id or self.channel_id,
        }
        user = user or self.member
        if guild:
            data["guild_id"] = guild_id or self.guild_id
            payload.update(
                guild_id=guild_id or self.guild_id,
                guild_locale="en-US",
                context=0,
                member=self.member_payload(user),
                channel={
                    "id": channel_id or self.channel_id,
                    "type": 0,
                    "guild_id": self.guild_id,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "flags": 0,
                },
            )
        else:
            payload.update(
                user=user, context=1, channel={"id": self.channel_id, "type": 1, "recipients": [user], "flags": 0}
            )
        return await self._send(payload, age=age)

    async def wait_for_reply(self, state: InteractionState, timeout: float = 20.0) -> StoredMessage:
        """The message a member finally sees: an immediate reply, a deferred reply once it carries
        its attachments and buttons (previews have no buttons), or a follow-up (which is how
        failures after a deferral arrive)."""

        def settled() -> StoredMessage | None:
            if state.followups:
                return state.followups[-1]
            original = state.original
            if original is None or state.original_deleted:
                return None
            if state.callback_type == 4 or (
                state.callback_type == 5 and original.payload["attachments"] and original.payload["components"]
            ):
                return original
            return None

        return await self.wait_for(settled, timeout)

    # Gateway ----------------------------------------------------------------------------------

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
            "joined_at": _now(),
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
        socket = _GatewaySocket(ws, zlib.compressobj() if compress else None)
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

    async def _read_body(self, request: web.Request) -> tuple[Any, dict[str, bytes], Any]:
        """(body for handlers, uploaded files by field name, body as the spec sees it)."""
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: dict[str, bytes] = {}
            reader = await request.multipart()
            async for part in reader:
                data = bytes(await part.read(decode=False))
                if part.name == "payload_json":
                    body = json.loads(data)
                elif part.filename is not None and part.name:
                    files[part.name] = data
            spec_body = dict(body or {})
            spec_body.update({name: "<binary>" for name in files})
            return body or {}, files, spec_body
        if request.can_read_body:
            body = await request.json()
            return body, {}, body
        return None, {}, None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body, files, spec_body = await self._read_body(request)
        try:
            operation = self.request_spec.validate_request(
                request.method,
                request.path,
                dict(request.query),
                request.content_type if spec_body is not None else None,
                spec_body,
            )
        except SpecViolation as exc:
            self.violations.append(str(exc))
            return web.json_response({"message": f"Invalid Form Body: {exc}", "code": 50035}, status=400)
        self.calls.append(Call(request.method, request.path, operation.operation_id, body, files))
        handler = getattr(self, f"_op_{operation.operation_id}", None)
        try:
            needs_token = not operation.template.startswith(
                ("/webhooks/{webhook_id}/{webhook_token}", "/interactions/")
            )
            if needs_token and request.headers.get("Authorization") != f"Bot {self.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            if handler is None:
                raise DiscordError(405, 0, f"the stand-in does not serve {operation.operation_id}")
            status, answer = await handler(request, body or {}, files)
        except DiscordError as exc:
            status, answer = exc.status, {"message": exc.message, "code": exc.code}
        await self._notify()
        try:
            self.spec.validate_response(operation, status, "application/json" if answer is not None else None, answer)
        except SpecViolation as exc:
            self.violations.append(str(exc))
            raise
        if answer is None:
            return web.Response(status=status)
        return web.Response(body=json.dumps(answer).encode(), status=status, content_type="application/json")

    async def _op_get_my_user(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, {**self.bot_user, "mfa_enabled": False, "locale": "en-US", "verified": True}

    async def _op_get_my_oauth2_application(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, {
            "id": self.application_id,
            "name": "imagebot",
            "icon": None,
            "description": "",
            "type": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": self.owner,
            "approximate_guild_count": 1,
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user,
            "rpc_origins": [],
        }

    async def _op_get_bot_gateway(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    def _store_commands(self, guild_id: str | None, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for command in body:
            given = {key: value for key, value in command.items() if value is not None}
            stored.append(
                {
                    "integration_types": [0],
                    "contexts": [0, 1, 2],
                    "nsfw": False,
                    "type": 1,
                    "description": "",
                    **given,
                    "id": snowflake(),
                    "application_id": self.application_id,
                    "version": snowflake(),
                    "default_member_permissions": None
                    if command.get("default_member_permissions") is None
                    else str(command["default_member_permissions"]),
                    **({"guild_id": guild_id} if guild_id else {}),
                }
            )
        self.commands[guild_id] = stored
        return stored

    async def _op_bulk_set_application_commands(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, self._store_commands(None, body)

    async def _op_bulk_set_guild_application_commands(self, request: web.Request, body: Any, files: Any):
        return 200, self._store_commands(request.match_info["tail"].split("/")[3], body)

    def _interaction(self, interaction_id: str, token: str) -> InteractionState:
        state = self.interactions.get(interaction_id)
        if state is None or state.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return state

    def _by_token(self, application_id: str, token: str) -> InteractionState:
        if application_id != self.application_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        for state in self.interactions.values():
            if state.token == token:
                if time.monotonic() - state.created + state.age > self.token_lifetime:
                    raise DiscordError(401, 50027, "Invalid Webhook Token")
                return state
        raise DiscordError(404, 10015, "Unknown Webhook")

    def _make_message(
        self,
        state: InteractionState,
        data: dict[str, Any],
        files: dict[str, bytes],
        previous: StoredMessage | None = None,
    ) -> StoredMessage:
        message_id = previous.id if previous else snowflake()
        flags = (previous.payload["flags"] if previous else 0) | (int(data.get("flags") or 0) & EPHEMERAL)
        stored_files = dict(previous.files) if previous else {}
        attachments = list(previous.payload["attachments"]) if previous else []
        if "attachments" in data or files:
            kept = {str(item["id"]) for item in data.get("attachments", []) if str(item["id"]) in stored_files}
            attachments = [item for item in attachments if item["id"] in kept]
            for item in data.get("attachments", []):
                upload = files.get(f"files[{item['id']}]")
                if upload is None:
                    if str(item["id"]) not in stored_files:
                        raise DiscordError(400, 50035, f"attachment {item['id']} has no uploaded file")
                    continue
                attachment_id = snowflake()
                filename = item.get("filename") or f"file{item['id']}"
                if len(upload) > int(state.payload["attachment_size_limit"]):
                    raise DiscordError(413, 40005, "Request entity too large")
                stored_files[attachment_id] = upload
                url = f"{self.base_url}/attachments/{self.channel_id}/{attachment_id}/{filename}"
                attachments.append(
                    {
                        "id": attachment_id,
                        "filename": filename,
                        "size": len(upload),
                        "url": url,
                        "proxy_url": url,
                        "content_type": _content_type(filename),
                    }
                )
        content = data.get("content", previous.payload["content"] if previous else "") or ""
        payload = {
            "id": message_id,
            "type": 19 if previous is None and state.callback_type == 4 else 20,
            "channel_id": self.channel_id,
            "content": content,
            "author": self.bot_user,
            "attachments": attachments,
            "embeds": data.get("embeds", previous.payload["embeds"] if previous else []) or [],
            "components": _response_components(data["components"])
            if data.get("components") is not None
            else (previous.payload["components"] if previous else []),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": previous.payload["timestamp"] if previous else _now(),
            "edited_timestamp": _now() if previous else None,
            "flags": flags,
            "webhook_id": self.application_id,
            "application_id": self.application_id,
        }
        history = [*previous.history, previous.payload] if previous else []
        message = StoredMessage(payload, stored_files, _pings(content, data.get("allowed_mentions")), history)
        self.messages[message.id] = message
        return message

    async def _op_create_interaction_response(self, request: web.Request, body: Any, files: Any):
        interaction_id, token = request.match_info["tail"].split("/")[1:3]
        state = self._interaction(interaction_id, token)
        if time.monotonic() - state.created > self.ack_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        if state.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        state.callback_type = int(body["type"])
        state.callback_data = body.get("data") or {}
        if state.callback_type in (4, 5):
            state.original = self._make_message(state, state.callback_data, files)
        elif state.callback_type == 9:
            state.modal = state.callback_data
        elif state.callback_type == 7 and state.original is not None:
            state.original = self._make_message(state, state.callback_data, files, previous=state.original)
        if request.query.get("with_response") not in ("1", "true"):
            return 204, None
        interaction: dict[str, Any] = {"id": state.id, "type": state.payload["type"]}
        if state.callback_type in (4, 5) and state.original is not None:
            interaction.update(
                response_message_id=state.original.id,
                response_message_loading=state.callback_type == 5,
                response_message_ephemeral=state.original.ephemeral,
            )
        answer: dict[str, Any] = {"interaction": interaction}
        if state.callback_type == 4 and state.original is not None:
            answer["resource"] = {"type": 4, "message": state.original.payload}
        return 200, answer

    def _original(self, request: web.Request) -> tuple[InteractionState, StoredMessage]:
        application_id, token = request.match_info["tail"].split("/")[1:3]
        state = self._by_token(application_id, token)
        if state.original is None or state.original_deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return state, state.original

    async def _op_update_original_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, original = self._original(request)
        state.original = self._make_message(state, body, files, previous=original)
        return 200, state.original.payload

    async def _op_get_original_webhook_message(self, request: web.Request, body: Any, files: Any):
        return 200, self._original(request)[1].payload

    async def _op_delete_original_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, _ = self._original(request)
        state.original_deleted = True
        return 204, None

    def _webhook_message(self, request: web.Request) -> tuple[InteractionState, StoredMessage]:
        application_id, token, _, message_id = request.match_info["tail"].split("/")[1:5]
        state = self._by_token(application_id, token)
        if state.original is not None and state.original.id == message_id and not state.original_deleted:
            return state, state.original
        for followup in state.followups:
            if followup.id == message_id:
                return state, followup
        raise DiscordError(404, 10008, "Unknown Message")

    async def _op_update_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, message = self._webhook_message(request)
        edited = self._make_message(state, body, files, previous=message)
        if message is state.original:
            state.original = edited
        else:
            state.followups[state.followups.index(message)] = edited
        return 200, edited.payload

    async def _op_get_webhook_message(self, request: web.Request, body: Any, files: Any):
        return 200, self._webhook_message(request)[1].payload

    async def _op_delete_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, message = self._webhook_message(request)
        if message is state.original:
            state.original_deleted = True
        else:
            state.followups.remove(message)
        return 204, None

    async def _op_execute_webhook(self, request: web.Request, body: Any, files: Any):
        application_id, token = request.match_info["tail"].split("/")[1:3]
        state = self._by_token(application_id, token)
        if state.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        message = self._make_message(state, body, files)
        state.followups.append(message)
        return 200, message.payload

    async def _op_create_message(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        channel_id = request.match_info["tail"].split("/")[1]
        content = body.get("content") or ""
        stored: dict[str, bytes] = {}
        attachments = []
        for item in body.get("attachments") or []:
            data = files[f"files[{item['id']}]"]
            attachment_id = snowflake()
            stored[attachment_id] = data
            url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{item['filename']}"
            attachments.append(
                {
                    "id": attachment_id,
                    "filename": item["filename"],
                    "size": len(data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": _content_type(item["filename"]),
                }
            )
        payload = {
            "id": snowflake(),
            "type": 0,
            "channel_id": channel_id,
            "content": content,
            "author": self.bot_user,
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": _response_components(body.get("components") or []),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now(),
            "edited_timestamp": None,
            "flags": 0,
        }
        message = StoredMessage(payload, stored, pings=_pings(content, body.get("allowed_mentions")))
        self.messages[message.id] = message
        self.channel_messages.setdefault(channel_id, []).append(message)
        return 200, payload

    async def _attachment(self, request: web.Request) -> web.Response:
        attachment_id = request.match_info["attachment"]
        data = self._uploads.get(attachment_id)
        for message in self.messages.values():
            data = data if data is not None else message.files.get(attachment_id)
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type=_content_type(request.match_info["filename"]))


class _GatewaySocket:
    def __init__(self, ws: web.WebSocketResponse, compressor: Any) -> None:
        self.ws = ws
        self.compressor = compressor

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(text)
        else:
            await self.ws.send_bytes(self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH))


def _response_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord returns them: numbered in order, null fields dropped."""
    counter = itertools.count(1)

    def convert(component: dict[str, Any]) -> dict[str, Any]:
        result = {key: value for key, value in component.items() if value is not None and key != "components"}
        if isinstance(result.get("emoji"), dict):
            result["emoji"] = {key: value for key, value in result["emoji"].items() if value is not None}
        result["id"] = component.get("id") or next(counter)
        if "components" in component:
            result["components"] = [convert(child) for child in component["components"]]
        return result

    return [convert(component) for component in components]


def _content_type(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
        "gif": "image/gif",
    }.get(extension, "application/octet-stream")


def _pings(content: str, allowed: dict[str, Any] | None) -> set[str]:
    """Who a message notifies, by Discord's allowed_mentions rules (all parse types if absent)."""
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    users = {str(user) for user in allowed.get("users", [])} if allowed is not None else set()
    roles = {str(role) for role in allowed.get("roles", [])} if allowed is not None else set()
    pings = set()
    if "everyone" in parse and re.search(r"@(everyone|here)", content):
        pings.add("@everyone")
    for user_id in re.findall(r"<@!?(\d+)>", content):
        if "users" in parse or user_id in users:
            pings.add(f"user:{user_id}")
    for role_id in re.findall(r"<@&(\d+)>", content):
        if "roles" in parse or role_id in roles:
            pings.add(f"role:{role_id}")
    return pings
