"""The views on replies: a result as one Components V2 message (its text, a gallery of its
pictures, an SVG drawing as a file beside them) with its buttons: on one image a button for each
action; on several, Vary and Edit numbered, five to a row, and pickers for the rest; a queued
request's Cancel; the kept images' button."""

import io
from types import SimpleNamespace

import discord

from bot.surface.result_items import FrameMenu, bound
from bot.surface.result_view import ResultButtons


def buttons() -> ResultButtons:
    actions = SimpleNamespace()
    actions.frame_menu = bound(FrameMenu, actions)
    return ResultButtons(actions)  # the views read only the picker's menu class of the actions


def files(*names: str) -> list[discord.File]:
    return [discord.File(io.BytesIO(b"x"), filename=name, spoiler=name.startswith("SPOILER_")) for name in names]


def ids(view: discord.ui.LayoutView) -> list[list[str]]:
    rows = [child for child in view.children if isinstance(child, discord.ui.ActionRow)]
    return [[item.custom_id.split(":", 1)[1] for item in row.children] for row in rows]


def test_one_image_gets_a_button_for_each_action():
    view = buttons().result(
        5, "a fox", files("a.png"), rerollable=True, upscalable=True, enhanceable=True, locale="en-US"
    )
    text, gallery = view.children[:2]
    assert isinstance(text, discord.ui.TextDisplay) and text.content == "a fox"
    assert isinstance(gallery, discord.ui.MediaGallery)
    assert [item.media.url for item in gallery.items] == ["attachment://a.png"]
    assert ids(view) == [
        ["vary:5:0", "edit:5:0", "reroll:5", "remix:5", "delete:5"],
        ["enhance:5:0", "upscale:5:0", "z15:5:0", "z2:5:0"],
        ["pl:5:0", "pr:5:0", "pu:5:0", "pd:5:0"],
    ]


def test_a_result_that_cannot_be_made_again_has_no_reroll_nor_remix():
    view = buttons().result(5, "edited", files("a.png"), rerollable=False, locale="en-US")
    assert ids(view)[:2] == [["vary:5:0", "edit:5:0", "delete:5"], ["z15:5:0", "z2:5:0"]]


def test_several_images_get_numbered_buttons_five_to_a_row_and_pickers():
    names = [f"{index}.png" for index in range(7)]
    view = buttons().result(
        8, "foxes", files(*names), rerollable=True, upscalable=True, enhanceable=True, locale="en-US"
    )
    rows = ids(view)
    assert rows[:4] == [
        [f"vary:8:{index}" for index in range(5)],
        [f"vary:8:{index}" for index in (5, 6)],
        [f"edit:8:{index}" for index in range(5)],
        [f"edit:8:{index}" for index in (5, 6)],
    ]
    assert rows[4:] == [["reroll:8", "remix:8", "delete:8", "reframe:8", "pickupscale:8"], ["pickenhance:8"]]
    labels = [item.item.label for item in view.children[2].children]
    assert labels == ["V1", "V2", "V3", "V4", "V5"]


def test_a_drawing_goes_as_a_file_beside_the_gallery_and_spoilers_stay_hidden():
    view = buttons().result(3, "logo", files("SPOILER_a.png", "SPOILER_a.svg"), rerollable=True, locale="en-US")
    gallery, drawing = view.children[1:3]
    assert [(item.media.url, item.spoiler) for item in gallery.items] == [("attachment://SPOILER_a.png", True)]
    assert isinstance(drawing, discord.ui.File) and (drawing.media.url, drawing.spoiler) == (
        "attachment://SPOILER_a.svg",
        True,
    )
    assert ids(view)[0] == ["vary:3:0", "edit:3:0", "reroll:3", "remix:3", "delete:3"]  # one picture: single buttons


def test_the_cancel_and_kept_views_hold_their_one_button():
    made = buttons()
    (cancel,) = made.cancel(42, "en-US").children
    (kept,) = made.kept("en-US").children
    assert (isinstance(cancel, made.cancel_button), cancel.custom_id) == (True, "ib:cancel:42")
    assert isinstance(kept, made.kept_button) and kept.item.label == "Get my images"
    assert made.items == (made.result_button, made.cancel_button, made.kept_button, made.frame_menu)
