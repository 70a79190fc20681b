"""`probdesk case list|show|facts|submit|reopen` and `probdesk answer`: cases and answers from
the command line, through the workspace service the window uses, with the form's rules.

A data folder holds one inspection of a small fictional question set with every answer type
and conditions on facts and on answers. Every refusal exits 2 with one message naming what is
wrong and leaves the database as it was (read back through the service). All data fictional.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cli_support import run

from probdesk.domain.records import CaseStatus
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace

SET = """\
format: 1
id: cli-all-types
version: "1"
title: Every answer type (fictional)
facts:
  - id: da
    label: Domestic abuse indicated
    type: yes_no_unknown
  - id: kind
    label: Kind of case
    type: choice
    options:
      - value: standard
        label: Standard
      - value: short
        label: Short contact
  - id: visits
    label: Home visits planned
    type: number
    required: false
variants:
  - id: short
    label: Short contact questions
    when:
      fact: kind
      equals: short
  - id: main
    label: Main questions
sections:
  - id: s1
    title: Assessment
    key_question:
      id: K1
      text: Is the assessment sufficient?
      answer: yes_no
    prompts:
      - id: P1
        text: Was a request made to the police?
        answer: yes_no
        applies_when:
          fact: da
          in: ["yes", "unknown"]
      - id: P2
        text: Was the information received?
        answer: yes_no_na
        applies_when:
          answer: P1
          equals: "yes"
      - id: P3
        text: Number of contacts in the first month
        answer: number
      - id: P4
        text: Date of the first appointment
        answer: date
      - id: P5
        text: Which agencies were consulted?
        answer: multi_choice
        options:
          - value: police
            label: Police
          - value: childrens
            label: Children's services
          - value: housing
            label: Housing
      - id: P6
        text: Quality of the plan
        answer: choice
        options:
          - value: good
            label: Good
          - value: poor
            label: Poor
      - id: P7
        text: Anything else
        answer: text
  - id: s2
    title: Planning
    variants: [main]
    key_question:
      id: K2
      text: Is the planning sufficient?
      answer: yes_no
    prompts: []
participant_groups:
  - id: staff
    label: Staff
non_case_questions:
  - id: N1
    theme: Leadership
    text: How is it led?
    groups: [staff]
"""


@dataclass
class Folder:
    data: Path
    inspection_id: str
    case_ids: dict[str, str]

    def ok(self, *args: str | Path) -> str:
        code, out, err = run("--data-dir", self.data, *args)
        assert code == 0, err
        assert err == ""
        return str(out)

    def refused(self, *args: str | Path) -> str:
        """The one-line message of a refused command (exit code 2), checking that nothing
        of the folder changed."""
        before = self.snapshot()
        code, out, err = run("--data-dir", self.data, *args)
        assert code == 2, (out, err)
        assert out == ""
        lines = str(err).strip().splitlines()
        assert lines[0].startswith("probdesk: ") and "Traceback" not in str(err), err
        assert self.snapshot() == before, "a refused command changed the data"
        return "\n".join(lines)

    def snapshot(self) -> object:
        """Everything a command could change, read back through the service."""
        ws = Workspace.open(Paths.resolve(self.data))
        try:
            states = [ws.case_state(c) for c in self.case_ids.values()]
            return [
                (s.case.facts, s.case.variant, s.case.status, s.answers, s.notes) for s in states
            ]
        finally:
            ws.close()

    def state(self, ref: str) -> object:
        ws = Workspace.open(Paths.resolve(self.data))
        try:
            return ws.case_state(self.case_ids[ref])
        finally:
            ws.close()


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    qs_file = tmp_path / "all-types.yaml"
    qs_file.write_text(SET, encoding="utf-8")
    data = tmp_path / "data"
    ws = Workspace.open(Paths.resolve(data).ensure())
    try:
        ws.set_identity("AB", "inspector")
        insp = ws.create_inspection(
            "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6), qs_file
        )
        ids = {
            ref: ws.add_case(insp.id, ref, facts, pdu="Plymouth").id
            for ref, facts in (
                ("X100001", {"da": "no", "kind": "standard"}),
                ("X100002", {"da": "yes", "kind": "short"}),
            )
        }
    finally:
        ws.close()
    return Folder(data, insp.id, ids)


# -- case list and case show ---------------------------------------------------------------------


def test_case_list_as_a_table_and_as_json(folder: Folder) -> None:
    out = folder.ok("case", "list")
    assert out.splitlines() == [
        "REFERENCE  PDU       ASSESSOR  STATUS       ANSWERED",
        "X100001    Plymouth  AB        Not started  0/7",
        "X100002    Plymouth  AB        Not started  0/7",
    ]
    folder.ok("answer", "--case", "X100002", "--question", "K1", "--value", "yes")
    rows = json.loads(folder.ok("case", "list", "--format", "json", "--inspection",
                                folder.inspection_id[:6]))  # fmt: skip
    assert [(r["reference"], r["status"], r["answered"], r["applicable"]) for r in rows] == [
        ("X100001", "not_started", 0, 7),  # K1, P3 to P7, K2
        ("X100002", "in_progress", 1, 7),  # the short variant: no K2, but da = yes: P1
    ]
    assert rows[0]["inspection_id"] == folder.inspection_id and rows[0]["pdu"] == "Plymouth"
    assert rows[0]["variant"] == "Main questions"


def test_case_show_lists_every_question_that_applies_with_its_answer_and_note(
    folder: Folder,
) -> None:
    folder.ok("answer", "--case", "X100002", "--question", "P1", "--value", "Yes",
              "--note", "Request sent on day two.\nReply chased.")  # fmt: skip
    out = folder.ok("case", "show", "x100002")  # the reference in any case
    lines = out.splitlines()
    assert lines[0] == (
        f"Case X100002: Plymouth, South West, fieldwork 2–6 Nov 2026 (inspection "
        f"{folder.inspection_id[:8]})"
    )
    assert "status: In progress; variant: Short contact questions; 1 of 8" in lines[1]  # P2 on
    assert "  da (Domestic abuse indicated): Yes [yes]" in lines
    assert "  visits (Home visits planned): not given" in lines
    assert "  P1  Prompt: Was a request made to the police?" in lines
    at = lines.index("  P1  Prompt: Was a request made to the police?")
    assert lines[at + 1 : at + 4] == [
        "      answer: Yes",
        "      note: Request sent on day two.",
        "            Reply chased.",
    ]
    assert "  P2  Prompt: Was the information received?" in lines  # switched on by P1 = yes
    assert "      answer: (not answered)" in lines
    assert "Planning" not in lines  # not asked in the short-contact variant
    shown = json.loads(folder.ok("case", "show", "X100002", "--format", "json"))
    assert shown["status"] == "in_progress" and shown["variant"] == "short"
    assert shown["facts"] == {"da": "yes", "kind": "short"}
    by_id = {q["id"]: q for q in shown["questions"]}
    assert list(by_id) == ["K1", "P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert by_id["P1"]["value"] == "yes" and by_id["P1"]["answer"] == "Yes"
    assert by_id["P1"]["note"] == "Request sent on day two.\nReply chased."
    assert by_id["K1"]["key_question"] and by_id["K1"]["answer"] is None
    # X100001 has no domestic abuse indicated: P1 and P2 do not apply.
    other = json.loads(folder.ok("case", "show", "X100001", "--format", "json"))
    assert [q["id"] for q in other["questions"]] == ["K1", "P3", "P4", "P5", "P6", "P7", "K2"]


def test_an_unknown_case_or_inspection_is_named(folder: Folder) -> None:
    assert folder.refused("case", "show", "X999999") == (
        "probdesk: No case with reference 'X999999' on this laptop."
    )
    assert "No inspection with an id starting 'zzzz'" in folder.refused(
        "case", "list", "--inspection", "zzzz"
    )


# -- answer -------------------------------------------------------------------------------------


def test_answer_records_every_answer_type_as_the_form_does(folder: Folder) -> None:
    ref = ("--case", "X100002")
    out = folder.ok("answer", *ref, "--question", "P1", "--value", "yes")
    assert out.splitlines() == [
        "case X100002 P1: Yes",
        "now applies: P2",
        "1 of 8 applicable questions answered",
    ]
    assert "P2: Not applicable" in folder.ok("answer", *ref, "--question", "P2", "--value", "na")
    assert "P3: 4" in folder.ok("answer", *ref, "--question", "P3", "--value", "4")
    assert "P4: 2026-11-03" in folder.ok(
        "answer", *ref, "--question", "P4", "--value", "2026-11-03"
    )
    out = folder.ok("answer", *ref, "--question", "P5", "--value", "housing, Police")
    assert "P5: Police, Housing" in out  # in the set's order, as the form keeps them
    assert "P6: Good" in folder.ok("answer", *ref, "--question", "P6", "--value", "GOOD")
    assert "P7: Seen at the office" in folder.ok(
        "answer", *ref, "--question", "P7", "--value", "Seen at the office", "--note", "n"
    )
    s = folder.state("X100002")
    assert s.answers == {  # type: ignore[attr-defined]
        "P1": "yes", "P2": "na", "P3": 4, "P4": "2026-11-03", "P5": ("police", "housing"),
        "P6": "good", "P7": "Seen at the office",
    }  # fmt: skip
    assert s.notes == {"P7": "n"}  # type: ignore[attr-defined]
    assert s.case.status is CaseStatus.IN_PROGRESS  # type: ignore[attr-defined]

    # The same again changes nothing; a new value says what it was; --clear removes it.
    assert "as before; nothing changed" in folder.ok(
        "answer", *ref, "--question", "P6", "--value", "good"
    )
    assert "P6: Poor (was Good)" in folder.ok("answer", *ref, "--question", "P6", "--value", "poor")
    out = folder.ok("answer", *ref, "--question", "P1", "--clear")
    assert out.splitlines()[:2] == [
        "case X100002 P1: cleared (was Yes)",
        "no longer applies: P2 (its answers are kept)",
    ]
    assert "note cleared" in folder.ok(
        "answer", *ref, "--question", "P7", "--value", "Seen at the office", "--note", ""
    )
    assert "nothing to clear" in folder.ok("answer", *ref, "--question", "K1", "--clear")


def test_answer_refuses_bad_input_and_saves_nothing(folder: Folder) -> None:
    folder.ok("answer", "--case", "X100002", "--question", "P1", "--value", "no")

    def refused(ref: str, qid: str, *value: str) -> str:
        return folder.refused("answer", "--case", ref, "--question", qid, *value)

    assert refused("X100002", "Q99", "--value", "yes") == (
        "probdesk: Q99 is not a question of Every answer type (fictional); nothing was saved. "
        "`probdesk case show X100002` lists the case's questions."
    )
    assert refused("X100002", "K1", "--value", "maybe") == (
        "probdesk: K1: 'maybe' is not one of yes, no (give one of yes (Yes), no (No)); "
        "nothing was saved."
    )
    assert "K1: 'na' is not one of yes, no" in refused("X100002", "K1", "--value", "na")
    assert refused("X100002", "P3", "--value", "several") == (
        "probdesk: P3: 'several' is not a number (give a number); nothing was saved."
    )
    assert "P4: '3 Nov' is not a date (YYYY-MM-DD)" in refused("X100002", "P4", "--value", "3 Nov")
    assert (
        "P5: probation is not an option (give one of police (Police), childrens (Children's "
        in (refused("X100002", "P5", "--value", "police,probation"))
    )
    # Switched off by a condition: on a fact (no domestic abuse), on an answer (P1 = no).
    assert refused("X100001", "P1", "--value", "yes") == (
        "probdesk: P1 does not apply to case X100001: it is asked only when Domestic abuse "
        "indicated is 'Yes' or 'Not known'; nothing was saved."
    )
    assert refused(
        "X100002",
        "P2",
        "--value",
        "yes",
    ) == (
        "probdesk: P2 does not apply to case X100002: it is asked only when the answer to P1 "
        "is 'Yes'; nothing was saved."
    )
    assert refused("X100002", "K2", "--value", "yes") == (
        "probdesk: K2 is not asked for case X100002: it is not asked in the Short contact "
        "questions variant; nothing was saved."
    )
    assert "No case with reference 'X1'" in refused("X1", "K1", "--value", "yes")
    # --value or --clear, not both and not neither: a usage error.
    code, _, err = run("--data-dir", folder.data, "answer", "--case", "X100001", "--question", "K1")
    assert code == 2 and "one of the arguments --value --clear is required" in err


# -- case facts ---------------------------------------------------------------------------------


def test_case_facts_shows_and_sets_the_facts_that_drive_variants_and_conditions(
    folder: Folder,
) -> None:
    out = folder.ok("case", "facts", "X100001")
    assert out.splitlines() == [
        "Case X100001: variant Main questions",
        "  da (Domestic abuse indicated): No [no]; takes yes (Yes), no (No), unknown (Not known)",
        "  kind (Kind of case): Standard [standard]; takes standard (Standard), short (Short "
        "contact)",
        "  visits (Home visits planned): not given; takes a number, optional",
    ]
    folder.ok("answer", "--case", "X100001", "--question", "K2", "--value", "yes")
    out = folder.ok("case", "facts", "X100001", "--set", "da=Not known", "--set", "kind=short",
                    "--set", "visits=3")  # fmt: skip
    assert out.splitlines() == [
        "case X100001: facts changed",
        "  da (Domestic abuse indicated): No [no] -> Not known [unknown]",
        "  kind (Kind of case): Standard [standard] -> Short contact [short]",
        "  visits (Home visits planned): not given -> 3",
        "variant: Main questions -> Short contact questions (answers already given are kept)",
        "now applies: P1",
        "no longer applies: K2 (its answers are kept)",
        "0 of 7 applicable questions answered",
    ]
    s = folder.state("X100001")
    assert s.case.facts == {"da": "unknown", "kind": "short", "visits": 3}  # type: ignore[attr-defined]
    assert s.case.variant == "short"  # type: ignore[attr-defined]
    assert s.other_variant_answers == (("K2", "yes"),)  # type: ignore[attr-defined]
    assert "facts unchanged" in folder.ok("case", "facts", "X100001", "--set", "kind=Short contact")
    out = folder.ok("case", "facts", "X100001", "--set", "visits=")  # an optional fact cleared
    assert "visits (Home visits planned): 3 -> not given" in out


def test_case_facts_refuses_unknown_names_and_values_by_name(folder: Folder) -> None:
    def refused(*sets: str) -> str:
        return folder.refused("case", "facts", "X100001", *(a for s in sets for a in ("--set", s)))

    assert refused("danger=yes") == (
        "probdesk: 'danger' is not a case fact of Every answer type (fictional); its facts are: "
        "da (Domestic abuse indicated), kind (Kind of case), visits (Home visits planned). "
        "Nothing was changed."
    )
    assert refused("kind=standard", "da=perhaps") == (
        "probdesk: Case fact da (Domestic abuse indicated): 'perhaps' is not allowed; give one of "
        "yes (Yes), no (No), unknown (Not known). Nothing was changed."
    )
    assert refused("visits=many") == (
        "probdesk: Case fact visits (Home visits planned): 'many' is not allowed; give a number. "
        "Nothing was changed."
    )
    assert "Domestic abuse indicated is required" in refused("da=")
    assert "write it as NAME=VALUE" in refused("da")


# -- submit and reopen --------------------------------------------------------------------------


def test_submit_follows_the_forms_rules_and_reopen_puts_it_back(folder: Folder) -> None:
    message = folder.refused("case", "submit", "X100001")
    assert message.splitlines() == [
        "probdesk: Case X100001 cannot be submitted: 2 applicable key questions are not answered.",
        "K1: Is the assessment sufficient?",
        "K2: Is the planning sufficient?",
    ]
    for qid in ("K1", "K2"):
        folder.ok("answer", "--case", "X100001", "--question", qid, "--value", "yes")
    out = folder.ok("case", "submit", "X100001")
    assert out == (
        "case X100001 submitted (2 of 7 applicable questions answered); reopen it to change it\n"
    )
    assert folder.state("X100001").case.status is CaseStatus.SUBMITTED  # type: ignore[attr-defined]
    # A submitted case is read-only, as in the window; submitting again is refused too.
    assert folder.refused("answer", "--case", "X100001", "--question", "K1", "--value", "no") == (
        "probdesk: Case X100001 is submitted; reopen it to change it."
    )
    assert "is submitted; reopen it" in folder.refused(
        "case", "facts", "X100001", "--set", "da=yes"
    )
    assert "is submitted; reopen it" in folder.refused("case", "submit", "X100001")
    assert folder.ok("case", "reopen", "X100001") == "case X100001 reopened: in progress\n"
    assert "is in progress, not submitted" in folder.refused("case", "reopen", "X100001")
    folder.ok("answer", "--case", "X100001", "--question", "K1", "--value", "no")


def test_the_new_commands_are_in_the_help() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "    case " in out and "    answer " in out
    for args, words in (
        (("case",), ["list", "show", "facts", "submit", "reopen"]),
        (("case", "facts"), ["--set NAME=VALUE", "variant"]),
        (("answer",), ["--case REF", "--question QID", "--value V", "--clear", "--note TEXT"]),
    ):
        code, out, _ = run(*args, "--help")
        assert code == 0
        for w in words:
            assert w in out, (args, w)


def test_the_same_reference_in_two_inspections_asks_which(folder: Folder, tmp_path: Path) -> None:
    ws = Workspace.open(Paths.resolve(folder.data))
    try:
        other = ws.create_inspection(
            "Wales", "Cardiff", date(2027, 1, 11), date(2027, 1, 15), tmp_path / "all-types.yaml"
        )
        ws.add_case(other.id, "X100001", {"da": "unknown", "kind": "standard"}, pdu="Cardiff")
    finally:
        ws.close()
    message = folder.refused("case", "show", "X100001")
    assert "Several inspections here have a case 'X100001'" in message and "--inspection" in message
    shown = json.loads(folder.ok("case", "show", "X100001", "--inspection", other.id[:6],
                                 "--format", "json"))  # fmt: skip
    assert shown["inspection_id"] == other.id and shown["pdu"] == "Cardiff"
    listed = folder.ok("case", "list").splitlines()
    assert listed[0].split() == ["INSPECTION", "REFERENCE", "PDU", "ASSESSOR", "STATUS", "ANSWERED"]
    assert len(listed) == 4 and any(line.startswith(other.id[:8]) for line in listed)
    out = folder.ok("answer", "--case", "X100001", "--inspection", other.id, "--question", "P1",
                    "--value", "no")  # fmt: skip
    assert out.startswith("case X100001 P1: No")
    assert "P1" not in folder.state("X100001").answers  # type: ignore[attr-defined]
