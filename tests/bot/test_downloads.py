"""Attachment downloads against the Discord stand-in's CDN."""

import aiohttp
import pytest

from bot.downloads import AttachmentDownloader
from bot.errors import InvalidRequest


@pytest.fixture
async def downloader(discord_api):
    async with aiohttp.ClientSession() as session:
        yield AttachmentDownloader(session, allowed_hosts={"127.0.0.1"}, max_bytes=1000)


async def test_a_file_within_the_cap_is_read(downloader, discord_api):
    attachment = discord_api.upload("a.png", b"x" * 900)
    assert await downloader.fetch(attachment["url"], declared_size=900) == b"x" * 900


async def test_the_cap_holds_while_reading_when_the_declared_size_lies(downloader, discord_api):
    attachment = discord_api.upload("a.png", b"x" * 5000)
    with pytest.raises(InvalidRequest, match=r"larger than 1000 B|larger than 1 kB"):
        await downloader.fetch(attachment["url"], declared_size=10)


@pytest.mark.parametrize("url", ["https://evil.example/cat.png", "file:///etc/passwd", "ftp://127.0.0.1/a.png"])
async def test_other_hosts_and_schemes_are_never_fetched(downloader, url):
    with pytest.raises(InvalidRequest, match="isn't hosted on Discord"):
        await downloader.fetch(url)


async def test_a_deleted_attachment_says_so(downloader, discord_api):
    with pytest.raises(InvalidRequest, match="HTTP 404"):
        await downloader.fetch(f"{discord_api.base_url}/attachments/1/2/gone.png")
