"""`make test`'s driver (tests/suite.py), run as `make test` runs it, on a small test file of its
own: one throwaway PostgreSQL cluster for both runs, removed afterwards whatever happened, or the
server a given URL names; and one line naming the install command when something is missing."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from tests.postgres_cluster import ADMIN_URL
from tests.suite import install_line, missing_packages

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLUSTER_LINE = re.compile(r"PostgreSQL for the tests: a throwaway cluster on 127\.0\.0\.1:(\d+), in (\S+)")
RUN = """
import asyncio, os, time
import asyncpg

async def reach(url):
    connection = await asyncpg.connect(url)
    await connection.close()

def test_the_run():
    url = os.environ["IMAGEBOT_TEST_POSTGRES_URL"]
    asyncio.run(reach(url))
    with open(os.environ["RECORD"], "a") as record:
        record.write(os.environ["IMAGEBOT_TEST_DATABASE"] + " " + url + "\\n")
    assert os.environ["BEHAVIOUR"] != "fail"
    if os.environ["BEHAVIOUR"] == "wait":
        time.sleep(600)
"""


def reachable(url: str) -> bool:
    async def reach() -> None:
        connection = await asyncpg.connect(url, timeout=10)
        await connection.close()

    try:
        asyncio.run(reach())
    except OSError:
        return False
    return True


def driver(tmp_path: Path, behaviour: str, *, url: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command of `make test` on a test file that records each run, and its environment."""
    (tmp_path / "test_run.py").write_text(RUN)
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("IMAGEBOT_", "PYTEST_"))}
    environ.update(RECORD=str(tmp_path / "record"), BEHAVIOUR=behaviour)
    if url is not None:
        environ[ADMIN_URL] = url
    return [sys.executable, "-m", "tests.suite", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_run.py")], environ


def processes_of_session(session: int) -> str:
    """What each process of a session is doing (its state and what it waits in), to say why it did not end."""
    return subprocess.run(
        ["ps", "-o", "pid,ppid,stat,wchan:20,etime,args", "--sid", str(session)], capture_output=True, text=True
    ).stdout


def cluster_of(output: str) -> tuple[str, Path]:
    """The port and the folder of the cluster the driver says it made."""
    found = CLUSTER_LINE.search(output)
    assert found is not None, output
    return found[1], Path(found[2])


def runs(tmp_path: Path) -> list[list[str]]:
    record = tmp_path / "record"
    return [line.split() for line in record.read_text().splitlines()] if record.exists() else []


def test_both_runs_share_one_throwaway_cluster_which_is_removed_after(tmp_path):
    command, environ = driver(tmp_path, "pass")
    done = subprocess.run(command, env=environ, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    port, folder = cluster_of(done.stdout)
    [(first, url), (second, same_url)] = runs(tmp_path)
    assert (first, second) == ("sqlite", "postgresql") and url == same_url and f":{port}/" in url
    assert not folder.exists() and not reachable(url)


def test_a_failing_run_stops_the_suite_and_its_cluster_is_still_removed(tmp_path):
    command, environ = driver(tmp_path, "fail")
    done = subprocess.run(command, env=environ, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 1, done.stdout + done.stderr
    [(database, url)] = runs(tmp_path)  # no run on PostgreSQL after the failed one
    assert database == "sqlite"
    _, folder = cluster_of(done.stdout)
    assert not folder.exists() and not reachable(url)


@pytest.mark.parametrize("interrupt", ["Ctrl-C", "TERM"])
def test_an_interrupted_suite_removes_its_cluster(tmp_path, interrupt):
    command, environ = driver(tmp_path, "wait")
    # As a terminal starts a foreground job: SIGINT at its default, even where this run inherited it
    # ignored (a shell starts a background job, `make test &` or a CI step run so, with SIGINT ignored).
    command = ["env", "--default-signal=INT", *command]
    suite = subprocess.Popen(
        command, env=environ, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while not runs(tmp_path) and time.monotonic() < deadline and suite.poll() is None:
            time.sleep(0.1)
        [(_, url)] = runs(tmp_path)
        if interrupt == "Ctrl-C":  # the terminal sends SIGINT to the whole foreground process group
            os.killpg(suite.pid, signal.SIGINT)
        else:
            suite.terminate()
        try:
            output, _ = suite.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the interrupted suite did not end; its processes:\n{processes_of_session(suite.pid)}")
    finally:
        if suite.poll() is None:
            os.killpg(suite.pid, signal.SIGKILL)
            suite.wait()
    assert suite.returncode == 130, output
    _, folder = cluster_of(output)
    assert not folder.exists() and not reachable(url)


def test_a_given_url_is_used_for_both_runs_and_no_cluster_is_made(tmp_path):
    given = os.environ[ADMIN_URL]  # this run's own server
    command, environ = driver(tmp_path, "pass", url=given)
    done = subprocess.run(command, env=environ, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"PostgreSQL for the tests: the server that {ADMIN_URL} names" in done.stdout
    assert runs(tmp_path) == [["sqlite", given], ["postgresql", given]]


def test_without_chromium_the_suite_stops_with_one_line_naming_the_install_command(tmp_path):
    command, environ = driver(tmp_path, "pass")
    environ["PATH"] = str(tmp_path)  # nothing there: no chromium
    done = subprocess.run(command, env=environ, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == "" and runs(tmp_path) == []
    [line] = done.stderr.splitlines()
    assert re.search(r"Chromium .*: sudo apt-get install -y (postgresql )?chromium", line), line


def test_the_missing_server_and_browser_are_named_in_one_install_command(tmp_path, monkeypatch):
    monkeypatch.delenv(ADMIN_URL)
    assert missing_packages(path=str(tmp_path), debian_servers=tmp_path) == ["postgresql", "chromium"]
    line = install_line(["postgresql", "chromium"])
    assert "sudo apt-get install -y postgresql chromium" in line and f"or set {ADMIN_URL}" in line and "\n" not in line
    monkeypatch.setenv(ADMIN_URL, "postgresql://tester@db.example/postgres")
    assert missing_packages(path=str(tmp_path), debian_servers=tmp_path) == ["chromium"]
