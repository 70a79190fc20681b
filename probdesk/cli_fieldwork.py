"""Command line for fieldwork packages: keys, setup packs, export, sync and the demo."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from probdesk.errors import InputError, ProbdeskError
from probdesk.paths import Paths

COMMANDS = ("keys", "setup-pack", "export", "sync", "demo")


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    keys = sub.add_parser(
        "keys",
        parents=[common],
        help="this device's key fingerprints; the recovery key",
        description="Without an action: print this device's id and key fingerprints (and the "
        "organisational recovery key, when one is configured).",
    )
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    create = keys_sub.add_parser(
        "create-recovery",
        help="make the organisation's recovery key pair",
        description="Write a new recovery private key to FILE (keep it offline, away from "
        "every laptop) and print its public key for `keys set-recovery`.",
    )
    create.add_argument("--out", required=True, metavar="FILE", type=Path)
    set_rec = keys_sub.add_parser(
        "set-recovery",
        help="make every export also readable with the recovery key",
        description="Configure the organisation's recovery public key (base64, or a file "
        "holding it). Every package this device writes is then also encrypted to it.",
    )
    set_rec.add_argument("public", metavar="PUBLIC_KEY_OR_FILE")

    pack = sub.add_parser("setup-pack", help="write (team lead) or open (assessor) a setup pack")
    pack_sub = pack.add_subparsers(dest="pack_command", metavar="ACTION", required=True)
    c = pack_sub.add_parser(
        "create",
        parents=[common],
        help="set up an inspection and write its setup pack",
        description="Create (or, with --inspection, update) an inspection with its team and "
        "case sample, then write a setup pack to --out. The case sample is a CSV or XLSX file; "
        "columns are matched to references, PDU, assessor and case facts by their headers "
        "(override with --map). Rows with problems are listed by row number and nothing is "
        "imported unless --accept-valid-rows is given. The passphrase comes from "
        "--passphrase-file, the PROBDESK_PASSPHRASE variable, or a prompt.",
    )
    c.add_argument("--inspection", metavar="ID", help="update this inspection (a new revision)")
    c.add_argument("--region")
    c.add_argument("--pdu", action="append", default=[], metavar="PDU", help="repeat for each")
    c.add_argument("--start", type=date.fromisoformat, metavar="YYYY-MM-DD")
    c.add_argument("--end", type=date.fromisoformat, metavar="YYYY-MM-DD")
    c.add_argument("--question-set", type=Path, metavar="PATH")
    c.add_argument(
        "--assessor", action="append", default=[], metavar="NAME:ROLE",
        help="team member; ROLE is inspector or local_assessor; repeat for each",
    )  # fmt: skip
    c.add_argument("--sample", type=Path, metavar="FILE", help="case sample, CSV or XLSX")
    c.add_argument("--sheet", help="the XLSX sheet (default: the first)")
    c.add_argument(
        "--map", action="append", default=[], metavar="COLUMN=TARGET",
        help="map a column: reference, pdu, assessor, ignore or fact:FACT_ID",
    )  # fmt: skip
    c.add_argument("--accept-valid-rows", action="store_true")
    c.add_argument("--lead-name", required=True, metavar="NAME")
    c.add_argument("--out", required=True, type=Path, metavar="DIR")
    c.add_argument("--passphrase-file", type=Path, metavar="FILE")
    o = pack_sub.add_parser(
        "open",
        parents=[common],
        help="open a setup pack from the team lead",
        description="Add the inspection and your assigned cases from a setup pack. Opening a "
        "newer pack adds and updates cases and never touches answers.",
    )
    o.add_argument("path", type=Path, metavar="PACK")
    o.add_argument("--as", dest="assessor", required=True, metavar="NAME")
    o.add_argument("--passphrase-file", type=Path, metavar="FILE")

    e = sub.add_parser(
        "export",
        parents=[common],
        help="export this device's work to the shared folder",
        description="Write a signed, encrypted package of everything this device recorded for "
        "the inspection to the outbox, then copy it to the shared folder.",
    )
    e.add_argument("--to", required=True, type=Path, metavar="SHARED")
    e.add_argument("--inspection", metavar="ID", help="default: the only or newest inspection")

    s = sub.add_parser(
        "sync",
        parents=[common],
        help="copy pending packages, read receipts and comments",
        description="Copy outbox packages not yet in the shared folder, drop outbox copies "
        "whose merge receipts have arrived, open send-back packs addressed to this device, "
        "and list setup packs waiting to be opened.",
    )
    s.add_argument("shared", type=Path, metavar="SHARED")

    d = sub.add_parser(
        "demo",
        help="build a fictional inspection with exported packages",
        description="Build a fictional inspection under DIR: the team lead's data folder (with "
        "its keys) in DIR/lead, three assessors' data folders, and their exported packages in "
        "DIR/shared. Everything in it is invented.",
    )
    d.add_argument("--out", required=True, type=Path, metavar="DIR")
    d.add_argument("--seed", type=int, default=1)


def _passphrase(file: Path | None, confirm: bool) -> str:
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(f"{file}: cannot read the passphrase file ({exc.strerror})") from exc
    env = os.environ.get("PROBDESK_PASSPHRASE")
    if env:
        return env
    if not sys.stdin.isatty():
        raise InputError(
            "A passphrase is needed: give --passphrase-file FILE or set PROBDESK_PASSPHRASE."
        )
    first = getpass.getpass("Setup pack passphrase: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise InputError("The two passphrases differ; nothing was written.")
    return first


def _default_inspection(fw: object, given: str | None) -> str:
    from probdesk.services.fieldwork import Fieldwork

    assert isinstance(fw, Fieldwork)
    if given:
        return fw.ws.inspection(given).id
    inspections = fw.ws.inspections()
    if not inspections:
        raise InputError("There is no inspection here yet: open a setup pack first.")
    return inspections[0].id


def dispatch(args: argparse.Namespace, paths: Paths) -> int:
    if args.command == "demo":
        from probdesk.services.demo import build_demo

        build_demo(args.out, seed=args.seed)
        return 0
    if args.command == "keys" and getattr(args, "keys_command", None) == "create-recovery":
        from probdesk.packages.keys import b64, fingerprint, generate_recovery_key

        args.out.parent.mkdir(parents=True, exist_ok=True)
        public = generate_recovery_key(args.out)
        print(f"recovery private key written to {args.out}: keep it offline")
        print(f"public key: {b64(public)}")
        print(f"fingerprint: {fingerprint(public)}")
        return 0

    from probdesk import logsetup
    from probdesk.services.fieldwork import Fieldwork, set_recovery_public
    from probdesk.services.workspace import Workspace

    logsetup.configure(paths.ensure())
    ws = Workspace.open(paths, allow_unsafe_location=args.allow_unsafe_data_dir)
    try:
        fw = Fieldwork(ws, paths)
        if args.command == "keys":
            if args.keys_command == "set-recovery":
                text = args.public
                if Path(text).is_file():
                    text = Path(text).read_text(encoding="utf-8").strip()
                set_recovery_public(paths, text)
            print(f"device {ws.device_id}")
            for name, fp in fw.fingerprints().items():
                print(f"{name:>10} key: {fp}")
            return 0
        if args.command == "setup-pack":
            return _setup_pack(args, fw)
        if args.command == "export":
            inspection_id = _default_inspection(fw, args.inspection)
            result = fw.export(inspection_id, args.to)
            counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.counts.items())
            print(f"package {result.package_id}: {counts}")
            print(f"outbox: {result.outbox_path}")
            if result.shared_path is not None:
                print(f"shared folder: {result.shared_path}")
                return 0
            print(f"not copied: {result.copy_problem}", file=sys.stderr)
            return 3
        if args.command == "sync":
            return _sync(args, fw)
    finally:
        ws.close()
    raise AssertionError(args.command)


def _setup_pack(args: argparse.Namespace, fw: object) -> int:
    from probdesk.domain.records import Assessor
    from probdesk.services import sample_import
    from probdesk.services.fieldwork import Fieldwork

    assert isinstance(fw, Fieldwork)
    if args.pack_command == "open":
        result = fw.open_setup_pack(
            args.path, _passphrase(args.passphrase_file, False), args.assessor
        )
        print(f"team lead's key fingerprint: {result.lead_fingerprint}")
        if result.already_opened:
            print("this setup pack was opened here before; nothing changed")
        else:
            print(
                f"inspection {result.inspection.title}: {result.added} cases added, "
                f"{result.updated} updated"
            )
        return 0

    ws = fw.ws
    passphrase = _passphrase(args.passphrase_file, True)
    if args.inspection:
        inspection = ws.inspection(args.inspection)
    else:
        missing = [
            flag
            for flag, value in (
                ("--region", args.region),
                ("--pdu", args.pdu),
                ("--start", args.start),
                ("--end", args.end),
                ("--question-set", args.question_set),
            )
            if not value
        ]
        if missing:
            raise InputError("A new inspection needs " + ", ".join(missing) + ".")
        inspection = ws.create_inspection(
            args.region, args.pdu[0], args.start, args.end, args.question_set, pdus=args.pdu
        )
        print(f"inspection {inspection.id} created")
    if args.assessor:
        team = []
        for spec in args.assessor:
            name, _, role = spec.partition(":")
            team.append(Assessor(name, role or "inspector"))
        fw.set_team(inspection.id, team)
    if args.sample:
        qs = ws.question_set(inspection)
        table = sample_import.read_table(args.sample, args.sheet)
        mapping = sample_import.suggest_mapping(table.headers, qs)
        for spec in args.map:
            column, _, target = spec.partition("=")
            mapping[column] = target
        existing = [c.reference for c in ws.cases(inspection.id)]
        report = sample_import.validate_sample(
            table,
            mapping,
            qs,
            known_pdus=list(inspection.pdus) or [inspection.pdu],
            assessors=[a.name for a in fw.team(inspection.id)],
            existing_references=existing,
        )
        for note in table.notes:
            print(note)
        for problem in report.problems:
            print(f"{args.sample}: {problem}", file=sys.stderr)
        print(report.summary())
        if report.problems and not args.accept_valid_rows:
            print(
                "nothing was imported: fix the rows above, or give --accept-valid-rows",
                file=sys.stderr,
            )
            return 2
        for row in report.rows:
            fw.add_sample_case(inspection.id, row.reference, row.facts, row.pdu, row.assessor)
        print(f"{len(report.rows)} cases imported")
    path = fw.create_setup_pack(inspection.id, passphrase, args.out, args.lead_name)
    print(f"setup pack: {path}")
    fp = fw.fingerprints()["signing"]
    print(f"team lead's key fingerprint (read it out to the assessors): {fp}")
    return 0


def _sync(args: argparse.Namespace, fw: object) -> int:
    from probdesk.services.fieldwork import Fieldwork

    assert isinstance(fw, Fieldwork)
    if not args.shared.is_dir():
        raise InputError(f"The shared folder {args.shared} is not reachable.")
    copied = fw.copy_pending(args.shared)
    cleared = fw.check_receipts(args.shared)
    print(f"{len(copied)} package(s) copied to the shared folder; {cleared} confirmed by a merge")
    for pack in fw.incoming(args.shared):
        if pack.problem:
            print(f"{pack.path.name}: {pack.problem}", file=sys.stderr)
        elif pack.kind == "sendback" and not pack.opened:
            try:
                result = fw.open_sendback(pack.path)
            except ProbdeskError as exc:  # one bad pack must not stop the others
                print(f"{pack.path.name}: {exc}", file=sys.stderr)
                continue
            print(
                f"comments from the team lead ({pack.signer_fingerprint}): {result.comments} "
                f"comment(s), {result.returned} case(s) returned"
            )
        elif pack.kind == "setup" and not pack.opened:
            print(
                f"setup pack waiting: {pack.path.name} (team lead {pack.signer_fingerprint}); "
                "open it with `probdesk setup-pack open`"
            )
    return 0
