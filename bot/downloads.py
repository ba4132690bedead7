"""Downloading members' attachments: only from Discord's CDN, and never more than the cap."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import aiohttp

from bot.errors import InvalidRequest

DISCORD_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
CHUNK = 65536


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / (1024 * 1024):.1f} MB"


class AttachmentDownloader:
    def __init__(
        self, session: aiohttp.ClientSession, *, allowed_hosts: set[str], max_bytes: int, timeout: float = 60.0
    ) -> None:
        self._session = session
        self._allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self._max_bytes = max_bytes
        self._timeout = timeout

    def _limit_text(self) -> str:
        return human_size(self._max_bytes)

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or (parts.hostname or "").lower() not in self._allowed_hosts:
            raise InvalidRequest("That image isn't hosted on Discord, so it can't be used. Upload it to Discord first.")

    async def fetch(self, url: str, *, declared_size: int | None = None, what: str = "image") -> bytes:
        """The attachment's bytes, refused if too large (checked before and while reading) or empty."""
        self.check_url(url)
        if declared_size is not None and declared_size > self._max_bytes:
            raise InvalidRequest(f"The {what} is {human_size(declared_size)}; the limit is "
                                 f"{self._limit_text()}. Post a smaller file.")
        if declared_size == 0:
            raise InvalidRequest(f"The {what} is an empty file. Post the image again.")
        try:
            async with self._session.get(
                url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=self._timeout)
            ) as response:
                if response.status != 200:
                    raise InvalidRequest(f"The {what} could not be downloaded (HTTP {response.status}); it may "
                                         "have been deleted. Post it again.")
                if response.content_length is not None and response.content_length > self._max_bytes:
                    raise InvalidRequest(f"The {what} is larger than {self._limit_text()}. Post a smaller file.")
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise InvalidRequest(f"The {what} is larger than {self._limit_text()}. Post a smaller file.")
                    chunks.append(chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            raise InvalidRequest(f"The {what} could not be downloaded from Discord. Please try again.") from None
        if not chunks:
            raise InvalidRequest(f"The {what} is an empty file. Post the image again.")
        return b"".join(chunks)
