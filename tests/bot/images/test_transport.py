"""The transport against the Images API stand-in: one error mapping, the retries, timeouts and caps,
and a guild account's transport of its own."""

import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web

from bot.images import ImagesClient, ModelRegistry, errors
from bot.images.ratelimit import parse_retry_after
from bot.images.transport import Transport, TransportSettings
from bot.netguard import AddressRules
from tests.helpers import local_server
from tests.standins.images_api import ImagesStandIn
from tests.standins.images_rules import make_png

MODELS = ModelRegistry()


def stand_in_client(session: aiohttp.ClientSession, images_api: ImagesStandIn, **settings) -> ImagesClient:
    """The images client on `session` to the Images stand-in, its transport's `settings` as given."""
    return ImagesClient(
        Transport(
            session, base_url=images_api.base_url, api_key=images_api.api_key, settings=TransportSettings(**settings)
        )
    )


@pytest.mark.parametrize(
    ("kind", "error_class", "attempts"),
    [
        ("refuse", errors.ContentPolicyError, 1),
        ("quota", errors.QuotaExceededError, 1),
        ("rate_limit", errors.RateLimitError, 1),  # a Retry-After of an hour is left to the queue
        ("server_error", errors.InternalServerError, 3),
        ("overloaded", errors.InternalServerError, 3),
        ("request_timeout", errors.APITimeoutError, 3),
        ("garbage", errors.InvalidResponseError, 1),
    ],
)
async def test_errors_are_typed_and_only_transient_ones_retried(client, images_api, kind, error_class, attempts):
    images_api.fail_next(kind, times=5, retry_after=3600 if kind == "rate_limit" else None)
    with pytest.raises(error_class) as caught:
        await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(images_api.requests) == attempts
    if kind != "garbage":
        assert caught.value.status in (400, 408, 429, 500, 503) and caught.value.message


async def test_transient_errors_then_success(client, images_api):
    images_api.fail_next("rate_limit", times=2, retry_after=0.01)
    result = await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(result.images) == 1 and len(images_api.requests) == 3


async def test_timeout_is_bounded_and_typed(images_api):
    images_api.fail_next("timeout", delay=2)
    async with aiohttp.ClientSession() as session:
        client = stand_in_client(session, images_api, timeout=0.3, max_retries=0)
        with pytest.raises(errors.APITimeoutError):
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))


async def test_a_paid_request_is_not_sent_again_after_its_answer_timed_out(images_api):
    """The request reached the provider, which may have made (and billed) the image: no retry."""
    images_api.fail_next("timeout", delay=2, times=3)
    async with aiohttp.ClientSession() as session:
        client = stand_in_client(session, images_api, timeout=0.3)
        with pytest.raises(errors.AnswerTimeoutError) as caught:
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(images_api.requests) == 1 and not caught.value.worth_retrying


@pytest.mark.parametrize(("kind", "should_retry", "attempts"), [("server_error", False, 1), ("refuse", True, 2)])
async def test_the_providers_x_should_retry_wins(client, images_api, kind, should_retry, attempts):
    images_api.fail_next(kind, should_retry=should_retry)
    if should_retry:
        result = await client.generate("a fox", model=MODELS.get("gpt-image-2"))
        assert len(result.images) == 1
    else:
        with pytest.raises(errors.InternalServerError):
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(images_api.requests) == attempts


async def test_a_retry_after_is_honoured_never_shortened(images_api, monkeypatch):
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        if seconds:  # the client's own waits; aiohttp's sleep(0) yields go through
            waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("bot.images.transport.asyncio.sleep", sleep)
    images_api.fail_next("rate_limit", times=2, retry_after=2.0)
    async with aiohttp.ClientSession() as session:
        client = stand_in_client(session, images_api, max_retry_wait=5)
        await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(waits) == 2 and all(2.0 <= wait <= 2.5 for wait in waits) and waits[0] != waits[1]


async def test_a_retry_after_beyond_the_cap_is_left_to_the_queue(images_api):
    images_api.fail_next("rate_limit", retry_after=120)
    async with aiohttp.ClientSession() as session:
        client = stand_in_client(session, images_api, max_retry_wait=5)
        with pytest.raises(errors.RateLimitError) as caught:
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(images_api.requests) == 1 and caught.value.wait_in_queue == 120


async def test_an_endless_answer_is_cut_at_the_cap(images_api):
    """A hostile provider's 200 that never ends: read in chunks and refused at the cap, so the bot's
    memory holds at most the cap, not what the provider sends."""
    images_api.fail_next("endless")
    cap = 8 * 2**20
    async with aiohttp.ClientSession() as session:
        client = stand_in_client(session, images_api, max_response_bytes=cap)
        with pytest.raises(errors.InvalidResponseError, match="larger than 8 MiB"):
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(images_api.requests) == 1
    assert images_api.endless_sent < 64 * 2**20  # it stopped sending once the bot hung up


async def test_a_redirect_is_not_followed(images_api):
    target = ImagesStandIn()
    await target.start()
    try:
        images_api.fail_next("redirect", code=f"{target.base_url}/images/generations")
        async with aiohttp.ClientSession() as session:
            client = stand_in_client(session, images_api)
            with pytest.raises(errors.InvalidResponseError, match="redirect"):
                await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    finally:
        await target.close()
    assert not target.requests


async def test_a_connection_that_never_opens_is_a_bounded_timeout():
    """A server whose accept queue is full drops new connections' SYNs: connecting hangs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            async with aiohttp.ClientSession() as session:
                client = ImagesClient(
                    Transport(
                        session,
                        base_url=f"http://127.0.0.1:{port}/v1",
                        api_key="k",
                        settings=TransportSettings(connect_timeout=0.3, max_retries=0),
                    )
                )
                with pytest.raises(errors.APITimeoutError, match="could not connect"):
                    await client.generate("a fox", model=MODELS.get("gpt-image-2"))
        finally:
            for filler in fillers:
                filler.close()


async def test_a_stream_that_stalls_is_a_bounded_timeout(images_api):
    images_api.fail_next("stall", delay=3)
    async with aiohttp.ClientSession() as session:
        client = stand_in_client(session, images_api, stall_timeout=0.3, max_retries=0)
        events = client.stream_generate("a fox", model=MODELS.get("gpt-image-2"))
        with pytest.raises(errors.APITimeoutError, match=r"sent nothing for 0\.3s"):
            async for _event in events:
                pass


async def test_bad_key_is_an_authentication_error(images_api):
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(
            Transport(
                session, base_url=images_api.base_url, api_key="sk-wrong", settings=TransportSettings(max_retries=3)
            )
        )
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert caught.value.code == "invalid_api_key" and len(images_api.requests) == 1


async def test_connection_refused_is_a_connection_error():
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(
            Transport(
                session,
                base_url="http://127.0.0.1:9/v1",
                api_key="k",
                settings=TransportSettings(max_retries=1, retry_base_delay=0.01),
            )
        )
        with pytest.raises(errors.APIConnectionError):
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))


def test_retry_after_forms():
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "7"}) == 7
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert parse_retry_after({}) is None


async def test_a_stream_that_fails_before_its_first_event_is_retried_like_any_request(client, images_api):
    images_api.fail_next("overloaded", times=2)
    events = [event async for event in client.stream_generate("a fox", model=MODELS.get("gpt-image-2"))]
    assert events[-1].completed and len(images_api.requests) == 3


async def test_a_slow_guild_account_holds_only_its_own_parallel_requests(images_api):
    """A guild's provider that takes its time (a tarpit) has one request at a time of its own; the
    bot's account, and every other guild's, keep theirs."""
    tarpit = ImagesStandIn()
    await tarpit.start()
    tarpit.gate = asyncio.Event()  # the tarpit answers nothing until the end of the test
    rules = AddressRules(["127.0.0.1/32"])
    try:
        async with aiohttp.ClientSession() as session, rules.session() as guarded:
            client = ImagesClient(
                Transport(
                    session,
                    base_url=images_api.base_url,
                    api_key=images_api.api_key,
                    rules=rules,
                    guarded_session=guarded,
                )
            )
            guild = client.for_account(base_url=tarpit.base_url, api_key=tarpit.api_key, max_parallel_requests=1)
            slow = asyncio.create_task(guild.generate("a fox", model=MODELS.get("dall-e-3"), n=3))
            await tarpit.wait_for_requests(1)
            result = await client.generate("a hare", model=MODELS.get("gpt-image-2"), n=2)
            assert len(result.images) == 2 and not slow.done()  # made while the tarpit holds the guild's
            assert len(tarpit.requests) == 1  # one at a time there
            tarpit.gate.set()
            assert len((await slow).images) == 3
    finally:
        tarpit.gate.set()
        await tarpit.close()


@pytest.fixture
async def links():
    """A host of image links: `/image.png`, `/slow.png` (answers after 2 s) and nothing else."""
    image = make_png(8, 8, "link")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(body=image, content_type="image/png")

    app = web.Application()

    async def whole(request: web.Request) -> web.Response:
        return web.Response(body=image, content_type="image/png")

    app.router.add_get("/image.png", whole)
    app.router.add_get("/slow.png", slow)
    async with local_server(app) as host:
        yield host, image


@pytest.fixture
def closed_port():
    """A port bound but not listening: connecting to it is refused, and no one else can take it."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


async def test_a_download_fails_with_the_same_typed_errors_as_a_request(links, closed_port):
    """One mapping: an image link's failures are the typed errors a request's are, naming the link."""
    host, image = links
    async with aiohttp.ClientSession() as session:
        transport = Transport(session, base_url=f"{host}/v1", api_key="k", settings=TransportSettings(timeout=0.3))
        assert await transport.download(f"{host}/image.png") == image
        with pytest.raises(errors.InvalidResponseError, match="HTTP 404") as missing:
            await transport.download(f"{host}/gone.png")
        with pytest.raises(errors.AnswerTimeoutError, match=r"no answer from the image link within 0\.3s") as slow:
            await transport.download(f"{host}/slow.png")
        with pytest.raises(errors.APIConnectionError, match="could not reach the image link") as refused:
            await transport.download(f"http://127.0.0.1:{closed_port}/image.png")
    assert missing.value.status == 404 and not slow.value.worth_retrying and refused.value.kind == "connection"


async def test_a_request_that_cannot_connect_names_the_images_api(closed_port):
    async with aiohttp.ClientSession() as session:
        transport = Transport(
            session,
            base_url=f"http://127.0.0.1:{closed_port}/v1",
            api_key="k",
            settings=TransportSettings(max_retries=0),
        )
        with pytest.raises(errors.APIConnectionError, match="could not reach the Images API"):
            await transport.request("/models", method="GET")


async def test_a_link_the_address_rules_refuse_is_blocked_before_connecting(links):
    host, _image = links
    async with aiohttp.ClientSession() as session:
        transport = Transport(session, base_url="https://api.openai.com/v1", api_key="k", rules=AddressRules())
        with pytest.raises(errors.BlockedAddressError) as caught:
            await transport.download(f"{host}/image.png")
    assert not caught.value.worth_retrying


async def test_a_guild_key_at_the_operators_base_url_is_a_transport_of_its_own(images_api):
    """`for_account` without a base URL: the guild's key at the operator's provider, the same
    settings and error hook, and the bot's own key untouched."""
    failures: list[str] = []
    async with aiohttp.ClientSession() as session:
        bot = Transport(
            session,
            base_url=images_api.base_url,
            api_key=images_api.api_key,
            settings=TransportSettings(max_retries=3),
            on_error=lambda error: failures.append(error.kind),
        )
        guild = bot.for_account(base_url=None, api_key="sk-guilds-own", max_parallel_requests=1)
        with pytest.raises(errors.AuthenticationError):
            await guild.request("/models", method="GET")
        assert (await bot.request("/models", method="GET"))["data"]
    assert guild.base_url == bot.base_url and failures == ["auth"]
