"""Encrypted SQLite files: connections through SQLCipher, and turning a plaintext file into an
encrypted one.

SQLCipher (through `sqlcipher3`, which ships wheels with SQLCipher built in for Windows, macOS
and Linux) encrypts every page with AES-256 in CBC mode and authenticates it with
HMAC-SHA512; the -wal and -shm files hold encrypted pages too. probdesk gives it a random
256-bit raw key (see probdesk.store.datakey), so no key derivation runs at each opening.
A connection opened with `key=None` reads and writes a plain SQLite file (tests, and the
plaintext file a migration reads once).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, BinaryIO

from sqlcipher3 import dbapi2

from probdesk.fs import atomic_path

dbapi = dbapi2  # the only SQLite probdesk uses (Python's own sqlite3 is never imported)
PLAIN_HEADER = b"SQLite format 3\x00"
# SQLCipher's connections raise its own classes (not sqlite3's): catch these.
DatabaseError: tuple[type[Exception], ...] = (dbapi2.DatabaseError,)
OperationalError: tuple[type[Exception], ...] = (dbapi2.OperationalError,)
KEY_BYTES = 32


def key_pragma(key: bytes) -> str:
    """`PRAGMA key` with a raw key (64 hex digits): SQLCipher uses it as it is, no KDF."""
    if len(key) != KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def apply_key(dbapi_conn: Any, key: bytes | None) -> None:
    """Key a fresh connection before it reads anything (a SQLAlchemy connect listener too)."""
    cur = dbapi_conn.cursor()
    try:
        # SQLCipher would print its own errors on stderr (a wrong key, a damaged page): the
        # caller's exception says what is wrong, and stderr is no place for page numbers.
        cur.execute("PRAGMA cipher_log_level = NONE")
        if key is not None:
            cur.execute(key_pragma(key))
    finally:
        cur.close()


def connect(path: Path, key: bytes | None, *, read_only: bool = False, timeout: float = 5.0) -> Any:
    """A SQLCipher connection to `path`, keyed. read_only opens with mode=ro (changes nothing,
    creates nothing)."""
    if read_only:
        conn = dbapi2.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    else:
        conn = dbapi2.connect(str(path), timeout=timeout)
    try:
        apply_key(conn, key)
    except BaseException:
        conn.close()
        raise
    return conn


def is_plaintext(path: Path) -> bool:
    """True when `path` starts as a plain SQLite database does (an encrypted one starts with
    its random salt)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(PLAIN_HEADER)) == PLAIN_HEADER
    except OSError:
        return False


def readable_with(path: Path, key: bytes | None) -> bool:
    """True when `key` opens `path` (None: when it is a plain SQLite file)."""
    try:
        conn = connect(path, key, read_only=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except DatabaseError:
        return False
    return True


def backup_copy(source: Path, target: Path, key: bytes | None, *, timeout: float = 5.0) -> None:
    """A consistent copy of `source` into `target` through SQLite's online backup API, read
    through a read-only connection and encrypted with the same key: one self-contained file
    (rollback journal, no -wal) that can be checked or copied on its own."""
    src = connect(source, key, read_only=True, timeout=timeout)
    try:
        dst = connect(target, key)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _tables(conn: Any) -> dict[str, int]:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


class EncryptionFailed(Exception):
    """The encrypted copy did not match its plaintext original; the original is untouched."""


def encrypt_in_place(path: Path, key: bytes) -> dict[str, int]:
    """Replace the plain SQLite file `path` with an encrypted copy of it, once that copy is
    checked (integrity, and the same rows in every table); then overwrite the plaintext's
    blocks before they are freed (as far as the file system lets a program: see
    docs/security.md). Returns the tables' row counts. The file's -wal is folded in first.
    """
    path = Path(path)
    with contextlib.ExitStack() as handles:
        # The encrypted copy is written and checked under a temporary name and takes the
        # plaintext's name whole (probdesk.fs.atomic_path): a crash at any moment leaves a
        # whole database under the name.
        with atomic_path(path, mode=0o600) as part:
            counts = _export_encrypted(path, part, key)
            # A handle on the plaintext, kept across the rename, to overwrite its blocks once
            # the encrypted file is in place. Windows cannot rename over an open file: there
            # the old file is replaced only.
            old = handles.enter_context(open(path, "rb+")) if os.name != "nt" else None
        if old is not None:
            _overwrite(old)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return counts


def _export_encrypted(path: Path, part: Path, key: bytes) -> dict[str, int]:
    """The plain database `path` copied into `part`, encrypted with `key`, and checked."""
    src = connect(path, None)
    try:
        src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = _tables(src)
        src.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(part),))
        src.execute("SELECT sqlcipher_export('encrypted')")
        version = src.execute("PRAGMA user_version").fetchone()[0]
        src.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        src.execute("DETACH DATABASE encrypted")
        src.execute("PRAGMA journal_mode=DELETE")  # the plaintext's -wal and -shm go with it
    finally:
        src.close()
    check = connect(part, key)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()
        got = _tables(check)
    finally:
        check.close()
    if not ok or ok[0] != "ok" or got != counts:
        raise EncryptionFailed(
            f"the encrypted copy of {path.name} did not match it ({ok[0] if ok else '?'}); "
            "the plaintext file was left as it was"
        )
    return counts


def _overwrite(handle: BinaryIO) -> None:
    """Zeros over the replaced plaintext's blocks, through the handle kept on it (as far as
    the file system lets a program: see docs/security.md); a help, never a reason to fail."""
    with contextlib.suppress(OSError):
        left = os.fstat(handle.fileno()).st_size
        handle.seek(0)
        while left > 0:
            n = min(left, 1 << 16)
            handle.write(b"\x00" * n)
            left -= n
        handle.flush()
        os.fsync(handle.fileno())
