"""A PostgreSQL server of a test's own, on an ephemeral loopback port, that the test may stop and
start again (the shared server at 5432 must stay up for every other test)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run its tools as the `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PostgresCluster:
    def __init__(self) -> None:
        # Not under pytest's tmp_path: as root, that is closed to the `postgres` user.
        self.folder = Path(tempfile.mkdtemp(prefix="imagebot-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(_as_postgres(list(args)), check=True, capture_output=True, timeout=60)

    async def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        await asyncio.to_thread(self._run, "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        await self.start()

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        await asyncio.to_thread(self._run, "pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        await connection.close()

    async def stop(self) -> None:
        await asyncio.to_thread(self._run, "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    async def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            await self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
