"""A fictional inspection from set-up to exported packages, for newcomers and demonstrations.

Everything here is invented: case references, facts, notes and people's initials.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk import bundled
from probdesk.domain.questionset import NA, NO, YES, QuestionSet
from probdesk.domain.records import Assessor, GroupAttendance, MeetingKind
from probdesk.paths import Paths
from probdesk.services.fieldwork import Fieldwork, set_recovery_public
from probdesk.services.workspace import Workspace

if TYPE_CHECKING:  # the hub (SQLAlchemy) loads only when a demo is written
    from probdesk.hub.store import Hub

DEMO_PASSPHRASE = "demo passphrase 2026"  # fictional data only: printed by the demo on purpose
REGION = "South West"
PDUS = ("Plymouth", "Devon & Torbay", "Cornwall & Isles of Scilly")
TEAM = (("AB", "inspector"), ("CD", "inspector"), ("EF", "local_assessor"))
LEAD = "TL"
NOTES = (
    "Risk of harm analysis draws on police call-outs and previous convictions.",
    "No record that domestic abuse information was requested before the plan was written.",
    "Home visit completed within ten days of release; partner seen separately.",
    "Management oversight recorded, but it does not address the change in risk.",
    "Children's services response received and used to set contact arrangements.",
    "Contingency plan names actions if the address breaks down.",
    "Practitioner interview: workload meant reviews slipped by four weeks.",
    "MAPPA level recorded correctly and minutes are on file.",
)
MEETING_NOTES = (
    "Staff described good access to police domestic abuse checks, slower for children's services.",
    "Vetting delays mean new probation service officers wait weeks for system access.",
    "Managers review high risk of serious harm cases monthly; others less often.",
)

Report = Callable[[str], None]


@dataclass
class DemoResult:
    out: Path
    lead: Path
    shared: Path
    assessors: dict[str, Path] = field(default_factory=dict)
    packages: list[Path] = field(default_factory=list)
    inspection_id: str = ""
    cases: int = 0
    answers: int = 0
    meetings: int = 0
    hub: Path | None = None
    reports: list[Path] = field(default_factory=list)


def _facts(rnd: random.Random, qs: QuestionSet) -> dict[str, object]:
    sentence = rnd.choices(
        ["community_order", "suspended_sentence_order", "licence", "pss"], [4, 2, 4, 1]
    )[0]
    suspended = "yes" if rnd.random() < (0.35 if sentence in ("licence", "pss") else 0.1) else "no"
    facts: dict[str, object] = {
        "sentence_type": sentence,
        "contact_suspended": suspended,
        "rosh_level": rnd.choices(["low", "medium", "high", "very_high"], [2, 5, 4, 1])[0],
        "domestic_abuse": rnd.choices(["yes", "no", "unknown"], [5, 4, 1])[0],
        "child_safeguarding": rnd.choices(["yes", "no", "unknown"], [4, 5, 1])[0],
        "mappa_eligible": "yes" if rnd.random() < 0.25 else "no",
        "tier": rnd.choice("ABCD") + str(rnd.randint(0, 3)),
        "practitioner_grade": rnd.choices(["po", "pso", "pqip"], [5, 3, 1])[0],
    }
    if facts["mappa_eligible"] == "yes":
        facts["mappa_category"] = rnd.choice(["cat1", "cat2", "cat3"])
        facts["mappa_level"] = rnd.choices(["level1", "level2", "level3"], [6, 3, 1])[0]
    known = {f.id for f in qs.facts}
    return {k: v for k, v in facts.items() if k in known}


def _answer_case(
    rnd: random.Random, ws: Workspace, case_id: str, quality: float, submit: bool
) -> int:
    """Answer a case as an assessor would: applicable questions in order, some notes."""
    written = 0
    for _ in range(3):  # answers can switch questions on or off: go round until settled
        state = ws.case_state(case_id)
        qs = state.question_set
        todo = [
            q
            for s in qs.sections_for(state.case.variant)
            for q in s.questions
            if q.id in state.applicable and q.id not in state.answers
        ]
        if not todo:
            break
        for q in todo:
            note = rnd.choice(NOTES) if rnd.random() < 0.2 else None
            kind = q.answer.kind
            if kind.is_yes_no:
                if NA in (kind.allowed() or ()) and rnd.random() < 0.08:
                    value: object = NA
                else:
                    value = YES if rnd.random() < quality else NO
            elif kind.from_options and not kind.several and q.options:
                value = rnd.choice(q.options).value
            else:
                continue
            ws.record_answer(case_id, q.id, value, note)
            written += 1
    if submit:
        ws.submit(case_id)
    return written


def build_demo(out: Path, seed: int = 1, report: Report = print) -> DemoResult:
    """Lead, three assessors and the shared folder under `out`; packages exported."""
    rnd = random.Random(seed)
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        from probdesk.errors import InputError

        raise InputError(f"{out} is not empty; choose a new folder for the demo.")
    bundled.check_installation()  # before anything is written
    from probdesk.store import datakey

    if not datakey.has_key_store():  # a server or a CI machine: say so, and how to open them
        report(f"no key store on this computer: the demo's data folders are locked with the "
               f"passphrase {DEMO_PASSPHRASE!r} (fictional data only)")  # fmt: skip
        datakey.set_asker(lambda _request: DEMO_PASSPHRASE)
    shared = out / "shared"
    shared.mkdir(parents=True)
    result = DemoResult(out, out / "lead", shared)

    # The organisation's recovery key pair: kept apart from every laptop.
    from probdesk.packages.keys import b64, generate_recovery_key

    (out / "recovery").mkdir(mode=0o700)
    recovery_public = generate_recovery_key(out / "recovery" / "recovery-private.pem")

    lead_paths = Paths.resolve(out / "lead").ensure()
    set_recovery_public(lead_paths, b64(recovery_public))
    lead_ws = Workspace.open(lead_paths)
    lead_ws.set_identity(LEAD, "team_lead")
    lead = Fieldwork(lead_ws, lead_paths)
    qs_path = bundled.question_sets_dir() / "dipp-public-protection.yaml"
    inspection = lead_ws.create_inspection(
        REGION, PDUS[0], date(2026, 11, 2), date(2026, 11, 6), qs_path, pdus=PDUS
    )
    result.inspection_id = inspection.id
    qs = lead_ws.question_set(inspection)
    lead.set_team(inspection.id, [Assessor(n, r) for n, r in TEAM])
    for i in range(60):
        pdu = PDUS[i % len(PDUS)]
        assessor = TEAM[i % len(TEAM)][0]
        lead.add_sample_case(inspection.id, f"X{700100 + i * 7}", _facts(rnd, qs), pdu, assessor)
    result.cases = 60
    pack = lead.create_setup_pack(inspection.id, DEMO_PASSPHRASE, shared, LEAD)
    report(f"team lead {LEAD}: inspection of {REGION} ({', '.join(PDUS)}), 60 cases")
    report(f"  setup pack {pack.name} (passphrase: {DEMO_PASSPHRASE!r})")
    report(f"  team lead's key fingerprint: {lead.fingerprints()['signing']}")
    codes = lead.enrolment_codes(inspection.id)  # each assessor's, given in person
    report("  enrolment codes: " + ", ".join(f"{m} {c}" for m, c in codes.items()))
    lead_ws.close()

    for n, (initials, _role) in enumerate(TEAM):
        paths = Paths.resolve(out / initials.lower()).ensure()
        set_recovery_public(paths, b64(recovery_public))
        ws = Workspace.open(paths)
        fw = Fieldwork(ws, paths)
        opened = fw.open_setup_pack(pack, DEMO_PASSPHRASE, initials, codes[initials])
        quality = (0.82, 0.7, 0.76)[n]
        answers = 0
        cases = ws.cases(opened.inspection.id)
        for i, case in enumerate(cases):
            if i == len(cases) - 1:
                continue  # one case not started: fieldwork is still going on
            answers += _answer_case(rnd, ws, case.id, quality, submit=i % 3 != 2)
        if n < 2:
            qsn = ws.question_set(opened.inspection)
            groups = [g.id for g in qsn.participant_groups]
            questions = [q.id for q in qsn.non_case_questions][n * 3 : n * 3 + 3]
            kind = MeetingKind.FOCUS_GROUP if n == 0 else MeetingKind.MEETING
            meeting = ws.save_meeting(
                opened.inspection.id,
                kind,
                date(2026, 11, 3 + n),
                "Practitioners focus group" if n == 0 else "Meeting with middle managers",
                [GroupAttendance(groups[2 + n], 4 + n), GroupAttendance(groups[1], 2)],
                questions,
            )
            for j, q in enumerate(questions):
                ws.record_meeting_note(meeting.id, q, MEETING_NOTES[j % len(MEETING_NOTES)])
            result.meetings += 1
            if n == 0:  # a second focus group, with partners
                partners = [g for g in groups if g.startswith("partners")][:2] or groups[:1]
                meeting = ws.save_meeting(
                    opened.inspection.id,
                    MeetingKind.FOCUS_GROUP,
                    date(2026, 11, 5),
                    "Partners focus group",
                    [GroupAttendance(g, 3) for g in partners],
                    questions[:2],
                )
                ws.record_meeting_note(meeting.id, questions[0], MEETING_NOTES[2])
                result.meetings += 1
        exported = fw.export(opened.inspection.id, shared)
        assert exported.shared_path is not None
        result.packages.append(exported.shared_path)
        result.assessors[initials] = paths.data
        result.answers += answers
        report(
            f"assessor {initials}: {len(cases)} cases, {answers} answers, "
            f"package {exported.shared_path.name}"
        )
        ws.close()
    report(f"shared folder: {shared}")
    report(f"team lead's data folder (with its keys): {result.lead}")

    # The team lead merges everything into the hub and looks at the regional figures.
    from probdesk.services import hub as hubs

    lead_ws = Workspace.open(lead_paths)
    hub = hubs.open_hub(lead_paths.data, f"sqlite:///{out / 'hub.sqlite'}")
    try:
        outcomes = hubs.merge(hub, Fieldwork(lead_ws, lead_paths), shared)
        merged = sum(o.state == hubs.MERGED for o in outcomes)
        report(f"hub {out / 'hub.sqlite'}: {merged} packages merged")
        report("regional summary:")
        report(hubs.render(hubs.summarise(hub, inspection.id, "region"), "table").rstrip())
        result.reports = _write_reports(hub, inspection.id, out / "reports")
        report(f"reports in {out / 'reports'}:")
        for path in result.reports:
            report(f"  {path}")
    finally:
        hub.close()
        lead_ws.close()
    result.hub = out / "hub.sqlite"
    return result


def _write_reports(hub: Hub, inspection_id: str, folder: Path) -> list[Path]:
    """One case summary (the first approved or submitted case), each PDU's summary and the
    regional summary: real PDFs for a newcomer to open."""
    from probdesk.services import reports

    source = reports.ReportSource(hub, inspection_id, author=LEAD)
    done = [c for c in source.cases if c.status in ("approved", "submitted")] or source.cases
    written = [
        reports.write_case(
            source, done[0].reference, folder / reports.case_file_name(done[0].reference)
        )  # case-summary.pdf: no reference in a file name
    ]
    for pdu in source.pdus:
        written.append(
            reports.write_summary(source, "pdu", folder / f"pdu-{reports.safe_name(pdu)}.pdf", pdu)
        )
    written.append(reports.write_summary(source, "region", folder / "region-summary.pdf"))
    return written
