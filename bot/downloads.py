"""Downloading members' attachments: only from Discord's CDN, and never more than the cap."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp

from bot.errors import InvalidRequest
from bot.i18n import Text, _

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
            raise InvalidRequest(
                _("That image isn't hosted on Discord, so it can't be used. Upload it to Discord first.")
            )

    async def fetch(self, url: str, *, declared_size: int | None = None, what: Text | None = None) -> bytes:
        """The attachment's bytes, refused if too large (checked before and while reading) or empty.
        `what` names the file in those refusals: the image, unless said (the mask, the markup)."""
        self.check_url(url)
        what = what or _("image")
        too_large = _("The {what} is larger than {limit}. Post a smaller file.", what=what, limit=self._limit_text())
        if declared_size is not None and declared_size > self._max_bytes:
            raise InvalidRequest(
                _(
                    "The {what} is {size}; the limit is {limit}. Post a smaller file.",
                    what=what,
                    size=human_size(declared_size),
                    limit=self._limit_text(),
                )
            )
        if declared_size == 0:
            raise InvalidRequest(_("The {what} is an empty file. Post it again.", what=what))
        try:
            async with self._session.get(
                url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=self._timeout)
            ) as response:
                if response.status != 200:
                    raise InvalidRequest(
                        _(
                            "The {what} could not be downloaded (HTTP {status}); it may have been "
                            "deleted. Post it again.",
                            what=what,
                            status=response.status,
                        )
                    )
                if response.content_length is not None and response.content_length > self._max_bytes:
                    raise InvalidRequest(too_large)
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise InvalidRequest(too_large)
                    chunks.append(chunk)
        except (TimeoutError, aiohttp.ClientError):
            raise InvalidRequest(
                _("The {what} could not be downloaded from Discord. Please try again.", what=what)
            ) from None
        if not chunks:
            raise InvalidRequest(_("The {what} is an empty file. Post it again.", what=what))
        return b"".join(chunks)
