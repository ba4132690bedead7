"""The items on results and queued requests, as module-level `DynamicItem` classes (their custom
ids carry what they act on, so they work after a restart), and `bound`, which gives one bot's
copies of them the collaborators they run with.

- `ResultButton`: `ib:ACTION:USAGE_ID[:IMAGE_INDEX]` (vary, edit, reroll, remix, delete, zoom and pan,
  upscale, a draft's enhance, and the pickers of zoom/pan, of upscale and of enhance);
- `CancelButton`: `ib:cancel:JOB_ID` on a queued request;
- `KeptButton`: `ib:results` on the private notice about kept images;
- `FrameMenu`: `ib:frame:USAGE_ID:PART`, the picker's menus of image and way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, cast

import discord

from bot.i18n import Text, _

if TYPE_CHECKING:
    from bot.surface.errors import ErrorReporter

# Custom ids are the member's to forge: ids are ASCII digits, at most 18 (they fit a BIGINT).
RESULT_TEMPLATE = (
    r"ib:(?P<action>vary|edit|reroll|remix|delete|reframe|hvary|z15|z2|pl|pr|pu|pd|enhance|pickenhance|upscale|pickupscale)"
    r":(?P<usage>[0-9]{1,18})"
    r"(?::(?P<index>[0-9]{1,2}))?"
)
FRAME_TEMPLATE = r"ib:frame:(?P<usage>[0-9]{1,18}):(?P<part>[0-9])"
CANCEL_TEMPLATE = r"ib:cancel:(?P<job>[0-9]{1,18})"
KEPT_TEMPLATE = r"ib:results"
LOOKS: dict[str, tuple[Text | None, discord.ButtonStyle, str]] = {
    "vary": (_("Vary"), discord.ButtonStyle.secondary, "🔀"),
    "hvary": (_("Vary"), discord.ButtonStyle.secondary, "🔀"),
    "edit": (_("Edit"), discord.ButtonStyle.secondary, "✏️"),
    "reroll": (_("Reroll"), discord.ButtonStyle.primary, "🎲"),
    "remix": (_("Remix"), discord.ButtonStyle.primary, "🎛️"),
    "delete": (_("Delete"), discord.ButtonStyle.danger, "🗑️"),
    "cancel": (_("Cancel"), discord.ButtonStyle.secondary, "✖️"),
    "results": (_("Get my images"), discord.ButtonStyle.primary, "📥"),
    "reframe": (_("Zoom / pan…"), discord.ButtonStyle.secondary, "🖼️"),
    "enhance": (_("Enhance"), discord.ButtonStyle.success, "✨"),
    "pickenhance": (_("Enhance…"), discord.ButtonStyle.success, "✨"),
    "upscale": (_("Upscale"), discord.ButtonStyle.success, "⏫"),
    "pickupscale": (_("Upscale…"), discord.ButtonStyle.success, "⏫"),
    "z15": (_("Zoom out 1.5×"), discord.ButtonStyle.secondary, "🔍"),
    "z2": (_("Zoom out 2×"), discord.ButtonStyle.secondary, "🔍"),
    "pl": (None, discord.ButtonStyle.secondary, "⬅️"),
    "pr": (None, discord.ButtonStyle.secondary, "➡️"),
    "pu": (None, discord.ButtonStyle.secondary, "⬆️"),
    "pd": (None, discord.ButtonStyle.secondary, "⬇️"),
}


class ItemActions(Protocol):
    """What the items run (`ResultActions` in result_actions.py)."""

    errors: ErrorReporter

    async def press(self, interaction: discord.Interaction, action: str, usage_id: int, index: int) -> None: ...

    async def cancel(self, interaction: discord.Interaction, job_id: int) -> None: ...

    async def hand_over_kept(self, interaction: discord.Interaction) -> None: ...

    async def frame_chosen(self, interaction: discord.Interaction, usage_id: int, value: str) -> None: ...


def button(custom_id: str, action: str, label: str | None, locale: str) -> discord.ui.Button[Any]:
    text, style, emoji = LOOKS[action]
    label = label or (text.render(locale) if text is not None else None)
    return discord.ui.Button(label=label, style=style, custom_id=custom_id, emoji=emoji)


class ResultButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=RESULT_TEMPLATE):
    """A button on a result: `ib:ACTION:USAGE_ID[:IMAGE_INDEX]`."""

    actions: ClassVar[ItemActions]

    def __init__(
        self, action: str, usage_id: int, index: int | None = None, label: str | None = None, locale: str = "en-US"
    ) -> None:
        custom_id = f"ib:{action}:{usage_id}" + (f":{index}" if index is not None else "")
        super().__init__(button(custom_id, action, label, locale))
        self.action, self.usage_id, self.index = action, usage_id, index or 0

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ResultButton:
        index = int(match["index"]) if match["index"] is not None else None
        return cls(match["action"], int(match["usage"]), index, getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        work = self.actions.press(interaction, self.action, self.usage_id, self.index)
        await self.actions.errors.guarded(interaction, work)


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CANCEL_TEMPLATE):
    """Cancel on a queued request: `ib:cancel:JOB_ID`."""

    actions: ClassVar[ItemActions]

    def __init__(self, job_id: int, label: str | None = None, locale: str = "en-US") -> None:
        super().__init__(button(f"ib:cancel:{job_id}", "cancel", label, locale))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CancelButton:
        return cls(int(match["job"]), getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.actions.errors.guarded(interaction, self.actions.cancel(interaction, self.job_id))


class KeptButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=KEPT_TEMPLATE):
    """On the private notice about kept images: hands them over, like /results."""

    actions: ClassVar[ItemActions]

    def __init__(self, label: str | None = None, locale: str = "en-US") -> None:
        super().__init__(button("ib:results", "results", label, locale))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> KeptButton:
        return cls(getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.actions.errors.guarded(interaction, self.actions.hand_over_kept(interaction))


class FrameMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=FRAME_TEMPLATE):
    """The private picker of "Zoom / pan" on a result of several images: options are
    "IMAGE_INDEX:ACTION", the images those on the picker itself."""

    actions: ClassVar[ItemActions]

    def __init__(self, usage_id: int, part: int, options: list[discord.SelectOption] | None = None) -> None:
        super().__init__(discord.ui.Select(custom_id=f"ib:frame:{usage_id}:{part}", options=options or []))
        self.usage_id = usage_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FrameMenu:
        return cls(int(match["usage"]), int(match["part"]), getattr(item, "options", []))

    async def callback(self, interaction: discord.Interaction) -> None:
        choice = self.item.values[0] if self.item.values else ""
        await self.actions.errors.guarded(interaction, self.actions.frame_chosen(interaction, self.usage_id, choice))


Item = TypeVar("Item", bound=discord.ui.DynamicItem[Any])


def bound(item: type[Item], actions: object) -> type[Item]:
    """One bot's copy of `item`, running `actions`: a subclass with the same template, so that
    several bots in one process (the tests start them) never share their collaborators."""
    template = item.__discord_ui_compiled_template__  # pyright: ignore[reportAttributeAccessIssue]  set by DynamicItem
    copy = type(item.__name__, (item,), {"actions": actions}, template=template)  # pyright: ignore[reportCallIssue]  type() passes template to __init_subclass__
    return cast("type[Item]", copy)
