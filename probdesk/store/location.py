"""Refuse data folders that a sync tool or a network share would corrupt.

SQLite's locking does not survive OneDrive, Dropbox or a network drive; the shared folder is for
immutable package files only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePath

from probdesk.errors import EnvironmentProblem

SYNC_MARKERS = (
    ("onedrive", "OneDrive"),
    ("dropbox", "Dropbox"),
    ("google drive", "Google Drive"),
    ("googledrive", "Google Drive"),
    ("my drive", "Google Drive"),
    ("icloud drive", "iCloud Drive"),
    ("iclouddrive", "iCloud Drive"),
    ("mobile documents", "iCloud Drive"),
    ("com~apple~clouddocs", "iCloud Drive"),
    ("box sync", "Box"),
    ("nextcloud", "Nextcloud"),
    ("syncthing", "Syncthing"),
)
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "sshfs", "9p", "afs", "davfs"}
OVERRIDE_HINT = (
    "Choose a folder on this laptop's own disk with --data-dir, or, if you are sure, start "
    "probdesk with --allow-unsafe-data-dir."
)


class UnsafeDataLocation(EnvironmentProblem):
    pass


def sync_service(path: PurePath) -> str | None:
    for part in path.parts:
        low = part.lower()
        for marker, name in SYNC_MARKERS:
            if low == marker or low.startswith(marker + " ") or low.startswith(marker + "-"):
                return name
    return None


def _mount_fs(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return None
    best, fstype = "", None
    target = str(path)
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) > len(
            best
        ):
            best, fstype = mount, fields[2]
    return fstype


def is_network_path(path: Path, mounts_file: Path = Path("/proc/mounts")) -> bool:
    text = str(path)
    if text.startswith("\\\\") or text.startswith("//"):
        return True  # a Windows UNC path
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        drive = os.path.splitdrive(text)[0]
        if drive:
            drive_remote = 4
            return bool(ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote)
        return False
    fstype = _mount_fs(path.resolve() if path.exists() else path, mounts_file)
    return fstype in NETWORK_FS


def check_data_dir(path: Path) -> None:
    # resolve(): a link into a synced folder is inside it too.
    real = path.expanduser().resolve()
    service = sync_service(real) or sync_service(path.expanduser().absolute())
    if service:
        raise UnsafeDataLocation(
            f"The data folder {path} is inside a {service} folder. Sync tools copy the "
            "database while it is being written and can corrupt it or create conflicting "
            f"copies. {OVERRIDE_HINT}"
        )
    if is_network_path(real):
        raise UnsafeDataLocation(
            f"The data folder {path} is on a network drive. The local database must be on "
            "this laptop's own disk so that it works offline and cannot be corrupted by a "
            f"dropped connection. {OVERRIDE_HINT}"
        )
