"""Command line for fieldwork packages: keys, setup packs, enrolment, export, sync and send-back."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.domain.words import plural
from probdesk.errors import InputError, ProbdeskError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = parents.of()
    local = parents.of(inspection="local")
    hub = parents.of(hub=True)
    keys = sub.add_parser(
        "keys",
        parents=common,
        help="this device's key fingerprints; the recovery key",
        description="Without an action: print this device's id and key fingerprints (and the "
        "organisational recovery key, when one is configured).",
    )
    keys.set_defaults(run=_keys)
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    create = keys_sub.add_parser(
        "create-recovery",
        help="make the organisation's recovery key pair",
        description="Write a new recovery private key to FILE (keep it offline, away from "
        "every laptop) and print its public key for `keys set-recovery`.",
    )
    create.add_argument("--out", required=True, metavar="FILE", type=Path)
    create.set_defaults(run=_create_recovery)
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
        parents=common,
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
    c.add_argument(
        "--kind", choices=("pdu", "region"), default="pdu",
        help="region: a regional inspection, with its own case sample across --pdu PDUs; its "
        "report pools the region's PDU inspections merged into the same hub",
    )  # fmt: skip
    c.add_argument("--start", type=date.fromisoformat, metavar="YYYY-MM-DD")
    c.add_argument("--end", type=date.fromisoformat, metavar="YYYY-MM-DD")
    c.add_argument(
        "--question-set", type=Path, metavar="PATH",
        help="the question set; with --inspection, move the ongoing inspection to this new "
        "version of its set: a preview per question and per case is printed first, and the "
        "next setup pack moves every laptop (answers are kept; see --accept-incompatible)",
    )  # fmt: skip
    c.add_argument(
        "--accept-incompatible", action="store_true",
        help="move even where the new version reuses a question id with another answer type "
        "or other answer values: those earlier answers are set aside (kept in the question's "
        "history) and the cases listed for review",
    )  # fmt: skip
    c.add_argument(
        "--preview", action="store_true",
        help="with --inspection and --question-set: print what the move would change and stop",
    )  # fmt: skip
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
    c.set_defaults(run=_setup_pack)
    o = pack_sub.add_parser(
        "open",
        parents=common,
        help="open a setup pack from the team lead",
        description="Add the inspection and your assigned cases from a setup pack. Opening a "
        "newer pack adds and updates cases and never touches answers.",
    )
    o.add_argument("path", type=Path, metavar="PACK")
    o.add_argument("--as", dest="assessor", required=True, metavar="NAME")
    o.add_argument("--passphrase-file", type=Path, metavar="FILE")
    o.add_argument(
        "--code", metavar="CODE",
        help="your enrolment code (XXXX-XXXX-XXXX), from your team lead in person: with it "
        "your exports are merged as they arrive; without it they wait until the team lead "
        "enrols this laptop by its key fingerprint",
    )  # fmt: skip
    o.set_defaults(run=_setup_pack)

    en = sub.add_parser(
        "enrolment",
        parents=common,
        help="enrol laptops' keys for team members (codes, held packages, enrol, refuse)",
        description="A laptop's exports count only once its key is enrolled for a named team "
        "member. The team lead gives each member their own enrolment code in person (codes); "
        "the member types it when opening the setup pack (setup-pack open --code) or later "
        "(join). Packages from keys not enrolled are held at merge: list shows them with "
        "their fingerprint, and the lead enrols (after comparing the fingerprint aloud with "
        "the member) or refuses them. See docs/trust.md.",
    )  # fmt: skip
    en_sub = en.add_subparsers(dest="enrol_command", metavar="ACTION", required=True)
    en.set_defaults(run=_enrolment)
    en_sub.add_parser("codes", parents=local, help="each member's code (team lead)")
    enew = en_sub.add_parser(
        "new-code", parents=local, help="replace one member's code (team lead)"
    )
    enew.add_argument("member", metavar="MEMBER")
    ej = en_sub.add_parser("join", parents=local, help="type your code on this laptop")
    ej.add_argument("code", metavar="CODE")
    en_sub.add_parser(
        "list", parents=hub, help="enrolled and refused keys, held packages (team lead)"
    )
    ee = en_sub.add_parser(
        "enrol", parents=hub, help="enrol a held key for a member (team lead)",
        description="Enrol the key with this fingerprint for MEMBER, after reading the "
        "fingerprint aloud with them (probdesk keys on their laptop shows it). Its held "
        "packages merge at the next merge.",
    )  # fmt: skip
    ee.add_argument("fingerprint", metavar="FINGERPRINT")
    ee.add_argument("--as", dest="member", required=True, metavar="MEMBER")
    er = en_sub.add_parser("refuse", parents=hub, help="refuse a held key for good (team lead)")
    er.add_argument("fingerprint", metavar="FINGERPRINT")

    e = sub.add_parser(
        "export",
        parents=local,
        help="export this device's work to the shared folder",
        description="Write a signed, encrypted package of everything this device recorded for "
        "an inspection to the outbox, then copy it to the shared folder. Without "
        "--inspection: one package for each inspection on this laptop with work not yet in "
        "a package (or, when there is none, for the newest inspection). Exit 3 when a "
        "package is in the outbox but could not be copied.",
    )
    e.add_argument("--to", required=True, type=Path, metavar="SHARED")
    e.set_defaults(run=_export)

    s = sub.add_parser(
        "sync",
        parents=common,
        help="copy pending packages, read receipts and comments",
        description="Copy outbox packages not yet in the shared folder, drop outbox copies "
        "whose merge receipts have arrived, open send-back packs addressed to this device, "
        "and list setup packs waiting to be opened.",
    )
    s.add_argument("shared", type=Path, metavar="SHARED")
    s.set_defaults(run=_sync)

    b = sub.add_parser(
        "send-back",
        parents=local,
        help="send comments and returned cases to an assessor (team lead)",
        description="Team lead: write a signed comments pack for one assessor into the shared "
        "folder, encrypted for their laptop. The assessors' exports in SHARED tell which "
        "laptops are NAME's: every laptop enrolled for NAME gets its own pack (an export from a "
        "laptop not enrolled gets none). Cases are named by their references and must be NAME's. "
        "Returned cases reopen on the assessor's laptop; their `probdesk sync` (or the Sync "
        "tab) opens the pack. Give at least one --comment, --note or --return.",
    )
    b.add_argument(
        "--to", required=True, type=Path, metavar="SHARED",
        help="the shared folder holding the assessors' exports; the pack is written there",
    )  # fmt: skip
    b.add_argument(
        "--assessor", required=True, metavar="NAME", help="the assessor, as named on the team"
    )
    b.add_argument(
        "--comment", action="append", default=[], metavar="CASE_REF:TEXT",
        help="a comment on one case; repeat for each",
    )  # fmt: skip
    b.add_argument("--note", metavar="TEXT", help="a general comment, not about one case")
    b.add_argument(
        "--return", dest="returned", action="append", default=[], metavar="CASE_REF",
        help="return a case to the assessor for more work; repeat for each",
    )  # fmt: skip
    b.set_defaults(run=_send_back)


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


def _create_recovery(args: argparse.Namespace, session: Session) -> int:
    from probdesk.packages.keys import b64, fingerprint, generate_recovery_key

    args.out.parent.mkdir(parents=True, exist_ok=True)
    public = generate_recovery_key(args.out)
    print(f"recovery private key written to {args.out}: keep it offline")
    print(f"public key: {b64(public)}")
    print(f"fingerprint: {fingerprint(public)}")
    return 0


def _keys(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services.fieldwork import set_recovery_public

    fw = session.fw
    if args.keys_command == "set-recovery":
        text = args.public
        if Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8").strip()
        set_recovery_public(session.paths, text)
    print(f"device {fw.ws.device_id}")
    for name, fp in fw.fingerprints().items():
        print(f"{name:>10} key: {fp}")
    return 0


def _export(args: argparse.Namespace, session: Session) -> int:
    fw = session.fw
    if args.inspection:
        results = [(fw.ws.inspection(args.inspection), fw.export(args.inspection, args.to))]
    else:
        newest = session.default_inspection(None)
        pending = fw.inspections_to_export()
        # Every inspection with work no package holds, one package each; the newest even
        # without (an export on request is never refused for having nothing new).
        results = fw.export_all(args.to, None if pending else newest)
        if len(results) > 1:
            print(
                f"{len(results)} inspections have work not yet exported: one package each",
            )
    copied = True
    for inspection, result in results:
        counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.counts.items())
        if len(results) > 1:
            print(f"{inspection.title} ({inspection.id[:8]}):")
        print(f"package {result.package_id}: {counts}")
        print(f"outbox: {result.outbox_path}")
        if result.shared_path is not None:
            print(f"shared folder: {result.shared_path}")
        else:
            print(f"not copied: {result.copy_problem}", file=sys.stderr)
            copied = False
    return 0 if copied else 3


def _setup_pack(args: argparse.Namespace, session: Session) -> int:
    from probdesk.domain.records import Assessor
    from probdesk.passphrases import check_passphrase
    from probdesk.services import sample_import

    fw = session.fw
    if args.pack_command == "open":
        result = fw.open_setup_pack(
            args.path, _passphrase(args.passphrase_file, False), args.assessor, args.code
        )
        print(f"team lead's key fingerprint: {result.lead_fingerprint}")
        if args.code:
            print("enrolled: your exports will be merged as they arrive")
        elif fw.enrolment(result.inspection.id) is None:
            print(
                "not enrolled yet: give your enrolment code with 'probdesk enrolment join CODE', "
                f"or read this laptop's key fingerprint {fw.fingerprints()['signing']} to your "
                "team lead so they can enrol it"
            )
        if result.already_opened:
            print("this setup pack was opened here before; nothing changed")
        else:
            print(
                f"inspection {result.inspection.title}: {plural(result.added, 'case')} added, "
                f"{result.updated} updated"
            )
        if result.moved_from:
            review = result.to_review
            print(
                f"question set moved from version {result.moved_from} to "
                f"{result.inspection.qs_version}: every answer is kept; "
                f"{plural(len(review), 'case')} to review"
            )
            for line in review:
                print(f"  review {line}")
        return 0

    ws = fw.ws
    planned = None
    if args.inspection and args.question_set:
        from probdesk.services import qs_move

        merged = None
        if (session.paths.data / "hub.sqlite").exists():  # the lead's hub: the merged answers
            merged = qs_move.hub_answers(session.hub, args.inspection)
        planned = qs_move.preview(ws, args.inspection, args.question_set, merged)
        sys.stdout.write(qs_move.preview_text(planned))
        if args.preview:
            return 0
        if planned.incompatible and not args.accept_incompatible:
            qs_move.move(ws, planned)  # refuses, saying which ids and what to do
    elif args.preview:
        raise InputError("--preview needs --inspection and --question-set (a move to preview).")
    passphrase = _passphrase(args.passphrase_file, True)
    # Everything is read and checked before anything is written: a refused sample, file or
    # passphrase leaves no inspection, team or case behind.
    inspection = ws.inspection(args.inspection) if args.inspection else None
    words = (inspection.region, inspection.pdu) if inspection else (args.region or "",
                                                                     *(args.pdu or ()))  # fmt: skip
    check_passphrase(passphrase, (*words, args.lead_name or ""))
    if inspection is None:
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
    team = None
    if args.assessor:
        team = []
        for spec in args.assessor:
            name, _, role = spec.partition(":")
            team.append(Assessor(name, role or "inspector"))
    report = None
    if args.sample:
        from probdesk.domain import loader

        if planned is not None:
            qs = planned.new  # the sample is read against the version the inspection moves to
        else:
            qs = ws.question_set(inspection) if inspection else loader.load(args.question_set)
        table = sample_import.read_table(args.sample, args.sheet)
        mapping = sample_import.suggest_mapping(table.headers, qs)
        for spec in args.map:
            column, _, target = spec.partition("=")
            mapping[column] = target
        pdus = (list(inspection.pdus) or [inspection.pdu]) if inspection else list(args.pdu)
        if team is not None:
            names = [a.name for a in team]
        else:
            names = [a.name for a in fw.team(inspection.id)] if inspection else []
        report = sample_import.validate_sample(
            table,
            mapping,
            qs,
            known_pdus=pdus,
            assessors=names,
            existing_references=[c.reference for c in ws.cases(inspection.id)]
            if inspection
            else [],
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
    if inspection is None:
        inspection = ws.create_inspection(
            args.region, args.region if args.kind == "region" else args.pdu[0], args.start,
            args.end, args.question_set, pdus=args.pdu, kind=args.kind,
        )  # fmt: skip
        print(f"inspection {inspection.id} created")
    elif planned is not None:
        from probdesk.services import qs_move

        inspection = qs_move.move(ws, planned, accept_incompatible=args.accept_incompatible)
        print(
            f"inspection {inspection.id} moved to {inspection.qs_id} {inspection.qs_version}: "
            "the setup pack below moves every laptop when it is opened"
        )
    if team is not None:
        fw.set_team(inspection.id, team)
    if report is not None:
        for row in report.rows:
            fw.add_sample_case(inspection.id, row.reference, row.facts, row.pdu, row.assessor)
        print(f"{len(report.rows)} cases imported")
    path = fw.create_setup_pack(inspection.id, passphrase, args.out, args.lead_name)
    print(f"setup pack: {path}")
    fp = fw.fingerprints()["signing"]
    print(f"team lead's key fingerprint (read it out to the assessors): {fp}")
    print("enrolment codes (give each member their own, in person; never by email or the "
          "shared folder):")  # fmt: skip
    for member, code in fw.enrolment_codes(inspection.id).items():
        print(f"  {member}: {code}")
    return 0


def _sync(args: argparse.Namespace, session: Session) -> int:
    fw = session.fw
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
                f"comments from the team lead ({pack.signer_fingerprint}): "
                f"{plural(result.comments, 'comment')}, {plural(result.returned, 'case')} returned"
            )
        elif pack.kind == "setup" and not pack.opened:
            print(
                f"setup pack waiting: {pack.path.name} (team lead {pack.signer_fingerprint}); "
                "open it with `probdesk setup-pack open`"
            )
    return 0


def _written(path: Path) -> datetime:
    """When a package was written, from its signed manifest; the distant past if unreadable."""
    from probdesk.packages import reader
    from probdesk.packages.format import PackageError

    try:
        return datetime.fromisoformat(str(reader.peek_manifest(path)["created_at"]))
    except (PackageError, OSError, KeyError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _send_back(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services.fieldwork import SendbackComment

    fw = session.fw
    by_ref: list[tuple[str, str]] = []
    for spec in args.comment:
        ref, sep, text = spec.partition(":")
        if not sep or not ref.strip() or not text.strip():
            raise InputError(
                f"--comment {spec!r}: write it as CASE_REF:TEXT, for example "
                "--comment 'X700100:Say where the risk assessment was found.'"
            )
        by_ref.append((ref.strip(), text.strip()))
    if args.note is not None and not args.note.strip():
        raise InputError("--note is empty: write the general comment, or leave --note out.")
    if not (by_ref or args.note or args.returned):
        raise InputError("Give at least one --comment, --note or --return; nothing was sent.")
    shared: Path = args.to
    if not shared.is_dir():
        raise InputError(f"The shared folder {shared} is not reachable.")
    inspection_id = session.default_inspection(args.inspection)

    exports = fw.read_exports(shared, inspection_id)
    for e in exports:
        if e.problem:
            print(f"{e.path.name}: {e.problem}", file=sys.stderr)
    readable = [e for e in exports if e.problem is None]
    wanted = args.assessor.strip()
    theirs = [e for e in readable if e.name == wanted] or [
        e for e in readable if e.name.casefold() == wanted.casefold()
    ]
    if not theirs:
        names = sorted({e.name for e in readable}, key=str.casefold)
        found = (
            "exports were found from " + ", ".join(names)
            if names
            else "no export for this inspection was found there"
        )
        raise InputError(
            f"No export from {wanted!r} in {shared}: {found}. The pack is encrypted for the "
            "laptop an export came from, so the assessor must export first."
        )
    name = theirs[0].name
    # One pack for each of the member's enrolled laptops (unenrolled ones were not readable).
    laptops = {e.device_id: e for e in sorted(theirs, key=lambda e: _written(e.path))}

    cases = fw.ws.cases(inspection_id)
    exact = {c.reference: c for c in cases}
    folded = {c.reference.casefold(): c for c in cases}

    def case_id(ref: str) -> str:
        case = exact.get(ref) or folded.get(ref.casefold())
        if case is None:
            raise InputError(
                f"No case with reference {ref!r} in this inspection; nothing was sent."
            )
        if case.assessor != name:
            raise InputError(
                f"Case {case.reference} is assigned to {case.assessor or 'nobody'}, not {name}; "
                "nothing was sent."
            )
        return case.id

    comments: list[SendbackComment] = []
    if args.note is not None:
        comments.append(SendbackComment(None, args.note.strip()))
    comments += [SendbackComment(case_id(ref), text) for ref, text in by_ref]
    returned = list(dict.fromkeys(case_id(ref.strip()) for ref in args.returned))
    author = fw.ws.device().assessor or "Team lead"
    for device_id, export in laptops.items():
        path = fw.create_sendback(inspection_id, device_id, comments, returned, shared, author)
        print(
            f"{plural(len(comments), 'comment')}, {plural(len(returned), 'case')} returned, for "
            f"{name}'s laptop "
            f"(key {export.fingerprint})"
        )
        print(f"send-back pack: {path}")
    return 0


def _enrolment(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import hub as hubs

    fw = session.fw
    command = args.enrol_command
    if command in ("codes", "new-code", "join"):
        inspection_id = session.default_inspection(args.inspection)
        if command == "codes":
            print("give each member their own code, in person; never by email or the shared "
                  "folder:")  # fmt: skip
            for member, code in fw.enrolment_codes(inspection_id).items():
                print(f"  {member}: {code}")
        elif command == "new-code":
            code = fw.replace_enrolment_code(inspection_id, args.member)
            print(f"{args.member}: {code} (the old code enrols no more laptops)")
        else:
            member = fw.ws.device().assessor
            if not member:
                raise InputError("Open the setup pack first (setup-pack open --as NAME).")
            fw.enrol(inspection_id, member, args.code)
            print(f"this laptop's exports now say they are {member}'s; they are merged as "
                  "they arrive if the code is the one your team lead made for you")  # fmt: skip
        return 0
    hub = session.hub
    if command == "list":
        for k in hubs.enrolled_keys(hub):
            print(f"{k.state:<9} {k.fingerprint}  {k.member:<12} laptop {k.device_id[:8]}"
                  f" ({k.how})")  # fmt: skip
        held = hubs.held_packages(hub)
        for h in held:
            print(f"held      {h.fingerprint}  says {h.claimed_member or 'nobody':<7} "
                  f"{h.packages} package(s), last {h.file_name}")  # fmt: skip
        if not held:
            print("no held packages")
        return 0
    if command == "enrol":
        done = hubs.enrol_key(hub, fw, args.fingerprint, args.member)
        print(f"key {done.fingerprint} enrolled for {done.member}: its held packages "
              "merge at the next merge")  # fmt: skip
        return 0
    done = hubs.refuse_key(hub, fw, args.fingerprint)
    print(f"key {done.fingerprint} refused: its packages are rejected from now on")
    return 0
