"""Screening before a paid call: which flagged categories refuse (the operator's, less `sexual` at
the guild's `low` level, `sexual/minors` always), the Flagged refusal naming them and saying whether
an image was flagged, and the made images' check; against the moderation stand-in."""

import pytest
from PIL import Image

from bot.errors import Flagged
from bot.flow.screening import Screener, refusing
from bot.images.moderation import Moderation
from bot.threads import BoundedThreads
from tests.helpers import encode

RED, BLUE = (255, 0, 0), (0, 0, 255)


def picture(colour) -> bytes:
    return encode(Image.new("RGB", (900, 600), colour))


@pytest.fixture(autouse=True)
def rules(images_api) -> None:
    images_api.moderation.words.update({"axe": ("violence",), "nude": ("sexual",), "child": ("sexual/minors",)})
    images_api.moderation.colours.append((RED, ("violence",)))
    images_api.moderation.colours.append((BLUE, ("sexual",)))


def screener(moderation: Moderation, categories=(), *, check_results: bool = False) -> Screener:
    return Screener(moderation, categories=categories, threads=BoundedThreads(2), check_results=check_results)


def test_the_refusing_categories_are_the_chosen_ones_less_sexual_when_relaxed_and_minors_always():
    flagged = frozenset({"violence", "sexual", "sexual/minors", "hate"})
    assert refusing(flagged, frozenset(), relaxed=False) == ("hate", "sexual", "sexual/minors", "violence")
    assert refusing(flagged, frozenset({"violence"}), relaxed=False) == ("sexual/minors", "violence")
    assert refusing(flagged, frozenset(), relaxed=True) == ("hate", "sexual/minors", "violence")
    assert refusing(frozenset({"sexual"}), frozenset({"sexual"}), relaxed=True) == ()
    assert refusing(frozenset(), frozenset(), relaxed=False) == ()


async def test_a_flagged_prompt_refuses_with_its_categories_and_no_image_blamed(moderation):
    with pytest.raises(Flagged) as refused:
        await screener(moderation).check_inputs("an axe", [picture((0, 255, 0))], relaxed=False)
    assert (refused.value.categories, refused.value.in_image) == (("violence",), False)
    assert "(violence)" in refused.value.message.render("en-US")


async def test_a_flagged_image_refuses_and_says_an_image_was_flagged(moderation):
    with pytest.raises(Flagged) as refused:
        await screener(moderation).check_inputs("a field", [picture((0, 255, 0)), picture(RED)], relaxed=False)
    assert (refused.value.categories, refused.value.in_image) == (("violence",), True)


async def test_only_the_operators_categories_refuse_and_a_relaxed_request_may_be_sexual(moderation):
    found = await screener(moderation, ["sexual"]).check_inputs("an axe", [], relaxed=False)
    assert (found.flagged, found.screened) == ({"violence"}, True)  # flagged, not refusing
    found = await screener(moderation).check_inputs("nude", [picture(BLUE)], relaxed=True)
    assert found.flagged == {"sexual"}
    with pytest.raises(Flagged) as refused:
        await screener(moderation, ["violence"]).check_inputs("a nude child", [], relaxed=True)
    assert refused.value.categories == ("sexual/minors",)


async def test_a_screening_that_fails_lets_the_request_go_on_unscreened(moderation, images_api):
    images_api.moderation.fault = "down"
    found = await screener(moderation).check_inputs("an axe", [picture(RED)], relaxed=False)
    assert (found.flagged, found.screened) == (frozenset(), False)


async def test_made_images_are_checked_for_the_refusing_categories_only(moderation):
    check = screener(moderation, ["violence", "sexual"], check_results=True)
    assert check.check_results
    assert await check.check_result([picture(RED), picture(BLUE)], relaxed=False) == ("sexual", "violence")
    assert await check.check_result([picture(BLUE)], relaxed=True) == ()
    assert await check.check_result([picture((0, 255, 0))], relaxed=False) == ()
