"""Durable small files that change: write beside, fsync, rename over (never half a file);
folders and files only their owner can read."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path


def replace_file(path: Path, data: bytes, mode: int = 0o600) -> Path:
    """Write `data` to `path` atomically: a reader sees the old file or the new, whole.

    The file is created with `mode` (owner-only by default) before anything is written to it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder: fine
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path


POSIX = os.name == "posix"


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
