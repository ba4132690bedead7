"""Jobs end to end: fair turns, live positions, cancel, previews, expiry, shutdown and crash recovery."""

import asyncio
import signal

from sqlalchemy import select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Job, UsageRecord
from tests.helpers import (
    finished_jobs,
    member,
    process_config,
    saved_rows,
    start_quiet_process,
    stop_processes,
    usage_rows,
    wait_queued,
)
from tests.sandbox import start_bot_process


def contents(message) -> list[str]:
    return [snapshot["content"] for snapshot in [*message.history, message.payload]]


async def test_guilds_take_turns(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config(jobs={"max_running": 1, "per_guild": 1}))
    images_api.gate = asyncio.Event()  # the first job runs until every other one is queued
    burst = [("A", "1"), ("A", "2"), ("A", "3"), ("B", "4"), ("B", "5"), ("C", "6")]
    guilds = {"A": discord_api.guild_id, "B": "9100000000000001", "C": "9100000000000002"}
    states = []
    for guild, tag in burst:
        state = await discord_api.send_slash_command(
            "imagine", {"prompt": f"{guild}{tag}"}, user=member(guild + tag), guild_id=guilds[guild]
        )
        await discord_api.wait_for(lambda state=state: state.original and state.original.text)
        states.append(state)
    images_api.gate.set()
    for state in states:
        await discord_api.wait_for_reply(state, 30)
    order = [request.fields["prompt"] for request in images_api.requests]
    assert order == ["A1", "B4", "C6", "A2", "B5", "A3"]


async def test_queue_positions_update_and_cancel_works(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(jobs={"max_running": 1}))
    images_api.gate = asyncio.Event()  # the first job runs until the queue has been looked at
    first = await discord_api.send_slash_command("imagine", {"prompt": "first"}, user=member("m1"))
    await wait_queued(discord_api, first, "Working on it")
    assert bot.parts.runner.in_flight() == 1
    second = await discord_api.send_slash_command("imagine", {"prompt": "second"}, user=member("m2"))
    queued = await wait_queued(discord_api, second, "#1")
    third = await discord_api.send_slash_command("imagine", {"prompt": "third"}, user=member("m3"))
    await wait_queued(discord_api, third, "#2")
    cancel = next(c["custom_id"] for row in queued.payload["components"] for c in row["components"])
    refused = await discord_api.click(queued, cancel, user=member("m3"))
    assert "Only the member who asked" in (await discord_api.wait_for_reply(refused)).text
    click = await discord_api.click(queued, cancel, user=member("m2"))
    await discord_api.wait_for(lambda: click.callback_type == 6)  # answered at once, then the message edited
    await discord_api.wait_for(lambda: click.original is not None and click.original.text == "Cancelled.")
    assert not click.original.payload["components"]
    await wait_queued(discord_api, third, "#1")
    images_api.gate.set()

    await discord_api.wait_for_reply(first)
    final = await discord_api.wait_for_reply(third)
    assert any("#2" in text for text in contents(final)) and any("#1" in text for text in contents(final))
    assert [request.fields["prompt"] for request in images_api.requests] == ["first", "third"]
    rows = await usage_rows(bot, 4)
    assert [(row.prompt, row.status) for row in rows if row.command == "imagine"] == [
        ("first", "ok"),
        ("second", "cancelled"),
        ("third", "ok"),
    ]
    jobs = await finished_jobs(bot)
    assert [job.state for job in jobs] == ["done", "cancelled", "done"]
    assert all(job.interaction_token is None for job in jobs)


async def test_partial_images_show_before_the_final_one(make_config, start_bot, discord_api, images_api):
    await start_bot(make_config())
    images_api.stream_gap = 0.3
    reply = await discord_api.wait_for_reply(await discord_api.send_slash_command("imagine", {"prompt": "fox"}))
    previews = [snapshot for snapshot in reply.history if snapshot["attachments"]]
    assert [snapshot["content"] for snapshot in previews] == [
        "🎨 Working on it… preview 1",
        "🎨 Working on it… preview 2",
    ]
    assert reply.payload["attachments"][0]["size"] > previews[-1]["attachments"][0]["size"]
    [request] = images_api.requests
    assert request.fields["stream"] is True and request.fields["partial_images"] == 2


async def test_a_job_that_outlives_its_interaction_ends_in_a_channel_message(
    make_config, start_bot, discord_api, images_api
):
    bot = await start_bot(make_config(jobs={"interaction_minutes": 0.05}))
    images_api.delay = 3.5
    await discord_api.send_slash_command("imagine", {"prompt": "slow fox", "n": 2})
    channel = discord_api.channel_id
    [message] = await discord_api.wait_for(lambda: discord_api.channel_messages.get(channel), 20)
    assert message.text.startswith(f"<@{discord_api.member['id']}> **Prompt:** slow fox")
    assert len(message.payload["attachments"]) == 2 and message.payload["components"]
    assert message.pings == {f"user:{discord_api.member['id']}"}
    [row] = await usage_rows(bot, delivered=True)
    assert row.status == "ok" and row.message_id == int(message.id)


async def test_shutdown_lets_running_jobs_finish_within_the_grace_and_interrupts_the_rest(
    tmp_path, make_config, start_bot, discord_api, images_api
):
    """One process with its own queue (SQLite); a shared queue keeps queued jobs for the others."""
    database = {"url": f"sqlite+aiosqlite:///{tmp_path / 'imagebot.db'}"}
    bot = await start_bot(make_config(jobs={"max_running": 1, "shutdown_grace_seconds": 0.3}, database=database))
    images_api.gate = asyncio.Event()  # the running job is still running at the shutdown
    running = await discord_api.send_slash_command("imagine", {"prompt": "one"}, user=member("s1"))
    await wait_queued(discord_api, running, "Working on it")
    queued = await discord_api.send_slash_command("imagine", {"prompt": "two"}, user=member("s2"))
    await wait_queued(discord_api, queued)
    await bot.close()
    for state in (running, queued):
        told = await discord_api.wait_for_reply(state)
        assert told.ephemeral and "restarting and had to stop your request" in told.text
    async with bot.sessions() as session:
        rows = list((await session.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())
        jobs = list((await session.scalars(select(Job).order_by(Job.id))).all())
    assert [(row.status, row.error_code) for row in rows] == [("failed", "interrupted")] * 2
    assert [job.state for job in jobs] == ["interrupted"] * 2


async def test_a_killed_bot_recovers_its_jobs_on_restart(tmp_path, discord_api, images_api):
    config, env = process_config(tmp_path, discord_api, images_api, "max_running = 1")
    images_api.gate = asyncio.Event()  # the first job is still running at the kill
    process = await start_quiet_process(config, env)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 30)
        first = await discord_api.send_slash_command("imagine", {"prompt": "first"}, user=member("k1"))
        await wait_queued(discord_api, first, "Working on it")
        second = await discord_api.send_slash_command("imagine", {"prompt": "second"}, user=member("k2"))
        await wait_queued(discord_api, second)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await discord_api.wait_for(lambda: not discord_api.identified.is_set())

        images_api.gate.set()
        process = await start_quiet_process(config, env)
        replies = [await discord_api.wait_for_reply(state, 40) for state in (first, second)]
    finally:
        await stop_processes([process])
    assert all(reply.attachment_bytes() for reply in replies)
    assert any("The bot restarted; your request is back in the queue" in text for text in contents(replies[1]))
    rows, jobs = await saved_rows(tmp_path)
    assert [(row.prompt, row.status, row.image_count) for row in rows] == [("first", "ok", 1), ("second", "ok", 1)]
    assert [job.state for job in jobs] == ["done", "done"]


async def test_jobs_whose_interaction_expired_during_a_crash_are_reported_once(tmp_path, discord_api, images_api):
    config, env = process_config(tmp_path, discord_api, images_api, "max_running = 1")
    images_api.delay = 30.0
    process = await start_quiet_process(config, env)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 30)
        # Made 14.5 minutes ago: by the time the bot is back, too late to answer through the interaction.
        await discord_api.send_slash_command("imagine", {"prompt": "lost"}, age=14.5 * 60)
        await images_api.wait_for_requests(1)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        process = await start_quiet_process(config, env)
        channel = discord_api.channel_id
        [notice] = await discord_api.wait_for(lambda: discord_api.channel_messages.get(channel), 30)
    finally:
        await stop_processes([process])
    assert "was interrupted when the bot restarted" in notice.text
    assert notice.pings == {f"user:{discord_api.member['id']}"}
    [row], [job] = await saved_rows(tmp_path)
    assert (row.status, row.error_code, row.reserved_images) == ("failed", "interrupted", 0)
    assert job.state == "interrupted" and job.interaction_token is None


async def test_a_job_whose_stored_params_are_damaged_fails_once_with_the_reason_logged(
    tmp_path, discord_api, images_api
):
    """Params are validated when read back: a queued job's row changed while the bot was down
    fails that job alone, the member hears, the row is finished and the log names the field."""
    config, env = process_config(tmp_path, discord_api, images_api, "max_running = 1")
    images_api.delay = 30.0
    process = await start_quiet_process(config, env)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 30)
        running = await discord_api.send_slash_command("imagine", {"prompt": "kept"}, user=member("d1"))
        await wait_queued(discord_api, running, "Working on it")
        damaged = await discord_api.send_slash_command("imagine", {"prompt": "damaged"}, user=member("d2"))
        await wait_queued(discord_api, damaged)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'imagebot.db'}")
        async with make_sessionmaker(engine)() as session:
            job = (await session.scalars(select(Job).where(Job.state == "queued"))).one()
            job.params = {key: value for key, value in job.params.items() if key != "prompt"}
            await session.commit()
        await engine.dispose()

        images_api.delay = 0.0
        log = tmp_path / "restarted.log"
        with log.open("wb") as stderr:
            process = await start_bot_process(config, env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
            made = await discord_api.wait_for_reply(running, 40)
            told = await discord_api.wait_for_reply(damaged, 40)
    finally:
        await stop_processes([process])
    assert made.attachment_bytes() and "Something went wrong on our side" in told.text
    rows, jobs = await saved_rows(tmp_path)
    assert [(row.prompt, row.status) for row in rows] == [("kept", "ok"), ("damaged", "failed")]
    assert [job.state for job in jobs] == ["done", "failed"]
    assert f"job {jobs[1].id}'s generate params are damaged: prompt: Field required" in log.read_text()
    assert [request.fields["prompt"] for request in images_api.requests] == ["kept", "kept"]  # killed, then run again
