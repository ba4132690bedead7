"""The painting page under attack, through the real bot and its page server over HTTP on 127.0.0.1
(issue #29): stalled uploads, a crowd behind the reverse proxy, a link holder hammering the image,
and malformed or broken requests. Each answer still carries the page's headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path

import aiohttp
from PIL import Image

from bot.imaging import page_copy
from tests.helpers import decode, encode, get, mask_png, offered_link, photo, post, until, usage_rows, web_config

BOUNDARY = "imagebot-test-boundary"
MASK_PART_HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="mask"; filename="mask.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
).encode()


def resident_bytes() -> int:
    """This process's resident set (the bot runs in it), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class StalledSend:
    """A POST that announces a body larger than it sends: its headers, then `send_bytes` of a mask
    part, then nothing, the connection held open until `close`."""

    def __init__(self, port: int, path: str, send_bytes: int, headers: dict[str, str] | None = None) -> None:
        self.port, self.path, self.send_bytes, self.headers = port, path, send_bytes, headers or {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in self.headers.items())
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(MASK_PART_HEAD) + self.send_bytes + 4096}\r\n\r\n"
        ).encode()
        self.writer.write(head + MASK_PART_HEAD)
        chunk, sent = bytes(64 * 1024), 0
        try:
            while sent < self.send_bytes:
                self.writer.write(chunk[: self.send_bytes - sent])
                sent += min(len(chunk), self.send_bytes - sent)
                await asyncio.wait_for(self.writer.drain(), 10)  # a server that stops reading stops us
        except (ConnectionError, TimeoutError):
            pass  # answered and closed early: what the server should do

    async def status(self, timeout: float = 30) -> int:
        """The status of the server's answer (it comes without the rest of the body)."""
        assert self.reader is not None
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        return int(line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()


class LogWatch(logging.Handler):
    """Set once a log line holding `words` is written (from any thread)."""

    def __init__(self, words: str) -> None:
        super().__init__(logging.INFO)
        self.words, self.seen, self._loop = words, asyncio.Event(), asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self._loop.call_soon_threadsafe(self.seen.set)


def tracebacks(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


async def test_stalled_uploads_without_a_link_cost_no_memory_while_a_member_is_served(
    make_config, start_bot, discord_api, images_api, caplog
):
    caplog.set_level(logging.INFO)
    bot = await start_bot(web_config(make_config, requests_per_minute=1_000))
    url, _ = await offered_link(discord_api, bot, photo())
    assert bot.paint_server is not None and bot.paint_server.port is not None
    await get(url)  # the page's first answer warms what every answer uses
    before = resident_bytes()

    stalled = [StalledSend(bot.paint_server.port, f"/paint/anything{n}", 8 * 2**20) for n in range(60)]
    await asyncio.gather(*(send.open() for send in stalled))
    grown = resident_bytes() - before
    statuses = await asyncio.gather(*(send.status() for send in stalled))

    status, page, headers = await get(url)  # a member with a valid link is served meanwhile
    assert status == 200 and b"strokes" in page and "Content-Security-Policy" in headers
    status, text, _ = await post(url, "a full moon", mask_png((400, 300), (0, 0, 100, 100)))
    assert status == 200 and "Sent" in text
    await asyncio.gather(*(send.close() for send in stalled))

    assert set(statuses) == {403}, statuses
    assert grown < 50 * 2**20, f"the process grew {grown / 2**20:.0f} MB"
    rows = await usage_rows(bot, 2, delivered=True)
    assert rows[1].via == "paint" and rows[1].status == "ok"
    assert not tracebacks(caplog)


async def test_sends_with_a_link_are_one_a_link_bounded_in_all_and_a_client_that_leaves_is_one_line(
    make_config, start_bot, discord_api, images_api, caplog
):
    caplog.set_level(logging.INFO)
    bot = await start_bot(web_config(make_config, max_open_sends=1, requests_per_minute=1_000))
    first, _ = await offered_link(discord_api, bot, photo())
    second, _ = await offered_link(discord_api, bot, photo(colour=(200, 40, 40)))
    assert bot.paint_server is not None and bot.paint_server.port is not None
    held = StalledSend(bot.paint_server.port, first.partition(str(bot.paint_server.port))[2], 64 * 1024)
    await held.open()
    await until(lambda: bot.paint_server is not None and bot.paint_server.open_sends == 1)  # the server holds it
    status, text, _ = await post(first, "a moon", mask_png((400, 300), (0, 0, 9, 9)))
    assert status == 429 and "already sending" in text  # the held send keeps the link busy
    status, text, headers = await post(second, "a moon", mask_png((400, 300), (0, 0, 9, 9)))
    assert status == 503 and "busy" in text and "Content-Security-Policy" in headers

    watch = LogWatch("went away")
    logging.getLogger("bot").addHandler(watch)
    await held.close()  # the browser went away in the middle of its send
    await asyncio.wait_for(watch.seen.wait(), 20)
    logging.getLogger("bot").removeHandler(watch)
    status, _, _ = await post(second, "a sun", mask_png((400, 300), (0, 0, 9, 9)))
    assert status == 200
    status, _, _ = await post(first, "a star", mask_png((400, 300), (0, 0, 9, 9)))
    assert status == 200  # the cut-off send used nothing up
    await images_api.wait_for_requests(4)
    assert [r.fields["prompt"] for r in images_api.requests[2:]] in (["a sun", "a star"], ["a star", "a sun"])
    gone = [record.getMessage() for record in caplog.records if "went away" in record.getMessage()]
    assert len(gone) == 1 and not tracebacks(caplog)


async def test_a_body_that_stops_arriving_is_answered_at_its_deadline(
    make_config, start_bot, discord_api, images_api, caplog
):
    bot = await start_bot(web_config(make_config, body_timeout_seconds=1))
    url, _ = await offered_link(discord_api, bot, photo())
    assert bot.paint_server is not None and bot.paint_server.port is not None
    stalled = StalledSend(bot.paint_server.port, url.partition(str(bot.paint_server.port))[2], 100_000)
    await stalled.open()
    assert await stalled.status() == 408
    await stalled.close()
    status, _, _ = await post(url, "a moon", mask_png((400, 300), (0, 0, 9, 9)))
    assert status == 200 and not tracebacks(caplog)


async def test_behind_a_trusted_proxy_each_client_and_each_link_has_its_own_budget(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config, requests_per_minute=4, trusted_proxies=["127.0.0.1/32"]))
    url, _ = await offered_link(discord_api, bot, photo())
    base = url.rpartition("/paint/")[0]

    async def from_client(path: str, forwarded: str) -> int:
        headers = {"X-Forwarded-For": forwarded}
        async with aiohttp.ClientSession() as session, session.get(f"{base}{path}", headers=headers) as answer:
            return answer.status

    stranger = [await from_client(f"/paint/guess{n}", "198.51.100.9, 203.0.113.5") for n in range(6)]
    assert stranger == [403, 403, 403, 403, 429, 429]  # keyed on the proxy's hop, not the client's own claim
    assert await from_client("/paint/guess", "203.0.113.6") == 403  # another client has its own budget
    assert await from_client("/paint/guess", "203.0.113.5, 127.0.0.1") == 429  # a trusted hop is skipped

    # the member's page opening (page, script, style, image) is not spent by the strangers
    path = url.partition("127.0.0.1")[2].partition("/")[2]
    opening = [f"/{path}", "/paint/static/paint.js", "/paint/static/paint.css", f"/{path}/image"]
    assert [await from_client(item, "203.0.113.5") for item in opening] == [200, 200, 200, 200]
    # and the link has a budget of its own: page and image twice, then a fifth ask
    assert [await from_client(f"/{path}", "192.0.2.1") for _ in range(3)] == [200, 200, 429]


async def test_without_trusted_proxies_a_forwarded_header_is_never_believed(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config, requests_per_minute=3))
    url, _ = await offered_link(discord_api, bot, photo())
    base = url.rpartition("/paint/")[0]
    statuses = []
    for n in range(5):
        headers = {"X-Forwarded-For": f"203.0.113.{n}"}
        async with aiohttp.ClientSession() as session, session.get(f"{base}/paint/x{n}", headers=headers) as answer:
            statuses.append(answer.status)
    assert statuses == [403, 403, 403, 429, 429]
    assert (await get(url))[0] == 200  # the strangers spent their own budget, not the link's


async def test_the_image_is_made_once_per_link_on_threads_that_never_hold_up_jobs(
    make_config, start_bot, discord_api, images_api, monkeypatch
):
    """8 asks at once for a large image: one download, one rendering, and while that rendering
    is held (as a 5000x5000 JPEG holds it), another member's /edit runs to its result."""
    bot = await start_bot(
        make_config(
            web={"listen": "127.0.0.1:0", "public_url": "https://paint.example.com"},
            security={"secret_key": "a-test-secret-key-that-is-long-enough-for-the-vault"},
            imaging={"worker_threads": 1},
        )
    )
    large = encode(Image.new("RGB", (3000, 2000), (90, 60, 30)), "JPEG")
    url, state = await offered_link(discord_api, bot, large)
    [source_id] = [option["value"] for option in state.payload["data"]["options"] if option["name"] == "image"]
    await discord_api.wait_for(lambda: any(m.attachment_bytes() for m in state.visible_messages()))
    downloads_before = discord_api.cdn_downloads[source_id]  # the /edit's own

    release, renderings = threading.Event(), []

    def held_page_copy(data: bytes) -> bytes:
        renderings.append(len(data))
        assert release.wait(30), "never released"
        return page_copy(data)

    monkeypatch.setattr("bot.flow.painting.page_copy", held_page_copy)

    async def head() -> int:
        async with aiohttp.ClientSession() as session, session.head(f"{url}/image") as answer:
            return answer.status

    asks = [asyncio.create_task(get(f"{url}/image")) for _ in range(8)]
    head_ask = asyncio.create_task(head())
    other = await discord_api.send_slash_command(
        "edit",
        {"image": discord_api.upload("other.png", photo((256, 256))), "prompt": "add a hat"},
        user=discord_api.moderator,
    )
    await discord_api.wait_for(lambda: any(m.attachment_bytes() for m in other.visible_messages()))
    assert not any(ask.done() for ask in [*asks, head_ask])  # the page's rendering is still held
    release.set()
    answers = await asyncio.gather(*asks)
    assert {status for status, _, _ in answers} == {200} and await head_ask == 200
    assert len({body for _, body, _ in answers}) == 1
    assert len(renderings) == 1 and discord_api.cdn_downloads[source_id] - downloads_before == 1
    assert decode(answers[0][1]).size == (2048, 1365)


async def test_malformed_sends_and_a_deleted_image_are_4xx_with_the_pages_headers(
    make_config, start_bot, discord_api, images_api, caplog
):
    bot = await start_bot(web_config(make_config))
    state_url, state = await offered_link(discord_api, bot, photo())
    url = state_url

    async def raw_post(body: bytes, content_type: str) -> tuple[int, dict]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers={"Content-Type": content_type}) as answer,
        ):
            return answer.status, dict(answer.headers)

    no_boundary = await raw_post(b"--x\r\n\r\nhello\r\n--x--\r\n", "multipart/form-data")
    no_first_boundary = await raw_post(
        b'Content-Disposition: form-data; name="prompt"\r\n\r\nhi\r\n--x--\r\n', "multipart/form-data; boundary=x"
    )
    for status, headers in (no_boundary, no_first_boundary):
        assert status == 400 and "Content-Security-Policy" in headers and headers["X-Frame-Options"] == "DENY"

    [attachment] = [o["value"] for o in state.payload["data"]["options"] if o["name"] == "image"]
    discord_api.delete_upload(state.payload["data"]["resolved"]["attachments"][attachment])
    status, page, headers = await get(f"{url}/image")
    assert status == 410 and b"deleted" in page and "Content-Security-Policy" in headers
    assert not tracebacks(caplog)
    status, _, _ = await post(url, "a moon", mask_png((400, 300), (0, 0, 9, 9)))  # the link was never used
    assert status == 200


async def test_one_ipv6_host_is_one_client_however_many_addresses_of_its_64_it_uses(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(web_config(make_config, requests_per_minute=3, trusted_proxies=["127.0.0.1/32"]))
    url, _ = await offered_link(discord_api, bot, photo())
    base = url.rpartition("/paint/")[0]
    statuses = []
    for n in range(5):
        headers = {"X-Forwarded-For": f"2001:db8:7:7::{n + 1:x}"}
        async with aiohttp.ClientSession() as session, session.get(f"{base}/paint/x{n}", headers=headers) as answer:
            statuses.append(answer.status)
    assert statuses == [403, 403, 403, 429, 429]
    headers = {"X-Forwarded-For": "2001:db8:7:8::1"}  # the next /64 is another client
    async with aiohttp.ClientSession() as session, session.get(f"{base}/paint/y", headers=headers) as answer:
        assert answer.status == 403
