"""Where the throwaway clusters' `initdb` and `pg_ctl` are found: on the PATH, else in the newest of
Debian's /usr/lib/postgresql/NN/bin, which are not on the PATH there."""

from __future__ import annotations

from pathlib import Path

from tests.postgres_cluster import server_bin


def tools(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_debian_servers_off_the_path_are_found_the_newest_first(tmp_path):
    debian = tmp_path / "lib" / "postgresql"
    tools(debian / "9.6" / "bin", "initdb", "pg_ctl")
    newest = tools(debian / "15" / "bin", "initdb", "pg_ctl")
    tools(debian / "16" / "bin", "pg_ctl")  # only the client side of 16: no initdb
    assert server_bin(path=str(tools(tmp_path / "empty")), debian_servers=debian) == newest


def test_the_path_comes_before_debian_servers(tmp_path):
    debian = tmp_path / "lib" / "postgresql"
    tools(debian / "15" / "bin", "initdb", "pg_ctl")
    on_path = tools(tmp_path / "bin", "initdb", "pg_ctl")
    assert server_bin(path=f"{tmp_path / 'nothing'}:{on_path}", debian_servers=debian) == on_path


def test_no_server_is_none(tmp_path):
    half = tools(tmp_path / "bin", "pg_ctl")  # pg_ctl without initdb
    assert server_bin(path=str(half), debian_servers=tmp_path / "lib") is None
