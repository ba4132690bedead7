"""The screening client against the moderation stand-in (validated against the spec): the
prompt and each image in requests of their own, at once; a failure is "not screened", never a
refusal."""

import io

import aiohttp
from PIL import Image

from bot.images.moderation import Moderation
from bot.images.transport import Transport, TransportSettings
from tests.standins.images_rules import API_KEY


def jpeg(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def screen(images_api, text, images):
    async with aiohttp.ClientSession() as session:
        transport = Transport(
            session,
            base_url=images_api.base_url,
            api_key=API_KEY,
            settings=TransportSettings(max_retries=1, retry_base_delay=0),
        )
        return await Moderation(transport, model="omni-moderation-latest").screen(text, images)


async def test_text_and_each_image_are_screened_in_requests_of_their_own(images_api):
    images_api.moderation.words["axe"] = ("violence",)
    images_api.moderation.colours.append(((0, 0, 255), ("self-harm",)))
    found = await screen(images_api, "an axe", [(jpeg((0, 0, 255)), "image/jpeg"), (jpeg((0, 255, 0)), "image/jpeg")])
    assert (found.flagged, found.in_images, found.screened) == (
        frozenset({"violence", "self-harm"}),
        {"self-harm"},
        True,
    )
    assert sorted(len(request["input"]) for request in images_api.moderation_requests) == [1, 1, 1]


async def test_two_images_in_one_request_are_refused_as_the_live_api_does(images_api):
    url = "data:image/jpeg;base64,"
    async with aiohttp.ClientSession() as session:
        body = {"input": [{"type": "image_url", "image_url": {"url": url}}] * 2}
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with session.post(f"{images_api.base_url}/moderations", json=body, headers=headers) as answer:
            assert (answer.status, (await answer.json())["error"]["code"]) == (400, "too_many_images")


async def test_an_outage_or_a_garbled_answer_is_not_screened_and_not_a_refusal(images_api):
    for fault in ("down", "garbage"):
        images_api.moderation.fault = fault
        found = await screen(images_api, "a boat", [])
        assert (found.screened, found.flagged) == (False, frozenset()), fault
        assert found.problem
