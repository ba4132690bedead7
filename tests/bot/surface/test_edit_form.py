"""The Edit form: its prompt, an optional mask upload and area of a 3x3 grid (each sent as not
required), and notes to upload only when the default model takes markup. A mask wins over the
grid; cells the form does not offer are dropped; an edit of the whole image offers the painting
page afterwards."""

from types import SimpleNamespace
from typing import NamedTuple

import discord

from bot.flow.sources import SourceImage
from bot.surface.edit_form import EditForm
from tests.helpers import FakeInteraction

SOURCE = SourceImage("https://cdn.example/fox.png", 1000, "fox.png")


class Intake:
    def __init__(self, markup: bool) -> None:
        self.markup, self.edits = markup, []

    def takes_markup(self) -> bool:
        return self.markup

    async def edit(self, interaction, **request) -> None:
        self.edits.append(request)


class Errors:
    async def guarded(self, interaction, work) -> None:
        await work


def upload(name: str) -> SimpleNamespace:
    return SimpleNamespace(url=f"https://cdn.example/{name}", size=10, filename=name)


def form(*, markup: bool = False, offers: list | None = None) -> tuple[EditForm, Intake]:
    intake = Intake(markup)

    async def offer(interaction, source) -> None:
        offers.append(source)

    made = EditForm(SOURCE, "en-US", intake, Errors(), offer if offers is not None else None)
    return made, intake


class ResolvedKey(NamedTuple):
    id: str


def fill(made: EditForm, prompt: str, *, cells=(), mask=None, notes=None) -> None:
    """What discord.py reads from a submission into each of the form's components."""
    made.prompt_input._refresh_state(None, {"value": prompt})
    made.area_cells._handle_submit(None, {"values": list(cells)}, {})
    for component, attachment in ((made.mask_upload, mask), (made.markup_upload, notes)):
        if component is not None:
            resolved = {ResolvedKey("1"): attachment} if attachment else {}
            component._handle_submit(None, {"values": ["1"] if attachment else []}, resolved)


def test_the_form_offers_notes_only_when_the_model_takes_markup():
    plain, _ = form()
    with_notes, _ = form(markup=True)
    assert (len(plain.children), len(with_notes.children)) == (3, 4)
    assert plain.markup_upload is None and with_notes.markup_upload is not None
    assert not plain.mask_upload.required and not plain.area_cells.required
    assert [option.value for option in plain.area_cells.options] == [str(cell) for cell in range(9)]
    assert plain.area_cells.options[4].label == "centre"
    assert isinstance(plain.children[0], discord.ui.Label)


def test_only_the_cells_the_form_offers_are_taken():
    made, _ = form()
    fill(made, "x", cells=["8", "0", "9", "-1", "x", "0"])
    assert made.area() == [0, 8]


async def test_a_mask_wins_over_the_grid():
    made, intake = form(offers=(offers := []))
    fill(made, "a red scarf", cells=["4"], mask=upload("mask.png"))
    await made.on_submit(FakeInteraction())
    (request,) = intake.edits
    assert request["mask"] == SourceImage("https://cdn.example/mask.png", 10, "mask.png")
    assert (request["area"], request["markup"], request["image"], request["command"]) == ([], None, SOURCE, "edit")
    assert offers == []  # not the whole image: no painting page


async def test_an_area_is_sent_and_notes_go_with_it_for_intake_to_judge():
    made, intake = form(markup=True, offers=(offers := []))
    fill(made, "a red scarf", cells=["1", "2"], notes=upload("notes.png"))
    await made.on_submit(FakeInteraction())
    (request,) = intake.edits
    assert (request["area"], request["mask"], request["markup"].filename) == ([1, 2], None, "notes.png")
    assert offers == []


async def test_an_edit_of_the_whole_image_offers_the_painting_page():
    made, intake = form(offers=(offers := []))
    fill(made, "make it night")
    await made.on_submit(FakeInteraction())
    assert [request["prompt"] for request in intake.edits] == ["make it night"] and offers == [SOURCE]
    unoffered, intake = form()
    fill(unoffered, "make it night")
    await unoffered.on_submit(FakeInteraction())  # no painting page served: nothing offered
    assert len(intake.edits) == 1
