import io

import pytest
from PIL import Image

from bot.imaging import ImageDataError, describe, fit_to_limit
from tests.standins.images_rules import make_png


def test_small_images_pass_through_untouched():
    data = make_png(128, 128, "small")
    result = fit_to_limit(data, 1_000_000)
    assert result.data == data and result.extension == "png"


def test_opaque_images_over_the_limit_become_jpeg_that_fits():
    data = make_png(768, 768, "big", noise=True)
    result = fit_to_limit(data, 150_000)
    assert len(result.data) <= 150_000 and result.extension == "jpg"
    assert Image.open(io.BytesIO(result.data)).format == "JPEG"


def test_transparent_images_keep_their_alpha():
    data = make_png(768, 768, "alpha", noise=True, alpha=True)
    result = fit_to_limit(data, 150_000)
    image = Image.open(io.BytesIO(result.data))
    assert len(result.data) <= 150_000 and image.format == "WEBP" and "A" in image.getbands()


def test_tiny_limits_scale_down():
    data = make_png(1024, 1024, "scale", noise=True)
    result = fit_to_limit(data, 20_000)
    assert len(result.data) <= 20_000 and result.width < 1024


def test_impossible_limits_are_refused():
    with pytest.raises(ImageDataError, match="cannot be made small enough"):
        fit_to_limit(make_png(256, 256, "x", noise=True), 50)


@pytest.mark.parametrize(("data", "message"), [(b"", "empty"), (b"not an image at all", "not an image")])
def test_non_images_are_refused(data, message):
    with pytest.raises(ImageDataError, match=message):
        describe(data)
