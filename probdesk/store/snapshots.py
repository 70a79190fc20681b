"""Snapshots of the local database, and restoring one.

A snapshot is a consistent copy made with SQLite's online backup API while probdesk runs
(every 30 minutes in the window while there are changes, and when it closes; or on demand),
checked whole before it takes its name, owner-only, in DATA/snapshots. The newest KEEP are
kept. Restoring checks the snapshot again, keeps the file it replaces (with its -wal and
-shm) beside it as probdesk.sqlite.replaced-STAMP, and only then puts the copy in place.
Nothing is deleted: the replaced file can itself be restored. Snapshots are encrypted with
the data folder's data key, as the database is; a plaintext snapshot an earlier probdesk took
is encrypted as it is restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from probdesk.errors import InputError
from probdesk.fs import atomic_path, private_folder
from probdesk.store import cipher
from probdesk.store.database import DB_NAME, KNOWN_REVISIONS, Store

FOLDER = "snapshots"
KEEP = 6  # the newest six: three hours of work in the window, or six closes
_STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class Snapshot:
    path: Path
    taken_at: datetime
    size: int
    cases: int
    answers: int


def folder_of(data_dir: Path) -> Path:
    return data_dir / FOLDER


def problem_of(path: Path, key: bytes | None) -> str | None:
    """None when `path` is a whole probdesk database this version can open with `key` (or a
    plaintext one, when `key` is None), else what is wrong with it (checked read-only: the
    file is not changed)."""
    if not path.is_file():
        return "there is no such file"
    if path.stat().st_size == 0:
        return "the file is empty"
    try:
        conn = cipher.connect(path, key, read_only=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()
            has = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            version = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone() if has else None
            )
        finally:
            conn.close()
    except cipher.DatabaseError as exc:
        if key is not None and "not a database" in str(exc):
            return "it is damaged, or is not this data folder's (its data key does not open it)"
        return f"it is not a readable probdesk database ({exc})"
    if not check or check[0] != "ok":
        return f"it failed its integrity check ({check[0] if check else 'no answer'})"
    if version is None:
        return "it is not a probdesk database (no schema version)"
    if str(version[0]) not in KNOWN_REVISIONS:
        return f"it was written by a newer probdesk (schema {version[0]})"
    return None


def take(store: Store, at: datetime | None = None) -> Path:
    """A checked snapshot of the open store; the oldest beyond KEEP are removed."""
    folder = private_folder(folder_of(store.path.parent))
    stamp = (at or datetime.now()).strftime(_STAMP)
    target, n = folder / f"probdesk-{stamp}.sqlite", 1
    while target.exists():
        n += 1
        target = folder / f"probdesk-{stamp}-{n}.sqlite"
    # Copied and checked under a hidden temporary name; only a whole, checked copy takes the
    # snapshot's name (probdesk.fs.atomic_path).
    with atomic_path(target, mode=0o600) as part:
        cipher.backup_copy(store.path, part, store.key)
        problem = problem_of(part, store.key)
        if problem is not None:
            raise InputError(f"The snapshot of {store.path} could not be checked: {problem}.")
    _rotate(folder)
    return target


def _rotate(folder: Path) -> None:
    for old in _files(folder)[KEEP:]:
        old.unlink(missing_ok=True)


def _files(folder: Path) -> list[Path]:
    """Snapshot files, newest first (by name: the stamp, then the number of the second)."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("probdesk-*.sqlite") if p.is_file()]
    return sorted(found, key=lambda p: (p.stem.split("-")[1:3], _nth(p)), reverse=True)


def _nth(p: Path) -> int:
    parts = p.stem.split("-")
    return int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 1


def changed_since_newest(store: Store) -> bool:
    """True when the database (or its write-ahead log) changed after the newest snapshot."""
    newest = _files(folder_of(store.path.parent))
    if not newest:
        return True
    since = newest[0].stat().st_mtime
    for suffix in ("", "-wal"):
        f = Path(f"{store.path}{suffix}")
        if f.exists() and f.stat().st_mtime > since:
            return True
    return False


def listed(data_dir: Path, key: bytes | None) -> list[Snapshot]:
    """The snapshots of a data folder, newest first, with what each holds."""
    out = []
    for p in _files(folder_of(data_dir)):
        cases = answers = 0
        try:
            conn = cipher.connect(p, None if cipher.is_plaintext(p) else key, read_only=True)
            try:
                cases = int(conn.execute('SELECT count(*) FROM "case"').fetchone()[0])
                answers = int(conn.execute("SELECT count(*) FROM answer_event").fetchone()[0])
            finally:
                conn.close()
        except cipher.DatabaseError:
            pass  # listed all the same; restoring it checks it and says what is wrong
        taken = datetime.strptime("-".join(p.stem.split("-")[1:3]), _STAMP)
        out.append(Snapshot(p, taken, p.stat().st_size, cases, answers))
    return out


@dataclass(frozen=True)
class Restored:
    snapshot: Path
    replaced: Path | None  # where the database it replaced was kept (None: there was none)


def restore(data_dir: Path, snapshot: Path, key: bytes | None) -> Restored:
    """Put `snapshot` in place of the data folder's database, which probdesk must not have
    open. The snapshot is checked first; the file it replaces is kept beside it. A plaintext
    snapshot (an earlier probdesk's) is encrypted with `key` on the way."""
    plain = key is not None and cipher.is_plaintext(snapshot)
    problem = problem_of(snapshot, None if plain else key)
    if problem is not None:
        raise InputError(f"{snapshot} cannot be restored: {problem}. Nothing was changed.")
    db = data_dir / DB_NAME
    stamp = datetime.now().strftime(_STAMP)
    # The copy is made and checked under a hidden temporary name, and takes the database's
    # name only once the file it replaces is kept aside (probdesk.fs.atomic_path).
    with atomic_path(db, mode=0o600) as part:
        cipher.backup_copy(snapshot, part, None if plain else key)
        if plain and key is not None:
            cipher.encrypt_in_place(part, key)
        problem = problem_of(part, key)
        if problem is not None:
            raise InputError(f"The copy of {snapshot} could not be checked: {problem}.")
        replaced = None
        if db.exists():
            replaced, n = db.with_name(f"{DB_NAME}.replaced-{stamp}"), 1
            while any(Path(f"{replaced}{s}").exists() for s in ("", "-wal", "-shm")):
                n += 1
                replaced = db.with_name(f"{DB_NAME}.replaced-{stamp}-{n}")
            for suffix in ("", "-wal", "-shm"):  # together: the log belongs to its file
                src_file = Path(f"{db}{suffix}")
                if src_file.exists():
                    src_file.rename(Path(f"{replaced}{suffix}"))
    return Restored(snapshot, replaced)
