"""The fieldwork command line, run as users run it (in this process: tests/support/cli_support.py).

Real data folders, a real shared folder, real packages. No command may show a traceback.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime
from pathlib import Path

import cli_support
import pytest
from cli_support import Ran

from probdesk import bundled
from probdesk.domain.records import CaseStatus, KnownDevice
from probdesk.packages import reader
from probdesk.packages.keys import fingerprint, load_private_x25519, unb64
from probdesk.paths import Paths
from probdesk.services import fieldwork
from probdesk.services.fieldwork import Fieldwork, SendbackComment
from probdesk.services.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fieldwork"
SAMPLE = FIXTURES / "sample.csv"
BAD_SAMPLE = FIXTURES / "sample-bad-rows.csv"
DIPP = bundled.question_sets_dir() / "dipp-public-protection.yaml"
PASSPHRASE = "correct horse battery"
FINGERPRINT = r"[0-9a-f]{4}( [0-9a-f]{4}){7}"


def run(*args: str | Path, passphrase: str | None = PASSPHRASE) -> Ran:
    done = cli_support.run(*args, env={"PROBDESK_PASSPHRASE": passphrase})
    assert "Traceback" not in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr, done.stderr
    return done


def create_args(data: Path, out: Path, sample: Path = SAMPLE) -> list[str | Path]:
    return [
        "--data-dir", data, "setup-pack", "create",
        "--region", "South West", "--pdu", "Plymouth", "--pdu", "Cornwall",
        "--start", "2026-11-02", "--end", "2026-11-06", "--question-set", DIPP,
        "--assessor", "AB:inspector", "--assessor", "EF:local_assessor",
        "--sample", sample, "--lead-name", "TL", "--out", out,
    ]  # fmt: skip


def line_value(text: str, prefix: str) -> str:
    [value] = [line.split(prefix, 1)[1].strip() for line in text.splitlines() if prefix in line]
    return value


def fingerprints(data: Path) -> dict[str, str]:
    done = run("--data-dir", data, "keys")
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines()[1:]:
        name, _, fp = line.partition(" key: ")
        out[name.strip()] = fp.strip()
    return out


class Opened:
    """A data folder opened by the test itself, between commands."""

    def __init__(self, data: Path) -> None:
        self.paths = Paths.resolve(data)
        self.ws = Workspace.open(self.paths)
        self.fw = Fieldwork(self.ws, self.paths)

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.close()


# -- a whole round: lead, assessor, shared folder ---------------------------------------------


@pytest.mark.logs_warnings  # the command says it too: the copy failed
def test_setup_open_export_and_sync(tmp_path: Path) -> None:
    lead, ab, shared = tmp_path / "lead", tmp_path / "ab", tmp_path / "shared"
    shared.mkdir()

    done = run(*create_args(lead, shared))
    assert done.returncode == 0, done.stderr
    assert "3 cases imported" in done.stdout
    pack = Path(line_value(done.stdout, "setup pack:"))
    assert pack.parent == shared.resolve() or pack.parent == shared
    assert pack.exists() and pack.name.startswith("pd-setup-")
    lead_fp = line_value(done.stdout, "read it out to the assessors):")
    assert re.fullmatch(FINGERPRINT, lead_fp)
    assert fingerprints(lead)["signing"] == lead_fp
    with zipfile.ZipFile(pack) as zf:
        manifest = zf.read("manifest.json").decode()
    assert json.loads(manifest)["counts"] == {"cases": 3, "assessors": 2}
    for personal in ("X10000", "Plymouth", "Cornwall", "South West"):
        assert personal not in manifest and personal not in pack.name

    # The assessor opens it, with the passphrase from a file this time.
    phrase = tmp_path / "phrase.txt"
    phrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    done = run("--data-dir", ab, "setup-pack", "open", pack, "--as", "AB",
               "--passphrase-file", phrase, passphrase=None)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 cases added, 0 updated" in done.stdout
    assert line_value(done.stdout, "team lead's key fingerprint:") == lead_fp
    done = run("--data-dir", ab, "setup-pack", "open", pack, "--as", "AB")
    assert done.returncode == 0, done.stderr
    assert "opened here before; nothing changed" in done.stdout

    # The organisation's recovery key, configured before exporting.
    recovery = tmp_path / "safe" / "recovery.pem"
    done = run("keys", "create-recovery", "--out", recovery)
    assert done.returncode == 0, done.stderr
    public = line_value(done.stdout, "public key:")
    assert recovery.exists()
    done = run("--data-dir", ab, "keys", "set-recovery", public)
    assert done.returncode == 0, done.stderr
    assert line_value(done.stdout, "recovery key:") == fingerprint(unb64(public))

    with Opened(ab) as o:
        iid = o.ws.inspections()[0].id
        case = o.ws.cases(iid)[0]
        o.ws.record_answer(case.id, "C1.1", "yes", "some evidence")

    done = run("--data-dir", ab, "export", "--to", shared)
    assert done.returncode == 0, done.stderr
    first = Path(line_value(done.stdout, "shared folder:"))
    assert first.exists() and first.parent.resolve() == shared.resolve()
    assert first.read_bytes() == Path(line_value(done.stdout, "outbox:")).read_bytes()
    assert re.search(r"2 cases, 1 answers", done.stdout)
    lead_keys = Opened(lead)
    try:
        opened = reader.read_package(
            first,
            private_keys=[lead_keys.fw.keys.encryption_key],
            payload_schema=fieldwork.EVENTS_SCHEMA,
        )
    finally:
        lead_keys.ws.close()
    assert [a["note"] for a in opened.payload["answers"]] == ["some evidence"]
    assert reader.read_package(first, private_keys=[load_private_x25519(recovery)]).payload == (
        opened.payload
    )

    # The shared folder is away: the package waits in the outbox; sync copies it later.
    done = run("--data-dir", ab, "export", "--to", tmp_path / "unplugged")
    assert done.returncode == 3
    assert "outbox" in done.stderr
    outbox = Path(line_value(done.stdout, "outbox:"))
    assert outbox.exists()
    done = run("--data-dir", ab, "sync", shared)
    assert done.returncode == 0, done.stderr
    assert "1 package(s) copied" in done.stdout
    assert (shared / outbox.name).read_bytes() == outbox.read_bytes()
    done = run("--data-dir", ab, "sync", shared)
    assert "0 package(s) copied" in done.stdout

    # The lead merges, writes a receipt and sends a case back with a comment.
    with Opened(lead) as o:
        merged = reader.read_package(shared / outbox.name, private_keys=[o.fw.keys.encryption_key])
        m = merged.manifest
        with o.ws.store.unit_of_work() as uow:
            uow.team.remember_device(
                KnownDevice(m["device_id"], "AB", "inspector", m["signer"]["signing_public"],
                            m["signer"]["encryption_public"], datetime.now())
            )  # fmt: skip
        o.fw.write_receipt(shared, merged, unb64(m["signer"]["encryption_public"]))
        o.fw.create_sendback(
            iid,
            m["device_id"],
            [SendbackComment(case.id, "Add the police checks.")],
            [case.id],
            shared,
            "TL",
        )
    done = run("--data-dir", ab, "sync", shared)
    assert done.returncode == 0, done.stderr
    assert "2 confirmed by a merge" in done.stdout
    assert f"comments from the team lead ({lead_fp}): 1 comment, 1 case returned" in (done.stdout)
    assert list((ab / "outbox").iterdir()) == []  # both packages confirmed
    with Opened(ab) as o:
        assert o.ws.case(case.id).status is CaseStatus.RETURNED
        assert [c.text for c in o.fw.comments(iid, case.id)] == ["Add the police checks."]
        assert all(p.receipt_at is not None for p in o.fw.outbox(iid))
    done = run("--data-dir", ab, "sync", shared)
    assert done.returncode == 0, done.stderr
    assert "comments from" not in done.stdout

    # Another assessor's laptop is told the setup pack is waiting.
    done = run("--data-dir", tmp_path / "ef", "sync", shared)
    assert done.returncode == 0, done.stderr
    assert f"setup pack waiting: {pack.name} (team lead {lead_fp})" in done.stdout
    assert "comments from" not in done.stdout


# -- the case sample ------------------------------------------------------------------------


def test_a_sample_with_bad_rows_imports_nothing(tmp_path: Path) -> None:
    lead, out = tmp_path / "lead", tmp_path / "shared"
    done = run(*create_args(lead, out, BAD_SAMPLE))
    assert done.returncode == 2
    assert "row 3, column 'Sentence type'" in done.stderr
    assert "row 4, column 'Assessor'" in done.stderr
    assert "row 2" not in done.stderr and "row 5" not in done.stderr
    assert "nothing was imported" in done.stderr
    assert "2 cases ready; 2 rows with problems" in done.stdout
    assert not out.exists() or reader.scan_folder(out) == []
    with Opened(lead) as o:  # a refused import leaves nothing behind, no inspection either
        assert o.ws.inspections() == []


def test_a_refused_sample_file_or_weak_passphrase_leaves_no_inspection(tmp_path: Path) -> None:
    lead, out = tmp_path / "lead", tmp_path / "shared"
    missing = tmp_path / "no-such-sample.csv"
    done = run(*create_args(lead, out, missing))
    assert done.returncode == 2 and "no-such-sample.csv" in done.stderr
    done = run(*create_args(lead, out), passphrase="aaaaaaaaaa")
    assert done.returncode == 2 and "too easy to guess" in done.stderr
    assert 'Repeats like "aaa"' in done.stderr
    with Opened(lead) as o:
        assert o.ws.inspections() == []
    assert not out.exists() or reader.scan_folder(out) == []


def test_accept_valid_rows_imports_the_good_ones(tmp_path: Path) -> None:
    lead, out = tmp_path / "lead", tmp_path / "shared"
    done = run(*create_args(lead, out, BAD_SAMPLE), "--accept-valid-rows")
    assert done.returncode == 0, done.stderr
    assert "row 3, column 'Sentence type'" in done.stderr  # still reported
    assert "2 cases imported" in done.stdout
    [pack] = reader.scan_folder(out)
    with zipfile.ZipFile(pack) as zf:
        assert json.loads(zf.read("manifest.json"))["counts"]["cases"] == 2
    with Opened(lead) as o:
        [inspection] = o.ws.inspections()
        cases = {c.reference: (c.pdu, c.assessor) for c in o.ws.cases(inspection.id)}
    assert cases == {"X200001": ("Plymouth", "AB"), "X200004": ("Cornwall", "EF")}
    # EF opens it and gets the one case.
    done = run("--data-dir", tmp_path / "ef", "setup-pack", "open", pack, "--as", "EF")
    assert done.returncode == 0, done.stderr
    assert "1 case added" in done.stdout


# -- passphrases ----------------------------------------------------------------------------


def test_no_passphrase_and_no_terminal_is_refused(tmp_path: Path) -> None:
    lead, out = tmp_path / "lead", tmp_path / "shared"
    done = run(*create_args(lead, out), passphrase=None)
    assert done.returncode == 2
    assert "passphrase is needed" in done.stderr
    assert "PROBDESK_PASSPHRASE" in done.stderr and "--passphrase-file" in done.stderr
    assert not out.exists()
    with Opened(lead) as o:
        assert o.ws.inspections() == []

    done = run(*create_args(lead, out))
    assert done.returncode == 0, done.stderr
    [pack] = reader.scan_folder(out)
    done = run("--data-dir", tmp_path / "ab", "setup-pack", "open", pack, "--as", "AB",
               passphrase=None)  # fmt: skip
    assert done.returncode == 2
    assert "passphrase is needed" in done.stderr
    done = run("--data-dir", tmp_path / "ab", "setup-pack", "open", pack, "--as", "AB",
               passphrase="wrong passphrase here")  # fmt: skip
    assert done.returncode == 2
    assert "the passphrase does not open this setup pack" in done.stderr
    done = run("--data-dir", tmp_path / "ab", "setup-pack", "open", pack, "--as", "ZZ")
    assert done.returncode == 2
    assert "AB, EF" in done.stderr
    with Opened(tmp_path / "ab") as o:
        assert o.ws.inspections() == []


def test_a_short_passphrase_writes_no_pack(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    done = run(*create_args(tmp_path / "lead", out), passphrase="too short")
    assert done.returncode == 2
    assert "at least 10 characters" in done.stderr
    assert not out.exists() or reader.scan_folder(out) == []


# -- keys -----------------------------------------------------------------------------------


def test_keys_and_the_recovery_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run("--data-dir", data, "keys")
    assert done.returncode == 0, done.stderr
    assert re.match(r"device [0-9a-f-]{36}\n", done.stdout)
    fps = fingerprints(data)
    assert set(fps) == {"signing", "encryption"}
    assert all(re.fullmatch(FINGERPRINT, fp) for fp in fps.values())
    assert fps["signing"] != fps["encryption"]
    assert (data / "keys" / "device-signing.pem").exists()

    private = tmp_path / "safe" / "recovery.pem"
    done = run("keys", "create-recovery", "--out", private)
    assert done.returncode == 0, done.stderr
    public = line_value(done.stdout, "public key:")
    assert line_value(done.stdout, "fingerprint:") == fingerprint(unb64(public, size=32))
    assert "keep it offline" in done.stdout
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    again = run("keys", "create-recovery", "--out", private)
    assert again.returncode == 2 and "already exists" in again.stderr

    public_file = tmp_path / "recovery-public.txt"
    public_file.write_text(public + "\n", encoding="utf-8")
    done = run("--data-dir", data, "keys", "set-recovery", public_file)
    assert done.returncode == 0, done.stderr
    after = fingerprints(data)
    assert after["recovery"] == fingerprint(unb64(public))
    assert {k: after[k] for k in ("signing", "encryption")} == fps

    bad = run("--data-dir", data, "keys", "set-recovery", "not-base64!")
    assert bad.returncode == 2 and "recovery public key" in bad.stderr
    assert fingerprints(data)["recovery"] == after["recovery"]


def test_export_with_no_inspection_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    done = run("--data-dir", tmp_path / "data", "export", "--to", shared)
    assert done.returncode == 2
    assert "open a setup pack first" in done.stderr
    assert list(shared.iterdir()) == []


def test_sync_to_a_missing_folder_is_refused(tmp_path: Path) -> None:
    done = run("--data-dir", tmp_path / "data", "sync", tmp_path / "nowhere")
    assert done.returncode == 2
    assert "not reachable" in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["keys"],
        ["keys", "create-recovery"],
        ["keys", "set-recovery"],
        ["setup-pack"],
        ["setup-pack", "create"],
        ["setup-pack", "open"],
        ["export"],
        ["sync"],
        ["demo"],
    ],
    ids=" ".join,
)
def test_help(command: list[str]) -> None:
    done = run(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ")
    assert " ".join(command) in done.stdout
