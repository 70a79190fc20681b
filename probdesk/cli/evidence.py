"""Command line for domain one evidence: the evidence log (`doc`), gaps and points to clarify
(`gap`), staff survey figures (`survey`), the team's judgements (`judge`) and the
triangulation view of one question (`triangulate`).

Everything printed here is what the user asked to see; nothing with evidence content is
logged (the services log ids only).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.cli.bootstrap import PREFIX_INSPECTION_HELP
from probdesk.cli.output import (
    MIN_PREFIX,
    inspection_here,
    inspections_here,
    pick,
    short,
    size_text,
    table,
)
from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers
    from probdesk.domain.evidence import Document, Gap, Judgement
    from probdesk.domain.records import Inspection, Meeting
    from probdesk.services.evidence import EvidenceLog
    from probdesk.services.workspace import Workspace


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = parents.of(inspection="prefix")

    ids = f"IDs may be shortened to a unique prefix of at least {MIN_PREFIX} characters."

    # -- doc ------------------------------------------------------------------------------
    doc = sub.add_parser(
        "doc",
        help="the evidence log: documents the PDU or region submitted (domain one)",
        description="Log the documents the PDU or region submitted, with the domain-one or "
        "non-case questions each informs and, optionally, the file itself (at most 10 MB). " + ids,
    )
    doc.set_defaults(run=_doc)
    doc_sub = doc.add_subparsers(dest="doc_command", metavar="ACTION", required=True)
    add = doc_sub.add_parser(
        "add",
        parents=common,
        help="log a document; prints its id",
        description="Log a document the PDU or region submitted and print its id. The file "
        "given with --attach is copied into the local database (at most 10 MB; a larger file "
        "is refused and nothing is logged).",
    )
    add.add_argument("--title", required=True, metavar="TITLE")
    add.add_argument(
        "--kind", required=True, metavar="KIND",
        help="what sort of document, e.g. strategy, performance report, training plan",
    )  # fmt: skip
    add.add_argument("--received", required=True, metavar="YYYY-MM-DD", help="date received")
    add.add_argument(
        "--informs", action="extend", nargs="+", default=[], metavar="QID",
        help="domain-one key question, prompt or non-case question ids it informs",
    )  # fmt: skip
    add.add_argument("--attach", type=Path, metavar="FILE", help="the document's file")
    doc_sub.add_parser(
        "list",
        parents=common,
        help="list the evidence log",
        description="List the logged documents by date received: id, date received, kind, "
        "title, the questions each informs, the attached file's name and size, and whether "
        "it was withdrawn (with the reason).",
    )
    wd = doc_sub.add_parser(
        "withdraw",
        parents=common,
        help="mark a document withdrawn (it stays in the log)",
        description="Mark a logged document withdrawn, for example replaced by a newer version "
        "or sent in error. It stays in the evidence log, marked withdrawn, and no longer shows "
        "in `probdesk triangulate`. " + ids,
    )
    wd.add_argument("id", metavar="ID")
    wd.add_argument("--reason", default="", metavar="TEXT", help="why it is withdrawn (required)")
    sv = doc_sub.add_parser(
        "save",
        parents=common,
        help="write a document's attached file",
        description="Write the file attached to a logged document to PATH (a file name, or a "
        "folder to put it in under its own name), replacing a file already there. " + ids,
    )
    sv.add_argument("id", metavar="ID")
    sv.add_argument("--out", required=True, type=Path, metavar="PATH")

    # -- gap ------------------------------------------------------------------------------
    gap = sub.add_parser(
        "gap",
        help="gaps in the evidence and points to clarify, tracked to closure (domain one)",
        description="Raise a gap in the evidence or a point to clarify against a domain-one or "
        "non-case question, plan it into a meeting or focus group, then record the answer or "
        "close it with a reason. " + ids,
    )
    gap.set_defaults(run=_gap)
    gap_sub = gap.add_subparsers(dest="gap_command", metavar="ACTION", required=True)
    rg = gap_sub.add_parser(
        "raise",
        parents=common,
        help="raise a gap; prints its id",
        description="Raise a gap in the evidence, or a point to clarify, against a question; "
        "prints the gap's id.",
    )
    rg.add_argument("--question", required=True, metavar="QID")
    rg.add_argument("--text", required=True, metavar="TEXT", help="what is missing or unclear")
    pg = gap_sub.add_parser(
        "plan",
        parents=common,
        help="plan a gap into a meeting or focus group",
        description="Plan a gap into a meeting or focus group, where it is to be asked; plan it "
        "again to move it to another. `probdesk gap meetings` lists the meetings. " + ids,
    )
    pg.add_argument("id", metavar="ID")
    pg.add_argument("--meeting", required=True, metavar="MEETING_ID")
    ag = gap_sub.add_parser(
        "answer",
        parents=common,
        help="record the answer to a gap",
        description="Record what the answer was; the gap is then answered. " + ids,
    )
    ag.add_argument("id", metavar="ID")
    ag.add_argument("--outcome", default="", metavar="TEXT", help="what the answer was (required)")
    cg = gap_sub.add_parser(
        "close",
        parents=common,
        help="close a gap without an answer, with the reason",
        description="Close a gap without an answer, for example because it is no longer "
        "needed or the evidence arrived another way. The reason is required. " + ids,
    )
    cg.add_argument("id", metavar="ID")
    cg.add_argument(
        "--reason", default="", metavar="TEXT", help="why it is closed without an answer (required)"
    )
    lg = gap_sub.add_parser(
        "list",
        parents=common,
        help="list the gaps",
        description="List the gaps, oldest raised first: id, question, state, the meeting it "
        "is planned into, the text, and the outcome or the reason it was closed.",
    )
    lg.add_argument("--open", action="store_true", help="only gaps not yet answered or closed")
    gap_sub.add_parser(
        "meetings",
        parents=common,
        help="list the meetings and focus groups to plan gaps into",
        description="List the inspection's meetings and focus groups: id, date, kind, title, "
        "the non-case questions covered and the participant groups with head counts.",
    )

    # -- survey ---------------------------------------------------------------------------
    su = sub.add_parser(
        "survey",
        parents=common,
        help="record a staff survey figure against a question (domain one)",
        description="Record a staff survey figure by hand against a domain-one or non-case "
        "question, for example --label 'Workload is manageable' --value '58%'. Recording the "
        "same label again replaces its value; an empty --value '' clears it. "
        "`probdesk triangulate` lists the figures.",
    )
    su.set_defaults(run=_survey)
    su.add_argument("--question", required=True, metavar="QID")
    su.add_argument("--label", required=True, metavar="LABEL")
    su.add_argument("--value", required=True, metavar="VALUE", help="the figure; '' clears it")

    # -- judge ----------------------------------------------------------------------------
    ju = sub.add_parser(
        "judge",
        parents=common,
        help="record the team's judgement on a question, or show its history (domain one)",
        description="Record the team's judgement on a domain-one key question or a non-case "
        "question: a rating and its rationale. Where the question set rates, the rating must "
        "be one of its scale (e.g. Outstanding, Good, Requires improvement, Inadequate). Every "
        "change is kept: `probdesk judge history --question QID` shows them all.",
    )
    ju.set_defaults(run=_judge)
    ju.add_argument("--question", metavar="QID")
    ju.add_argument("--rating", default="", metavar="LABEL", help="a rating of the set's scale")
    ju.add_argument("--rationale", default="", metavar="TEXT", help="what the evidence shows")
    ju_sub = ju.add_subparsers(dest="judge_command", metavar="ACTION")
    jh = ju_sub.add_parser(
        "history",
        parents=parents.of(),
        help="every judgement recorded on a question",
        description="Every judgement recorded on a question, oldest first: when, who, the "
        "rating and the rationale.",
    )
    jh.add_argument("--question", dest="history_question", required=True, metavar="QID")
    jh.add_argument(
        "--inspection", dest="history_inspection", metavar="ID", help=PREFIX_INSPECTION_HELP
    )

    # -- triangulate ----------------------------------------------------------------------
    tr = sub.add_parser(
        "triangulate",
        parents=common,
        help="everything that informs one question, side by side (domain one)",
        description="Print a domain-one key question (with its prompts) or a non-case "
        "question, then the documents informing it, the meeting and focus-group notes by "
        "participant group, the staff survey figures, the open gaps, and the current "
        "judgement with its rationale and history. A key question gathers the evidence filed "
        "against its prompts and linked non-case questions too. With a hub (--hub, or the "
        "team lead's hub.sqlite in the data folder when it exists), also the case findings: "
        "the key-question percentages for the region.",
    )
    tr.set_defaults(run=_triangulate)
    tr.add_argument("--question", required=True, metavar="QID")
    tr.add_argument(
        "--hub", metavar="URL",
        help="the hub database URL (default: hub.sqlite in the data folder, when it exists)",
    )  # fmt: skip


# -- ids ----------------------------------------------------------------------------------------


def _documents(log: EvidenceLog, inspections: Iterable[Inspection]) -> list[Document]:
    return [d for i in inspections for d in log.documents(i.id)]


def _gaps(log: EvidenceLog, inspections: Iterable[Inspection]) -> list[Gap]:
    return [g for i in inspections for g in log.gaps(i.id)]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--received {text!r} is not a date: give it as YYYY-MM-DD; nothing was saved."
        ) from None


# -- formatting ---------------------------------------------------------------------------------


def _attachment(d: Document) -> str:
    return f"{d.attachment_name} ({size_text(d.size)})" if d.has_attachment else ""


def _meeting_name(m: Meeting) -> str:
    return m.title or m.kind.label


def _when(j: Judgement) -> str:
    return f"{j.recorded_at:%Y-%m-%d %H:%M}"


def _judgement_lines(j: Judgement, indent: str) -> list[str]:
    rating = j.rating or "(no rating)"
    lines = [f"{indent}{_when(j)}  {j.recorded_by or 'unnamed'}  {rating}"]
    lines += [f"{indent}    {line}" for line in j.rationale.splitlines() or [""]]
    return lines


# -- dispatch -----------------------------------------------------------------------------------


def _opened(session: Session) -> tuple[Workspace, EvidenceLog]:
    from probdesk.services.evidence import EvidenceLog

    return session.ws, EvidenceLog(session.ws)


def _doc(args: argparse.Namespace, session: Session) -> int:
    ws, log = _opened(session)
    action = args.doc_command
    if action == "add":
        inspection = inspection_here(ws, args.inspection)
        informs = [q.strip() for spec in args.informs for q in spec.split(",") if q.strip()]
        doc = log.add_document(
            inspection.id, args.title, args.kind, _date(args.received), informs, args.attach
        )
        print(doc.id)
        return 0
    if action == "list":
        inspection = inspection_here(ws, args.inspection)
        docs = log.documents(inspection.id)
        if not docs:
            print("No documents logged for this inspection yet: `probdesk doc add` logs one.")
            return 0
        rows = [
            (
                short(d.id),
                d.received_on.isoformat(),
                d.kind,
                d.title,
                ", ".join(d.informs),
                _attachment(d),
                f"withdrawn: {d.withdrawn_reason}" if d.withdrawn else "",
            )
            for d in docs
        ]
        headers = ("ID", "RECEIVED", "KIND", "TITLE", "INFORMS", "ATTACHMENT", "WITHDRAWN")
        sys.stdout.write(table(headers, rows))
        return 0
    listing = "`probdesk doc list` shows the ids"
    found = pick(args.id, _documents(log, inspections_here(ws, args.inspection)), lambda d: d.id,
                 "document", listing)  # fmt: skip
    if action == "withdraw":
        log.withdraw_document(found.id, args.reason)
        print(f"document {short(found.id)} withdrawn")
        return 0
    if action == "save":
        written = log.save_attachment(found.id, args.out)
        print(written)
        return 0
    raise AssertionError(action)


def _gap(args: argparse.Namespace, session: Session) -> int:
    ws, log = _opened(session)
    action = args.gap_command
    if action == "raise":
        inspection = inspection_here(ws, args.inspection)
        gap = log.raise_gap(inspection.id, args.question.strip(), args.text)
        print(gap.id)
        return 0
    if action == "meetings":
        inspection = inspection_here(ws, args.inspection)
        return _list_meetings(ws, inspection)
    if action == "list":
        inspection = inspection_here(ws, args.inspection)
        gaps = log.gaps(inspection.id, open_only=args.open)
        if not gaps:
            print("No open gaps." if args.open else "No gaps raised for this inspection yet.")
            return 0
        meetings = {m.id: m for m in ws.meetings(inspection.id)}
        rows = []
        for g in gaps:
            m = meetings.get(g.meeting_id) if g.meeting_id else None
            where = f"{short(m.id)} {_meeting_name(m)}" if m else (g.meeting_id or "")
            end = g.outcome or (f"closed: {g.reason}" if g.reason else "")
            rows.append((short(g.id), g.question_id, g.state.value, where, g.text, end))
        headers = ("ID", "QUESTION", "STATE", "MEETING", "TEXT", "OUTCOME / REASON")
        sys.stdout.write(table(headers, rows))
        return 0
    inspections = inspections_here(ws, args.inspection)
    found = pick(
        args.id, _gaps(log, inspections), lambda g: g.id, "gap", "`probdesk gap list` shows the ids"
    )
    if action == "plan":
        held = ws.meetings(found.inspection_id)
        if not held:
            raise InputError(
                "This inspection has no meetings or focus groups yet: add them in the window's "
                "Meetings and focus groups tab first; nothing was changed."
            )
        meeting = pick(args.meeting, held, lambda m: m.id, "meeting",
                       "`probdesk gap meetings` lists them")  # fmt: skip
        log.plan_gap(found.id, meeting.id)
        print(f"gap {short(found.id)} planned into {short(meeting.id)} {_meeting_name(meeting)}")
        return 0
    if action == "answer":
        log.answer_gap(found.id, args.outcome)
        print(f"gap {short(found.id)} answered")
        return 0
    if action == "close":
        log.close_gap(found.id, args.reason)
        print(f"gap {short(found.id)} closed")
        return 0
    raise AssertionError(action)


def _list_meetings(ws: Workspace, inspection: Inspection) -> int:
    meetings = ws.meetings(inspection.id)
    if not meetings:
        print("No meetings or focus groups in this inspection yet.")
        return 0
    rows = [
        (
            short(m.id),
            m.held_on.isoformat(),
            m.kind.label,
            m.title,
            ", ".join(m.questions),
            ", ".join(f"{g.group_id} ({g.head_count})" for g in m.groups),
        )
        for m in meetings
    ]
    sys.stdout.write(table(("ID", "HELD", "KIND", "TITLE", "QUESTIONS", "GROUPS"), rows))
    return 0


def _survey(args: argparse.Namespace, session: Session) -> int:
    ws, log = _opened(session)
    inspection = inspection_here(ws, args.inspection)
    question, label = args.question.strip(), args.label.strip()
    figure = log.record_survey(inspection.id, question, label, args.value)
    if figure is None:
        print(f"no survey figure {label!r} on {question} to clear; nothing changed")
    elif not figure.value:
        print(f"survey figure {label!r} on {question} cleared")
    else:
        print(f"survey figure on {question}: {figure.label}: {figure.value}")
    return 0


def _judge(args: argparse.Namespace, session: Session) -> int:
    ws, log = _opened(session)
    if args.judge_command == "history":
        inspection = inspection_here(ws, args.history_inspection or args.inspection)
        question = args.history_question.strip()
        history = log.judgement_history(inspection.id, question)
        if not history:
            print(f"No judgement recorded on {question} yet.")
            return 0
        print(f"{question}: {len(history)} judgement(s), oldest first")
        for j in history:
            print("\n".join(_judgement_lines(j, "  ")))
        return 0
    if not args.question:
        raise InputError(
            "Name the question with --question QID (with --rating and --rationale), or use "
            "`probdesk judge history --question QID`."
        )
    inspection = inspection_here(ws, args.inspection)
    question = args.question.strip()
    j = log.record_judgement(inspection.id, question, args.rating, args.rationale)
    print(f"judgement on {question}: {j.rating or '(no rating)'} (recorded {_when(j)})")
    return 0


def _triangulate(args: argparse.Namespace, session: Session) -> int:
    ws, log = _opened(session)
    from probdesk.domain.questionset import OrgQuestion

    inspection = inspection_here(ws, args.inspection)
    t = log.triangulation(inspection.id, args.question.strip())
    q = t.question
    out: list[str] = []
    if isinstance(q, OrgQuestion):
        out += [f"{q.id}  {q.title}", q.text]
        out += [f"  {p.id}  {p.text}" for p in q.prompts]
        if q.non_case_questions:
            out.append(f"Non-case questions: {', '.join(q.non_case_questions)}")
    else:
        out += [f"{q.id}  {q.theme} (non-case question)", q.text]
    if q.guidance:
        out.append(f"Guidance: {q.guidance}")
    out += ["", f"Documents ({len(t.documents)})"]
    out += [
        f"  {short(d.id)}  {d.received_on.isoformat()}  {d.kind}  {d.title}  "
        f"[{', '.join(d.informs)}]" + (f"  {_attachment(d)}" if d.has_attachment else "")
        for d in t.documents
    ] or ["  none logged"]
    out += ["", "Meeting and focus-group notes, by participant group"]
    for group in t.notes_by_group:
        out.append(f"  {group.label}")
        for n in group.notes:
            title = n.meeting_title or n.kind.label
            out.append(
                f"    {n.held_on.isoformat()}  {title} ({n.kind.label.lower()}, "
                f"{n.head_count} attending)  {n.question_id}: {n.note}"
            )
    if not t.notes_by_group:
        out.append("  none recorded")
    out += ["", "Staff survey figures"]
    out += [f"  {s.question_id}  {s.label}: {s.value}" for s in t.surveys] or ["  none recorded"]
    out += ["", f"Open gaps ({len(t.open_gaps)})"]
    out += [
        f"  {short(g.id)}  {g.question_id}  {g.state.value}  {g.text}" for g in t.open_gaps
    ] or ["  none"]
    out += [""]
    if t.judgement is None:
        scale = f" (on the scale: {', '.join(t.scale)})" if t.scale else ""
        out.append(f"Judgement: none recorded yet{scale}")
    else:
        j = t.judgement
        out.append(f"Judgement: {j.rating or '(no rating)'}")
        out += [f"  {line}" for line in j.rationale.splitlines()]
        out.append(f"  recorded by {j.recorded_by or 'unnamed'} at {_when(j)}")
        out += ["", f"History ({len(t.history)}, oldest first)"]
        for h in t.history:
            out += _judgement_lines(h, "  ")
    out += ["", *_case_findings(args.hub, inspection.id, session)]
    print("\n".join(out))
    return 0


def _case_findings(url: str | None, inspection_id: str, session: Session) -> list[str]:
    """The key-question percentages of the inspection from the hub, or why there are none.
    A missing SQLite hub file is never created here."""
    from probdesk.services import figures
    from probdesk.services import hub as hubs

    url = url or hubs.default_hub_url(session.paths.data)
    merge = "merge the packages to see the case findings (`probdesk merge SHARED`)"
    if url.startswith("sqlite:///"):
        file = Path(url.removeprefix("sqlite:///").partition("?")[0])
        if not file.is_file():
            return ["Case findings", f"  No hub at {file}: {merge}."]
    found = figures.key_findings(session.open_hub(url), inspection_id)
    if found is None:
        return ["Case findings", f"  The hub holds nothing of this inspection yet: {merge}."]
    rows = found
    names = sorted({r.name for r in rows})
    out = [f"Case findings ({', '.join(names) or 'no cases merged'}, key questions)"]
    several = len(names) > 1
    body = []
    for r in rows:
        percent = f"{r.percent:.1f}%" if r.percent is not None else "no relevant cases"
        body.append((
            *((r.name,) if several else ()), r.question_id, f"relevant {r.relevant}",
            f"yes {r.yes}", percent, r.rating or "",
        ))  # fmt: skip
    if body:
        out += [f"  {line}" for line in table(["" for _ in body[0]], body).splitlines()[1:]]
    else:
        out.append("  no case answers merged yet")
    return out
