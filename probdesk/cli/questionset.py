"""Command line for question-set files: validate and show."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.cli.output import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    qs = sub.add_parser("questionset", help="check and describe question-set files")
    qs_sub = qs.add_subparsers(dest="qs_command", metavar="ACTION", required=True)
    v = qs_sub.add_parser(
        "validate",
        help="check question-set files",
        description="Check question-set files: the schema, every rule of the loader, each "
        "condition against the type and values of what it reads, and what no case can reach "
        "(a variant no combination of facts selects, a question that can never apply), which "
        "is a warning. Each problem is printed on stderr as FILE:LINE:COLUMN: message. Exit 0 "
        "when all are valid without warnings, 1 when valid with warnings, 2 when any is "
        "invalid (or, with --strict, has warnings).",
    )
    v.add_argument("paths", nargs="+", metavar="PATH")
    v.add_argument(
        "--strict", action="store_true", help="treat warnings as errors (exit 2 on a warning)"
    )
    v.set_defaults(run=_validate)
    s = qs_sub.add_parser(
        "show",
        help="print a question set's outline",
        description="Print the outline of a question set: case facts, variants, sections, "
        "questions and their conditions in words, and how findings are worked out.",
    )
    s.add_argument("path", metavar="PATH")
    s.set_defaults(run=_show)
    d = qs_sub.add_parser(
        "diff",
        help="what changes from one version of a question set to another",
        description="Classify every case question, fact and variant of two question-set files: "
        "unchanged, wording changed, guidance changed, condition changed, counting changed, "
        "added, dropped, answer options changed, answer type changed; and name the other parts "
        "that changed. The same classification as the preview before an inspection moves to a "
        "new version (setup-pack create --question-set). Exit 0: no differences; 1: answers "
        "carry over as they are (wording, guidance, added questions); 3: answers are kept but "
        "some cases need review or stop counting (conditions, counting, dropped questions, "
        "facts, variants); 4: incompatible (an id reused with another answer type or other "
        "answer values); 2: a file is not a valid question set.",
    )
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    d.add_argument("--format", choices=("text", "json"), default="text")
    d.set_defaults(run=_diff)
    tx = qs_sub.add_parser(
        "to-xlsx",
        help="write a question set as a workbook to edit in a spreadsheet",
        description="Write a valid question-set file as a workbook with readable sheets "
        "(About, Settings, Facts, Choices, Variants, Questions, Groups, Non-case questions, "
        "Domain one, Ratings, Standards, Bands), conditions in words. The workbook is read "
        "back and checked to hold the same set before it is written. YAML comments are not "
        "kept. Exit 2 when the set is invalid or --out exists (without --force).",
    )
    tx.add_argument("path", type=Path, metavar="SET.yaml")
    tx.add_argument("--out", required=True, type=Path, metavar="BOOK.xlsx")
    tx.add_argument("--force", action="store_true", help="replace an existing --out")
    tx.set_defaults(run=_to_xlsx)
    fx = qs_sub.add_parser(
        "from-xlsx",
        help="turn a workbook back into a question-set file",
        description="Read a workbook written by to-xlsx (or made the same way), check every "
        "cell and then every rule the YAML loader checks, and write the question set as YAML. "
        "Each problem is printed as BOOK.xlsx:Sheet!C12: message; nothing is written when there "
        "is any. Exit 0: written; 1: written, with warnings (what no case can reach); 2: "
        "refused.",
    )
    fx.add_argument("path", type=Path, metavar="BOOK.xlsx")
    fx.add_argument("--out", required=True, type=Path, metavar="SET.yaml")
    fx.add_argument("--force", action="store_true", help="replace an existing --out")
    fx.set_defaults(run=_from_xlsx)


def _validate(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import questionsets

    results = questionsets.validate(args.paths)
    for r in results:
        for p in (*r.problems, *r.warnings):
            print(p, file=sys.stderr)
        if r.ok and not (args.strict and r.warnings):
            assert r.question_set is not None
            also = f", {len(r.warnings)} warning(s)" if r.warnings else ""
            print(f"{r.path}: valid ({r.question_set.id} {r.question_set.version}{also})")
    bad = sum(not r.ok or bool(args.strict and r.warnings) for r in results)
    warned = sum(bool(r.warnings) for r in results if r.ok)
    if bad:
        print(f"{bad} of {len(results)} file(s) invalid", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_FINDINGS if warned else EXIT_OK


def _show(args: argparse.Namespace, session: Session) -> int:
    from probdesk.domain import loader
    from probdesk.services import questionsets

    sys.stdout.write(questionsets.outline(loader.load(args.path)))
    return EXIT_OK


DIFF_EXIT = {0: EXIT_OK, 1: 1, 2: 3, 3: 4}  # Severity -> exit code (2 is refused input)


def _diff(args: argparse.Namespace, session: Session) -> int:
    import json

    from probdesk.domain import loader
    from probdesk.domain.qsdiff import diff
    from probdesk.services import questionsets

    change = diff(loader.load(args.old), loader.load(args.new))
    if args.format == "json":
        print(json.dumps(questionsets.diff_json(change), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(questionsets.diff_text(change))
    return DIFF_EXIT[change.severity]


def _to_xlsx(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import questionset_xlsx

    out = questionset_xlsx.to_workbook(args.path, args.out, force=args.force)
    print(f"{out}: written from {args.path}")
    return EXIT_OK


def _from_xlsx(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import questionset_xlsx

    done = questionset_xlsx.convert_to_yaml(args.path, args.out, force=args.force)
    for w in done.warnings:
        print(w, file=sys.stderr)
    print(f"{args.out}: written from {args.path}")
    return EXIT_FINDINGS if done.warnings else EXIT_OK
