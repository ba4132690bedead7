"""The secrets scan the whole suite runs under: whatever a test made the bot write, to a log, to
Discord (messages, embeds, files such as CSV exports) or to the database, must not hold the bot
token or an API key. Each secret is also sought in the forms a leak would take: percent- or
base64-encoded, and split across a line."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable
from urllib.parse import quote

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.standins.discord_data import BOT_TOKEN
from tests.standins.images_rules import API_KEY, GUILD_API_KEY, REFUSED_GUILD_KEY, VAULT_SECRET

SECRETS = (BOT_TOKEN, API_KEY, GUILD_API_KEY, REFUSED_GUILD_KEY, VAULT_SECRET)


def _forms(secret: str) -> set[bytes]:
    raw = secret.encode()
    return {raw, quote(secret, safe="").encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)}


_FORMS = {secret: _forms(secret) for secret in SECRETS}


def leaks(data: str | bytes, where: str) -> list[str]:
    """Which secrets `data` holds, as 'where: the secret's first characters'."""
    blob = data.encode(errors="replace") if isinstance(data, str) else data
    return [f"{where}: {secret[:6]}…" for secret, forms in _FORMS.items() if any(form in blob for form in forms)]


class LogLines(logging.Handler):
    """Every log line, formatted as the bot's own handler would write it (message and traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def scan_calls(calls: Iterable, where: str) -> list[str]:
    """Everything the bot sent Discord: bodies (messages, embeds, components) and files."""
    found = []
    for call in calls:
        found += leaks(json.dumps(call.body, default=str), f"{where} {call.operation_id} body")
        for name, data in call.files.items():
            found += leaks(data, f"{where} {call.operation_id} file {name}")
    return found


async def scan_database(engine: AsyncEngine) -> list[str]:
    """Every row of every table."""
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        found = []
        for table in metadata.sorted_tables:
            for row in (await connection.execute(select(table))).all():
                found += leaks(repr(tuple(row)), f"table {table.name}")
    return found
