"""The images client against the Images API stand-in, which validates every request."""

import io

import pytest
from PIL import Image

from bot.images import InputImage, ModelRegistry, errors
from tests.helpers import EXHAUSTED_CREDIT_CODES
from tests.standins.images_rules import make_png

MODELS = ModelRegistry()


async def test_generate_decodes_b64_and_sends_only_what_the_model_takes(client, images_api):
    result = await client.generate(
        "a fox", model=MODELS.get("gpt-image-2"), n=2, size="1536x864", quality="high", user="u1"
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
    result = await client.generate("a fox", model=MODELS.get("dall-e-3"), n=3, quality="hd")
    assert len(result.images) == 3 and len(images_api.requests) == 3
    assert all(request.fields["n"] == 1 for request in images_api.requests)
    assert images_api.requests[0].fields["response_format"] == "b64_json"
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


@pytest.mark.parametrize("code", EXHAUSTED_CREDIT_CODES)
def test_every_kind_of_exhausted_credit_is_a_quota_error_not_a_rate_limit(code):
    body = {"error": {"message": "out of credit", "type": "requests", "param": None, "code": code}}
    error = errors.error_from_response(429, body, request_id=None, retry_after=None)
    assert isinstance(error, errors.QuotaExceededError) and not error.retryable and error.kind == "quota"
    limited = errors.error_from_response(
        429, {"error": {**body["error"], "code": "rate_limit_exceeded"}}, request_id=None, retry_after=1.0
    )
    assert type(limited) is errors.RateLimitError and limited.retryable
