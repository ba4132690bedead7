"""The command line: its commands (migrate, sync, invite, copy-db, health) and start-up errors. The
running bot process: tests/e2e/operations/test_bot_process.py."""

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import pytest

from bot.__main__ import _sync
from bot.surface.invite import invite_url
from cogs.edit import REFERENCE_OPTIONS
from tests.helpers import EVERY_COMMAND
from tests.sandbox import ROOT, run_bot_command, secrets_env, write_config


async def _run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, output.decode()


async def test_config_errors_stop_start_up_with_one_line(tmp_path):
    code, output = await _run_cli("--config", str(tmp_path / "missing.toml"))
    assert code == 2
    assert output.strip().count("\n") == 0 and "copy config.example.toml" in output

    config = tmp_path / "config.toml"
    config.write_text('[images]\nbase_url = "ftp://x"\n')
    code, output = await _run_cli(
        "--config", str(config), env={"DISCORD_TOKEN": "secret-token-1", "OPENAI_API_KEY": "k"}
    )
    assert code == 2 and "images.base_url: must start with http:// or https://" in output
    assert "secret-token-1" not in output


async def test_a_rejected_token_is_reported_without_echoing_it(tmp_path, discord_api, images_api):
    config = write_config(tmp_path, discord_api, images_api)
    code, output = await _run_cli(
        "--config", str(config), env={"DISCORD_TOKEN": "not-the-right-token", "OPENAI_API_KEY": images_api.api_key}
    )
    assert code == 1 and "Discord rejected the token" in output
    assert "not-the-right-token" not in output and images_api.api_key not in output


async def test_migrate_command(tmp_path, discord_api, images_api):
    config = write_config(tmp_path, discord_api, images_api)
    code, output = await _run_cli(
        "--config", str(config), "migrate", env={"DISCORD_TOKEN": "t" * 8, "OPENAI_API_KEY": "k" * 8}
    )
    assert code == 0 and "latest schema" in output
    assert (Path(tmp_path) / "imagebot.db").exists()


async def test_sync_publishes_to_one_guild_globally_and_clears_them(make_config, tmp_path, discord_api, images_api):
    config = make_config()
    await _sync(config, int(discord_api.guild_id))
    assert None not in discord_api.commands  # `sync --guild` leaves the global commands alone
    synced = {(command["name"], command["type"]): command for command in discord_api.commands[discord_api.guild_id]}
    assert set(synced) == EVERY_COMMAND
    assert synced["usage", 1]["default_member_permissions"] == "32"
    assert synced["settings", 1]["default_member_permissions"] == "32"
    usage = {option["name"] for option in synced["usage", 1]["options"]}
    assert usage == {"summary", "user", "recent", "flagged", "export"}
    imagine = synced["imagine", 1]
    for member_command in (("imagine", 1), ("edit", 1), ("vary", 1), ("Edit image", 3), ("Vary image", 3)):
        # installable to a user as well as a guild; usable in guilds, the bot's DMs and group DMs
        assert synced[member_command]["integration_types"] == [0, 1], member_command
        assert synced[member_command]["contexts"] == [0, 1, 2], member_command
    for moderators in (("usage", 1), ("settings", 1)):
        assert synced[moderators]["integration_types"] == [0] and synced[moderators]["contexts"] == [0]
    edit_options = {option["name"]: option for option in synced["edit", 1]["options"]}
    assert edit_options["image"]["type"] == 11 and edit_options["mask"]["type"] == 11
    assert len([name for name in edit_options if name.startswith("reference_")]) == REFERENCE_OPTIONS
    options = {option["name"]: option for option in imagine["options"]}
    assert options["prompt"]["required"] and options["prompt"]["max_length"] == 4000
    assert options["n"]["min_value"] == 1 and options["n"]["max_value"] == 10
    assert options["size"]["autocomplete"] and options["model"]["autocomplete"]
    assert all(options[name]["autocomplete"] for name in ("reference", "reference_2", "reference_3"))
    assert len(options) <= 25  # Discord's most

    await _sync(config, int(discord_api.guild_id), clear=True)
    assert discord_api.commands[discord_api.guild_id] == []

    await _sync(config, None)
    assert len(discord_api.commands[None]) == len(synced)
    # As an operator runs it: the global commands removed, until the bot's next start.
    written = write_config(tmp_path, discord_api, images_api)
    code, output = await _run_cli("--config", str(written), "sync", "--clear", env=secrets_env(discord_api, images_api))
    assert code == 0 and "removed the global commands; the bot's next start publishes them again" in output
    assert discord_api.commands[None] == []


async def test_invite_prints_the_link_with_the_applications_id(tmp_path, discord_api, images_api):
    config = write_config(tmp_path, discord_api, images_api)
    code, output = await _run_cli("--config", str(config), "invite", env=secrets_env(discord_api, images_api))
    assert code == 0
    [link] = [line for line in output.splitlines() if line.startswith("https://")]
    assert link == invite_url(int(discord_api.application_id))
    assert f"client_id={discord_api.application_id}&scope=bot+applications.commands&permissions=" in link
    assert "get_my_oauth2_application" in [call.operation_id for call in discord_api.calls]
    assert "bulk_set_application_commands" not in [call.operation_id for call in discord_api.calls]


async def test_an_unreachable_discord_is_one_clear_line(tmp_path, images_api):
    config = tmp_path / "config.toml"
    config.write_text(
        '[discord]\napi_base_url = "http://127.0.0.1:9/api/v10"\n'
        f'[images]\nbase_url = "{images_api.base_url}"\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"\n'
    )
    code, output = await _run_cli(
        "--config", str(config), env={"DISCORD_TOKEN": "t" * 8, "OPENAI_API_KEY": images_api.api_key}
    )
    assert code == 1 and "could not reach Discord at http://127.0.0.1:9/api/v10" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("where", ["before", "after"])
async def test_migrate_needs_no_secrets_and_config_may_follow_the_command(tmp_path, where):
    config = tmp_path / "config.toml"
    config.write_text('[database]\nurl = "sqlite+aiosqlite:///data/bot.db"\n')
    args = ["--config", str(config), "migrate"] if where == "before" else ["migrate", "--config", str(config)]
    run = await run_bot_command(*args, cwd=Path(tempfile.gettempdir()))  # from another folder
    assert run.returncode == 0, run.stderr
    assert "latest schema" in run.stdout
    assert (tmp_path / "data" / "bot.db").exists()  # beside the config, not in the working folder


async def test_copy_db_and_health_need_no_secrets(tmp_path, postgres_url):
    config = tmp_path / "config.toml"
    config.write_text('[database]\nurl = "sqlite+aiosqlite:///bot.db"\n[metrics]\nlisten = "127.0.0.1:9"\n')
    assert (await run_bot_command("migrate", "--config", str(config))).returncode == 0
    copied = await run_bot_command("copy-db", "--to", postgres_url, "--config", str(config))
    assert copied.returncode == 0 and "point database.url at the new database" in copied.stdout, copied.stderr
    health = await run_bot_command("health", "--config", str(config))
    assert health.returncode == 1 and "no answer from http://127.0.0.1:9/healthz" in health.stdout
    assert "config error" not in health.stderr + copied.stderr
