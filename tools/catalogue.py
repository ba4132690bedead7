"""Find every message the bot can show, and write the .po catalogues.

    python -m tools.catalogue        # rewrite bot/locales/*/LC_MESSAGES/imagebot.po

Messages come from two places: `_("...")` calls in bot/ and cogs/ (Babel's Python extractor),
and the command tree's names, descriptions and choices (recorded through discord.py's own
translation pass). Existing translations are kept; new zh-CN messages are left empty, and
tests/bot/test_i18n.py fails until they are translated.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from discord import Locale, app_commands

from bot.i18n import DOMAIN, LOCALES, LOCALES_DIR, NAME_CONTEXT

ROOT = Path(__file__).resolve().parents[1]
NAME_LOCATIONS = (
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
)


def code_messages() -> set[tuple[str | None, str]]:
    found = set()
    for folder in ("bot", "cogs"):
        for _, _, message, _, context in extract_from_dir(
            ROOT / folder, keywords={"_": None}, comment_tags=(), strip_comment_tags=True
        ):
            found.add((context, message))
    return found


class _Recorder(app_commands.Translator):
    def __init__(self) -> None:
        self.seen: set[tuple[str | None, str]] = set()

    async def translate(self, string, locale, context):  # type: ignore[no-untyped-def]
        if locale is Locale.chinese:
            self.seen.add((NAME_CONTEXT if context.location in NAME_LOCATIONS else None, string.message))
        return None


async def command_messages() -> set[tuple[str | None, str]]:
    """Every name, description and choice of every command, as the sync would send them."""
    import aiohttp

    from bot.app import ImageBot
    from bot.config import parse_config
    from bot.db.engine import make_engine, make_sessionmaker

    bot = ImageBot(parse_config({}, {"DISCORD_TOKEN": "catalogue", "OPENAI_API_KEY": "catalogue"}))
    engine = make_engine("sqlite+aiosqlite:///:memory:")
    async with bot, aiohttp.ClientSession() as http:  # entering sets the client up; it never logs in
        await bot.assemble(http, make_sessionmaker(engine))
        recorder = _Recorder()
        for command in bot.tree.get_commands(type=None):
            await command.get_translated_payload(bot.tree, recorder)
    await engine.dispose()
    return recorder.seen


def po_path(locale: str) -> Path:
    return LOCALES_DIR / LOCALES[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=LOCALES[locale], domain=DOMAIN)
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALES[locale])


def write_catalogues(messages: set[tuple[str | None, str]], translations: dict[tuple[str | None, str], str]) -> None:
    for locale in LOCALES:
        old = read_catalog(locale)
        catalog = Catalog(locale=LOCALES[locale], domain=DOMAIN, project="imagebot", fuzzy=False)
        for context, message in sorted(messages, key=lambda item: (item[0] or "", item[1])):
            if locale == "en-US":
                string = message
            else:
                previous = old.get(message, context=context)
                string = translations.get((context, message)) or (previous.string if previous else "")
            catalog.add(message, string, context=context)
        po_path(locale).parent.mkdir(parents=True, exist_ok=True)
        with po_path(locale).open("wb") as handle:
            write_po(handle, catalog, width=120, omit_header=False, sort_output=True)


async def all_messages() -> set[tuple[str | None, str]]:
    return code_messages() | await command_messages()


if __name__ == "__main__":
    write_catalogues(asyncio.run(all_messages()), {})
    print(f"wrote {', '.join(str(po_path(locale).relative_to(ROOT)) for locale in LOCALES)}")
