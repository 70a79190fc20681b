"""A full disk says so: with the path and the space to free, on saving, at start-up and when
exporting; nothing is left half-written, and once space is freed everything works again with
no file to delete by hand. A read-only disk says so too, never with a traceback, and works
again once writable (issue "Case data protected at rest", item 7).

A small tmpfs is mounted for the test (Linux, root); elsewhere the tests are skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cli_support import run
from scenes import PDU_CORE, TEAM_FACTS

from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
from probdesk.store.database import StoreWriteError


class Disk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def fill(self) -> None:
        with open(self.filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, how: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{how}", str(self.root)], check=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    root = tmp_path / "small"
    root.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs Linux and root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(root)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True)


def test_saving_on_a_full_disk_says_so_and_works_again_once_space_is_freed(disk: Disk) -> None:
    ws = Workspace.open(Paths.resolve(disk.root / "data").ensure())
    try:
        insp = ws.create_inspection("Wales", "Cardiff", date(2025, 4, 1), date(2025, 4, 4),
                                    PDU_CORE)  # fmt: skip
        case = ws.add_case(insp.id, "CRN-0001", TEAM_FACTS)
        disk.fill()
        with pytest.raises(StoreWriteError) as full:
            for n in range(500):  # until the database's pages run out too
                ws.record_answer(case.id, "2.1.1", ("yes", "no")[n % 2], note="n" * 3000)
        message = str(full.value)
        assert f"The disk holding {disk.root / 'data' / 'probdesk.sqlite'} is full" in message
        assert "KB free). Free at least" in message and "read-only" not in message
        disk.free()
        ws.record_answer(case.id, "2.1.1", "yes", note="after")  # no file deleted by hand
        assert ws.case_state(case.id).answers["2.1.1"] == "yes"
    finally:
        ws.close()


def test_starting_on_a_full_disk_says_so_without_a_traceback(disk: Disk) -> None:
    data = disk.root / "data"
    assert run("--data-dir", data, "keys").returncode == 0
    disk.fill()
    for folder in (data, disk.root / "new"):
        done = run("--data-dir", folder, "keys")
        assert done.returncode == 2
        # A new folder stops at its first file, the data key's; an existing one at the database.
        first = folder / ("keys/data-key.json" if folder.name == "new" else "probdesk.sqlite")
        assert f"The disk holding {first} is full" in done.stderr
        assert "Traceback" not in done.stderr and "read-only" not in done.stderr
    assert not (disk.root / "new" / "probdesk.sqlite").exists()  # no empty file left behind
    assert not (disk.root / "new" / "keys" / "data-key.json").exists()
    disk.free()
    assert run("--data-dir", data, "keys").returncode == 0
    done = run("--data-dir", disk.root / "new", "keys")
    assert done.returncode == 0 and "moved aside" not in done.stderr


def test_export_data_on_a_full_disk_leaves_nothing_and_says_why(disk: Disk, tmp_path: Path) -> None:
    from scenes import AB, build_team

    team = build_team(tmp_path / "team")
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    try:
        team.answer_all(AB)
        team.export(AB)
        team.merge(url)
    finally:
        team.close()
    out = disk.root / "exports" / "data.csv"
    out.parent.mkdir()
    disk.fill()
    done = run("--data-dir", team.lead.paths.data, "export-data", "--hub", url, "--format",
               "csv", "--with-notes", "--out", out)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"Cannot write {out}: The disk holding {out} is full" in done.stderr
    assert "Nothing was written there" in done.stderr and "Traceback" not in done.stderr
    assert list(out.parent.iterdir()) == []  # no part-written file under any name
    disk.free()
    assert run("--data-dir", team.lead.paths.data, "export-data", "--hub", url, "--format",
               "csv", "--out", out).returncode == 0  # fmt: skip
    assert out.stat().st_size > 1000


def test_a_read_only_disk_says_so_without_a_traceback_and_works_again_once_writable(
    disk: Disk,
) -> None:
    data = disk.root / "data"
    assert run("--data-dir", data, "keys").returncode == 0
    disk.remount("ro")
    try:
        done = run("--data-dir", data, "keys")
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert (
            f"The database {data / 'probdesk.sqlite'} cannot be opened: the disk holding"
            in done.stderr
        )
        assert "is read-only. Make it writable" in done.stderr
        assert "Crash report" not in done.stderr
        new = run("--data-dir", disk.root / "new", "keys")
        assert new.returncode == 2
        assert f"The folder {disk.root / 'new'} cannot be created: the disk or folder is " \
               "read-only" in new.stderr  # fmt: skip
    finally:
        disk.remount("rw")
    assert run("--data-dir", data, "keys").returncode == 0  # no file deleted by hand
