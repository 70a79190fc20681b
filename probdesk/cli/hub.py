"""Command line for the team lead's hub: merge, summary, conflicts, resolve, moderate, comment,
the meeting evidence and the data export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers

# merge: some package was held, rejected or quarantined (the others merged); see docs/hub.md.
EXIT_ATTENTION = 3


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    hub = parents.of(hub=True)
    hub_inspection = parents.of(hub=True, inspection="hub")
    m = sub.add_parser(
        "merge",
        parents=hub,
        help="merge the assessors' packages into the hub (team lead)",
        description="Find events packages in SHARED (and one folder down), verify and decrypt "
        "them with this device's team lead key, and merge each into the hub in its own "
        "transaction. Each package is reported as merged, already merged, rejected (with the "
        "reason) or quarantined (same package id, different content). A receipt for each "
        "merged package goes to SHARED/receipts/.",
    )
    m.add_argument("shared", type=Path, metavar="SHARED")
    m.set_defaults(run=_merge)
    sm = sub.add_parser(
        "summary",
        parents=hub_inspection,
        help="percentages per key question and prompt, per PDU or region",
        description="Per key question and prompt: relevant cases (the base: Yes and No), Yes, "
        "No, answered not applicable, did not apply (the question's condition switched it "
        "off), not answered, and the percentage Yes over relevant cases (rounded down to one "
        "decimal place; null when no case is relevant), with ratings, standards and overall "
        "bands where the question set declares them. Figures count submitted, approved and "
        "locked cases; the output says how many cases are not counted yet and how many "
        "conflicts are undecided. Below the set's minimum base a figure carries a caution and "
        "no rating. A region pools its PDUs' cases. JSON is one object (question_set, "
        "coverage, figures, standards, overall, left_out); CSV is one table with a record "
        "column (figure, standard or overall) and what is counted on stderr.",
    )
    sm.set_defaults(run=_summary)
    sm.add_argument(
        "--region", metavar="NAME",
        help="the regional inspection's figures: pooled over every PDU inspection of the "
        "region merged into the hub (--by region for the region, --by pdu for each PDU)",
    )  # fmt: skip
    sm.add_argument("--by", choices=("pdu", "region"), default="pdu")
    sm.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sm.add_argument(
        "--provisional", action="store_true",
        help="count every case with an answer, finished or not (labelled PROVISIONAL)",
    )  # fmt: skip
    sm.add_argument(
        "--split-by", metavar="WHAT",
        help="split each figure by variant, assessor_role or a case fact id (e.g. rosh_level)",
    )  # fmt: skip
    rs = sub.add_parser(
        "resolve",
        parents=hub_inspection,
        help="settle a conflict listed by `probdesk conflicts`",
        description="Keep one of the answers two laptops gave to a question (--keep N, 1 = the "
        "one listed first), with its note or with both notes (--both-notes). The decision is "
        "kept as the team lead's own answer event; the other answers stay in the hub. With "
        "--to SHARED a send-back pack carries it to each laptop involved. A conflict on a "
        "case's field (--question fact:rosh_level, pdu or status) is settled the same way, "
        "as the team lead's case event.",
    )
    rs.set_defaults(run=_resolve)
    rs.add_argument("--case", required=True, metavar="CASE_REF")
    rs.add_argument("--question", required=True, metavar="QUESTION_ID")
    rs.add_argument("--keep", type=int, default=1, metavar="N")
    rs.add_argument("--both-notes", action="store_true")
    rs.add_argument("--to", type=Path, metavar="SHARED")
    mo = sub.add_parser(
        "moderate",
        parents=hub_inspection,
        help="approve a case, or return it to its assessor with a comment",
        description="Record a moderation decision on a merged case. --return writes a "
        "send-back pack to SHARED for the laptop that answered the case: the case becomes "
        "returned there and the comment shows with it (at that question, with --question). "
        "Every decision is kept with who made it; export-data shows the latest.",
    )
    mo.set_defaults(run=_moderate)
    mo.add_argument("--case", required=True, metavar="CASE_REF")
    choice = mo.add_mutually_exclusive_group(required=True)
    choice.add_argument("--approve", action="store_true")
    choice.add_argument("--return", dest="return_case", action="store_true")
    mo.add_argument("--comment", default="", metavar="TEXT")
    mo.add_argument("--to", type=Path, metavar="SHARED", help="the shared folder (for --return)")
    mo.add_argument(
        "--question", metavar="QUESTION_ID", help="the question the return's comment is on"
    )
    co = sub.add_parser(
        "comment",
        parents=hub_inspection,
        help="send the assessor a comment on one question of a case",
        description="Write a send-back pack to SHARED for each laptop of the case's assessor "
        "with a comment on one question of the case; it shows at that question in the "
        "assessor's form and on their to-do list. The case's status does not change.",
    )
    co.set_defaults(run=_comment)
    co.add_argument("--case", required=True, metavar="CASE_REF")
    co.add_argument("--question", required=True, metavar="QUESTION_ID")
    co.add_argument("--text", required=True, metavar="TEXT")
    co.add_argument("--to", required=True, type=Path, metavar="SHARED", help="the shared folder")
    ev = sub.add_parser(
        "evidence",
        parents=hub_inspection,
        help="meeting and focus-group notes by non-case question",
        description="Print the notes from meetings and focus groups merged into the hub, by "
        "non-case question then meeting, with the participant groups and head counts: for "
        "lining up what each group said against the case findings.",
    )
    ev.set_defaults(run=_evidence)
    cf = sub.add_parser(
        "conflicts",
        parents=hub_inspection,
        help="list concurrent answers and case changes in the hub",
        description="List the questions two laptops answered concurrently and the case "
        "fields (fact:ID, pdu, status) changed concurrently to different values (conflicts, "
        "with the winner shown first: newest by clock, then device id), and the cases several "
        "laptops changed in parallel. Nothing is hidden or decided here.",
    )
    cf.set_defaults(run=_conflicts)
    ed = sub.add_parser(
        "export-data",
        parents=hub_inspection,
        help="one row per case and question as CSV, or the analysts' workbook (XLSX)",
        description="CSV: one row per case and question of its variant: region, pdu, "
        "case_ref, variant, question_id, key_question, applicable, answer (yes, no, na, the "
        "value, or empty), assessor, assessor_role, status, moderation and moderated_by. "
        "XLSX: the workbook for analysts: a cover (the protective marking, the inspection, "
        "the question set's version, when it was generated, what is counted), one row per "
        "case with every fact and answer by its label, every answer in long form, a codebook "
        "and the figures by PDU. Evidence notes only with --with-notes. The file appears "
        "only once it is whole.",
    )
    ed.set_defaults(run=_export_data)
    ed.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    ed.add_argument("--out", required=True, type=Path, metavar="FILE")
    ed.add_argument("--with-notes", action="store_true")
    ed.add_argument(
        "--marking", default="OFFICIAL-SENSITIVE", metavar="TEXT",
        help="protective marking on the workbook's cover and printed pages (xlsx only; "
        "default: OFFICIAL-SENSITIVE)",
    )  # fmt: skip


def _summary(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import figures

    hub = session.hub
    if args.region:
        if args.inspection:
            raise InputError("Give --region or --inspection, not both.")
        summary = figures.region_summary(
            hub, args.region, args.by, args.split_by, provisional=args.provisional
        )
    else:
        inspection_id = figures.pick_inspection(hub, args.inspection)
        summary = figures.inspection_summary(
            hub, inspection_id, args.by, args.split_by, provisional=args.provisional
        )
    sys.stdout.write(figures.render_summary(summary, args.format))
    if summary.left_out and args.format == "table":
        print("\nLeft out of the pooled figures (not the same question in every version):")
        for o in summary.left_out:
            print(f"  {o.question_id or 'ratings'}: {o.reason}")
    if args.format == "csv":  # JSON carries these; CSV stays one table, so they go beside it
        print(summary.coverage.text, file=sys.stderr)
        for o in summary.left_out:
            print(f"left out of the pooled figures: {o.question_id or 'ratings'}: {o.reason}",
                  file=sys.stderr)  # fmt: skip
    return 0


def _evidence(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import figures

    hub = session.hub
    inspection_id = figures.pick_inspection(hub, args.inspection)
    last = None
    for e in figures.evidence(hub, inspection_id):
        if e.question_id != last:
            print(f"\n{e.question_id}  {e.question}")
            last = e.question_id
        print(f"  {e.meeting} — {e.groups}")
        print(f"    {e.note}")
    return 0


def _conflicts(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import figures

    hub = session.hub
    inspection_id = figures.pick_inspection(hub, args.inspection)
    found = figures.conflicts(hub, inspection_id)
    for c in found:
        if c.kind == "conflict":
            shown = "; ".join(f"{who}: {value}" for who, value in c.values)
            print(f"conflict  case {c.case_ref} {c.question_id}: {shown} (first wins)")
        else:
            print(f"parallel  case {c.case_ref}: changed on several laptops")
    print(f"{sum(c.kind == 'conflict' for c in found)} conflict(s) undecided")
    return 0


def _export_data(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import hub as hubs

    hub = session.hub
    inspection_id = hubs.pick_inspection(hub, args.inspection)
    if args.format == "xlsx":
        from probdesk.services.workbook import write_workbook

        book = write_workbook(
            hub, inspection_id, args.out, with_notes=args.with_notes, marking=args.marking
        )
        print(f"Workbook written to {book.path}: {book.cases} cases, {book.answers} answers, "
              f"{book.figures} figure rows ({', '.join(book.sheets)})")  # fmt: skip
        return 0
    rows_out = hubs.export_rows(hub, inspection_id, args.with_notes)
    path = hubs.write_export(rows_out, args.format, args.out, args.with_notes)
    print(f"{len(rows_out)} rows written to {path}")
    return 0


def _merge(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import hub as hubs

    fw = session.fw
    outcomes = hubs.merge(session.hub, fw, args.shared)
    for o in outcomes:
        counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(o.counts.items()))
        detail = o.reason or counts
        print(f"{o.state:<15} {o.file}" + (f": {detail}" if detail else ""))
        if o.flag:
            print(f"{'':<15} note: {o.flag}")
    tally = {s: sum(o.state == s for o in outcomes) for s in (hubs.MERGED, hubs.ALREADY,
             hubs.HELD, hubs.REJECTED, hubs.QUARANTINED)}  # fmt: skip
    print(", ".join(f"{n} {s}" for s, n in tally.items()))
    if hubs.needs_attention(outcomes):
        if tally[hubs.HELD]:
            print("held packages wait for 'probdesk enrolment enrol FINGERPRINT --as MEMBER' "
                  "or 'probdesk enrolment refuse FINGERPRINT'", file=sys.stderr)  # fmt: skip
        return EXIT_ATTENTION
    return 0


def _moderate(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import hub as hubs

    fw, hub = session.fw, session.hub
    inspection_id = hubs.pick_inspection(hub, args.inspection)
    action = "approved" if args.approve else "returned"
    result = hubs.moderate(
        hub, fw, inspection_id, args.case, action, args.comment, args.to, args.question
    )
    print(f"case {result.case_ref}: {result.action}")
    for pack in result.sendbacks:
        print(f"send-back pack: {pack}")
    return 0


def _comment(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import hub as hubs

    fw, hub = session.fw, session.hub
    inspection_id = hubs.pick_inspection(hub, args.inspection)
    result = hubs.comment_on_question(
        hub, fw, inspection_id, args.case, args.question, args.text, args.to
    )
    print(f"case {result.case_ref} {result.question_id}: comment sent")
    for pack in result.sendbacks:
        print(f"send-back pack: {pack}")
    return 0


def _resolve(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import hub as hubs

    fw, hub = session.fw, session.hub
    inspection_id = hubs.pick_inspection(hub, args.inspection)
    result = hubs.resolve_conflict(
        hub, fw, inspection_id, args.case, args.question, args.keep, args.both_notes, args.to
    )
    print(f"case {result.case_ref} {result.question_id}: {result.value} stands")
    for pack in result.sendbacks:
        print(f"send-back pack: {pack}")
    return 0
