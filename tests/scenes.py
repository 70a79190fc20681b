"""Test scenes shared by several test modules (fictional data only)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

from probdesk.domain.records import Assessor
from probdesk.paths import Paths
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
FACTS = {
    "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "high",
    "domestic_abuse": "yes", "child_safeguarding": "no", "mappa_eligible": "no",
    "tier": "B2", "practitioner_grade": "po",
}  # fmt: skip
SECOND_DEVICE = "22222222-2222-2222-2222-222222222222"


def two_laptop_conflict(root: Path) -> tuple[Path, str]:
    """AB answers C1 on one laptop; a restored copy of that laptop (a second device) answers
    C1 differently and C1.1, after both saw the first answer: a conflict on C1.

    Builds lead/, ab/, ab2/ and shared/ under `root`; returns (root, inspection id).
    """
    shared = root / "shared"
    shared.mkdir(parents=True)
    lead_paths = Paths.resolve(root / "lead").ensure()
    lead_ws = Workspace.open(lead_paths)
    lead = Fieldwork(lead_ws, lead_paths)
    insp = lead_ws.create_inspection(
        "South West", "Plymouth", date(2026, 1, 5), date(2026, 1, 9),
        ROOT / "question_sets" / "dipp-public-protection.yaml",
    )  # fmt: skip
    lead.set_team(insp.id, [Assessor("AB", "inspector")])
    lead.add_sample_case(insp.id, "X100001", FACTS, "Plymouth", "AB")
    pack = lead.create_setup_pack(insp.id, "passphrase for tests", shared, "TL")
    lead_ws.close()

    ab_paths = Paths.resolve(root / "ab").ensure()
    ab_ws = Workspace.open(ab_paths)
    ab = Fieldwork(ab_ws, ab_paths)
    ab.open_setup_pack(pack, "passphrase for tests", "AB")
    case = ab_ws.cases(insp.id)[0]
    ab_ws.record_answer(case.id, "C1", "yes")
    ab_ws.close()
    # A second laptop restored from a copy of the first: its own identity and keys.
    shutil.copytree(root / "ab", root / "ab2")
    shutil.rmtree(root / "ab2" / "keys")
    db = sqlite3.connect(root / "ab2" / "probdesk.sqlite")
    db.execute("UPDATE device SET id = ?, last_seq = 0, exported_seq = 0", (SECOND_DEVICE,))
    db.commit()
    db.close()

    ab_ws = Workspace.open(ab_paths)
    ab_ws.record_answer(case.id, "C1", "no")
    Fieldwork(ab_ws, ab_paths).export(insp.id, shared)
    ab_ws.close()
    second_paths = Paths.resolve(root / "ab2")
    second_ws = Workspace.open(second_paths)
    second_ws.record_answer(case.id, "C1", "yes", "seen on the second laptop")
    second_ws.record_answer(case.id, "C1.1", "yes")
    Fieldwork(second_ws, second_paths).export(insp.id, shared)
    second_ws.close()
    return root, insp.id
