"""The reply's text: the prompt shown back safely, the revised prompt, and what was made."""

from bot.flow.result_message import MESSAGE_LIMIT, quote, render_result
from bot.images import GeneratedImage, ImagesResult, ModelRegistry
from bot.images.errors import RateLimitError

MODELS = ModelRegistry()


def test_the_prompt_is_quoted_on_one_line_with_markdown_escaped_and_cut():
    assert quote("a *bold*\n\nfox", 100) == "a \\*bold\\* fox"
    assert quote("x" * 50, 10) == "x" * 9 + "…"


def test_a_result_names_the_model_size_and_count():
    result = ImagesResult(images=[GeneratedImage(b"1"), GeneratedImage(b"2")])
    text = render_result(
        result, prompt="a fox", model=MODELS.get("gpt-image-2"), dimensions="1024x1024", requested=2, locale="en-US"
    )
    assert text == "**Prompt:** a fox\n-# gpt-image-2 · 1024x1024 · 2 images"


def test_a_revised_prompt_is_shown_only_when_it_differs():
    result = ImagesResult(images=[GeneratedImage(b"1", revised_prompt="a red fox in snow")])
    text = render_result(
        result, prompt="a fox", model=MODELS.get("dall-e-3"), dimensions="1024x1024", requested=1, locale="en-US"
    )
    assert "**Revised prompt:** a red fox in snow" in text and text.endswith("1 image")
    same = ImagesResult(images=[GeneratedImage(b"1", revised_prompt="a fox")])
    assert "Revised" not in render_result(
        same, prompt="a fox", model=MODELS.get("dall-e-3"), dimensions="1024x1024", requested=1, locale="en-US"
    )


def test_missing_images_are_explained_in_the_members_language():
    result = ImagesResult(images=[GeneratedImage(b"1")], failures=[RateLimitError("busy", status=429)])
    english = render_result(
        result, prompt=None, model=MODELS.get("dall-e-3"), dimensions="1024x1024", requested=3, locale="en-US"
    )
    assert english.endswith("-# 2 of 3 images could not be made (rate limited); run the command again for more.")
    chinese = render_result(
        result, prompt=None, model=MODELS.get("dall-e-3"), dimensions="1024x1024", requested=3, locale="zh-CN"
    )
    assert "rate limited" in chinese and "could not be made" not in chinese


def test_mentions_stay_text_and_the_reply_fits_discord():
    result = ImagesResult(images=[GeneratedImage(b"1")])
    text = render_result(
        result,
        prompt="@everyone <@123> " + "y" * 5000,
        model=MODELS.get("gpt-image-2"),
        dimensions="1024x1024",
        requested=1,
        locale="en-US",
    )
    assert len(text) <= MESSAGE_LIMIT and "<@123>" in text
