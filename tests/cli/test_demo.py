"""`probdesk demo`: a fictional inspection, built from the command line as a newcomer would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_support import Ran, run

from probdesk.packages import reader
from probdesk.packages.keys import load_private_x25519
from probdesk.paths import Paths
from probdesk.services import fieldwork
from probdesk.services.demo import DEMO_PASSPHRASE, TEAM
from probdesk.services.fieldwork import device_keys


def run_demo(out: Path, seed: int = 3) -> Ran:
    done = run("demo", "--out", out, "--seed", str(seed), env={"PROBDESK_PASSPHRASE": None})
    assert "Traceback" not in done.stderr, done.stderr
    return done


def payloads(out: Path) -> list[dict[str, Any]]:
    """Every events package in out/shared, opened with the team lead's key."""
    keys_folder = out / "lead" / "keys"
    assert (keys_folder / "device-signing.pem").exists()
    assert (keys_folder / "device-encryption.pem").exists()
    lead = device_keys(Paths.resolve(out / "lead"))  # encrypted under its data key
    result = []
    for path in reader.scan_folder(out / "shared"):
        if reader.peek_manifest(path)["kind"] != "events":
            continue
        opened = reader.read_package(
            path,
            private_keys=[lead.encryption_key],
            expected_kind="events",
            payload_schema=fieldwork.EVENTS_SCHEMA,
        )
        assert opened.manifest["counts"]["answers"] == len(opened.payload["answers"])
        result.append(opened.payload)
    return result


def answers_by_assessor(out: Path) -> Counter[str]:
    return Counter({p["device"]["name"]: len(p["answers"]) for p in payloads(out)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ran]:
    out = tmp_path_factory.mktemp("demo") / "demo"
    return out, run_demo(out)


def test_demo_builds_a_lead_and_a_shared_folder(
    demo: tuple[Path, Ran],
) -> None:
    out, done = demo
    assert done.returncode == 0, done.stderr
    assert (out / "lead" / "keys" / "device-signing.pem").is_file()
    assert (out / "lead" / "probdesk.sqlite").is_file()
    assert DEMO_PASSPHRASE in done.stdout
    kinds = Counter(reader.peek_manifest(p)["kind"] for p in reader.scan_folder(out / "shared"))
    # The demo's team lead has merged: one receipt per export, in shared/receipts/.
    assert kinds == {"events": 3, "setup": 1, "receipt": 3}
    assert (out / "hub.sqlite").is_file()
    assert "3 packages merged" in done.stdout
    assert "regional summary:" in done.stdout
    for initials, _ in TEAM:
        assert (out / initials.lower() / "probdesk.sqlite").is_file()
        assert f"assessor {initials}:" in done.stdout


def test_every_demo_package_opens_with_the_lead_key(
    demo: tuple[Path, Ran],
) -> None:
    out, _ = demo
    found = payloads(out)
    assert len(found) == 3
    assert sorted(p["device"]["name"] for p in found) == sorted(n for n, _ in TEAM)
    for p in found:
        assert p["cases"], p["device"]
        assert len(p["answers"]) > 100
    assert sum(len(p["cases"]) for p in found) == 60
    assert sum(len(p["meetings"]) for p in found) >= 2
    assert sum(len(p["meeting_notes"]) for p in found) >= 2
    # The organisation's recovery key opens them too.
    recovery = load_private_x25519(out / "recovery" / "recovery-private.pem")
    for path in reader.scan_folder(out / "shared"):
        if reader.peek_manifest(path)["kind"] == "events":
            assert reader.read_package(path, private_keys=[recovery]).payload["answers"]


def test_the_same_seed_gives_the_same_demo(demo: tuple[Path, Ran], tmp_path: Path) -> None:
    out, _ = demo
    again = tmp_path / "again"
    done = run_demo(again)
    assert done.returncode == 0, done.stderr
    assert answers_by_assessor(again) == answers_by_assessor(out)
    other = tmp_path / "other"
    assert run_demo(other, seed=4).returncode == 0
    assert answers_by_assessor(other) != answers_by_assessor(out)


def test_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "used"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    done = run_demo(out)
    assert done.returncode == 2
    assert "not empty" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
