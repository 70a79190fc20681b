"""The team lead's hub: every device's events for an inspection, merged as a union.

A SQLite file by default; any SQLAlchemy URL (PostgreSQL for a regional or national hub).
Rows are only ever added: an event or note that is already there is skipped, so merging the
same packages again, or in another order, gives the same hub.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import URL, Connection, RowMapping, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    StatementError,
)

from probdesk.domain.case_events import CaseEvent
from probdesk.errors import EnvironmentProblem, InputError, RowsRefused
from probdesk.fs import private_file
from probdesk.hub import upgrades
from probdesk.hub.rows import ENROLLED as ENROLLED  # the key states, where they were before
from probdesk.hub.rows import REFUSED as REFUSED
from probdesk.hub.rows import (
    AnswerRow,
    AssignmentRow,
    AttachmentRow,
    CaseRow,
    DecisionRow,
    HeldRow,
    InspectionRow,
    KeyState,
    MeetingNoteRow,
    MeetingRow,
    OrgEventRow,
    PackageRow,
    PurgeRecord,
    SentComment,
)
from probdesk.store import cipher

log = logging.getLogger("probdesk.hub")

# The schema's history is the numbered steps in probdesk/hub/upgrades.py: a change to the
# Table definitions below comes with one new step there (see the top of that module).
SCHEMA_VERSION = upgrades.label(upgrades.LATEST)  # hub_meta.schema, as older probdesk reads it
_SCHEMA_LOCK = 7_093_410_615  # PostgreSQL advisory lock id held while upgrading or creating
metadata = MetaData()

hub_meta = Table(
    "hub_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)  # fmt: skip
question_sets = Table(
    "hub_question_set", metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("set_id", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("text", Text, nullable=False),
)  # fmt: skip
inspections = Table(
    "hub_inspection", metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(120), nullable=False),
    Column("pdu", String(120), nullable=False),
    Column("pdus", Text, nullable=False),
    Column("fieldwork_start", Date, nullable=False),
    Column("fieldwork_end", Date, nullable=False),
    Column("qs_hash", String(64), nullable=False),
    Column("kind", String(10), nullable=False, server_default="pdu"),
    Column("closed_at", DateTime, nullable=True),  # the team lead closed it (step 8)
)  # fmt: skip
devices = Table(
    "hub_device", metadata,
    Column("device_id", String(36), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("role", String(20), nullable=False),
    Column("signing_public", String(64), nullable=False),
    Column("encryption_public", String(64), nullable=False),
)  # fmt: skip
packages = Table(
    "hub_package", metadata,
    Column("package_id", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("inspection_id", String(36), nullable=False),
    Column("seq_to", Integer, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("merged_at", DateTime, nullable=False),
)  # fmt: skip
quarantine = Table(
    "hub_quarantine", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("package_id", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("seen_at", DateTime, nullable=False),
)  # fmt: skip
cases = Table(
    "hub_case", metadata,
    Column("id", String(36), primary_key=True),
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("reference", String(64), nullable=False),
    Column("pdu", String(120), nullable=True),
    Column("facts", Text, nullable=False),
    Column("variant", String(64), nullable=True),
    Column("assessor", String(80), nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_hlc", String(80), nullable=False),
)  # fmt: skip
events = Table(
    "hub_event", metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("question_id", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hlc", String(80), nullable=False),
    Column("replaces", String(36), nullable=True),
    Column("qs_id", String(64), nullable=False),
    Column("qs_version", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("author", String(80), nullable=False),
)  # fmt: skip
resolutions = Table(
    "hub_resolution", metadata,
    Column("event_id", String(36), primary_key=True),  # the team lead's deciding event
    Column("case_id", String(36), nullable=False, index=True),
    Column("question_id", String(64), nullable=False),
    Column("superseded", Text, nullable=False),  # JSON: the other heads it settles
    Column("moderator", String(80), nullable=False),
    Column("at", DateTime, nullable=False),
)  # fmt: skip
moderation = Table(
    "hub_moderation", metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("action", String(20), nullable=False),  # approved | returned
    Column("moderator", String(80), nullable=False),
    Column("comment", Text, nullable=False),
    Column("at", DateTime, nullable=False),
)  # fmt: skip
meetings = Table(
    "hub_meeting", metadata,
    Column("id", String(36), primary_key=True),
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("held_on", String(10), nullable=False),
    Column("title", Text, nullable=False),
    Column("groups", Text, nullable=False),
    Column("questions", Text, nullable=False),
    Column("device_id", String(36), nullable=False),
)  # fmt: skip
meeting_notes = Table(
    "hub_meeting_note", metadata,
    Column("id", String(36), primary_key=True),
    Column("meeting_id", String(36), nullable=False, index=True),
    Column("question_id", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hlc", String(80), nullable=False),
    Column("replaces", String(36), nullable=True),
    Column("recorded_at", String(40), nullable=False),
    Column("author", String(80), nullable=False),
)  # fmt: skip
org_events = Table(
    "hub_org_event", metadata,
    Column("id", String(36), primary_key=True),
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("payload", Text, nullable=False),  # JSON object: the subject's whole new state
    Column("device_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hlc", String(80), nullable=False),
    Column("replaces", String(36), nullable=True),
    Column("author", String(80), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)  # fmt: skip
attachments = Table(
    "hub_attachment", metadata,
    Column("sha256", String(64), primary_key=True),  # content-addressed: kept once
    Column("name", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)  # fmt: skip

case_events = Table(
    "hub_case_event", metadata,
    Column("id", String(36), primary_key=True),
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("field", String(80), nullable=False),
    Column("value", Text, nullable=False),  # JSON
    Column("device_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hlc", String(80), nullable=False),
    Column("replaces", String(36), nullable=True),
    Column("settles", Text, nullable=False),  # JSON list: the heads a lead's decision settles
    Column("author", String(80), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)  # fmt: skip

# -- enrolment and authority (see probdesk.packages.enrolment, probdesk.services.authority) --
device_keys = Table(
    "hub_device_key", metadata,
    Column("inspection_id", String(36), primary_key=True),
    Column("signing_public", String(64), primary_key=True),  # identity is the key
    Column("encryption_public", String(64), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("member", String(80), nullable=False),
    Column("state", String(10), nullable=False),  # enrolled | refused
    Column("how", String(10), nullable=False),  # code | lead
    Column("at", DateTime, nullable=False),
)  # fmt: skip
held = Table(
    "hub_held", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("package_id", String(64), nullable=False),
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("device_id", String(36), nullable=False),
    Column("signing_public", String(64), nullable=False),
    Column("encryption_public", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("claimed_member", String(80), nullable=False),  # what the package says: unproven
    Column("file_name", Text, nullable=False),
    Column("seen_at", DateTime, nullable=False),
)  # fmt: skip
assignments = Table(
    "hub_assignment", metadata,
    Column("case_id", String(36), primary_key=True),
    Column("hlc", String(80), primary_key=True),  # the lead's clock; "" for the first
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("reference", String(64), nullable=False),
    Column("assessor", String(80), nullable=False),
)  # fmt: skip
# -- retention (step 8; probdesk.services.retention) -----------------------------------------
purges = Table(
    "hub_purge", metadata,
    Column("inspection_id", String(36), primary_key=True),
    Column("closed_at", DateTime, nullable=False),
    Column("purged_at", DateTime, nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON {table: rows removed}: counts only
)  # fmt: skip
# -- comments sent to assessors (step 9; probdesk.services.hub) ------------------------------
comments = Table(
    "hub_comment", metadata,
    Column("id", String(36), primary_key=True),  # the same id in every laptop's pack
    Column("inspection_id", String(36), nullable=False, index=True),
    Column("case_id", String(36), nullable=False),
    Column("question_id", String(64), nullable=True),  # None: on the case as a whole
    Column("author", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("kind", String(20), nullable=False),  # comment | return
    Column("sent_at", DateTime, nullable=False),
    # The clock of the question's answer that stood when it was sent (None: not answered, or
    # on the case): a later answer to the question was given after the assessor read it.
    Column("seen_hlc", String(80), nullable=True),
)  # fmt: skip
RETENTION_KEY = "retention_days"  # hub_meta: the organisation's retention period, in days


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class Writing:
    """One write transaction of the hub, as `Hub.transaction` hands it out: what a service
    passes to the Hub's writing methods so that several writes commit or fail together,
    without holding the database connection itself."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn


def _connection(tx: Writing) -> Connection:
    return tx._conn


WAL_ATTEMPTS = 200  # x 50 ms: hubs opened together on a new file take turns switching to WAL


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    # Switching a new file to WAL needs it to itself, and SQLite answers "database is locked"
    # at once (no busy wait) when another connection is switching it too: ask again, briefly.
    # A file already in WAL (every hub after its first opening) is not switched again.
    for attempt in range(WAL_ATTEMPTS):
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            break
        except cipher.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05)
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


POSTGRES_DRIVER = "psycopg"  # psycopg 3, from the `probdesk[postgres]` extra
CONNECT_TIMEOUT_S = 10  # an unreachable server is said so after this, instead of hanging
DEFAULT_PG_PORT = 5432


_PASSWORD = re.compile(r"(://[^:/]*):[^@]*@")  # USER:PASSWORD@, read as SQLAlchemy reads it


def redacted(url: str) -> str:
    """`url` as it may be shown or logged: a password in it (`USER:PASSWORD@`) as ***."""
    return _PASSWORD.sub(r"\1:***@", url, count=1)


def engine_url(url: str) -> URL:
    """The URL the hub connects with: `postgresql://` always means psycopg 3.

    SQLAlchemy 2.0 reads a bare `postgresql://` as psycopg2 and 2.1 as psycopg; naming the
    driver makes every install connect the same way.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        why = " (its port is not a number)" if isinstance(exc, ValueError) else ""
        raise InputError(
            f"{redacted(url)!r} is not a hub location{why}: give a SQLite file "
            "(sqlite:///PATH) or a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=f"postgresql+{POSTGRES_DRIVER}")
    return parsed


@dataclass(frozen=True)
class HubLocation:
    """A hub's URL taken apart for the settings, the key store and the messages."""

    url: str  # the URL without its password: what a setting keeps
    password: str | None  # the password written in the URL (not recommended), if any
    backend: str  # "sqlite", "postgresql", or another database's name
    user: str
    host: str
    port: int
    database: str

    @property
    def postgresql(self) -> bool:
        return self.backend == "postgresql"

    @property
    def server(self) -> str:
        """host:port, as the messages name the server."""
        return f"{self.host}:{self.port}"

    @property
    def account(self) -> str:
        """The name the hub's password is kept under in the key store: user@host:port/db."""
        return f"{self.user}@{self.server}/{self.database}"

    @property
    def shown(self) -> str:
        """The hub in a few words: "PostgreSQL lead@hub.example.org/probdesk"."""
        if self.postgresql:
            return f"PostgreSQL {self.user}@{self.host}/{self.database}"
        if self.backend == "sqlite":
            return f"SQLite file {self.database}"
        return self.url


def hub_location(url: str) -> HubLocation:
    """`url` taken apart (InputError when it is no URL); nothing is connected to."""
    parsed = engine_url(url)
    return _location(parsed, url if parsed.password is None else _PASSWORD.sub(r"\1@", url, 1))


def _location(parsed: URL, without_password: str) -> HubLocation:
    backend = parsed.get_backend_name()
    return HubLocation(
        url=without_password,
        password=None if parsed.password is None else str(parsed.password),
        backend=backend,
        user=parsed.username or "",
        host=parsed.host or "localhost",
        port=parsed.port or (DEFAULT_PG_PORT if backend == "postgresql" else 0),
        database=parsed.database or "",
    )


class PasswordNeeded(InputError):
    """The PostgreSQL server asks for a password and none was given."""


class PasswordRefused(InputError):
    """The PostgreSQL server refused the password given."""


def _create_engine(url: URL) -> Engine:
    sqlite = url.get_backend_name() == "sqlite"
    try:
        if sqlite:  # SQLCipher's build of SQLite: the hub file is encrypted when keyed
            return create_engine(url, module=cipher.dbapi, connect_args={"isolation_level": None})
        if url.get_driver_name() in ("psycopg", "psycopg2") and "connect_timeout" not in url.query:
            return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        return create_engine(url)
    except ImportError as exc:
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "postgresql":
            raise InputError(
                f"This computer cannot talk to PostgreSQL: the driver for the hub {shown} "
                f"({url.get_driver_name()}) is not installed. Install probdesk with its "
                "PostgreSQL extra: pip install 'probdesk[postgres]'."
            ) from exc
        raise InputError(
            f"The hub {shown} needs a database driver that is not installed ({exc.name})."
        ) from exc
    except NoSuchModuleError:
        raise InputError(
            f"{url.render_as_string(hide_password=True)}: probdesk does not know this kind "
            "of database; a hub is a SQLite file or a PostgreSQL database"
        ) from None


_UNREACHABLE = (  # what libpq and psycopg say when no server answers: ours in brackets
    ("connection refused", "connection refused"),
    ("timeout expired", "no answer within {timeout} s"),
    ("timed out", "no answer within {timeout} s"),
    ("could not translate host name", "no computer of that name"),
    ("failed to resolve host", "no computer of that name"),
    ("name or service not known", "no computer of that name"),
    ("nodename nor servname", "no computer of that name"),
    ("no route to host", "no route to it from here"),
    ("network is unreachable", "no network route to it"),
)


def _server_said(text: str) -> str:
    """libpq's reason, without its "connection failed: connection to server at ..." lead."""
    first = text.strip().splitlines()[0] if text.strip() else text
    reason = first.rpartition(" failed: ")[2] if " failed: " in first else first
    return reason.removeprefix("FATAL:").strip()


def connection_problem(url: URL, exc: BaseException) -> InputError:
    """What a failure to connect to the PostgreSQL hub at `url` means, in one plain sentence
    naming the server (never the password: libpq never repeats it, and it is taken out here
    should a message ever hold it)."""
    loc = _location(url, url.render_as_string(hide_password=True))
    text = str(exc)
    low = text.lower()
    where, user, db = loc.server, loc.user or "(none given)", loc.database
    if "no password supplied" in low or "password is required" in low:
        return PasswordNeeded(
            f"The PostgreSQL hub at {where}/{db} asks for the password of user {user}, and "
            "none was given."
        )
    if "password authentication failed" in low:
        return PasswordRefused(
            f"The PostgreSQL hub refused the password for user {user} at {where}/{db}. "
            "Check the password."
        )
    if 'database "' in low and "does not exist" in low:
        return InputError(
            f"The PostgreSQL server at {where} has no database {db!r}. Check the name in the "
            "hub's URL, or ask the server's administrator to create it."
        )
    if 'role "' in low and "does not exist" in low:
        return InputError(
            f"The PostgreSQL server at {where} has no user {user!r}. Check the user name in the "
            "hub's URL."
        )
    if "no pg_hba.conf entry" in low:
        return InputError(
            f"The PostgreSQL server at {where} does not let this computer in as {user} to "
            f"{db!r} (no pg_hba.conf entry). Ask the server's administrator."
        )
    timeout = url.query.get("connect_timeout", str(CONNECT_TIMEOUT_S))
    for said, ours in _UNREACHABLE:
        if said in low:
            return InputError(
                f"Cannot reach the hub's PostgreSQL server at {where} "
                f"({ours.format(timeout=timeout)}). Check the address, or that the server is "
                "running."
            )
    reason = _server_said(text)
    if url.password:
        reason = reason.replace(str(url.password), "***")
    if "ssl" in low or "certificate" in low:
        return InputError(
            f"The TLS connection to the hub's PostgreSQL server at {where} failed: {reason}. "
            "Check the sslmode, sslrootcert, sslcert and sslkey options in the hub's URL."
        )
    return InputError(f"The PostgreSQL hub at {where}/{db} cannot be opened: {reason}.")


def probe(url: str, password: str | None = None) -> str:
    """Connect to the PostgreSQL hub at `url` and say what is there, in one sentence, making
    and changing nothing (File > Hub…'s Test connection); an InputError says why not."""
    parsed = engine_url(url)
    if password is not None:
        parsed = parsed.set(password=password)
    if parsed.get_backend_name() != "postgresql":
        raise InputError(
            f"{parsed.render_as_string(hide_password=True)} is not a PostgreSQL URL: give one "
            "like postgresql+psycopg://USER@HOST:PORT/DATABASE"
        )
    engine = _create_engine(parsed)
    loc = _location(parsed, "")
    try:
        with engine.connect() as conn:
            server = ".".join(str(n) for n in (conn.dialect.server_version_info or ())[:2])
            found = upgrades.read_version(conn)
            held = (
                int(conn.execute(select(func.count()).select_from(inspections)).scalar_one())
                if found.exists
                else 0
            )
    except DBAPIError as exc:
        raise connection_problem(parsed, exc.orig or exc) from None
    except upgrades.UnreadableVersion as exc:
        raise InputError(f"The database {loc.database!r} at {loc.server}: {exc}") from None
    finally:
        engine.dispose()
    there = f"Connected to PostgreSQL {server} at {loc.server} as {loc.user}: {loc.database!r}"
    if not found.exists:
        return f"{there} holds no hub yet; probdesk makes the hub's tables when it opens it."
    if found.step is not None and found.step > upgrades.LATEST:
        return (
            f"{there} holds a hub newer than this probdesk (upgrade step {found.step}): update "
            "probdesk before opening it."
        )
    return f"{there} holds a hub with {held} inspection{'s' * (held != 1)}."


class Hub:
    """The hub database behind any SQLAlchemy URL."""

    def __init__(self, url: str, key: bytes | None = None, password: str | None = None) -> None:
        """`key`: the data key of the team lead's data folder, which encrypts a SQLite hub
        file (a plaintext one from an earlier probdesk is encrypted at its first opening);
        None opens a plain SQLite file. A PostgreSQL hub is protected by its server; its
        `password` (else the one in `url`, or none) is only ever handed to the driver.

        The database is connected to here: a server that cannot be reached, or refuses the
        user or the password, is an InputError saying so, and nothing is made or changed."""
        self.url = redacted(url)
        self.key = key
        parsed = engine_url(url)
        if password is not None:
            parsed = parsed.set(password=password)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            path = Path(str(parsed.database))
            if path.parent.is_dir():
                private_file(path)  # owner-only (and so its -wal and -shm)
            if key is not None and path.is_file() and cipher.is_plaintext(path):
                self._encrypt(path, key)
        self._engine: Engine = _create_engine(parsed)
        if self._engine.dialect.name == "sqlite":

            @event.listens_for(self._engine, "connect")
            def _key(dbapi_conn: Any, _record: Any) -> None:
                cipher.apply_key(dbapi_conn, key)  # first: nothing is read before the key

            event.listen(self._engine, "connect", _sqlite_pragmas)

            # pysqlite's own transaction handling is off; writers take the write lock at the
            # start (BEGIN IMMEDIATE), readers take none (a deferred BEGIN reads one snapshot
            # under WAL while a merge writes).
            @event.listens_for(self._engine, "begin")
            def _begin(conn: Any) -> None:
                read_only = conn.get_execution_options().get("hub_read_only", False)
                conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        else:
            self._connect_first(parsed)  # a server that says no says it here, nothing done
        self._reader: Engine = self._engine.execution_options(hub_read_only=True)

        self.created = False  # this opening created the hub's tables
        self.upgraded: tuple[int, ...] = ()  # the upgrade steps this opening ran on the hub
        self.backup: Path | None = None  # the copy of a SQLite hub made before they ran
        try:
            with self._read() as conn:
                found = self._schema(conn)
            if not found.current:
                self._upgrade()
            # else an up-to-date hub opens without the write lock (a merge may hold it)
        except OperationalError as exc:
            self._engine.dispose()
            if self._engine.dialect.name == "postgresql":
                raise connection_problem(parsed, exc.orig or exc) from None
            raise EnvironmentProblem(f"The hub database cannot be opened: {exc.orig}") from exc
        except DBAPIError as exc:
            self._engine.dispose()
            if self._engine.dialect.name == "sqlite" and "not a database" in str(exc.orig):
                shown = self._engine.url.render_as_string(hide_password=True)
                raise EnvironmentProblem(
                    f"The hub {shown} cannot be opened with this data folder's key: it is "
                    "damaged, or it is another data folder's hub (open it from the team "
                    "lead's data folder that made it). Nothing was changed."
                ) from exc
            if self._engine.dialect.name == "postgresql" and "permission denied" in str(exc.orig):
                loc = _location(parsed, "")
                raise InputError(
                    f"The PostgreSQL user {loc.user} may not read or make the hub's tables in "
                    f"{loc.database!r} at {loc.server}: ask the server's administrator to "
                    "grant it (the hub needs its own database, or CREATE on its schema). "
                    "Nothing was changed."
                ) from None
            raise
        except BaseException:
            self._engine.dispose()
            raise

    def _connect_first(self, parsed: URL) -> None:
        """Connect once to a server's hub: why it cannot be reached or refuses us, plainly."""
        try:
            with self._engine.connect():
                pass
        except DBAPIError as exc:
            self._engine.dispose()
            raise connection_problem(parsed, exc.orig or exc) from None
        except BaseException:
            self._engine.dispose()
            raise

    def _schema(self, conn: Connection) -> upgrades.Version:
        """The hub's version rows; a hub newer than this probdesk is refused (and left alone)."""
        shown = self._engine.url.render_as_string(hide_password=True)
        try:
            found = upgrades.read_version(conn)
        except upgrades.UnreadableVersion as exc:
            raise EnvironmentProblem(f"The hub at {shown} cannot be opened: {exc}") from None
        if found.step is not None and found.step > upgrades.LATEST:
            raise EnvironmentProblem(
                f"The hub at {shown} is at upgrade step {found.step}, newer than this probdesk "
                f"understands ({upgrades.LATEST}); update probdesk before opening it."
            )
        if found.label is not None and int(found.label) > int(SCHEMA_VERSION):
            raise EnvironmentProblem(
                f"The hub at {shown} has schema {found.label}, newer than this probdesk "
                f"understands ({SCHEMA_VERSION}); update probdesk before opening it."
            )
        return found

    def _upgrade(self) -> None:
        """Create a new hub, or run the steps an older one lacks: once, in one transaction."""
        with self._engine.begin() as conn:  # on SQLite BEGIN IMMEDIATE: the write lock
            if self._engine.dialect.name == "postgresql":
                # Hubs opened at once: one upgrades (or creates the tables), the others wait
                # here and then find it done (SQLite's BEGIN IMMEDIATE does the same).
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
            found = self._schema(conn)  # again, under the lock
            if found.current:
                return
            if not found.exists:
                metadata.create_all(conn)  # a new hub: today's tables
                upgrades.record(conn, upgrades.LATEST)
                self.created = True
                return
            steps = upgrades.pending(conn, found)
            if steps and self._engine.dialect.name == "sqlite":
                self.backup = self._backup_sqlite(steps[0].number)
            for step in steps:  # PostgreSQL: no copy; the one transaction undoes a failure
                try:
                    step.run(conn)
                except DBAPIError as exc:
                    raise EnvironmentProblem(
                        f"The hub could not be upgraded: step {step.number} ({step.description}) "
                        f"failed: {exc.orig}. The hub is left as it was."
                    ) from exc
            upgrades.record(conn, upgrades.LATEST)
            self.upgraded = tuple(s.number for s in steps)

    def _backup_sqlite(self, first_step: int) -> Path | None:
        """A copy of the hub file beside it; None for a database in memory (nothing to keep)."""
        database = self._engine.url.database or ""
        if database.startswith("file:"):  # a URI filename (?uri=true)
            parts = urlsplit(database)
            if "mode=memory" in parts.query:
                return None
            database = unquote(parts.path)
        if database in ("", ":memory:"):
            return None
        unreadable: tuple[type[Exception], ...] = (OSError, *cipher.DatabaseError)
        try:
            return upgrades.backup_sqlite(Path(database), first_step, self.key)
        except unreadable as exc:
            raise EnvironmentProblem(
                f"The hub {database} needs upgrading, but it could not be copied first "
                f"({exc}); nothing was changed. Free some space beside it, or check that its "
                "folder can be written to, and open it again."
            ) from exc

    @staticmethod
    def _encrypt(path: Path, key: bytes) -> None:
        """A plaintext hub file from an earlier probdesk, encrypted once, checked, and its
        plaintext removed (probdesk.store.cipher.encrypt_in_place)."""
        failed: tuple[type[Exception], ...] = (
            cipher.EncryptionFailed, *cipher.DatabaseError, OSError,
        )  # fmt: skip
        try:
            counts = cipher.encrypt_in_place(path, key)
        except failed as exc:
            raise EnvironmentProblem(
                f"The hub {path} could not be encrypted ({exc}); it was left as it was. Free "
                "some space beside it, or check that its folder can be written to."
            ) from exc
        log.info("the plaintext hub was encrypted (%d tables)", len(counts))

    def close(self) -> None:
        self._engine.dispose()

    @property
    def dialect(self) -> str:
        """The kind of database behind the hub: "sqlite" or "postgresql"."""
        return str(self._engine.dialect.name)

    @contextmanager
    def transaction(self) -> Iterator[Writing]:
        """One write transaction for the Hub's writing methods; rows the database refuses roll
        it back as RowsRefused. Callers hold the handle, never the connection behind it."""
        with self._transaction() as conn:
            yield Writing(conn)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except (IntegrityError, DataError, InterfaceError) as exc:
            raise RowsRefused(f"the hub refused the rows ({type(exc.orig).__name__})") from exc
        except StatementError as exc:
            if isinstance(exc, DBAPIError):  # the database or the disk: not the rows
                raise
            raise RowsRefused("the hub refused the rows (a value of the wrong kind)") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One consistent snapshot for a look-up, without the write lock."""
        with self._reader.begin() as conn:
            yield conn

    # -- writing (a union: only ever adds) ------------------------------------------------
    def _insert_missing(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
    ) -> None:
        """Insert rows whose primary key is not there yet; rows already there are kept."""
        if not rows:
            return
        conn.execute(self._insert_or_skip(table), list(rows))

    def _insert_or_skip(self, table: Table) -> Any:
        dialect = self._engine.dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table).on_conflict_do_nothing()
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        # pragma: no cover - other databases are not supported
        raise EnvironmentProblem(f"The hub supports SQLite and PostgreSQL, not {dialect}.")

    def add_question_set(self, tx: Writing, content_hash: str, set_id: str, version: str,
                         text: str) -> None:  # fmt: skip
        self._insert_missing(_connection(tx), question_sets, [
            {"content_hash": content_hash, "set_id": set_id, "version": version, "text": text}
        ])  # fmt: skip

    def add_inspection(self, tx: Writing, row: dict[str, Any]) -> None:
        self._insert_missing(_connection(tx), inspections, [row])

    def follow_question_set(self, tx: Writing, inspection_id: str, qs_hash: str) -> set[str]:
        """Put the inspection on the question set the team lead moved it to; the ids of its
        cases when it moved (their variants are worked out again), else none. Answers stay as
        they are: each names the version it was given under."""
        conn = _connection(tx)
        current = conn.execute(
            select(inspections.c.qs_hash).where(inspections.c.id == inspection_id)
        ).scalar()
        if current is None or current == qs_hash:
            return set()
        conn.execute(
            update(inspections).where(inspections.c.id == inspection_id).values(qs_hash=qs_hash)
        )
        found = conn.execute(select(cases.c.id).where(cases.c.inspection_id == inspection_id))
        return {str(r.id) for r in found}

    def add_device(self, tx: Writing, row: dict[str, Any]) -> None:
        self._insert_missing(_connection(tx), devices, [row])

    def add_events(self, tx: Writing, rows: Iterable[dict[str, Any]]) -> None:
        self._insert_missing(_connection(tx), events, list(rows))

    def add_meetings(self, tx: Writing, rows: Iterable[dict[str, Any]]) -> None:
        self._insert_missing(_connection(tx), meetings, list(rows))

    def add_meeting_notes(self, tx: Writing, rows: Iterable[dict[str, Any]]) -> None:
        self._insert_missing(_connection(tx), meeting_notes, list(rows))

    def add_org_events(self, tx: Writing, rows: Iterable[dict[str, Any]]) -> None:
        self._insert_missing(_connection(tx), org_events, list(rows))

    def add_attachments(self, tx: Writing, rows: Iterable[dict[str, Any]]) -> None:
        """Attached files by SHA-256: the same file from several packages is kept once."""
        for row in rows:  # one at a time: each may be megabytes
            self._insert_missing(_connection(tx), attachments, [row])

    def add_cases(self, tx: Writing, rows: Sequence[dict[str, Any]]) -> None:
        """A case's row the first time it is seen; its state is the fold of its events,
        written by `set_case_states`, never taken from a package."""
        self._insert_missing(_connection(tx), cases, rows)

    def add_case_events(self, tx: Writing, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Store the case events not stored yet; the ids of the cases that have new ones."""
        conn = _connection(tx)
        if not rows:
            return set()
        ids = [r["id"] for r in rows]
        have: set[str] = set()
        for start in range(0, len(ids), 500):
            have.update(conn.execute(
                select(case_events.c.id).where(case_events.c.id.in_(ids[start:start + 500]))
            ).scalars())  # fmt: skip
        new = [r for r in {r["id"]: r for r in rows}.values() if r["id"] not in have]
        self._insert_missing(conn, case_events, new)
        return {r["case_id"] for r in new}

    def case_events_in(self, tx: Writing, case_ids: Iterable[str]) -> list[CaseEvent]:
        """Every event of these cases, read in the caller's transaction."""
        ids = sorted(set(case_ids))
        out: list[CaseEvent] = []
        conn = _connection(tx)
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(case_events).where(case_events.c.case_id.in_(ids[start : start + 500]))
            )
            out.extend(_case_event(r._mapping) for r in rows)
        return out

    def case_events_of(self, inspection_id: str) -> list[CaseEvent]:
        with self._read() as conn:
            rows = conn.execute(
                select(case_events).where(case_events.c.inspection_id == inspection_id)
            )
            return [_case_event(r._mapping) for r in rows]

    def existing_cases(self, tx: Writing, case_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(case_ids))
        found: set[str] = set()
        conn = _connection(tx)
        for start in range(0, len(ids), 500):
            found.update(conn.execute(
                select(cases.c.id).where(cases.c.id.in_(ids[start:start + 500]))
            ).scalars())  # fmt: skip
        return found

    def set_case_states(self, tx: Writing, rows: Sequence[dict[str, Any]]) -> None:
        """Write the fold of each case's events into its row (rows: id and the folded state)."""
        conn = _connection(tx)
        for row in rows:
            conn.execute(
                update(cases)
                .where(cases.c.id == row["id"])
                .values({k: v for k, v in row.items() if k != "id"})
            )

    def record_package(self, tx: Writing, row: dict[str, Any]) -> bool:
        """False when the package was recorded already (by a merge running at the same time)."""
        conn = _connection(tx)
        stmt = self._insert_or_skip(packages)
        if self._engine.dialect.name == "postgresql":  # psycopg gives no rowcount here
            return conn.execute(stmt.returning(packages.c.package_id), row).first() is not None
        return conn.execute(stmt, row).rowcount == 1  # RETURNING needs SQLite 3.35

    def record_quarantine(self, tx: Writing, row: dict[str, Any]) -> None:
        self._insert_missing(_connection(tx), quarantine, [row])

    def add_moderation(self, row: dict[str, Any]) -> None:
        with self._transaction() as conn:
            self._insert_missing(conn, moderation, [row])

    def add_resolution(self, event_row: dict[str, Any], row: dict[str, Any]) -> None:
        with self._transaction() as conn:
            self._insert_missing(conn, events, [event_row])
            self._insert_missing(conn, resolutions, [row])

    def add_comments(self, rows: Sequence[dict[str, Any]]) -> None:
        """Comments sent to assessors (hub_comment): kept so that their replies, which come
        back as case events, are read beside them."""
        with self._transaction() as conn:
            self._insert_missing(conn, comments, rows)

    def comments_of(self, inspection_id: str, case_id: str | None = None) -> list[SentComment]:
        """The comments sent on the inspection's cases (one case's with `case_id`), oldest
        first."""
        stmt = select(comments).where(comments.c.inspection_id == inspection_id)
        if case_id is not None:
            stmt = stmt.where(comments.c.case_id == case_id)
        with self._read() as conn:
            return [SentComment(**r._mapping) for r in conn.execute(
                stmt.order_by(comments.c.sent_at, comments.c.id)
            )]  # fmt: skip

    def superseded_of(self, inspection_id: str) -> set[str]:
        """Events a team lead's resolution settled: no longer heads, still kept."""
        ids = select(cases.c.id).where(cases.c.inspection_id == inspection_id)
        with self._read() as conn:
            rows = conn.execute(
                select(resolutions.c.superseded).where(
                    resolutions.c.case_id.in_(ids.scalar_subquery())
                )
            )
            return {s for r in rows for s in json.loads(r.superseded)}

    def resolution_events_of(self, inspection_id: str) -> set[str]:
        """The team lead's deciding events (they settle conflicts; they are not one)."""
        ids = select(cases.c.id).where(cases.c.inspection_id == inspection_id)
        with self._read() as conn:
            return set(
                conn.execute(
                    select(resolutions.c.event_id).where(
                        resolutions.c.case_id.in_(ids.scalar_subquery())
                    )
                ).scalars()
            )

    def moderation_of(self, inspection_id: str) -> dict[str, DecisionRow]:
        """Case id -> its latest moderation decision (an audited trail: rows are only added)."""
        ids = select(cases.c.id).where(cases.c.inspection_id == inspection_id)
        with self._read() as conn:
            rows = conn.execute(
                select(moderation)
                .where(moderation.c.case_id.in_(ids.scalar_subquery()))
                .order_by(moderation.c.at, moderation.c.id)
            )
            return {r.case_id: DecisionRow(**r._mapping) for r in rows}

    def moderation_history(self, inspection_id: str) -> list[DecisionRow]:
        """Every moderation decision of the inspection's cases, oldest first."""
        ids = select(cases.c.id).where(cases.c.inspection_id == inspection_id)
        with self._read() as conn:
            return [DecisionRow(**r._mapping) for r in conn.execute(
                select(moderation)
                .where(moderation.c.case_id.in_(ids.scalar_subquery()))
                .order_by(moderation.c.at, moderation.c.id)
            )]  # fmt: skip

    # -- reading ---------------------------------------------------------------------------
    def package(self, package_id: str) -> PackageRow | None:
        with self._read() as conn:
            row = conn.execute(select(packages).where(packages.c.package_id == package_id)).first()
        return PackageRow(**row._mapping) if row else None

    def device_keys(self) -> dict[str, str]:
        with self._read() as conn:
            return {r.device_id: r.signing_public for r in conn.execute(select(devices))}

    def device_roles(self) -> dict[str, str]:
        """Assessor name -> role, as their laptops declared them in their packages."""
        with self._read() as conn:
            return {r.name: r.role for r in conn.execute(select(devices.c.name, devices.c.role))}

    def inspection_ids(self) -> list[str]:
        with self._read() as conn:
            return [r.id for r in conn.execute(select(inspections.c.id).order_by(inspections.c.id))]

    def inspection(self, inspection_id: str) -> InspectionRow | None:
        with self._read() as conn:
            row = conn.execute(select(inspections).where(inspections.c.id == inspection_id)).first()
        return InspectionRow(**row._mapping) if row else None

    def question_set_versions(self, set_id: str) -> list[tuple[str, str, str]]:
        """(content hash, version, text) of every version of a question set the hub holds."""
        with self._read() as conn:
            return [
                (str(r.content_hash), str(r.version), str(r.text))
                for r in conn.execute(select(question_sets).where(question_sets.c.set_id == set_id))
            ]

    def question_set_text(self, content_hash: str) -> str | None:
        with self._read() as conn:
            return conn.execute(
                select(question_sets.c.text).where(question_sets.c.content_hash == content_hash)
            ).scalar()

    def cases_of(self, inspection_id: str) -> list[CaseRow]:
        with self._read() as conn:
            return [
                CaseRow(**r._mapping)
                for r in conn.execute(
                    select(cases).where(cases.c.inspection_id == inspection_id).order_by(cases.c.id)
                )
            ]

    def events_of(self, inspection_id: str) -> list[AnswerRow]:
        """Every answer event of the inspection's cases, in clock order."""
        case_ids = select(cases.c.id).where(cases.c.inspection_id == inspection_id)
        with self._read() as conn:
            return [
                AnswerRow(**r._mapping)
                for r in conn.execute(
                    select(events)
                    .where(events.c.case_id.in_(case_ids.scalar_subquery()))
                    .order_by(events.c.hlc, events.c.id)
                )
            ]

    def changes_of_device(self, inspection_id: str, device_id: str) -> dict[str, tuple[str, Any]]:
        """Every change of one device for an inspection that the hub holds, by id: (kind, row
        with its JSON columns decoded), as probdesk.domain.tamper reads changes."""
        case_ids = select(cases.c.id).where(cases.c.inspection_id == inspection_id)
        meeting_ids = select(meetings.c.id).where(meetings.c.inspection_id == inspection_id)
        out: dict[str, tuple[str, Any]] = {}
        with self._read() as conn:
            for kind, table, where, decoded in (
                ("answer", events, events.c.case_id.in_(case_ids.scalar_subquery()),
                 ("value",)),
                ("case_event", case_events, case_events.c.inspection_id == inspection_id,
                 ("value", "settles")),
                ("meeting_note", meeting_notes,
                 meeting_notes.c.meeting_id.in_(meeting_ids.scalar_subquery()), ()),
                ("org_event", org_events, org_events.c.inspection_id == inspection_id,
                 ("payload",)),
            ):  # fmt: skip
                stmt = select(table).where(where).where(table.c.device_id == device_id)
                for r in conn.execute(stmt):
                    row = dict(r._mapping)
                    for name in decoded:
                        row[name] = json.loads(row[name])
                    out[str(row["id"])] = (kind, row)
        return out

    def answer_heads_of(self, case_ids: Sequence[str]) -> dict[str, list[Any]]:
        """The answer events of a batch of cases in one read, case id -> its events, each a
        light row of what working out the answers that stand needs (case_id, id,
        question_id, value, note, hlc, replaces): the analysts' workbook reads 100,000 cases
        this way in a few hundred queries instead of one per case."""
        found: dict[str, list[Any]] = {c: [] for c in case_ids}
        columns = (events.c.case_id, events.c.id, events.c.question_id, events.c.value,
                   events.c.note, events.c.hlc, events.c.replaces)  # fmt: skip
        with self._read() as conn:
            for r in conn.execute(select(*columns).where(events.c.case_id.in_(list(found)))):
                found[r.case_id].append(r)
        return found

    def events_of_case(self, case_id: str) -> list[AnswerRow]:
        with self._read() as conn:
            rows = conn.execute(select(events).where(events.c.case_id == case_id))
            return [AnswerRow(**r._mapping) for r in rows]

    def meetings_of(self, inspection_id: str) -> tuple[list[MeetingRow], list[MeetingNoteRow]]:
        """The inspection's meetings (by date) and every note taken at them (by clock)."""
        ids = select(meetings.c.id).where(meetings.c.inspection_id == inspection_id)
        with self._read() as conn:
            ms = [MeetingRow(**r._mapping) for r in conn.execute(
                select(meetings).where(meetings.c.inspection_id == inspection_id)
                .order_by(meetings.c.held_on, meetings.c.id)
            )]  # fmt: skip
            notes = [MeetingNoteRow(**r._mapping) for r in conn.execute(
                select(meeting_notes).where(meeting_notes.c.meeting_id.in_(ids.scalar_subquery()))
                .order_by(meeting_notes.c.hlc, meeting_notes.c.id)
            )]  # fmt: skip
        return ms, notes

    def org_events_of(self, inspection_id: str) -> list[OrgEventRow]:
        with self._read() as conn:
            return [OrgEventRow(**r._mapping) for r in conn.execute(
                select(org_events).where(org_events.c.inspection_id == inspection_id)
                .order_by(org_events.c.hlc, org_events.c.id)
            )]  # fmt: skip

    def attachment(self, sha256: str) -> AttachmentRow | None:
        """An attached file (sha256, name, size, data), or None."""
        with self._read() as conn:
            row = conn.execute(select(attachments).where(attachments.c.sha256 == sha256)).first()
        if row is None:
            return None
        return AttachmentRow(row.sha256, row.name, int(row.size), bytes(row.data))  # PG: memoryview

    def attachment_shas(self) -> set[str]:
        """The SHA-256 of every attached file the hub holds."""
        with self._read() as conn:
            return set(conn.execute(select(attachments.c.sha256)).scalars())

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        with self._read() as conn:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                for t in (
                    packages,
                    quarantine,
                    cases,
                    events,
                    meetings,
                    meeting_notes,
                    org_events,
                    attachments,
                )
            }

    # -- enrolment and the sample ---------------------------------------------------------
    def key_states(self) -> dict[tuple[str, str], KeyState]:
        """(inspection, signing key) -> enrolled or refused, for every key the lead decided."""
        with self._read() as conn:
            return {
                (r.inspection_id, r.signing_public): KeyState(r.member, r.device_id, r.state, r.how)
                for r in conn.execute(select(device_keys))
            }

    def set_key_state(self, tx: Writing, row: dict[str, Any]) -> None:
        conn = _connection(tx)
        conn.execute(
            delete(device_keys).where(
                device_keys.c.inspection_id == row["inspection_id"],
                device_keys.c.signing_public == row["signing_public"],
            )
        )
        conn.execute(insert(device_keys), row)

    def record_held(self, tx: Writing, row: dict[str, Any]) -> None:
        self._insert_missing(_connection(tx), held, [row])

    def clear_held(self, tx: Writing, signing_public: str, inspection_id: str) -> None:
        _connection(tx).execute(
            delete(held).where(
                held.c.signing_public == signing_public, held.c.inspection_id == inspection_id
            )
        )

    def held(self) -> list[HeldRow]:
        with self._read() as conn:
            rows = conn.execute(select(held).order_by(held.c.seen_at, held.c.sha256))
            return [HeldRow(**r._mapping) for r in rows]

    def assignments(self, inspection_id: str) -> list[AssignmentRow]:
        """The sample's cases and who had each, in the lead's clock order."""
        with self._read() as conn:
            rows = conn.execute(
                select(assignments.c.case_id, assignments.c.hlc, assignments.c.reference,
                       assignments.c.assessor)
                .where(assignments.c.inspection_id == inspection_id)
                .order_by(assignments.c.case_id, assignments.c.hlc)
            )  # fmt: skip
            return [AssignmentRow(*r) for r in rows]

    def record_assignments(
        self, tx: Writing, inspection_id: str, rows: Sequence[tuple[str, str, str, str]]
    ) -> None:
        """(case id, reference, assessor, lead's clock) of every assignment the team lead made.

        A case's first assignment counts from the start (clock ""); each reassignment from the
        clock of the lead's change, so the previous assessor's earlier work stays theirs.
        Rows already recorded are kept (the history only grows).
        """
        self._insert_missing(_connection(tx), assignments, [
            {"case_id": case_id, "hlc": at, "inspection_id": inspection_id,
             "reference": reference, "assessor": assessor}
            for case_id, reference, assessor, at in rows
        ])  # fmt: skip

    # -- retention ---------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(delete(hub_meta).where(hub_meta.c.key == key))
            conn.execute(insert(hub_meta), {"key": key, "value": value})

    def set_closed(self, inspection_id: str, at: datetime) -> bool:
        """Record the team lead's closing; False when it was closed already (kept as it was)."""
        with self._transaction() as conn:
            done = conn.execute(
                update(inspections)
                .where(inspections.c.id == inspection_id, inspections.c.closed_at.is_(None))
                .values(closed_at=at)
            )
            return bool(done.rowcount)

    def devices_of(self, inspection_id: str) -> list[str]:
        """The devices whose packages for the inspection were merged here."""
        with self._read() as conn:
            return sorted(set(conn.execute(
                select(packages.c.device_id).where(packages.c.inspection_id == inspection_id)
            ).scalars()))  # fmt: skip

    def missing_ids(self, wanted: Mapping[str, Sequence[str]]) -> dict[str, int]:
        """How many of the given case change ("case_changes") and evidence event
        ("evidence_events") ids the hub does not hold."""
        tables = {"case_changes": case_events, "evidence_events": org_events}
        out: dict[str, int] = {}
        with self._read() as conn:
            for kind, ids in wanted.items():
                table = tables[kind]
                have: set[str] = set()
                for start in range(0, len(ids), 500):
                    have.update(conn.execute(
                        select(table.c.id).where(table.c.id.in_(list(ids[start:start + 500])))
                    ).scalars())  # fmt: skip
                out[kind] = len(set(ids) - have)
        return out

    def purge_record(self, inspection_id: str) -> PurgeRecord | None:
        with self._read() as conn:
            row = conn.execute(select(purges).where(purges.c.inspection_id == inspection_id))
            found = row.first()
        return _purge_record(found._mapping) if found else None

    def purge_records(self) -> list[PurgeRecord]:
        with self._read() as conn:
            rows = conn.execute(select(purges).order_by(purges.c.purged_at))
            return [_purge_record(r._mapping) for r in rows]

    def _footprint(self, conn: Connection, inspection_id: str) -> dict[str, Any]:
        """The ids of everything the inspection holds in the hub, by table (read in `conn`)."""
        case_ids = list(
            conn.execute(select(cases.c.id).where(cases.c.inspection_id == inspection_id)).scalars()
        )
        meeting_ids = list(
            conn.execute(
                select(meetings.c.id).where(meetings.c.inspection_id == inspection_id)
            ).scalars()
        )
        package_ids = list(conn.execute(
            select(packages.c.package_id).where(packages.c.inspection_id == inspection_id)
        ).scalars())  # fmt: skip
        here: set[str] = set()
        elsewhere: set[str] = set()
        for insp, payload in conn.execute(
            select(org_events.c.inspection_id, org_events.c.payload).where(
                org_events.c.kind == "document"
            )
        ):
            try:
                sha = json.loads(payload).get("attachment_sha256")
            except (ValueError, AttributeError):
                continue
            if sha:
                (here if insp == inspection_id else elsewhere).add(str(sha))

        # Every version the inspection was worked under (it may have moved): the one it is on
        # and those its answers name; a version another inspection uses or names stays.
        def versions(here: bool) -> set[str]:
            mine = cases.c.inspection_id == inspection_id
            named = select(events.c.qs_id, events.c.qs_version).distinct().join(
                cases, cases.c.id == events.c.case_id
            ).where(mine if here else ~mine)  # fmt: skip
            by_name = {(str(r.qs_id), str(r.qs_version)) for r in conn.execute(named)}
            on = inspections.c.id == inspection_id
            out = set(conn.execute(
                select(inspections.c.qs_hash).where(on if here else ~on)
            ).scalars())  # fmt: skip
            for row in conn.execute(
                select(question_sets.c.content_hash, question_sets.c.set_id,
                       question_sets.c.version)
            ):  # fmt: skip
                if (str(row.set_id), str(row.version)) in by_name:
                    out.add(str(row.content_hash))
            return out

        devices_here = set(conn.execute(
            select(packages.c.device_id).where(packages.c.inspection_id == inspection_id)
        ).scalars()) | set(conn.execute(
            select(device_keys.c.device_id).where(device_keys.c.inspection_id == inspection_id)
        ).scalars())  # fmt: skip
        devices_elsewhere = set(conn.execute(
            select(packages.c.device_id).where(packages.c.inspection_id != inspection_id)
        ).scalars()) | set(conn.execute(
            select(device_keys.c.device_id).where(device_keys.c.inspection_id != inspection_id)
        ).scalars())  # fmt: skip
        return {
            "cases": case_ids, "meetings": meeting_ids, "packages": package_ids,
            "attachments": sorted(here - elsewhere),
            "question_sets": sorted(versions(True) - versions(False)),
            "devices": sorted(devices_here - devices_elsewhere),
        }  # fmt: skip

    def purge(
        self, inspection_id: str, closed_at: datetime, at: datetime, retention_days: int
    ) -> dict[str, int]:
        """Delete every row of the inspection from every hub table in one transaction, and
        keep a record of ids and counts (hub_purge). On SQLite the deleted content is
        overwritten (secure_delete) and the file compacted afterwards (`compact`)."""
        with self._transaction() as conn:
            if self._engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            try:
                counts = self._purge_rows(conn, inspection_id)
            finally:
                if self._engine.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA secure_delete=OFF")
            conn.execute(insert(purges), {
                "inspection_id": inspection_id, "closed_at": closed_at, "purged_at": at,
                "retention_days": retention_days, "counts": _json(counts),
            })  # fmt: skip
        return counts

    def _purge_rows(self, conn: Connection, inspection_id: str) -> dict[str, int]:
        f = self._footprint(conn, inspection_id)
        counts: dict[str, int] = {}

        def gone(table: Table, where: Any) -> None:
            counts[table.name] = counts.get(table.name, 0) + int(
                conn.execute(delete(table).where(where)).rowcount or 0
            )

        def chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
            for start in range(0, len(ids), 500):
                yield ids[start : start + 500]

        for part in chunks(f["cases"]):
            gone(events, events.c.case_id.in_(part))
            gone(resolutions, resolutions.c.case_id.in_(part))
            gone(moderation, moderation.c.case_id.in_(part))
        for part in chunks(f["meetings"]):
            gone(meeting_notes, meeting_notes.c.meeting_id.in_(part))
        for part in chunks(f["packages"]):  # a quarantined copy has a merged package's id
            gone(quarantine, quarantine.c.package_id.in_(part))
        for part in chunks(f["attachments"]):
            gone(attachments, attachments.c.sha256.in_(part))
        for part in chunks(f["devices"]):
            gone(devices, devices.c.device_id.in_(part))
        for table in (case_events, cases, meetings, org_events, packages, held, device_keys,
                      assignments, comments):  # fmt: skip
            gone(table, table.c.inspection_id == inspection_id)
        gone(inspections, inspections.c.id == inspection_id)
        if f["question_sets"]:
            gone(question_sets, question_sets.c.content_hash.in_(f["question_sets"]))
        return {k: v for k, v in counts.items() if v}

    def compact(self) -> str:
        """After a purge: a SQLite hub is rebuilt without free pages (VACUUM) and its
        write-ahead log emptied; a PostgreSQL hub is left to its server (what was done)."""
        if self._engine.dialect.name != "sqlite":
            return "the PostgreSQL server reclaims the space (autovacuum)"
        raw = self._engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.close()
        except cipher.DatabaseError as exc:
            raise EnvironmentProblem(
                f"The hub was purged but could not be compacted ({exc}); what was removed "
                "stays removed. Free some space beside the hub (compacting needs about its "
                "size again) and purge again to compact it."
            ) from exc
        finally:
            raw.close()
        return "compacted (VACUUM) and its write-ahead log emptied"

    def sqlite_path(self) -> Path | None:
        """The hub's file, for a SQLite hub on disk."""
        if self._engine.dialect.name != "sqlite":
            return None
        database = self._engine.url.database or ""
        if database.startswith("file:") or database in ("", ":memory:"):
            return None
        return Path(database)


def _purge_record(r: RowMapping) -> PurgeRecord:
    return PurgeRecord(
        r["inspection_id"], r["closed_at"], r["purged_at"], int(r["retention_days"]),
        {str(k): int(v) for k, v in json.loads(r["counts"]).items()},
    )  # fmt: skip


def _case_event(r: RowMapping) -> CaseEvent:
    return CaseEvent(
        r["id"], r["case_id"], r["field"], json.loads(r["value"]), r["device_id"], r["seq"],
        r["hlc"], r["replaces"], tuple(json.loads(r["settles"])), r["author"],
        r["recorded_at"],
    )  # fmt: skip


def now() -> datetime:
    return datetime.now().replace(microsecond=0)
