"""Checks before the start, so that an operator's mistake stops it with one line per problem.

`check_database` (bot/preflight/database.py) and `check_images_api` (bot/preflight/provider.py)
run together before the bot connects to Discord; each problem is a line that names the key and
says what to do, and never holds a password or a key.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from bot.config import Config
from bot.images import ModelRegistry
from bot.preflight.database import check_database
from bot.preflight.errors import PreflightError
from bot.preflight.provider import check_images_api

__all__ = ["PreflightError", "checked"]

log = logging.getLogger(__name__)


async def checked(config: Config, today: date) -> Config:
    """`config` once the database and the images API have been checked, offering only the models
    the check left (see provider.py). Warnings are logged; PreflightError carries every problem."""
    registry = ModelRegistry(config.images.models)
    database, provider = await asyncio.gather(
        check_database(config.database), check_images_api(config.images, registry, today)
    )
    for warning in provider.warnings:
        log.warning("%s", warning)
    problems = ([database] if database else []) + provider.problems
    if problems:
        raise PreflightError(*problems)
    images = config.images.model_copy(update={"offered_models": provider.offered})
    return config.model_copy(update={"images": images})
