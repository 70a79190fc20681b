"""Command line for this laptop's data: snapshots, restore, recover, verify and selfcheck."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.cli.output import EXIT_FINDINGS, EXIT_OK
from probdesk.errors import InputError, ProbdeskError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = parents.of()
    snaps = sub.add_parser(
        "snapshots",
        parents=common,
        help="list this laptop's database snapshots (or take one now)",
        description="List the snapshots of the local database, newest first, numbered: the "
        "window takes one every 30 minutes while there are changes and one when it closes; "
        "the newest six are kept. --take takes one now (checked before it is kept).",
    )
    snaps.add_argument("--take", action="store_true", help="take a snapshot now")
    snaps.set_defaults(run=_snapshots)
    rest = sub.add_parser(
        "restore",
        parents=common,
        help="put a snapshot in place of the local database (close the window first)",
        description="Check the snapshot, keep the current database beside it as "
        "probdesk.sqlite.replaced-STAMP (with its -wal and -shm), then put the snapshot in "
        "its place. Nothing is deleted. Close probdesk's window first.",
    )
    rest.add_argument("snapshot", metavar="NUMBER|FILE",
                      help="a number from `probdesk snapshots` (1 = newest) or a file")  # fmt: skip
    rest.set_defaults(run=_snapshots)

    rec = sub.add_parser(
        "recover",
        parents=common,
        help="unlock a data folder with the organisation's recovery key (the recovery drill)",
        description="For a data folder this computer cannot unlock (copied from another "
        "laptop, or its key store was reset): unwrap its data key with the organisation's "
        "recovery private key, then keep it through this computer's key store (or a new "
        "passphrase where there is none). The recovery seal stays as it was. --status only "
        "lists the ways in to the data key.",
    )
    rec.add_argument("--recovery-key", metavar="FILE",
                     help="the recovery private key (PEM), kept offline")  # fmt: skip
    rec.add_argument("--status", action="store_true",
                     help="list how the data key can be unlocked, and change nothing")  # fmt: skip
    rec.set_defaults(run=_recover)

    ver = sub.add_parser(
        "verify",
        parents=common,
        help="check the local database against what this laptop signed",
        description="Fold each inspection's recorded changes (answers, notes, case changes, "
        "evidence) again from the database and compare them with the record the device key "
        "signed at each save; check the audit log's chain and its signed head, and SQLite's "
        "full integrity check. Exit 0 when everything matches, 1 when something was changed "
        "outside probdesk (each finding is listed).",
    )
    ver.set_defaults(run=_verify)
    sc = sub.add_parser(
        "selfcheck",
        parents=common,
        help="check this installation headlessly",
        description="Load every bundled question set and build the main window offscreen; "
        "exit 0 when everything works.",
    )
    sc.set_defaults(run=_selfcheck)


def _snapshots(args: argparse.Namespace, session: Session) -> int:
    from probdesk.store import datakey, snapshots
    from probdesk.store.database import open_store

    paths = session.start_logging()
    key = datakey.unlock(paths.data)
    if args.command == "snapshots":
        if args.take:
            store = open_store(
                paths.data, key=key, allow_unsafe_location=args.allow_unsafe_data_dir
            )
            try:
                print(f"snapshot taken: {snapshots.take(store)}")
            finally:
                store.dispose()
        listed = snapshots.listed(paths.data, key)
        if not listed:
            print("no snapshots yet")
        for n, snap in enumerate(listed, 1):
            print(f"{n:>3}  {snap.taken_at:%Y-%m-%d %H:%M:%S}  {snap.cases:>5} cases  "
                  f"{snap.answers:>7} answers  {snap.size // 1024:>7} KB  {snap.path}")  # fmt: skip
        return EXIT_OK
    chosen = Path(args.snapshot)
    if args.snapshot.isdigit():
        listed = snapshots.listed(paths.data, key)
        n = int(args.snapshot)
        if not 1 <= n <= len(listed):
            raise InputError(f"There is no snapshot {n}: `probdesk snapshots` lists "
                             f"{len(listed)}.")  # fmt: skip
        chosen = listed[n - 1].path
    done = snapshots.restore(paths.data, chosen, key)
    print(f"restored {done.snapshot}")
    if done.replaced is not None:
        print(f"the database it replaced is kept as {done.replaced}")
    return EXIT_OK


def _recover(args: argparse.Namespace, session: Session) -> int:
    from probdesk.packages.keys import load_private_x25519
    from probdesk.store import datakey

    paths = session.paths
    if args.status:
        for way in datakey.describe(paths.data):
            print(way)
        return EXIT_OK
    if not args.recovery_key:
        raise InputError("Name the recovery private key: probdesk recover --recovery-key FILE")
    session.start_logging()
    for line in datakey.recover(paths.data, load_private_x25519(Path(args.recovery_key))):
        print(line)
    return EXIT_OK


def _verify(args: argparse.Namespace, session: Session) -> int:
    from probdesk.store.database import DB_NAME

    paths = session.paths
    ws = session.workspace(notices_on_stdout=True)
    integrity = ws.full_check()
    found = ws.verify()
    session.close()
    if integrity != "ok":
        found.insert(0, f"SQLite's integrity check: {integrity}")
    if not found:
        print(f"{paths.data / DB_NAME}: everything matches what this laptop signed")
        return EXIT_OK
    print(f"{paths.data / DB_NAME}: {len(found)} finding(s)", file=sys.stderr)
    for line in found:
        print(f"- {line}", file=sys.stderr)
    return EXIT_FINDINGS


def _selfcheck(args: argparse.Namespace, session: Session) -> int:
    import os

    from probdesk import bundled
    from probdesk.services import questionsets

    bundled.check_installation()  # every shipped file, named when one is missing
    sets = questionsets.load_bundled()
    if not sets:
        raise ProbdeskError("no bundled question sets were found")
    for qs in sets:
        print(f"question set {qs.id} {qs.version}: {len(qs.questions)} questions, valid")
    print(_selfcheck_pdf())
    from probdesk.ui.app import selfcheck_window

    unset = "QT_QPA_PLATFORM" not in os.environ
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        print(selfcheck_window(session.paths))
    finally:
        if unset:
            os.environ.pop("QT_QPA_PLATFORM", None)
    print("selfcheck: ok")
    return EXIT_OK


def _selfcheck_pdf() -> str:
    """Build a small fictional case summary: the bundled fonts load and ReportLab writes."""
    import tempfile
    from datetime import datetime
    from pathlib import Path

    from probdesk.reports import build_case_pdf
    from probdesk.reports.model import (
        ANSWERED,
        CaseReport,
        DocumentMeta,
        QuestionLine,
        SectionBlock,
    )

    now = datetime.now().replace(microsecond=0)
    report = CaseReport(
        "Selfcheck", "selfcheck", "Cymru", "Ynys Môn", "SELFCHECK-1", "Core", (("Fact", "ŵ ŷ"),),
        "AB", "Inspector", "Submitted", (),
        (SectionBlock("s", "Section", "assessment",
                      (QuestionLine("Q1", "Question?", True, ANSWERED, "Yes"),)),),
        (), "selfcheck 1", now,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="probdesk-selfcheck-") as tmp:
        out = build_case_pdf(report, DocumentMeta("Selfcheck", "probdesk", "selfcheck", now),
                             Path(tmp) / "selfcheck.pdf")  # fmt: skip
        size = out.stat().st_size
    return f"reports: a case summary PDF built with the bundled fonts ({size} bytes)"
