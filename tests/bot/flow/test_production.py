"""Production: a job's inputs fetched and prepared, screened before any paid call, and the call
its kind makes (a streamed single GPT generation with its previews, a variation or its edit
stand-in, an edit with mask and references, a zoom's larger canvas); against the Images stand-in,
members' images on the Discord stand-in's CDN."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image

from bot.db.models import Job
from bot.errors import Flagged, InvalidRequest
from bot.flow.job_params import EditParams, GenerateParams, OutpaintParams, RunningJob, VaryParams
from bot.flow.production import VARIATION_PROMPT, Production, provider_user_id
from bot.flow.sources import SavedReference
from bot.i18n import _
from bot.images import GeneratedImage, ImagesClient, ImagesResult, ModelRegistry
from bot.images.transport import Transport, TransportSettings
from bot.imaging import is_svg
from bot.threads import BoundedThreads
from tests.helpers import decode, encode, uploaded
from tests.standins.images_rules import API_KEY

MODELS = ModelRegistry()
MEMBER = 30
SAVED = {7: encode(Image.new("RGB", (256, 256), (200, 30, 30)))}


class Recorder:
    """The screen and the preview hooks: what each was given, in order."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.screened: list[tuple[str | None, int]] = []
        self.previews: list[int] = []
        self._refuse = refuse

    async def screen(self, prompt, images) -> None:
        self.screened.append((prompt, len(images)))
        if self._refuse:
            raise Flagged(_("Flagged."), ("violence",))

    async def on_preview(self, image: bytes, number: int) -> None:
        assert decode(image).size
        self.previews.append(number)


async def read_saved(reference: SavedReference) -> bytes:
    return SAVED[reference.reference_id]


@pytest.fixture
async def images(images_api) -> AsyncIterator[ImagesClient]:
    async with aiohttp.ClientSession() as session:
        settings = TransportSettings(max_retries=0)
        yield ImagesClient(Transport(session, base_url=images_api.base_url, api_key=API_KEY, settings=settings))


@pytest.fixture
def production(downloads) -> Production:
    return Production(
        downloads=downloads,
        threads=BoundedThreads(2),
        output_format="auto",
        output_compression=80,
        read_saved=read_saved,
    )


def running(params) -> RunningJob:
    job = Job(id=1, user_id=MEMBER, attachment_limit=8 * 2**20)
    return RunningJob(job=job, params=params, spec=MODELS.get(params.model))


def photo(size=(300, 200), colour=(40, 120, 160)) -> bytes:
    return encode(Image.new("RGB", size, colour))


def test_the_provider_sees_a_stable_pseudonym_never_the_discord_id():
    assert provider_user_id(123456789) == provider_user_id(123456789)
    assert provider_user_id(123456789) != provider_user_id(123456780)
    assert "123456789" not in provider_user_id(123456789) and provider_user_id(1).startswith("discord-")


async def test_a_generation_of_several_is_screened_first_then_asked_for_whole(production, images, images_api):
    hooks = Recorder()
    params = GenerateParams(model="gpt-image-2", n=2, prompt="two foxes", size="1024x1024", moderation="low")
    result = await production.produce(running(params), images, hooks.on_preview, hooks.screen)
    assert len(result.images) == 2 and hooks.screened == [("two foxes", 0)] and hooks.previews == []
    [request] = images_api.requests
    assert (request.fields["n"], request.fields["user"]) == (2, provider_user_id(MEMBER))
    assert (request.fields["moderation"], request.fields.get("stream")) == ("low", None)


async def test_a_single_gpt_generation_is_streamed_with_each_partial_image_previewed(production, images, images_api):
    hooks = Recorder()
    params = GenerateParams(model="gpt-image-2", n=1, prompt="a fox")
    result = await production.produce(running(params), images, hooks.on_preview, hooks.screen)
    assert len(result.images) == 1
    assert hooks.previews == [1, 2]
    assert images_api.requests[0].fields["stream"] is True


async def test_a_refusing_screen_stops_the_job_before_any_paid_call(production, images, images_api, discord_api):
    refusing = Recorder(refuse=True)
    for params in [
        GenerateParams(model="gpt-image-2", n=1, prompt="an axe"),
        EditParams(model="gpt-image-2", n=1, prompt="an axe", image=uploaded(discord_api, photo())),
        VaryParams(model="dall-e-2", n=1, image=uploaded(discord_api, photo())),
    ]:
        with pytest.raises(Flagged):
            await production.produce(running(params), images, refusing.on_preview, refusing.screen)
    assert len(refusing.screened) == 3 and images_api.requests == []


async def test_a_variation_is_the_models_own_or_an_edit_that_asks_for_one(production, images, images_api, discord_api):
    hooks = Recorder()
    image = uploaded(discord_api, photo())
    await production.produce(
        running(VaryParams(model="dall-e-2", n=2, image=image)), images, hooks.on_preview, hooks.screen
    )
    await production.produce(
        running(VaryParams(model="gpt-image-2", n=1, image=image)), images, hooks.on_preview, hooks.screen
    )
    assert hooks.screened == [(None, 1), (None, 1)]
    variation, edit = images_api.requests
    assert variation.operation.endswith("/variations") and decode(variation.files["image"][0]).size == (256, 256)
    assert edit.operation.endswith("/edits")
    assert (edit.fields["prompt"], edit.fields["input_fidelity"]) == (VARIATION_PROMPT, "high")


async def test_an_edit_sends_its_image_mask_and_references_saved_or_uploaded(
    production, images, images_api, discord_api
):
    hooks = Recorder()
    mask = Image.new("RGBA", (300, 200), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 150, 100))
    params = EditParams(
        model="gpt-image-2",
        n=1,
        prompt="make it night",
        image=uploaded(discord_api, photo()),
        mask=uploaded(discord_api, encode(mask), "mask.png"),
        references=(SavedReference(7), uploaded(discord_api, photo(colour=(0, 200, 0)), "green.png")),
    )
    result = await production.produce(running(params), images, hooks.on_preview, hooks.screen)
    assert len(result.images) == 1 and hooks.screened == [("make it night", 3)]
    [request] = images_api.requests
    assert len(request.files["image"]) == 3 and len(request.files["mask"]) == 1
    assert decode(request.files["image"][1]).getpixel((0, 0))[:3] == (200, 30, 30)  # the saved one, second


async def test_a_zoom_screens_the_image_as_asked_and_sends_a_larger_masked_canvas(
    production, images, images_api, discord_api
):
    hooks = Recorder()
    params = OutpaintParams(
        model="gpt-image-2", n=1, prompt="a beach", image=uploaded(discord_api, photo((512, 512))), extend=(0.5,) * 4
    )
    await production.produce(running(params), images, hooks.on_preview, hooks.screen)
    assert hooks.screened == [("a beach", 1)]
    [request] = images_api.requests
    canvas, mask = decode(request.files["image"][0]), decode(request.files["mask"][0])
    assert canvas.size == mask.size and canvas.size != (512, 512)
    assert mask.getpixel((0, 0))[3] == 0 and mask.getpixel((canvas.width // 2, canvas.height // 2))[3] == 255


async def test_an_image_that_cannot_be_read_is_refused_before_any_call(production, images, images_api, discord_api):
    hooks = Recorder()
    params = EditParams(model="gpt-image-2", n=1, prompt="x", image=uploaded(discord_api, b"not an image"))
    with pytest.raises(InvalidRequest, match="can't be used"):
        await production.produce(running(params), images, hooks.on_preview, hooks.screen)
    assert (hooks.screened, images_api.requests) == ([], [])


async def test_a_drawing_is_cleaned_and_rendered_for_screening_and_a_picture_stays_itself(production):
    drawing = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
        b'<script>x()</script><rect width="20" height="10"/></svg>'
    )
    picture = photo()
    result = await production.drawings_cleaned(ImagesResult([GeneratedImage(drawing), GeneratedImage(picture)]))
    cleaned, same = result.images
    assert is_svg(cleaned.data) and b"<script" not in cleaned.data and same.data == picture
    rendered, kept = await production.pictures(result)
    assert decode(rendered).format == "PNG" and kept == picture
    preview = await production.preview(photo((2000, 2000)), 50_000)
    assert len(preview.data) <= 50_000
