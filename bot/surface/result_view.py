"""The views the request flow attaches to its answers: a result as one Components V2 message with its
buttons, a queued request's Cancel and the notice about kept images. `ResultButtons` binds the item
classes (result_items.py) to the `ResultActions` they run (which bind the zoom/pan picker's menu
themselves, since they build its menus), and is what `app.py` registers with discord.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.flow.intake import REFRAMES
from bot.flow.sources import is_drawing
from bot.surface.result_actions import ResultActions
from bot.surface.result_items import CancelButton, KeptButton, ResultButton, bound

BUTTONS_PER_ROW = 5


class ResultButtons:
    """The item classes bound to `actions` (bot/surface/result_items.py), and the views made of them."""

    def __init__(self, actions: ResultActions) -> None:
        """The picker's menu class is the one `actions` bound when they were made: they build its menus."""
        self.result_button = bound(ResultButton, actions)
        self.cancel_button = bound(CancelButton, actions)
        self.kept_button = bound(KeptButton, actions)
        self.frame_menu = actions.frame_menu
        self.items = (self.result_button, self.cancel_button, self.kept_button, self.frame_menu)

    def cancel(self, job_id: int, locale: str) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(self.cancel_button(job_id, locale=locale))
        return view

    def kept(self, locale: str) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(self.kept_button(locale=locale))
        return view

    def result(
        self,
        usage_id: int,
        text: str,
        files: Sequence[discord.File],
        *,
        rerollable: bool,
        enhanceable: bool = False,
        upscalable: bool = False,
        locale: str,
    ) -> discord.ui.LayoutView:
        """A result as one Components V2 message: its text (the prompt; mentions never ping), a
        gallery of its images (the files, real attachments) and its buttons (Enhance on a draft,
        Upscale where the model makes the image larger)."""
        view = discord.ui.LayoutView(timeout=None)
        view.add_item(discord.ui.TextDisplay(text))
        pictures = [file for file in files if not is_drawing(file.filename)]
        gallery = [discord.MediaGalleryItem(f"attachment://{file.filename}", spoiler=file.spoiler) for file in pictures]
        view.add_item(discord.ui.MediaGallery(*gallery))
        for drawing in (file for file in files if is_drawing(file.filename)):  # Discord shows no SVG inline
            view.add_item(discord.ui.File(f"attachment://{drawing.filename}", spoiler=drawing.spoiler))
        rows = self._result_rows(
            usage_id,
            len(pictures),
            rerollable=rerollable,
            enhanceable=enhanceable,
            upscalable=upscalable,
            locale=locale,
        )
        for row in rows:
            view.add_item(discord.ui.ActionRow(*row))
        return view

    def _result_rows(
        self, usage_id: int, count: int, *, rerollable: bool, enhanceable: bool, upscalable: bool, locale: str
    ) -> list[list[Any]]:
        """Vary and Edit for each image (V1, E1, ... when there are several), Reroll and Remix (on a
        generation's result) and Delete; zoom out and pan, Upscale, and a draft's Enhance: on a
        single image, a button each; on several, one button each that opens a picker of the image
        (Upscale and Enhance for each image would pass Discord's 40 components on 10 images)."""
        button = self.result_button
        again = ["reroll", "remix"] if rerollable else []
        ending = [button(action, usage_id, locale=locale) for action in [*again, "delete"]]
        if count == 1:
            remade = [*(["enhance"] if enhanceable else []), *(["upscale"] if upscalable else [])]
            zooms = [action for action in REFRAMES if action.startswith("z")]
            return [
                [button("vary", usage_id, 0, locale=locale), button("edit", usage_id, 0, locale=locale), *ending],
                [button(action, usage_id, 0, locale=locale) for action in [*remade, *zooms]],
                [button(action, usage_id, 0, locale=locale) for action in REFRAMES if action.startswith("p")],
            ]
        rows = []
        for action in ("vary", "edit"):
            labelled = [
                button(action, usage_id, index, f"{action[0].upper()}{index + 1}", locale) for index in range(count)
            ]
            rows += [labelled[start : start + BUTTONS_PER_ROW] for start in range(0, count, BUTTONS_PER_ROW)]
        pickers = ["reframe", *(["pickupscale"] if upscalable else []), *(["pickenhance"] if enhanceable else [])]
        last = [*ending, *(button(action, usage_id, locale=locale) for action in pickers)]
        return [*rows, *(last[start : start + BUTTONS_PER_ROW] for start in range(0, len(last), BUTTONS_PER_ROW))]
