"""What a job needs to run, one frozen model per kind: built by intake, stored in `Job.params`
as JSON (the same keys as ever, so jobs queued before an upgrade still run), and validated when
read back, so a damaged row fails its job with a clear log line instead of a KeyError deep in
production."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError

from bot.db.models import Job
from bot.errors import InvalidRequest
from bot.flow.sources import InputSource, SourceImage
from bot.i18n import _
from bot.images import ModelSpec

Fit = Literal["crop", "pad"]
Moderation = Literal["auto", "low"]
ResultFormat = Literal["image", "gif", "svg"]


def _from_base64(value: object) -> object:
    return base64.b64decode(value, validate=True) if isinstance(value, str) else value


# Bytes held as base64 text in the JSON, as bytes in the model.
StoredBytes = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(lambda data: base64.b64encode(data).decode("ascii"), when_used="json"),
]


def as_format(value: str) -> ResultFormat:
    """The kind of file to make, from a command's choice; a forged choice is refused."""
    if value in ("image", "gif", "svg"):
        return "gif" if value == "gif" else "svg" if value == "svg" else "image"
    raise InvalidRequest(_("Choose a format: image, gif or svg."))


def as_fit(value: str) -> Fit:
    """How an image is made square, from a command's choice; a forged choice is refused."""
    if value in ("crop", "pad"):
        return "pad" if value == "pad" else "crop"
    raise InvalidRequest(_("Choose how to fit the image: crop or pad."))


class DamagedJob(Exception):
    """A job whose stored params are not those of its kind."""


class _Params(BaseModel):
    """What every kind carries. `size` and `moderation` are decided when the job is admitted
    (the guild's policy may choose the size; `low` only in an age-restricted channel whose guild
    chose it), `spoiler` when asked for or when the guild posts everything as spoilers."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[str]

    model: str
    n: int = Field(ge=1)
    size: str | None = None
    moderation: Moderation = "auto"
    spoiler: bool = False

    def stored(self) -> dict[str, object]:
        """The JSON `Job.params` holds."""
        return self.model_dump(mode="json")


class _Looks(BaseModel):
    """How the picture is made, where the member chose: the model's quality, complexity (how busy
    the image is) and background (`transparent`, `opaque`, `auto`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quality: str | None = None
    complexity: str | None = None
    background: str | None = None


class _Output(BaseModel):
    """What kind of file is made, where the member chose: `image` (PNG, WebP or JPEG, as fits where
    it goes), an animated `gif` of `frames` frames shown `frame_ms` each (None: the model's
    defaults), or an `svg` drawing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: ResultFormat = "image"
    frames: int | None = None
    frame_ms: int | None = None


class GenerateParams(_Params, _Looks, _Output):
    """`draft`: made fast and cheap (images.draft_model), its result offering Enhance."""

    kind: ClassVar[str] = "generate"
    prompt: str
    draft: bool = False


class EditParams(_Params, _Looks, _Output):
    """`mask`: an uploaded mask to fetch; `mask_png`: one painted on the page (base64 PNG in the
    JSON); `area`: cells of a 3x3 grid when there is neither. `references`: further images.
    `image` and `references` may be saved references (/references), read by id when the job runs.
    `markup`: an uploaded markup to fetch (notes drawn on a transparent overlay of the image);
    `markup_png`: one drawn on the page. A markup never comes with a mask or an area.
    `alpha_as_mask`: without a mask, the image's own transparency marks where it changes."""

    kind: ClassVar[str] = "edit"
    prompt: str
    image: InputSource
    fit: Fit = "crop"
    mask: SourceImage | None = None
    mask_png: StoredBytes | None = None
    area: tuple[int, ...] = ()
    references: tuple[InputSource, ...] = ()
    input_fidelity: Literal["high"] | None = None  # keep the input's detail (a draft's Enhance)
    markup: SourceImage | None = None
    markup_png: StoredBytes | None = None
    alpha_as_mask: bool = True  # the image's own transparency marks where it changes (not in a blend)


class VaryParams(_Params):
    kind: ClassVar[str] = "vary"
    prompt: None = None  # a variation has no words of the member's
    image: SourceImage
    fit: Fit = "crop"


class OutpaintParams(_Params):
    """Zoom out or pan: `extend` grows the canvas on each side (left, top, right, bottom), as a
    fraction of the image's width or height."""

    kind: ClassVar[str] = "outpaint"
    prompt: str
    image: SourceImage
    extend: tuple[float, float, float, float]


JobParams = GenerateParams | EditParams | VaryParams | OutpaintParams
_BY_KIND: dict[str, type[JobParams]] = {
    kind.kind: kind for kind in (GenerateParams, EditParams, VaryParams, OutpaintParams)
}


def params_of(job: Job) -> JobParams:
    """The job's params as its kind's model; DamagedJob when the row does not hold them."""
    model = _BY_KIND.get(job.kind)
    if model is None:
        raise DamagedJob(f"job {job.id} is of an unknown kind {job.kind!r}")
    try:
        return model.model_validate(job.params)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors())
        raise DamagedJob(f"job {job.id}'s {job.kind} params are damaged: {problems}") from None


@dataclass(frozen=True)
class RunningJob:
    """A job as it runs: its row, its params (read once, when it starts) and its model."""

    job: Job
    params: JobParams
    spec: ModelSpec
