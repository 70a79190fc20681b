"""The one way probdesk writes a file for keeps (atomic_write, atomic_path); folders and files
only their owner can read; disk problems in words.

Durability (docs/storage.md, "Writing a file"): the bytes go to a hidden temporary file in
the same folder (".NAME.<random>.tmp": the package reader skips it, the snapshot and backup
lists never match it), created with its final mode before anything is written; the file is
flushed and fsynced; os.replace gives it its name in one step (exclusive: a hard link, which
fails if the name is taken); then the folder is fsynced so that the name survives a power
cut. Nothing is ever under the final name until
it is complete, and a failure at any step removes the temporary file:

- a crash or power cut before the rename leaves the old file (or none) under the name, and
  at most a hidden temporary file beside it, which nothing reads;
- after the rename but before the folder's fsync, a power cut leaves the old file or the new,
  each whole;
- once atomic_write returns, the new file and its name are on the disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

POSIX = os.name == "posix"
TEMP_SUFFIX = ".tmp"
# Files SQLite may leave beside a database it wrote under the temporary name.
_COMPANIONS = ("-journal", "-wal", "-shm")
# A link(2) failing with these means "no hard links on this file system" (FAT, some shares).
_NO_LINKS = {errno.EPERM, errno.EMLINK, errno.EXDEV, errno.ENOSYS, errno.ENOTSUP,
             getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)}  # fmt: skip


def atomic_write(
    path: Path,
    data: bytes | Callable[[BinaryIO], object],
    *,
    mode: int = 0o600,
    exclusive: bool = False,
    parents: bool = False,
) -> Path:
    """Write `data` (bytes, or a callable that writes into the open binary file: a large
    output streamed) to `path` durably: a reader sees the old file or the new, whole, never
    part of one (see this module's docstring for each step).

    `mode`: the file's mode on POSIX (owner-only by default), whatever the umask, set before
    anything is written. `exclusive`: refuse (FileExistsError) when `path` exists, even one
    made by another process while this one was writing. `parents`: make missing folders
    first (as `mkdir -p`). OSError from any step, with nothing under the name changed.
    """
    with (
        atomic_path(path, mode=mode, exclusive=exclusive, parents=parents) as temp,
        open(temp, "r+b") as f,
    ):
        if callable(data):
            data(f)
        else:
            f.write(data)
    return Path(path)


@contextlib.contextmanager
def atomic_path(
    path: Path, *, mode: int = 0o600, exclusive: bool = False, parents: bool = False
) -> Iterator[Path]:
    """The streaming form of atomic_write, for writers that open a file by its name (SQLite's
    backup, ReportLab): yields the temporary file's path (created empty, with `mode`); when the
    block ends normally the file is fsynced and takes `path`'s name, then the folder is
    fsynced. When the block raises, the temporary file goes (with any -journal, -wal or -shm
    file SQLite made beside it) and nothing under `path` changes. A check made inside the
    block (a snapshot's integrity, say) therefore runs before the file has its name.
    """
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, "the file already exists", str(path))
    temp = _new_temp(path, mode)
    try:
        yield temp
        if POSIX:
            os.chmod(temp, mode)  # a writer that made the file anew got the umask's mode
        _fsync_file(temp)
        _publish(temp, path, exclusive)
    finally:
        _discard(temp)  # after the rename there is nothing left to remove but companions
    _fsync_folder(path.parent)


def temp_name(path: Path) -> Path:
    """A new hidden name beside `path` (".NAME.<random>.tmp"): the package reader, the
    snapshot list and the retention scans skip or never match it."""
    short = path.name.encode("utf-8")[:100].decode("utf-8", "ignore")  # a name's limit is bytes
    return path.with_name(f".{short}.{uuid.uuid4().hex[:16]}{TEMP_SUFFIX}")


def _new_temp(path: Path, mode: int) -> Path:
    temp = temp_name(path)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, mode)
    try:
        if POSIX:
            os.fchmod(fd, mode)  # whatever the process's umask
    except BaseException:
        os.close(fd)
        _discard(temp)
        raise
    os.close(fd)
    return temp


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(temp: Path, path: Path, exclusive: bool) -> None:
    if not exclusive:
        os.replace(temp, path)
    elif not POSIX:
        os.rename(temp, path)  # Windows: FileExistsError when the name is taken
    else:
        try:
            os.link(temp, path)  # FileExistsError when the name is taken, atomically
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            # No hard links here: the check and the rename are two steps.
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, "the file already exists", str(path)) from None
            os.rename(temp, path)


def _discard(temp: Path) -> None:
    for suffix in ("", *_COMPANIONS):
        with contextlib.suppress(OSError):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    """Make the new name durable (POSIX); some file systems cannot fsync a folder: fine."""
    if not POSIX:
        return  # Windows cannot open a folder to fsync it; NTFS journals the rename
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def private_folder(path: Path) -> Path:
    """The folder, made if missing, readable by its owner only (0700 on POSIX). A folder that
    cannot be made is an EnvironmentProblem that says why (read-only, full, no access)."""
    from probdesk.errors import EnvironmentProblem

    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            f"The folder {path} cannot be created: {why_not_written(exc, path)}. Nothing was "
            "changed."
        ) from exc
    if POSIX:
        with contextlib.suppress(OSError):  # not ours to change, or read-only: left as it is
            os.chmod(path, 0o700)
    return path


def read_only(path: Path) -> str | None:
    """Why `path` (a file, or the folder it would go in) cannot be written, if it is read-only:
    "the disk holding it is mounted read-only", "the file is read-only", ... or None."""
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    flags = getattr(os.statvfs(folder), "f_flag", 0) if hasattr(os, "statvfs") else 0
    if flags & getattr(os, "ST_RDONLY", 1):
        return f"the disk holding {folder} is read-only"
    if path.is_file() and not os.access(path, os.W_OK):
        return f"the file {path} is read-only"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is read-only"
    return None


def why_not_written(exc: OSError, path: Path) -> str:
    """An OSError from writing, in words: read-only, full (with the space), no access."""
    if exc.errno == errno.EROFS:
        return "the disk or folder is read-only"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return full_disk(path) or "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "you have no permission to write there"
    return str(exc.strerror or exc)


def private_file(path: Path) -> Path:
    """The file (created empty if missing) readable and writable by its owner only (0600 on
    POSIX) before anything is written to it: SQLite gives its -wal and -shm files the same."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    if POSIX:
        with contextlib.suppress(OSError):  # not ours, or read-only: left as it is
            os.chmod(path, 0o600)
    return path


LOW_SPACE = 1 << 20  # under 1 MB free, a failing write is taken to be a full disk


def full_disk(path: Path) -> str | None:
    """'The disk holding PATH is full (N KB free); free at least M MB', when it is."""
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= LOW_SPACE:
        return None
    size = sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").is_file()
    )
    need = max(LOW_SPACE, 2 * size) // (1 << 20) + 1
    return (
        f"The disk holding {path} is full ({free // 1024} KB free). Free at least {need} MB there"
    )
