"""Fieldwork packages: keys, setup packs, exports to the shared folder, receipts, send-back packs.

Packages are cumulative: an export holds every event this device has recorded for the
inspection, so a lost or skipped package never loses anything; the hub keeps the union.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from probdesk.domain import case_events as ce
from probdesk.domain import tamper
from probdesk.domain.hlc import HLC
from probdesk.domain.records import (
    AnswerEvent,
    Assessor,
    Case,
    CaseStatus,
    Comment,
    Inspection,
    KnownDevice,
    OutboxPackage,
    RecipientKey,
)
from probdesk.domain.words import plural
from probdesk.errors import EnvironmentProblem, InputError, OperationCancelled, ProbdeskError
from probdesk.fs import atomic_write, private_folder
from probdesk.packages import enrolment, reader, wire, writer
from probdesk.packages.format import PackageError
from probdesk.packages.keys import Recipient, b64, fingerprint, key_id, unb64
from probdesk.packages.wire import EVENTS_SCHEMA, RECEIPT_SCHEMA, SENDBACK_SCHEMA, SETUP_SCHEMA
from probdesk.passphrases import check_passphrase
from probdesk.paths import Paths
from probdesk.progress import Cancelled, Progress, never, quiet

if TYPE_CHECKING:
    from probdesk.services.qs_move import CaseMove
    from probdesk.store.repositories import UnitOfWork
from probdesk.services.workspace import (
    KEYS_FOLDER,
    RECOVERY_FILE,
    Workspace,
    _now,
    device_keys,
    recovery_public,
)

log = logging.getLogger("probdesk.fieldwork")


RECEIPTS_FOLDER = "receipts"
CODES_FILE = "enrolment-codes.json"  # the team lead's: one code per member per inspection
PROOF_FILE = "enrolment.json"  # a laptop's: the proof it sends, per inspection
PASSPHRASE_ROLE = "assessor"  # the setup pack's passphrase key stands for every assessor


# -- keys ------------------------------------------------------------------------------------


def set_recovery_public(paths: Paths, public_b64: str) -> bytes:
    """Configure the organisation's recovery key on this machine; the data key is sealed to
    it too (at once when it is unlocked, else at the next opening)."""
    from probdesk.store import datakey

    raw = unb64(public_b64.strip(), size=32, what="recovery public key")
    private_folder(paths.config)
    atomic_write(paths.config / RECOVERY_FILE, (b64(raw) + "\n").encode("utf-8"))
    if datakey.key_file(paths.data).exists():
        datakey.unlock(paths.data, recovery_public=raw)
    return raw


def _read_secret(path: Path) -> dict[str, Any]:
    """A small JSON file kept beside the device keys (codes, proofs); {} when there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise EnvironmentProblem(f"{path}: cannot be read ({exc}); nothing was changed.") from exc
    if not isinstance(data, dict):
        raise EnvironmentProblem(f"{path}: is not a probdesk enrolment file; nothing was changed.")
    return data


def _write_secret(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8")
    private_folder(path.parent)  # the 0700 keys folder: the file is as secret as the keys
    atomic_write(path, text, mode=0o600)


def passphrase_key(passphrase: str, salt: bytes) -> X25519PrivateKey:
    """The setup pack's key, derived from a passphrase the team lead gives the assessors."""
    seed = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))
    return X25519PrivateKey.from_private_bytes(seed)


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    package_id: str
    outbox_path: Path
    shared_path: Path | None
    counts: dict[str, int]
    copy_problem: str | None = None  # the shared folder could not be written: kept in outbox


@dataclass(frozen=True)
class SetupResult:
    inspection: Inspection
    added: int
    updated: int
    already_opened: bool
    lead_fingerprint: str
    moved_from: str = ""  # the question-set version this laptop moved from, if it moved
    moved: tuple[CaseMove, ...] = ()  # what the move did to each case held here

    @property
    def to_review(self) -> list[str]:
        """One line per case whose assessor should look again after the move."""
        from probdesk.services.qs_move import review_words

        return review_words(self.moved)


@dataclass(frozen=True)
class SendbackComment:
    """A comment for a send-back pack: on a case (None: on the assessor's work as a whole),
    and with `question_id` on one question of that case."""

    case_id: str | None
    text: str
    question_id: str | None = None
    # The same id in every laptop's pack (the assessor's replies name it; the hub keeps it).
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class SendbackResult:
    inspection_id: str
    comments: int
    returned: int
    already_opened: bool
    closed: bool = False  # the pack says the team lead closed the inspection


@dataclass(frozen=True)
class ExportSeen:
    """An assessor's export found in the shared folder by the team lead (not merged here)."""

    path: Path
    package_id: str
    device_id: str
    name: str
    role: str
    fingerprint: str
    counts: dict[str, int]
    problem: str | None = None


@dataclass(frozen=True)
class IncomingPack:
    path: Path
    kind: str
    package_id: str
    inspection_id: str
    signer_fingerprint: str
    opened: bool
    problem: str | None = None


class CopyCancelled(OperationCancelled):
    """Cancel was pressed during Copy pending, and it stopped before the next package: each
    copy is whole (written aside, then renamed), so those copied stay copied (`copied`) and the
    rest wait in the outbox for the next Copy pending."""

    def __init__(self, copied: Sequence[Path], total: int) -> None:
        self.copied = list(copied)
        self.total = total
        done, left = len(self.copied), total - len(self.copied)
        ProbdeskError.__init__(
            self,
            f"Copying cancelled after {done} of {total} package{'' if total == 1 else 's'}: "
            f"the other {left} {'waits' if left == 1 else 'wait'} in the outbox; Copy pending "
            "copies them.",
        )


def _iso(d: object) -> object:
    return d.isoformat() if isinstance(d, date | datetime) else d


class Fieldwork:
    """Package work for one device: what it sends, what it receives."""

    def __init__(self, workspace: Workspace, paths: Paths) -> None:
        self.ws = workspace
        self.paths = paths
        self.keys = workspace.keys or device_keys(paths)
        if workspace.keys is None:
            workspace.sign_with(self.keys)

    # -- identity -------------------------------------------------------------------------
    def fingerprints(self) -> dict[str, str]:
        out = {
            "signing": fingerprint(self.keys.signing_public),
            "encryption": fingerprint(self.keys.encryption_public),
        }
        rec = recovery_public(self.paths)
        if rec is not None:
            out["recovery"] = fingerprint(rec)
        return out

    # -- enrolment (see probdesk.packages.enrolment) ------------------------------------------
    def _codes_path(self) -> Path:
        return self.paths.data / KEYS_FOLDER / CODES_FILE

    def enrolment_codes(self, inspection_id: str) -> dict[str, str]:
        """The team lead's enrolment code of each team member (made for members without one).

        Each member gets theirs from the lead in person or on paper; never in the shared folder.
        """
        members = [a.name for a in self.team(inspection_id)]
        data = _read_secret(self._codes_path())
        codes: dict[str, str] = dict(data.get(inspection_id, {}))
        missing = [m for m in members if m not in codes]
        if missing:
            for member in missing:
                codes[member] = enrolment.normalise_code(enrolment.new_code())
            data[inspection_id] = codes
            _write_secret(self._codes_path(), data)
            self.ws.audit("make_enrolment_codes", "inspection", inspection_id, f"{len(missing)}")
        return {m: enrolment.format_code(codes[m]) for m in members}

    def replace_enrolment_code(self, inspection_id: str, member: str) -> str:
        """A new code for one member (the old one was lost or seen by someone else).

        Keys already enrolled stay enrolled; the old code enrols nothing more.
        """
        if member not in {a.name for a in self.team(inspection_id)}:
            raise InputError(f"{member!r} is not on this inspection's team.")
        data = _read_secret(self._codes_path())
        codes = dict(data.get(inspection_id, {}))
        codes[member] = enrolment.normalise_code(enrolment.new_code())
        data[inspection_id] = codes
        _write_secret(self._codes_path(), data)
        self.ws.audit("replace_enrolment_code", "inspection", inspection_id, "")
        return enrolment.format_code(codes[member])

    def known_enrolment_codes(self, inspection_id: str) -> dict[str, str]:
        """Member -> code as stored, without making any (the hub checks proofs with these)."""
        return dict(_read_secret(self._codes_path()).get(inspection_id, {}))

    def _proof_path(self) -> Path:
        return self.paths.data / KEYS_FOLDER / PROOF_FILE

    def enrol(self, inspection_id: str, member: str, code: str) -> None:
        """Keep the proof that this laptop's key speaks for `member` (sent in every export).

        The code itself is not kept. Raises InputError for a code mistyped (its last character
        is a check) and EnvironmentProblem when the file cannot be written.
        """
        try:
            clean = enrolment.normalise_code(code)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        device = self.ws.device()
        data = _read_secret(self._proof_path())
        data[inspection_id] = {
            "member": member,
            "proof": enrolment.proof(
                clean, inspection_id=inspection_id, member=member, device_id=device.id,
                signing_public=self.keys.signing_public,
            ),
        }  # fmt: skip
        _write_secret(self._proof_path(), data)
        self.ws.audit("enrol", "inspection", inspection_id, "")

    def enrolment(self, inspection_id: str) -> dict[str, str] | None:
        """{"member", "proof"} this laptop sends for the inspection, or None when not enrolled."""
        found = _read_secret(self._proof_path()).get(inspection_id)
        if isinstance(found, dict) and isinstance(found.get("proof"), str):
            return {"member": str(found.get("member", "")), "proof": found["proof"]}
        return None

    def _recipients(self, inspection_id: str) -> list[Recipient]:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            keys = uow.team.recipients(inspection_id)
        out = {k.key_id: Recipient(k.name, k.role, unb64(k.public, size=32)) for k in keys}
        rec = recovery_public(self.paths)
        if rec is not None:
            out.setdefault(key_id(rec), Recipient("Recovery", "recovery", rec))
        if not any(r.role == "team_lead" for r in out.values()):
            raise InputError(
                "This inspection has no team lead key to encrypt exports to. Open the setup "
                "pack from your team lead first (it carries the team's keys)."
            )
        return list(out.values())

    # -- export (assessor) ----------------------------------------------------------------
    def build_events_payload(self, inspection_id: str) -> tuple[dict[str, Any], dict[str, int]]:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            # One snapshot: seq_to is exactly what the payload holds, even while answers are
            # being saved (a change saved during an export waits for the next package).
            device = uow.devices.get()
            assert device is not None
            cases = uow.cases.for_inspection(inspection_id)
            case_events = uow.case_events.for_inspection(inspection_id, device.id)
            answers = uow.answers.by_device(inspection_id, device.id)
            meetings = uow.meetings.for_inspection(inspection_id)
            notes = uow.meetings.notes_by_device(inspection_id, device.id)
            org_events = uow.org.by_device(inspection_id, device.id)
            # An attached file travels until a receipt says the hub merged a package that
            # carried it: every package up to a receipted one's seq_to carried (or had already
            # had acknowledged) the files of the documents logged up to then. Packages stay
            # cumulative for events; the files, up to 10 MB each, are not sent for ever.
            merged_to = max(
                (p.seq_to for p in uow.packages.outbox(inspection_id)
                 if p.kind == "events" and p.receipt_at is not None),
                default=0,
            )  # fmt: skip
            first_seq: dict[str, int] = {}
            for e in org_events:
                sha = e.payload.get("attachment_sha256") if e.kind == "document" else None
                if sha:
                    first_seq[str(sha)] = min(first_seq.get(str(sha), e.seq), e.seq)
            shas = sorted(sha for sha, seq in first_seq.items() if seq > merged_to)
            files = [(sha, uow.org.attachment(sha)) for sha in shas]
            # The signed head of this device's chain for the inspection, read with the rows.
            signed = uow.chains.signed_head(inspection_id)
        attachments = [
            {"sha256": sha, "name": found[0], "size": len(found[1]), "data": b64(found[1])}
            for sha, found in files
            if found is not None
        ]
        payload = {
            "device_id": device.id,
            "inspection_id": inspection_id,
            "device": {"name": device.assessor, "role": device.role},
            "seq_to": device.last_seq,
            "cases": [
                {
                    "id": c.id,
                    "reference": c.reference,
                    "pdu": c.pdu,
                    "facts": c.facts,
                    "variant": c.variant,
                    "assessor": c.assessor,
                    "status": c.status.value,
                    "updated_hlc": c.updated_hlc,
                }
                for c in cases
            ],
            "case_events": [wire.case_event_out(e) for e in case_events],
            "answers": [
                {k: _iso(v) for k, v in e.__dict__.items()}
                | {"value": list(e.value) if isinstance(e.value, tuple) else e.value}
                for e in answers
            ],
            "meetings": [
                {
                    "id": m.id,
                    "kind": m.kind.value,
                    "held_on": m.held_on.isoformat(),
                    "title": m.title,
                    "questions": list(m.questions),
                    "groups": [
                        {"group_id": g.group_id, "head_count": g.head_count} for g in m.groups
                    ],
                }
                for m in meetings
            ],
            "meeting_notes": [{k: _iso(v) for k, v in n.__dict__.items()} for n in notes],
            "org_events": [
                {k: _iso(v) for k, v in e.__dict__.items() if k != "inspection_id"}
                | {"payload": dict(e.payload)}
                for e in org_events
            ],
            "attachments": attachments,
        }
        if signed is not None:
            payload["chain"] = tamper.head_out(*signed)
        proof = self.enrolment(inspection_id)
        if proof is not None:  # without it the hub holds the package until the lead enrols us
            payload["enrolment"] = proof
        counts = {
            "cases": len(cases),
            "answers": len(answers),
            "meetings": len(meetings),
            "meeting_notes": len(notes),
        }
        if case_events:  # named only when there are some: older readers list every count
            counts["case_changes"] = len(case_events)
        if org_events:
            counts["evidence_events"] = len(org_events)
            counts["attachments"] = len(attachments)
        return payload, counts

    def export(
        self,
        inspection_id: str,
        shared: Path | None,
        progress: Progress = quiet,
        cancelled: Cancelled = never,
    ) -> ExportResult:
        """Write a package of this device's work to the outbox, then copy it to `shared`."""
        progress(0, 4, "Collecting your answers")
        recipients = self._recipients(inspection_id)
        payload, counts = self.build_events_payload(inspection_id)
        if cancelled():
            raise OperationCancelled
        progress(1, 4, "Signing and encrypting")
        device = self.ws.device()
        seq_to = int(payload["seq_to"])  # what the package holds, not what was saved since
        package_id, data = writer.build_package(
            kind="events",
            payload=payload,
            inspection_id=inspection_id,
            device_id=device.id,
            hlc=device.last_hlc or str(self.ws.clock.last),
            counts=counts,
            extra={"seq_to": seq_to},
            signer=self.keys,
            recipients=recipients,
        )
        if cancelled():
            raise OperationCancelled
        progress(2, 4, "Writing to the outbox")
        self.paths.outbox.mkdir(parents=True, exist_ok=True)
        name = writer.package_file_name("events", package_id)
        outbox_path = writer.write_atomically(data, self.paths.outbox, name, mode=0o600)
        sha = reader.content_id(data)
        with self.ws.store.unit_of_work() as uow:
            uow.packages.add_outbox(
                OutboxPackage(
                    package_id,
                    inspection_id,
                    "events",
                    name,
                    sha,
                    seq_to,
                    _now(),
                    None,
                    None,
                    None,
                )
            )
            # What is now in a package that can reach the team lead: every change up to the
            # first one of any inspection that no package holds yet (another inspection's
            # later answers are not exported by this package).
            uow.devices.set_exported(device.id, _exported_to(uow, device.id, device.last_seq))
        log.info("package %s written to the outbox (%s events)", package_id, counts["answers"])
        shared_path: Path | None = None
        problem: str | None = None
        if shared is not None:
            progress(3, 4, "Copying to the shared folder")
            try:
                shared_path = self._copy_to_shared(package_id, outbox_path, shared)
            except (EnvironmentProblem, PackageError, OSError) as exc:
                problem = str(exc)
                log.warning("copy to the shared folder failed: %s", type(exc).__name__)
        progress(4, 4, "Done")
        return ExportResult(package_id, outbox_path, shared_path, counts, problem)

    def inspections_to_export(self) -> list[Inspection]:
        """The inspections on this laptop with changes no package holds yet, newest first."""
        with self.ws.store.unit_of_work(read_only=True) as uow:
            device = uow.devices.get()
            assert device is not None
            pending = _pending(uow, device.id)
        return [i for i in self.ws.inspections() if i.id in pending]

    def export_all(
        self,
        shared: Path | None,
        first: str | None = None,
        progress: Progress = quiet,
        cancelled: Cancelled = never,
    ) -> list[tuple[Inspection, ExportResult]]:
        """One package for each inspection with unexported work (and for `first`, the one on
        screen, even without): nothing an assessor did stays behind because another
        inspection was the one open."""
        todo = self.inspections_to_export()
        if first is not None and all(i.id != first for i in todo):
            todo.insert(0, self.ws.inspection(first))
        elif first is not None:
            todo.sort(key=lambda i: i.id != first)
        out = []
        for n, inspection in enumerate(todo):

            def step(
                done: int, total: int, text: str, n: int = n, title: str = inspection.title
            ) -> None:
                progress(n * total + done, len(todo) * total, f"{title}: {text}")

            out.append((inspection, self.export(inspection.id, shared, step, cancelled)))
        return out

    def _copy_to_shared(self, package_id: str, outbox_path: Path, shared: Path) -> Path:
        if not shared.is_dir():
            raise EnvironmentProblem(
                f"The shared folder {shared} is not reachable. The package is safe in the "
                "outbox and will be copied when the folder is back."
            )
        data = outbox_path.read_bytes()
        try:
            final = writer.write_atomically(data, shared, outbox_path.name)
        except (OSError, EnvironmentProblem) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise EnvironmentProblem(
                f"Could not copy the package to the shared folder {shared} ({why}). It is safe "
                "in the outbox: Copy pending (or `probdesk sync`) copies it later; do not "
                "export again for this."
            ) from exc
        with self.ws.store.unit_of_work() as uow:
            uow.packages.mark_copied(package_id, str(final), _now())
        return final

    def copy_pending(self, shared: Path, cancelled: Cancelled = never) -> list[Path]:
        """Copy outbox packages that have not reached the shared folder yet. `cancelled()` is
        checked before each package: then CopyCancelled, with those copied so far."""
        waiting = [
            (p.package_id, self.paths.outbox / p.file_name)
            for p in self.outbox()
            if p.copied_at is None and p.receipt_at is None
        ]
        waiting = [(package_id, path) for package_id, path in waiting if path.exists()]
        copied: list[Path] = []
        for package_id, path in waiting:
            if cancelled():
                raise CopyCancelled(copied, len(waiting))
            copied.append(self._copy_to_shared(package_id, path, shared))
        return copied

    def outbox(self, inspection_id: str | None = None) -> list[OutboxPackage]:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            return uow.packages.outbox(inspection_id)

    # -- receipts -------------------------------------------------------------------------
    def write_receipt(
        self, shared: Path, opened: reader.OpenedPackage, recipient_encryption_public: bytes
    ) -> Path:
        """After a merge: tell the package's device that its package arrived (hub side)."""
        m = opened.manifest
        device = self.ws.device()
        payload = {
            "device_id": device.id,
            "inspection_id": m["inspection_id"],
            "package_id": m["package_id"],
            "sha256": opened.sha256,
            "seq_to": int((m.get("extra") or {}).get("seq_to", 0)),
            "merged_at": _now().isoformat(),
        }
        _, data = writer.build_package(
            kind="receipt",
            payload=payload,
            inspection_id=m["inspection_id"],
            device_id=device.id,
            hlc=device.last_hlc or str(self.ws.clock.last),
            counts={},
            extra={"for_device": m["device_id"]},
            signer=self.keys,
            recipients=[Recipient("assessor", "assessor", recipient_encryption_public)],
        )
        folder = shared / RECEIPTS_FOLDER
        folder.mkdir(exist_ok=True)
        return writer.write_atomically(
            data, folder, writer.package_file_name("receipt", m["package_id"])
        )

    def check_receipts(self, shared: Path) -> int:
        """Drop outbox copies whose arrival the team lead's merge has confirmed."""
        folder = shared / RECEIPTS_FOLDER
        if not folder.is_dir():
            return 0
        pending = {p.package_id: p for p in self.outbox() if p.receipt_at is None}
        if not pending:
            return 0
        cleared = 0
        for path in reader.scan_folder(folder, depth=0):
            try:
                manifest = reader.peek_manifest(path)
            except PackageError:
                continue
            if manifest.get("kind") != "receipt":
                continue
            inspection = self._inspection_or_none(manifest["inspection_id"])
            lead = self._lead_signer(inspection) if inspection else None
            if lead is None:
                continue
            try:
                opened = reader.read_package(
                    path,
                    private_keys=[self.keys.encryption_key],
                    trusted_signers=lead,
                    expected_kind="receipt",
                    payload_schema=RECEIPT_SCHEMA,
                )
            except PackageError:
                continue
            seq_to = int(opened.payload["seq_to"])
            for p in list(pending.values()):
                confirmed = p.package_id == opened.payload["package_id"] or (
                    p.inspection_id == opened.payload["inspection_id"] and p.seq_to <= seq_to
                )
                if confirmed:
                    with self.ws.store.unit_of_work() as uow:
                        uow.packages.mark_receipt(p.package_id, _now())
                    (self.paths.outbox / p.file_name).unlink(missing_ok=True)
                    pending.pop(p.package_id)
                    cleared += 1
        return cleared

    def _inspection_or_none(self, inspection_id: str) -> Inspection | None:
        try:
            return self.ws.inspection(inspection_id)
        except InputError:
            return None

    def _lead_signer(self, inspection: Inspection) -> dict[str, bytes] | None:
        if inspection.lead_device_id is None:
            return None
        with self.ws.store.unit_of_work(read_only=True) as uow:
            known = uow.team.device(inspection.lead_device_id)
        if known is None:
            return None
        return {known.device_id: unb64(known.signing_public, size=32)}

    # -- setup packs (team lead) ----------------------------------------------------------
    def set_team(self, inspection_id: str, assessors: Sequence[Assessor]) -> None:
        names = [a.name.strip() for a in assessors]
        if any(not n for n in names):
            raise InputError("Every assessor needs a name or initials.")
        if len({n.lower() for n in names}) != len(names):
            raise InputError("Two assessors have the same name; use initials to tell them apart.")
        bad = [a.role for a in assessors if a.role not in ("inspector", "local_assessor")]
        if bad:
            raise InputError(f"Unknown assessor role {bad[0]!r}: inspector or local_assessor.")
        with self.ws.store.unit_of_work() as uow:
            uow.team.set_assessors(
                inspection_id, [Assessor(a.name.strip(), a.role) for a in assessors]
            )

    def team(self, inspection_id: str) -> list[Assessor]:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            return uow.team.assessors(inspection_id)

    def add_sample_case(
        self,
        inspection_id: str,
        reference: str,
        facts: dict[str, object],
        pdu: str | None,
        assessor: str | None,
    ) -> Case:
        return self.ws.add_case(inspection_id, reference, facts, assessor=assessor or "", pdu=pdu)

    def assign(self, case_id: str, assessor: str) -> Case:
        case = self.ws.case(case_id)
        names = {a.name for a in self.team(case.inspection_id)}
        if assessor not in names:
            raise InputError(f"{assessor!r} is not on this inspection's team.")
        with self.ws.store.unit_of_work() as uow:
            updated = self.ws.change_case(uow, case_id, {ce.ASSESSOR: assessor})
            self.ws.audit_in(uow, "assign", "case", case_id)
        return updated

    def create_setup_pack(
        self, inspection_id: str, passphrase: str, out_folder: Path, lead_name: str
    ) -> Path:
        """Write the setup pack: inspection, question set, team, assigned cases and keys."""
        inspection = self.ws.inspection(inspection_id)
        check_passphrase(passphrase, (inspection.region, inspection.pdu, lead_name))
        team = self.team(inspection_id)
        if not team:
            raise InputError("Add the assessors before writing the setup pack.")
        cases = self.ws.cases(inspection_id)
        unassigned = [c.reference for c in cases if not c.assessor]
        if unassigned:
            raise InputError(
                f"{plural(len(unassigned), 'case')} {'has' if len(unassigned) == 1 else 'have'} "
                "no assessor yet: "
                + ", ".join(unassigned[:10])
                + ("…" if len(unassigned) > 10 else "")
            )
        with self.ws.store.unit_of_work() as uow:
            stored = uow.question_sets.get(inspection.qs_hash)
            lead_events = uow.case_events.for_inspection(inspection_id)
        assert stored is not None
        device = self.ws.device()
        lead_recipient = RecipientKey(
            key_id(self.keys.encryption_public),
            lead_name,
            "team_lead",
            b64(self.keys.encryption_public),
        )
        recipients = [lead_recipient]
        rec = recovery_public(self.paths)
        if rec is not None:
            recipients.append(RecipientKey(key_id(rec), "Recovery", "recovery", b64(rec)))
        revision = inspection.setup_revision + 1
        with self.ws.store.unit_of_work() as uow:
            uow.team.set_recipients(inspection_id, recipients)
            uow.inspections.update_setup(
                Inspection(**{**inspection.__dict__, "setup_revision": revision,
                              "lead_device_id": device.id})
            )  # fmt: skip
        payload = {
            "device_id": device.id,
            "inspection_id": inspection_id,
            "revision": revision,
            "inspection": {
                "region": inspection.region,
                "pdu": inspection.pdu,
                "pdus": list(inspection.pdus) or [inspection.pdu],
                "kind": inspection.kind,
                "fieldwork_start": inspection.fieldwork_start.isoformat(),
                "fieldwork_end": inspection.fieldwork_end.isoformat(),
            },
            "question_set": {"text": stored.text, "hash": stored.content_hash},
            "assessors": [{"name": a.name, "role": a.role} for a in team],
            "cases": [
                {
                    "id": c.id,
                    "reference": c.reference,
                    "pdu": c.pdu,
                    "facts": c.facts,
                    "assessor": c.assessor,
                }
                for c in cases
            ],
            # The lead's changes as events: an assessor's later correction of a field the
            # lead did not change again stands; concurrent changes are a conflict.
            "case_events": [wire.case_event_out(e) for e in lead_events],
            "recipients": [
                {"name": r.name, "role": r.role, "public": r.public} for r in recipients
            ],
            "lead": {
                "name": lead_name,
                "signing_public": b64(self.keys.signing_public),
                "encryption_public": b64(self.keys.encryption_public),
            },
        }
        salt = os.urandom(16)
        key = passphrase_key(passphrase, salt)
        pack_recipient = Recipient(
            "assessors", PASSPHRASE_ROLE, key.public_key().public_bytes_raw()
        )
        package_id, data = writer.build_package(
            kind="setup",
            payload=payload,
            inspection_id=inspection_id,
            device_id=device.id,
            hlc=device.last_hlc or str(self.ws.clock.last),
            counts={"cases": len(cases), "assessors": len(team)},
            extra={"revision": revision, "passphrase_salt": b64(salt)},
            signer=self.keys,
            recipients=[pack_recipient],
        )
        out_folder.mkdir(parents=True, exist_ok=True)
        path = writer.write_atomically(
            data, out_folder, writer.package_file_name("setup", package_id)
        )
        self.ws.audit("write_setup_pack", "inspection", inspection_id, f"revision {revision}")
        return path

    # -- setup packs (assessor) -----------------------------------------------------------
    def open_setup_pack(
        self, path: Path, passphrase: str, assessor: str, enrolment_code: str | None = None
    ) -> SetupResult:
        """Add the inspection and this assessor's cases; a newer pack adds and updates cases.

        Answers are never touched. With the member's enrolment code (from the team lead, in
        person) this laptop's exports are merged as soon as they arrive; without one they wait
        at the hub until the lead enrols this laptop's key by its fingerprint.
        """
        if enrolment_code is not None:
            try:
                enrolment.normalise_code(enrolment_code)  # a typo stops before any change
            except ValueError as exc:
                raise InputError(str(exc)) from None
        result = self._open_setup_pack(path, passphrase, assessor)
        if enrolment_code is not None:
            self.enrol(result.inspection.id, assessor, enrolment_code)
        return result

    def _open_setup_pack(self, path: Path, passphrase: str, assessor: str) -> SetupResult:
        manifest = reader.peek_manifest(path)
        if manifest.get("kind") != "setup":
            raise PackageError(path.name, "wrong_kind", "This is not a setup pack")
        salt = unb64((manifest.get("extra") or {}).get("passphrase_salt", ""), what="salt")
        existing = self._inspection_or_none(manifest["inspection_id"])
        trusted = self._lead_signer(existing) if existing else None
        try:
            opened = reader.read_package(
                path,
                private_keys=[passphrase_key(passphrase, salt)],
                trusted_signers=trusted,
                expected_kind="setup",
                payload_schema=SETUP_SCHEMA,
            )
        except PackageError as exc:
            if exc.reason in ("not_a_recipient", "decrypt_failed"):
                raise InputError(
                    f"{path.name}: the passphrase does not open this setup pack. Check it with "
                    "your team lead."
                ) from exc
            raise
        p = opened.payload
        names = {a["name"]: a["role"] for a in p["assessors"]}
        if assessor not in names:
            raise InputError(
                f"{assessor!r} is not on this inspection's team; the team is: "
                + ", ".join(sorted(names))
            )
        with self.ws.store.unit_of_work() as uow:
            seen = uow.packages.opened(opened.package_id)
        lead_fp = opened.signer_fingerprint
        if seen is not None:
            insp = self.ws.inspection(p["inspection_id"])
            return SetupResult(insp, 0, 0, True, lead_fp)
        if existing is not None and existing.setup_revision >= p["revision"]:
            raise InputError(
                f"{path.name} is revision {p['revision']} of the setup, but revision "
                f"{existing.setup_revision} is already open here; nothing was changed."
            )
        return self._apply_setup(opened, assessor, names[assessor], existing, lead_fp)

    def _apply_setup(
        self,
        opened: reader.OpenedPackage,
        assessor: str,
        role: str,
        existing: Inspection | None,
        lead_fp: str,
    ) -> SetupResult:
        from probdesk.domain import loader

        p = opened.payload
        qs = loader.parse_text(p["question_set"]["text"], "setup pack question set")
        old_qs = (
            self.ws.question_set(existing)
            if existing is not None and existing.qs_hash != qs.content_hash
            else None
        )
        moved: tuple[CaseMove, ...] = ()
        info = p["inspection"]
        inspection = Inspection(
            p["inspection_id"], info["region"], info["pdu"],
            date.fromisoformat(info["fieldwork_start"]), date.fromisoformat(info["fieldwork_end"]),
            qs.id, qs.version, qs.content_hash, existing.created_at if existing else _now(),
            tuple(info["pdus"]), p["device_id"], p["revision"],
            info.get("kind", "pdu") if info.get("kind") in ("pdu", "region") else "pdu",
        )  # fmt: skip
        mine = [c for c in p["cases"] if c["assessor"] == assessor]
        added = updated = 0
        try:  # what this laptop does from now on sorts after the lead's setup (assignments)
            self.ws.clock.observe(HLC.parse(str(opened.manifest["hlc"])))
        except ValueError:
            log.warning("setup pack clock not readable; this laptop's clock is kept")
        with self.ws.store.unit_of_work() as uow:
            uow.question_sets.put(
                qs.content_hash, qs.id, qs.version, qs.title, p["question_set"]["text"]
            )
            if existing is None:
                uow.inspections.add(inspection)
            else:
                uow.inspections.update_setup(inspection)
            uow.team.set_assessors(
                inspection.id, [Assessor(a["name"], a["role"]) for a in p["assessors"]]
            )
            uow.team.set_recipients(
                inspection.id,
                [
                    RecipientKey(
                        key_id(unb64(r["public"], size=32)), r["name"], r["role"], r["public"]
                    )
                    for r in p["recipients"]
                ],
            )
            lead = p["lead"]
            uow.team.remember_device(
                KnownDevice(p["device_id"], lead["name"], "team_lead", lead["signing_public"],
                            lead["encryption_public"], _now())
            )  # fmt: skip
            device = uow.devices.get()
            assert device is not None
            if not device.assessor:
                uow.devices.set_identity(device.id, assessor, role)
            held = {c.id for c in uow.cases.for_inspection(inspection.id)}
            for c in mine:
                if c["id"] in held:
                    updated += 1
                    continue
                clash = uow.cases.by_reference(inspection.id, c["reference"])
                if clash is not None:
                    raise InputError(
                        f"Case {c['reference']} in the setup pack clashes with a case "
                        "you added yourself; nothing was changed."
                    )
                uow.cases.add(
                    Case(c["id"], inspection.id, c["reference"], {}, None, "",
                         CaseStatus.NOT_STARTED, _now(), None),
                    "",
                )  # fmt: skip
                held.add(c["id"])
                added += 1
            # The lead's changes are events folded with this laptop's own: a fact corrected
            # here and not changed again by the lead keeps the correction (never overwritten).
            uow.case_events.add([e for e in wire.setup_case_events(p) if e.case_id in held])
            self.ws.project_cases(uow, sorted(held))
            if old_qs is not None:  # the lead moved the inspection to a new version
                from probdesk.services.qs_move import follow_in

                moved = follow_in(self.ws, uow, inspection, old_qs, qs)
                self.ws.audit_in(
                    uow, "move_question_set", "inspection", inspection.id,
                    f"{old_qs.version} -> {qs.version}",
                )  # fmt: skip
            uow.packages.record_opened(
                opened.package_id, opened.sha256, "setup", inspection.id, p["device_id"], _now()
            )
            self.ws.audit_in(
                uow, "open_setup_pack", "inspection", inspection.id, f"revision {p['revision']}"
            )
        self.ws._qs_cache[qs.content_hash] = qs
        return SetupResult(
            self.ws.inspection(inspection.id), added, updated, False, lead_fp,
            old_qs.version if old_qs is not None else "", moved,
        )  # fmt: skip

    def read_exports(
        self, shared: Path, inspection_id: str, cancelled: Cancelled = never
    ) -> list[ExportSeen]:
        """Verify the assessors' exports for an inspection and remember their devices' keys.

        Nothing is merged here (that is the hub's work): this is how the team lead learns
        which laptops exist, so that comments can be sent back to them. `cancelled()` is
        checked before each file (OperationCancelled): the keys learnt so far stay learnt.
        """
        seen: list[ExportSeen] = []
        with self.ws.store.unit_of_work(read_only=True) as uow:
            known = {d.device_id: d for d in uow.team.devices()}
        for path in reader.scan_folder(shared, depth=1):
            if cancelled():
                raise OperationCancelled
            try:
                m = reader.peek_manifest(path)
            except PackageError as exc:
                seen.append(ExportSeen(path, "", "", "", "", "", {}, str(exc)))
                continue
            if m.get("kind") != "events" or m.get("inspection_id") != inspection_id:
                continue
            device_id = str(m["device_id"])
            trusted = (
                {device_id: unb64(known[device_id].signing_public, size=32)}
                if device_id in known
                else None
            )
            try:
                opened = reader.read_package(
                    path,
                    private_keys=[self.keys.encryption_key],
                    trusted_signers=trusted,
                    expected_kind="events",
                    payload_schema=EVENTS_SCHEMA,
                )
            except PackageError as exc:
                seen.append(ExportSeen(path, m["package_id"], device_id, "", "", "", {}, str(exc)))
                continue
            who = opened.payload["device"]
            signer = opened.manifest["signer"]
            name = str(who.get("name", ""))
            if device_id not in known and not self._proven(opened, inspection_id, name):
                # Only an enrolled laptop gets comments: never the newest self-declared one.
                seen.append(ExportSeen(
                    path, opened.package_id, device_id, name, str(who.get("role", "")),
                    opened.signer_fingerprint, dict(opened.manifest.get("counts", {})),
                    f"this laptop's key ({opened.signer_fingerprint}) is not enrolled for "
                    f"{name or 'anyone'}; no comments go to it until the team lead enrols it",
                ))  # fmt: skip
                continue
            if device_id not in known:
                device = KnownDevice(
                    device_id, name, str(who.get("role", "")),
                    signer["signing_public"], signer["encryption_public"], _now(),
                )  # fmt: skip
                with self.ws.store.unit_of_work() as uow:
                    uow.team.remember_device(device)
                known[device_id] = device
            seen.append(
                ExportSeen(path, opened.package_id, device_id, str(who.get("name", "")),
                           str(who.get("role", "")), opened.signer_fingerprint,
                           dict(opened.manifest.get("counts", {})))
            )  # fmt: skip
        return sorted(seen, key=lambda e: (e.name, e.path.name))

    def _proven(self, opened: reader.OpenedPackage, inspection_id: str, member: str) -> bool:
        """The export carries a valid enrolment proof for `member` (checked with our code)."""
        claim = opened.payload.get("enrolment")
        code = self.known_enrolment_codes(inspection_id).get(member)
        if not isinstance(claim, dict) or code is None or claim.get("member") != member:
            return False
        return enrolment.proof_matches(
            claim.get("proof"), code, inspection_id=inspection_id, member=member,
            device_id=str(opened.manifest["device_id"]),
            signing_public=unb64(opened.manifest["signer"]["signing_public"], size=32),
        )  # fmt: skip

    # -- send-back packs ------------------------------------------------------------------
    def create_sendback(
        self,
        inspection_id: str,
        to_device: str,
        comments: Sequence[SendbackComment],
        returned: Sequence[str],
        out_folder: Path,
        author: str,
        resolutions: Sequence[dict[str, Any]] = (),
        case_events: Sequence[ce.CaseEvent] = (),
        closed_at: datetime | None = None,
    ) -> Path:
        """Comments, returned cases and conflict resolutions (of answers, and of case fields
        as the lead's case events) for one assessor's device; with `closed_at`, the news that
        the lead closed the inspection (the laptop may then purge it once all is merged)."""
        with self.ws.store.unit_of_work() as uow:
            known = uow.team.device(to_device)
        if known is None:
            raise InputError(
                f"No package from device {to_device[:8]} has been seen here yet, so its key is "
                "unknown; merge its export first."
            )
        if (
            not comments
            and not returned
            and not resolutions
            and not case_events
            and (closed_at is None)
        ):
            raise InputError("Write at least one comment or return at least one case.")
        device = self.ws.device()
        payload = {
            "device_id": device.id,
            "inspection_id": inspection_id,
            "to_device": to_device,
            "author": author,
            "comments": [
                {
                    "id": c.id,
                    "case_id": c.case_id,
                    "text": c.text,
                    "created_at": _now().isoformat(),
                }
                # optional: packs without it read as before (a comment on the whole case)
                | ({"question_id": c.question_id} if c.question_id is not None else {})
                for c in comments
            ],
            "returned": list(returned),
            "resolutions": list(resolutions),
            "case_events": [wire.case_event_out(e) for e in case_events],
        }
        if closed_at is not None:  # optional: packs without it read as before
            payload["closed_at"] = closed_at.isoformat()
        recipients = [
            Recipient(known.name or "assessor", "assessor", unb64(known.encryption_public, size=32))
        ]
        rec = recovery_public(self.paths)
        if rec is not None:
            recipients.append(Recipient("Recovery", "recovery", rec))
        package_id, data = writer.build_package(
            kind="sendback",
            payload=payload,
            inspection_id=inspection_id,
            device_id=device.id,
            hlc=device.last_hlc or str(self.ws.clock.last),
            counts={"comments": len(comments), "returned": len(returned)}
            | ({"closed": 1} if closed_at is not None else {}),
            extra={"for_device": to_device},
            signer=self.keys,
            recipients=recipients,
        )
        out_folder.mkdir(parents=True, exist_ok=True)
        return writer.write_atomically(
            data, out_folder, writer.package_file_name("sendback", package_id)
        )

    def open_sendback(self, path: Path) -> SendbackResult:
        manifest = reader.peek_manifest(path)
        inspection = self._inspection_or_none(str(manifest.get("inspection_id")))
        if inspection is None:
            raise InputError(f"{path.name} is for an inspection that is not open here.")
        lead = self._lead_signer(inspection)
        if lead is None:
            raise InputError(f"{path.name}: open the inspection's setup pack first.")
        opened = reader.read_package(
            path,
            private_keys=[self.keys.encryption_key],
            trusted_signers=lead,
            expected_kind="sendback",
            payload_schema=SENDBACK_SCHEMA,
        )
        p = opened.payload
        device = self.ws.device()
        if p["to_device"] != device.id:
            raise InputError(f"{path.name} is addressed to another assessor's laptop.")
        closed_at = None
        if p.get("closed_at") is not None:
            try:
                closed_at = datetime.fromisoformat(p["closed_at"]).replace(tzinfo=None)
            except ValueError:
                raise InputError(
                    f"{path.name}: its closing date ({p['closed_at'][:40]!r}) is not a date; "
                    "nothing was changed."
                ) from None
        with self.ws.store.unit_of_work() as uow:
            if uow.packages.opened(opened.package_id) is not None:
                return SendbackResult(inspection.id, 0, 0, True)
        qs = self.ws.question_set(inspection)
        for c in p["comments"]:
            question_id = c.get("question_id")
            if question_id is not None and not qs.has_question(question_id):
                raise InputError(
                    f"{path.name}: a comment is on question {question_id[:64]!r}, which is not a "
                    f"question of this inspection's question set; nothing was changed."
                )
        returned = 0
        with self.ws.store.unit_of_work() as uow:
            for c in p["comments"]:
                uow.packages.add_comment(
                    Comment(c["id"], inspection.id, c["case_id"], p["author"], c["text"],
                            datetime.fromisoformat(c["created_at"]), opened.package_id,
                            question_id=c.get("question_id"))
                )  # fmt: skip
            for e in p.get("resolutions", []):
                # The team lead's decision on a conflict: an answer event like any other.
                case = uow.cases.get(e["case_id"])
                if case is None or case.inspection_id != inspection.id:
                    continue
                if uow.answers.exists(e["id"]):
                    continue
                uow.answers.add(AnswerEvent(
                    e["id"], e["case_id"], e["question_id"],
                    tuple(e["value"]) if isinstance(e["value"], list) else e["value"],
                    e.get("note", ""), e["device_id"], int(e["seq"]), e["hlc"], e.get("replaces"),
                    e["qs_id"], e["qs_version"], datetime.fromisoformat(str(e["recorded_at"])),
                    e.get("author", ""),
                ))  # fmt: skip
                self.ws.clock.observe(HLC.parse(e["hlc"]))
                self.ws.audit_in(uow, "conflict_resolved", "case", e["case_id"], e["question_id"])
            # The lead's decisions on case fields (a conflict settled): folded with our own.
            mine = {c.id for c in uow.cases.for_inspection(inspection.id)}
            decided = [e for e in wire.case_events_of(p) if e.case_id in mine]
            if decided and uow.case_events.add(decided):
                for e in decided:
                    self.ws.clock.observe(HLC.parse(e.hlc))
                self.ws.project_cases(uow, sorted({e.case_id for e in decided}))
            for case_id in p["returned"]:
                case = uow.cases.get(case_id)
                if case is None or case.inspection_id != inspection.id:
                    continue
                if not self.ws.is_mine_in(uow, case):
                    # Given to a colleague since the lead returned it: the comments are kept,
                    # but a status change here could never merge (and would hold back every
                    # later package of this laptop).
                    self.ws.audit_in(uow, "return_not_applied", "case", case_id, "moved away")
                    continue
                self.ws.change_case(uow, case_id, {ce.STATUS: CaseStatus.RETURNED.value})
                self.ws.audit_in(uow, "returned", "case", case_id, "by team lead")
                returned += 1
            if closed_at is not None and uow.inspections.set_closed(inspection.id, closed_at):
                self.ws.audit_in(uow, "closed_by_lead", "inspection", inspection.id)
            uow.packages.record_opened(
                opened.package_id, opened.sha256, "sendback", inspection.id, p["device_id"], _now()
            )
        return SendbackResult(
            inspection.id, len(p["comments"]), returned, False, p.get("closed_at") is not None
        )

    def comments(self, inspection_id: str, case_id: str | None = None) -> list[Comment]:
        """The comments here (on one case with `case_id`), oldest first, each with the
        assessor's reply as the case's events say."""
        with self.ws.store.unit_of_work(read_only=True) as uow:
            found = uow.packages.comments(inspection_id, case_id)
            case_ids = sorted({c.case_id for c in found if c.case_id is not None})
            folded = ce.fold(uow.case_events.for_cases(case_ids), self.ws.device_id)
        out = []
        for c in found:
            state = folded.get(c.case_id or "", {}).get(ce.reply_field(c.id))
            if state is not None and isinstance(state.value, dict):
                c = replace(c, reply=str(state.value.get("text", "")),
                            replied_at=state.winner.recorded_at)  # fmt: skip
            out.append(c)
        return out

    def reply_to_comment(self, comment_id: str, text: str, done: bool) -> Comment:
        """The case's assessor answers a comment of the team lead's (and with `done` marks it
        dealt with): a change of the case, so it travels back in the next export and the team
        lead reads it in the case view. A later reply replaces this one. Refused, with nothing
        changed, for a comment that is not here, one on the assessor's work as a whole (no
        case to reply in), a question-set move's notice (mark it done instead), a case that is
        now someone else's, and an empty or overlong reply that marks nothing done."""
        text = text.strip()
        with self.ws.store.unit_of_work() as uow:
            comment = uow.packages.comment(comment_id)
            if comment is None:
                raise InputError(f"There is no comment {comment_id[:8]} on this laptop.")
            if comment.case_id is None:
                raise InputError(
                    "This comment is on your work as a whole: a reply goes with a case, so "
                    "answer it in your next export's cases or speak to the team lead."
                )
            if comment.package_id is None:
                raise InputError(
                    "This is a review notice left by a question-set move, not a comment of "
                    "the team lead's: mark it done once the case is reviewed."
                )
            case = uow.cases.get(comment.case_id)
            if case is None:
                raise InputError(f"The case of comment {comment_id[:8]} is not on this laptop.")
            if not self.ws.is_mine_in(uow, case):
                raise InputError(
                    f"Case {case.reference} is now {case.assessor}'s: only they reply to its "
                    "comments."
                )
            problem = ce.reply_problem({"text": text, "done": done})
            if problem is not None:
                raise InputError(
                    "Write a reply, or mark the comment done."
                    if not text
                    else f"The reply is too long: {problem}; nothing was sent."
                )
            reply = {"text": text, "done": done}
            self.ws.change_case(uow, case.id, {ce.reply_field(comment.id): reply})
            if done:
                uow.packages.mark_comment_done(comment.id, _now())
            self.ws.audit_in(uow, "comment_replied", "case", case.id, comment.id)
        [replied] = [c for c in self.comments(comment.inspection_id, case.id) if c.id == comment.id]
        return replied

    def mark_comments_done(self, case_id: str) -> int:
        """The case's assessor has dealt with its open comments (the team lead's, and a
        question-set move's review notice): they stay shown, no longer on the to-do list,
        and the team lead's learn it in the next export (each as a reply that marks it done,
        keeping the words of any reply given before). How many were open."""
        case = self.ws.case(case_id)
        with self.ws.store.unit_of_work() as uow:
            if not self.ws.is_mine_in(uow, case):
                raise InputError(
                    f"Case {case.reference} is now {case.assessor}'s: only they mark its "
                    "comments done."
                )
            open_ones = [
                c
                for c in uow.packages.comments(case.inspection_id, case_id)
                if c.done_at is None and c.package_id is not None
            ]
            if open_ones:
                folded = ce.fold(uow.case_events.for_cases([case_id]), self.ws.device_id)
                fields = folded.get(case_id, {})

                def said(c: Comment) -> str:
                    state = fields.get(ce.reply_field(c.id))
                    value = state.value if state is not None else None
                    return str(value.get("text", "")) if isinstance(value, dict) else ""

                self.ws.change_case(uow, case_id, {
                    ce.reply_field(c.id): {"text": said(c), "done": True} for c in open_ones
                })  # fmt: skip
            done = uow.packages.mark_comments_done(case_id, _now())
            if done:
                self.ws.audit_in(uow, "comments_done", "case", case_id, str(done))
        return done

    # -- the shared folder ----------------------------------------------------------------
    def incoming(self, shared: Path, cancelled: Cancelled = never) -> list[IncomingPack]:
        """Setup and send-back packs in the shared folder, with their signers' fingerprints.
        Only reads; `cancelled()` is checked before each file (OperationCancelled)."""
        out = []
        listed: set[str] = set()
        # The plainest name first, so that a sync tool's copy is the one left out.
        paths = sorted(reader.scan_folder(shared, depth=1), key=lambda p: (len(p.name), p.name))
        for path in paths:
            if cancelled():
                raise OperationCancelled
            try:
                m = reader.peek_manifest(path)
            except PackageError as exc:
                out.append(IncomingPack(path, "?", "", "", "", False, str(exc)))
                continue
            if m.get("kind") not in ("setup", "sendback"):
                continue
            if (
                m["kind"] == "sendback"
                and (m.get("extra") or {}).get("for_device") != self.ws.device_id
            ):
                continue
            if m["package_id"] in listed:  # a sync tool's copy of a pack already listed
                continue
            listed.add(m["package_id"])
            with self.ws.store.unit_of_work(read_only=True) as uow:
                seen = uow.packages.opened(m["package_id"]) is not None
            signer = unb64(m["signer"]["signing_public"], size=32)
            out.append(
                IncomingPack(path, m["kind"], m["package_id"], m["inspection_id"],
                             fingerprint(signer), seen)
            )  # fmt: skip
        return sorted(out, key=lambda p: p.path.name)


def _covered(uow: UnitOfWork) -> dict[str, int]:
    """Per inspection, the sequence number its newest events package holds changes up to."""
    covered: dict[str, int] = {}
    for p in uow.packages.outbox():
        if p.kind == "events":
            covered[p.inspection_id] = max(covered.get(p.inspection_id, 0), p.seq_to)
    return covered


def _pending(uow: UnitOfWork, device_id: str) -> dict[str, int]:
    """Per inspection with changes no package holds, the first such change's number."""
    covered = _covered(uow)
    held = [covered.get(i.id, 0) for i in uow.inspections.newest_first()]
    pending: dict[str, int] = {}
    for inspection_id, seq in uow.devices.changes_above(device_id, min(held, default=0)):
        if seq > covered.get(inspection_id, 0):
            pending[inspection_id] = min(pending.get(inspection_id, seq), seq)
    return pending


def _exported_to(uow: UnitOfWork, device_id: str, last_seq: int) -> int:
    pending = _pending(uow, device_id)
    return min(pending.values()) - 1 if pending else last_seq
