"""Database mistakes stop the real bot process at once, with one line that names database.url and
the fix, and never a password or a traceback."""

from pathlib import Path
from urllib.parse import urlsplit

from asyncpg import InvalidPasswordError
from sqlalchemy.engine import make_url

from bot.preflight.database import _login_problem
from tests.postgres_cluster import free_port
from tests.sandbox import CommandRun, own_seconds, run_bot_command

SECRETS = {"DISCORD_TOKEN": "t" * 24, "OPENAI_API_KEY": "sk-standin-0123456789abcdef"}
PASSWORD = "hunter2-never-shown"


def config_file(folder: Path, images_api, database_url: str, extra: str = "") -> Path:
    """A config whose images API is the stand-in and whose Discord is nowhere: the checks stop
    the start before Discord is reached."""
    path = folder / "config.toml"
    path.write_text(
        '[discord]\napi_base_url = "http://127.0.0.1:9/api/v10"\n'
        f'[images]\nbase_url = "{images_api.base_url}"\n'
        f'[database]\nurl = "{database_url}"\n' + extra
    )
    return path


async def assert_stopped_with_one_line(run: CommandRun, *needles: str) -> str:
    lines = run.stderr.strip().splitlines()
    assert run.returncode != 0, run
    assert len(lines) == 1, run.stderr
    assert all(needle in lines[0] for needle in needles), lines[0]
    assert "Traceback" not in run.stderr + run.stdout
    assert PASSWORD not in run.stderr + run.stdout
    assert (seconds := await own_seconds(run)) < 15, (run.seconds, seconds)
    return lines[0]


async def test_a_sqlite_url_with_two_slashes_names_the_three_slash_form(tmp_path, images_api):
    config = config_file(tmp_path, images_api, "sqlite+aiosqlite://data/x.db")
    run = await run_bot_command("--config", str(config), env=SECRETS)
    line = await assert_stopped_with_one_line(run, "database.url", "sqlite+aiosqlite:///data/x.db")
    assert run.returncode == 2 and line.startswith(f"imagebot: config error: {config}: ")


async def test_a_path_through_a_file_is_one_line(tmp_path, images_api):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    config = config_file(tmp_path, images_api, f"sqlite+aiosqlite:///{tmp_path}/notes.txt/data/x.db")
    run = await run_bot_command("--config", str(config), env=SECRETS)
    await assert_stopped_with_one_line(run, "database.url", "part of that path is a file")


async def test_a_folder_the_bot_may_not_write_is_one_line(tmp_path, images_api):
    # /sys takes no new file from anyone, root included (to whom a folder's mode forbids nothing).
    config = config_file(tmp_path, images_api, "sqlite+aiosqlite:////sys/imagebot.db")
    run = await run_bot_command("--config", str(config), env=SECRETS)
    await assert_stopped_with_one_line(run, "database.url", "may not write to /sys", "change database.url")


async def test_an_unreachable_postgresql_names_host_and_port_within_the_timeout(tmp_path, images_api):
    port = free_port()  # nobody listens there
    url = f"postgresql+asyncpg://imagebot:{PASSWORD}@127.0.0.1:{port}/imagebot"
    config = config_file(tmp_path, images_api, url, "connect_timeout_seconds = 2\n")
    run = await run_bot_command("--config", str(config), env=SECRETS)
    await assert_stopped_with_one_line(
        run, "database.url", f"no PostgreSQL server answered at 127.0.0.1:{port} within 2s"
    )
    assert run.seconds >= 2


async def test_a_refused_login_is_one_line_without_the_password(tmp_path, images_api, postgres_url):
    server = urlsplit(postgres_url.replace("+asyncpg", ""))
    url = f"postgresql+asyncpg://no_such_role:{PASSWORD}@{server.hostname}:{server.port}{server.path}"
    config = config_file(tmp_path, images_api, url)
    run = await run_bot_command("--config", str(config), env=SECRETS)
    await assert_stopped_with_one_line(run, "database.url", "refused the login", "no_such_role", "correct the user")


async def test_a_missing_database_says_how_to_create_it(tmp_path, images_api, postgres_url):
    server = urlsplit(postgres_url.replace("+asyncpg", ""))
    url = f"postgresql+asyncpg://{server.username}:{PASSWORD}@{server.hostname}:{server.port}/imagebot_nowhere"
    config = config_file(tmp_path, images_api, url)
    run = await run_bot_command("--config", str(config), env=SECRETS)
    await assert_stopped_with_one_line(run, "database.url", 'no database "imagebot_nowhere"', "createdb")


def test_a_wrong_password_is_named_without_the_password():
    url = make_url(f"postgresql+asyncpg://imagebot:{PASSWORD}@db.example.com:5433/imagebot")
    line = _login_problem(InvalidPasswordError("password authentication failed"), url, "db.example.com:5433")
    assert line == (
        "database.url: PostgreSQL at db.example.com:5433 refused the password of user imagebot; "
        "correct it in database.url"
    )


async def test_several_config_problems_are_reported_together(tmp_path, images_api):
    config = config_file(
        tmp_path,
        images_api,
        "sqlite+aiosqlite://data/x.db",
        '[web]\nlisten = "127.0.0.1:8080"\npublic_url = "imagebot.example.com"\n',
    )
    run = await run_bot_command("--config", str(config), env={"DISCORD_TOKEN": "t" * 24})
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and "Traceback" not in run.stderr
    problems = [line.removeprefix(f"imagebot: config error: {config}: ") for line in lines]
    assert [problem.split(":")[0].split(" ")[0] for problem in problems] == [
        "database.url",
        "web.public_url",
        "images.api_key",
    ]
    assert "for example https://imagebot.example.com" in problems[1]  # an example of its own key
    assert "set the OPENAI_API_KEY environment variable" in problems[2]
