"""An inspection's title names its region and every PDU it samples (#17, part 8)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from probdesk.domain.records import Inspection, pdu_names


def _inspection(pdu: str, pdus: tuple[str, ...], kind: str = "pdu") -> Inspection:
    return Inspection("i", "South West", pdu, date(2026, 11, 2), date(2026, 11, 6), "q", "1",
                      "h", datetime(2026, 1, 1), pdus, kind=kind)  # fmt: skip


@pytest.mark.parametrize(
    ("pdu", "pdus", "names"),
    [
        ("Plymouth", (), "Plymouth"),
        ("Plymouth", ("Plymouth",), "Plymouth"),
        ("Plymouth", ("Plymouth", "Exeter"), "Plymouth and Exeter"),
        ("Plymouth", ("Exeter", "Plymouth", "Torbay"), "Plymouth, Exeter and Torbay"),
        ("Plymouth", ("Exeter", "Torbay", "Cornwall"), "4 PDUs"),
    ],
)
def test_the_title_names_every_pdu(pdu: str, pdus: tuple[str, ...], names: str) -> None:
    assert pdu_names(pdu, pdus) == names
    assert _inspection(pdu, pdus).title == f"{names}, South West, fieldwork 2–6 Nov 2026"


def test_a_regional_title_names_the_region() -> None:
    got = _inspection("Plymouth", ("Exeter",), kind="region").title
    assert got == "Regional inspection of South West, fieldwork 2–6 Nov 2026"
