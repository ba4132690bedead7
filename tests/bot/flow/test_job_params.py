"""Job params: one model per kind, stored as the same JSON as before, validated when read back."""

import pytest

from bot.db.models import Job
from bot.flow.job_params import DamagedJob, EditParams, GenerateParams, OutpaintParams, VaryParams, params_of
from bot.flow.sources import SourceImage

PHOTO = SourceImage("https://cdn.discordapp.com/attachments/1/2/photo.png", 1234, "photo.png")


def stored_job(kind: str, params: dict) -> Job:
    return Job(id=7, kind=kind, params=params)


@pytest.mark.parametrize(
    "params",
    [
        GenerateParams(model="gpt-image-2", n=2, size="1024x1024", prompt="a fox", quality="high", spoiler=True),
        EditParams(
            model="gpt-image-2",
            n=1,
            prompt="make it night",
            image=PHOTO,
            mask_png=b"\x89PNG\r\n\x1a\n\x00painted",
            area=(0, 4),
            references=(PHOTO, PHOTO),
        ),
        VaryParams(model="dall-e-2", n=3, fit="pad", image=PHOTO),
        OutpaintParams(model="gpt-image-2", n=1, prompt="wider", image=PHOTO, extend=(0.5, 0.0, 0.0, 0.0)),
    ],
)
def test_what_is_stored_reads_back_the_same(params):
    again = params_of(stored_job(params.kind, params.stored()))
    assert again == params and type(again) is type(params)


def test_jobs_queued_before_the_upgrade_still_read():
    """The dicts intake wrote before params were typed: keys left out then take their defaults."""
    edit = params_of(
        stored_job(
            "edit",
            {
                "prompt": "add a moon",
                "fit": "crop",
                "image": {"url": PHOTO.url, "size": 1234, "filename": "photo.png"},
                "mask": None,
                "references": [],
                "moderation": "auto",
                "size": None,
                "spoiler": False,
                "model": "gpt-image-2",
                "n": 1,
            },
        )
    )
    assert isinstance(edit, EditParams) and edit.image == PHOTO and edit.area == () and edit.mask_png is None
    vary = params_of(
        stored_job(
            "vary", {"fit": "pad", "image": {"url": PHOTO.url, "size": None, "filename": "p.png"}, "model": "m", "n": 2}
        )
    )
    assert isinstance(vary, VaryParams) and vary.prompt is None and vary.moderation == "auto"


def test_a_painted_mask_is_base64_text_in_the_json():
    stored = EditParams(model="m", n=1, prompt="p", image=PHOTO, mask_png=b"\x00\xff").stored()
    assert stored["mask_png"] == "AP8="


@pytest.mark.parametrize(
    ("kind", "params", "named"),
    [
        ("generate", {"model": "m", "n": 1}, "prompt: Field required"),
        ("generate", {"model": "m", "n": 0, "prompt": "p"}, "n: Input should be greater than or equal to 1"),
        ("edit", {"model": "m", "n": 1, "prompt": "p", "image": {"url": "u"}}, "image.SourceImage.size"),
        ("vary", {"model": "m", "n": 1, "image": PHOTO.__dict__, "fit": "stretch"}, "fit"),
        ("outpaint", {"model": "m", "n": 1, "prompt": "p", "image": PHOTO.__dict__, "extend": [1, 2]}, "extend"),
        ("generate", {"model": "m", "n": 1, "prompt": "p", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("edit", {"model": "m", "n": 1, "prompt": "p", "image": PHOTO.__dict__, "mask_png": "not base64!"}, "mask_png"),
    ],
)
def test_a_damaged_row_names_what_is_wrong_and_never_its_values(kind, params, named):
    with pytest.raises(DamagedJob) as raised:
        params_of(stored_job(kind, params))
    assert named in str(raised.value) and f"job 7's {kind} params are damaged" in str(raised.value)
    assert "not base64!" not in str(raised.value) and "stretch" not in str(raised.value)


def test_an_unknown_kind_is_damaged():
    with pytest.raises(DamagedJob, match="unknown kind 'sketch'"):
        params_of(stored_job("sketch", {"model": "m", "n": 1}))


def test_params_are_read_from_the_row_as_it_is_now():
    job = stored_job("vary", VaryParams(model="m", n=1, image=PHOTO).stored())
    assert params_of(job).n == 1
    job.params = {**job.params, "n": 0}  # a new dict (as admission or a reload writes): read anew
    with pytest.raises(DamagedJob, match="n: Input should be greater than or equal to 1"):
        params_of(job)
