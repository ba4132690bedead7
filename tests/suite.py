"""`make test`: the suite twice, the bot's database being SQLite and then PostgreSQL, both runs on
one throwaway PostgreSQL cluster (unless IMAGEBOT_TEST_POSTGRES_URL names a server the user runs),
once what the suite runs on is known to be installed.

    python -m tests.suite [pytest's arguments]
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from tests.postgres_cluster import ADMIN_URL, DEBIAN_SERVERS, admin_server, server_bin

DATABASES = ("sqlite", "postgresql")
NEEDED = {"postgresql": "PostgreSQL's server", "chromium": "Chromium (the painting page's tests run in it)"}


def missing_packages(path: str | None = None, debian_servers: Path = DEBIAN_SERVERS) -> list[str]:
    """The Debian packages the suite needs that are not installed (looked for on the PATH, or on
    `path`): the PostgreSQL server, unless IMAGEBOT_TEST_POSTGRES_URL names a server; Chromium."""
    missing = []
    if not os.environ.get(ADMIN_URL) and server_bin(path, debian_servers) is None:
        missing.append("postgresql")
    if shutil.which("chromium", path=path) is None:
        missing.append("chromium")
    return missing


def install_line(missing: list[str]) -> str:
    """One line: what is missing, and the command that installs it."""
    needed = " and ".join(NEEDED[name] for name in missing)
    line = f"make test needs {needed}, not installed here: sudo apt-get install -y {' '.join(missing)}"
    if "postgresql" in missing:
        line += f" (or set {ADMIN_URL} to a database of a PostgreSQL server you run)"
    return line


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_to_end(command: list[str], environ: dict[str, str]) -> int:
    """Run `command` and return its exit status. Interrupted (Ctrl-C, which reached the command
    too, or a TERM, passed on to it), wait for it to end before raising KeyboardInterrupt, so that
    nothing uses the cluster when it is removed."""
    child = subprocess.Popen(command, env=environ)

    def terminate(signum: int, frame: FrameType | None) -> None:
        child.terminate()
        _interrupted(signum, frame)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return child.wait()
    except KeyboardInterrupt:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str]) -> int:
    missing = missing_packages()
    if missing:
        print(install_line(missing), file=sys.stderr)
        return 2
    try:
        with admin_server() as cluster:
            where = f"the server that {ADMIN_URL} names"
            if cluster is not None:
                where = f"a throwaway cluster on 127.0.0.1:{cluster.port}, in {cluster.folder}"
            print(f"PostgreSQL for the tests: {where}", flush=True)
            for database in DATABASES:
                command = [sys.executable, "-m", "pytest", *argv]
                print(f"IMAGEBOT_TEST_DATABASE={database} {shlex.join(command)}", flush=True)
                status = run_to_end(command, {**os.environ, "IMAGEBOT_TEST_DATABASE": database})
                if status != 0:
                    return status
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupted)  # a TERM while the cluster is made removes it too
    sys.exit(main(sys.argv[1:]))
