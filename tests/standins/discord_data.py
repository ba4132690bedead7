"""What the Discord stand-in stores and sends: ids, users, messages, interactions, and the rules for mentions."""

from __future__ import annotations

import itertools
import json
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

BOT_TOKEN = "standin.bot-token.0123456789"
EPHEMERAL = 1 << 6
COMPONENTS_V2 = 1 << 15  # IS_COMPONENTS_V2: the message is its components (no content, no embeds)
MAX_COMPONENTS = 40  # Discord's limit for a Components V2 message, nested ones counted
MAX_GALLERY_ITEMS = 10
ACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60.0
ADMINISTRATOR = 1 << 3
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


def now_iso() -> str:
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

    @property
    def components(self) -> list[dict[str, Any]]:
        """Every component, nested ones included, in order."""
        return list(walk(self.payload["components"]))

    @property
    def text(self) -> str:
        """What the member reads: the content, or a Components V2 message's text displays."""
        texts = [component["content"] for component in self.components if component["type"] == 10]
        return "\n".join([self.payload["content"], *texts]).strip()


def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from walk(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]


@dataclass
class InteractionState:
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    age: float = 0.0
    callback_type: int | None = None
    acknowledged: float | None = None  # when the callback reached the stand-in
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
    at: float = field(default_factory=time.monotonic)


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def answer(self) -> tuple[dict[str, Any] | str, dict[str, str]]:
        """The body and headers Discord answers with."""
        return {"message": self.message, "code": self.code}, {}


class RateLimited(DiscordError):
    """Discord's own 429: the body says how long to wait and whether the limit is global; the
    headers carry the route's bucket, and `Via`, which tells a client that Discord answered."""

    def __init__(self, retry_after: float, is_global: bool) -> None:
        super().__init__(429, 0, "You are being rate limited.")
        self.retry_after, self.is_global = retry_after, is_global

    def answer(self) -> tuple[dict[str, Any] | str, dict[str, str]]:
        body = {"message": self.message, "code": self.code, "retry_after": self.retry_after, "global": self.is_global}
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(self.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": "stand-in-bucket",
            "X-RateLimit-Scope": "global" if self.is_global else "user",
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return body, headers


class EdgeAnswer(DiscordError):
    """An answer from Cloudflare in front of Discord rather than from its API (so the API document
    does not describe it): an HTML page with no `Via`, such as a 429 block or a 502."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, 0, message)
        self.headers = headers or {}

    def answer(self) -> tuple[dict[str, Any] | str, dict[str, str]]:
        return f"<html><body><h1>{self.message}</h1></body></html>", self.headers


def shard_of(guild_id: str | None, count: int) -> int:
    """The shard a guild's events go to (Discord's formula); events with no guild go to shard 0."""
    return (int(guild_id) >> 22) % count if guild_id else 0


class GatewaySocket:
    def __init__(self, ws: web.WebSocketResponse, compressor: Any, transport: Any = None) -> None:
        self.ws = ws
        self.compressor = compressor
        self._transport = transport

    def abort(self) -> None:
        """Cut the TCP connection with no close frame (the client sees 1006)."""
        if self._transport is not None:
            self._transport.abort()

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(text)
        else:
            await self.ws.send_bytes(self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH))


def check_components_v2(components: list[dict[str, Any]], data: dict[str, Any]) -> None:
    """Discord's rules for a Components V2 message: no content or embeds, at most 40 components
    (nested ones counted), 1 to 10 items a media gallery, each `attachment://` among the files."""
    if data.get("content") or data.get("embeds"):
        raise DiscordError(400, 50035, "Invalid Form Body: a Components V2 message has no content or embeds")
    found = list(walk(components))
    if len(found) > MAX_COMPONENTS:
        raise DiscordError(400, 50035, f"Invalid Form Body: {len(found)} components; the limit is {MAX_COMPONENTS}")
    for component in found:
        if component["type"] == 12 and not 1 <= len(component.get("items") or []) <= MAX_GALLERY_ITEMS:
            raise DiscordError(400, 50035, "Invalid Form Body: a media gallery holds 1 to 10 items")


def response_components(
    components: list[dict[str, Any]], attachments: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Components as Discord returns them: numbered in order, null fields dropped, and media
    (`attachment://NAME`) resolved to the message's attachments."""
    counter = itertools.count(1)
    by_name = {attachment["filename"]: attachment for attachment in attachments or []}

    def media(reference: dict[str, Any]) -> dict[str, Any]:
        url = reference["url"]
        if not url.startswith("attachment://"):
            return {"id": snowflake(), "url": url, "proxy_url": url}
        attachment = by_name.get(url.removeprefix("attachment://"))
        if attachment is None:
            raise DiscordError(400, 50035, f"Invalid Form Body: {url} is not among the message's files")
        return {
            "id": snowflake(),
            "url": attachment["url"],
            "proxy_url": attachment["proxy_url"],
            "content_type": attachment["content_type"],
            "attachment_id": attachment["id"],
        }

    def convert(component: dict[str, Any]) -> dict[str, Any]:
        result = {key: value for key, value in component.items() if value is not None and key != "components"}
        if isinstance(result.get("emoji"), dict):
            result["emoji"] = {key: value for key, value in result["emoji"].items() if value is not None}
        result["id"] = component.get("id") or next(counter)
        if "components" in component:
            result["components"] = [convert(child) for child in component["components"]]
        if component["type"] == 12:
            result["items"] = [
                {
                    "media": media(item["media"]),
                    "description": item.get("description"),
                    "spoiler": bool(item.get("spoiler")),
                }
                for item in component["items"]
            ]
        if isinstance(component.get("accessory"), dict):
            result["accessory"] = convert(component["accessory"])
        if component["type"] == 11:
            result["media"] = media(component["media"])
        if component["type"] == 13:  # a file component: an attachment shown as a file to download
            result["file"] = media(component["file"])
            attachment = by_name[component["file"]["url"].removeprefix("attachment://")]
            result.update(name=attachment["filename"], size=attachment["size"], spoiler=bool(component.get("spoiler")))
        return result

    return [convert(component) for component in components]


def content_type_of(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "webp": "image/webp",
        "gif": "image/gif",
        "svg": "image/svg+xml",
    }.get(extension, "application/octet-stream")


def pings_in(content: str, allowed: dict[str, Any] | None) -> set[str]:
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


@dataclass
class GatewaySession:
    """One shard's gateway session: its sequence, and its events in order for a resume to replay."""

    shard: int
    count: int
    session_id: str = field(default_factory=snowflake)
    sequence: int = 0
    dispatched: list[dict[str, Any]] = field(default_factory=list)
    socket: GatewaySocket | None = None

    def event(self, name: str, data: dict[str, Any], *, replayable: bool = True) -> dict[str, Any]:
        self.sequence += 1
        payload = {"op": 0, "t": name, "s": self.sequence, "d": data}
        if replayable:
            self.dispatched.append(payload)
        return payload
