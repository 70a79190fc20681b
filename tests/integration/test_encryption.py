"""Encryption at rest (issue "Case data protected at rest", item 1): the laptop database, its
write-ahead log, snapshots, backups and a SQLite hub are SQLCipher files under a random data
key; the key is wrapped by the key store, or a passphrase where there is none, and sealed to
the organisation's recovery key; private keys are encrypted; a plaintext database from an
earlier probdesk is encrypted once, checked, and its plaintext removed."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import keyring
import pytest
from cli_support import Ran, run
from keyring.backends import fail

from probdesk.errors import InputError
from probdesk.packages.keys import ENCRYPTION_FILE, SIGNING_FILE, DeviceKeys, generate_recovery_key
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import device_keys, set_recovery_public
from probdesk.services.workspace import Workspace
from probdesk.store import cipher, datakey, snapshots
from probdesk.store.database import DB_NAME, make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
QUESTION_SET = ROOT / "question_sets" / "dipp-public-protection.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REF = "ZQX-7301-KESTREL"  # fictional; long enough that finding it by chance is impossible
NOTE = "Contingency plan names the hostel warden as first contact"
FACTS = {
    "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "high",
    "domestic_abuse": "yes", "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2",
    "practitioner_grade": "po",
}  # fmt: skip
STRONG = "kettle orbit marsh violin"


def fill(ws: Workspace, ref: str = REF) -> None:
    insp = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    case = ws.add_case(insp.id, ref, FACTS)
    ws.record_answer(case.id, "C1", "yes", note=NOTE)


def plain_bytes(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            yield p, p.read_bytes()


def holds_content(data: bytes) -> bool:
    return REF.encode() in data or NOTE.encode() in data or REF.encode("utf-16-le") in data


@pytest.fixture
def no_key_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A computer without a key store (a server, a bare Linux): keyring's fail backend."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def test_the_database_its_log_snapshots_and_backups_hold_no_content_in_clear(
    tmp_path: Path,
) -> None:
    paths = Paths.resolve(tmp_path / "data").ensure()
    ws = Workspace.open(paths)
    try:
        fill(ws)
        wal = Path(f"{ws.store.path}-wal")
        assert wal.exists() and wal.stat().st_size > 0  # open: the change is still in the log
        assert not holds_content(wal.read_bytes())
        assert not holds_content(ws.store.path.read_bytes())
        snap = ws.take_snapshot()
        assert not cipher.is_plaintext(snap) and not holds_content(snap.read_bytes())
        assert [s.cases for s in ws.snapshots()] == [1]  # listed: it opens with the key
    finally:
        ws.close()
    for path, data in plain_bytes(paths.data):
        assert not holds_content(data), path
    # The sqlite3 tool (any program without the key) cannot read it.
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(paths.data / DB_NAME).execute("SELECT * FROM sqlite_master").fetchall()
    # The data key is nowhere in clear: not in its file, not in the key store's entry.
    key = datakey.unlock(paths.data)
    for path, data in plain_bytes(paths.data):
        assert key not in data and key.hex().encode() not in data, path
    if os.name == "posix":
        assert stat.S_IMODE(datakey.key_file(paths.data).stat().st_mode) == 0o600
    [wrap] = json.loads(datakey.key_file(paths.data).read_text())["wraps"]
    assert wrap["kind"] == "keyring"
    stored = keyring.get_password(datakey.SERVICE, wrap["account"])
    assert stored and key.hex() not in stored


def test_a_plaintext_database_is_encrypted_once_checked_and_its_plaintext_removed(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / DB_NAME
    # As an earlier probdesk left it: a case in a plaintext file, and a snapshot of it.
    engine = make_engine(db, None)
    migrate(engine)
    engine.dispose()
    from probdesk.store.database import Store

    plain = Store(db, make_engine(db, None))
    ws = Workspace(plain)
    fill(ws)
    plain.engine.dispose()
    (data / "snapshots").mkdir()
    shutil.copyfile(db, data / "snapshots" / "probdesk-20261101-090000.sqlite")
    assert holds_content(db.read_bytes())

    ws = Workspace.open(Paths.resolve(data))
    try:
        [notice] = ws.notices
        assert "now encrypted at rest" in notice and "1 snapshot or backup copies" in notice
        case = ws.cases(ws.inspections()[0].id)[0]
        assert case.reference == REF and ws.case_state(case.id).answers["C1"] == "yes"
    finally:
        ws.close()
    for path, content in plain_bytes(data):
        assert not holds_content(content), path
    assert not list(data.glob(".*.tmp*"))  # no temporary copy left (probdesk.fs.atomic_path)
    # Once: the next opening has nothing to say.
    again = Workspace.open(Paths.resolve(data))
    try:
        assert again.notices == []
        assert [s.cases for s in again.snapshots()] == [1]
    finally:
        again.close()


def test_a_released_fixture_database_upgrades_encrypted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    newest = sorted(FIXTURES.glob("schema-*.sqlite"))[0]
    shutil.copyfile(newest, data / DB_NAME)
    ws = Workspace.open(Paths.resolve(data))
    try:
        assert any("encrypted at rest" in n for n in ws.notices)
        assert ws.inspections() and ws.audit_problems() == []
    finally:
        ws.close()
    backups = list((data / "backups").glob("*.sqlite"))
    assert backups and all(not cipher.is_plaintext(b) for b in backups)
    assert not cipher.is_plaintext(data / DB_NAME)


def test_without_a_key_store_a_strong_passphrase_is_chosen_then_asked(
    tmp_path: Path, no_key_store: None
) -> None:
    asked: list[datakey.PassphraseRequest] = []
    answers = iter(["aaaaaaaaaa", STRONG])

    def asker(request: datakey.PassphraseRequest) -> str | None:
        asked.append(request)
        return next(answers)

    datakey.set_asker(asker)
    paths = Paths.resolve(tmp_path / "data").ensure()
    ws = Workspace.open(paths)
    fill(ws)
    ws.close()
    assert [r.new for r in asked] == [True, True]
    assert "too easy to guess" in asked[1].problem  # the weak one was refused, with why
    [wrap] = json.loads(datakey.key_file(paths.data).read_text())["wraps"]
    assert wrap["kind"] == "passphrase" and wrap["kdf"] == "scrypt"

    # A new process: asked for it; a wrong one is asked again, then the right one opens.
    datakey.forget()
    asked.clear()
    answers = iter(["wrong passphrase here", STRONG])
    ws = Workspace.open(paths)
    try:
        assert [r.new for r in asked] == [False, False]
        assert asked[1].problem == "That passphrase does not open this data folder."
        assert ws.cases(ws.inspections()[0].id)[0].reference == REF
    finally:
        ws.close()

    # Cancelled, or wrong three times: locked, and nothing opened or changed.
    datakey.forget()
    before = (paths.data / DB_NAME).read_bytes()
    datakey.set_asker(lambda _r: None)
    with pytest.raises(datakey.Locked, match="locked: no passphrase was given"):
        Workspace.open(paths)
    datakey.set_asker(lambda _r: "wrong passphrase here")
    with pytest.raises(datakey.Locked, match="does not open this data folder"):
        Workspace.open(paths)
    assert (paths.data / DB_NAME).read_bytes() == before


def test_the_command_line_reads_the_passphrase_from_the_environment(
    tmp_path: Path, no_key_store: None
) -> None:
    data = tmp_path / "data"

    def probdesk(*args: str, **extra: str) -> Ran:
        return run("--data-dir", data, *args, env={"PROBDESK_PASSPHRASE": None, **extra})

    none = probdesk("snapshots")
    assert none.returncode != 0 and "no passphrase was given" in none.stderr
    assert "PROBDESK_PASSPHRASE" in none.stderr and "Traceback" not in none.stderr
    weak = probdesk("snapshots", PROBDESK_PASSPHRASE="password123")
    assert weak.returncode != 0 and "too easy to guess" in weak.stderr
    made = probdesk("snapshots", "--take", PROBDESK_PASSPHRASE=STRONG)
    assert made.returncode == 0, made.stderr
    wrong = probdesk("snapshots", PROBDESK_PASSPHRASE="another strong-ish phrase 77")
    assert wrong.returncode != 0 and "does not open this data folder" in wrong.stderr
    status = probdesk("recover", "--status")
    assert status.stdout.strip() == "passphrase (scrypt)"


def test_the_recovery_drill_opens_a_folder_copied_to_another_computer(tmp_path: Path) -> None:
    """The drill of docs/security.md: the laptop's folder, copied to a computer whose key
    store does not hold its key, is locked; the organisation's recovery key opens it."""
    recovery_pem = tmp_path / "safe" / "recovery-private.pem"
    recovery_pem.parent.mkdir()
    public = generate_recovery_key(recovery_pem)
    laptop = Paths.resolve(tmp_path / "laptop").ensure()
    from probdesk.packages.keys import b64

    set_recovery_public(laptop, b64(public))
    ws = Workspace.open(laptop)
    fill(ws)
    ws.close()
    kinds = [w["kind"] for w in json.loads(datakey.key_file(laptop.data).read_text())["wraps"]]
    assert kinds == ["keyring", "recovery"]

    # Another computer: the copied folder, a key store without its entry.
    copy = tmp_path / "other-computer" / "data"
    shutil.copytree(laptop.data, copy)
    wrap = json.loads(datakey.key_file(copy).read_text())["wraps"][0]
    keyring.delete_password(datakey.SERVICE, wrap["account"])
    datakey.forget()
    with pytest.raises(datakey.Locked, match="recover --recovery-key"):
        Workspace.open(Paths.resolve(copy))

    done = run("--data-dir", copy, "recover", "--recovery-key", recovery_pem)
    assert done.returncode == 0, done.stderr
    assert "unwrapped with the recovery key" in done.stdout
    datakey.forget()
    ws = Workspace.open(Paths.resolve(copy))
    try:
        assert ws.cases(ws.inspections()[0].id)[0].reference == REF
    finally:
        ws.close()

    # A recovery key the folder is not sealed to changes nothing.
    other_pem = tmp_path / "safe" / "another.pem"
    generate_recovery_key(other_pem)
    from probdesk.packages.keys import load_private_x25519

    before = datakey.key_file(copy).read_bytes()
    with pytest.raises(InputError, match="not sealed to this recovery key"):
        datakey.recover(copy, load_private_x25519(other_pem))
    assert datakey.key_file(copy).read_bytes() == before


def test_device_private_keys_are_encrypted_and_old_plain_ones_encrypted_in_place(
    tmp_path: Path,
) -> None:
    paths = Paths.resolve(tmp_path / "data").ensure()
    old = DeviceKeys.load_or_create(paths.data / "keys")  # as an earlier probdesk wrote them
    assert b"BEGIN PRIVATE KEY" in (paths.data / "keys" / SIGNING_FILE).read_bytes()
    keys = device_keys(paths)
    assert keys.signing_public == old.signing_public
    assert keys.encryption_public == old.encryption_public
    for name in (SIGNING_FILE, ENCRYPTION_FILE):
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in (paths.data / "keys" / name).read_bytes()
    # A new folder's keys are encrypted from the start, and open only with its data key.
    fresh = Paths.resolve(tmp_path / "fresh").ensure()
    device_keys(fresh)
    assert b"ENCRYPTED" in (fresh.data / "keys" / SIGNING_FILE).read_bytes()
    from probdesk.errors import EnvironmentProblem

    with pytest.raises(EnvironmentProblem, match="data folder's key does not open it"):
        DeviceKeys.load_or_create(fresh.data / "keys", b"not this folder's key")


@pytest.mark.logs_warnings
def test_another_folders_database_put_in_place_is_moved_aside_and_said(tmp_path: Path) -> None:
    mine = Paths.resolve(tmp_path / "mine").ensure()
    theirs = Paths.resolve(tmp_path / "theirs").ensure()
    for p in (mine, theirs):
        ws = Workspace.open(p)
        fill(ws)
        ws.close()
    shutil.copyfile(theirs.data / DB_NAME, mine.data / DB_NAME)
    ws = Workspace.open(mine)
    try:
        [notice] = ws.notices
        assert "is not this data folder's database" in notice and "moved aside" in notice
        assert ws.inspections() == []
    finally:
        ws.close()
    [aside] = mine.data.glob(f"{DB_NAME}.damaged-*")
    assert aside.read_bytes() == (theirs.data / DB_NAME).read_bytes()  # kept, unchanged


def test_a_sqlite_hub_is_encrypted_and_a_plaintext_one_encrypted_at_its_opening(
    tmp_path: Path,
) -> None:
    from probdesk.errors import EnvironmentProblem
    from probdesk.hub.store import Hub

    lead = Paths.resolve(tmp_path / "lead").ensure()
    hub = hubs.open_hub(lead.data)
    hub.close()
    file = lead.data / "hub.sqlite"
    assert file.is_file() and not cipher.is_plaintext(file)
    with pytest.raises(EnvironmentProblem, match="cannot be opened with this data folder's key"):
        Hub(f"sqlite:///{file}", key=os.urandom(32))
    # An earlier probdesk's plaintext hub, elsewhere.
    old = tmp_path / "old-hub.sqlite"
    Hub(f"sqlite:///{old}").close()
    assert cipher.is_plaintext(old)
    hub = hubs.open_hub(lead.data, f"sqlite:///{old}")
    try:
        assert hub.inspection_ids() == []
    finally:
        hub.close()
    assert not cipher.is_plaintext(old)
    assert not list(tmp_path.glob(".old-hub*"))


def test_a_plaintext_snapshot_of_an_earlier_probdesk_is_encrypted_as_it_is_restored(
    tmp_path: Path,
) -> None:
    paths = Paths.resolve(tmp_path / "data").ensure()
    ws = Workspace.open(paths)
    ws.close()
    old = tmp_path / "old.sqlite"
    engine = make_engine(old, None)
    migrate(engine)
    engine.dispose()
    from probdesk.store.database import Store

    plain = Store(old, make_engine(old, None))
    fill(Workspace(plain))
    plain.engine.dispose()
    key = datakey.unlock(paths.data)
    done = snapshots.restore(paths.data, old, key)
    assert done.replaced is not None
    db = paths.data / DB_NAME
    assert not cipher.is_plaintext(db) and not holds_content(db.read_bytes())
    ws = Workspace.open(paths)
    try:
        assert ws.cases(ws.inspections()[0].id)[0].reference == REF
    finally:
        ws.close()
