"""The team lead's hub: merge packages from the shared folder, enrol laptops, moderate, settle
conflicts, export the data. The figures (summaries, conflicts, progress, pooling, evidence)
are the read side, in probdesk.services.figures."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from probdesk.domain import case_events as ce
from probdesk.domain import tamper
from probdesk.domain.case_events import CaseEvent
from probdesk.domain.cells import safe_cell
from probdesk.domain.evidence import ATTACHMENT_LIMIT, OrgEvent, payload_problem
from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import KnownDevice
from probdesk.errors import (
    EnvironmentProblem,
    InputError,
    OperationCancelled,
    ProbdeskError,
    RowsRefused,
)
from probdesk.fs import atomic_write, full_disk
from probdesk.hub.rows import ENROLLED, REFUSED, CaseRow, HeldRow, KeyState
from probdesk.hub.store import Hub, Writing, now
from probdesk.packages import reader, wire
from probdesk.packages.enrolment import proof_matches
from probdesk.packages.format import PackageError
from probdesk.packages.keys import fingerprint, unb64
from probdesk.packages.wire import EVENTS_SCHEMA
from probdesk.progress import Cancelled, Progress, never, quiet
from probdesk.services.authority import Sample, violations
from probdesk.services.fieldwork import RECEIPTS_FOLDER, Fieldwork, SendbackComment

# The read side, importable from here as it was before it had a module of its own.
from probdesk.services.figures import CaseOutcome as CaseOutcome
from probdesk.services.figures import Conflict as Conflict
from probdesk.services.figures import EvidenceNote as EvidenceNote
from probdesk.services.figures import HubCase as HubCase
from probdesk.services.figures import Loaded as Loaded
from probdesk.services.figures import OverallRow as OverallRow
from probdesk.services.figures import Pool as Pool
from probdesk.services.figures import ProgressRow as ProgressRow
from probdesk.services.figures import RegionInspections as RegionInspections
from probdesk.services.figures import Side as Side
from probdesk.services.figures import StandardRow as StandardRow
from probdesk.services.figures import SummaryRow as SummaryRow
from probdesk.services.figures import conflicts as conflicts
from probdesk.services.figures import drill_down as drill_down
from probdesk.services.figures import evidence as evidence
from probdesk.services.figures import hub_org_state as hub_org_state
from probdesk.services.figures import load_cases as load_cases
from probdesk.services.figures import pick_inspection as pick_inspection
from probdesk.services.figures import pool_inspections as pool_inspections
from probdesk.services.figures import progress as progress
from probdesk.services.figures import region_inspections as region_inspections
from probdesk.services.figures import regional_summary as regional_summary
from probdesk.services.figures import render as render
from probdesk.services.figures import render_standards as render_standards
from probdesk.services.figures import settled_events as settled_events
from probdesk.services.figures import standards as standards
from probdesk.services.figures import summarise as summarise
from probdesk.services.hub_access import HubAccess as HubAccess
from probdesk.services.hub_access import default_hub_url as default_hub_url

log = logging.getLogger("probdesk.hub")


MERGED, ALREADY, REJECTED, QUARANTINED = "merged", "already merged", "rejected", "quarantined"
HELD = "held"  # signed by a key not enrolled for any team member: waits for the team lead


def open_hub(data_dir: Path, url: str | None = None, password: str | None = None) -> Hub:
    """The team lead's hub (`url`, else hub.sqlite in `data_dir`): a SQLite hub encrypted with
    the data key of `data_dir`, the lead's data folder; a PostgreSQL hub with `password` (see
    probdesk.services.hub_access for where it comes from), connected to at once."""
    from probdesk.store import datakey

    url = url or default_hub_url(data_dir)
    sqlite = url.startswith("sqlite")
    return Hub(url, key=datakey.unlock(data_dir) if sqlite else None, password=password)


@dataclass(frozen=True)
class MergeOutcome:
    file: str
    state: str
    reason: str = ""
    package_id: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""  # the signing key's, for a held package
    claimed_member: str = ""  # whom a held package says it is from (not proven)
    inspection_id: str = ""  # for a held package: with the key, what enrols it
    signing_public: str = ""
    flag: str = ""  # merged, but something for the team lead to know (tamper evidence)


@dataclass
class _MergeContext:
    """What a merge reads once: enrolled and refused keys, codes, samples (set look-ups)."""

    hub: Hub
    lead: Fieldwork
    known: set[str]
    keys: dict[tuple[str, str], KeyState]  # (inspection, signing key) -> state
    samples: dict[str, Sample] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    teams: dict[str, set[str]] = field(default_factory=dict)

    def sample(self, inspection_id: str) -> Sample:
        found = self.samples.get(inspection_id)
        if found is None:
            found = self.samples[inspection_id] = _sample(self.hub, inspection_id)
        return found

    def code(self, inspection_id: str, member: str) -> str | None:
        if inspection_id not in self.codes:
            self.codes[inspection_id] = self.lead.known_enrolment_codes(inspection_id)
        return self.codes[inspection_id].get(member)

    def team(self, inspection_id: str) -> set[str]:
        if inspection_id not in self.teams:
            self.teams[inspection_id] = {a.name for a in self.lead.team(inspection_id)}
        return self.teams[inspection_id]

    def device_key(self, inspection_id: str, device_id: str) -> str | None:
        return enrolled_key_of(self.keys, inspection_id, device_id)


def enrolled_key_of(
    keys: Mapping[tuple[str, str], KeyState], inspection_id: str, device_id: str
) -> str | None:
    """The key a laptop is enrolled with for an inspection, if any (a refused key is not)."""
    for (insp, public), state in keys.items():
        if insp == inspection_id and state.device_id == device_id and state.enrolled:
            return public
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def register_inspections(hub: Hub, lead: Fieldwork) -> list[str]:
    """Copy the team lead's inspections (and their question sets' text) into the hub, with
    the domain one evidence recorded on the team lead's own laptop (a union, as for packages)."""
    ids = []
    purged = {r.inspection_id for r in hub.purge_records()}
    with hub.transaction() as conn:
        for insp in lead.ws.inspections():
            if insp.id in purged:  # past its retention period: never brought back
                continue
            with lead.ws.store.unit_of_work(read_only=True) as uow:
                stored = uow.question_sets.get(insp.qs_hash)
                # Earlier versions too: a laptop that has not followed a move yet still
                # sends answers given under them (probdesk.services.authority).
                versions = uow.question_sets.versions(insp.qs_id)
                own = uow.org.by_device(insp.id, lead.ws.device_id)
                lead_events = uow.case_events.for_inspection(insp.id)
                shas = {
                    str(e.payload["attachment_sha256"]) for e in own
                    if e.kind == "document" and e.payload.get("attachment_sha256")
                } - hub.attachment_shas()  # fmt: skip
                files = [(sha, uow.org.attachment(sha)) for sha in sorted(shas)]
            hub.add_org_events(conn, [_hub_org_row(insp.id, e) for e in own])
            # The lead's own case changes (the sample's facts, PDUs, assignments, settled
            # conflicts): events like every laptop's, folded with theirs.
            touched = hub.add_case_events(
                conn, [_hub_case_event_row(insp.id, e) for e in lead_events]
            )
            hub.add_attachments(conn, [
                {"sha256": sha, "name": f[0], "size": len(f[1]), "data": f[1]}
                for sha, f in files if f is not None
            ])  # fmt: skip
            assert stored is not None
            for v in (*versions, stored):
                hub.add_question_set(conn, v.content_hash, v.set_id, v.version, v.text)
            hub.add_inspection(conn, {
                "id": insp.id, "region": insp.region, "pdu": insp.pdu,
                "pdus": json.dumps(list(insp.pdus) or [insp.pdu]), "kind": insp.kind,
                "fieldwork_start": insp.fieldwork_start, "fieldwork_end": insp.fieldwork_end,
                "qs_hash": insp.qs_hash,
            })  # fmt: skip
            # A move to a new version of the question set (probdesk.services.qs_move): the
            # hub follows the lead, and every case's variant is worked out again.
            touched |= hub.follow_question_set(conn, insp.id, insp.qs_hash)
            if touched:
                _project(hub, conn, lead.ws.question_set(insp), touched)
            # The sample and who has each case, with the lead's clock: what packages are
            # checked against (an assessor writes only into the cases assigned to them).
            # Every assignment the lead made, with the clock of its assessor event (the first
            # counts from the start): a case moved away and back between two merges still
            # belonged to the other assessor in between.
            refs = {c.id: c.reference for c in lead.ws.cases(insp.id)}
            history: dict[str, list[CaseEvent]] = {}
            for e in sorted(lead_events, key=lambda e: (e.hlc, e.id)):
                if e.field == ce.ASSESSOR and e.value and e.case_id in refs:
                    history.setdefault(e.case_id, []).append(e)
            hub.record_assignments(conn, insp.id, [
                (case_id, refs[case_id], str(e.value), "" if n == 0 else e.hlc)
                for case_id, evs in history.items() for n, e in enumerate(evs)
            ])  # fmt: skip
            ids.append(insp.id)
    return ids


class MergeCancelled(OperationCancelled):
    """Cancel was pressed during a merge, and it stopped before the next package: each package
    merges in its own transaction, so those before it stay merged (`outcomes`, as a whole merge
    would have returned them) and the rest were not read. A merge again takes the rest and
    skips the ones merged."""

    def __init__(self, outcomes: Sequence[MergeOutcome], done: int, total: int) -> None:
        self.outcomes = list(outcomes)
        self.done, self.total = done, total
        merged = sum(o.state == MERGED for o in self.outcomes)
        left = total - done
        kept = (
            "nothing was merged"
            if merged == 0
            else f"the {merged} package{'s' if merged > 1 else ''} merged "
            f"{'stays' if merged == 1 else 'stay'} merged"
        )
        ProbdeskError.__init__(
            self,
            f"Merge cancelled after {done} of the {total} files in the shared folder: {kept}. "
            f"The other {left} {'was' if left == 1 else 'were'} not read: merge again to "
            "take them (packages already merged are skipped).",
        )


def merge(
    hub: Hub,
    lead: Fieldwork,
    shared: Path,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> list[MergeOutcome]:
    """Merge every events package in `shared` (and one level down), each on its own.

    Each package is checked whole before anything is written: signature, enrolment of its key
    for a team member, that member's authority over everything in it, the schema and the
    meaning of every value (probdesk.services.authority). A package already merged is skipped;
    one from a key not enrolled is held for the team lead; one failing a check is rejected
    with the rule it broke; a valid one with a known id but other content is quarantined.
    None of them changes anything or stops the others, and two merges into one hub at once
    merge each package once.

    `cancelled()` is checked before each package (the safe point: a package is merged whole
    or not at all); when it is true the merge stops there and raises MergeCancelled with the
    outcomes so far.
    """
    if not shared.is_dir():
        raise InputError(f"The shared folder {shared} is not reachable.")
    known = set(register_inspections(hub, lead))
    paths = [p for p in reader.scan_folder(shared, depth=1) if p.parent.name != RECEIPTS_FOLDER]
    # Read once: per package it would grow with the square of devices.
    ctx = _MergeContext(hub, lead, known, hub.key_states())
    outcomes: list[MergeOutcome] = []
    by_name: dict[str, Path] = {}
    for n, path in enumerate(paths):
        if cancelled():
            log.info("merge cancelled after %s of %s package files", n, len(paths))
            raise MergeCancelled(outcomes, n, len(paths))
        progress(n, len(paths), path.name)
        by_name[path.name] = path
        outcome = _merge_one(ctx, shared, path)
        if outcome is not None:
            outcomes.append(outcome)
            log.info("package file %s: %s", n, outcome.state)
    # A package held because its key was not enrolled yet, when a later package of the same
    # merge enrolled that key (the laptop joined with its code in between): merged now. (Not
    # cancelled: every package has been read, and this finishes those already read.)
    for i, o in enumerate(outcomes):
        if o.state == HELD and ctx.keys.get((o.inspection_id, o.signing_public)) is not None:
            again = _merge_one(ctx, shared, by_name[o.file])
            if again is not None:
                outcomes[i] = again
    progress(len(paths), len(paths), "done")
    return outcomes


def needs_attention(outcomes: Sequence[MergeOutcome]) -> bool:
    """True when any package was held, rejected or quarantined (merge exits non-zero)."""
    return any(o.state not in (MERGED, ALREADY) for o in outcomes)


def _merge_one(ctx: _MergeContext, shared: Path, path: Path) -> MergeOutcome | None:
    hub, lead = ctx.hub, ctx.lead
    try:
        manifest = reader.peek_manifest(path)
    except PackageError as exc:
        return MergeOutcome(path.name, REJECTED, exc.explanation)
    if manifest.get("kind") != "events":
        return None  # setup and send-back packs, receipts: not for the hub
    package_id = str(manifest["package_id"])
    sha = _sha256(path)
    existing = hub.package(package_id)
    if existing is not None and existing.sha256 == sha:
        return MergeOutcome(path.name, ALREADY, "", package_id)
    inspection_id = str(manifest["inspection_id"])
    purged = hub.purge_record(inspection_id) if inspection_id not in ctx.known else None
    if purged is not None:
        from probdesk.services.retention import purged_reason

        return MergeOutcome(path.name, REJECTED, purged_reason(purged), package_id)
    if inspection_id not in ctx.known:
        return MergeOutcome(
            path.name, REJECTED, "the package is for an inspection this hub does not hold",
            package_id,
        )  # fmt: skip
    device_id = str(manifest["device_id"])
    try:
        # Identity is the key, checked below against the enrolments: never the device id.
        opened = reader.read_package(
            path,
            private_keys=[lead.keys.encryption_key],
            trusted_signers=None,
            expected_kind="events",
            payload_schema=EVENTS_SCHEMA,
        )
    except PackageError as exc:
        return MergeOutcome(path.name, REJECTED, exc.explanation, package_id)
    if existing is not None:  # a valid package, but not the one merged under this id
        return _quarantine(hub, path, package_id, sha)
    p = opened.payload
    signer = opened.manifest["signer"]
    public = str(signer["signing_public"])
    who = _signer_member(ctx, inspection_id, device_id, public, p)
    if isinstance(who, MergeOutcome):
        if who.state == HELD:
            _hold(hub, path, opened, sha, who)
        return MergeOutcome(
            path.name, who.state, who.reason, package_id, fingerprint=who.fingerprint,
            claimed_member=who.claimed_member, inspection_id=inspection_id,
            signing_public=public,
        )  # fmt: skip
    member, enrol_how = who
    problems = violations(p, device_id=device_id, member=member, sample=ctx.sample(inspection_id))
    if problems:
        return MergeOutcome(
            path.name, REJECTED, f"{member}'s laptop may not say this: " + "; ".join(problems),
            package_id,
        )  # fmt: skip
    try:
        org_rows, files = _org_rows(p)
    except ValueError as exc:
        return MergeOutcome(path.name, REJECTED, str(exc), package_id)
    checked = _chain_check(hub, p, inspection_id, device_id, unb64(public, size=32))
    if checked.rejected:
        return MergeOutcome(path.name, REJECTED, f"tampered: {checked.rejected}", package_id)
    qs = ctx.sample(inspection_id).qs
    try:
        with hub.transaction() as conn:
            # The package row first: when a merge of this hub running at the same time has
            # taken the package meanwhile, nothing else is written here.
            recorded = hub.record_package(conn, {
                "package_id": package_id, "sha256": sha, "device_id": device_id,
                "inspection_id": inspection_id, "seq_to": int(p["seq_to"]),
                "file_name": path.name, "merged_at": now(),
            })  # fmt: skip
            if recorded:
                if enrol_how is not None:
                    hub.set_key_state(conn, {
                        "inspection_id": inspection_id, "signing_public": public,
                        "encryption_public": signer["encryption_public"],
                        "device_id": device_id, "member": member, "state": ENROLLED,
                        "how": enrol_how, "at": now(),
                    })  # fmt: skip
                hub.add_device(conn, {
                    "device_id": device_id, "name": member,
                    "role": str(p["device"].get("role", "")),
                    "signing_public": public,
                    "encryption_public": signer["encryption_public"],
                })  # fmt: skip
                _write_payload(hub, conn, inspection_id, device_id, qs, p)
                hub.add_org_events(conn, org_rows)
                hub.add_attachments(conn, files)
                hub.clear_held(conn, public, inspection_id)
    except RowsRefused as exc:  # never a crash, never a half-merged package
        log.warning("package %s could not be stored: %s", package_id, type(exc).__name__)
        return MergeOutcome(
            path.name, REJECTED, "the hub could not store it (the package is malformed); "
            "nothing was changed", package_id,
        )  # fmt: skip
    if not recorded:
        again = hub.package(package_id)
        if again is not None and again.sha256 == sha:
            return MergeOutcome(path.name, ALREADY, "", package_id)
        return _quarantine(hub, path, package_id, sha)
    if enrol_how is not None:
        ctx.keys[(inspection_id, public)] = KeyState(member, device_id, ENROLLED, enrol_how)
    # The team lead's own store learns the laptop too, for comments sent back to it.
    with lead.ws.store.unit_of_work() as uow:
        uow.team.remember_device(KnownDevice(
            device_id, member, str(p["device"].get("role", "")),
            public, signer["encryption_public"], now(),
        ))  # fmt: skip
    _receipt(lead, shared, opened, signer["encryption_public"])
    if checked.flag:
        log.warning("package %s merged with a tamper-evidence flag", package_id)
    return MergeOutcome(
        path.name, MERGED, "", package_id, dict(opened.manifest["counts"]), flag=checked.flag
    )


@dataclass(frozen=True)
class _Checked:
    rejected: str = ""
    flag: str = ""


# What the hub stores of a change where the package may leave a field out (older packages).
_STORED_DEFAULTS = {"note": "", "author": "", "replaces": None}


def _stored_form(kind: str, change: Mapping[str, Any]) -> list[Any]:
    full = {n: change.get(n, _STORED_DEFAULTS.get(n)) for n in tamper.FIELDS[kind]}
    return tamper.content(kind, {k: _STORED_DEFAULTS.get(k) if v is None else v
                                 for k, v in full.items()})  # fmt: skip


def _chain_check(
    hub: Hub, p: Mapping[str, Any], inspection_id: str, device_id: str, signing_public: bytes
) -> _Checked:
    """Tamper evidence on merge: the package's changes fold to the head the laptop's key
    signed at their saving (an edit made on the laptop outside probdesk shows), and every
    change of this laptop the hub already holds comes again unchanged (a rewrite of what was
    merged shows). A package from before signed heads merges, flagged."""
    own = wire.own_changes(p)
    held = hub.changes_of_device(inspection_id, device_id)
    ids = {str(c["id"]): (kind, c) for kind, c in own}
    rewritten = [
        i for i, (kind, c) in ids.items()
        if i in held and _stored_form(kind, c) != _stored_form(*held[i])
    ]  # fmt: skip
    if rewritten:
        return _Checked(rejected=(
            f"{len(rewritten)} of the changes this laptop sent before come again with other "
            "content (rewritten on the laptop after they were merged); nothing was merged"
        ))  # fmt: skip
    if "chain" not in p:
        if own:
            return _Checked(flag=(
                "written by a probdesk without tamper evidence (no signed record of its "
                "changes): merged as it is"
            ))  # fmt: skip
        # Nothing of its own (a second laptop, one that only received): no chain to sign,
        # nothing to flag; what the hub holds from it is still checked below.
        return _gone(held, ids, int(p["seq_to"]))
    head, signature = tamper.head_in(p["chain"])
    chain = tamper.content_chain(inspection_id)
    try:
        Ed25519PublicKey.from_public_bytes(signing_public).verify(
            bytes.fromhex(signature), tamper.statement(device_id, chain, head)
        )
    except (InvalidSignature, ValueError):
        return _Checked(rejected=(
            "the record of its changes is not signed by the laptop's key (changed outside "
            "probdesk); nothing was merged"
        ))  # fmt: skip
    found = tamper.fold(device_id, chain, own)
    if found != head:
        return _Checked(rejected=(
            f"its {found.count} changes do not match the {head.count} the laptop signed as it "
            "saved them (the laptop's database was edited outside probdesk); nothing was merged"
        ))  # fmt: skip
    return _gone(held, ids, int(p["seq_to"]))


def _gone(held: Mapping[str, Any], ids: Mapping[str, Any], upto: int) -> _Checked:
    """Flagged when changes the hub holds from this laptop are no longer on it. Only what the
    package's own numbering covers: an older package arriving late lacks the changes made
    after it, and that is no loss."""
    gone = sum(1 for i, (_k, c) in held.items() if i not in ids and int(c["seq"]) <= upto)
    if gone:
        return _Checked(flag=(
            f"{gone} changes this laptop sent before are no longer on it (restored from an "
            "older snapshot, or removed outside probdesk); the hub keeps them"
        ))  # fmt: skip
    return _Checked()


def _signer_member(
    ctx: _MergeContext, inspection_id: str, device_id: str, public: str, p: Mapping[str, Any]
) -> tuple[str, str | None] | MergeOutcome:
    """(member, how the key is enrolled now or None if it already was), or why not."""
    fp = fingerprint(unb64(public, size=32))
    state = ctx.keys.get((inspection_id, public))
    if state is not None and not state.enrolled:
        return MergeOutcome("", REJECTED, f"refused_key: the team lead refused the key {fp}")
    if state is not None:
        if state.device_id != device_id:
            return MergeOutcome("", REJECTED, f"device_mismatch: the key {fp} is enrolled for "
                                "another laptop")  # fmt: skip
        if state.member not in ctx.team(inspection_id):
            return MergeOutcome("", REJECTED, f"not_on_team: {state.member} is no longer on "
                                "the inspection's team")  # fmt: skip
        return state.member, None
    enrolment = p.get("enrolment")
    claim: dict[str, Any] = enrolment if isinstance(enrolment, dict) else {}
    claimed = str(claim.get("member") or p.get("device", {}).get("name") or "")[:80]
    code = ctx.code(inspection_id, claimed) if claimed in ctx.team(inspection_id) else None
    proven = code is not None and proof_matches(
        claim.get("proof"), code, inspection_id=inspection_id, member=claimed,
        device_id=device_id, signing_public=unb64(public, size=32),
    )  # fmt: skip
    if not proven:
        why = (
            "its enrolment code does not match" if claim.get("proof") else "it carries no enrolment"
        )
        return MergeOutcome(
            "", HELD, f"key {fp} is not enrolled ({why}); it says it is {claimed or 'nobody'}'s "
            "laptop. Compare the fingerprint with them, then enrol or refuse it",
            fingerprint=fp, claimed_member=claimed,
        )  # fmt: skip
    taken = ctx.device_key(inspection_id, device_id)
    if taken is not None and taken != public:
        why = f"device_taken: laptop {device_id[:8]} is enrolled with another key"
        return MergeOutcome("", REJECTED, why + " (a copied laptop needs its own identity)")
    return claimed, "code"


def _hold(hub: Hub, path: Path, opened: reader.OpenedPackage, sha: str, why: MergeOutcome) -> None:
    signer = opened.manifest["signer"]
    try:
        with hub.transaction() as conn:
            hub.record_held(conn, {
                "sha256": sha, "package_id": opened.package_id,
                "inspection_id": str(opened.manifest["inspection_id"]),
                "device_id": str(opened.manifest["device_id"]),
                "signing_public": signer["signing_public"],
                "encryption_public": signer["encryption_public"],
                "fingerprint": why.fingerprint, "claimed_member": why.claimed_member,
                "file_name": path.name, "seen_at": now(),
            })  # fmt: skip
    except RowsRefused as exc:
        log.warning("held package not listed: %s", type(exc).__name__)


def _write_payload(
    hub: Hub, conn: Writing, inspection_id: str, device_id: str, qs: QuestionSet,
    p: Mapping[str, Any],
) -> None:  # fmt: skip
    """The checked payload's rows. A case's state is the fold of its events (the variant the
    hub's own reading of the facts); a case row is only ever made, never taken over."""
    new_cases = sorted(
        {str(c["id"]) for c in p["cases"]} - hub.existing_cases(conn, (c["id"] for c in p["cases"]))
    )
    refs = {str(c["id"]): str(c["reference"]) for c in p["cases"]}
    hub.add_cases(conn, [
        {"id": case_id, "inspection_id": inspection_id, "reference": refs[case_id],
         "pdu": None, "facts": "{}", "variant": None, "assessor": "", "status": "not_started",
         "updated_hlc": ""}
        for case_id in new_cases
    ])  # fmt: skip
    touched = hub.add_case_events(conn, [
        _hub_case_event_row(inspection_id, e) for e in wire.case_events_of(p)
    ])  # fmt: skip
    _project(hub, conn, qs, touched | set(new_cases))
    hub.add_events(conn, [
        {"id": e["id"], "case_id": e["case_id"], "question_id": e["question_id"],
         "value": json.dumps(e["value"], sort_keys=True), "note": e.get("note", ""),
         "device_id": e["device_id"], "seq": e["seq"], "hlc": e["hlc"],
         "replaces": e.get("replaces"), "qs_id": e["qs_id"], "qs_version": e["qs_version"],
         "recorded_at": str(e["recorded_at"]), "author": e.get("author", "")}
        for e in p["answers"]
    ])  # fmt: skip
    hub.add_meetings(conn, [
        {"id": m["id"], "inspection_id": inspection_id, "kind": m["kind"],
         "held_on": m["held_on"], "title": m["title"],
         "groups": json.dumps(m["groups"], sort_keys=True),
         "questions": json.dumps(m["questions"]), "device_id": device_id}
        for m in p["meetings"]
    ])  # fmt: skip
    hub.add_meeting_notes(conn, [
        {"id": n["id"], "meeting_id": n["meeting_id"], "question_id": n["question_id"],
         "note": n["note"], "device_id": n["device_id"], "seq": n["seq"], "hlc": n["hlc"],
         "replaces": n.get("replaces"), "recorded_at": str(n["recorded_at"]),
         "author": n.get("author", "")}
        for n in p["meeting_notes"]
    ])  # fmt: skip


def _hub_case_event_row(inspection_id: str, e: CaseEvent) -> dict[str, Any]:
    return {
        "id": e.id, "inspection_id": inspection_id, "case_id": e.case_id, "field": e.field,
        "value": json.dumps(e.value, sort_keys=True), "device_id": e.device_id, "seq": e.seq,
        "hlc": e.hlc, "replaces": e.replaces, "settles": json.dumps(list(e.settles)),
        "author": e.author, "recorded_at": e.recorded_at,
    }  # fmt: skip


def _project(hub: Hub, conn: Writing, qs: QuestionSet, case_ids: set[str]) -> None:
    """Write the fold of these cases' events into their rows (cases the hub holds)."""
    held = hub.existing_cases(conn, case_ids)
    if not held:
        return
    folded = ce.fold(hub.case_events_in(conn, held))
    rows = []
    for case_id in sorted(held):
        got = ce.project(folded.get(case_id, {}), qs)
        rows.append({
            "id": case_id, "facts": json.dumps(got.facts, sort_keys=True),
            "variant": got.variant, "pdu": got.fields.pdu, "assessor": got.fields.assessor,
            "status": got.fields.status, "updated_hlc": got.fields.updated_hlc,
        })  # fmt: skip
    hub.set_case_states(conn, rows)


def _sample(hub: Hub, inspection_id: str) -> Sample:
    from probdesk.domain import loader

    insp = hub.inspection(inspection_id)
    assert insp is not None
    text = hub.question_set_text(insp.qs_hash)
    assert text is not None
    history: dict[str, list[tuple[str, str]]] = {}
    references: dict[str, str] = {}
    for r in hub.assignments(inspection_id):
        history.setdefault(r.case_id, []).append((r.hlc, r.assessor))
        references[r.case_id] = r.reference
    qs = loader.parse_text(text, "hub question set")
    earlier = {
        (qs.id, version): _parsed(content_hash, text)
        for content_hash, version, text in hub.question_set_versions(qs.id)
        if content_hash != qs.content_hash
    }
    return Sample(
        inspection_id,
        frozenset(insp.pdu_names),
        qs,
        references,
        {case_id: tuple(sorted(h)) for case_id, h in history.items()},
        earlier,
    )


_PARSED: dict[str, QuestionSet] = {}


def _parsed(content_hash: str, text: str) -> QuestionSet:
    """A question set the hub holds, parsed once per process (its text never changes)."""
    from probdesk.domain import loader

    qs = _PARSED.get(content_hash)
    if qs is None:
        qs = _PARSED[content_hash] = loader.parse_text(text, "hub question set")
    return qs


# -- enrolment at the hub -------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolledKey:
    inspection_id: str
    fingerprint: str
    member: str
    device_id: str
    state: str  # enrolled | refused
    how: str  # code (the member's enrolment code) | lead (fingerprint confirmed by the lead)


@dataclass(frozen=True)
class HeldKey:
    inspection_id: str
    fingerprint: str
    claimed_member: str
    device_id: str
    packages: int
    file_name: str  # the newest held package's


def enrolled_keys(hub: Hub) -> list[EnrolledKey]:
    keys = [
        EnrolledKey(
            insp, fingerprint(unb64(public, size=32)), s.member, s.device_id, s.state, s.how
        )
        for (insp, public), s in hub.key_states().items()
    ]
    return sorted(keys, key=lambda k: (k.inspection_id, k.member, k.fingerprint))


def held_packages(hub: Hub, inspection_id: str | None = None) -> list[HeldKey]:
    """Keys whose packages wait for the team lead, one line per key (not yet decided); of
    one inspection, or of all."""
    decided = hub.key_states()
    by_key: dict[tuple[str, str], list[HeldRow]] = {}
    for r in hub.held():
        if inspection_id is not None and r.inspection_id != inspection_id:
            continue
        if (r.inspection_id, r.signing_public) not in decided:
            by_key.setdefault((r.inspection_id, r.signing_public), []).append(r)
    out = []
    for (insp, _public), rows in by_key.items():
        newest = max(rows, key=lambda r: r.seen_at)
        out.append(HeldKey(insp, newest.fingerprint, newest.claimed_member, newest.device_id,
                           len(rows), newest.file_name))  # fmt: skip
    return sorted(out, key=lambda h: (h.inspection_id, h.claimed_member, h.fingerprint))


def _held_key(hub: Hub, fp: str) -> Any:
    wanted = "".join(fp.split()).lower()
    found = {
        (r.inspection_id, r.signing_public): r
        for r in hub.held()
        if "".join(r.fingerprint.split()).lower() == wanted
    }
    if not found:
        raise InputError(
            f"No held package is signed by a key with fingerprint {fp}; 'probdesk enrolment "
            "list' shows the held ones (merge first if the package has just arrived)."
        )
    if len(found) > 1:
        raise InputError(f"The key {fp} has held packages for several inspections.")
    return next(iter(found.values()))


def enrol_key(hub: Hub, lead: Fieldwork, fp: str, member: str) -> EnrolledKey:
    """The team lead enrols a held key for `member`, having compared its fingerprint aloud."""
    r = _held_key(hub, fp)
    if member not in {a.name for a in lead.team(r.inspection_id)}:
        raise InputError(f"{member!r} is not on this inspection's team.")
    # A refused forgery that copied the laptop's id takes nothing (only enrolled keys count).
    taken = enrolled_key_of(hub.key_states(), r.inspection_id, r.device_id)
    if taken is not None and taken != r.signing_public:
        raise InputError(
            f"Laptop {r.device_id[:8]} is already enrolled with another key: a copied "
            "laptop needs its own identity; nothing was changed."
        )
    with hub.transaction() as conn:
        hub.set_key_state(conn, {
            "inspection_id": r.inspection_id, "signing_public": r.signing_public,
            "encryption_public": r.encryption_public, "device_id": r.device_id,
            "member": member, "state": ENROLLED, "how": "lead", "at": now(),
        })  # fmt: skip
    lead.ws.audit("enrol_key", "inspection", r.inspection_id, r.fingerprint)
    return EnrolledKey(r.inspection_id, r.fingerprint, member, r.device_id, ENROLLED, "lead")


def refuse_key(hub: Hub, lead: Fieldwork, fp: str) -> EnrolledKey:
    """The team lead refuses a held key: its packages are rejected from now on."""
    r = _held_key(hub, fp)
    with hub.transaction() as conn:
        hub.set_key_state(conn, {
            "inspection_id": r.inspection_id, "signing_public": r.signing_public,
            "encryption_public": r.encryption_public, "device_id": r.device_id,
            "member": r.claimed_member, "state": REFUSED, "how": "lead", "at": now(),
        })  # fmt: skip
        hub.clear_held(conn, r.signing_public, r.inspection_id)
    lead.ws.audit("refuse_key", "inspection", r.inspection_id, r.fingerprint)
    return EnrolledKey(r.inspection_id, r.fingerprint, r.claimed_member, r.device_id, REFUSED,
                       "lead")  # fmt: skip


def _hub_org_row(inspection_id: str, e: OrgEvent) -> dict[str, Any]:
    return {
        "id": e.id, "inspection_id": inspection_id, "kind": e.kind, "subject_id": e.subject_id,
        "payload": json.dumps(dict(e.payload), sort_keys=True, ensure_ascii=False),
        "device_id": e.device_id, "seq": e.seq, "hlc": e.hlc, "replaces": e.replaces,
        "author": e.author, "recorded_at": e.recorded_at.isoformat(),
    }  # fmt: skip


def _org_rows(p: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hub rows of a payload's domain one evidence and attached files, checked.

    Packages written before domain one evidence existed carry neither: nothing to add. Raises
    ValueError (the package is rejected) for an event that cannot be folded or a file that
    does not match its checksum.
    """
    rows = []
    for e in p.get("org_events", []):
        problem = payload_problem(e["kind"], e["payload"])
        if problem:
            raise ValueError(f"a domain one evidence event ({e['kind']}) is malformed: {problem}")
        rows.append({
            "id": e["id"], "inspection_id": p["inspection_id"], "kind": e["kind"],
            "subject_id": e["subject_id"],
            "payload": json.dumps(e["payload"], sort_keys=True, ensure_ascii=False),
            "device_id": e["device_id"], "seq": e["seq"], "hlc": e["hlc"],
            "replaces": e.get("replaces"), "author": e.get("author", ""),
            "recorded_at": str(e["recorded_at"]),
        })  # fmt: skip
    files = []
    for a in p.get("attachments", []):
        try:
            data = base64.b64decode(a["data"], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"attached file {a['sha256'][:12]} is not valid base64") from None
        if len(data) != a["size"] or len(data) > ATTACHMENT_LIMIT:
            raise ValueError(f"attached file {a['sha256'][:12]} is not the size it declares")
        if hashlib.sha256(data).hexdigest() != a["sha256"]:
            raise ValueError(f"attached file {a['sha256'][:12]} does not match its checksum")
        files.append({"sha256": a["sha256"], "name": a["name"], "size": len(data), "data": data})
    return rows, files


def _quarantine(hub: Hub, path: Path, package_id: str, sha: str) -> MergeOutcome:
    with hub.transaction() as conn:
        hub.record_quarantine(
            conn,
            {"sha256": sha, "package_id": package_id, "file_name": path.name,
             "seen_at": now()},
        )  # fmt: skip
    return MergeOutcome(
        path.name, QUARANTINED,
        "a package with this id was merged before with different content", package_id,
    )  # fmt: skip


def _receipt(lead: Fieldwork, shared: Path, opened: reader.OpenedPackage, public: str) -> None:
    from probdesk.packages.writer import package_file_name

    name = package_file_name("receipt", opened.package_id)
    if (shared / RECEIPTS_FOLDER / name).exists():
        return
    try:
        lead.write_receipt(shared, opened, unb64(public, size=32))
    except (PackageError, OSError) as exc:  # the merge stands; the receipt comes next time
        log.warning("receipt not written: %s", type(exc).__name__)


EXPORT_FIELDS = ("region", "pdu", "case_ref", "variant", "question_id", "key_question",
                 "applicable", "answer", "assessor", "assessor_role", "status", "moderation",
                 "moderated_by")  # fmt: skip


def export_rows(hub: Hub, inspection_id: str, with_notes: bool) -> list[dict[str, object]]:
    """One row per case and question of its variant, for a spreadsheet."""
    qs, hub_cases = load_cases(hub, inspection_id)
    roles = hub.device_roles()
    decisions = hub.moderation_of(inspection_id)
    rows: list[dict[str, object]] = []
    for c in hub_cases:
        applicable = qs.applicable(c.variant, c.facts, c.answers)
        for s in qs.sections_for(c.variant):
            for q in s.questions:
                value = c.answers.get(q.id)
                shown = ";".join(value) if isinstance(value, tuple) else value
                row: dict[str, object] = {
                    "region": c.region, "pdu": c.pdu, "case_ref": c.reference,
                    "variant": c.variant or "", "question_id": q.id,
                    "key_question": "yes" if q.is_key else "no",
                    "applicable": "yes" if q.id in applicable else "no",
                    "answer": "" if shown is None else shown,
                    "assessor": c.assessor, "assessor_role": roles.get(c.assessor, ""),
                    "status": c.status,
                    "moderation": decisions[c.id].action if c.id in decisions else "",
                    "moderated_by": decisions[c.id].moderator if c.id in decisions else "",
                }  # fmt: skip
                if with_notes:
                    row["note"] = c.notes.get(q.id, "")
                rows.append(row)
    return rows


def write_export(rows: Sequence[dict[str, object]], fmt: str, out: Path, with_notes: bool) -> Path:
    """Write the rows as CSV, whole or not at all: the file appears under its name only once
    written (an interrupted or failed export leaves nothing there). No cell is ever a
    formula (probdesk.domain.cells). XLSX is the analysts' workbook (services/workbook.py)."""
    if fmt != "csv":
        raise InputError("The long rows are written as csv; xlsx is the analysts' workbook.")
    fields = [*EXPORT_FIELDS, *(["note"] if with_notes else [])]
    buf = io.StringIO()
    # CRLF rows (RFC 4180): a note's own line breaks, \r alone included, are quoted.
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(fields)
    for r in rows:
        w.writerow([safe_cell(r.get(f, "")) for f in fields])
    return _write_whole(out, buf.getvalue().encode("utf-8-sig"))


def _write_whole(out: Path, data: bytes) -> Path:
    try:
        return atomic_write(out, data, mode=0o600, parents=True)
    except OSError as exc:
        why = full_disk(out) or f"{exc.strerror or exc}"
        raise EnvironmentProblem(f"Cannot write {out}: {why}. Nothing was written there.") from exc


# -- domain one evidence -----------------------------------------------------------------------


def hub_attachment(hub: Hub, sha256: str) -> bytes:
    """An attached file merged into the hub, checked against its SHA-256."""
    row = hub.attachment(sha256)
    if row is None:
        raise InputError(f"The hub holds no attached file with SHA-256 {sha256}.")
    data = row.data
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(f"The attached file {sha256[:12]} in the hub does not match its checksum.")
    return data


# -- moderation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationResult:
    case_ref: str
    action: str
    sendback: Path | None  # the pack that carries a return to the assessor's (first) laptop
    sendbacks: tuple[Path, ...] = ()  # one per enrolled laptop of the assessor


def moderate(
    hub: Hub,
    lead: Fieldwork,
    inspection_id: str,
    case_ref: str,
    action: str,
    comment: str,
    shared: Path | None = None,
    question_id: str | None = None,
) -> ModerationResult:
    """Approve a case, or return it with comments to its assessor (a send-back pack); with
    `question_id`, the return's comment is on that question of the case.

    Every decision is kept, with who made it and when; the latest one stands.
    """
    import uuid

    if action not in ("approved", "returned"):
        raise InputError("Moderation is approve or return.")
    if action == "returned" and not comment.strip():
        raise InputError("Say what the assessor should look at again when returning a case.")
    found = [c for c in hub.cases_of(inspection_id) if c.reference.lower() == case_ref.lower()]
    if not found:
        raise InputError(f"No case {case_ref} in the hub for this inspection.")
    case = found[0]
    if question_id is not None:
        if action != "returned":
            raise InputError("Only a return's comment can be on one question.")
        _check_question(hub, inspection_id, case_ref, question_id)
    moderator = lead.ws.device().assessor or "team lead"
    packs: tuple[Path, ...] = ()
    if action == "returned":
        if shared is None:
            raise InputError("Returning a case needs the shared folder for its send-back pack.")
        devices = _case_devices(hub, inspection_id, case, "nothing to return")
        note = SendbackComment(case.id, comment.strip(), question_id)
        packs = tuple(
            lead.create_sendback(inspection_id, device_id, [note], [case.id], shared, moderator)
            for device_id in devices
        )
        record_sent(hub, inspection_id, [note], moderator, "return")
    # The latest decision stands: each is stamped after the case's last one (to the
    # microsecond, and never before it should the clock step back), so two decisions taken
    # within a second keep their order.
    last = hub.moderation_of(inspection_id).get(case.id)
    at = datetime.now()
    if last is not None and at <= last.at:
        at = last.at + timedelta(microseconds=1)
    hub.add_moderation({
        "id": str(uuid.uuid4()), "case_id": case.id, "action": action,
        "moderator": moderator, "comment": comment.strip(), "at": at,
    })  # fmt: skip
    return ModerationResult(case.reference, action, packs[0] if packs else None, packs)


@dataclass(frozen=True)
class QuestionCommentResult:
    case_ref: str
    question_id: str
    sendbacks: tuple[Path, ...]  # one per enrolled laptop of the assessor


def comment_on_question(
    hub: Hub,
    lead: Fieldwork,
    inspection_id: str,
    case_ref: str,
    question_id: str,
    text: str,
    shared: Path | None,
) -> QuestionCommentResult:
    """A comment on one question of a case, sent to its assessor's laptops in a send-back
    pack (it shows at that question there). The case's status does not change."""
    if not text.strip():
        raise InputError(f"Write the comment on {question_id} for the assessor.")
    found = [c for c in hub.cases_of(inspection_id) if c.reference.lower() == case_ref.lower()]
    if not found:
        raise InputError(f"No case {case_ref} in the hub for this inspection.")
    case = found[0]
    _check_question(hub, inspection_id, case_ref, question_id)
    if shared is None:
        raise InputError("A comment needs the shared folder for its send-back pack.")
    devices = _case_devices(hub, inspection_id, case, "no comment was sent")
    author = lead.ws.device().assessor or "team lead"
    note = SendbackComment(case.id, text.strip(), question_id)
    packs = tuple(
        lead.create_sendback(inspection_id, device_id, [note], [], shared, author)
        for device_id in devices
    )
    record_sent(hub, inspection_id, [note], author, "comment")
    return QuestionCommentResult(case.reference, question_id, packs)


def record_sent(
    hub: Hub, inspection_id: str, notes: Sequence[SendbackComment], author: str, kind: str
) -> None:
    """Keep in the hub the comments just sent on cases (those on the assessor's work as a
    whole have no case to reply in), so that the case view reads each beside its replies,
    and a comment on a question with the clock of the answer it saw."""
    at = datetime.now()

    def seen(n: SendbackComment) -> str | None:
        if n.case_id is None or n.question_id is None:
            return None
        answers = [e.hlc for e in hub.events_of_case(n.case_id) if e.question_id == n.question_id]
        return max(answers, default=None)

    hub.add_comments([
        {"id": n.id, "inspection_id": inspection_id, "case_id": n.case_id,
         "question_id": n.question_id, "author": author, "text": n.text, "kind": kind,
         "sent_at": at, "seen_hlc": seen(n)}
        for n in notes
        if n.case_id is not None
    ])  # fmt: skip


def _check_question(hub: Hub, inspection_id: str, case_ref: str, question_id: str) -> None:
    insp = hub.inspection(inspection_id)
    text = hub.question_set_text(insp.qs_hash) if insp is not None else None
    if insp is None or text is None:
        raise InputError("The hub does not hold this inspection's question set.")
    if not _parsed(insp.qs_hash, text).has_question(question_id):
        raise InputError(
            f"There is no question {question_id!r} in this inspection's question set; "
            f"nothing was sent for case {case_ref}."
        )


def _case_devices(hub: Hub, inspection_id: str, case: CaseRow, nothing: str) -> list[str]:
    """The laptops a case's send-back pack goes to: every one enrolled for its assessor, or
    else the one that answered it most recently."""
    devices = _member_devices(hub, inspection_id, case.assessor)
    if not devices:
        latest = _device_of(hub, case.id)
        devices = [latest] if latest is not None else []
    if not devices:
        raise InputError(f"No laptop has sent answers for {case.reference} yet; {nothing}.")
    return devices


def _member_devices(hub: Hub, inspection_id: str, member: str) -> list[str]:
    """Every laptop enrolled for the member in this inspection (comments go to each)."""
    return sorted(
        s.device_id
        for (insp, _public), s in hub.key_states().items()
        if insp == inspection_id and s.member == member and s.enrolled
    )


def _device_of(hub: Hub, case_id: str) -> str | None:
    """The laptop that answered a case most recently."""
    mine = hub.events_of_case(case_id)
    return max(mine, key=lambda e: e.hlc).device_id if mine else None


# -- resolving conflicts -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResolutionResult:
    case_ref: str
    question_id: str
    value: object
    sendbacks: tuple[Path, ...]


def resolve_conflict(
    hub: Hub,
    lead: Fieldwork,
    inspection_id: str,
    case_ref: str,
    question_id: str,
    keep: int = 1,
    both_notes: bool = False,
    shared: Path | None = None,
) -> ResolutionResult:
    """Settle a conflict: keep answer `keep` (1 = the one shown first), with its note or both.

    The decision is a new answer event from the team lead's laptop that supersedes the others
    (they stay in the hub); with `shared`, a send-back pack carries it to each laptop involved.
    """
    import uuid

    from probdesk.domain.hlc import HLC

    case = next(
        (c for c in hub.cases_of(inspection_id) if c.reference.lower() == case_ref.lower()),
        None,
    )
    if case is None:
        raise InputError(f"No case {case_ref} in the hub for this inspection.")
    if ce.valid_field(question_id) and not _sample(hub, inspection_id).qs.has_question(question_id):
        return _settle_field(hub, lead, inspection_id, case, question_id, keep, shared)
    of_case = hub.events_of_case(case.id)
    settled = settled_events(hub, inspection_id, of_case)
    evs = [e for e in of_case if e.question_id == question_id and e.id not in settled]
    replaced = {e.replaces for e in evs if e.replaces}
    open_heads = sorted((e for e in evs if e.id not in replaced), key=lambda e: e.hlc, reverse=True)
    if len(open_heads) < 2:
        raise InputError(f"There is no undecided conflict on {question_id} of case {case_ref}.")
    if not 1 <= keep <= len(open_heads):
        raise InputError(f"Choose an answer from 1 to {len(open_heads)}.")
    chosen = open_heads[keep - 1]
    notes = [e.note for e in open_heads if e.note]
    note = "\n\n".join(dict.fromkeys(notes)) if both_notes else chosen.note
    lead.ws.clock.observe(HLC.parse(open_heads[0].hlc))  # the decision comes after them all
    with lead.ws.store.unit_of_work() as uow:
        seq, hlc = lead.ws.next_event(uow)
    moderator = lead.ws.device().assessor or "team lead"
    event = {
        "id": str(uuid.uuid4()), "case_id": case.id, "question_id": question_id,
        "value": chosen.answer, "note": note, "device_id": lead.ws.device_id,
        "seq": seq, "hlc": hlc, "replaces": chosen.id, "qs_id": chosen.qs_id,
        "qs_version": chosen.qs_version, "recorded_at": now().isoformat(),
        "author": moderator,
    }  # fmt: skip
    hub.add_resolution(
        {**event, "value": chosen.value},
        {
            "event_id": event["id"], "case_id": case.id, "question_id": question_id,
            "superseded": json.dumps(sorted(e.id for e in open_heads if e is not chosen)),
            "moderator": moderator, "at": now(),
        },
    )  # fmt: skip
    packs: list[Path] = []
    if shared is not None:
        for device_id in sorted({e.device_id for e in open_heads} - {lead.ws.device_id}):
            packs.append(lead.create_sendback(
                inspection_id, device_id,
                [SendbackComment(case.id, f"The team lead settled answers given on two "
                                          f"laptops to {question_id}: {event['value']} stands.")],
                [], shared, moderator, resolutions=[event],
            ))  # fmt: skip
    return ResolutionResult(case.reference, question_id, event["value"], tuple(packs))


def _settle_field(
    hub: Hub,
    lead: Fieldwork,
    inspection_id: str,
    case: CaseRow,
    name: str,
    keep: int,
    shared: Path | None,
) -> ResolutionResult:
    """Settle concurrent changes to one field of a case: the team lead's case event, kept on
    the lead's laptop (the lead's next change replaces it) and in the hub, that settles
    every head; with `shared`, a send-back pack carries it to each laptop involved."""
    import uuid

    from probdesk.domain.hlc import HLC

    with hub.transaction() as conn:
        events = hub.case_events_in(conn, [case.id])
    state = ce.fold(events).get(case.id, {}).get(name)
    label = ce.field_label(name)
    if state is None or not state.conflict:
        raise InputError(f"There is no undecided conflict on {label} of case {case.reference}.")
    if not 1 <= keep <= len(state.heads):
        raise InputError(f"Choose a value from 1 to {len(state.heads)}.")
    chosen = state.heads[keep - 1]
    lead.ws.clock.observe(HLC.parse(state.winner.hlc))  # the decision comes after them all
    moderator = lead.ws.device().assessor or "team lead"
    with lead.ws.store.unit_of_work() as uow:
        seq, hlc = lead.ws.next_event(uow)
        decision = CaseEvent(
            str(uuid.uuid4()), case.id, name, chosen.value, lead.ws.device_id, seq, hlc,
            None, tuple(sorted(h.id for h in state.heads)), moderator, now().isoformat(),
        )  # fmt: skip
        if uow.cases.get(case.id) is not None:
            uow.case_events.add([decision])
            lead.ws.project_cases(uow, [case.id])
        lead.ws.audit_in(uow, "conflict_resolved", "case", case.id, name)
    qs = _sample(hub, inspection_id).qs
    with hub.transaction() as conn:
        hub.add_case_events(conn, [_hub_case_event_row(inspection_id, decision)])
        _project(hub, conn, qs, {case.id})
    packs: list[Path] = []
    if shared is not None:
        devices = {h.device_id for h in state.heads if h.device_id} - {lead.ws.device_id}
        for device_id in sorted(devices):
            packs.append(lead.create_sendback(
                inspection_id, device_id,
                [SendbackComment(case.id, f"The team lead settled changes made on two "
                                          f"laptops to {label}: {chosen.value} stands.")],
                [], shared, moderator, case_events=[decision],
            ))  # fmt: skip
    return ResolutionResult(case.reference, name, chosen.value, tuple(packs))
