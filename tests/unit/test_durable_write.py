"""probdesk.fs.atomic_write and atomic_path: the one way a file is written for keeps.

The contract (docs/storage.md, "Writing a file"): the bytes go to a hidden temporary file in
the same folder, created with its mode; flushed and fsynced; renamed over the name; then the
folder is fsynced. Nothing is under the final name until it is complete, and whatever fails
on the way leaves no temporary file. The last test reads the package's source: no other
module renames files into place or writes one for keeps by hand.
"""

from __future__ import annotations

import ast
import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

import probdesk
from probdesk import fs
from probdesk.fs import atomic_path, atomic_write
from probdesk.packages.reader import scan_folder

POSIX = os.name == "posix"
posix_only = pytest.mark.skipif(not POSIX, reason="file modes and folder fsync are POSIX's")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """os.umask, with the process's umask put back afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def test_the_bytes_are_under_the_name_and_nothing_else_is_left(folder: Path) -> None:
    path = folder / "rows.csv"
    assert atomic_write(path, b"ref,answer\nAB1,yes\n") == path
    assert path.read_bytes() == b"ref,answer\nAB1,yes\n"
    assert [p.name for p in folder.iterdir()] == ["rows.csv"]
    atomic_write(path, b"replaced")
    assert path.read_bytes() == b"replaced"
    assert [p.name for p in folder.iterdir()] == ["rows.csv"]


def test_a_writer_streams_into_a_hidden_file_beside_the_name(folder: Path) -> None:
    path = folder / "big.bin"
    seen: list[Path] = []

    def write(f: BinaryIO) -> None:
        for i in range(64):
            f.write(bytes([i]) * 4096)
            if i == 10:
                seen.extend(folder.iterdir())
                assert not path.exists()  # nothing under the name until it is complete

    atomic_write(path, write)
    assert path.read_bytes() == b"".join(bytes([i]) * 4096 for i in range(64))
    [temp] = seen
    assert temp.parent == folder
    assert temp.name.startswith(".big.bin.") and temp.name.endswith(".tmp")
    assert not temp.exists()


@pytest.mark.parametrize("old", [None, b"the previous version"])
def test_a_writer_that_fails_midway_leaves_the_name_as_it_was(
    folder: Path, old: bytes | None
) -> None:
    path = folder / "report.pdf"
    if old is not None:
        path.write_bytes(old)

    def write(f: BinaryIO) -> None:
        f.write(b"%PDF-1.4 half a report")
        raise RuntimeError("the layout failed")

    with pytest.raises(RuntimeError, match="layout failed"):
        atomic_write(path, write)
    assert (path.read_bytes() if path.exists() else None) == old
    assert [p.name for p in folder.iterdir()] == ([] if old is None else ["report.pdf"])


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failing_step_leaves_the_name_as_it_was(
    folder: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = folder / "data-key.json"
    path.write_bytes(b"old")

    def broken(*_a: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, step, broken)
    with pytest.raises(OSError, match="Input/output"):
        atomic_write(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert [p.name for p in folder.iterdir()] == ["data-key.json"]


@posix_only
@pytest.mark.parametrize(("wanted", "process_umask"), [(0o600, 0o000), (0o644, 0o077)])
def test_the_mode_is_set_whatever_the_umask(
    folder: Path, umask: Callable[[int], int], wanted: int, process_umask: int
) -> None:
    umask(process_umask)
    seen: list[int] = []
    path = folder / "file"
    atomic_write(path, lambda f: seen.append(stat.S_IMODE(os.fstat(f.fileno()).st_mode)),
                 mode=wanted)  # fmt: skip
    assert seen == [wanted]  # already before anything was written
    assert mode(path) == wanted
    assert mode(atomic_write(folder / "default", b"x")) == 0o600


def test_exclusive_refuses_a_name_that_is_taken(folder: Path) -> None:
    path = folder / "recovery.pem"
    path.write_bytes(b"the organisation's key")
    with pytest.raises(FileExistsError):
        atomic_write(path, b"another key", exclusive=True)
    assert path.read_bytes() == b"the organisation's key"
    assert [p.name for p in folder.iterdir()] == ["recovery.pem"]


def test_exclusive_refuses_a_name_taken_while_it_was_writing(folder: Path) -> None:
    path = folder / "device-signing.pem"

    def write(f: BinaryIO) -> None:
        f.write(b"ours")
        path.write_bytes(b"theirs")  # another process got there first

    with pytest.raises(FileExistsError):
        atomic_write(path, write, exclusive=True)
    assert path.read_bytes() == b"theirs"
    assert [p.name for p in folder.iterdir()] == ["device-signing.pem"]
    fresh = folder / "new.pem"
    atomic_write(fresh, b"key", exclusive=True)
    assert fresh.read_bytes() == b"key"
    assert sorted(p.name for p in folder.iterdir()) == ["device-signing.pem", "new.pem"]


@posix_only
def test_exclusive_without_hard_links_checks_then_renames(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FAT memory stick has no hard links: the check and the rename are two steps there."""

    def no_links(*_a: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = folder / "recovery.pem"
    atomic_write(path, b"key", exclusive=True)
    assert path.read_bytes() == b"key"

    def write(f: BinaryIO) -> None:
        f.write(b"ours")
        (folder / "late.pem").write_bytes(b"theirs")

    with pytest.raises(FileExistsError):
        atomic_write(folder / "late.pem", write, exclusive=True)
    assert (folder / "late.pem").read_bytes() == b"theirs"
    assert sorted(p.name for p in folder.iterdir()) == ["late.pem", "recovery.pem"]


@posix_only
def test_the_file_then_the_folder_are_fsynced(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = folder / "snapshot.sqlite"
    real_fsync = os.fsync
    synced: list[tuple[str, bool]] = []

    def fsync(fd: int) -> None:
        is_folder = stat.S_ISDIR(os.fstat(fd).st_mode)
        synced.append(("folder" if is_folder else "file", path.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(path, b"pages")
    # the file before it has its name; the folder once it has, so that the name is durable
    assert synced == [("file", False), ("folder", True)]


def test_atomic_path_for_writers_that_open_by_name(folder: Path) -> None:
    path = folder / "hub.sqlite.before-step-3.bak"
    with atomic_path(path) as temp:
        assert temp.parent == folder and temp.name.startswith(".") and temp.exists()
        temp.write_bytes(b"a copy")  # ReportLab, SQLite's backup: they open the file
        assert not path.exists()
    assert path.read_bytes() == b"a copy"
    assert [p.name for p in folder.iterdir()] == [path.name]


def test_atomic_path_removes_what_a_failed_check_leaves(folder: Path) -> None:
    path = folder / "probdesk-20250101-120000.sqlite"
    with pytest.raises(ValueError, match="integrity"), atomic_path(path) as temp:
        temp.write_bytes(b"pages")
        Path(f"{temp}-journal").write_bytes(b"SQLite's journal")
        raise ValueError("failed its integrity check")
    assert list(folder.iterdir()) == []


def test_folder_scans_skip_the_temporary_file(folder: Path) -> None:
    name = "pd-events-0123.pdpkg"
    fs.temp_name(folder / name).write_bytes(b"half a package")  # left by a crash
    assert scan_folder(folder) == []


def test_parents_makes_the_folder_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "exports" / "rows.csv"
    with pytest.raises(FileNotFoundError):
        atomic_write(path, b"x")  # a missing shared folder is never made by writing to it
    assert not path.parent.exists()
    atomic_write(path, b"x", parents=True)
    assert path.read_bytes() == b"x"


# -- no other way of writing a file for keeps --------------------------------------------------

PACKAGE = Path(probdesk.__file__).resolve().parent
WRITE_MODES = set("wax+")
WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}
RAW_CALLS = {
    ("os", "replace"): "os.replace",
    ("os", "rename"): "os.rename",
    ("os", "link"): "os.link",
    ("os", "fsync"): "os.fsync",
    ("os", "write"): "os.write",
    ("shutil", "move"): "shutil.move",
    ("shutil", "copy"): "shutil.copy",
    ("shutil", "copy2"): "shutil.copy",
    ("shutil", "copyfile"): "shutil.copy",
    ("tempfile", "mkstemp"): "tempfile",
    ("tempfile", "NamedTemporaryFile"): "tempfile",
}

# (module, what it does) -> why it stays. An entry nothing needs any more fails the test.
ALLOWED: dict[tuple[str, str], str] = {
    ("probdesk.services.questionset_xlsx", "Path.write_text"): (
        "a draft of the converted set in a temporary folder, for the loader to check and then "
        "deleted; what is kept is written with fs.atomic_write"
    ),
    ("probdesk.store.database", "os.open for writing"): (
        "the open marker (probdesk.sqlite.open-PID): a hint written in place at each save, "
        "deliberately not synced (docs/storage.md, After an unclean stop)"
    ),
    ("probdesk.store.database", "os.write"): "the open marker's number, in place (as above)",
    ("probdesk.store.database", "Path.rename"): (
        "moves a damaged database aside under a new name: a whole file, nothing written"
    ),
    ("probdesk.store.snapshots", "Path.rename"): (
        "keeps the database a restore replaces aside, with its -wal and -shm: nothing written"
    ),
    ("probdesk.store.cipher", "open for writing"): (
        "writes zeros over the blocks of the plaintext file an encrypted copy replaced: a "
        "scrub of a file no longer kept (docs/security.md), not a file written for keeps"
    ),
    ("probdesk.store.cipher", "os.fsync"): "the scrub's zeros reach the disk (as above)",
    ("probdesk.cli", "os.open for writing"): (
        "the null device, put under stdout once the reader of a pipe has gone (`probdesk "
        "summary | head`): no file is written"
    ),
    ("probdesk.logsetup", "os.open for writing"): (
        "the native-crash log: faulthandler needs a file open for the whole run, written in "
        "place only at the moment of a crash; a log, not a file kept"
    ),
    ("probdesk.logsetup", "open for writing"): "the native-crash log's handle (as above)",
    ("probdesk.logsetup", "os.replace"): (
        "moves the last run's native-crash log aside under a new name: nothing written"
    ),
}


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name)
    }


def raw_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for each call that writes, renames or syncs a file by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func, args = node.func, node.args
        what = None
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            if owner and (owner, func.attr) in RAW_CALLS:
                what = RAW_CALLS[(owner, func.attr)]
            elif owner == "os" and func.attr == "open" and len(args) > 1:
                what = "os.open for writing" if _names(args[1]) & WRITE_FLAGS else None
            elif owner == "os" and func.attr == "fdopen":
                mode = _literal(args[1] if len(args) > 1 else None) or "r"
                what = "open for writing" if set(mode) & WRITE_MODES else None
            elif func.attr in ("write_bytes", "write_text"):
                what = f"Path.{func.attr}"
            elif func.attr in ("replace", "rename") and len(args) == 1 and not node.keywords:
                what = f"Path.{func.attr}"  # str.replace takes two; datetime's are keywords
            elif func.attr == "open" and owner != "os":
                mode = _literal(args[0] if args else None) or "r"
                what = "open for writing" if set(mode) & WRITE_MODES else None
        elif isinstance(func, ast.Name) and func.id == "open":
            mode = _literal(args[1] if len(args) > 1 else None)
            mode = mode or next((_literal(k.value) for k in node.keywords if k.arg == "mode"), "r")
            what = "open for writing" if set(mode or "r") & WRITE_MODES else None
        if what:
            found.append((node.lineno, what))
    return found


def _package_writes() -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "fs.py":
            continue
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for line, what in raw_writes(path.read_text(encoding="utf-8")):
            out.setdefault((module.removesuffix(".__init__"), what), []).append(line)
    return out


def test_no_module_writes_a_file_for_keeps_by_hand() -> None:
    found = _package_writes()
    refused = [
        f"{module}:{lines[0]}: {what}: write it with probdesk.fs.atomic_write or atomic_path"
        for (module, what), lines in found.items()
        if (module, what) not in ALLOWED
    ]
    assert refused == []
    assert sorted(set(ALLOWED) - set(found)) == []  # an allowance nothing needs goes


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("import os\nos.replace(a, b)\n", "os.replace"),
        ("os.rename(a, b)\n", "os.rename"),
        ("def f(p):\n    p.write_bytes(b'x')\n", "Path.write_bytes"),
        ("p.write_text('x', encoding='utf-8')\n", "Path.write_text"),
        ("with open(p, 'wb') as f:\n    pass\n", "open for writing"),
        ("open(p, mode='a')\n", "open for writing"),
        ("p.open('w')\n", "open for writing"),
        ("os.fdopen(fd, 'wb')\n", "open for writing"),
        ("os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)\n", "os.open for writing"),
        ("os.fsync(fd)\n", "os.fsync"),
        ("tmp.replace(out)\n", "Path.replace"),
        ("shutil.copy2(a, b)\n", "shutil.copy"),
    ],
)
def test_the_scan_sees_each_way_of_writing(source: str, what: str) -> None:
    assert [w for _, w in raw_writes(source)] == [what]


@pytest.mark.parametrize(
    "source",
    [
        "open(p, 'rb')\nopen(p)\np.open('rb')\nos.open(p, os.O_RDONLY)\n",
        "name.replace('_', ' ')\nwhen.replace(microsecond=0)\n",
        "atomic_write(p, b'x')\nwith atomic_path(p) as t:\n    pass\n",
    ],
)
def test_the_scan_lets_reading_be(source: str) -> None:
    assert raw_writes(source) == []
