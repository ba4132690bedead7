"""Shards by config: one process running several shards, and processes each running their own,
with each guild's interactions arriving on the connection of its shard."""

from tests.helpers import guild_on_shard, start_shard_processes, stop_processes, usage_rows


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
