"""The Images API stand-in refuses what the real service refuses, so passing tests mean something."""

import base64
import io

import aiohttp
import pytest
from PIL import Image


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


async def test_the_model_list_names_exactly_the_models_it_serves(images_api):
    retiring = type(images_api)(retired_models=frozenset({"dall-e-2"}))
    await retiring.start()
    try:
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": f"Bearer {images_api.api_key}"}
            for standin in (images_api, retiring):
                async with session.get(f"{standin.base_url}/models", headers=headers) as response:
                    listed = [model["id"] for model in (await response.json())["data"]]
                assert listed == standin.served_models()
                for model in ["dall-e-2", "dall-e-3", "gpt-image-2", "acme-diffusion", "nope"]:
                    async with session.post(
                        f"{standin.base_url}/images/generations", json={"prompt": "x", "model": model}, headers=headers
                    ) as response:
                        assert (response.status == 200) == (model in listed), (model, response.status)
    finally:
        await retiring.close()
    assert "dall-e-2" in images_api.served_models() and "dall-e-2" not in retiring.served_models()
    assert not retiring.violations, retiring.violations


async def test_the_model_list_refuses_a_wrong_key(images_api):
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{images_api.base_url}/models", headers={"Authorization": "Bearer sk-wrong"}) as response,
    ):
        assert response.status == 401


async def test_a_placeholder_image_carries_its_prompt_in_a_caption(images_api):
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{images_api.base_url}/images/generations",
            json={"prompt": "a fox in the snow", "model": "gpt-image-2"},
            headers={"Authorization": f"Bearer {images_api.api_key}"},
        ) as response,
    ):
        data = base64.b64decode((await response.json())["data"][0]["b64_json"])
    image = Image.open(io.BytesIO(data)).convert("RGB")
    middle = image.crop((image.width // 4, image.height * 2 // 5, image.width * 3 // 4, image.height * 3 // 5))
    colours = {colour for _, colour in middle.getcolors(1 << 16) or []}
    assert (20, 20, 20) in colours and (255, 255, 255) in colours  # the caption's band, and its text


def _png(size, mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("model", "parts", "status"),
    [
        ("gpt-image-2.6-flare", {"markup": _png((64, 64))}, 200),
        ("gpt-image-2.6-sunburst", {"markup": _png((64, 64))}, 200),
        ("gpt-image-2.5-flare", {"markup": _png((64, 64))}, 400),
        ("gpt-image-2", {"markup": _png((64, 64))}, 400),
        ("gpt-image-2.6-flare", {"markup": _png((64, 64)), "mask": _png((64, 64))}, 400),
        ("gpt-image-2.6-flare", {"markup": _png((32, 64))}, 400),
        ("gpt-image-2.6-flare", {"markup": _png((64, 64), "RGB")}, 400),
    ],
)
async def test_markup_only_on_2_6_never_with_a_mask_and_a_transparent_png_of_the_images_size(
    images_api, model, parts, status
):
    form = aiohttp.FormData()
    form.add_field("model", model)
    form.add_field("prompt", "a hat where it's marked")
    form.add_field("image", _png((64, 64), "RGB"), filename="image.png", content_type="image/png")
    for name, data in parts.items():
        form.add_field(name, data, filename=f"{name}.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{images_api.base_url}/images/edits", data=form, headers={"Authorization": f"Bearer {images_api.api_key}"}
        ) as response,
    ):
        answer = await response.json()
    assert response.status == status, answer
    assert status == 200 or answer["error"]["param"] == "markup"
