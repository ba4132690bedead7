"""Command line: `python -m bot [--config PATH] [run | sync [--guild ID] [--clear] | invite | migrate |
copy-db --to URL | health]`.

`--config` may come before or after the command. `run` (the default) checks the database and the
images API (bot/preflight), then starts the bot and migrates the database to head first; the
process that runs shard 0 publishes the slash commands when Discord's differ from the code's.
`sync` publishes them whatever Discord has, globally or to one guild for fast testing, and with
`--clear` removes them there. `invite` prints the link that adds the bot to a server. `copy-db`
moves a SQLite database into a fresh PostgreSQL one, to run several processes. `health` asks the
running bot's `/healthz` (`metrics.listen`), for a container's health check.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import aiohttp
import discord
from sqlalchemy.engine import make_url

from bot.app import ImageBot, point_discord_at
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config, with_shards
from bot.db.copy import CopyError, copy_database
from bot.db.engine import make_engine, migrate_to_head
from bot.logs import setup_logging
from bot.preflight import PreflightError, checked
from bot.preflight.database import require_database
from bot.surface.invite import invite_url

log = logging.getLogger("bot")


WITHOUT_SECRETS = {"migrate", "copy-db", "health"}  # commands that neither reach Discord nor make images


def _parser() -> argparse.ArgumentParser:
    # --config is taken before the command and after it: each command's parser knows it too,
    # leaving the value already read alone unless it is given there.
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", default=argparse.SUPPRESS, help="path to the TOML config (default: config.toml)")
    parser = argparse.ArgumentParser(prog="imagebot", description="An image-generation bot for Discord.")
    parser.add_argument("--config", default="config.toml", help="path to the TOML config (default: config.toml)")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="start the bot (the default)", parents=[config])
    run.add_argument("--shards", metavar="IDS/COUNT", help="run these shards of COUNT, e.g. 0/2; wins over the config")
    sync = commands.add_parser("sync", help="publish the slash commands to Discord", parents=[config])
    sync.add_argument("--guild", type=int, help="sync to this guild only (appears at once)")
    sync.add_argument("--clear", action="store_true", help="remove the commands (globally, or from --guild)")
    commands.add_parser("invite", help="print the link that adds the bot to a server", parents=[config])
    commands.add_parser("migrate", help="migrate the database to the latest schema and exit", parents=[config])
    copy = commands.add_parser(
        "copy-db", help="copy the configured SQLite database into a fresh PostgreSQL one", parents=[config]
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql+asyncpg://user@host/dbname")
    commands.add_parser("health", help="exit 0 if the running bot's /healthz says healthy, else 1", parents=[config])
    return parser


async def _health(listen: str) -> int:
    host, _, port = listen.rpartition(":")
    host = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]", "": "127.0.0.1"}.get(host, host)
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"http://{host}:{port}/healthz") as response,
        ):
            print(f"{response.status} {await response.text()}")
            return 0 if response.status == 200 else 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        print(f"imagebot: no answer from http://{host}:{port}/healthz ({type(exc).__name__})")
        return 1


async def _run(config: Config) -> None:
    config = await checked(config, SystemClock().now().date())
    bot = ImageBot(config)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Future[None]] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: closing.append(asyncio.ensure_future(bot.close())))
    loop.add_signal_handler(signal.SIGUSR1, bot.log_state)
    async with bot:
        await bot.start(config.discord.token.get_secret_value())
    # The client counts as closed before our close has disposed of the database: let it finish.
    await asyncio.gather(*closing)


async def _sync(config: Config, guild_id: int | None, *, clear: bool = False) -> None:
    async with ImageBot(config) as bot:
        await bot.login(config.discord.token.get_secret_value())
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if clear:
            bot.tree.clear_commands(guild=guild)
        elif guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
        if clear and guild is None:
            print("removed the global commands; the bot's next start publishes them again")
        elif clear:
            print(f"removed the commands from guild {guild_id}")
        elif guild is None:
            print(f"synced {len(synced)} global commands (Discord may take up to an hour to show them)")
        else:
            print(f"synced {len(synced)} commands to guild {guild_id}")


async def _invite(config: Config) -> None:
    """Print the invite link, with the application's id as Discord gives it for the token."""
    point_discord_at(config.discord)
    async with discord.Client(intents=discord.Intents(guilds=True)) as client:  # only logs in: none are used
        await client.login(config.discord.token.get_secret_value())
        assert client.application_id is not None  # login reads the application
        print(invite_url(client.application_id))


async def _migrate(config: Config) -> None:
    await require_database(config.database)
    engine = make_engine(
        config.database.url,
        busy_timeout=config.database.busy_timeout_seconds,
        reconnect_seconds=config.database.reconnect_seconds,
        connect_timeout=config.database.connect_timeout_seconds,
    )
    try:
        await migrate_to_head(engine)
    finally:
        await engine.dispose()
    print("database is at the latest schema")


async def _copy_db(config: Config, target_url: str) -> None:
    if not config.database.url.startswith("sqlite+aiosqlite://"):
        raise CopyError(f"the configured database is not SQLite ({make_url(config.database.url).drivername})")
    if not target_url.startswith("postgresql+asyncpg://"):
        raise CopyError("--to must be a postgresql+asyncpg:// URL")
    await require_database(config.database)
    source, target = make_engine(config.database.url), make_engine(target_url)
    try:
        copies = await copy_database(source, target)
    finally:
        await source.dispose()
        await target.dispose()
    for copy in copies:
        print(f"{copy.name}: {copy.rows} rows")
    print(f"copied {sum(copy.rows for copy in copies)} rows; point database.url at the new database")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config, needs_secrets=args.command not in WITHOUT_SECRETS)
        if getattr(args, "shards", None):
            config = with_shards(config, args.shards)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"imagebot: config error: {problem}", file=sys.stderr)
        return 2
    setup_logging(config.logging.level, config.secrets(), config.logging.format)
    if args.command == "health":
        if not config.metrics.listen:
            print("imagebot: health needs metrics.listen, the address the bot serves /healthz on", file=sys.stderr)
            return 2
        return asyncio.run(_health(config.metrics.listen))
    try:
        if args.command == "sync":
            asyncio.run(_sync(config, args.guild, clear=args.clear))
        elif args.command == "invite":
            asyncio.run(_invite(config))
        elif args.command == "migrate":
            asyncio.run(_migrate(config))
        elif args.command == "copy-db":
            asyncio.run(_copy_db(config, args.to))
        else:
            asyncio.run(_run(config))
    except discord.LoginFailure:
        print("imagebot: Discord rejected the token; check discord.token or DISCORD_TOKEN", file=sys.stderr)
        return 1
    except aiohttp.ClientConnectionError as exc:
        where = config.discord.api_base_url or "https://discord.com/api/v10"
        print(
            f"imagebot: could not reach Discord at {where} ({exc.__class__.__name__}); check the network "
            "or discord.api_base_url",
            file=sys.stderr,
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print("imagebot: Discord refused the requested intents; enable them in the developer portal", file=sys.stderr)
        return 1
    except CopyError as exc:
        print(f"imagebot: copy-db: {exc}", file=sys.stderr)
        return 1
    except PreflightError as exc:
        for problem in exc.problems:
            print(f"imagebot: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
