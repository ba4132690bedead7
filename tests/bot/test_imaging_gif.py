"""Animated GIFs (bot/imaging.py): made to fit an upload limit with every frame kept, each shown as long."""

import io
import itertools

import pytest
from PIL import Image, ImageChops, ImageSequence

from bot.imaging import ImageDataError, extension_of, fit_animation, fit_to_limit, frame_count, load_animation
from tests.standins.images_rules import make_gif, make_svg


def frames_of(data: bytes) -> list[Image.Image]:
    return [frame.convert("RGB") for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


def test_a_gif_that_fits_is_posted_as_it_came():
    data = make_gif(256, 256, "fits", 5, 80)
    result = fit_to_limit(data, len(data))
    assert result.data == data and result.extension == "gif" and frame_count(result.data) == 5


def test_an_oversized_gif_loses_colours_first_and_keeps_its_size_and_every_frame():
    data = make_gif(256, 256, "colours", 6, 150, noise=True)
    limit = len(data) * 3 // 4
    result = fit_to_limit(data, limit)
    assert len(result.data) <= limit and result.extension == "gif" and (result.width, result.height) == (256, 256)
    frames = frames_of(result.data)
    assert len(frames) == 6 and Image.open(io.BytesIO(result.data)).info["duration"] == 150
    assert len(frames[0].getcolors(1 << 16) or []) <= 128


def test_a_gif_far_over_the_limit_gets_smaller_frames_never_fewer():
    data = make_gif(512, 512, "smaller", 8, 60, noise=True)
    result = fit_animation(data, len(data) // 12)
    assert len(result.data) <= len(data) // 12 and result.width < 512
    frames = frames_of(result.data)
    assert len(frames) == 8
    assert all(ImageChops.difference(a, b).getbbox() for a, b in itertools.pairwise(frames))


def test_a_gif_that_cannot_fit_is_refused_not_cut():
    with pytest.raises(ImageDataError, match="cannot be made small enough"):
        fit_animation(make_gif(128, 128, "x", 4, 100, noise=True), 200)


def test_the_frames_of_a_huge_animation_are_read_smaller_so_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr("bot.imaging.MAX_PIXELS", 4 * 64 * 64)
    animation = load_animation(make_gif(128, 128, "huge", 4, 100))
    assert len(animation.frames) == 4 and animation.frames[0].size == (64, 64) and animation.durations == [100] * 4


def test_a_results_extension_is_its_formats_and_an_svg_is_never_given_to_pillow():
    assert extension_of(make_gif(32, 32, "e", 2, 20)) == "gif"
    assert extension_of(make_svg(32, 32, "e")) == "svg"
