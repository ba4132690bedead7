"""The slash commands published at start, through the real bot against the Discord stand-in: only
when Discord's differ from the tree's, with the changes named in the log."""

import copy
import logging

import pytest

from bot.surface.command_sync import tree_payload
from tests.helpers import EVERY_COMMAND

LIST = "list_application_commands"
PUT = "bulk_set_application_commands"


def operations(discord_api, since: int = 0) -> list[str]:
    return [call.operation_id for call in discord_api.calls[since:]]


async def restart(bot, config, start_bot, discord_api):
    await bot.close()
    await discord_api.wait_for(lambda: not discord_api.identified.is_set())
    return await start_bot(config)


async def test_a_first_start_publishes_the_commands_and_a_restart_publishes_nothing(
    make_config, start_bot, discord_api, caplog
):
    caplog.set_level(logging.INFO, logger="bot.app")
    config = make_config()
    bot = await start_bot(config)
    assert operations(discord_api).count(LIST) == 1
    [put] = [call for call in discord_api.calls if call.operation_id == PUT]
    assert {(command["name"], command.get("type", 1)) for command in put.body} == EVERY_COMMAND
    assert put.body == await tree_payload(bot.tree)  # the whole tree, translations included
    assert (
        "published the slash commands to Discord (added: /blend, /describe, /edit, /forget-me, /history, /imagine, "
        "/quota, /references, /results, /settings, /usage, /vary, Describe image (message menu), Edit image (message "
        "menu), Save as reference (message menu), Vary image (message menu))"
    ) in caplog.text

    before = len(discord_api.calls)
    caplog.clear()
    await restart(bot, config, start_bot, discord_api)
    assert operations(discord_api, before).count(LIST) == 1 and PUT not in operations(discord_api, before)
    assert "the slash commands on Discord are up to date" in caplog.text


async def test_commands_that_differ_from_discords_are_published_and_named_in_the_log(
    make_config, start_bot, discord_api, caplog
):
    caplog.set_level(logging.INFO, logger="bot.app")
    config = make_config()
    bot = await start_bot(config)
    current = await tree_payload(bot.tree)
    # What an older version of the bot published: another description, an old translation, a
    # command since removed, and no /history yet.
    older = [copy.deepcopy(command) for command in current if command["name"] != "history"]
    by_name = {command["name"]: command for command in older}
    by_name["imagine"]["description"] = "Make pictures"
    by_name["vary"]["options"][0]["description_localizations"] = {"zh-CN": "旧的说明"}
    older.append({"name": "dream", "description": "An old command", "type": 1})
    discord_api.set_commands(None, older)

    before = len(discord_api.calls)
    caplog.clear()
    await restart(bot, config, start_bot, discord_api)
    [put] = [call for call in discord_api.calls[before:] if call.operation_id == PUT]
    assert put.body == current
    assert "added: /history; removed: /dream; changed: /imagine (description), /vary (options)" in caplog.text
    assert {(command["name"], command["type"]) for command in discord_api.commands[None]} == EVERY_COMMAND


async def test_a_changed_translation_alone_is_published(make_config, start_bot, discord_api, caplog):
    caplog.set_level(logging.INFO, logger="bot.app")
    config = make_config()
    bot = await start_bot(config)
    held = copy.deepcopy(await tree_payload(bot.tree))
    next(command for command in held if command["name"] == "imagine")["name_localizations"] = {"zh-CN": "画"}
    discord_api.set_commands(None, held)

    before = len(discord_api.calls)
    await restart(bot, config, start_bot, discord_api)
    assert operations(discord_api, before).count(PUT) == 1
    assert "changed: /imagine (name_localizations)" in caplog.text


@pytest.mark.parametrize(
    ("operation", "status", "code", "message"),
    [(LIST, 403, 50001, "Missing Access"), (PUT, 400, 50035, "Invalid Form Body")],
)
async def test_a_failed_read_or_publish_is_one_warning_and_the_bot_starts(
    make_config, start_bot, discord_api, images_api, caplog, operation, status, code, message
):
    discord_api.fail_next(operation, status, code, message)
    await start_bot(make_config())
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING and record.name == "bot.app"]
    assert warning.getMessage() == (
        f"could not read or publish the slash commands (Discord answered {status}: {message}); "
        "publish them with `python -m bot sync`"
    )
    assert warning.exc_info is None
    assert not discord_api.commands  # nothing published
    state = await discord_api.send_slash_command("imagine", {"prompt": "a fox"})
    assert (await discord_api.wait_for_reply(state)).attachment_bytes()
