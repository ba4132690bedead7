"""Whether the configured database can be used, asked before the start: a SQLite file's folder
exists (or can be made) and the bot may write there; a PostgreSQL server answers at the URL's
host and port within `database.connect_timeout_seconds`, takes the login, and has the database.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import asyncpg  # pyright: ignore[reportMissingTypeStubs]  asyncpg ships no stubs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.config.sections import DatabaseConfig
from bot.db.engine import make_engine, round_trip
from bot.preflight.errors import PreflightError

KEY = "database.url"


def _first_line(exc: BaseException) -> str:
    """The driver's own words for `exc`, short: never the URL, which the drivers do not repeat."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0][:200]}" if text else type(cause).__name__


def _sqlite_folder_problem(database: str) -> str | None:
    """Why the bot cannot keep a SQLite database at the path `database`, or None when it can."""
    path = Path(database).expanduser()
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        return f"{KEY}: {folder} cannot be a folder, since part of that path is a file; change {KEY}"
    except PermissionError:
        return f"{KEY}: the bot's user may not create the folder {folder}; create it for that user, or change {KEY}"
    except OSError as exc:
        return f"{KEY}: the folder {folder} cannot be created ({exc.strerror}); change {KEY}"
    if path.is_dir():
        return f"{KEY}: {path} is a folder; name a file in it, for example sqlite+aiosqlite:///{path / 'imagebot.db'}"
    try:  # tried, not asked of the permission bits: root may write anywhere they forbid, and nowhere read-only
        with tempfile.TemporaryFile(dir=folder):
            pass
        if path.exists():
            path.open("r+b").close()
    except OSError as exc:
        where = path if path.exists() else folder
        return f"{KEY}: the bot's user may not write to {where} ({exc.strerror}); let it, or change {KEY}"
    return None


async def _sqlite_problem(config: DatabaseConfig, url: URL) -> str | None:
    problem = await asyncio.to_thread(_sqlite_folder_problem, url.database or "")
    if problem is not None:
        return problem
    engine = make_engine(config.url, busy_timeout=config.busy_timeout_seconds)
    try:
        await round_trip(engine)
    except (SQLAlchemyError, OSError) as exc:
        return f"{KEY}: {url.database} cannot be opened as a SQLite database ({_first_line(exc)}); change {KEY}"
    finally:
        await engine.dispose()
    return None


def _login_problem(exc: Exception, url: URL, where: str) -> str:
    """What a PostgreSQL server's refusal means for the operator (its messages hold no password)."""
    user, database = url.username or "(the login user)", url.database or url.username
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return f"{KEY}: PostgreSQL at {where} refused the password of user {user}; correct it in {KEY}"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return (
            f'{KEY}: PostgreSQL at {where} has no database "{database}"; create it '
            f"(createdb -h {url.host or 'localhost'} -U {user} {database}) or correct the name in {KEY}"
        )
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return f"{KEY}: PostgreSQL at {where} refused the login ({_first_line(exc)}); correct the user in {KEY}"
    return f"{KEY}: PostgreSQL at {where} refused the connection ({_first_line(exc)}); check {KEY}"


async def _postgres_problem(config: DatabaseConfig, url: URL) -> str | None:
    """Connect once, trying again while the server refuses (it may be starting) until
    `connect_timeout_seconds` have passed."""
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    loop = asyncio.get_running_loop()
    patience = config.connect_timeout_seconds
    deadline, pause = loop.time() + patience, 0.1
    while True:
        try:
            remaining = max(0.1, deadline - loop.time())
            connection = await asyncpg.connect(dsn, timeout=remaining)  # pyright: ignore[reportUnknownMemberType, reportArgumentType]  untyped asyncpg; its timeout is any number of seconds
        except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as exc:
            if loop.time() + pause >= deadline:
                return (
                    f"{KEY}: no PostgreSQL server answered at {where} within {patience:g}s ({type(exc).__name__}); "
                    f"start it, or correct the host and port in {KEY} (database.connect_timeout_seconds waits longer)"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return _login_problem(exc, url, where)
        except ValueError as exc:  # a connection parameter asyncpg cannot take
            return f"{KEY}: cannot connect to PostgreSQL at {where} ({_first_line(exc)}); correct {KEY}"
        else:
            await connection.close()  # pyright: ignore[reportUnknownMemberType]  untyped asyncpg
            return None


async def check_database(config: DatabaseConfig) -> str | None:
    """The problem that keeps the bot from using `config.url`, as one line, or None."""
    url = make_url(config.url)
    if url.get_backend_name() == "sqlite":
        return await _sqlite_problem(config, url)
    return await _postgres_problem(config, url)


async def require_database(config: DatabaseConfig) -> None:
    """`check_database`, raising PreflightError for a problem (the `migrate` and `copy-db` commands)."""
    problem = await check_database(config)
    if problem is not None:
        raise PreflightError(problem)
