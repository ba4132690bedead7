"""Input rules for /edit and /vary, on real image files made here in every mode."""

import pytest
from PIL import Image

from bot.imaging import ImageDataError, load_image, mask_alpha, prepare_edit
from tests.helpers import decode, encode, markup_png


@pytest.mark.parametrize(
    ("image", "fmt", "mode"),
    [
        (Image.new("RGB", (40, 30), "red"), "JPEG", "RGB"),
        (Image.new("RGBA", (40, 30), (0, 0, 255, 128)), "WEBP", "RGBA"),
        (Image.new("P", (40, 30), 3), "GIF", "RGB"),
        (Image.new("RGB", (40, 30), "green"), "BMP", "RGB"),
        (Image.new("CMYK", (40, 30), (0, 255, 0, 0)), "TIFF", "RGB"),
        (Image.new("LA", (40, 30), (100, 50)), "PNG", "RGBA"),
        (Image.new("I;16", (40, 30), 60000), "PNG", "RGB"),
        (Image.new("1", (40, 30), 1), "PNG", "RGB"),
    ],
)
def test_formats_and_modes_load_as_rgb_or_rgba(image, fmt, mode):
    loaded = load_image(encode(image, fmt))
    assert loaded.mode == mode and loaded.size == (40, 30)


def test_sixteen_bit_keeps_its_brightness():
    assert load_image(encode(Image.new("I;16", (20, 20), 60000))).getpixel((0, 0))[0] > 200


def test_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert load_image(data).getpixel((0, 0))[0] > 200


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (60, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6
    assert load_image(encode(image, "JPEG", exif=exif)).size == (20, 60)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"GIF89a not really", "not an image"),
        (encode(Image.new("RGB", (200, 200), "red"))[:300], "truncated or corrupt"),
        (encode(Image.new("1", (20_000, 20_000))), "more pixels"),
        (encode(Image.new("RGB", (12_001, 20))), "sides must be"),
        (encode(Image.new("RGB", (8, 8))), "sides must be"),
        (encode(Image.new("RGB", (4000, 100))), "too long and thin"),
    ],
)
def test_bad_uploads_are_refused(data, message):
    with pytest.raises(ImageDataError, match=message):
        load_image(data)


def test_black_and_white_masks_become_alpha_masks_scaled_to_the_image():
    mask = Image.new("L", (50, 50), 0)
    mask.paste(255, (0, 0, 25, 50))
    alpha = mask_alpha(encode(mask), (100, 100))
    assert alpha.size == (100, 100)
    assert alpha.getpixel((10, 50)) == 0 and alpha.getpixel((90, 50)) == 255


def test_alpha_masks_keep_their_meaning():
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 32, 64))
    alpha = mask_alpha(encode(mask), (64, 64))
    assert alpha.getpixel((5, 5)) == 0 and alpha.getpixel((60, 5)) == 255


@pytest.mark.parametrize(("fill", "message"), [(0, "marks nothing"), (255, "whole image")])
def test_empty_and_full_masks_are_refused(fill, message):
    with pytest.raises(ImageDataError, match=message):
        prepare_edit(
            encode(Image.new("RGB", (64, 64))),
            encode(Image.new("L", (64, 64), fill)),
            square_png=False,
            max_bytes=4 << 20,
        )


def test_partly_transparent_image_is_its_own_mask():
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 16, 16))
    prepared = prepare_edit(encode(image), None, square_png=False, max_bytes=50 << 20)
    mask = decode(prepared.mask)
    assert mask.mode == "RGBA" and mask.size == (64, 64)
    assert mask.getpixel((2, 2))[3] == 0 and mask.getpixel((40, 40))[3] == 255


def test_opaque_image_without_mask_has_none():
    assert prepare_edit(encode(Image.new("RGB", (64, 64))), None, square_png=False, max_bytes=1 << 20).mask is None


@pytest.mark.parametrize(("fit", "expected"), [("crop", (300, 300)), ("pad", (300, 300))])
def test_dalle2_inputs_become_square_pngs_with_matching_masks(fit, expected):
    image = Image.new("RGB", (300 if fit == "crop" else 150, 450 if fit == "crop" else 300), "blue")
    mask = Image.new("L", image.size, 0)
    mask.paste(255, (0, 0, image.width // 2, image.height))
    prepared = prepare_edit(encode(image, "JPEG"), encode(mask), square_png=True, max_bytes=4 << 20, fit=fit)
    result = decode(prepared.image.data)
    assert result.format == "PNG" and result.width == result.height
    assert decode(prepared.mask).size == result.size


def test_large_dalle2_inputs_shrink_under_four_megabytes():
    noisy = Image.merge("RGB", [Image.effect_noise((1600, 1600), 120) for _ in range(3)])
    prepared = prepare_edit(encode(noisy, "PNG", compress_level=1), None, square_png=True, max_bytes=4 << 20)
    assert len(prepared.image.data) < 4 << 20 and prepared.image.width in (1024, 512, 256)


def test_gpt_inputs_shrink_under_their_limit():
    noisy = Image.merge("RGB", [Image.effect_noise((900, 600), 120) for _ in range(3)])
    prepared = prepare_edit(encode(noisy, "JPEG"), None, square_png=False, max_bytes=400_000)
    assert len(prepared.image.data) < 400_000 and prepared.image.width / prepared.image.height == pytest.approx(
        1.5, 0.02
    )


def test_a_jpeg_cut_inside_its_header_is_corrupt():
    with pytest.raises(ImageDataError, match="truncated or corrupt"):
        load_image(encode(Image.new("RGB", (640, 480), "teal"), "JPEG")[:400])


def test_a_markup_is_fitted_to_the_image_and_the_images_own_transparency_is_then_no_mask():
    image = Image.new("RGBA", (200, 100), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 20, 20))
    prepared = prepare_edit(
        encode(image), None, square_png=False, max_bytes=50 << 20, markup=markup_png((100, 50), (50, 0, 100, 25))
    )
    markup = decode(prepared.markup)
    assert prepared.mask is None and (markup.format, markup.mode, markup.size) == ("PNG", "RGBA", (200, 100))
    assert markup.getpixel((150, 25)) == (255, 59, 48, 255) and markup.getpixel((50, 75))[3] == 0


def test_a_markup_shrinks_with_its_image():
    noise = Image.merge("RGB", [Image.effect_noise((800, 800), 100) for _ in range(3)])
    markup = markup_png((800, 800), (0, 0, 400, 400))
    prepared = prepare_edit(encode(noise), None, square_png=False, max_bytes=1 << 20, markup=markup)
    assert decode(prepared.markup).size == (prepared.image.width, prepared.image.height) != (800, 800)


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        (encode(Image.new("RGB", (64, 64), "red")), "transparent background"),
        (encode(Image.new("RGBA", (64, 64), (255, 0, 0, 255))), "transparent background"),
        (encode(Image.new("RGBA", (64, 64), (255, 0, 0, 90)), "WEBP"), "transparent background"),
        (encode(Image.new("RGBA", (64, 64), (255, 0, 0, 0))), "markup is empty"),
        (b"not an image", "not an image"),
    ],
)
def test_a_markup_must_be_a_png_with_transparency_that_draws_something(markup, message):
    with pytest.raises(ImageDataError, match=message):
        prepare_edit(encode(Image.new("RGB", (64, 64))), None, square_png=False, max_bytes=4 << 20, markup=markup)
