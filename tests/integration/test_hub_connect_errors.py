"""A hub that cannot be opened says why in one plain sentence, and nothing is made or changed:
a missing driver, a URL that is none, a server nobody answers at, a database or user the
server does not have, a password it asks for or refuses. The password is never in the
message. Where it comes from (the URL, PROBDESK_HUB_PASSWORD, the key store, a prompt) is
probdesk.services.hub_access's; File > Hub…'s Test connection is `probe`."""

from __future__ import annotations

import hashlib
import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rawdb
from pg import PASSWORD_ROLE, PgServer, free_port

from probdesk.errors import InputError
from probdesk.hub import store
from probdesk.hub.store import Hub, PasswordNeeded, PasswordRefused, hub_location, probe
from probdesk.services import hub_access
from probdesk.services.hub import default_hub_url, open_hub
from probdesk.services.hub_access import HubAccess, open_hub_asking
from probdesk.store import hub_password

SECRET = "s3cret-horse-battery"


def refused(url: str, *fragments: str, data: Path, password: str | None = None) -> str:
    """Opening `url` fails with one InputError holding every fragment and no password, and
    the data folder gains no hub file."""
    with pytest.raises(InputError) as caught:
        open_hub(data, url, password)
    message = caught.value.message
    for f in fragments:
        assert f in message, (f, message)
    assert SECRET not in message and "\n" not in message
    assert not (data / "hub.sqlite").exists()
    return message


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "lead"
    folder.mkdir()
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def previous(tmp_path: Path) -> Iterator[tuple[Hub, Path]]:
    """A SQLite hub already open (as the window's is), which no failure elsewhere touches."""
    path = tmp_path / "previous.sqlite"
    hub = rawdb.hub(f"sqlite:///{path}")
    hub.set_meta("note", "the previous hub")
    try:
        yield hub, path
    finally:
        hub.close()


def still_there(previous: tuple[Hub, Path], before: str) -> None:
    hub, path = previous
    assert hub.meta("note") == "the previous hub"
    assert digest(path) == before


# -- no server needed -----------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("pg8000") is not None, reason="pg8000 installed")
def test_a_missing_driver_is_one_plain_sentence(data: Path, previous: tuple[Hub, Path]) -> None:
    before = digest(previous[1])
    message = refused(
        f"postgresql+pg8000://lead:{SECRET}@127.0.0.1:5432/probdesk",
        "This computer cannot talk to PostgreSQL", "(pg8000) is not installed",
        "pip install 'probdesk[postgres]'", "lead:***@127.0.0.1:5432/probdesk", data=data,
    )  # fmt: skip
    assert message.count(".") >= 1
    still_there(previous, before)


def test_psycopg_not_installed(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg: ImportError
    refused(
        f"postgresql://lead:{SECRET}@db.example:5432/probdesk",
        "This computer cannot talk to PostgreSQL", "(psycopg) is not installed", data=data,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        (f"postgresql+psycopg://lead:{SECRET}@db.example:badport/probdesk",
         "'postgresql+psycopg://lead:***@db.example:badport/probdesk' is not a hub location "
         "(its port is not a number)"),
        ("db.example.org/probdesk", "'db.example.org/probdesk' is not a hub location"),
        (f"mysql+nosuchdriver://lead:{SECRET}@db.example/probdesk",
         "probdesk does not know this kind of database"),
    ],
)  # fmt: skip
def test_a_url_that_is_none_says_so(
    data: Path, previous: tuple[Hub, Path], url: str, fragment: str
) -> None:
    before = digest(previous[1])
    refused(url, fragment, data=data)
    still_there(previous, before)


def test_nobody_listening_is_cannot_reach(data: Path, previous: tuple[Hub, Path]) -> None:
    before = digest(previous[1])
    port = free_port()
    refused(
        f"postgresql+psycopg://lead:{SECRET}@127.0.0.1:{port}/probdesk",
        f"Cannot reach the hub's PostgreSQL server at 127.0.0.1:{port} (connection refused). "
        "Check the address, or that the server is running.",
        data=data,
    )
    still_there(previous, before)


def test_a_server_that_never_answers_is_given_up_on(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listener that accepts and says nothing (a firewall's black hole, a hung server): the
    connect timeout ends the wait (libpq's shortest is 2 s) instead of hanging."""
    monkeypatch.setattr(store, "CONNECT_TIMEOUT_S", 2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        held: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            refused(
                f"postgresql+psycopg://lead@127.0.0.1:{port}/probdesk",
                f"Cannot reach the hub's PostgreSQL server at 127.0.0.1:{port} (no answer "
                "within 2 s)",
                data=data,
            )
        finally:
            stop.set()
            thread.join()
            for s in held:
                s.close()


def test_a_window_asks_a_silent_server_once(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's hub handle: the first view to ask waits out the connect timeout (on the
    runner, where the window opens it); every later one is told at once, not made to wait
    again, until File > Hub... makes a new handle."""
    monkeypatch.setattr(store, "CONNECT_TIMEOUT_S", 2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts (the kernel's backlog) and never answers
        url = f"postgresql+psycopg://lead@127.0.0.1:{listener.getsockname()[1]}/probdesk"
        access = HubAccess(data, url)
        start = time.monotonic()
        with pytest.raises(InputError, match="no answer within 2 s") as first:
            access.get()
        waited = time.monotonic() - start
        start = time.monotonic()
        with pytest.raises(InputError) as again:
            access.get()
        assert time.monotonic() - start < 0.5 < waited
        assert again.value.message == first.value.message and not access.is_open
        fresh = HubAccess(data, url)  # File > Hub...: asks the server again
        with pytest.raises(InputError, match="no answer"):
            fresh.get()
    # The data folder's own SQLite hub is never held refused: a passing lock may clear.
    assert HubAccess(data).get() is not None


def test_the_location_keeps_no_password() -> None:
    loc = hub_location(
        f"postgresql+psycopg://lead:{SECRET}@hub.example.org:5433/probdesk?sslmode=verify-full"
    )
    assert loc.url == "postgresql+psycopg://lead@hub.example.org:5433/probdesk?sslmode=verify-full"
    assert loc.password == SECRET
    assert loc.account == "lead@hub.example.org:5433/probdesk"
    assert loc.shown == "PostgreSQL lead@hub.example.org/probdesk"
    bare = hub_location("postgresql://lead@hub.example.org/probdesk")
    assert bare.password is None and bare.port == 5432 and bare.postgresql
    assert bare.url == "postgresql://lead@hub.example.org/probdesk"
    assert store.redacted(f"postgresql://lead:{SECRET}@h/db") == "postgresql://lead:***@h/db"
    assert hub_access.KEY_STORE_SERVICE == hub_password.SERVICE


def connect_params(url: str) -> dict[str, object]:
    """What the hub's engine hands the driver to connect to `url` (nobody listens there)."""
    from sqlalchemy import event

    engine = store._create_engine(store.engine_url(url))
    seen: dict[str, object] = {}

    @event.listens_for(engine, "do_connect")
    def _seen(_dialect: object, _record: object, _args: object, params: dict[str, object]) -> None:
        seen.update(params)

    try:
        with pytest.raises(Exception, match="refused"), engine.connect():
            pass
    finally:
        engine.dispose()
    return seen


def test_a_servers_hub_gets_a_connect_timeout() -> None:
    port = free_port()
    assert connect_params(f"postgresql://lead@127.0.0.1:{port}/probdesk")["connect_timeout"] == 10
    given = connect_params(f"postgresql://lead@127.0.0.1:{port}/probdesk?connect_timeout=3")
    assert given["connect_timeout"] == "3"


def test_the_command_line_without_a_terminal_says_where_the_password_goes(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server: the password problem is stood in for, to see the command line's message."""

    def opened(_data: Path, url: str | None, password: str | None = None) -> Hub:
        raise PasswordNeeded(f"The PostgreSQL hub at x asks for a password ({password}).")

    monkeypatch.setattr("probdesk.services.hub.open_hub", opened)
    with pytest.raises(InputError) as caught:
        open_hub_asking(data, "postgresql://lead@db.example/probdesk", environ={}, ask=None)
    message = caught.value.message
    assert "Set PROBDESK_HUB_PASSWORD" in message
    assert "service probdesk-hub, user lead@db.example:5432/probdesk" in message
    assert "run the command in a terminal" in message


# -- against the throwaway server ---------------------------------------------------------------


def tables_in(server: PgServer, database: str) -> int:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="postgres", dbname=database
    ) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert row is not None
    return int(row[0])


def database_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_an_unknown_database_or_user_says_which(pg_server: PgServer, data: Path) -> None:
    port = pg_server.port
    refused(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/no_such_db",
        f"The PostgreSQL server at 127.0.0.1:{port} has no database 'no_such_db'.", data=data,
    )  # fmt: skip
    url = pg_server.create_database()
    refused(
        url.replace("postgres@", "nobody_here@"),
        f"The PostgreSQL server at 127.0.0.1:{port} has no user 'nobody_here'.", data=data,
    )  # fmt: skip
    assert tables_in(pg_server, database_of(url)) == 0


def test_a_password_asked_for_refused_then_given(
    pg_server: PgServer, data: Path, previous: tuple[Hub, Path]
) -> None:
    before = digest(previous[1])
    url = pg_server.password_database(SECRET)
    where = f"127.0.0.1:{pg_server.port}/{database_of(url)}"
    with pytest.raises(PasswordNeeded) as needed:
        open_hub(data, url)
    assert needed.value.message == (
        f"The PostgreSQL hub at {where} asks for the password of user {PASSWORD_ROLE}, and none "
        "was given."
    )
    with pytest.raises(PasswordRefused) as wrong:
        open_hub(data, url, "not-the-password")
    assert wrong.value.message == (
        f"The PostgreSQL hub refused the password for user {PASSWORD_ROLE} at {where}. Check "
        "the password."
    )
    inline = url.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:wrong-{SECRET}@")
    message = refused(inline, "refused the password", data=data)
    assert f"wrong-{SECRET}" not in message
    assert tables_in(pg_server, database_of(url)) == 0  # nothing made
    still_there(previous, before)

    hub = open_hub(data, url, SECRET)
    try:
        assert hub.created and hub.dialect == "postgresql"
        assert SECRET not in hub.url
    finally:
        hub.close()
    inline_right = url.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:{SECRET}@")
    again = open_hub(data, inline_right)  # written in the URL: works (not recommended)
    try:
        assert not again.created and SECRET not in again.url
    finally:
        again.close()
    assert not (data / "hub.sqlite").exists()


def test_the_command_lines_password_env_key_store_then_prompt(
    pg_server: PgServer, data: Path
) -> None:
    url = pg_server.password_database(SECRET)
    asked: list[str] = []

    def ask(prompt: str) -> str | None:
        asked.append(prompt)
        return SECRET

    hub = open_hub_asking(data, url, environ={"PROBDESK_HUB_PASSWORD": SECRET}, ask=ask)
    hub.close()
    assert asked == []
    with pytest.raises(InputError, match=r"\(The password came from PROBDESK_HUB_PASSWORD\.\)"):
        open_hub_asking(data, url, environ={"PROBDESK_HUB_PASSWORD": "wrong"}, ask=ask)
    assert asked == []  # what the command line was given is not asked again

    account = hub_location(url).account
    assert hub_access.remember_password(url, SECRET)
    try:
        assert hub_password.stored(account) == SECRET
        open_hub_asking(data, url, environ={}, ask=None).close()
    finally:
        hub_access.forget_password(url)
    assert hub_password.stored(account) is None

    open_hub_asking(data, url, environ={}, ask=ask).close()  # none anywhere: the prompt
    assert asked == [f"Password for {account}: "]
    with pytest.raises(InputError, match="Set PROBDESK_HUB_PASSWORD"):
        open_hub_asking(data, url, environ={}, ask=None)
    assert not (data / "hub.sqlite").exists()


def test_a_trusting_server_is_never_asked_for_a_password(pg_server: PgServer, data: Path) -> None:
    def ask(_prompt: str) -> str | None:
        raise AssertionError("asked for a password the server does not want")

    hub = open_hub_asking(data, pg_server.create_database(), environ={}, ask=ask)
    hub.close()


def test_probe_says_what_is_there_and_changes_nothing(pg_server: PgServer, data: Path) -> None:
    url = pg_server.create_database()
    said = probe(url)
    assert said.startswith(f"Connected to PostgreSQL {pg_server_version(url)} at 127.0.0.1:")
    assert "holds no hub yet" in said
    assert tables_in(pg_server, database_of(url)) == 0
    open_hub(data, url).close()
    assert probe(url).endswith("holds a hub with 0 inspections.")
    with pytest.raises(PasswordRefused):
        probe(pg_server.password_database(SECRET), "wrong")
    with pytest.raises(InputError, match="is not a PostgreSQL URL"):
        probe(default_hub_url(data))
    with pytest.raises(InputError, match="Cannot reach"):
        probe(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")


def pg_server_version(url: str) -> str:
    import psycopg

    loc = hub_location(url)
    with psycopg.connect(host=loc.host, port=loc.port, user=loc.user, dbname=loc.database) as conn:
        version = conn.info.server_version  # major * 10000 + minor (PostgreSQL 10 on)
    return f"{version // 10000}.{version % 10000}"


def test_the_windows_handle_adds_where_to_give_the_password(
    pg_server: PgServer, data: Path
) -> None:
    url = pg_server.password_database(SECRET)
    access = HubAccess(data, url, password_hint="Give it in File > Hub….")
    with pytest.raises(InputError) as caught:
        access.get()
    assert caught.value.message.endswith("none was given. Give it in File > Hub….")
    assert access.describe() == f"PostgreSQL {PASSWORD_ROLE}@127.0.0.1/{database_of(url)}"
    access = HubAccess(data, url, SECRET)
    try:
        assert access.exists() and access.get().dialect == "postgresql"
    finally:
        access.close()
    assert HubAccess(data).describe() == "this data folder's (SQLite file)"
    assert not (data / "hub.sqlite").exists()
