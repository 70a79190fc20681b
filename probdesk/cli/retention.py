"""Command line for retention: the lead closes an inspection and purges the hub after the
retention period; a laptop purges a closed inspection once all its work is merged."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common, hub = parents.of(), parents.of(hub=True)
    p = sub.add_parser(
        "purge",
        parents=common,
        help="remove a closed, fully merged inspection from this laptop",
        description="Remove an inspection from this laptop for good: its cases, answers, "
        "notes, meetings, evidence, comments and team, the package files this laptop wrote "
        "for it (outbox and shared folder), and the snapshots and backups that hold it (a new "
        "snapshot is taken after). Allowed only once the team lead has closed the inspection "
        "and merge receipts show that every change made on this laptop was merged; otherwise "
        "it lists what is not merged and changes nothing. An audit record of ids and counts "
        "stays. Cannot be undone. Exit 0 when purged (or listed), 2 when refused.",
    )
    p.add_argument(
        "inspection",
        nargs="?",
        metavar="INSPECTION",
        help="the inspection's id (or its first 8 or more characters)",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="list this laptop's inspections: closed or not, what is unmerged",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be removed, or what is unmerged; change nothing",
    )
    p.add_argument(
        "--shared",
        type=Path,
        metavar="SHARED",
        help="the shared folder: read the merge receipts there first, and remove this "
        "laptop's copies of the inspection's packages from it",
    )
    p.add_argument(
        "--hub",
        metavar="URL",
        help="team lead only: the hub that must hold your own changes "
        "(default: hub.sqlite in the data folder, when there is one)",
    )
    p.set_defaults(run=_purge)

    h = sub.add_parser(
        "hub",
        help="the hub's retention: close an inspection, set the period, purge (team lead)",
        description="Retention on the hub. `hub close INSPECTION --to SHARED` records the "
        "closing and writes a pack for each laptop that sent packages, telling it the "
        "inspection is closed. `hub retention [DAYS]` shows or sets how many days after its "
        "closing an inspection is kept (default 365). `hub purge` removes every closed "
        "inspection whose period is over, from every hub table, and keeps a record of ids, "
        "dates and counts; packages for it arriving later are rejected.",
    )
    h_sub = h.add_subparsers(dest="hub_command", metavar="ACTION", required=True)
    c = h_sub.add_parser(
        "close",
        parents=hub,
        help="close an inspection (team lead)",
        description="Record on the hub (and on this laptop) that the "
        "inspection is closed. With --to SHARED, each laptop that sent "
        "packages gets a pack saying so; once all its work is merged it "
        "may purge the inspection.",
    )
    c.add_argument("inspection", metavar="INSPECTION", help="the inspection's id")
    c.add_argument(
        "--to",
        type=Path,
        metavar="SHARED",
        help="the shared folder: write the closing packs for the laptops there",
    )
    c.set_defaults(run=_close)
    r = h_sub.add_parser(
        "retention",
        parents=hub,
        help="show or set the retention period, in days after closing",
        description="Without DAYS: the period and each inspection's closing "
        "and purge dates. With DAYS (0 to 36500): set the period for this "
        "hub (the organisation's retention schedule; default 365).",
    )
    r.add_argument("days", nargs="?", type=int, metavar="DAYS")
    r.set_defaults(run=_retention)
    pu = h_sub.add_parser(
        "purge",
        parents=hub,
        help="purge closed inspections past the retention period",
        description="Remove every closed inspection whose retention period "
        "is over from every hub table (cases, answers, notes, evidence, "
        "attachments, packages, quarantined and held packages, keys), "
        "overwrite and compact a SQLite hub, and keep a record of ids, dates "
        "and counts. With --to SHARED the team lead's own packs and receipts "
        "for them are removed from the shared folder too.",
    )
    pu.add_argument("--dry-run", action="store_true", help="list what is due; change nothing")
    pu.add_argument(
        "--to",
        type=Path,
        metavar="SHARED",
        help="the shared folder: remove the lead's packs and receipts for them",
    )
    pu.set_defaults(run=_hub_purge)


def _purge(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import retention

    if args.shared is not None and not args.shared.is_dir():
        raise InputError(f"The shared folder {args.shared} is not reachable; nothing was changed.")
    fw = session.fw
    if args.list:
        inspections = fw.ws.inspections()
        if not inspections:
            print("no inspections on this laptop")
        for insp in inspections:
            plan = retention.plan_purge(fw, insp.id, shared=args.shared)
            state = "closed" if insp.closed_at else "open"
            ready = (
                "may be purged"
                if plan.allowed
                else (
                    f"{sum(plan.unmerged.values())} change(s) unmerged"
                    if plan.unmerged
                    else "not closed by the team lead"
                    if insp.closed_at is None
                    else "waiting"
                )
            )
            print(f"{insp.id}  {state:<6}  {ready}  {insp.title}")
        return 0
    if not args.inspection:
        raise InputError("Name the inspection: probdesk purge INSPECTION (--list lists them).")
    inspection = retention.resolve_inspection(fw, args.inspection)
    hub = _lead_hub(session, fw, inspection)
    plan = retention.plan_purge(fw, inspection.id, shared=args.shared, hub=hub)
    if args.dry_run or not plan.allowed:
        print(f"inspection {inspection.id}: {inspection.title}")
        if not plan.allowed:
            raise retention.PurgeRefused(
                f"Inspection {inspection.id[:8]} cannot be purged from this laptop "
                "yet; nothing was changed.",
                details=tuple(plan.problems()),
            )
        print("a purge would remove:")
        for line in plan.removes():
            print(f"  {line}")
        print("dry run: nothing was changed")
        return 0
    done = retention.purge(fw, inspection.id, shared=args.shared, hub=hub)
    print(f"inspection {done.inspection_id} purged: {retention.counts_in_words(done.rows)}")
    print(
        f"{done.files} package file(s) and {done.snapshots} snapshot(s) or backup(s) removed; "
        f"database compacted; new snapshot {done.snapshot}"
    )
    for copy in done.kept_copies:
        print(f"not removed (delete it once sure it is not needed): {copy}", file=sys.stderr)
    print(
        "reports and data exports saved from it are not tracked: delete them where you saved them"
    )
    return 0


def _lead_hub(session: Session, fw: Any, inspection: Any) -> Any:
    """The team lead's hub, for the lead's own inspection (its own changes go there)."""
    lead = inspection.lead_device_id == fw.ws.device_id
    default = session.paths.data / "hub.sqlite"
    if not lead or (session.args.hub is None and not default.is_file()):
        return None
    return session.hub


def _close(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import retention

    fw, hub = session.fw, session.hub
    done = retention.close_inspection(hub, fw, args.inspection.strip(), args.to)
    word = "was already closed on" if done.already else "closed on"
    print(f"inspection {done.inspection_id} {word} {done.closed_at:%d %b %Y %H:%M}")
    for pack in done.packs:
        print(f"closing pack: {pack}")
    if args.to is None:
        print(
            "no closing packs written: give --to SHARED so that the laptops learn of it",
            file=sys.stderr,
        )
    elif not done.packs:
        print("no laptop has sent packages for it: no closing packs written")
    for device in done.not_told:
        print(f"laptop {device}: its key is not known here, no pack written", file=sys.stderr)
    return 0


def _retention(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import retention

    hub = session.hub

    if args.days is not None:
        retention.set_retention_days(hub, args.days)
        print(f"retention period set to {args.days} days after closing")
    days = retention.retention_days(hub)
    default = " (the default)" if hub.meta("retention_days") is None else ""
    print(f"retention period: {days} days after closing{default}")
    for i in retention.hub_inspections(hub):
        if i.closed_at is None:
            print(f"{i.inspection_id}  open")
        else:
            assert i.purge_from is not None
            print(
                f"{i.inspection_id}  closed {i.closed_at:%Y-%m-%d}, purge from "
                f"{i.purge_from:%Y-%m-%d}"
            )
    for r in hub.purge_records():
        print(f"{r.inspection_id}  purged {r.purged_at:%Y-%m-%d} (closed {r.closed_at:%Y-%m-%d})")
    return 0


def _hub_purge(args: argparse.Namespace, session: Session) -> int:
    from probdesk.services import retention

    hub = session.hub
    if args.to is not None and not args.to.is_dir():
        raise InputError(f"The shared folder {args.to} is not reachable; nothing was purged.")
    lead_device = None
    if args.to is not None:
        lead_device = session.ws.device_id
    done = retention.purge_hub(
        hub, dry_run=args.dry_run, shared=args.to, lead_device_id=lead_device
    )
    verb = "due" if args.dry_run else "purged"
    for r in done.purged:
        counts = f": {sum(r.counts.values())} rows" if r.counts else ""
        print(f"{verb:<7} {r.inspection_id} (closed {r.closed_at:%Y-%m-%d}){counts}")
    for w in done.waiting:
        assert w.purge_from is not None
        print(f"kept    {w.inspection_id} until {w.purge_from:%Y-%m-%d}")
    if not done.purged:
        print(
            f"no closed inspection is past its retention period "
            f"({retention.retention_days(hub)} days)"
        )
    elif args.dry_run:
        print("dry run: nothing was changed")
    else:
        print(
            f"hub {done.compacted}; {done.files} file(s) removed from the shared folder; "
            f"{done.backups} pre-upgrade copies of the hub removed"
        )
    return 0
