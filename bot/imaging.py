"""Pure image functions, `bytes -> bytes`, for running in worker threads.

Nothing here touches Discord or the network, so every rule is testable with images made
in memory. Callers run these through `bot.threads.BoundedThreads`, never on the event loop.
"""

# Pillow's stubs leave Image.resize and Image.point partly untyped; the rest of this file is strict.
# pyright: reportUnknownMemberType=false

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from bot.i18n import Text, _

MAX_PIXELS = 64_000_000
MIN_EDGE = 64
MAX_INPUT_EDGE = 12_000
MIN_INPUT_EDGE = 16
MAX_ASPECT_RATIO = 20
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
_DALLE2_SIDES = (1024, 512, 256)


class ImageDataError(ValueError):
    """The bytes are not an image we can work with; `reason` says why, for a person."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    extension: str
    width: int
    height: int


def _decode_failure(error: Exception) -> ImageDataError:
    """What a decoder's exception means for a person. Hostile files make Pillow's plugins raise
    almost anything (EOFError, NotImplementedError, struct.error, IndexError...), at open or at
    load: each is the file's fault, so each becomes a reason, never a crash."""
    if isinstance(error, UnidentifiedImageError):
        return ImageDataError(_("the file is not an image"))
    if isinstance(error, Image.DecompressionBombError):
        return ImageDataError(_("the image has more pixels than we handle"))
    if isinstance(error, NotImplementedError):
        return ImageDataError(_("the image is in a format variant we can't read"))
    return ImageDataError(_("the file is truncated or corrupt"))


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageDataError(_("the image is empty"))
    failure, image = None, None
    try:
        image = Image.open(io.BytesIO(data))
    except Exception as error:
        failure = _decode_failure(error)  # raised below, out of the handler: no traceback of the file kept
    if failure is not None or image is None:
        raise failure or ImageDataError(_("the file is not an image"))
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageDataError(_("the image has more pixels than we handle"))
    return image


_SVG_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE|<svg)", re.DOTALL)


def is_svg(data: bytes) -> bool:
    """Whether `data` reads as an SVG drawing (its prolog, then a DOCTYPE or an svg element): text
    for bot/svg.py, never for Pillow."""
    return bool(_SVG_START.match(data[:4096]))


def extension_of(data: bytes) -> str:
    """The extension a result's file takes: `svg` for an SVG drawing, else its image format's."""
    return "svg" if is_svg(data) else describe(data).extension


def describe(data: bytes) -> EncodedImage:
    """Identify an encoded image without re-encoding it."""
    image = _open(data)
    extension = _EXTENSIONS.get(image.format or "", "png")
    return EncodedImage(data=data, extension=extension, width=image.width, height=image.height)


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def fit_to_limit(data: bytes, limit: int) -> EncodedImage:
    """Return the image as is when it fits in `limit` bytes, else re-encoded until it does.

    Order of attempts: an optimized PNG, then lossy WebP (transparent images) or JPEG
    (opaque ones) at falling quality, then the same at smaller scales. Raises
    `ImageDataError` if even a tiny version cannot fit.
    """
    original = describe(data)
    if len(data) <= limit:
        return original
    image = _open(data)
    if getattr(image, "n_frames", 1) > 1 and image.format == "GIF":
        return fit_animation(data, limit)
    image.load()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    lossy_format, extension = ("WEBP", "webp") if has_alpha else ("JPEG", "jpg")

    candidate = _encode(image, "PNG", optimize=True)
    if len(candidate) <= limit:
        return EncodedImage(candidate, "png", image.width, image.height)
    scaled = image
    while min(scaled.size) >= MIN_EDGE:
        for quality in (90, 80, 70, 60):
            candidate = _encode(scaled, lossy_format, quality=quality)
            if len(candidate) <= limit:
                return EncodedImage(candidate, extension, scaled.width, scaled.height)
        new_size = (max(1, int(scaled.width * 0.75)), max(1, int(scaled.height * 0.75)))
        scaled = image.resize(new_size, Image.Resampling.LANCZOS)
    raise ImageDataError(_("the image cannot be made small enough for Discord"))


@dataclass(frozen=True)
class Animation:
    """A GIF's frames (RGBA), how long each shows (ms), and how often it loops (0: forever)."""

    frames: list[Image.Image]
    durations: list[int]
    loop: int

    def scaled(self, factor: float) -> Animation:
        width, height = self.frames[0].size
        size = (max(1, int(width * factor)), max(1, int(height * factor)))
        return Animation(
            [frame.resize(size, Image.Resampling.LANCZOS) for frame in self.frames], self.durations, self.loop
        )

    def encode(self, colours: int) -> bytes:
        """The animation as a GIF of at most `colours` colours a frame, every frame kept."""
        frames = [frame.quantize(colours, method=Image.Quantize.FASTOCTREE) for frame in self.frames]
        buffer = io.BytesIO()
        frames[0].save(
            buffer,
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=self.durations,
            loop=self.loop,
            disposal=2,
            optimize=False,
        )
        return buffer.getvalue()


GIF_COLOURS = (256, 128, 64, 32, 16)


def load_animation(data: bytes) -> Animation:
    """Every frame of a GIF, as RGBA, with its duration: frames are scaled down as they are read
    when all of them together would hold more than `MAX_PIXELS`, so memory stays bounded."""
    image = _open(data)
    count = getattr(image, "n_frames", 1)
    scale = min(1.0, (MAX_PIXELS / (count * image.width * image.height)) ** 0.5)
    frames: list[Image.Image] = []
    durations: list[int] = []
    failure = None
    try:
        for frame in ImageSequence.Iterator(image):
            durations.append(int(frame.info.get("duration") or 100))
            rgba = frame.convert("RGBA")
            if scale < 1.0:
                rgba = rgba.resize((max(1, int(rgba.width * scale)), max(1, int(rgba.height * scale))))
            frames.append(rgba)
    except MemoryError:
        raise
    except Exception as error:
        failure = _decode_failure(error)
    if failure is not None:
        raise failure
    return Animation(frames, durations, int(image.info.get("loop", 0)))


def fit_animation(data: bytes, limit: int) -> EncodedImage:
    """An animated GIF made to fit in `limit` bytes with every frame kept, each shown as long:
    fewer colours first (256 down to 16), then smaller frames (three quarters each time).
    Raises `ImageDataError` if even small frames of 16 colours cannot fit."""
    animation = load_animation(data)
    while min(animation.frames[0].size) >= MIN_EDGE:
        for colours in GIF_COLOURS:
            candidate = animation.encode(colours)
            if len(candidate) <= limit:
                width, height = animation.frames[0].size
                return EncodedImage(candidate, "gif", width, height)
        animation = animation.scaled(0.75)
    raise ImageDataError(_("the image cannot be made small enough for Discord"))


def frame_count(data: bytes) -> int:
    """How many frames an image has (1 for a still)."""
    return getattr(_open(data), "n_frames", 1)


@dataclass(frozen=True)
class PreparedEdit:
    """Inputs ready for upload: the image, and the mask (PNG, transparent = change) or the markup
    (PNG, notes drawn on a transparent overlay) if any, each the image's size."""

    image: EncodedImage
    mask: bytes | None
    markup: bytes | None = None


def load_image(data: bytes) -> Image.Image:
    """Decode an upload safely: pixels capped before decoding, first frame, EXIF orientation
    applied, and any mode (P, LA, CMYK, 16-bit, ...) turned into RGB or RGBA."""
    image = _open(data)
    width, height = image.size
    if max(width, height) > MAX_INPUT_EDGE or min(width, height) < MIN_INPUT_EDGE:
        raise ImageDataError(
            _(
                "the image is {width}x{height}; sides must be {low} to {high} pixels",
                width=width,
                height=height,
                low=MIN_INPUT_EDGE,
                high=MAX_INPUT_EDGE,
            )
        )
    if max(width, height) / min(width, height) > MAX_ASPECT_RATIO:
        raise ImageDataError(_("the image is {width}x{height}, too long and thin to use", width=width, height=height))
    failure = None
    try:  # the image opens at its first frame, whatever that frame's index (PSD, SPIDER: not 0)
        image.load()
        return _normalize_mode(ImageOps.exif_transpose(image))
    except MemoryError:
        raise
    except Exception as error:
        failure = _decode_failure(error)
    raise failure


def _normalize_mode(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


_KEEP_AT_128 = [0 if value < 128 else 255 for value in range(256)]  # lookup tables for Image.point
_CHANGE_AT_128 = [255 - value for value in _KEEP_AT_128]


def _binary_alpha(alpha: Image.Image) -> Image.Image:
    """0 where the pixel is to change, 255 where it stays."""
    return alpha.point(_KEEP_AT_128)


def mask_alpha(data: bytes, size: tuple[int, int]) -> Image.Image:
    """A mask upload as an alpha channel of `size`: an alpha mask's transparent pixels, or a
    black-and-white mask's white pixels, mark what changes."""
    mask = load_image(data)
    alpha = mask.getchannel("A") if mask.mode == "RGBA" else None
    if alpha is None or alpha.getextrema() == (255, 255):
        alpha = mask.convert("L").point(_CHANGE_AT_128)
    if alpha.size != size:
        alpha = alpha.resize(size, Image.Resampling.BILINEAR)
    return _binary_alpha(alpha)


def markup_overlay(data: bytes) -> Image.Image:
    """A markup upload as an RGBA overlay: a PNG with transparency (notes, arrows and circles
    drawn on a transparent layer) that draws something and leaves some of the image clear."""
    if _open(data).format != "PNG":
        raise ImageDataError(_("the markup must be a PNG with a transparent background"))
    overlay = load_image(data)
    if overlay.mode != "RGBA":
        raise ImageDataError(_("the markup must be a PNG with a transparent background"))
    low, high = overlay.getchannel("A").getextrema()
    if high == 0:
        raise ImageDataError(_("the markup is empty; draw notes, arrows or circles on it"))
    if low == 255:
        raise ImageDataError(_("the markup must be a PNG with a transparent background"))
    return overlay


def _fit_square(image: Image.Image, fit: str) -> Image.Image:
    side = min(image.size) if fit == "crop" else max(image.size)
    if fit == "crop":
        return ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
    fill = (0, 0, 0, 0) if image.mode == "RGBA" else (0, 0, 0)
    if image.mode == "L":
        fill = 255
    canvas = Image.new(image.mode, (side, side), fill)
    canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return canvas


def _png(image: Image.Image) -> bytes:
    return _encode(image, "PNG", optimize=image.width * image.height <= 1_100_000)


def grid_alpha(size: tuple[int, int], cells: Sequence[int]) -> Image.Image:
    """A mask's alpha for the 3x3 grid's `cells` (0 top left … 8 bottom right, reading order):
    0 (to change) in those cells, 255 elsewhere; the cells split the image in thirds."""
    width, height = size
    alpha = Image.new("L", size, 255)
    for cell in cells:
        row, column = divmod(cell, 3)
        box = (column * width // 3, row * height // 3, (column + 1) * width // 3, (row + 1) * height // 3)
        alpha.paste(0, box)
    return alpha


def _edit_alpha(image: Image.Image, mask: bytes | None, *, use_own_alpha: bool) -> Image.Image | None:
    """What changes, as an alpha channel of the image's size: the mask's, or the image's own
    transparency; None for the whole image. A mask that marks nothing, or everything, is refused."""
    alpha: Image.Image | None = None
    if mask is not None:
        alpha = mask_alpha(mask, image.size)
    elif use_own_alpha and image.mode == "RGBA":
        own = _binary_alpha(image.getchannel("A"))
        if own.getextrema() == (0, 0):
            raise ImageDataError(_("the image is completely transparent"))
        if own.getextrema() == (0, 255):
            alpha = own
    if alpha is not None:
        low, high = alpha.getextrema()
        if low == 255:
            raise ImageDataError(_("the mask marks nothing to change; paint the area to change white (or transparent)"))
        if high == 0:
            raise ImageDataError(_("the mask marks the whole image; leave the mask out to change everything"))
    return alpha


def prepare_edit(
    data: bytes,
    mask: bytes | None,
    *,
    square_png: bool,
    max_bytes: int,
    fit: str = "crop",
    use_own_alpha: bool = True,
    area: Sequence[int] = (),
    markup: bytes | None = None,
) -> PreparedEdit:
    """Fit an image (and its mask, or its markup) to a model's input rules.

    `square_png` (dall-e-2): centre-crop or pad to a square PNG, then shrink through 1024,
    512 and 256 pixels until under `max_bytes`. Otherwise a PNG under `max_bytes`, shrunk if
    need be. Without a mask, `area` (cells of a 3x3 grid) marks what changes on the fitted image;
    without either, a partly transparent image is used as its own mask. A mask that marks
    nothing, or everything, is refused. A `markup` (never with a mask or an area; the image's own
    transparency is then no mask either) is fitted to the image as a mask is.
    """
    image = load_image(data)
    overlay = markup_overlay(markup) if markup is not None else None
    alpha = _edit_alpha(image, mask, use_own_alpha=use_own_alpha and not area and overlay is None)
    if (alpha is not None or area) and image.mode == "RGBA":
        image = image.convert("RGB")
    if square_png:
        image = _fit_square(image, fit)
        alpha = _fit_square(alpha, fit) if alpha is not None else None
        overlay = _fit_square(overlay, fit) if overlay is not None else None
    if area and mask is None:
        alpha = grid_alpha(image.size, area)
    if square_png:
        sides = [side for side in _DALLE2_SIDES if side <= image.width] or [_DALLE2_SIDES[-1]]
    else:
        sides = [max(image.size)]
    for side in sides:
        scale = side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        scaled = image.resize(size, Image.Resampling.LANCZOS) if size != image.size else image
        encoded = _png(scaled)
        while len(encoded) >= max_bytes and min(scaled.size) > MIN_EDGE and not square_png:
            scaled = scaled.resize((scaled.width * 3 // 4, scaled.height * 3 // 4), Image.Resampling.LANCZOS)
            encoded = _png(scaled)
        if len(encoded) < max_bytes:
            mask_png = None
            if alpha is not None:
                mask_image = Image.new("RGBA", scaled.size, (0, 0, 0, 255))
                mask_image.putalpha(alpha.resize(scaled.size, Image.Resampling.NEAREST))
                mask_png = _png(mask_image)
            markup_png = _png(overlay.resize(scaled.size, Image.Resampling.LANCZOS)) if overlay is not None else None
            return PreparedEdit(EncodedImage(encoded, "png", scaled.width, scaled.height), mask_png, markup_png)
    raise ImageDataError(_("the image cannot be made smaller than {size} MB", size=max_bytes // (1024 * 1024)))


@dataclass(frozen=True)
class Outpaint:
    """A canvas to fill around an image: the image placed on it (PNG, transparent where new pixels
    go), its mask (PNG, transparent there, opaque over the image) and its size, "WxH"."""

    image: bytes
    mask: bytes
    size: str


def outpaint_canvas(
    data: bytes, extend: tuple[float, float, float, float], canvas_size: Callable[[float, float], tuple[int, int]]
) -> Outpaint:
    """Place the image on a larger transparent canvas, extended by `extend` (left, top, right,
    bottom, as fractions of the image's width and height: zoom out 2x is 0.5 on every side, a pan
    left 0.5 on the left). `canvas_size(width, height)` picks the size the model makes nearest that
    canvas; the image is scaled to fit it, its surroundings centred."""
    image = load_image(data).convert("RGBA")
    left, top, right, bottom = extend
    width, height = image.width * (1 + left + right), image.height * (1 + top + bottom)
    target = canvas_size(width, height)
    scale = min(target[0] / width, target[1] / height)
    placed = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    offset = (
        round((target[0] - width * scale) / 2 + left * image.width * scale),
        round((target[1] - height * scale) / 2 + top * image.height * scale),
    )
    canvas = Image.new("RGBA", target, (0, 0, 0, 0))
    canvas.paste(image.resize(placed, Image.Resampling.LANCZOS), offset)
    mask = Image.new("RGBA", target, (0, 0, 0, 0))
    mask.paste((0, 0, 0, 255), (*offset, offset[0] + placed[0], offset[1] + placed[1]))
    return Outpaint(_png(canvas), _png(mask), f"{target[0]}x{target[1]}")


PREVIEW_WIDTH = 480
PREVIEW_GAP = 4


def contact_sheet(images: list[bytes], width: int = PREVIEW_WIDTH) -> bytes:
    """A result's images side by side in rows of up to five, `width` pixels wide, as WebP: the
    thumbnail /history shows for it."""
    columns = min(len(images), 5)
    rows = -(-len(images) // columns)
    cell = (width - PREVIEW_GAP * (columns - 1)) // columns
    sheet = Image.new("RGB", (width, rows * cell + PREVIEW_GAP * (rows - 1)), (43, 45, 49))
    for index, data in enumerate(images):
        image = ImageOps.fit(load_image(data).convert("RGB"), (cell, cell), Image.Resampling.LANCZOS)
        row, column = divmod(index, columns)
        sheet.paste(image, (column * (cell + PREVIEW_GAP), row * (cell + PREVIEW_GAP)))
    return _encode(sheet, "WEBP", quality=80)


SCREENING_EDGE = 768  # the moderation model looks at images about this size; a bigger one only costs upload


def screening_copy(data: bytes) -> bytes:
    """A JPEG of the image, its longer edge at most 768 pixels, for the moderation endpoint:
    transparency is flattened on white, so that nothing hides in the alpha channel."""
    image = load_image(data)  # RGB or RGBA
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    image.thumbnail((SCREENING_EDGE, SCREENING_EDGE), Image.Resampling.LANCZOS)
    return _encode(image, "JPEG", quality=85)


VISION_EDGE = 1024  # a vision model's detailed look tiles at 512 pixels; more only costs tokens


def vision_copy(data: bytes) -> tuple[bytes, str]:
    """The image for a vision model, and its media type: orientation applied, its longer edge at
    most 1024 pixels, as PNG when it has transparency, else as JPEG."""
    image = load_image(data)  # RGB or RGBA
    image.thumbnail((VISION_EDGE, VISION_EDGE), Image.Resampling.LANCZOS)
    if image.mode == "RGBA":
        return _png(image), "image/png"
    return _encode(image, "JPEG", quality=88), "image/jpeg"


PAGE_EDGE = 2048  # the painting page's copy: enough to paint on, small enough for a phone


def page_copy(data: bytes) -> bytes:
    """The image for the painting page: orientation applied, its longer edge at most 2048, as PNG."""
    image = load_image(data)
    image.thumbnail((PAGE_EDGE, PAGE_EDGE), Image.Resampling.LANCZOS)
    return _png(image)
