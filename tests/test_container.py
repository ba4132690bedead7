"""The container files as the bot reads them: the Dockerfile runs the installed bot as a user of
its own with its health check on /healthz, and compose.yaml runs PostgreSQL and two processes,
shard 0 and shard 1 of 2, on one config that the bot accepts. (No Docker engine runs here: the
`health` command, `run --shards` and PostgreSQL-shared processes are tested on real processes
in tests/e2e/operations/test_metrics.py and test_shards.py.)"""

import shlex
import tomllib
from pathlib import Path

import yaml

from bot.__main__ import _parser
from bot.config import parse_config, with_shards

ROOT = Path(__file__).resolve().parents[1]
CONFIG_IN_CONTAINER = "/app/config.toml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_is_slim_runs_as_its_own_user_and_checks_health():
    steps = instructions()
    final = max(index for index, (name, _) in enumerate(steps) if name == "FROM")
    runtime = steps[final:]
    assert runtime[0][1].split()[0].endswith("-slim")
    users = [value for name, value in runtime if name == "USER"]
    assert users and users[-1] not in {"root", "0"}
    [healthcheck] = [value for name, value in runtime if name == "HEALTHCHECK"]
    check = shlex.split(healthcheck.split("CMD", 1)[1].replace("[", "").replace("]", "").replace(",", " "))
    assert check[:3] == ["python", "-m", "bot"] and check[-1] == "health"
    assert _parser().parse_args(check[3:]).command == "health"
    [entrypoint] = [value for name, value in runtime if name == "ENTRYPOINT"]
    assert f'"--config", "{CONFIG_IN_CONTAINER}"' in entrypoint and f"--config {CONFIG_IN_CONTAINER}" in " ".join(check)
    copied = [value.split()[0] for name, value in steps if name == "COPY" and "--from" not in value]
    assert all((ROOT / path).exists() for path in copied)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"config.toml", ".venv", ".git"} <= set(ignored)  # no local secrets or venv in the image


def test_compose_runs_postgresql_and_two_shards_on_a_config_the_bot_accepts():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:") and "healthcheck" in services["db"]
    bots = {name: service for name, service in services.items() if name != "db"}
    assert len(bots) == 2
    [mount] = {volume for service in bots.values() for volume in service["volumes"]}
    source, target, _ = mount.split(":")
    assert target == CONFIG_IN_CONTAINER
    data = tomllib.loads((ROOT / source).read_text())
    config = parse_config(data, {"DISCORD_TOKEN": "t" * 8, "OPENAI_API_KEY": "k" * 8})
    assert config.database.url.startswith("postgresql+asyncpg://") and "@db/" in config.database.url
    assert config.metrics.listen == "0.0.0.0:9108"
    shards = []
    for service in bots.values():
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert set(service["environment"]) >= {"DISCORD_TOKEN", "OPENAI_API_KEY", "IMAGEBOT_SECRET_KEY"}
        args = _parser().parse_args(service["command"])
        assert args.command == "run"
        shards.append(with_shards(config, args.shards).discord)
    assert sorted(shard.shard_ids[0] for shard in shards) == [0, 1]
    assert {shard.shard_count for shard in shards} == {2}


def test_the_example_configs_sqlite_file_lands_in_the_containers_volume():
    [volume] = [value for name, value in instructions() if name == "VOLUME"]
    data = tomllib.loads((ROOT / "config.example.toml").read_text())
    config = parse_config(
        data, {"DISCORD_TOKEN": "t" * 8, "OPENAI_API_KEY": "k" * 8}, folder=Path(CONFIG_IN_CONTAINER).parent
    )
    assert config.database.url == f"sqlite+aiosqlite:///{yaml.safe_load(volume)[0]}/imagebot.db"
