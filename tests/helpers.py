"""The helpers that more than one test module uses: the one place a test module takes them from
(no test module imports another; tests/test_architecture.py checks it)."""

from __future__ import annotations

import asyncio
import io
import signal
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
from aiohttp import web
from PIL import Image
from sqlalchemy import select

from bot.billing.policy import Policy
from bot.billing.usage import UsageLog
from bot.clock import Clock, SystemClock, utcnow
from bot.config.sections import ImagesConfig
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import UNFINISHED, DeliveryAttempt, Job, JobState, UsageRecord
from bot.flow.accounts import Accounts
from bot.flow.admission import Admission
from bot.flow.catalog import ModelCatalog
from bot.flow.intake import Drafts, Intake
from bot.flow.locales import Locales
from bot.flow.sources import SourceImage
from bot.flow.styles import Styles
from bot.i18n import Text
from bot.images import ImagesClient, ModelRegistry
from bot.images.chat import ChatClient
from bot.images.transport import Transport
from bot.jobs.queue import FairQueue
from bot.jobs.runner import Runner
from bot.jobs.work import RetryLater
from bot.metrics import Metrics
from bot.netguard import AddressRules
from tests.sandbox import secrets_env, start_bot_process, write_config
from tests.standins.discord_data import shard_of, user_payload


async def usage_rows(bot, count: int = 1, timeout: float = 10.0, *, delivered: bool = False) -> list[UsageRecord]:
    """The usage rows, once `count` are finished (and, with `delivered`, have their delivery's
    outcome): the bot finishes a row after its images arrive, and records the delivery after that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.sessions() as session:
            rows = list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())
        finished = [row for row in rows if row.status != "pending" and (row.delivery or not delivered)]
        if len(finished) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.02)


async def finished_jobs(bot, timeout: float = 10.0) -> list[Job]:
    """The job rows, once none is queued or running: a job's end is recorded after its delivery."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with bot.sessions() as session:
            jobs = list((await session.scalars(select(Job).order_by(Job.id))).all())
        if all(job.state not in UNFINISHED for job in jobs) or asyncio.get_running_loop().time() > deadline:
            return jobs
        await asyncio.sleep(0.02)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# The painting page ------------------------------------------------------------------------------

PAINT_SECRET = "a-test-secret-key-that-is-long-enough-for-the-vault"


def web_config(make_config, *, model: str | None = None, **web):
    """A config that serves the painting page; `model`: the default model (a send's)."""
    return make_config(
        web={"listen": "127.0.0.1:0", "public_url": "https://paint.example.com", **web},
        security={"secret_key": PAINT_SECRET},
        **({"images": {"model": model}} if model else {}),
    )


def photo(size=(400, 300), colour=(40, 120, 160)) -> bytes:
    return encode(Image.new("RGB", size, colour))


async def offered_link(discord_api, bot, image: bytes, **options) -> tuple[str, object]:
    """/edit without a mask, and the path of the link it offers privately; and the interaction."""
    state = await discord_api.send_slash_command(
        "edit", {"image": discord_api.upload("photo.png", image), "prompt": "make it night", **options}
    )
    await discord_api.wait_for(lambda: any(painting_link(message) for message in state.followups))
    [url] = [url for message in state.followups if (url := painting_link(message))]
    assert url.startswith("https://paint.example.com/paint/")
    return f"http://127.0.0.1:{bot.paint_server.port}{url.removeprefix('https://paint.example.com')}", state


def painting_link(message) -> str | None:
    return next((c["url"] for c in message.components if c["type"] == 2 and c.get("style") == 5), None)


def mask_png(size, painted_box) -> bytes:
    """A mask as the page makes it: opaque black, transparent in `painted_box`."""
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), painted_box)
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    return buffer.getvalue()


def markup_png(size, drawn_box, colour=(255, 59, 48)) -> bytes:
    """A markup as the page makes it: transparent, with an opaque `colour` box drawn at `drawn_box`."""
    markup = Image.new("RGBA", size, (0, 0, 0, 0))
    markup.paste((*colour, 255), drawn_box)
    return encode(markup)


async def post(
    url: str, prompt: str, mask: bytes, *, accept: str = "application/json", fields: tuple[str, ...] = ("mask",)
):
    """The page's send: `prompt`, and `mask` in each of `fields` (`markup` for notes)."""
    form = aiohttp.FormData()
    form.add_field("prompt", prompt)
    for field in fields:
        form.add_field(field, mask, filename=f"{field}.png", content_type="image/png")
    async with aiohttp.ClientSession() as session, session.post(url, data=form, headers={"Accept": accept}) as answer:
        return answer.status, await answer.text(), dict(answer.headers)


async def get(url: str):
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.read(), dict(answer.headers)


# A web server of a test's own -------------------------------------------------------------------


@asynccontextmanager
async def local_server(app: web.Application) -> AsyncIterator[str]:
    """`app` served on 127.0.0.1 at an ephemeral port while the block runs; its root URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


# Commands and clicks through the Discord stand-in ------------------------------------------------


# The commands the bot publishes, as (name, type): 1 a slash command, 3 a message command.
EVERY_COMMAND = {
    ("imagine", 1),
    ("edit", 1),
    ("vary", 1),
    ("blend", 1),
    ("describe", 1),
    ("references", 1),
    ("Edit image", 3),
    ("Vary image", 3),
    ("Describe image", 3),
    ("Save as reference", 3),
    ("usage", 1),
    ("settings", 1),
    ("quota", 1),
    ("forget-me", 1),
    ("results", 1),
    ("history", 1),
}


async def imagine(discord_api, prompt: str = "a red fox", *, user=None, guild_id=None, **options):
    """/imagine `prompt` with more of its `options` (n, size, model ...), by `user` in `guild_id`
    (the stand-in's defaults: its member, its guild); the message the member finally sees."""
    state = await discord_api.send_slash_command("imagine", {"prompt": prompt, **options}, user=user, guild_id=guild_id)
    return await discord_api.wait_for_reply(state)


async def settings(discord_api, subcommand, options, *, user=None):
    """/settings `subcommand`, by a moderator unless `user` is given; the reply."""
    state = await discord_api.send_slash_command(
        "settings", options, subcommand=subcommand, user=user or discord_api.moderator
    )
    return await discord_api.wait_for_reply(state)


async def set_key(discord_api, key: str, base_url: str = "", *, user=None):
    """/settings api-key's form, filled in with `key` and `base_url` and sent; the reply."""
    form = await discord_api.send_slash_command(
        "settings", {}, subcommand="api-key", user=user or discord_api.moderator
    )
    await discord_api.wait_for(lambda: form.modal)
    return await discord_api.wait_for_reply(await discord_api.submit_modal(form, [key, base_url]))


async def usage(discord_api, subcommand, options=None, *, user=None):
    """/usage `subcommand`, by a moderator unless `user` is given; the interaction and its reply."""
    state = await discord_api.send_slash_command(
        "usage", options or {}, subcommand=subcommand, user=user or discord_api.moderator
    )
    return state, await discord_api.wait_for_reply(state)


async def open_edit_form(discord_api, image: bytes):
    """The Edit image menu on a message posted with `image`; the interaction, once its form is open."""
    message = discord_api.post_message([discord_api.upload("photo.png", image)])
    menu = await discord_api.send_message_command("Edit image", message)
    await discord_api.wait_for(lambda: menu.modal)
    return menu


async def answer_to(discord_api, message, *, done: bool = True):
    """The bot's message that replies to `message`, once it holds a result (`done=False`: as soon
    as there is one, as a refusal is)."""

    def find():
        for stored in discord_api.channel_messages.get(message.payload["channel_id"], []):
            replies = (stored.payload.get("message_reference") or {}).get("message_id") == message.id
            if replies and (not done or stored.payload["attachments"]):
                return stored
        return None

    await discord_api.wait_for(find, 20)
    return discord_api.messages[find().id]


def button_ids(message) -> list[str]:
    """The custom ids of `message`'s buttons (link buttons have none)."""
    return [component["custom_id"] for component in message.components if component["type"] == 2]


def member(name: str) -> dict[str, Any]:
    """A member whose id follows from the name, the same in every run."""
    return user_payload(str(10**17 + zlib.crc32(name.encode())), name)


# What the bot did with a paid result ----------------------------------------------------------

EDIT_REPLY = "update_webhook_message"  # the delivery route that edits the deferred reply


async def send_imagine_of_two(discord_api):
    """/imagine of two images (so nothing is streamed and only the result carries files), 4 MB
    allowed; the interaction, not waited on."""
    return await discord_api.send_slash_command(
        "imagine", {"prompt": "a paid fox", "n": 2}, attachment_size_limit=4 * 1024 * 1024
    )


async def delivery_of(bot, row: UsageRecord) -> list[tuple[str, str]]:
    """The (route, outcome) of each attempt to deliver `row`'s result, in order."""
    async with bot.sessions() as session:
        statement = select(DeliveryAttempt).where(DeliveryAttempt.usage_id == row.id).order_by(DeliveryAttempt.id)
        return [(attempt.route, attempt.outcome) for attempt in await session.scalars(statement)]


# OpenAI's codes for a 429 that waiting will not cure (written out here, not taken from the client).
EXHAUSTED_CREDIT_CODES = [
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
]

# Models of the present day -----------------------------------------------------------------------

TODAYS_MODELS = ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst", "gpt-image-2", "gpt-image-1-mini"]


def todays_config(make_config, **images):
    """A config offering today's models, the default being gpt-image-2.6-flare."""
    return make_config(images={"model": "gpt-image-2.6-flare", "offered_models": TODAYS_MODELS, **images})


# Word filters ---------------------------------------------------------------------------------

# The ways round a `dragon` filter that issue #29 found, one list per kind.
BYPASSES = {
    "invisible characters": [
        "d\u2062r\u2063agon",
        "dr\u034fagon",
        "dra\ufe0fgon",
        "drag\u180bon",
        "dra\U000e0061\U000e0062gon",
        "\u115fdragon",
        "drag\u3164on",
        "d\U000e0020ragon\U000e007f",
        "dra\u2064gon",
        "d\U0001d173ragon",
    ],
    "combining marks": ["d\u0301ragon", "dr\u0336a\u0336g\u0336o\u0336n\u0336", "d\u20dd\u0489ragon", "drago\u0308n"],
    "look-alike letters": [
        "dr\u0430gon",
        "drag\u03bfn",
        "\u1d05\u0280\u1d00\u0262\u1d0f\u0274",
        "\u0501ragon",
        "drag\u043en",
    ],
    "separators": [
        "d.r.a.g.o.n",
        "d r a g o n",
        "d-r-a-g-o-n",
        "dra_gon",
        "d/r/a/g/o/n",
        "d . r . a . g . o . n",
        "dra~gon",
    ],
    "digits": ["dr4g0n", "dr@gon", "d r 4 g 0 n", "DR4G0N"],
}


# Real bot processes ---------------------------------------------------------------------------


def guild_on_shard(shard: int, count: int) -> str:
    """A guild id whose interactions arrive on `shard` of `count`."""
    guild = 9_100_000_000_000_001
    while shard_of(str(guild), count) != shard:
        guild += 1 << 22
    return str(guild)


async def start_shard_processes(
    tmp_path, discord_api, images_api, database_url: str, count: int, settings: str = ""
) -> list[asyncio.subprocess.Process]:
    """`count` bot processes on one database and one config, each running its shard (`run --shards
    N/COUNT`, as compose.yaml does), logging to tmp_path; returns once every shard is connected.
    `settings` is more TOML for every process."""
    config = tmp_path / "shards.toml"
    config.write_text(
        f'[discord]\napi_base_url = "{discord_api.api_base_url}"\ngateway_url = "{discord_api.gateway_url}"\n'
        f'[images]\nbase_url = "{images_api.base_url}"\n[database]\nurl = "{database_url}"\n{settings}'
    )
    processes = []
    for shard in range(count):
        log = (tmp_path / f"shard-{shard}.log").open("wb")
        env = secrets_env(discord_api, images_api)
        processes.append(
            await start_bot_process(config, env, "run", "--shards", f"{shard}/{count}", stdout=log, stderr=log)
        )
        await discord_api.wait_for(lambda shard=shard: f"identify {shard}/{count}" in discord_api.gateway_log, 60)
    await asyncio.wait_for(discord_api.identified.wait(), 60)
    return processes


async def stop_processes(processes: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM to each of `processes` still running, then wait for all of them to end."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        await asyncio.wait_for(process.wait(), 30)


def process_config(tmp_path: Path, discord_api, images_api, jobs: str) -> tuple[Path, dict[str, str]]:
    """A config file for a real bot process on a SQLite file in `tmp_path`, with `jobs` as its
    [jobs] section, and the environment holding its secrets."""
    config = write_config(tmp_path, discord_api, images_api)
    config.write_text(config.read_text() + f"[jobs]\n{jobs}\n")
    return config, secrets_env(discord_api, images_api)


async def start_quiet_process(config: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """A bot process on `config`, its output discarded."""
    return await start_bot_process(config, env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def stored_rows_and_jobs(sessions) -> tuple[list[UsageRecord], list[Job]]:
    """The usage rows and the jobs that `sessions` reach, each in id order."""
    async with sessions() as session:
        rows = list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())
        jobs = list((await session.scalars(select(Job).order_by(Job.id))).all())
    return rows, jobs


async def rows_and_jobs(url: str) -> tuple[list[UsageRecord], list[Job]]:
    """The usage rows and the jobs in the database at `url`."""
    engine = make_engine(url)
    try:
        return await stored_rows_and_jobs(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def saved_rows(tmp_path: Path) -> tuple[list[UsageRecord], list[Job]]:
    """The usage rows and jobs in the SQLite file of a bot process on `process_config`'s config."""
    return await rows_and_jobs(f"sqlite+aiosqlite:///{tmp_path / 'imagebot.db'}")


async def rows_when(condition, url: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """The usage rows and jobs at `url`, once `condition(rows, jobs)` holds (looked at every 0.1 s);
    an AssertionError if it does not within `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        rows, jobs = await rows_and_jobs(url)
        if condition(rows, jobs):
            return rows, jobs
        await asyncio.sleep(0.1)
    raise AssertionError("the database never came to the expected state")


async def wait_queued(discord_api, state, text="In the queue"):  # type: ignore[no-untyped-def]
    """The interaction's reply once it says `text` (a job's status)."""
    return await discord_api.wait_for(lambda: state.original and text in state.original.text and state.original)


def images_config_file(folder: Path, discord_api, base_url: str, images: str) -> Path:
    """A config file in `folder` for the Discord stand-in and the images server at `base_url`, on a SQLite
    file there; `images` is more of the [images] table."""
    path = folder / "config.toml"
    path.write_text(
        f'[discord]\napi_base_url = "{discord_api.api_base_url}"\ngateway_url = "{discord_api.gateway_url}"\n'
        f'[images]\nbase_url = "{base_url}"\n{images}\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{folder / "imagebot.db"}"\n'
    )
    return path


# discord.py objects without a connection -------------------------------------------------------


def discord_attachment(
    filename: str, content_type: str | None = "image/png", number: int = 1, *, url: str | None = None, size: int = 0
) -> Any:
    """A discord.Attachment as a gateway event carries it, with no connection behind it; at `url`
    (of `size` bytes) when given, e.g. a file on the Discord stand-in's CDN."""
    data = {
        "id": str(900 + number),
        "filename": filename,
        "size": size or 1000 + number,
        "url": url or f"https://cdn.example.com/{number}/{filename}",
        "proxy_url": f"https://media.example.com/{number}/{filename}",
    }
    if content_type is not None:
        data["content_type"] = content_type
    return discord.Attachment(data=data, state=SimpleNamespace(http=None))  # type: ignore[arg-type]


def discord_message(**fields: Any) -> Any:
    """A discord.Message (isinstance holds) with only `fields` set, over defaults: a member's
    message in no guild, with no content, attachments, mentions or reference."""
    message = discord.Message.__new__(discord.Message)
    defaults: dict[str, Any] = {
        "id": 1,
        "author": SimpleNamespace(id=5, bot=False),
        "guild": None,
        "content": "",
        "attachments": [],
        "mentions": [],
        "reference": None,
        "webhook_id": None,
    }
    for name, value in (defaults | fields).items():
        setattr(message, name, value)
    return message


def uploaded(discord_api, data: bytes, filename: str = "photo.png") -> SourceImage:
    """`data` uploaded to the Discord stand-in's CDN, as the image a member points at."""
    attachment = discord_api.upload(filename, data)
    return SourceImage(attachment["url"], len(data), filename)


def fake_interaction(
    *,
    user_id: int = 30,
    guild_id: int | None = 10,
    channel_id: int = 20,
    roles: tuple[int, ...] = (),
    nsfw: bool = False,
    locale: str = "en-US",
    installed: bool = True,
    message_id: int | None = 900,
) -> Any:
    """A slash command's interaction, shaped as discord.py's for the domain's use of it: by
    `user_id` in `guild_id` (None: a DM; `installed` False: a server that did not add the bot),
    in a channel marked `nsfw` or not. Its `response` records its deferral."""
    guild = SimpleNamespace(id=guild_id) if guild_id is not None else None
    return SimpleNamespace(
        id=800,
        guild_id=guild_id,
        channel_id=channel_id,
        channel=SimpleNamespace(id=channel_id, guild=guild, is_nsfw=lambda: nsfw),
        user=SimpleNamespace(id=user_id, roles=[SimpleNamespace(id=role) for role in roles]),
        is_guild_integration=lambda: installed and guild_id is not None,
        context=SimpleNamespace(dm_channel=guild_id is None, private_channel=False),
        application_id=40,
        token="interaction-token",
        filesize_limit=25 * 2**20,
        created_at=discord.utils.utcnow(),
        locale=SimpleNamespace(value=locale),
        guild_locale=None,
        extras={},
        response=FakeResponse(message_id=message_id),
    )


def queued_job(
    usage_id: int, *, state: str = JobState.QUEUED, guild_id: int | None = 1, user_id: int = 1, **fields: Any
) -> Job:
    """A job of /imagine for the usage row `usage_id`, as intake queues one (not saved); `fields` set
    the other columns."""
    return Job(
        usage_id=usage_id,
        kind="imagine",
        state=state,
        guild_id=guild_id,
        user_id=user_id,
        locale="en-US",
        params={},
        application_id=2,
        attachment_limit=10_000_000,
        interaction_at=utcnow(),
        **fields,
    )


async def pending_usage(sessions, **fields: Any) -> UsageRecord:
    """A usage row of an /imagine still pending, made now, saved; `fields` set the other columns."""
    async with sessions() as session:
        record = UsageRecord(command="imagine", status="pending", created_at=datetime.now(UTC), **fields)
        session.add(record)
        await session.commit()
    return record


def idle_runner(sessions, policy) -> Runner:
    """A real job runner over a real fair queue, never started: what is submitted stays queued
    (`runner.queued_job(id)`)."""

    async def go() -> None:
        return None

    return Runner(
        queue=FairQueue(max_running=1, per_guild=1, per_member=1),
        sessions=sessions,
        policy=policy,
        before_start=go,
        shutdown_grace=1.0,
        metrics=Metrics(models=[]),
    )


class RecordingWork:
    """A job runner's JobWork (the request flow's part), recorded: `run` waits until the test
    releases the job (and then gives its `outcomes` entry, True by default); `answerable` is True
    for the ids in `answerable_ids`."""

    def __init__(self, *, answerable_ids: frozenset[int] = frozenset()) -> None:
        self.calls: list[tuple[str, int]] = []
        self.told: list[tuple[int, str]] = []
        self.started: asyncio.Queue[int] = asyncio.Queue()
        self.stopped = asyncio.Event()
        self.outcomes: dict[int, bool | RetryLater] = {}
        self._gates: dict[int, asyncio.Event] = {}
        self.answerable_ids = answerable_ids

    def release(self, job: Job) -> None:
        self._gate(job.id).set()

    def _gate(self, job_id: int) -> asyncio.Event:
        return self._gates.setdefault(job_id, asyncio.Event())

    async def next_started(self) -> int:
        return await asyncio.wait_for(self.started.get(), 10)

    def answerable(self, job: Job) -> bool:
        return job.id in self.answerable_ids

    async def run(self, job: Job, provider_done: Callable[[], None]) -> bool | RetryLater:
        self.calls.append(("run", job.id))
        self.started.put_nowait(job.id)
        await self._gate(job.id).wait()
        provider_done()
        return self.outcomes.get(job.id, True)

    async def redeliver(self, job: Job) -> bool:
        self.calls.append(("redeliver", job.id))
        return True

    async def tell(self, job: Job, message: Text) -> None:
        self.told.append((job.id, str(message)))

    async def stop_updates(self, job: Job) -> None:
        self.calls.append(("stop_updates", job.id))
        self.stopped.set()


FLOW_MODELS = ["gpt-image-2", "gpt-image-2.6-flare", "dall-e-2", "dall-e-3"]
FLOW_DRAFTS = Drafts(
    model="gpt-image-2.6-flare", quality="low", enhance_model="gpt-image-2.6-sunburst", enhance_quality="high"
)


def flow_catalog() -> ModelCatalog:
    """The models on offer to a flow unit's tests: FLOW_MODELS, gpt-image-2 the default, on a
    compatible server (so no model is retired by the date)."""
    config = ImagesConfig(
        base_url="https://images.example.com/v1", provider="compatible", model="gpt-image-2", offered_models=FLOW_MODELS
    )
    return ModelCatalog(config, ModelRegistry(), SystemClock())


def flow_intake(sessions, policy: Policy, runner: Runner) -> Intake:
    """The real intake of commands, its admission queueing on `runner`."""
    return Intake(
        catalog=flow_catalog(),
        admission=Admission(policy=policy, sessions=sessions, runner=runner),
        usage=UsageLog(sessions),
        locales=Locales(sessions, lambda _guild_id: None),
        styles=Styles(sessions),
        sessions=sessions,
        drafts=FLOW_DRAFTS,
    )


def keyless_accounts(
    sessions, transport: Transport, *, rules: AddressRules | None = None, clock: Clock | None = None
) -> Accounts:
    """Accounts on `transport` with no key vault: no guild can set a key of its own, the bot pays for all."""
    return Accounts(
        sessions=sessions,
        images=ImagesClient(transport),
        chat=ChatClient(transport),
        vault=None,
        base_url_prefixes=[],
        rules=rules if rules is not None else AddressRules(),
        parallel_requests=2,
        clock=clock if clock is not None else SystemClock(),
    )


# What Discord does with the bot's answers, scripted -------------------------------------------


class _Refused:
    def __init__(self, status: int) -> None:
        self.status, self.reason = status, "refused"


def http_refusal(status: int, code: int) -> discord.HTTPException:
    """What discord.py raises when Discord answers `status` with the JSON error `code`."""
    return discord.HTTPException(_Refused(status), {"code": code, "message": "refused"})  # type: ignore[arg-type]


class ScriptedRoute:
    """An answer target (bot/flow/answers.py) named `route` that refuses with `refusals` in turn,
    then posts (or, with `crash`, raises as a dying process would). Each send is logged in `log`
    as (route, filenames, sizes). A channel message mentions `member` (fake_interaction's)."""

    def __init__(self, route: str, log: list, refusals=(), *, crash: bool = False, member: int = 30) -> None:
        self.route, self._log, self._refusals, self._crash = route, log, list(refusals), crash
        self._member = member

    def addressed(self, text: str) -> str:
        return f"<@{self._member}> {text}" if self.route == "channel" else text

    async def send(self, files, view) -> Any:
        self._log.append(
            (self.route, [file.filename for file in files], [file.fp.getbuffer().nbytes for file in files])
        )
        if self._refusals:
            raise self._refusals.pop(0)
        if self._crash:
            raise RuntimeError("the process died")
        attachments = [discord_attachment(file.filename, number=n) for n, file in enumerate(files, 1)]
        return SimpleNamespace(id=5000 + len(self._log), attachments=attachments)


class ScriptedAnswers:
    """MemberAnswers' part the domain uses: the routes by name (`reply`, `channel`, `dm`); what a
    member was told in `told`, the moderators' notices in `notices`."""

    def __init__(self, **routes: ScriptedRoute) -> None:
        self.routes = routes
        self.told: list[tuple[str, Any]] = []
        self.notices: list[tuple[int, str, Any]] = []

    def target(self, job) -> ScriptedRoute:
        return self.routes["reply"]

    def fallback(self, job, route) -> ScriptedRoute | None:
        return self.routes.get(route)

    def answerable(self, job) -> bool:
        return "reply" in self.routes

    async def tell(self, job, text, view=None) -> bool:
        self.told.append((text, view))
        return True

    async def post_notice(self, channel_id, text, *, view=None) -> None:
        self.notices.append((channel_id, text, view))


class ResultViews:
    """The surface's views, as the domain asks for them: each result's text in `texts`."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def result(self, usage_id, text, files, **options) -> Any:
        self.texts.append(text)
        return options

    def kept(self, locale) -> Any:
        return "the results button"

    def flag_notice(self, usage_id, *, deletable, locale) -> Any:
        return f"flag buttons for {usage_id}, deletable: {deletable}"


class EnglishLocales:
    """The surface's locale lookup, English for every interaction."""

    async def for_interaction(self, interaction, settings=None) -> str:
        return "en-US"


class RecordedErrors:
    """The surface's error path (`guarded`): what the guarded work raises is kept in `reported`, not raised."""

    def __init__(self) -> None:
        self.reported: list[BaseException] = []

    async def guarded(self, interaction, work) -> None:
        try:
            await work
        except Exception as exc:
            self.reported.append(exc)


class FakeResponse:
    """An interaction's response as the domain and the surface use it: answered once (a message, a
    deferral, an edit or a form), each answer recorded; a deferral's callback names `message_id`, as
    Discord's does for a deferred message."""

    def __init__(self, *, deferred: bool = False, message_id: int | None = None) -> None:
        self.sent: list[tuple[str | None, dict[str, Any]]] = []
        self.modals: list[Any] = []
        self.edits: list[dict[str, Any]] = []
        self.deferrals: list[dict[str, Any]] = []
        self.type = discord.InteractionResponseType.deferred_channel_message if deferred else None
        self._message_id = message_id

    @property
    def deferred_ephemeral(self) -> bool | None:
        return self.deferrals[-1].get("ephemeral", False) if self.deferrals else None

    def is_done(self) -> bool:
        return self.type is not None

    async def send_message(self, content: str | None = None, **options: Any) -> None:
        assert not self.is_done(), "an interaction is answered once"
        self.sent.append((content, options))
        self.type = discord.InteractionResponseType.channel_message

    async def defer(self, **options: Any) -> Any:
        assert not self.is_done(), "an interaction is answered once"
        self.deferrals.append(options)
        self.type = (
            discord.InteractionResponseType.deferred_channel_message
            if options.get("thinking")
            else discord.InteractionResponseType.deferred_message_update
        )
        return SimpleNamespace(message_id=self._message_id)

    async def edit_message(self, **options: Any) -> None:
        assert not self.is_done(), "an interaction is answered once"
        self.edits.append(options)
        self.type = discord.InteractionResponseType.message_update

    async def send_modal(self, modal: Any) -> None:
        assert not self.is_done(), "an interaction is answered once"
        self.modals.append(modal)
        self.type = discord.InteractionResponseType.modal


class FakeFollowup:
    def __init__(self, failure: Exception | None = None) -> None:
        self.sent: list[tuple[str | None, dict[str, Any]]] = []
        self.failure = failure

    async def send(self, content: str | None = None, **options: Any) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append((content, options))


class FakeInteraction:
    """The parts of a discord.Interaction that forms, menus and the error path read: a small
    in-process stand-in for surface unit tests (the Discord stand-in runs the real one)."""

    def __init__(
        self,
        *,
        user_id: int = 20,
        guild_id: int | None = 10,
        custom_id: str = "ib:test:1",
        permissions: discord.Permissions | None = None,
        deferred: bool = False,
        followup_failure: Exception | None = None,
        delete_failure: Exception | None = None,
        guild_integration: bool = True,
    ) -> None:
        """`guild_integration`: the guild added the bot (else only the member installed it)."""
        self.id = 900
        self.user = SimpleNamespace(id=user_id, mention=f"<@{user_id}>")
        self.guild_id, self.channel_id = guild_id, 30
        self.command = None
        self.message: Any = None  # the message a component was on
        self.data: dict[str, Any] = {"custom_id": custom_id}
        self.extras: dict[str, Any] = {}
        self.permissions = permissions or discord.Permissions.none()
        self.locale = discord.Locale.american_english
        self.guild_locale = None
        self.response = FakeResponse(deferred=deferred)
        self.followup = FakeFollowup(followup_failure)
        self.deleted_original = False
        self.original_edits: list[dict[str, Any]] = []
        self._delete_failure = delete_failure
        self._guild_integration = guild_integration

    def is_guild_integration(self) -> bool:
        return self.guild_id is not None and self._guild_integration

    async def edit_original_response(self, **options: Any) -> None:
        self.original_edits.append(options)

    async def delete_original_response(self) -> None:
        if self._delete_failure is not None:
            raise self._delete_failure
        self.deleted_original = True


async def until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Wait until `condition()` holds, looking every 10 ms: for state that announces no change."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 -- the state watched has no event to wait on
            await asyncio.sleep(0.01)
