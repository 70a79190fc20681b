"""Retention and purge (UK GDPR storage limitation): the team lead closes an inspection on
the hub; a laptop purges it once receipts show all its work was merged; a hub purges closed
inspections once the organisation's retention period has passed.

Everything said or recorded here is ids, dates, counts and file names: never a case
reference, a note or any other case content.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from probdesk.domain.records import Inspection
from probdesk.domain.words import day_text, plural
from probdesk.errors import InputError, OperationCancelled
from probdesk.hub.rows import PurgeRecord
from probdesk.hub.store import RETENTION_KEY, Hub
from probdesk.packages import reader
from probdesk.packages.format import PackageError
from probdesk.progress import Cancelled, Progress, never, quiet
from probdesk.services.fieldwork import (
    CODES_FILE,
    PROOF_FILE,
    Fieldwork,
    _read_secret,
    _write_secret,
)
from probdesk.services.workspace import KEYS_FOLDER, _now
from probdesk.store.purge import ROW_KINDS

log = logging.getLogger("probdesk.retention")

DEFAULT_RETENTION_DAYS = 365  # when the organisation has set none on the hub
MAX_RETENTION_DAYS = 36500

_WORDS = {  # (one, more than one)
    "cases": ("case", "cases"), "case_changes": ("case change", "case changes"),
    "answers": ("answer", "answers"), "meetings": ("meeting", "meetings"),
    "meeting_notes": ("meeting note", "meeting notes"),
    "evidence_events": ("evidence log entry", "evidence log entries"),
    "attachments": ("attached file", "attached files"), "comments": ("comment", "comments"),
    "assessors": ("team member", "team members"), "recipients": ("team key", "team keys"),
    "outbox_packages": ("record of an exported package", "records of exported packages"),
    "opened_packages": ("record of a pack opened", "records of packs opened"),
    "question_sets": ("copy of the question set", "copies of the question set"),
}  # fmt: skip


def counts_in_words(counts: dict[str, int]) -> str:
    shown = [plural(counts[k], *_WORDS[k]) for k in ROW_KINDS if counts.get(k)]
    shown += [f"{v} {k.replace('_', ' ')}" for k, v in counts.items()
              if k not in ROW_KINDS and v]  # fmt: skip
    return ", ".join(shown) or "nothing"


class PurgeRefused(InputError):
    """A purge that may not run (yet); `details` lists why, in plain words. Nothing changed."""


# -- the laptop ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgePlan:
    """What purging one inspection from this laptop would remove, or why it may not yet."""

    inspection_id: str
    title: str
    closed_at: datetime | None
    merged_to: int  # this device's changes up to here are in a package the hub merged
    unmerged: dict[str, int]  # this device's changes after that, by kind
    not_exported: int  # of those, in no package yet
    unreceipted: tuple[str, ...]  # file names of this inspection's packages with no receipt
    lead_missing: dict[str, int]  # the team lead's own changes the hub does not hold
    lead_unchecked: bool  # the team lead's own changes could not be checked (no hub)
    rows: dict[str, int]
    files: tuple[Path, ...]  # outbox and shared-folder packages this device wrote for it
    snapshots: tuple[Path, ...]  # snapshots and pre-migration backups: they hold it too
    kept_copies: tuple[Path, ...]  # replaced or damaged databases: said, never deleted

    @property
    def allowed(self) -> bool:
        return (
            self.closed_at is not None
            and not self.unmerged
            and not self.lead_missing
            and not self.lead_unchecked
        )

    def problems(self) -> list[str]:
        """Why the purge may not run, in plain words (empty when it may)."""
        out = []
        if self.closed_at is None:
            out.append(
                "The team lead has not closed this inspection yet. Once they close it, their "
                "pack in the shared folder tells this laptop (Sync, or probdesk sync SHARED)."
            )
        if self.unmerged:
            n = sum(self.unmerged.values())
            kinds = counts_in_words(self.unmerged)
            text = f"{plural(n, 'change')} made on this laptop "
            text += f"{'is' if n == 1 else 'are'} not merged by the team lead yet ({kinds})"
            if self.not_exported:
                m = self.not_exported
                text += f"; {m} of them {'is' if m == 1 else 'are'} in no package yet: export first"
            out.append(text + ".")
            if self.unreceipted:
                n = len(self.unreceipted)
                out.append(
                    f"{plural(n, 'package')} {'has' if n == 1 else 'have'} no merge receipt "
                    "yet: "
                    + ", ".join(self.unreceipted)
                    + ". Ask the team lead to merge them, then Sync to read the receipts."
                )
        if self.lead_missing:
            n = sum(self.lead_missing.values())
            out.append(
                f"{plural(n, 'change')} you made as team lead {'is' if n == 1 else 'are'} not "
                "in the hub yet "
                f"({counts_in_words(self.lead_missing)}): merge first."
            )
        if self.lead_unchecked:
            out.append(
                "This laptop is the inspection's team lead, whose own changes go straight to "
                "the hub: give the hub (--hub URL) so that they can be checked."
            )
        return out

    def removes(self) -> list[str]:
        """What the purge removes, in plain words."""
        out = [f"From the database: {counts_in_words(self.rows)}."]
        if self.files:
            out.append(f"{plural(len(self.files), 'package file')} this laptop wrote for it "
                       "(outbox and shared folder).")  # fmt: skip
        if self.snapshots:
            copies = plural(len(self.snapshots), "snapshot or backup", "snapshots and backups")
            out.append(
                f"{copies} of the database, which hold it too; a new snapshot is taken after "
                "the purge."
            )
        out.append("The database is then compacted so that nothing removed stays in the file.")
        if self.kept_copies:
            out.append(
                f"Not removed: {plural(len(self.kept_copies), 'older copy', 'older copies')} of "
                "the database kept after "
                "a restore or damage (" + ", ".join(p.name for p in self.kept_copies) + "). "
                "They may hold this inspection and other unsaved work: delete them yourself "
                "once you are sure they are not needed."
            )
        out.append("Reports (PDFs) and data exports saved from it are not tracked by probdesk: "
                   "delete them where you saved them.")  # fmt: skip
        return out


@dataclass(frozen=True)
class PurgeResult:
    inspection_id: str
    rows: dict[str, int]
    files: int
    snapshots: int
    snapshot: Path | None
    kept_copies: tuple[Path, ...] = field(default=())


def resolve_inspection(fw: Fieldwork, given: str) -> Inspection:
    """An inspection of this laptop by its id, or by the start of its id (8 characters or
    more, when only one inspection's id starts so)."""
    given = given.strip()
    if not given:
        raise InputError("Name the inspection by its id (probdesk purge --list lists them).")
    inspections = fw.ws.inspections()
    exact = [i for i in inspections if i.id == given]
    if exact:
        return exact[0]
    starts = [i for i in inspections if len(given) >= 8 and i.id.startswith(given)]
    if len(starts) == 1:
        return starts[0]
    if len(starts) > 1:
        raise InputError(f"{given!r} starts the ids of {len(starts)} inspections: give more of it.")
    raise InputError(
        f"There is no inspection {given!r} on this laptop (probdesk purge --list lists them)."
    )


def _merged_to(fw: Fieldwork, inspection_id: str) -> tuple[int, int, tuple[str, ...]]:
    """(the newest receipted seq_to, the newest exported seq_to, unreceipted file names)."""
    outbox = [p for p in fw.outbox(inspection_id) if p.kind == "events"]
    merged = max((p.seq_to for p in outbox if p.receipt_at is not None), default=0)
    written = max((p.seq_to for p in outbox), default=0)
    waiting = tuple(p.file_name for p in outbox if p.receipt_at is None and p.seq_to > merged)
    return merged, written, waiting


def _own_files(fw: Fieldwork, inspection_id: str, shared: Path | None) -> list[Path]:
    """Package files this device exported for the inspection: its outbox copies, the shared
    folder copies it recorded, and (with `shared`) every events package in the shared folder
    it signed for the inspection (a sync tool's copies), recognised by the manifest (ids
    only)."""
    found: dict[Path, None] = {}
    for p in fw.outbox(inspection_id):
        for candidate in (fw.paths.outbox / p.file_name, Path(p.shared_path or "")):
            if p.shared_path is None and candidate == Path(""):
                continue
            if candidate.is_file():
                found[candidate] = None
    if shared is not None and shared.is_dir():
        for path in reader.scan_folder(shared, depth=1):
            try:
                m = reader.peek_manifest(path)
            except (PackageError, OSError):
                continue
            # Its exports only: a lead's setup, closing and receipt packs are still for the
            # laptops (the hub's purge removes them, after the retention period).
            if (
                m.get("kind") == "events"
                and m.get("inspection_id") == inspection_id
                and m.get("device_id") == fw.ws.device_id
            ):
                found[path] = None
    return list(found)


def _copies(fw: Fieldwork) -> tuple[list[Path], list[Path]]:
    """(snapshots and pre-migration backups, replaced and damaged databases) of this folder."""
    from probdesk.store import snapshots
    from probdesk.store.database import DB_NAME

    data = fw.ws.store.path.parent
    removable = [
        *sorted(p for p in snapshots.folder_of(data).glob("*.sqlite*") if p.is_file()),
        *sorted(p for p in (data / "backups").glob("*.sqlite*") if p.is_file()),
    ]
    kept = sorted(
        p for p in [*data.glob(f"{DB_NAME}.replaced-*"), *data.glob(f"{DB_NAME}.damaged-*")]
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    )  # fmt: skip
    return removable, kept


def plan_purge(
    fw: Fieldwork, inspection_id: str, *, shared: Path | None = None, hub: Hub | None = None
) -> PurgePlan:
    """What a purge of the inspection would remove, or why it may not run yet. With `shared`
    the merge receipts there are read first. Changes nothing else."""
    inspection = fw.ws.inspection(inspection_id)
    if shared is not None and shared.is_dir():
        fw.check_receipts(shared)
    merged, written, waiting = _merged_to(fw, inspection_id)
    device = fw.ws.device()
    lead = inspection.lead_device_id == device.id
    with fw.ws.store.unit_of_work(read_only=True) as uow:
        rows = uow.retention.footprint(inspection_id)
        unmerged = uow.retention.unmerged(inspection_id, device.id, merged)
        not_exported = sum(uow.retention.unmerged(inspection_id, device.id, written).values())
        own = uow.retention.own_event_ids(inspection_id, device.id) if lead else {}
    lead_missing: dict[str, int] = {}
    lead_unchecked = False
    if lead:
        # The lead's own case changes and evidence go to the hub at each merge, not in
        # packages: they are merged when the hub holds them.
        for kind in ("case_changes", "evidence_events"):
            unmerged.pop(kind, None)
        if hub is None:
            lead_unchecked = any(own.values())
        elif hub.purge_record(inspection_id) is not None:
            pass  # merged, kept for the retention period and purged from the hub since
        else:
            missing = hub.missing_ids(own)
            lead_missing = {k: v for k, v in missing.items() if v}
        not_exported = min(not_exported, sum(unmerged.values()))
    removable, kept = _copies(fw)
    return PurgePlan(
        inspection_id, inspection.title, inspection.closed_at, merged, unmerged,
        not_exported if unmerged else 0, waiting if unmerged else (), lead_missing,
        lead_unchecked, rows, tuple(_own_files(fw, inspection_id, shared)),
        tuple(removable), tuple(kept),
    )  # fmt: skip


def purge(
    fw: Fieldwork,
    inspection_id: str,
    *,
    shared: Path | None = None,
    hub: Hub | None = None,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> PurgeResult:
    """Remove the inspection from this laptop for good, when the plan allows it; else raise
    PurgeRefused (nothing is changed). Rows go with secure_delete in one transaction, with
    an audit record of ids and counts; then its package files, the snapshots and backups
    (they hold it), the enrolment entries; the database is compacted and a new snapshot taken.

    `cancelled()` is checked once, after the check and before anything is removed
    (OperationCancelled): once the rows are gone the rest must follow, or the files and
    snapshots left would still hold what was purged.
    """
    progress(0, 5, "Checking what is merged")
    plan = plan_purge(fw, inspection_id, shared=shared, hub=hub)
    if not plan.allowed:
        raise PurgeRefused(
            f"Inspection {inspection_id[:8]} cannot be purged from this laptop yet; nothing "
            "was changed.",
            details=tuple(plan.problems()),
        )
    if cancelled():
        raise OperationCancelled
    progress(1, 5, "Removing the inspection's records")
    ws = fw.ws
    files = len(plan.files)
    with ws.store.unit_of_work(secure_delete=True) as uow:
        rows = uow.retention.remove(inspection_id)
        detail = " ".join(f"{k}={v}" for k, v in rows.items() if v)
        detail += f" files={files} snapshots={len(plan.snapshots)}"
        ws.audit_in(uow, "purge", "inspection", inspection_id, detail.strip())
    ws._qs_cache.clear()
    progress(2, 5, "Removing its package files")
    for path in plan.files:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    _forget_enrolment(fw, inspection_id)
    progress(3, 5, "Compacting the database")
    ws.store.compact()
    progress(4, 5, "Replacing the snapshots")
    for path in plan.snapshots:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    snapshot = ws.take_snapshot()
    log.info("inspection purged: %s rows, %s files", sum(rows.values()), files)
    progress(5, 5, "Done")
    return PurgeResult(inspection_id, rows, files, len(plan.snapshots), snapshot, plan.kept_copies)


def _forget_enrolment(fw: Fieldwork, inspection_id: str) -> None:
    """The inspection's enrolment proof (a laptop's) and codes (a lead's), kept with the keys."""
    for name in (PROOF_FILE, CODES_FILE):
        path = fw.paths.data / KEYS_FOLDER / name
        data = _read_secret(path)
        if inspection_id in data:
            del data[inspection_id]
            _write_secret(path, data)


# -- closing (the team lead) -----------------------------------------------------------------


@dataclass(frozen=True)
class CloseResult:
    inspection_id: str
    closed_at: datetime
    already: bool
    packs: tuple[Path, ...]  # one closing pack per laptop that sent packages
    not_told: tuple[str, ...] = ()  # devices whose key is not known here (short ids)


def close_inspection(
    hub: Hub, lead: Fieldwork, inspection_id: str, shared: Path | None, at: datetime | None = None
) -> CloseResult:
    """Close the inspection on the hub and on the team lead's laptop, and tell every laptop
    that sent packages for it (a send-back pack saying closed, in `shared`)."""
    if hub.inspection(inspection_id) is None:
        purged = hub.purge_record(inspection_id)
        if purged is not None:
            raise InputError(
                f"Inspection {inspection_id[:8]} was purged from this hub on "
                f"{day_text(purged.purged_at)}; there is nothing to close."
            )
        raise InputError(
            f"The hub holds no inspection {inspection_id!r}; merge its packages first."
        )
    if shared is not None and not shared.is_dir():
        raise InputError(f"The shared folder {shared} is not reachable; nothing was closed.")
    when = (at or _now()).replace(microsecond=0)
    fresh = hub.set_closed(inspection_id, when)
    row = hub.inspection(inspection_id)
    assert row is not None and row.closed_at is not None  # closed just now, or before
    closed_at = row.closed_at
    with contextlib.suppress(InputError):  # the lead's laptop holds it when it set it up
        lead.ws.inspection(inspection_id)
        with lead.ws.store.unit_of_work() as uow:
            uow.inspections.set_closed(inspection_id, closed_at)
            if fresh:
                lead.ws.audit_in(uow, "close", "inspection", inspection_id)
    packs: list[Path] = []
    not_told: list[str] = []
    if shared is not None:
        author = lead.ws.device().assessor or "Team lead"
        for device_id in hub.devices_of(inspection_id):
            if device_id == lead.ws.device_id:
                continue
            try:
                packs.append(lead.create_sendback(
                    inspection_id, device_id, (), (), shared, author, closed_at=closed_at
                ))  # fmt: skip
            except InputError:
                not_told.append(device_id[:8])
    log.info("inspection closed; %d laptop(s) told", len(packs))
    return CloseResult(inspection_id, closed_at, not fresh, tuple(packs), tuple(not_told))


# -- the hub's retention ---------------------------------------------------------------------


def retention_days(hub: Hub) -> int:
    """The organisation's retention period on this hub, in days after closing."""
    value = hub.meta(RETENTION_KEY)
    if value is None:
        return DEFAULT_RETENTION_DAYS
    try:
        return int(value)
    except ValueError:
        return DEFAULT_RETENTION_DAYS


def set_retention_days(hub: Hub, days: int) -> int:
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise InputError(
            f"The retention period must be between 0 and {MAX_RETENTION_DAYS} days, not {days}."
        )
    hub.set_meta(RETENTION_KEY, str(days))
    return days


@dataclass(frozen=True)
class HubInspection:
    inspection_id: str
    title: str
    closed_at: datetime | None
    purge_from: datetime | None  # closed_at + the retention period

    def due(self, now: datetime) -> bool:
        return self.purge_from is not None and self.purge_from <= now


def _closed(i: HubInspection) -> datetime:
    """When a due inspection was closed: only a closed one has a purge date, so is due."""
    assert i.closed_at is not None
    return i.closed_at


def hub_inspections(hub: Hub) -> list[HubInspection]:
    days = retention_days(hub)
    out = []
    for inspection_id in hub.inspection_ids():
        row = hub.inspection(inspection_id)
        assert row is not None
        closed = row.closed_at
        title = f"{row.pdu}, {row.region}" if row.kind != "region" else row.region
        until = closed + timedelta(days=days) if closed else None
        title = f"{title}, fieldwork {row.fieldwork_start}"
        out.append(HubInspection(inspection_id, title, closed, until))
    return out


@dataclass(frozen=True)
class HubPurgeResult:
    purged: tuple[PurgeRecord, ...]
    waiting: tuple[HubInspection, ...]  # closed, their retention period not over yet
    compacted: str = ""
    files: int = 0  # the team lead's packs and receipts removed from the shared folder
    backups: int = 0  # hub copies made before upgrades: they held the purged inspections
    left: tuple[HubInspection, ...] = ()  # due, but not purged: cancelled before them


def purge_hub(
    hub: Hub,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    shared: Path | None = None,
    lead_device_id: str | None = None,
    cancelled: Cancelled = never,
) -> HubPurgeResult:
    """Purge every closed inspection whose retention period is over at `now`. The hub keeps
    a record of each (ids, dates, counts: hub_purge), and refuses later packages for them.

    `cancelled()` is checked before each inspection (each is purged in its own transaction):
    before the first, OperationCancelled and nothing changed; later, the purge stops there,
    still compacts the hub and removes its backups (they hold what was purged), and the
    result's `left` names the due inspections not purged."""
    at = (now or _now()).replace(microsecond=0)
    days = retention_days(hub)
    listed = hub_inspections(hub)
    due = [i for i in listed if i.due(at)]
    waiting = tuple(i for i in listed if i.closed_at is not None and not i.due(at))
    if dry_run or not due:
        return HubPurgeResult(
            tuple(PurgeRecord(i.inspection_id, _closed(i), at, days, {}) for i in due),
            waiting,
        )  # fmt: skip
    records: list[PurgeRecord] = []
    files = 0
    left: tuple[HubInspection, ...] = ()
    for n, i in enumerate(due):
        if cancelled():
            if not records:
                raise OperationCancelled
            left = tuple(due[n:])
            log.info("hub purge cancelled: %d inspection(s) left", len(left))
            break
        closed_at = _closed(i)
        counts = hub.purge(i.inspection_id, closed_at, at, days)
        if shared is not None and lead_device_id is not None:
            files += _remove_signed_by(shared, i.inspection_id, lead_device_id)
        records.append(PurgeRecord(i.inspection_id, closed_at, at, days, counts))
    compacted = hub.compact()
    backups = _remove_hub_backups(hub)
    log.info("hub purge: %d inspection(s)", len(records))
    return HubPurgeResult(tuple(records), waiting, compacted, files, backups, left)


def _remove_signed_by(shared: Path, inspection_id: str, device_id: str) -> int:
    """The packages `device_id` wrote to the shared folder for the inspection (setup and
    send-back packs, receipts), by their manifests."""
    n = 0
    for path in reader.scan_folder(shared, depth=1):
        try:
            m = reader.peek_manifest(path)
        except (PackageError, OSError):
            continue
        if m.get("inspection_id") == inspection_id and m.get("device_id") == device_id:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                n += 1
    return n


def _remove_hub_backups(hub: Hub) -> int:
    """Copies of a SQLite hub made before upgrades (hub.sqlite.before-step-*.bak): they hold
    what was purged."""
    path = hub.sqlite_path()
    if path is None:
        return 0
    n = 0
    for copy in path.parent.glob(f"{path.name}.before-step-*"):
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()
            n += 1
    return n


def purged_reason(record: PurgeRecord) -> str:
    return (
        f"the inspection was closed on {day_text(record.closed_at)} and purged from this hub on "
        f"{day_text(record.purged_at)} (retention {record.retention_days} days); its packages "
        "are no longer merged"
    )


def record_json(record: PurgeRecord) -> dict[str, Any]:
    return {
        "inspection_id": record.inspection_id,
        "closed_at": record.closed_at.isoformat(),
        "purged_at": record.purged_at.isoformat(),
        "retention_days": record.retention_days,
        "counts": record.counts,
    }
