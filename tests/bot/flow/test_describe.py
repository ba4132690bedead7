"""/describe: an image made into four prompts by the chat model, as a request of its own (the row
at once, "thinking...", the policy's reservation, screening, the paying account's call, the
tokens settled even when the answer is unusable), and the Imagine buttons under it, which only
work where it was posted. Real policy, accounts and intake; the chat and moderation endpoints
are the Images stand-in's, the member's image on the Discord stand-in's CDN."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import select

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.billing.usage import UsageLog
from bot.db.models import Description, Job, UsageRecord
from bot.errors import Flagged, InvalidRequest, Unavailable, UnusableAnswer
from bot.flow.admission import Admission
from bot.flow.describe import INSTRUCTIONS, MAX_PROMPT_CHARS, Describer, Describing, read_prompts
from bot.flow.locales import Locales
from bot.flow.notices import ModeratorNotices
from bot.flow.production import provider_user_id
from bot.flow.screening import Screener
from bot.images.chat import ChatAnswer
from bot.images.transport import Transport, TransportSettings
from bot.threads import BoundedThreads
from tests.helpers import encode, fake_interaction, flow_intake, idle_runner, keyless_accounts, uploaded
from tests.standins.images_rules import API_KEY

GUILD, MEMBER, OTHER = 10, 30, 31
RED = (200, 30, 30)


class Parts:
    def __init__(self, sessions, session, images_api, downloads, moderation) -> None:
        self.sessions = sessions
        policy = Policy(PriceTable(), personal_images_per_day=10)
        self.runner = idle_runner(sessions, policy)
        transport = Transport(
            session, base_url=images_api.base_url, api_key=API_KEY, settings=TransportSettings(max_retries=0)
        )
        accounts = keyless_accounts(sessions, transport)
        self.describer = Describer(
            describing=Describing(model="gpt-5.4-mini", max_output_tokens=600),
            policy=policy,
            admission=Admission(policy=policy, sessions=sessions, runner=self.runner),
            intake=flow_intake(sessions, policy, self.runner),
            usage=UsageLog(sessions),
            sessions=sessions,
            accounts=accounts,
            downloads=downloads,
            threads=BoundedThreads(2),
            screener=Screener(moderation, categories=(), threads=BoundedThreads(2), check_results=False),
            notices=ModeratorNotices(None, Locales(sessions, lambda _guild_id: None)),  # type: ignore[arg-type]
        )

    async def rows(self) -> list[UsageRecord]:
        async with self.sessions() as session:
            return list(await session.scalars(select(UsageRecord).order_by(UsageRecord.id)))


@pytest.fixture
async def parts(sessions, images_api, downloads, moderation) -> AsyncIterator[Parts]:
    async with aiohttp.ClientSession() as session:
        yield Parts(sessions, session, images_api, downloads, moderation)


def picture(colour=RED, size=(600, 400)) -> bytes:
    return encode(Image.new("RGB", size, colour))


def answer(text: str | None) -> ChatAnswer:
    return ChatAnswer(text=text, refusal=None, usage=None)


def test_four_different_prompts_are_read_from_the_answer():
    long = "x" * (MAX_PROMPT_CHARS + 1)
    text = '{"prompts": ["a  fox", "a fox", "", 7, "' + long + '", "b", "c", "d", "e"]}'
    assert read_prompts(answer(text)) == ("a fox", "b", "c", "d")  # spaces folded, repeats and misfits dropped


@pytest.mark.parametrize("text", [None, "not json", "[1, 2]", '{"prompts": "a"}', '{"prompts": ["a", "b", "c", "a"]}'])
def test_an_answer_without_four_prompts_is_unusable(text):
    with pytest.raises(UnusableAnswer):
        read_prompts(answer(text))


async def test_an_image_is_described_in_four_prompts_kept_for_its_buttons(parts, discord_api, images_api):
    interaction = fake_interaction(guild_id=GUILD, user_id=MEMBER)
    usage_id, prompts = await parts.describer.describe(interaction, uploaded(discord_api, picture()))
    assert len(prompts) == 4 and all("red" in prompt for prompt in prompts)
    assert interaction.response.deferrals == [{"thinking": True}]
    [request] = images_api.chat_requests
    assert request.body["user"] == provider_user_id(MEMBER) and INSTRUCTIONS in str(request.body)
    assert request.image is not None  # the vision copy went, not the member's file
    [row] = await parts.rows()
    assert (row.id, row.command, row.status, row.paid_by, row.screened) == (usage_id, "describe", "ok", "bot", True)
    assert row.cost_usd > 0 and (row.reserved_images, row.reserved_usd) == (0, 0.0) and row.total_tokens
    async with parts.sessions() as session:
        kept = await session.get(Description, usage_id)
    assert (kept.guild_id, kept.prompts) == (GUILD, list(prompts))


async def test_the_tokens_of_an_unusable_answer_are_still_paid(parts, discord_api, images_api):
    images_api.chat_answer = "not_json"
    with pytest.raises(UnusableAnswer):
        await parts.describer.describe(fake_interaction(guild_id=GUILD), uploaded(discord_api, picture()))
    [row] = await parts.rows()
    assert row.cost_usd > 0 and row.reserved_images == 0 and row.status == "pending"  # the error path finishes it


async def test_a_service_without_a_chat_endpoint_says_it_cannot_describe(parts, discord_api, images_api):
    images_api.chat_answer = "missing"
    with pytest.raises(Unavailable, match="no chat endpoint"):
        await parts.describer.describe(fake_interaction(), uploaded(discord_api, picture()))


async def test_a_flagged_or_unreadable_image_is_never_sent_to_the_chat_model(parts, discord_api, images_api):
    images_api.moderation.colours.append((RED, ("violence",)))
    with pytest.raises(Flagged):
        await parts.describer.describe(fake_interaction(), uploaded(discord_api, picture()))
    with pytest.raises(InvalidRequest, match="can't be used"):
        await parts.describer.describe(fake_interaction(), uploaded(discord_api, b"not an image"))
    assert images_api.chat_requests == []


async def test_nothing_is_described_while_the_bot_shuts_down(parts, discord_api):
    parts.runner.accepting = False
    interaction = fake_interaction()
    with pytest.raises(InvalidRequest, match="restarting"):
        await parts.describer.describe(interaction, uploaded(discord_api, picture()))
    assert interaction.response.deferrals == [] and await parts.rows() == []


async def test_an_imagine_button_asks_for_its_prompt_as_the_pressers_own_request(parts, discord_api):
    usage_id, prompts = await parts.describer.describe(
        fake_interaction(guild_id=GUILD), uploaded(discord_api, picture())
    )
    presser = fake_interaction(guild_id=GUILD, user_id=OTHER)
    await parts.describer.imagine(presser, usage_id, 3)
    async with parts.sessions() as session:
        [job] = list(await session.scalars(select(Job)))
    assert (job.user_id, job.kind, job.params["prompt"]) == (OTHER, "generate", prompts[2])
    assert presser.response.deferrals == [{"thinking": True}]


@pytest.mark.parametrize(
    ("where", "number"),
    [
        ({"guild_id": GUILD, "channel_id": 99}, 1),  # another channel: a forged custom id
        ({"guild_id": GUILD + 1}, 1),  # another guild
        ({"guild_id": GUILD}, 5),  # no fifth prompt
        ({"guild_id": GUILD}, 0),
    ],
)
async def test_an_imagine_button_works_only_where_the_description_was_posted(parts, discord_api, where, number):
    usage_id, _prompts = await parts.describer.describe(
        fake_interaction(guild_id=GUILD), uploaded(discord_api, picture())
    )
    with pytest.raises(InvalidRequest, match="description is gone"):
        await parts.describer.imagine(fake_interaction(user_id=OTHER, **where), usage_id, number)


async def test_in_personal_use_only_its_member_may_press_its_buttons(parts, discord_api):
    usage_id, _prompts = await parts.describer.describe(
        fake_interaction(guild_id=None, user_id=MEMBER), uploaded(discord_api, picture())
    )
    with pytest.raises(InvalidRequest, match="description is gone"):
        await parts.describer.imagine(fake_interaction(guild_id=None, user_id=OTHER), usage_id, 1)
    await parts.describer.imagine(fake_interaction(guild_id=None, user_id=MEMBER), usage_id, 1)
