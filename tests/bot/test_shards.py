"""Shards by config: one process running several shards, and processes each running their own,
with each guild's interactions arriving on the connection of its shard."""

import asyncio
import signal

from tests.helpers import usage_rows
from tests.sandbox import secrets_env, start_bot_process
from tests.standins.discord_data import shard_of


def guild_on_shard(shard: int, count: int) -> str:
    guild = 9_100_000_000_000_001
    while shard_of(str(guild), count) != shard:
        guild += 1 << 22
    return str(guild)


async def test_one_process_runs_every_shard_it_is_given(make_config, start_bot, discord_api, images_api):
    bot = await start_bot(make_config(discord={"shard_count": 2}))
    assert sorted(bot.shards) == [0, 1]
    assert sorted(entry for entry in discord_api.gateway_log if entry.startswith("identify")) == [
        "identify 0/2",
        "identify 1/2",
    ]
    for shard in (0, 1):
        state = await discord_api.send_slash_command(
            "imagine", {"prompt": f"on shard {shard}"}, guild_id=guild_on_shard(shard, 2)
        )
        assert (await discord_api.wait_for_reply(state)).attachment_bytes()
    rows = await usage_rows(bot, 2)
    assert sorted(row.guild_id for row in rows) == sorted(int(guild_on_shard(shard, 2)) for shard in (0, 1))


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
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        await asyncio.wait_for(process.wait(), 30)


async def test_processes_each_run_their_shards_on_one_postgresql_database(
    postgres_url, tmp_path, discord_api, images_api
):
    processes = await start_shard_processes(tmp_path, discord_api, images_api, postgres_url, 3)
    try:
        # Only shard 0's process reads and publishes the commands, before it connects.
        operations = [call.operation_id for call in discord_api.calls]
        assert operations.count("list_application_commands") == 1
        assert operations.count("bulk_set_application_commands") == 1
        states = [
            await discord_api.send_slash_command(
                "imagine", {"prompt": f"shard {shard}"}, guild_id=guild_on_shard(shard, 3)
            )
            for shard in range(3)
        ]
        for state in states:
            assert (await discord_api.wait_for_reply(state, 30)).attachment_bytes()
    finally:
        await stop_processes(processes)
