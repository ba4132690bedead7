"""The real bot process (`python -m bot`) against both stand-ins on loopback, for the benchmark
families that measure it whole: bursts, replies, screening."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.sandbox import secrets_env, start_bot_process, write_config
from tests.standins.discord_api import DiscordStandIn
from tests.standins.images_api import ImagesStandIn


@dataclass
class Running:
    discord_api: DiscordStandIn
    images_api: ImagesStandIn
    process: psutil.Process


@contextlib.asynccontextmanager
async def running_bot(
    extra_config: str, *, per_image: float, latency: float, images: str = ""
) -> AsyncIterator[Running]:
    """A bot process with `extra_config` (TOML sections) added to the stand-ins' config, its
    Discord calls taking `latency` and each image `per_image`; stopped, and the stand-ins' spec
    checks asserted, afterwards; `images` are keys added to the `[images]` table. The bot's log
    is printed if anything fails."""
    discord_api, images_api = DiscordStandIn(), ImagesStandIn()
    await discord_api.start()
    await images_api.start()
    discord_api.latency, images_api.delay = latency, per_image
    # The stand-ins' schema checks (which the tests run on every call) would cost them more CPU than
    # the bot spends, and skew what is measured: the same calls are checked by the test suite.
    discord_api.schema_checks = images_api.schema_checks = False
    discord_api.deferral_names_message = False  # as Discord answers a deferral: the reply's id comes later
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), discord_api, images_api)
        text = config.read_text().replace("[images]\n", "[images]\n" + images, 1)
        config.write_text(text + extra_config + '[logging]\nlevel = "WARNING"\n')
        log_path = Path(folder) / "bot.log"
        with log_path.open("wb") as log:
            bot = await start_bot_process(config, secrets_env(discord_api, images_api), stdout=log, stderr=log)
            try:
                await asyncio.wait_for(discord_api.identified.wait(), 60)
                yield Running(discord_api, images_api, psutil.Process(bot.pid))
            except BaseException:
                print(f"the bot's log:\n{log_path.read_text()[-5000:]}", file=sys.stderr)
                raise
            finally:
                if bot.returncode is None:
                    bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 60)
                await discord_api.close()
                await images_api.close()
                if bot.returncode:
                    print(f"the bot ended with {bot.returncode}:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
    assert not discord_api.violations and not images_api.violations, discord_api.violations + images_api.violations
