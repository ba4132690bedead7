"""The Images API stand-in refuses what the real service refuses, so passing tests mean something."""

import aiohttp
import pytest


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": "x", "model": "gpt-image-2", "n": "two"}, None),
        ({"prompt": "x", "model": "gpt-image-2", "response_format": "b64_json"}, "response_format"),
        ({"prompt": "x", "model": "dall-e-3", "n": 2}, "n"),
        ({"prompt": "x", "model": "dall-e-2", "output_format": "png"}, "output_format"),
        ({"prompt": "x", "model": "gpt-image-1.5", "size": "1536x864"}, "size"),
        ({"prompt": "x" * 1001, "model": "dall-e-2"}, "prompt"),
        ({"model": "gpt-image-2"}, None),
    ],
)
async def test_invalid_generation_requests_are_refused(images_api, body, param):
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{images_api.base_url}/images/generations",
            json=body,
            headers={"Authorization": f"Bearer {images_api.api_key}"},
        ) as response,
    ):
        answer = await response.json()
    assert response.status == 400
    assert answer["error"]["param"] == param
    images_api.violations.clear()


async def test_unknown_models_are_not_found(images_api):
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{images_api.base_url}/images/generations",
            json={"prompt": "x", "model": "nope"},
            headers={"Authorization": f"Bearer {images_api.api_key}"},
        ) as response,
    ):
        answer = await response.json()
    assert response.status == 404 and answer["error"]["code"] == "model_not_found"
