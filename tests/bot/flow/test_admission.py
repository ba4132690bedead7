"""Admission: the guild's policy and the queue in one unit of work. The job is saved queued with
its params settled (the size the policy chose, `low` moderation only in an age-restricted channel
of a guild that chose it, spoilers where the guild posts them), and submitted; a refusal leaves
no job and nothing queued. Real policy, runner and SQLite."""

import pytest
from sqlalchemy import select

from bot.billing.policy import Policy
from bot.billing.prices import PriceTable
from bot.billing.usage import UsageLog, start_record
from bot.db.models import GuildSettings, Job, JobState, UsageRecord, WordFilter
from bot.errors import Filtered, InvalidRequest, LimitReached
from bot.flow.admission import Admission, check
from bot.flow.job_params import GenerateParams, VaryParams
from bot.flow.locales import Locales
from bot.flow.origin import Origin
from bot.flow.sources import SourceImage
from bot.i18n import _
from bot.images import ModelRegistry
from tests.helpers import fake_interaction, idle_runner

GUILD = 10
GPT = ModelRegistry().get("gpt-image-2")
DALL_E_2 = ModelRegistry().get("dall-e-2")


@pytest.fixture
def policy() -> Policy:
    return Policy(PriceTable(), personal_images_per_day=5)


@pytest.fixture
def runner(sessions, policy):
    return idle_runner(sessions, policy)


@pytest.fixture
def admission(sessions, policy, runner) -> Admission:
    return Admission(policy=policy, sessions=sessions, runner=runner)


async def settings(sessions, **values) -> None:
    async with sessions() as session:
        session.add(GuildSettings(guild_id=GUILD, **values))
        await session.commit()


async def enqueue(sessions, admission, params, *, spec=GPT, **asked) -> tuple[UsageRecord, Origin]:
    interaction = fake_interaction(guild_id=GUILD, **asked)
    record = start_record(interaction, command="imagine", model=spec.name, n=params.n, prompt=params.prompt)
    await UsageLog(sessions).save(record)
    origin = Origin.of_interaction(interaction, message_id=900, locales=Locales(sessions, lambda _guild_id: None))
    await admission.enqueue(record, spec, params, origin)
    return record, origin


async def jobs(sessions) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job).order_by(Job.id)))


def test_a_models_problem_refuses_and_none_lets_the_request_on():
    check(None)
    with pytest.raises(InvalidRequest, match="Pick another size"):
        check(_("Pick another size."))


async def test_nothing_is_accepted_while_the_process_shuts_down(admission, runner):
    admission.check_accepting()
    runner.accepting = False
    with pytest.raises(InvalidRequest, match="restarting"):
        admission.check_accepting()


async def test_the_job_is_saved_queued_with_its_params_settled_and_submitted(sessions, admission, runner):
    params = GenerateParams(model=GPT.name, n=2, prompt="a red fox", size="1536x1024")
    record, _origin = await enqueue(sessions, admission, params, locale="zh-CN")
    [job] = await jobs(sessions)
    assert (job.usage_id, job.kind, job.state, job.locale) == (record.id, "generate", JobState.QUEUED, "zh-CN")
    assert (job.guild_id, job.user_id, job.message_id) == (GUILD, 30, 900)
    admitted = GenerateParams.model_validate(job.params)
    assert admitted == params.model_copy(update={"moderation": "auto", "spoiler": False})
    assert runner.queued_job(job.id).id == job.id
    async with sessions() as session:
        saved = await session.get(UsageRecord, record.id)
    assert (saved.reserved_images, saved.reserved_usd > 0) == (2, True)


@pytest.mark.parametrize(
    ("nsfw", "level", "moderation"), [(True, "low", "low"), (False, "low", "auto"), (True, "auto", "auto")]
)
async def test_low_moderation_only_in_an_age_restricted_channel_of_a_guild_that_chose_it(
    sessions, admission, nsfw, level, moderation
):
    await settings(sessions, moderation_level=level)
    await enqueue(sessions, admission, GenerateParams(model=GPT.name, n=1, prompt="a fox"), nsfw=nsfw)
    [job] = await jobs(sessions)
    assert job.params["moderation"] == moderation


async def test_the_guild_posting_spoilers_makes_every_job_a_spoiler_and_the_policy_settles_the_size(
    sessions, admission
):
    await settings(sessions, spoiler_always=True, allowed_sizes=["512x512"])
    image = SourceImage("https://cdn.example.com/1/a.png", 100, "a.png")
    await enqueue(sessions, admission, VaryParams(model=DALL_E_2.name, n=1, image=image), spec=DALL_E_2)
    [job] = await jobs(sessions)
    assert (job.kind, job.params["spoiler"], job.params["size"]) == ("vary", True, "512x512")


async def test_a_refusal_by_the_policy_saves_no_job_and_queues_nothing(sessions, admission, runner):
    await settings(sessions, images_per_day=1)
    with pytest.raises(LimitReached):
        await enqueue(sessions, admission, GenerateParams(model=GPT.name, n=2, prompt="two foxes"))
    assert await jobs(sessions) == []
    assert runner.waiting() == []


async def test_the_precheck_refuses_a_filtered_prompt_at_once_and_reserves_nothing(sessions, admission):
    async with sessions() as session:
        session.add(WordFilter(guild_id=GUILD, pattern="dragon", created_by=1))
        await session.commit()
    interaction = fake_interaction(guild_id=GUILD)
    record = start_record(interaction, command="imagine", prompt="a dragon")
    await UsageLog(sessions).save(record)
    params = GenerateParams(model=GPT.name, n=1, prompt="a red dragon")
    origin = Origin.of_interaction(interaction, message_id=None, locales=Locales(sessions, lambda _guild_id: None))
    with pytest.raises(Filtered):
        await admission.precheck(record, params, origin.requester)
    assert record.flags == "dragon" and record.reserved_images == 0
    await admission.precheck(record, params.model_copy(update={"prompt": "a red fox"}), origin.requester)
