"""Case data is readable by its owner only: every store, log, key, backup, outbox package and
report a run writes is 0600 in 0700 folders, whatever the umask (issue "Case data protected at
rest", item 1: POSIX modes). The shared folder's packages, encrypted and signed, are 0644 so
that the team's accounts can read each other's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cli_support import run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

PUBLIC = {"recovery-public.txt"}  # a public key, nothing secret


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_a_demo_run_with_a_lax_umask_leaves_nothing_readable_by_others(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    before = os.umask(0o022)
    try:
        done = run("demo", "--out", out)
    finally:
        os.umask(before)
    assert done.returncode == 0, done.stderr
    data_folders = [out / name for name in ("lead", "ab", "cd", "ef")]
    checked = 0
    for folder in data_folders:
        assert mode(folder) == 0o700, folder
        for p in folder.rglob("*"):
            if p.is_dir():
                assert mode(p) == 0o700, p
            elif p.name not in PUBLIC:
                assert mode(p) == 0o600, p
                checked += 1
    assert checked >= 12  # databases, keys, logs, outbox packages
    assert mode(out / "hub.sqlite") == 0o600
    reports = list((out / "reports").glob("*.pdf"))
    assert reports and all(mode(p) == 0o600 for p in reports)
    shared = [p for p in (out / "shared").rglob("*.pdpkg")]
    assert shared and all(mode(p) == 0o644 for p in shared)


def test_an_existing_store_and_hub_are_made_owner_only_when_opened(tmp_path: Path) -> None:
    from probdesk.hub.store import Hub
    from probdesk.paths import Paths
    from probdesk.services.workspace import Workspace

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    db = data / "probdesk.sqlite"
    ws = Workspace.open(Paths.resolve(data).ensure())
    ws.close()
    os.chmod(db, 0o644)
    os.chmod(data, 0o755)
    ws = Workspace.open(Paths.resolve(data).ensure())
    try:
        assert mode(db) == 0o600 and mode(data) == 0o700
        wal = Path(str(db) + "-wal")
        assert not wal.exists() or mode(wal) == 0o600
    finally:
        ws.close()
    hub_file = tmp_path / "hub.sqlite"
    hub_file.touch(mode=0o644)
    os.chmod(hub_file, 0o644)
    Hub(f"sqlite:///{hub_file}").close()
    assert mode(hub_file) == 0o600
