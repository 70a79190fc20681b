"""A throwaway PostgreSQL server for the hub tests: started once per test session, then stopped.

The server listens on 127.0.0.1 only, on a free port, with its socket in its own temporary
folder and trust authentication (nobody else can reach it), but for one role,
PASSWORD_ROLE, which must give its password (scram-sha-256): the tests of a hub's password
use it through `password_database`, and no other test sees it. PostgreSQL refuses to run as root,
so as root the folder is handed to the `postgres` user and initdb/pg_ctl run through runuser.

Not installed: the tests that need it are skipped on a developer's machine, but fail under CI
(CI=1), which must run them (`make sysdeps` installs the Debian package `postgresql`).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TEST_DATABASE = "probdesk_test"
PASSWORD_ROLE = "probdesk_pw"  # the one role that must give a password
START_TIMEOUT_S = 60


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, or PATH."""

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True):
        folder = Path(initdb).parent
        if os.access(folder / "initdb", os.X_OK) and os.access(folder / "pg_ctl", os.X_OK):
            return folder
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(message: str) -> None:
    """Skip here; fail under CI, where the PostgreSQL tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run the PostgreSQL tests: run `make sysdeps` as root)")
    pytest.skip(message)


@dataclass
class PgServer:
    bin_dir: Path
    root: Path
    port: int = 0
    started_in_s: float = 0.0
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def as_root(self) -> bool:
        return hasattr(os, "geteuid") and os.geteuid() == 0

    def _run(
        self, *args: str, timeout: float = START_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))}
        env["LANG"] = "C"
        return subprocess.run(
            cmd,
            cwd=self.root,  # a folder the postgres user can enter
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self) -> None:
        began = time.monotonic()
        if self.as_root:
            import pwd

            try:
                pg = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root, but there is no `postgres` user to run PostgreSQL")
            if shutil.which("runuser") is None:
                pytest.fail("running as root, but `runuser` is missing to run PostgreSQL")
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
        done = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        hba = self.data / "pg_hba.conf"  # the first line that matches decides: this role's
        hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n{hba.read_text()}")
        for _attempt in range(3):  # the free port may be taken between the probe and the start
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
            )
            done = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                "-t", str(START_TIMEOUT_S), "start",
            )  # fmt: skip
            if done.returncode == 0:
                break
        else:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            pytest.fail(f"PostgreSQL did not start:\n{done.stdout}\n{done.stderr}\n{log}")
        self.started_in_s = time.monotonic() - began

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "fast", "-w")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"probdesk_{next(self._names)}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def password_database(self, password: str) -> str:
        """A new, empty database owned by PASSWORD_ROLE, whose password is now `password`;
        its SQLAlchemy URL, without the password."""
        import psycopg
        from psycopg import sql

        name = f"probdesk_pw_{next(self._names)}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            there = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (PASSWORD_ROLE,)
            ).fetchone()
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(
                    sql.SQL("ALTER" if there else "CREATE"),
                    sql.Identifier(PASSWORD_ROLE),
                    sql.Literal(password),
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(PASSWORD_ROLE)
                )
            )
        return f"postgresql+psycopg://{PASSWORD_ROLE}@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable(
            "PostgreSQL is not installed: no initdb and pg_ctl in /usr/lib/postgresql/*/bin "
            "or on PATH"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install -e '.[test]'")
    assert bin_dir is not None
    server = PgServer(bin_dir, Path(tempfile.mkdtemp(prefix="probdesk-pg-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """postgresql+psycopg://postgres@127.0.0.1:PORT/probdesk_test, on a throwaway server."""
    return pg_server.create_database(TEST_DATABASE)
