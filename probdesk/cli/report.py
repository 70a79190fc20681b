"""Command line for the print-ready PDF reports from the hub."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    rp = sub.add_parser(
        "report",
        parents=parents.of(hub=True, inspection="hub"),
        help="print-ready PDF: case summaries, a PDU summary or the regional summary",
        description="Build a PDF from the hub. `report case REF... --out FILE.pdf` prints case "
        "summaries (one case, or several with a contents page; --pdu NAME for all of a PDU's "
        "cases; --folder to write one PDF per case into --out DIR). `report pdu NAME --out "
        "FILE.pdf` and `report region --out FILE.pdf` print the summary reports with the same "
        "figures as `probdesk summary`; `report region --region NAME` prints a regional "
        "inspection's report (its PDU inspections pooled, with its own samples). Every page "
        "carries the protective marking. Summaries count submitted, approved and locked cases "
        "and say on the first page how many cases are not counted yet and how many conflicts "
        "are undecided; --provisional counts every answered case and says PROVISIONAL on "
        "every page.",
    )
    rp.add_argument("kind", choices=("case", "pdu", "region"))
    rp.add_argument("names", nargs="*", metavar="NAME",
                    help="case references (case) or the PDU's name (pdu)")  # fmt: skip
    rp.add_argument("--out", required=True, type=Path, metavar="FILE.pdf|DIR")
    rp.add_argument("--pdu", metavar="NAME", help="case: every case of this PDU")
    rp.add_argument(
        "--region", metavar="NAME",
        help="region: the regional inspection's report, pooling every PDU inspection of the "
        "region in the hub, with the region's own samples and domain-one judgements",
    )  # fmt: skip
    rp.add_argument(
        "--folder", action="store_true",
        help="case: one PDF per case in --out DIR, numbered case-001.pdf, ...",
    )  # fmt: skip
    rp.add_argument(
        "--name-by-reference", action="store_true",
        help="case --folder: name each PDF after its case reference (off by default: a file "
        "name is seen by anyone who sees the folder, its backups and sync tools)",
    )  # fmt: skip
    rp.add_argument(
        "--marking", default="OFFICIAL-SENSITIVE", metavar="TEXT",
        help="protective marking on every page (default: OFFICIAL-SENSITIVE)",
    )  # fmt: skip
    rp.add_argument(
        "--provisional", action="store_true",
        help="pdu, region: count every case with an answer, finished or not (PROVISIONAL)",
    )  # fmt: skip
    rp.set_defaults(run=_report)


def _report(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import reports

    pdu: str | None = args.pdu
    if args.kind == "region" and args.region:
        if args.inspection or args.names:
            raise InputError("The regional inspection's report takes --region NAME only.")
    elif args.kind == "case":
        if not args.names and args.pdu is None:
            raise InputError("Name the case references to print, or --pdu NAME for all of a PDU.")
    elif args.kind == "pdu":
        if len(args.names) != 1:
            raise InputError("Name one PDU: probdesk report pdu NAME --out FILE.pdf")
        pdu = args.names[0]
    elif args.names:
        raise InputError(
            "The regional report takes no names: probdesk report region --out FILE.pdf"
        )
    request = reports.ReportRequest(
        reports.CASES if args.kind == "case" else args.kind,
        args.out,
        inspection_id=args.inspection,
        refs=tuple(args.names) if args.kind == "case" else (),
        pdu=pdu if args.kind != "region" else None,
        folder=args.folder and args.kind == "case",
        marking=args.marking,
        by_reference=args.name_by_reference,
        region=args.region if args.kind == "region" else None,
        provisional=args.provisional,
    )
    paths = reports.build(session.hub, request)
    for p in paths:
        print(p)
    if len(paths) > 1:
        print(f"{len(paths)} PDFs written")
    return 0
