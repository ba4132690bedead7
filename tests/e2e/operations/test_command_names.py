"""The names usage rows count requests by: every command, menu and button of the running bot, in
lower case, the menus without their " image" suffix; and the gateway's health check once connected."""

from bot.app import command_names
from bot.surface.result_actions import BUTTON_COMMANDS


async def test_usage_rows_name_every_command_menu_and_button(make_config, start_bot):
    bot = await start_bot(make_config())
    names = command_names(bot.tree)
    assert {"imagine", "edit", "vary", "describe", "settings", "usage", "history", "reply", "flag"} <= names
    assert set(BUTTON_COMMANDS) <= names
    assert not any(name.endswith(" image") or name != name.lower() for name in names)
    assert await bot._gateway_connected()
