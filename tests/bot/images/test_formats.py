"""The format asked for: PNG while a PNG of the size surely fits where the result goes, WebP when
it could pass the limit, what the operator pins otherwise, nothing for a model without formats."""

import pytest

from bot.images import ModelRegistry
from bot.images.bodies import common_options
from bot.images.formats import OutputFormat, largest_pixels, output_format

MIB = 1024 * 1024
registry = ModelRegistry({})
GPT, DALL_E = registry.get("gpt-image-2"), registry.get("dall-e-2")


@pytest.mark.parametrize(
    ("size", "limit", "expected"),
    [
        ("1024x1024", 10 * MIB, None),  # 3.2 MB at worst
        ("1536x1024", 10 * MIB, None),
        ("2048x2048", 10 * MIB, OutputFormat("webp", 90)),  # 12.8 MB at worst
        ("3840x2160", 10 * MIB, OutputFormat("webp", 90)),  # 25.3 MB at worst
        ("3840x2160", 50 * MIB, None),  # a server boosted to level 2
        ("3840x2160", 24 * MIB, OutputFormat("webp", 90)),
        (None, 10 * MIB, None),  # auto: the model's largest listed size, 1536x1024
        ("1024x1024", 1 * MIB, OutputFormat("webp", 90)),
    ],
)
def test_auto_asks_for_webp_only_when_a_png_could_pass_the_limit(size, limit, expected):
    assert output_format(GPT, size, limit, choice="auto", compression=90) == expected


def test_the_operators_choice_holds_where_the_model_takes_it():
    assert output_format(GPT, "1024x1024", 10 * MIB, choice="jpeg", compression=70) == OutputFormat("jpeg", 70)
    assert output_format(GPT, "3840x2160", 10 * MIB, choice="png", compression=70) is None
    assert output_format(DALL_E, "1024x1024", 1 * MIB, choice="webp", compression=70) is None
    assert output_format(DALL_E, "1024x1024", 1 * MIB, choice="auto", compression=70) is None


def test_pixels_of_a_size_or_of_the_largest_listed():
    assert largest_pixels(GPT, "3840x2160") == 3840 * 2160
    assert largest_pixels(GPT, "auto") == 1536 * 1024
    assert largest_pixels(DALL_E, None) == 1024 * 1024


def test_the_body_carries_the_format_only_to_models_that_take_it():
    webp = common_options(GPT, size="3840x2160", quality=None, user=None, output=OutputFormat("webp", 80))
    assert (webp["output_format"], webp["output_compression"]) == ("webp", 80)
    png = common_options(GPT, size=None, quality=None, user=None, output=OutputFormat("png", 80))
    assert png["output_format"] == "png" and "output_compression" not in png
    old = common_options(DALL_E, size=None, quality=None, user=None, output=OutputFormat("webp", 80))
    assert "output_format" not in old and "output_compression" not in old
