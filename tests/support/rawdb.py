"""Raw access to probdesk's database files, as the sqlite3 tool would have it, keyed with
their data folder's data key (the files are encrypted at rest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from probdesk.store import cipher, datakey

DatabaseError = cipher.DatabaseError  # either module's: for except and pytest.raises
OperationalError = cipher.OperationalError


def data_dir_of(path: Path) -> Path | None:
    """The data folder whose data key encrypts `path` (the first folder above it with one)."""
    for folder in Path(path).resolve().parents:
        if datakey.key_file(folder).is_file():
            return folder
    return None


def key_of(path: Path) -> bytes | None:
    """The key `path` opens with: None for a plain SQLite file (or no file yet)."""
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0 or cipher.is_plaintext(p):
        return None
    folder = data_dir_of(p)
    assert folder is not None, f"{p}: encrypted, but no data folder with a key above it"
    return datakey.unlock(folder, create=False)


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    key: bytes | None = None,
    uri: bool = False,
    **kwargs: Any,
) -> Any:
    """sqlite3.connect for a probdesk file: encrypted ones are keyed (`key`, else their data
    folder's); plain ones (fixtures, a test's own) open as they are. A `file:...?mode=ro`
    name opens read-only, as with sqlite3."""
    text = str(path)
    if text.startswith("file:"):
        read_only = read_only or "mode=ro" in text
        text = text.removeprefix("file:").partition("?")[0]
    p = Path(text)
    k = key if key is not None else key_of(p)
    if read_only:
        conn = cipher.dbapi.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, **kwargs)
    else:
        conn = cipher.dbapi.connect(str(p), **kwargs)
    cipher.apply_key(conn, k)
    return conn


def hub(url: str) -> Any:
    """A hub as the tests read it: a SQLite hub file encrypted by a team lead's probdesk is
    opened with that lead's data key (found in a data folder beside the file, or one or two
    levels down, as the demo and the test teams lay them out); a plain or new one as it is."""
    from probdesk.hub.store import Hub

    path = Path(url.removeprefix("sqlite:///").partition("?")[0])
    if not url.startswith("sqlite:///") or not path.is_file() or cipher.is_plaintext(path):
        return Hub(url)
    for folder in (path.parent, path.parent.parent):
        found_here = [
            *folder.glob(f"*/{datakey.KEYS_FOLDER}/{datakey.KEY_FILE}"),
            *folder.glob(f"*/*/{datakey.KEYS_FOLDER}/{datakey.KEY_FILE}"),
        ]
        for found in sorted(found_here):
            key = datakey.unlock(found.parent.parent, create=False)
            if cipher.readable_with(path, key):
                return Hub(url, key=key)
        if datakey.key_file(folder).is_file():
            key = datakey.unlock(folder, create=False)
            if cipher.readable_with(path, key):
                return Hub(url, key=key)
    raise AssertionError(f"{path}: encrypted, and no data folder beside it opens it")
