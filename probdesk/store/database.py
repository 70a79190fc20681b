"""Opening the local store: engine PRAGMAs, start-up checks, backup, migrations, units of work."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from probdesk.errors import EnvironmentProblem, ProbdeskError
from probdesk.fs import atomic_path, full_disk, private_file, private_folder, read_only
from probdesk.store import cipher, datakey, location
from probdesk.store.chains import Signer, Signing
from probdesk.store.repositories import UnitOfWork

log = logging.getLogger("probdesk.store")
# What a failed open, migration or compaction raises (SQLAlchemy's wrapper, SQLCipher's own),
# and a failed encryption in place: named once, as a tuple an `except` takes.
_SQL_ERRORS: tuple[type[Exception], ...] = (OperationalError, *cipher.DatabaseError)
_ENCRYPT_ERRORS: tuple[type[Exception], ...] = (
    cipher.EncryptionFailed,
    *cipher.DatabaseError,
    OSError,
)

DB_NAME = "probdesk.sqlite"
BUSY_TIMEOUT_MS = 5000
# On the window's thread a locked file is waited for this long only: the Saver keeps the
# change and retries (a banner says why), so the window never freezes for BUSY_TIMEOUT_MS.
# Work on the runner's thread, and the command line, wait the full BUSY_TIMEOUT_MS.
WINDOW_BUSY_TIMEOUT_MS = 25


@dataclass
class LockWait:
    """How long an engine's connections wait for a locked file, by thread: the window's
    thread (once a window said which it is, Store.wait_briefly_on) briefly, others fully."""

    window_thread: threading.Thread | None = None

    def ms(self) -> int:
        if self.window_thread is not None and threading.current_thread() is self.window_thread:
            return WINDOW_BUSY_TIMEOUT_MS
        return BUSY_TIMEOUT_MS


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration. Checked against Alembic's own idea of the head by a test, so that
# start-up can compare revisions without importing Alembic (a tenth of a second) every time.
HEAD_REVISION = "0009"
# Every released schema, oldest first.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")


class StoreWriteError(EnvironmentProblem):
    """A change could not be written; nothing was half-written and the change can be retried."""


class DamagedDatabase(ProbdeskError):
    pass


def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def make_engine(path: Path, key: bytes | None, lock_wait: LockWait | None = None) -> Engine:
    """The one engine factory: SQLCipher keyed with the data key (None: a plain SQLite file),
    WAL, synchronous=FULL, foreign keys on, a busy timeout; the file (and so its -wal and
    -shm) owner-only."""
    if path.parent.is_dir():
        private_file(path)
    engine = create_engine(
        f"sqlite:///{path}",
        module=cipher.dbapi,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None},
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        cipher.apply_key(dbapi_conn, key)  # first: nothing is read before the key is given
        _pragmas(dbapi_conn, record)

    # Each use of a connection waits for a lock as long as its thread may (LockWait).
    waits = lock_wait or LockWait()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        wanted = waits.ms()
        if record.info.get("busy_ms", BUSY_TIMEOUT_MS) != wanted:
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={wanted}")
            cur.close()
            record.info["busy_ms"] = wanted

    # pysqlite's own transaction handling is off (isolation_level=None); begin explicitly so
    # that SQLAlchemy's transactions are real SQLite transactions.
    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A writer takes the write lock at once, so a read-then-write never fails half way;
        # a reader takes no lock and is never held up by another program's write.
        read_only = conn.get_execution_options().get("probdesk_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def explain(exc: BaseException, path: Path) -> str:
    """A write failure in the inspector's words."""
    text = str(getattr(exc, "orig", exc)).lower()
    full = full_disk(path) if ("full" in text or "disk i/o" in text or "unable" in text) else None
    if full is not None:
        return f"{full}; your change is kept on screen and will be saved then."
    if "locked" in text or "busy" in text:
        return (
            f"The database {path} is locked by another program (is probdesk open twice?), "
            "or for a moment by a long task of probdesk's own (an import, a merge). Your "
            "change is kept on screen and will be saved when the lock is released."
        )
    if "full" in text:
        return (
            f"The disk holding {path} is full. Free some space; your change is kept on "
            "screen and will be saved then."
        )
    if "readonly" in text or "read-only" in text or "permission" in text:
        return (
            f"The database {path} cannot be written (read-only file or folder). Your change "
            "is kept on screen and will be saved once the file can be written."
        )
    if "disk i/o" in text:
        return (
            f"The disk holding {path} reported an error while saving. Your change is kept "
            "on screen and will be saved when the disk works again."
        )
    return f"Saving to {path} failed ({text}). Your change is kept on screen."


@dataclass
class Store:
    path: Path
    engine: Engine
    key: bytes | None = field(default=None, repr=False)  # the data key (None: plaintext)
    notices: list[str] = field(default_factory=list)
    open_marker: Path | None = None  # says "open in this process" until a clean stop
    lock_wait: LockWait = field(default_factory=LockWait)  # the engine's (make_engine)

    def __post_init__(self) -> None:
        self.signing = Signing()  # this device's chains are signed once it has a signer
        self._reader = self.engine.execution_options(probdesk_read_only=True)
        self._identity = _identity(self.path)
        self._marker_fd: int | None = None

    def wait_briefly_on(self, thread: threading.Thread | None) -> None:
        """Changes made on `thread` (a window's) wait WINDOW_BUSY_TIMEOUT_MS for a locked
        file, then fail as "locked" for the Saver to retry; other threads wait as before."""
        self.lock_wait.window_thread = thread

    def _still_there(self) -> None:
        """After a commit, before the change is called saved: the file is still the one that
        was opened. A deleted or moved data folder leaves SQLite writing into a file nobody
        can open again (on Linux and macOS), so such a save is no save."""
        if self._identity is not None and _identity(self.path) != self._identity:
            raise StoreWriteError(
                f"The database {self.path} is gone: its folder was deleted, moved or replaced "
                "while probdesk was open. This change was not saved; it is kept on screen. "
                "Put the folder back (or restore a snapshot) and start probdesk again."
            )

    @contextlib.contextmanager
    def unit_of_work(
        self, *, read_only: bool = False, secure_delete: bool = False
    ) -> Iterator[UnitOfWork]:
        """One operation: commits at the end, rolls back on any error, maps write failures.

        read_only=True for look-ups: no write lock is taken, so reads work while another
        program holds the database for writing. secure_delete=True for a purge: what it
        deletes is overwritten in the file, not only marked free (PRAGMA secure_delete).
        """
        bind: Any = self._reader if read_only else self.engine
        own: Any = None
        if secure_delete and not read_only:
            own = bind = self.engine.connect()
            own.connection.driver_connection.execute("PRAGMA secure_delete=ON")
        session = Session(bind, expire_on_commit=False, autoflush=False)
        try:
            uow = UnitOfWork(session, None if read_only else self.signing)
            yield uow
            uow.chains.seal()
            session.commit()
            uow.chains.committed()
            if not read_only:
                self._still_there()
                if uow.devices.taken is not None:
                    self._saved_up_to(uow.devices.taken)
        except IntegrityError:
            session.rollback()
            raise  # a constraint broken is a bug in probdesk, not the environment
        except (OperationalError, DBAPIError) as exc:
            session.rollback()
            if "readonly" in str(exc).lower():
                # SQLite opened the file read-only and a pooled connection stays that way: drop
                # the pool so that the retry opens it afresh once it can be written again.
                session.close()
                self.engine.dispose()
            raise StoreWriteError(explain(exc, self.path)) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if own is not None:
                with contextlib.suppress(*cipher.DatabaseError):  # back to the pool as it was
                    own.connection.driver_connection.execute("PRAGMA secure_delete=OFF")
                own.close()

    def compact(self) -> None:
        """Rebuild the file without free pages (VACUUM), then fold the write-ahead log into
        it and empty the log (a TRUNCATE checkpoint): after a purge, nothing deleted is left
        in free pages or in the log."""
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("VACUUM")
            busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cur.close()
        except _SQL_ERRORS as exc:
            raise StoreWriteError(
                f"The database {self.path} could not be compacted ({exc}). What was removed "
                "stays removed; free some space (compacting needs about the database's size "
                "again) and run the purge again to compact it."
            ) from exc
        finally:
            raw.close()
        if busy and busy[0]:
            log.warning("the write-ahead log could not be emptied at once (a reader held it)")

    def attach_signer(self, signer: Signer) -> int | None:
        """Sign this device's chain heads from now on (probdesk.store.chains). A store none
        of whose heads is signed yet (new, or from before signed heads) has them all signed
        now: how many (maybe 0); None for a store already signing (the usual start)."""
        self.signing.signer = signer
        with self.unit_of_work(read_only=True) as uow:
            if uow.chains.signing_started():
                return None  # no write: the folder may be read-only
        with self.unit_of_work() as uow:
            return uow.chains.sign_unsigned()

    def _saved_up_to(self, seq: int) -> None:
        """Note in the open marker the newest change committed: after a crash, the next start
        compares it with the database, so changes lost with a deleted or damaged write-ahead
        log are said, not silently gone. Not synced to disk: a hint, good for any stop but a
        power cut."""
        if self.open_marker is None:
            return
        with contextlib.suppress(OSError):
            if self._marker_fd is None:  # kept open: one write in place per save, no more
                self._marker_fd = os.open(self.open_marker, os.O_WRONLY | os.O_CREAT, 0o600)
            data = f"{seq:020d}".encode("ascii")  # fixed width: each write covers the last
            if hasattr(os, "pwrite"):
                os.pwrite(self._marker_fd, data, 0)
            else:  # Windows
                os.lseek(self._marker_fd, 0, os.SEEK_SET)
                os.write(self._marker_fd, data)

    def quick_check(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA quick_check").scalar())

    def integrity_check(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    def dispose(self) -> None:
        self.engine.dispose()
        if self._marker_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._marker_fd)
            self._marker_fd = None
        if self.open_marker is not None:  # a clean stop: the next start need not look
            self.open_marker.unlink(missing_ok=True)


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file, None when it is not there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """Alembic's head, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return str(row[0]) if row else None


def migrate(engine: Engine) -> None:
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


DAMAGE_WORDS = ("not a database", "malformed", "corrupt", "file is encrypted")


def _check_readable(path: Path, key: bytes | None) -> str | None:
    """None when the file is a healthy database `key` opens, else what is wrong with it.

    Only real damage counts: a locked, unreadable or read-only file is an EnvironmentProblem
    (nothing is moved aside for those). The key was checked when it was unwrapped, so a file
    it does not open is damaged or is not this folder's database.
    """
    try:
        conn = cipher.connect(path, key, read_only=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except cipher.DatabaseError as exc:
        text = str(exc)
        if any(word in text.lower() for word in DAMAGE_WORDS):
            if key is not None and "not a database" in text.lower():
                return (
                    "it is damaged, or is not this data folder's database: this folder's "
                    "data key does not open it"
                )
            return text
        full = full_disk(path)
        if full is not None:
            raise StoreWriteError(
                f"{full}, then start probdesk again; nothing was changed."
            ) from exc
        locked = "locked" in text.lower() or "busy" in text.lower()
        ro = None if locked else read_only(path)
        if ro is not None:
            raise StoreWriteError(
                f"The database {path} cannot be opened: {ro}. Make it writable, then start "
                "probdesk again; nothing was changed."
            ) from exc
        if locked:
            raise StoreWriteError(
                f"The database {path} is locked by another program (is probdesk open twice?). "
                "Close it, then start probdesk again; nothing was changed."
            ) from exc
        raise StoreWriteError(
            f"The database {path} cannot be opened ({text}). If the file or its folder is "
            "read-only or another program holds it, fix that and start probdesk again; "
            "nothing was changed."
        ) from exc
    if not result or result[0] != "ok":
        return str(result[0] if result else "no answer from quick_check")
    return None


def _move_aside(path: Path, reason: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while any(Path(str(target) + sfx).exists() for sfx in ("", "-wal", "-shm")):
        n += 1  # never replace an earlier damaged copy
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(Path(str(target) + suffix))
    log.error("database failed its check and was moved aside to %s (%s)", target, reason)
    return target


def backup(engine_path: Path, target: Path, key: bytes | None) -> Path:
    """A consistent copy through SQLite's online backup API: encrypted with the same key,
    owner-only, as the original, and self-contained (the whole database in the one file, no
    -wal), so that it can be read, checked or copied on its own. Written under a hidden
    temporary name first (probdesk.fs.atomic_path): a half-made copy never looks like one."""
    private_folder(target.parent)
    with atomic_path(target, mode=0o600) as part:
        cipher.backup_copy(engine_path, part, key)
    return target


def open_store(
    data_dir: Path,
    *,
    key: bytes | None = None,
    recovery_public: bytes | None = None,
    allow_unsafe_location: bool = False,
) -> Store:
    """Unlock, check, back up, migrate and open the (encrypted) store in `data_dir`.

    `key`: the data key, when the caller has it; else it is unlocked (probdesk.store.datakey),
    and also sealed to `recovery_public` when that is given. A plaintext database from an
    earlier probdesk is encrypted once, checked, and its plaintext removed. A damaged database
    is moved aside (never overwritten) and the user is told where it is.
    """
    if not allow_unsafe_location:
        location.check_data_dir(data_dir)
    private_folder(data_dir)
    path = data_dir / DB_NAME
    if key is None:
        key = datakey.unlock(data_dir, recovery_public=recovery_public)
    notices: list[str] = []
    notices.extend(_lost_log_after_unclean_stop(path, key))
    if path.exists():
        # An empty file is no database of this app's: opening it would start a new, empty
        # one silently, as if every case had gone.
        problem = "the file is empty (0 bytes)" if path.stat().st_size == 0 else None
        if problem is None and cipher.is_plaintext(path):
            problem = _check_readable(path, None)
            if problem is None:
                notices.extend(_encrypt_plaintext(data_dir, key))
        problem = problem or _check_readable(path, key)
        if problem is not None:
            moved = _move_aside(path, problem)
            notices.append(
                f"The local database failed its integrity check ({problem}). It was moved "
                f"aside, unchanged, to {moved} and a new, empty database was started. Nothing "
                "was deleted: contact the probdesk team to recover answers from the old file."
            )
    created = not path.exists()
    lock_wait = LockWait()
    engine = make_engine(path, key, lock_wait)
    try:
        current = current_revision(engine)
        head = HEAD_REVISION
        if current is not None and current not in KNOWN_REVISIONS:
            raise StoreWriteError(
                f"The database {path} was written by a newer probdesk (schema {current}; this "
                f"version knows up to {head}). Install the newer probdesk to open it; nothing "
                "was changed."
            )
        if current != head:
            if current is not None:
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                copy = backup(
                    path, data_dir / "backups" / f"probdesk-{current}-{stamp}.sqlite", key
                )
                log.info("backed up the database to %s before migrating", copy.name)
            migrate(engine)
            log.info("database migrated from %s to %s", current, head)
    except StoreWriteError:
        engine.dispose()
        raise
    except _SQL_ERRORS as exc:
        engine.dispose()
        if created and path.exists() and path.stat().st_size == 0:
            path.unlink()  # ours, made a moment ago: not left for the next start to move aside
        full = full_disk(path)
        if full is not None:  # at start-up: no change on screen to speak of
            raise StoreWriteError(
                f"{full}, then start probdesk again; nothing was changed."
            ) from exc
        raise StoreWriteError(explain(exc, path)) from exc
    except OSError as exc:
        engine.dispose()
        raise StoreWriteError(
            f"The data folder {data_dir} cannot be written ({exc.strerror or exc}); nothing "
            "was changed."
        ) from exc
    marker = path.with_name(f"{DB_NAME}.open-{os.getpid()}")
    with contextlib.suppress(OSError):  # only a help for the next start: never a reason to stop
        private_file(marker)
        # A process that ends without closing the store still ends cleanly (SQLite closes
        # its connections and removes the -wal): only a crash or a kill leaves the marker.
        atexit.register(_remove_quietly, marker)
    return Store(path, engine, key, notices, marker, lock_wait)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _encrypt_plaintext(data_dir: Path, key: bytes) -> list[str]:
    """Encrypt the plaintext database an earlier probdesk left, and its plaintext copies
    (snapshots, backups, replaced files); damaged copies, which cannot be checked, are left
    as they are and said."""
    path = data_dir / DB_NAME
    try:
        counts = cipher.encrypt_in_place(path, key)
    except _ENCRYPT_ERRORS as exc:
        full = full_disk(path)
        raise StoreWriteError(
            f"{full}, then start probdesk again" if full else
            f"The database {path} could not be encrypted ({exc}); it was left as it was"
        ) from exc  # fmt: skip
    copies, left = 0, []
    others = [
        *sorted((data_dir / "snapshots").glob("*.sqlite")),
        *sorted((data_dir / "backups").glob("*.sqlite")),
        *sorted(data_dir.glob(f"{DB_NAME}.replaced-*")),
    ]
    for other in others:
        if other.name.endswith(("-wal", "-shm")) or not cipher.is_plaintext(other):
            continue
        try:
            cipher.encrypt_in_place(other, key)
            copies += 1
        except _ENCRYPT_ERRORS:
            left.append(other.name)
    damaged = [p.name for p in data_dir.glob(f"{DB_NAME}.damaged-*") if cipher.is_plaintext(p)]
    log.info("the plaintext database and %d plaintext copies were encrypted", copies)
    notice = (
        f"The local database ({counts.get('case', 0)} cases) is now encrypted at rest, with "
        f"{copies} snapshot or backup copies of it; the plaintext was checked against the "
        "encrypted copy, overwritten and removed."
    )
    kept = [*left, *damaged]
    if kept:
        notice += (
            f" {len(kept)} older copies could not be checked and are still plaintext: "
            f"{', '.join(kept)}. Delete them once you are sure they are not needed."
        )
    return [notice]


def _lost_log_after_unclean_stop(path: Path, key: bytes | None) -> list[str]:
    """A notice when probdesk stopped without closing (a crash, a power cut: its marker is
    still there, from a process no longer running) and the database's write-ahead log has
    gone since. SQLite removes the -wal itself only on a clean close, so it was deleted or
    moved by someone, and the changes in it since the last checkpoint with it."""
    stale = [
        m for m in path.parent.glob(f"{DB_NAME}.open-*")
        if m.name.rsplit("-", 1)[1].isdigit() and not _running(int(m.name.rsplit("-", 1)[1]))
    ]  # fmt: skip
    out = []
    wal = Path(f"{path}-wal")
    noted = max((_noted_seq(m) for m in stale), default=0)
    if stale and path.exists() and path.stat().st_size > 0 and wal.exists() and noted:
        have = _last_seq(path, None if cipher.is_plaintext(path) else key)
        if have is not None and have < noted:
            log.error("changes were missing after an unclean stop")
            out.append(
                f"probdesk was not closed properly last time, and the database's write-ahead "
                f"log ({wal.name}) no longer holds every change it saved: {noted - have} "
                "change(s) saved shortly before then are missing (the log is damaged). Close "
                "probdesk and take a copy of the data folder, then check your recent work or "
                "restore the newest snapshot (probdesk snapshots, probdesk restore 1)."
            )
    if stale and path.exists() and path.stat().st_size > 0 and not wal.exists():
        log.error("the write-ahead log was missing after an unclean stop")
        out.append(
            f"probdesk was not closed properly last time, and the database's write-ahead log "
            f"({wal.name}) has been deleted or moved since: changes saved shortly before "
            "then may be missing. If you moved it, close probdesk and put it back beside "
            f"{path.name} before saving anything. Otherwise check your recent work, or close "
            "probdesk and restore the newest snapshot (probdesk snapshots, probdesk restore 1)."
        )
    for m in stale:
        m.unlink(missing_ok=True)
    return out


def _noted_seq(marker: Path) -> int:
    try:
        return int(marker.read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        return 0


def _last_seq(path: Path, key: bytes | None) -> int | None:
    """The newest change number the database holds (it recovers its write-ahead log)."""
    try:
        conn = cipher.connect(path, key, read_only=True)  # changes nothing
        try:
            row = conn.execute("SELECT max(last_seq) FROM device").fetchone()
        finally:
            conn.close()
    except cipher.DatabaseError:
        return None  # the integrity check that follows says what is wrong
    return int(row[0]) if row and row[0] is not None else None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # a process that can be opened is running
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
