"""The Remix form: the result's prompt filled in; submitted, the same request again (the row's
model, size, quality, style and number) with the new prompt, hidden if the result was, never a
draft, continuing the result's row."""

from bot.db.models import UsageRecord
from bot.surface.remix_form import PROMPT_LIMIT, RemixForm
from tests.helpers import FakeInteraction


class Intake:
    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []

    async def generate(self, interaction, **request) -> None:
        self.requests.append(request)


class Errors:
    def __init__(self) -> None:
        self.guarded_calls = 0

    async def guarded(self, interaction, work) -> None:
        self.guarded_calls += 1
        await work


ROW = UsageRecord(
    id=41, prompt="a fox", model="gpt-image-2", size="1024x1536", quality="high", n=3, style="anime", status="ok"
)


def test_the_form_holds_the_results_prompt():
    form = RemixForm(ROW, False, "en-US", Intake(), Errors())
    assert (form.prompt_input.default, form.prompt_input.max_length, form.custom_id) == (
        "a fox",
        PROMPT_LIMIT,
        "ib:remix:41",
    )
    assert form.title == "Remix"


async def test_submitting_makes_the_same_request_with_the_new_prompt():
    intake, errors = Intake(), Errors()
    form = RemixForm(ROW, True, "en-US", intake, errors)
    form.prompt_input._refresh_state(None, {"value": "a fox in the snow"})
    await form.on_submit(FakeInteraction())
    assert intake.requests == [
        {
            "command": "remix",
            "prompt": "a fox in the snow",
            "model": "gpt-image-2",
            "size": "1024x1536",
            "quality": "high",
            "n": 3,
            "style": "anime",
            "spoiler": True,
            "draft": False,
            "parent_id": 41,
        }
    ]
    assert errors.guarded_calls == 1
