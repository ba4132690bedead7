"""Intake: each way a command asks for images checked against the model's rules before anything
is sent (no deferral, no row), then "thinking..." once, the row saved, and the job admitted and
queued with the params its kind needs. Real catalog, policy, admission (an idle runner), styles
and SQLite; the interaction is a recording fake."""

import pytest

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.db.models import GuildSettings, Job, UsageRecord
from bot.errors import InvalidRequest
from bot.flow.intake import (
    BLEND_PROMPT,
    REFRAMES,
    UPSCALE_PROMPT,
    blend_prompt,
)
from bot.flow.sources import SavedReference, SourceImage
from bot.flow.styles import BUILTIN_STYLES, apply_template
from tests.helpers import FLOW_DRAFTS, fake_interaction, flow_intake, idle_runner, stored_rows_and_jobs

GUILD = 10
DRAFTS = FLOW_DRAFTS


def image(number: int = 1) -> SourceImage:
    return SourceImage(f"https://cdn.example.com/{number}/photo.png", 1000, "photo.png")


class Parts:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        policy = Policy(PriceTable(), personal_images_per_day=10)
        self.runner = idle_runner(sessions, policy)
        self.intake = flow_intake(sessions, policy, self.runner)

    def imagine(self, interaction, *, prompt="a fox", model=None, size=None, quality=None, n=1, **options):
        """/imagine through the intake: of a fox, no model, size or quality asked for, one image, unless said."""
        return self.intake.generate(
            interaction, command="imagine", prompt=prompt, model=model, size=size, quality=quality, n=n, **options
        )

    async def one_job(self) -> tuple[UsageRecord, Job]:
        [row], [job] = await stored_rows_and_jobs(self.sessions)
        assert self.runner.queued_job(job.id) is not None and job.usage_id == row.id
        return row, job


@pytest.fixture
def parts(sessions) -> Parts:
    return Parts(sessions)


async def refused_before_anything(parts: Parts, interaction, says: str, call) -> None:
    """`call` refused saying `says`, with no deferral and no row or job saved."""
    before = [len(saved) for saved in await stored_rows_and_jobs(parts.sessions)]
    with pytest.raises(InvalidRequest, match=says):
        await call
    assert interaction.response.deferrals == []
    assert [len(saved) for saved in await stored_rows_and_jobs(parts.sessions)] == before


async def test_a_generation_thinks_once_saves_its_row_and_queues_its_job(parts):
    interaction = fake_interaction(guild_id=GUILD)
    await parts.imagine(interaction, model="dall-e-3", size="1024x1024", quality="hd")
    assert interaction.response.deferrals == [{"thinking": True}]
    row, job = await parts.one_job()
    assert (row.command, row.model, row.prompt, row.message_id) == ("imagine", "dall-e-3", "a fox", 900)
    assert (job.kind, job.params["model"], job.params["quality"], job.params["prompt"]) == (
        "generate",
        "dall-e-3",
        "hd",
        "a fox",
    )


async def test_a_style_sets_the_jobs_prompt_and_the_row_keeps_the_members(parts):
    await parts.imagine(fake_interaction(guild_id=GUILD), style="Noir")
    row, job = await parts.one_job()
    assert (row.prompt, row.style) == ("a fox", "Noir")
    assert job.params["prompt"] == apply_template(BUILTIN_STYLES["noir"], "a fox")


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"model": "gpt-image-9"}, "not available here"),
        ({"model": "dall-e-3", "size": "640x480"}, "makes these sizes: 1024x1024"),
        ({"model": "dall-e-2", "quality": "high"}, "no quality setting"),
        ({"model": "dall-e-3", "format": "gif"}, "makes these formats: image"),
    ],
)
async def test_a_generation_the_model_cannot_make_is_refused_before_anything_is_sent(parts, options, says):
    interaction = fake_interaction(guild_id=GUILD)
    asked = {"model": None, "size": None, "quality": None} | options
    await refused_before_anything(
        parts, interaction, says, parts.intake.generate(interaction, command="imagine", prompt="a fox", n=1, **asked)
    )


async def test_nothing_is_taken_while_the_bot_shuts_down(parts):
    parts.runner.accepting = False
    interaction = fake_interaction()
    call = parts.intake.vary(interaction, command="vary", image=image())
    await refused_before_anything(parts, interaction, "restarting", call)
    assert interaction.extras == {}  # no row was started


async def test_a_guild_that_drafts_by_default_gets_drafts_and_a_draft_takes_no_model(parts):
    async with parts.sessions() as session:
        session.add(GuildSettings(guild_id=GUILD, drafts=True))
        await session.commit()
    interaction = fake_interaction(guild_id=GUILD)
    call = parts.imagine(interaction, model="dall-e-3")
    await refused_before_anything(parts, interaction, "A draft is made with `gpt-image-2.6-flare`", call)
    await parts.imagine(fake_interaction(guild_id=GUILD))
    row, job = await parts.one_job()
    assert (row.model, row.quality, job.params["draft"], job.params["quality"]) == (
        DRAFTS.model,
        DRAFTS.quality,
        True,
        "low",
    )


async def test_an_edit_of_all_nine_cells_is_of_the_whole_image_and_a_mask_drops_the_area(parts):
    await parts.intake.edit(
        fake_interaction(), command="edit", image=image(), prompt="night", area=list(range(9)), references=[image(2)]
    )
    await parts.intake.edit(
        fake_interaction(), command="edit", image=image(), prompt="night", mask=image(3), area=[0, 1], fit="pad"
    )
    _rows, [whole, masked] = await stored_rows_and_jobs(parts.sessions)
    assert (whole.params["area"], len(whole.params["references"])) == ([], 1)
    assert (masked.params["area"], masked.params["mask"]["url"], masked.params["fit"]) == ([], image(3).url, "pad")


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"model": "dall-e-3"}, "can't edit images"),
        ({"references": [image(n) for n in range(2, 20)]}, "at most"),
        ({"model": "gpt-image-2.6-flare", "format": "gif", "area": [4]}, "A GIF is made without a mask"),
        ({"fit": "stretch"}, "crop or pad"),
        ({"model": "gpt-image-2", "markup": image(4)}, "doesn't take markup"),
    ],
)
async def test_an_edit_the_model_cannot_make_is_refused_before_anything_is_sent(parts, options, says):
    interaction = fake_interaction()
    call = parts.intake.edit(interaction, command="edit", image=image(), prompt="night", **options)
    await refused_before_anything(parts, interaction, says, call)


def test_markup_is_offered_only_where_the_default_model_takes_it(parts):
    assert not parts.intake.takes_markup()  # gpt-image-2


async def test_a_blend_is_one_edit_of_all_its_images_none_a_mask(parts):
    assert blend_prompt(3, "  at dusk ") == BLEND_PROMPT.format(count=3) + " at dusk"
    assert blend_prompt(2, " ") == BLEND_PROMPT.format(count=2)
    await parts.intake.blend(fake_interaction(), images=[image(1), image(2), image(3)], words="at dusk")
    row, job = await parts.one_job()
    assert (row.command, row.prompt) == ("blend", blend_prompt(3, "at dusk"))
    assert (len(job.params["references"]), job.params["alpha_as_mask"]) == (2, False)


@pytest.mark.parametrize("count", [1, 6])
async def test_a_blend_of_too_few_or_too_many_images_is_refused(parts, count):
    interaction = fake_interaction()
    call = parts.intake.blend(interaction, images=[image(n) for n in range(count)], words=None)
    await refused_before_anything(parts, interaction, "2 to 5 images", call)


async def test_saved_references_make_an_edit_on_a_model_that_takes_several_inputs(parts):
    interaction = fake_interaction()
    call = parts.imagine(interaction, prompt="my hero", references=[SavedReference(1)], model="dall-e-2")
    await refused_before_anything(parts, interaction, "Pick one of: gpt-image-2, gpt-image-2.6-flare", call)
    await parts.imagine(
        fake_interaction(), prompt="my hero", references=[SavedReference(1), SavedReference(2)], style="anime"
    )
    _row, job = await parts.one_job()
    assert (job.kind, job.params["image"], job.params["references"]) == (
        "edit",
        {"reference_id": 1},
        [{"reference_id": 2}],
    )
    assert job.params["prompt"] == apply_template(BUILTIN_STYLES["anime"], "my hero")


async def test_a_picture_from_references_is_never_a_draft(parts):
    interaction = fake_interaction()
    call = parts.imagine(interaction, prompt="my hero", references=[SavedReference(1), SavedReference(2)], draft=True)
    await refused_before_anything(parts, interaction, "never a draft", call)


async def test_an_upscale_asks_for_twice_the_size_and_refuses_at_the_largest(parts):
    async def small(_image):
        return 1024, 768

    async def largest(_image):
        return 3840, 2160

    await parts.intake.upscale(fake_interaction(), image=image(), measure=small, model=None, quality=None, parent_id=5)
    row, job = await parts.one_job()
    assert (row.command, row.parent_id, row.size, job.params["size"]) == ("upscale", 5, "2048x1536", "2048x1536")
    interaction = fake_interaction()
    call = parts.intake.upscale(interaction, image=image(), measure=small, model="dall-e-2", quality=None, parent_id=5)
    await refused_before_anything(parts, interaction, "can't upscale", call)
    assert (job.params["prompt"], job.params["input_fidelity"]) == (UPSCALE_PROMPT, "high")
    interaction = fake_interaction()
    with pytest.raises(InvalidRequest, match="already the largest"):
        await parts.intake.upscale(interaction, image=image(), measure=largest, model=None, quality=None, parent_id=5)
    assert interaction.response.deferrals == [{"thinking": True}]  # it deferred to read the image


async def test_an_enhance_edits_the_draft_with_the_enhance_model_in_detail(parts):
    await parts.intake.enhance(fake_interaction(), image=image(), prompt="a fox", size="1024x1024", parent_id=9)
    row, job = await parts.one_job()
    assert (row.command, row.parent_id, row.model, row.quality) == ("enhance", 9, DRAFTS.enhance_model, "high")
    assert (job.kind, job.params["model"], job.params["size"]) == ("edit", DRAFTS.enhance_model, "1024x1024")


async def test_a_zoom_is_an_outpaint_and_a_model_that_cannot_extend_is_refused(parts):
    command, extend = REFRAMES["z2"]
    await parts.intake.outpaint(
        fake_interaction(), command=command, image=image(), prompt="a fox", model=None, extend=extend
    )
    row, job = await parts.one_job()
    assert (row.command, job.kind, job.params["extend"]) == ("zoom", "outpaint", [0.5, 0.5, 0.5, 0.5])
    interaction = fake_interaction()
    call = parts.intake.outpaint(interaction, command="pan", image=image(), prompt="x", model="dall-e-3", extend=extend)
    await refused_before_anything(parts, interaction, "can't extend", call)


async def test_a_variation_takes_the_models_fit(parts):
    await parts.intake.vary(fake_interaction(), command="vary", image=image(), model="dall-e-2", n=2, fit="pad")
    row, job = await parts.one_job()
    assert (row.n, job.kind, job.params["fit"], job.params["n"]) == (2, "vary", "pad", 2)
