"""The team lead's own laptop (#16 part 1): a case another assessor answers on their laptop is
read-only there, and says where it is answered and read; a case the lead assesses stays the
lead's to answer. Nothing recorded is changed by the refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from hubworld import YES, setup_inspection

from probdesk.services.workspace import CaseNotEditable

LEAD = "Terry Lead"
SAMPLE = [
    ("L100001", "Plymouth", "AB", {}),
    ("L100002", "Plymouth", LEAD, {}),  # the lead assesses this one
]


def test_another_assessors_case_is_read_only_on_the_leads_laptop(tmp_path: Path) -> None:
    world = setup_inspection(tmp_path / "world", SAMPLE, ["Plymouth"])
    try:
        ws = world.lead.ws
        iid = world.inspection_id
        rows = {r.reference: r for r in ws.case_rows(iid)}
        theirs, mine = rows["L100001"], rows["L100002"]
        assert (theirs.mine, theirs.elsewhere) == (False, True)
        assert (mine.mine, mine.elsewhere) == (True, False)
        state = ws.case_state(theirs.id)
        assert not state.editable and state.elsewhere
        with pytest.raises(CaseNotEditable, match="is AB's: it is answered on their laptop"):
            ws.record_answer(theirs.id, "2.1.1", YES)
        with pytest.raises(CaseNotEditable, match="Hub tab"):
            ws.submit(theirs.id)
        assert ws.case_state(theirs.id).answers == {}  # nothing recorded
        # The lead keeps the sample: a fact of AB's case is corrected here (and travels in the
        # setup revision), though its answers are not the lead's to give.
        assert state.facts_editable
        fixed = ws.change_facts(theirs.id, {"tier": "C3"})
        assert fixed.facts["tier"] == "C3"
        assert ws.record_answer(mine.id, "2.1.1", YES) is not None  # the lead's own: answered
        # On the assessor's laptop the same case is theirs to answer.
        ab = world.assessors["AB"].ws
        own = next(r for r in ab.case_rows(iid) if r.reference == "L100001")
        assert own.mine and not own.elsewhere
        assert ab.record_answer(own.id, "2.1.1", YES) is not None
        assert "L100002" not in {r.reference for r in ab.case_rows(iid)}  # the lead's own
    finally:
        world.close()
