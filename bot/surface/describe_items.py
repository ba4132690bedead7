"""A description's answer: its four prompts, numbered, and an Imagine button for each,
`ib:imagine:USAGE_ID:NUMBER` (a `DynamicItem`: the prompts are kept by the row's id, so the
buttons work after a restart)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import discord

from bot.flow.result_message import quote
from bot.i18n import _

if TYPE_CHECKING:
    from bot.surface.errors import ErrorReporter

IMAGINE_TEMPLATE = r"ib:imagine:(?P<usage>[0-9]{1,18}):(?P<number>[1-4])"
SHOWN_CHARS = 450  # of each prompt in the message (four fit Discord's 2000 characters); the button runs it whole


class DescribeActions(Protocol):
    """What the buttons run (`Describer` in bot/flow/describe.py)."""

    async def imagine(self, interaction: discord.Interaction, usage_id: int, number: int) -> None: ...


class ImagineButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=IMAGINE_TEMPLATE):
    """Imagine N under a description: runs /imagine with its Nth prompt."""

    actions: ClassVar[DescribeActions]
    errors: ClassVar[ErrorReporter]

    def __init__(self, usage_id: int, number: int, label: str | None = None) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label or str(number),
            emoji="🎨",
            style=discord.ButtonStyle.secondary,
            custom_id=f"ib:imagine:{usage_id}:{number}",
        )
        super().__init__(button)
        self.usage_id, self.number = usage_id, number

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ImagineButton:
        return cls(int(match["usage"]), int(match["number"]), getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.errors.guarded(interaction, self.actions.imagine(interaction, self.usage_id, self.number))


def bound_imagine_button(actions: DescribeActions, errors: ErrorReporter) -> type[ImagineButton]:
    """One bot's copy of the button, running `actions`, its failures reported by `errors`."""
    template = ImagineButton.__discord_ui_compiled_template__  # pyright: ignore[reportAttributeAccessIssue]  set by DynamicItem
    copy = type("ImagineButton", (ImagineButton,), {"actions": actions, "errors": errors}, template=template)  # pyright: ignore[reportCallIssue]  type() passes template to __init_subclass__
    return copy


def description_message(
    button: type[ImagineButton], usage_id: int, prompts: tuple[str, ...], locale: str
) -> tuple[str, discord.ui.View]:
    """The answer's text (each prompt quoted, its markdown escaped) and its Imagine buttons, of
    the bound `button` class (discord.py registers the class of a sent view's dynamic items)."""
    lines = [_("**Four prompts for this image.** Press a number to imagine it:").render(locale)]
    lines += [f"**{number}.** {quote(prompt, SHOWN_CHARS)}" for number, prompt in enumerate(prompts, 1)]
    view = discord.ui.View(timeout=None)
    for number in range(1, len(prompts) + 1):
        view.add_item(button(usage_id, number, _("Imagine {number}", number=number).render(locale)))
    return "\n".join(lines), view
