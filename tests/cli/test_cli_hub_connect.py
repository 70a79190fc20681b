"""`--hub URL` that cannot be opened, on the command line: one plain line on stderr, exit 2, no
traceback, no password shown, nothing made or changed; a PostgreSQL hub's password from
PROBDESK_HUB_PASSWORD or the key store (no terminal here, so never a prompt)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from cli_support import Ran, home_environment, run
from demos import Demos
from pg import PgServer, free_port

from probdesk.services import hub_access

SECRET = "s3cret-horse-battery"


def files_of(folder: Path) -> dict[str, str]:
    """Every file under `folder` and its SHA-256: what "nothing changed" compares (but the
    log, which `merge` opens before anything else)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] != "logs"
    }


def one_plain_line(done: Ran, *fragments: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    assert SECRET not in done.stderr and done.stdout == ""
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


@pytest.fixture
def lead(demos: Demos, tmp_path: Path) -> Path:
    """A team lead's data folder (the demo's), which a failed --hub leaves as it was."""
    return demos.copy(4, tmp_path / "demo").lead


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        (f"postgresql+psycopg://lead:{SECRET}@127.0.0.1:badport/probdesk",
         "is not a hub location (its port is not a number)"),
        ("not a url", "'not a url' is not a hub location"),
    ],
)  # fmt: skip
def test_a_url_that_is_none(lead: Path, tmp_path: Path, url: str, fragment: str) -> None:
    before = files_of(lead)
    done = run("--data-dir", lead, "summary", "--hub", url, env=home_environment(tmp_path))
    one_plain_line(done, "probdesk: ", fragment)
    assert files_of(lead) == before


def test_nobody_listening(lead: Path, tmp_path: Path) -> None:
    before = files_of(lead)
    port = free_port()
    url = f"postgresql+psycopg://lead:{SECRET}@127.0.0.1:{port}/probdesk"
    done = run("--data-dir", lead, "summary", "--hub", url, env=home_environment(tmp_path))
    one_plain_line(
        done, f"probdesk: Cannot reach the hub's PostgreSQL server at 127.0.0.1:{port} "
        "(connection refused). Check the address, or that the server is running."
    )  # fmt: skip
    assert files_of(lead) == before


def test_a_missing_driver(lead: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once exit 70 (a bug's): now the plain line and exit 2."""
    before = files_of(lead)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg: ImportError
    url = f"postgresql+psycopg://lead:{SECRET}@db.example:5432/probdesk"
    done = run("--data-dir", lead, "summary", "--hub", url, env=home_environment(tmp_path))
    one_plain_line(done, "This computer cannot talk to PostgreSQL", "pip install")
    if importlib.util.find_spec("pg8000") is None:
        done = run(
            "--data-dir", lead, "summary", "--hub", url.replace("+psycopg", "+pg8000"),
            env=home_environment(tmp_path),
        )  # fmt: skip
        one_plain_line(done, "(pg8000) is not installed")
    assert files_of(lead) == before


def test_a_password_from_the_environment_or_the_key_store(
    pg_server: PgServer, lead: Path, tmp_path: Path
) -> None:
    url = pg_server.password_database(SECRET)
    shared = lead.parent / "shared"
    home = home_environment(tmp_path)
    before = files_of(lead)

    # No terminal, no password: one line saying where to put it; nothing merged.
    done = run("--data-dir", lead, "merge", shared, "--hub", url,
               env={**home, "PROBDESK_HUB_PASSWORD": None})  # fmt: skip
    one_plain_line(done, "asks for the password of user probdesk_pw", "Set PROBDESK_HUB_PASSWORD")
    done = run("--data-dir", lead, "merge", shared, "--hub", url,
               env={**home, "PROBDESK_HUB_PASSWORD": "wrong"})  # fmt: skip
    one_plain_line(done, "refused the password for user probdesk_pw",
                   "The password came from PROBDESK_HUB_PASSWORD.")  # fmt: skip
    assert files_of(lead) == before

    done = run("--data-dir", lead, "merge", shared, "--hub", url,
               env={**home, "PROBDESK_HUB_PASSWORD": SECRET})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("3 merged")
    assert SECRET not in done.stdout + done.stderr

    assert hub_access.remember_password(url, SECRET)
    try:
        done = run("--data-dir", lead, "summary", "--hub", url, "--format", "json",
                   env={**home, "PROBDESK_HUB_PASSWORD": None})  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "dipp-public-protection" in json.dumps(json.loads(done.stdout))
    finally:
        hub_access.forget_password(url)
    assert not (lead / "hub.sqlite").exists()
