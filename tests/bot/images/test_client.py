"""The images client against the Images API stand-in, which validates every request."""

import asyncio
import io
import socket

import aiohttp
import pytest
from PIL import Image

from bot.images import ImagesClient, InputImage, ModelRegistry, errors
from bot.images.ratelimit import parse_retry_after
from bot.netguard import AddressRules
from tests.helpers import EXHAUSTED_CREDIT_CODES
from tests.standins.images_api import ImagesStandIn
from tests.standins.images_rules import make_png

MODELS = ModelRegistry()


@pytest.fixture
async def client(images_api):
    async with aiohttp.ClientSession() as session:
        yield ImagesClient(
            session,
            base_url=images_api.base_url,
            api_key=images_api.api_key,
            timeout=5,
            max_retries=2,
            retry_base_delay=0.01,
            max_retry_wait=0.05,
        )


async def test_generate_decodes_b64_and_sends_only_what_the_model_takes(client, images_api):
    result = await client.generate(
        "a fox", model=MODELS.get("gpt-image-2"), n=2, size="1536x864", quality="high", style="vivid", user="u1"
    )
    assert [Image.open(io.BytesIO(image.data)).size for image in result.images] == [(1536, 864)] * 2
    assert result.usage.output_tokens == 2112
    fields = images_api.requests[0].fields
    assert fields == {
        "prompt": "a fox",
        "model": "gpt-image-2",
        "size": "1536x864",
        "quality": "high",
        "n": 2,
        "user": "u1",
    }


async def test_dalle3_fans_out_and_keeps_revised_prompts(client, images_api):
    result = await client.generate("a fox", model=MODELS.get("dall-e-3"), n=3, quality="hd", style="natural")
    assert len(result.images) == 3 and len(images_api.requests) == 3
    assert all(request.fields["n"] == 1 for request in images_api.requests)
    assert images_api.requests[0].fields["response_format"] == "b64_json"
    assert images_api.requests[0].fields["style"] == "natural"
    assert result.images[0].revised_prompt.startswith("a fox")


async def test_unknown_model_sends_basics_and_downloads_url_results(client, images_api):
    result = await client.generate("a fox", model=MODELS.get("acme-diffusion"), n=2, quality="high")
    assert len(result.images) == 2
    assert all(set(request.fields) == {"prompt", "model", "n"} for request in images_api.requests)
    assert Image.open(io.BytesIO(result.images[0].data)).format == "PNG"


async def test_partial_failure_keeps_what_succeeded(client, images_api):
    images_api.fail_next("refuse")
    result = await client.generate("a fox", model=MODELS.get("dall-e-3"), n=2)
    assert len(result.images) == 1
    assert [type(failure) for failure in result.failures] == [errors.ContentPolicyError]


async def test_edit_sends_several_images_as_image_brackets_and_the_mask_as_multipart(client, images_api):
    """Several images go as repeated `image[]` fields: the stand-in, as the live API does, refuses
    a repeated `image` with `duplicate_parameter`."""
    image = InputImage(make_png(64, 64, "src"))
    mask = InputImage(make_png(64, 64, "mask", alpha=True), filename="mask.png")
    result = await client.edit(
        [image, image], "add a hat", model=MODELS.get("gpt-image-2"), mask=mask, input_fidelity="high", size="1024x1024"
    )
    assert len(result.images) == 1
    request = images_api.requests[0]
    assert len(request.files["image"]) == 2 and len(request.files["mask"]) == 1
    assert request.fields["input_fidelity"] == "high"


async def test_edit_sends_a_markup_as_a_file_part_and_never_with_a_mask(client, images_api):
    image = InputImage(make_png(64, 64, "src"))
    markup = InputImage(make_png(64, 64, "notes", alpha=True), filename="markup.png")
    await client.edit([image], "a hat where it's marked", model=MODELS.get("gpt-image-2.6-flare"), markup=markup)
    [request] = images_api.requests
    assert request.files["markup"] == [markup.data] and "mask" not in request.files
    with pytest.raises(ValueError, match="not both"):
        await client.edit([image], "x", model=MODELS.get("gpt-image-2.6-flare"), mask=markup, markup=markup)
    assert len(images_api.requests) == 1


async def test_variation_for_dalle2(client, images_api):
    result = await client.create_variation(
        InputImage(make_png(256, 256, "v")), model=MODELS.get("dall-e-2"), n=2, size="256x256"
    )
    assert len(result.images) == 2
    assert images_api.requests[0].operation == "/v1/images/variations"


async def test_stream_yields_partials_then_the_completed_image(client, images_api):
    events = [
        event
        async for event in client.stream_generate(
            "a fox", model=MODELS.get("gpt-image-2"), partial_images=2, size="1024x1024"
        )
    ]
    assert [event.type for event in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert events[-1].completed and events[-1].usage.total_tokens == 1100
    assert Image.open(io.BytesIO(events[-1].image)).size == (1024, 1024)


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
        client = ImagesClient(
            session, base_url=images_api.base_url, api_key=images_api.api_key, timeout=0.3, max_retries=0
        )
        with pytest.raises(errors.APITimeoutError):
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))


async def test_a_paid_request_is_not_sent_again_after_its_answer_timed_out(images_api):
    """The request reached the provider, which may have made (and billed) the image: no retry."""
    images_api.fail_next("timeout", delay=2, times=3)
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(session, base_url=images_api.base_url, api_key=images_api.api_key, timeout=0.3)
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
        client = ImagesClient(session, base_url=images_api.base_url, api_key=images_api.api_key, max_retry_wait=5)
        await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(waits) == 2 and all(2.0 <= wait <= 2.5 for wait in waits) and waits[0] != waits[1]


async def test_a_retry_after_beyond_the_cap_is_left_to_the_queue(images_api):
    images_api.fail_next("rate_limit", retry_after=120)
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(session, base_url=images_api.base_url, api_key=images_api.api_key, max_retry_wait=5)
        with pytest.raises(errors.RateLimitError) as caught:
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert len(images_api.requests) == 1 and caught.value.wait_in_queue == 120


async def test_an_endless_answer_is_cut_at_the_cap(images_api):
    """A hostile provider's 200 that never ends: read in chunks and refused at the cap, so the bot's
    memory holds at most the cap, not what the provider sends."""
    images_api.fail_next("endless")
    cap = 8 * 2**20
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(session, base_url=images_api.base_url, api_key=images_api.api_key, max_response_bytes=cap)
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
            client = ImagesClient(session, base_url=images_api.base_url, api_key=images_api.api_key)
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
                    session, base_url=f"http://127.0.0.1:{port}/v1", api_key="k", connect_timeout=0.3, max_retries=0
                )
                with pytest.raises(errors.APITimeoutError, match="could not connect"):
                    await client.generate("a fox", model=MODELS.get("gpt-image-2"))
        finally:
            for filler in fillers:
                filler.close()


async def test_a_stream_that_stalls_is_a_bounded_timeout(images_api):
    images_api.fail_next("stall", delay=3)
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(
            session, base_url=images_api.base_url, api_key=images_api.api_key, stall_timeout=0.3, max_retries=0
        )
        events = client.stream_generate("a fox", model=MODELS.get("gpt-image-2"))
        with pytest.raises(errors.APITimeoutError, match=r"sent nothing for 0\.3s"):
            async for _event in events:
                pass


async def test_bad_key_is_an_authentication_error(images_api):
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(session, base_url=images_api.base_url, api_key="sk-wrong", max_retries=3)
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.generate("a fox", model=MODELS.get("gpt-image-2"))
    assert caught.value.code == "invalid_api_key" and len(images_api.requests) == 1


async def test_connection_refused_is_a_connection_error():
    async with aiohttp.ClientSession() as session:
        client = ImagesClient(
            session, base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=1, retry_base_delay=0.01
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


@pytest.mark.parametrize("code", EXHAUSTED_CREDIT_CODES)
def test_every_kind_of_exhausted_credit_is_a_quota_error_not_a_rate_limit(code):
    body = {"error": {"message": "out of credit", "type": "requests", "param": None, "code": code}}
    error = errors.error_from_response(429, body, request_id=None, retry_after=None)
    assert isinstance(error, errors.QuotaExceededError) and not error.retryable and error.kind == "quota"
    limited = errors.error_from_response(
        429, {"error": {**body["error"], "code": "rate_limit_exceeded"}}, request_id=None, retry_after=1.0
    )
    assert type(limited) is errors.RateLimitError and limited.retryable


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
                session, base_url=images_api.base_url, api_key=images_api.api_key, rules=rules, guarded_session=guarded
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
