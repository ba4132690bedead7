"""A description's answer: its prompts numbered and quoted (markdown escaped, cut to fit), an
Imagine button for each whose custom id reads back to the row and the number (and nothing forged
does), and each bot's bound copy running its own actions, its failures reported."""

from types import SimpleNamespace

import discord
import pytest

from bot.surface.describe_items import SHOWN_CHARS, ImagineButton, bound_imagine_button, description_message


class Actions:
    def __init__(self) -> None:
        self.imagined: list[tuple[object, int, int]] = []

    async def imagine(self, interaction, usage_id: int, number: int) -> None:
        self.imagined.append((interaction, usage_id, number))


class Errors:
    def __init__(self) -> None:
        self.guarded_calls: list[object] = []

    async def guarded(self, interaction, work) -> None:
        self.guarded_calls.append(interaction)
        await work


def test_the_answer_numbers_and_quotes_each_prompt_with_a_button_for_each():
    button = bound_imagine_button(Actions(), Errors())
    prompts = ("a *red* fox", "x" * 600, "a cat\nat night", "@everyone")
    text, view = description_message(button, 77, prompts, "en-US")
    lines = text.split("\n")
    assert lines[0] == "**Four prompts for this image.** Press a number to imagine it:"
    assert lines[1] == "**1.** a \\*red\\* fox"
    assert lines[2] == "**2.** " + "x" * (SHOWN_CHARS - 1) + "…"
    assert lines[3:] == ["**3.** a cat at night", "**4.** @everyone"]
    assert [(item.item.label, item.custom_id) for item in view.children] == [
        (f"Imagine {number}", f"ib:imagine:77:{number}") for number in range(1, 5)
    ]
    assert all(isinstance(item, button) for item in view.children) and view.timeout is None


async def test_a_button_reads_back_its_row_and_number():
    made = ImagineButton(123456789012345678, 3, "Imagine 3")
    match = ImagineButton.__discord_ui_compiled_template__.fullmatch(made.custom_id)
    again = await ImagineButton.from_custom_id(None, made.item, match)
    assert (again.usage_id, again.number, again.item.label) == (123456789012345678, 3, "Imagine 3")
    assert ImagineButton(5, 2).item.label == "2"


@pytest.mark.parametrize(
    "forged", ["ib:imagine:1:5", "ib:imagine:1:0", "ib:imagine:1234567890123456789:1", "ib:imagine:x:1"]
)
def test_forged_custom_ids_match_nothing(forged):
    assert not ImagineButton.__discord_ui_compiled_template__.fullmatch(forged)


async def test_each_bots_copy_runs_its_own_actions_through_the_error_path():
    first, second, errors = Actions(), Actions(), Errors()
    one, other = bound_imagine_button(first, errors), bound_imagine_button(second, errors)
    assert one.__discord_ui_compiled_template__ is ImagineButton.__discord_ui_compiled_template__
    interaction = SimpleNamespace(user=SimpleNamespace(id=1))
    await one(9, 2).callback(interaction)
    assert (first.imagined, second.imagined, errors.guarded_calls) == ([(interaction, 9, 2)], [], [interaction])
    assert not hasattr(ImagineButton, "actions") and isinstance(other(1, 1).item, discord.ui.Button)
