"""Throwaway PostgreSQL servers on ephemeral loopback ports, made with the installed server's own
`initdb` and `pg_ctl`: the one the tests make their databases on (`admin_server`: one for a whole
`make test`, unless IMAGEBOT_TEST_POSTGRES_URL names a server the user runs), and servers of a
test's own, which it may stop and start (`PostgresCluster`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ADMIN_URL = "IMAGEBOT_TEST_POSTGRES_URL"
DEBIAN_SERVERS = Path("/usr/lib/postgresql")


class ServerNotInstalled(RuntimeError):
    """No `initdb` and `pg_ctl` on this machine."""

    def __init__(self) -> None:
        super().__init__(
            "PostgreSQL's server is not installed (the tests run it on a port of their own): "
            f"sudo apt-get install -y postgresql, or set {ADMIN_URL} to a database of a server you run, "
            "as a user who may create databases"
        )


def server_bin(path: str | None = None, debian_servers: Path = DEBIAN_SERVERS) -> Path | None:
    """The folder of the installed server's `initdb` and `pg_ctl`: the PATH's (`path` if given),
    else the newest of Debian's `/usr/lib/postgresql/NN/bin`, which are not on the PATH; None
    when the server is not installed."""
    pg_ctl = shutil.which("pg_ctl", path=path)
    if pg_ctl is not None and shutil.which("initdb", path=str(Path(pg_ctl).parent)):
        return Path(pg_ctl).parent
    found = [initdb.parent for initdb in debian_servers.glob("*/bin/initdb") if (initdb.parent / "pg_ctl").exists()]
    return max(found, key=lambda folder: _version(folder.parent.name), default=None)


def _version(name: str) -> list[int]:
    return [int(part) for part in name.split(".") if part.isdigit()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run its tools as the `postgres` user (whom the
    server's package makes). Any other user runs them as themselves."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PostgresCluster:
    def __init__(self) -> None:
        """Raises ServerNotInstalled when there is no server to make the cluster with."""
        bin_folder = server_bin()
        if bin_folder is None:
            raise ServerNotInstalled()
        self.initdb, self.pg_ctl = str(bin_folder / "initdb"), str(bin_folder / "pg_ctl")
        # Not under pytest's tmp_path: as root, that is closed to the `postgres` user.
        self.folder = Path(tempfile.mkdtemp(prefix="imagebot-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run(_as_postgres(list(args)), capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")

    async def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        initdb = (self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        await asyncio.to_thread(self._run, *initdb)
        await self.start()

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        await asyncio.to_thread(self._run, self.pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        connection = await asyncpg.connect(self.admin_url)
        await connection.close()

    async def stop(self) -> None:
        await asyncio.to_thread(self._run, self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    async def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            await self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def admin_server() -> Iterator[PostgresCluster | None]:
    """The server the tests make their databases on, whose admin URL is in IMAGEBOT_TEST_POSTGRES_URL
    meanwhile, so that every process started inside uses it: the server that variable names when it
    is set (yields None), else a throwaway cluster, which is removed on exit, also when what ran
    inside failed or was interrupted. Raises ServerNotInstalled when a cluster is needed and there
    is no server to make it with."""
    if os.environ.get(ADMIN_URL):
        yield None
        return
    cluster = PostgresCluster()
    try:
        asyncio.run(cluster.create())
        os.environ[ADMIN_URL] = cluster.admin_url
        yield cluster
    finally:
        os.environ.pop(ADMIN_URL, None)
        asyncio.run(cluster.remove())


def libpq_url(url: str) -> str:
    """`url` as asyncpg takes it (`postgresql://`), whatever driver it names."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bot_url(url: str) -> str:
    """`url` as the bot's `database.url` takes it (`postgresql+asyncpg://`)."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database(prefix: str = "imagebot_test") -> AsyncIterator[str]:
    """A new database on the server of IMAGEBOT_TEST_POSTGRES_URL (see `admin_server`), dropped
    afterwards; yields its URL as asyncpg takes it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_url = libpq_url(os.environ[ADMIN_URL])  # set by admin_server()
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
