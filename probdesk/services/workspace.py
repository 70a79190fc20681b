"""The inspector's workspace: inspections, cases, answers, meetings, in the local store.

Every method is one unit of work: it returns only after its transaction has committed, so a
caller that shows "Saved" after a return is telling the truth.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probdesk.domain import case_events as ce
from probdesk.domain.answer_types import ValueKind, answer_kind, fact_kind
from probdesk.domain.answers import (
    HistoryEntry,
    check_facts,
    coerce_answer,
    coerce_fact,
    heads,
    reference_problem,
)
from probdesk.domain.hlc import HLC, Clock
from probdesk.domain.questionset import QuestionSet
from probdesk.domain.records import (
    AnswerEvent,
    Case,
    CaseStatus,
    Device,
    GroupAttendance,
    Inspection,
    Meeting,
    MeetingKind,
    MeetingNoteEvent,
)
from probdesk.errors import InputError, ProbdeskError
from probdesk.paths import Paths

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported when a workspace is opened, not before
    from probdesk.packages.keys import DeviceKeys
    from probdesk.store.database import Store
    from probdesk.store.repositories import UnitOfWork

log = logging.getLogger("probdesk.workspace")

ROLES = {"inspector": "Inspector", "local_assessor": "Local assessor", "team_lead": "Team lead"}


class CaseIncomplete(ProbdeskError):
    """Submission refused: the listed applicable key questions have no answer."""

    def __init__(self, reference: str, missing: Sequence[str]) -> None:
        super().__init__(
            f"Case {reference} cannot be submitted: {len(missing)} applicable key "
            f"question{'s are' if len(missing) != 1 else ' is'} not answered.",
            details=tuple(missing),
        )
        self.missing = list(missing)


class CaseNotEditable(ProbdeskError):
    pass


@dataclass(frozen=True)
class CaseState:
    """Everything the question form needs for one case."""

    case: Case
    question_set: QuestionSet
    answers: dict[str, object]
    notes: dict[str, str]
    applicable: frozenset[str]
    other_variant_answers: tuple[tuple[str, object], ...]  # (question id, value), kept
    saved_at: dict[str, str] = field(default_factory=dict)  # question id -> HLC of last change
    mine: bool = True  # False: the team lead gave the case to another assessor (read-only here)
    # On the team lead's laptop, a case another assessor answers on their own laptop (its
    # answers reach the lead through the hub): read-only here, read on the Hub tab.
    elsewhere: bool = False

    @property
    def editable(self) -> bool:
        return self.case.status.editable and self.mine

    @property
    def facts_editable(self) -> bool:
        """Its facts may be changed here: as `editable`, or on the team lead's laptop, where
        the lead keeps every case's facts."""
        return self.case.status.editable and (self.mine or self.elsewhere)

    @property
    def answered_applicable(self) -> int:
        return sum(1 for q in self.applicable if self.answers.get(q) is not None)

    def unanswered_key_questions(self) -> list[str]:
        return [
            s.key_question.id
            for s in self.question_set.sections_for(self.case.variant)
            if s.key_question.id in self.applicable and self.answers.get(s.key_question.id) is None
        ]


@dataclass(frozen=True)
class CaseProgress:
    """A row of the case list."""

    id: str
    reference: str
    variant: str
    status: CaseStatus
    answered: int
    applicable: int
    assessor: str
    pdu: str = ""
    mine: bool = True  # False: the team lead has given it to another assessor (read-only)
    to_do: int = 0  # open comments: the team lead's, or a question-set move's review notice
    elsewhere: bool = False  # the lead's laptop: another assessor answers it on their own


def _moved_away(assessor: str, me: str, lead_device: str | None, device_id: str) -> bool:
    """Another assessor's case: on an assessor's laptop, one the team lead has given to
    someone else; on the team lead's own laptop, every case the lead does not assess (its
    answers are made on its assessor's laptop and reach the lead through the hub)."""
    return bool(lead_device is not None and assessor and me and assessor != me)


def _moved_words(reference: str, assessor: str, on_lead_laptop: bool = False) -> str:
    if on_lead_laptop:
        return (
            f"Case {reference} is {assessor}'s: it is answered on their laptop, and read on "
            "the Hub tab once their package is merged. It cannot be changed here."
        )
    return (
        f"Case {reference} is now assigned to {assessor} by the team lead; it can be read "
        "here but no longer changed."
    )


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _allowed_words(
    allowed: tuple[str, ...] | None, label_of: Callable[[object], str], kind: ValueKind
) -> str:
    """What may be given for a fact or an answer, in words: each value with its label, or
    what the open type takes (the registry's words)."""
    if allowed is not None:
        return "give one of " + ", ".join(f"{v} ({label_of(v)})" for v in allowed)
    return kind.hint


@dataclass(frozen=True)
class ExportState:
    """Sequence numbers on this laptop: the last change, and how far each step has covered."""

    last_seq: int
    written_to: int  # packages written (to the outbox) hold every change up to here
    shared_to: int  # a package copied to the shared folder holds every change up to here
    received_to: int  # a package the team lead merged (receipt) holds every change up to here

    @property
    def unexported(self) -> int:
        return max(self.last_seq - self.written_to, 0)

    def words(self) -> str:
        """One line for the status bar: never 'exported' for what is only in the outbox."""
        if self.unexported:
            n = self.unexported
            return f"{n} change{'s' if n != 1 else ''} not exported"
        if self.last_seq == 0:
            return "Nothing to export yet"
        if self.received_to >= self.last_seq:
            return "All changes received by the team lead"
        if self.shared_to >= self.last_seq:
            return "All changes in the shared folder, waiting for the team lead"
        return "All changes in the outbox, not yet in the shared folder"


RECOVERY_FILE = "recovery-public.txt"  # in the config folder: the organisation's public key
KEYS_FOLDER = "keys"  # in the data folder: the device's private keys


def device_keys(paths: Paths) -> DeviceKeys:
    """This device's keys, encrypted with a passphrase derived from its data key."""
    from probdesk.packages.keys import DeviceKeys
    from probdesk.store import datakey

    password = datakey.derive(datakey.unlock(paths.data), "device keys")
    return DeviceKeys.load_or_create(paths.data / KEYS_FOLDER, password)


def recovery_public(paths: Paths) -> bytes | None:
    """The organisational recovery key configured on this machine, if any."""
    from probdesk.packages.keys import unb64

    f = paths.config / RECOVERY_FILE
    if not f.exists():
        return None
    return unb64(f.read_text(encoding="utf-8").strip(), size=32, what="recovery public key")


class Workspace:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._qs_cache: dict[str, QuestionSet] = {}
        self.keys: DeviceKeys | None = None  # once given (sign_with): what signs its chains
        with store.unit_of_work() as uow:
            device = uow.devices.get() or uow.devices.create(str(uuid.uuid4()), _now())
        self.device_id = device.id
        self.clock = Clock(device.id, HLC.parse(device.last_hlc) if device.last_hlc else None)

    @classmethod
    def open(cls, paths: Paths, *, allow_unsafe_location: bool = False) -> Workspace:
        from probdesk.store.database import open_store

        ws = cls(
            open_store(
                paths.data,
                recovery_public=recovery_public(paths),
                allow_unsafe_location=allow_unsafe_location,
            )
        )
        ws.sign_with(device_keys(paths))
        return ws

    def wait_briefly_on_this_thread(self) -> None:
        """The window's thread: a change that finds the file locked by another program waits
        a moment only (the window's Saver keeps it and retries), never seconds; the other
        threads (the runner's work) wait as long as before."""
        import threading

        self.store.wait_briefly_on(threading.current_thread())

    def sign_with(self, keys: DeviceKeys) -> None:
        """Sign this device's chain heads with its key from now on (probdesk.store.chains);
        heads not signed yet (a store from before signed heads) are signed now."""
        self.keys = keys
        signed = self.store.attach_signer(keys.signing_key.sign)
        if signed is not None:  # signing starts: the data as it is now is what heads vouch for
            with self.store.unit_of_work() as uow:
                self.audit_in(uow, "sign_chains", "device", self.device_id, f"heads={signed}")
            log.info("signing starts: %s chain heads signed", signed)

    def verify(self) -> list[str]:
        """What does not match this laptop's signed records, in words (empty: all matches):
        each inspection's changes folded again from the rows and compared with the head the
        device key signed at their saving, and the audit log with its signed head."""
        if self.keys is None:
            raise ProbdeskError("The device keys are needed to verify the database.")
        with self.store.unit_of_work(read_only=True) as uow:
            titles = {i.id: i.title for i in uow.inspections.newest_first()}
            found = uow.chains.verify(self.keys.signing_public, uow.audit.verify())
            signings = sum(e.action == "sign_chains" for e in uow.audit.entries())
        out = []
        if signings > 1:  # the heads were all removed, and signed again from the rows
            out.append(
                f"This laptop's records were signed afresh {signings - 1} time"
                f"{'s' if signings > 2 else ''} after the first: their signed heads had been "
                "removed, so changes made before the newest signing cannot be vouched for."
            )
        for p in found:
            if p.inspection_id is None:
                out.append(p.what[0].upper() + p.what[1:] + ".")
            else:
                name = titles.get(p.inspection_id, f"inspection {p.inspection_id[:8]}")
                out.append(f"{name}: {p.what}.")
        return out

    @property
    def notices(self) -> list[str]:
        return self.store.notices

    def close(self) -> None:
        self.store.dispose()

    def full_check(self) -> str:
        """SQLite's full integrity check ("ok", or the first problem): slower than the quick
        check at start-up, and it finds what that one misses (an index that no longer
        matches its table, say)."""
        return self.store.integrity_check()

    # -- snapshots (probdesk.store.snapshots) ----------------------------------------------
    def take_snapshot(self) -> Path:
        from probdesk.store import snapshots

        return snapshots.take(self.store)

    def snapshots(self) -> list[Any]:
        """This data folder's snapshots, newest first (probdesk.store.snapshots.Snapshot)."""
        from probdesk.store import snapshots

        return snapshots.listed(self.store.path.parent, self.store.key)

    def snapshot_if_changed(self) -> Path | None:
        """A checked snapshot of the database when it changed after the newest one."""
        from probdesk.store import snapshots

        if not snapshots.changed_since_newest(self.store):
            return None
        path = snapshots.take(self.store)
        log.info("snapshot taken")
        return path

    # -- device ---------------------------------------------------------------------------
    def device(self) -> Device:
        with self.store.unit_of_work(read_only=True) as uow:
            device = uow.devices.get()
        assert device is not None
        return device

    def set_identity(self, assessor: str, role: str) -> Device:
        assessor = assessor.strip()
        if not assessor:
            raise InputError("Enter your name or initials as the assessor.")
        if role not in ROLES:
            raise InputError(f"Unknown role '{role}': one of {', '.join(ROLES)}.")
        with self.store.unit_of_work() as uow:
            uow.devices.set_identity(self.device_id, assessor, role)
            self.audit_in(uow, "set_identity", "device", self.device_id, role)
        return self.device()

    def unexported_count(self) -> int:
        d = self.device()
        return d.last_seq - d.exported_seq

    def export_state(self) -> ExportState:
        """How far this laptop's changes have gone: packages written, copied, received."""
        with self.store.unit_of_work(read_only=True) as uow:
            d = uow.devices.get()
            packages = [p for p in uow.packages.outbox() if p.kind == "events"]
        assert d is not None
        return ExportState(
            d.last_seq,
            d.exported_seq,
            max((p.seq_to for p in packages if p.copied_at is not None), default=0),
            max((p.seq_to for p in packages if p.receipt_at is not None), default=0),
        )

    def next_event(self, uow: UnitOfWork) -> tuple[int, str]:
        """The next per-device sequence number and clock reading, in the caller's transaction."""
        hlc = str(self.clock.tick())
        seq, _ = uow.devices.advance(self.device_id, hlc)
        return seq, hlc

    def _next_with_author(self, uow: UnitOfWork) -> tuple[int, str, str]:
        hlc = str(self.clock.tick())
        seq, author = uow.devices.advance(self.device_id, hlc)
        return seq, hlc, author

    def audit_in(
        self, uow: UnitOfWork, action: str, entity: str, entity_id: str, detail: str = ""
    ) -> None:
        device = uow.devices.get()
        actor = device.assessor if device and device.assessor else "unnamed"
        uow.audit.record(_now(), self.device_id, actor, action, entity, entity_id, detail)

    # -- question sets and inspections ----------------------------------------------------
    def question_set(self, inspection: Inspection) -> QuestionSet:
        qs = self._qs_cache.get(inspection.qs_hash)
        if qs is not None:
            return qs
        with self.store.unit_of_work(read_only=True) as uow:
            return self._question_set_in(uow, inspection)

    def _question_set_in(self, uow: UnitOfWork, inspection: Inspection) -> QuestionSet:
        """The inspection's set, read inside an open unit of work (no second transaction)."""
        qs = self._qs_cache.get(inspection.qs_hash)
        if qs is None:
            stored = uow.question_sets.get(inspection.qs_hash)
            if stored is None:
                raise ProbdeskError(
                    f"The question set of inspection {inspection.title} is missing from the store."
                )
            from probdesk.domain import loader

            qs = loader.parse_text(stored.text, f"{stored.set_id} {stored.version}")
            self._qs_cache[inspection.qs_hash] = qs
        return qs

    # -- case events: the only way a case's facts, PDU, assessor or status change -----------
    def change_case(
        self,
        uow: UnitOfWork,
        case_id: str,
        wanted: Mapping[str, object],
        at: tuple[int, str, str] | None = None,
    ) -> Case:
        """Record each wanted field value that differs from the case's fold as an event of
        this laptop (replacing the head its author sees), then write the new fold to the row.

        One change is one sequence number, however many fields it sets (a new case's facts;
        with `at`, the answer that started the case): "changes not exported" counts changes.
        """
        current = ce.fold(uow.case_events.for_cases([case_id]), self.device_id).get(case_id, {})
        new = []
        todo = ce.changes(current, wanted)
        if todo:
            seq, hlc, author = at or self._next_with_author(uow)
        for name, value, replaces in todo:
            new.append(ce.CaseEvent(
                str(uuid.uuid4()), case_id, name, value, self.device_id, seq, hlc, replaces,
                (), author, _now().isoformat(),
            ))  # fmt: skip
        uow.case_events.add(new)
        return self.project_cases(uow, [case_id])[case_id]

    def project_cases(self, uow: UnitOfWork, case_ids: Sequence[str]) -> dict[str, Case]:
        """Write the fold of the cases' events into their rows (and their variant)."""
        folded = ce.fold(uow.case_events.for_cases(case_ids), self.device_id)
        out: dict[str, Case] = {}
        inspections: dict[str, Inspection] = {}
        for case_id in case_ids:
            case = uow.cases.get(case_id)
            if case is None:
                continue
            insp = inspections.get(case.inspection_id)
            if insp is None:
                insp = uow.inspections.get(case.inspection_id)
                assert insp is not None
                inspections[case.inspection_id] = insp
            got = ce.project(folded.get(case_id, {}), self._question_set_in(uow, insp))
            try:
                status = CaseStatus(got.fields.status)
            except ValueError:
                status = case.status
            out[case_id] = uow.cases.set_state(
                case_id, facts=got.facts, variant=got.variant, status=status,
                assessor=got.fields.assessor, pdu=got.fields.pdu,
                updated_hlc=got.fields.updated_hlc,
            )  # fmt: skip
        return out

    def create_inspection(
        self,
        region: str,
        pdu: str,
        fieldwork_start: date,
        fieldwork_end: date,
        question_set_path: str | Path,
        pdus: Sequence[str] = (),
        kind: str = "pdu",
    ) -> Inspection:
        """A local inspection; `pdus` lists the PDUs sampled when it spans several.

        kind "region": a regional inspection. Its figures draw on the region's PDU inspections
        merged into the same hub, and it has its own case sample (from `pdus`) and question set.
        """
        region, pdu = region.strip(), pdu.strip()
        pdus = tuple(p.strip() for p in pdus if p.strip())
        problems = []
        if not region:
            problems.append("Enter the region.")
        if not pdu:
            problems.append("Enter the PDU.")
        if fieldwork_end < fieldwork_start:
            problems.append("The fieldwork end date is before its start date.")
        if kind not in ("pdu", "region"):
            problems.append(f"An inspection is of a PDU or a region, not '{kind}'.")
        elif kind == "region" and not pdus:
            problems.append("List the PDUs the regional case sample is drawn from.")
        if problems:
            raise InputError(" ".join(problems))
        from probdesk.domain import loader

        source = Path(question_set_path)
        qs = loader.load(source)
        # Keep exactly the text that was validated: reading the file again could differ.
        data = source.read_bytes()
        if loader.parse_text(data, str(source)).content_hash != qs.content_hash:
            raise InputError(f"{source} changed while it was being read; try again.")
        text = data.decode("utf-8").removeprefix("\ufeff")
        inspection = Inspection(
            str(uuid.uuid4()), region, pdu, fieldwork_start, fieldwork_end,
            qs.id, qs.version, qs.content_hash, _now(), pdus or (pdu,), kind=kind,
        )  # fmt: skip
        with self.store.unit_of_work() as uow:
            uow.question_sets.put(qs.content_hash, qs.id, qs.version, qs.title, text)
            uow.inspections.add(inspection)
            self.audit_in(uow, "create", "inspection", inspection.id, f"{qs.id} {qs.version}")
        self._qs_cache[qs.content_hash] = qs
        log.info("inspection %s created with question set %s", inspection.id, qs.id)
        return inspection

    def inspections(self) -> list[Inspection]:
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.inspections.newest_first()

    def inspection(self, inspection_id: str) -> Inspection:
        with self.store.unit_of_work(read_only=True) as uow:
            found = uow.inspections.get(inspection_id)
        if found is None:
            raise InputError(f"No inspection with id {inspection_id}.")
        return found

    # -- cases ----------------------------------------------------------------------------
    def add_case(
        self,
        inspection_id: str,
        reference: str,
        facts: Mapping[str, object],
        assessor: str | None = None,
        pdu: str | None = None,
    ) -> Case:
        inspection = self.inspection(inspection_id)
        qs = self.question_set(inspection)
        reference = reference.strip()
        problem = reference_problem(reference)
        if problem:
            raise InputError(problem)
        clean, problems = check_facts(qs, facts)
        if problems:
            raise InputError(f"Case {reference}: " + "; ".join(problems) + ".")
        with self.store.unit_of_work() as uow:
            if uow.cases.by_reference(inspection_id, reference) is not None:
                raise InputError(
                    f"Case reference {reference} is already used in this inspection; "
                    "each case needs its own reference."
                )
            device = uow.devices.get()
            who = assessor if assessor is not None else (device.assessor if device else "")
            case = Case(
                str(uuid.uuid4()), inspection_id, reference, {}, None, "",
                CaseStatus.NOT_STARTED, _now(), None, "",
            )  # fmt: skip
            uow.cases.add(case, "")
            wanted: dict[str, object] = {ce.fact_field(k): v for k, v in clean.items()}
            wanted[ce.PDU] = pdu
            wanted[ce.ASSESSOR] = who or None
            case = self.change_case(uow, case.id, wanted)
            self.audit_in(uow, "create", "case", case.id)
        return case

    def case(self, case_id: str) -> Case:
        with self.store.unit_of_work(read_only=True) as uow:
            found = uow.cases.get(case_id)
        if found is None:
            raise InputError(f"No case with id {case_id}.")
        return found

    def cases(self, inspection_id: str) -> list[Case]:
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.cases.for_inspection(inspection_id)

    def update_facts(self, case_id: str, facts: Mapping[str, object]) -> Case:
        """Change a case's facts; a variant switch keeps every answer already given."""
        case = self.case(case_id)
        self._require_editable(case, facts=True)
        qs = self.question_set(self.inspection(case.inspection_id))
        clean, problems = check_facts(qs, facts)
        if problems:
            raise InputError(f"Case {case.reference}: " + "; ".join(problems) + ".")
        variant = qs.variant_for(clean)
        new_variant = variant.id if variant else None
        with self.store.unit_of_work() as uow:
            updated = self.change_case(uow, case_id, ce.facts_changes(case.facts, clean))
            detail = f"variant {case.variant}->{new_variant}" if new_variant != case.variant else ""
            self.audit_in(uow, "change_facts", "case", case_id, detail)
        return updated

    def case_rows(self, inspection_id: str, case_id: str | None = None) -> list[CaseProgress]:
        """The case list's rows: every case of the inspection, or with `case_id` that case's
        alone (after an answer: one case read, not the whole inspection)."""
        inspection = self.inspection(inspection_id)
        qs = self.question_set(inspection)
        with self.store.unit_of_work(read_only=True) as uow:
            if case_id is None:
                cases = uow.cases.for_inspection(inspection_id)
            else:
                one = uow.cases.get(case_id)
                cases = [one] if one is not None and one.inspection_id == inspection_id else []
            current = uow.answers.current_values(inspection_id, case_id)
            device = uow.devices.get()
            open_comments = uow.packages.open_comments(inspection_id, case_id)
        me = device.assessor if device is not None else ""
        by_case: dict[str, dict[str, object]] = {}
        for (case_id, qid), value in current.items():
            if value is not None:
                by_case.setdefault(case_id, {})[qid] = value
        rows = []
        on_lead = inspection.lead_device_id == self.device_id
        for c in cases:
            answers = by_case.get(c.id, {})
            applicable = qs.applicable(c.variant, c.facts, answers)
            answered = sum(1 for q in applicable if answers.get(q) is not None)
            label = qs.variant(c.variant).label if c.variant else "not determined"
            rows.append(
                CaseProgress(
                    c.id,
                    c.reference,
                    label,
                    c.status,
                    answered,
                    len(applicable),
                    c.assessor,
                    c.pdu or "",
                    mine := not _moved_away(
                        c.assessor, me, inspection.lead_device_id, self.device_id
                    ),
                    open_comments.get(c.id, 0),
                    on_lead and not mine,
                )
            )
        return rows

    def case_state(self, case_id: str) -> CaseState:
        with self.store.unit_of_work(read_only=True) as uow:
            case = uow.cases.get(case_id)
            if case is None:
                raise InputError(f"No case with id {case_id}.")
            inspection = uow.inspections.get(case.inspection_id)
            assert inspection is not None
            qs = self._question_set_in(uow, inspection)
            events = uow.answers.for_case(case_id)
            device = uow.devices.get()
        me = device.assessor if device else ""
        mine = not _moved_away(case.assessor, me, inspection.lead_device_id, self.device_id)
        current = heads(events, key=lambda e: e.question_id)
        answers = {q: e.value for q, e in current.items() if e.value is not None}
        notes = {q: e.note for q, e in current.items() if e.note}
        in_variant = {q.id for s in qs.sections_for(case.variant) for q in s.questions}
        others = tuple((q, v) for q, v in sorted(answers.items()) if q not in in_variant)
        return CaseState(
            case,
            qs,
            answers,
            notes,
            qs.applicable(case.variant, case.facts, answers),
            others,
            {q: e.hlc for q, e in current.items()},
            mine,
            not mine and inspection.lead_device_id == self.device_id,
        )

    # -- answers --------------------------------------------------------------------------
    def record_answer(
        self,
        case_id: str,
        question_id: str,
        value: object,
        note: str | None = None,
    ) -> AnswerEvent | None:
        """Append an answer event (note unchanged when None); committed when this returns.

        None when there was nothing to record (clearing a question never answered).
        """
        with self.store.unit_of_work() as uow:
            found = uow.cases.status_of(case_id)
            if found is None:
                raise InputError(f"No case with id {case_id}.")
            reference, status, qs_hash, assessor, lead_device = found
            if not status.editable:
                raise CaseNotEditable(
                    f"Case {reference} is {status.label.lower()}; reopen it to change it."
                )
            if lead_device is not None and assessor:  # another's, here or given away
                device = uow.devices.get()
                me = device.assessor if device else ""
                if _moved_away(assessor, me, lead_device, self.device_id):
                    on_lead = lead_device == self.device_id
                    raise CaseNotEditable(_moved_words(reference, assessor, on_lead))
            qs = self._qs_cache.get(qs_hash)
            if qs is None:
                case = uow.cases.get(case_id)
                assert case is not None
                inspection = uow.inspections.get(case.inspection_id)
                assert inspection is not None
                qs = self._question_set_in(uow, inspection)
            if not qs.has_question(question_id):
                raise InputError(f"{question_id} is not a question of {qs.title}.")
            try:
                stored = coerce_answer(qs.question(question_id), value)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            head = uow.answers.head(case_id, question_id)
            new_note = note if note is not None else (head.note if head else "")
            if head is not None and head.value == stored and head.note == new_note:
                return head
            if head is None and stored is None and not new_note:
                return None
            seq, hlc, author = self._next_with_author(uow)
            event = AnswerEvent(
                str(uuid.uuid4()), case_id, question_id, stored, new_note, self.device_id,
                seq, hlc, head.id if head else None, qs.id, qs.version, _now(), author,
            )  # fmt: skip
            uow.answers.add(event)
            if status is CaseStatus.NOT_STARTED:
                self.change_case(
                    uow, case_id, {ce.STATUS: CaseStatus.IN_PROGRESS.value}, (seq, hlc, author)
                )
        return event

    def record_note(self, case_id: str, question_id: str, note: str) -> AnswerEvent | None:
        return self.record_answer(
            case_id, question_id, self._current_value(case_id, question_id), note
        )

    def _current_value(self, case_id: str, question_id: str) -> object:
        with self.store.unit_of_work(read_only=True) as uow:
            head = uow.answers.head(case_id, question_id)
        return head.value if head else None

    def history(self, case_id: str, question_id: str) -> list[HistoryEntry]:
        with self.store.unit_of_work(read_only=True) as uow:
            events = uow.answers.for_question(case_id, question_id)
            device = uow.devices.get()
        by_id = {e.id: e for e in events}
        here = device.assessor if device and device.assessor else "this laptop"
        out = []
        for e in events:
            before = by_id.get(e.replaces) if e.replaces else None
            fallback = here if e.device_id == self.device_id else f"device {e.device_id[:8]}"
            out.append(
                HistoryEntry(
                    e.hlc,
                    e.author or fallback,
                    before.value if before else None,
                    e.value,
                    (before.note if before else "") != e.note,
                )
            )
        return out

    def submit(self, case_id: str) -> Case:
        state = self.case_state(case_id)
        self._require_editable(state.case)
        if state.case.variant is None:
            raise CaseIncomplete(state.case.reference, ["the case facts that decide its variant"])
        missing = state.unanswered_key_questions()
        if missing:
            qs = state.question_set
            raise CaseIncomplete(
                state.case.reference, [f"{q}: {qs.question(q).text}" for q in missing]
            )
        return self._set_status(state.case, CaseStatus.SUBMITTED, "submit")

    def reopen(self, case_id: str) -> Case:
        case = self.case(case_id)
        self._require_mine(case)
        if case.status not in (CaseStatus.SUBMITTED, CaseStatus.RETURNED):
            raise InputError(
                f"Case {case.reference} is {case.status.label.lower()}, not submitted."
            )
        return self._set_status(case, CaseStatus.IN_PROGRESS, "reopen")

    def _set_status(self, case: Case, status: CaseStatus, action: str) -> Case:
        with self.store.unit_of_work() as uow:
            updated = self.change_case(uow, case.id, {ce.STATUS: status.value})
            self.audit_in(uow, action, "case", case.id, f"{case.status.value}->{status.value}")
        return updated

    def _require_editable(self, case: Case, *, facts: bool = False) -> None:
        """The case may be changed here: its status allows it, and it is this laptop's to
        answer; its facts (`facts`) the team lead may also correct for any assessor's case on
        the lead's own laptop, where the sample is kept (the correction travels in the setup
        revision)."""
        if not case.status.editable:
            raise CaseNotEditable(
                f"Case {case.reference} is {case.status.label.lower()}; reopen it to change it."
            )
        if facts and self.inspection(case.inspection_id).lead_device_id == self.device_id:
            return
        self._require_mine(case)

    def _require_mine(self, case: Case) -> None:
        """A case the team lead has given to another assessor is read-only on this laptop:
        a change made to it here could never be merged."""
        if not self.is_mine(case):
            lead = self.inspection(case.inspection_id).lead_device_id == self.device_id
            raise CaseNotEditable(_moved_words(case.reference, case.assessor, lead))

    def is_mine(self, case: Case) -> bool:
        """False for a case the team lead has given to another assessor (read-only here)."""
        lead_device = self.inspection(case.inspection_id).lead_device_id
        return not _moved_away(case.assessor, self.device().assessor, lead_device, self.device_id)

    def is_mine_in(self, uow: UnitOfWork, case: Case) -> bool:
        """is_mine, read in an open unit of work."""
        insp, device = uow.inspections.get(case.inspection_id), uow.devices.get()
        lead_device = insp.lead_device_id if insp is not None else None
        me = device.assessor if device is not None else ""
        return not _moved_away(case.assessor, me, lead_device, self.device_id)

    # -- the same rules from outside the window (the command line, scripts) ----------------
    def find_case(self, reference: str, inspection_id: str | None = None) -> Case:
        """The case with this reference (exactly, else ignoring case), in `inspection_id` or
        in any inspection here; refused when none has it, or when several do."""
        wanted = reference.strip()
        inspections = [inspection_id] if inspection_id else [i.id for i in self.inspections()]
        cases = [c for i in inspections for c in self.cases(i)]
        found = [c for c in cases if c.reference == wanted] or [
            c for c in cases if c.reference.casefold() == wanted.casefold()
        ]
        if not found:
            where = "in this inspection" if inspection_id else "on this laptop"
            raise InputError(f"No case with reference {wanted!r} {where}.")
        if len(found) > 1:
            ids = ", ".join(sorted({c.inspection_id[:8] for c in found}))
            raise InputError(
                f"Several inspections here have a case {wanted!r} ({ids}): choose one with "
                "--inspection."
            )
        return found[0]

    def change_facts(self, case_id: str, changes: Mapping[str, object]) -> Case:
        """Set some of a case's facts (None or "" clears one), keeping the others; what the
        facts dialog does, with each unknown fact or value refused by name, with the allowed
        values, before anything is saved. A variant switch keeps every answer given."""
        case = self.case(case_id)
        self._require_editable(case, facts=True)
        qs = self.question_set(self.inspection(case.inspection_id))
        known = {f.id: f for f in qs.facts}
        for name, raw in changes.items():
            fact = known.get(name)
            if fact is None:
                listed = ", ".join(f"{f.id} ({f.label})" for f in qs.facts)
                raise InputError(
                    f"{name!r} is not a case fact of {qs.title}; its facts are: {listed}. "
                    "Nothing was changed."
                )
            try:
                coerce_fact(fact, raw)
            except ValueError:
                words = _allowed_words(fact.allowed_values(), fact.label_of, fact_kind(fact.type))
                raise InputError(
                    f"Case fact {fact.id} ({fact.label}): {str(raw)!r} is not allowed; "
                    f"{words}. "
                    "Nothing was changed."
                ) from None
        facts = {**case.facts, **changes}
        return self.update_facts(case_id, {k: v for k, v in facts.items() if v not in (None, "")})

    def answer_question(
        self, case_id: str, question_id: str, value: object, note: str | None = None
    ) -> AnswerEvent | None:
        """record_answer with the checks the question form makes by what it shows: the
        question must be one of the set's, asked in the case's variant and switched on by its
        conditions (given the case's facts and answers), and the value one its answer type
        allows. A refusal names the reason and saves nothing."""
        state = self.case_state(case_id)
        qs, case = state.question_set, state.case
        if not qs.has_question(question_id):
            raise InputError(
                f"{question_id} is not a question of {qs.title}; nothing was saved. "
                f"`probdesk case show {case.reference}` lists the case's questions."
            )
        q = qs.question(question_id)
        in_variant = {x.id for s in qs.sections_for(case.variant) for x in s.questions}
        if question_id not in in_variant:
            why = (
                f"it is not asked in the {qs.variant(case.variant).label} variant"
                if case.variant
                else "the case's variant is not decided yet: set its facts first"
            )
            raise InputError(f"{question_id} is not asked for case {case.reference}: {why}; "
                             "nothing was saved.")  # fmt: skip
        if question_id not in state.applicable:
            assert q.applies_when is not None
            raise InputError(
                f"{question_id} does not apply to case {case.reference}: it is asked only when "
                f"{qs.describe(q.applies_when)}; nothing was saved."
            )
        try:
            coerce_answer(q, value)
        except ValueError as exc:
            allowed = _allowed_words(q.allowed_values(), q.label_of, answer_kind(q.answer))
            raise InputError(f"{exc} ({allowed}); nothing was saved.") from None
        return self.record_answer(case_id, question_id, value, note)

    # -- meetings and focus groups --------------------------------------------------------
    def meetings(self, inspection_id: str) -> list[Meeting]:
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.meetings.for_inspection(inspection_id)

    def save_meeting(
        self,
        inspection_id: str,
        kind: MeetingKind,
        held_on: date,
        title: str,
        groups: Sequence[GroupAttendance],
        questions: Sequence[str],
        meeting_id: str | None = None,
    ) -> Meeting:
        qs = self.question_set(self.inspection(inspection_id))
        known_groups = {g.id for g in qs.participant_groups}
        known_questions = {q.id for q in qs.non_case_questions}
        problems = [f"unknown participant group '{g.group_id}'" for g in groups
                    if g.group_id not in known_groups]  # fmt: skip
        problems += [f"head count for {g.group_id} must be 1 or more" for g in groups
                     if g.head_count < 1]  # fmt: skip
        problems += [f"unknown non-case question '{q}'" for q in questions
                     if q not in known_questions]  # fmt: skip
        if not groups:
            problems.append("add at least one participant group with its head count")
        if problems:
            raise InputError("This meeting cannot be saved: " + "; ".join(problems) + ".")
        meeting = Meeting(
            meeting_id or str(uuid.uuid4()), inspection_id, kind, held_on, title.strip(),
            tuple(groups), tuple(questions), _now(),
        )  # fmt: skip
        with self.store.unit_of_work() as uow:
            existed = meeting_id is not None and uow.meetings.get(meeting_id) is not None
            seq, _ = self.next_event(uow)
            saved = uow.meetings.save(meeting, seq)
            self.audit_in(uow, "update" if existed else "create", "meeting", saved.id)
        return saved

    def meeting_notes(self, meeting_id: str) -> dict[str, str]:
        with self.store.unit_of_work(read_only=True) as uow:
            events = uow.meetings.notes(meeting_id)
        return {q: e.note for q, e in heads(events, key=lambda e: e.question_id).items()}

    def record_meeting_note(
        self, meeting_id: str, question_id: str, note: str
    ) -> MeetingNoteEvent | None:
        with self.store.unit_of_work() as uow:
            meeting = uow.meetings.get(meeting_id)
            if meeting is None:
                raise InputError(f"No meeting with id {meeting_id}.")
            if question_id not in meeting.questions:
                raise InputError(
                    f"{question_id} is not one of the questions this meeting covered; add it "
                    "to the meeting first."
                )
            current = heads(
                [e for e in uow.meetings.notes(meeting_id) if e.question_id == question_id],
                key=lambda e: 0,
            ).get(0)
            if (current.note if current else "") == note:
                return current
            seq, hlc, author = self._next_with_author(uow)
            event = MeetingNoteEvent(
                str(uuid.uuid4()), meeting_id, question_id, note, self.device_id, seq, hlc,
                current.id if current else None, _now(), author,
            )  # fmt: skip
            uow.meetings.add_note(event)
        return event

    def audit(self, action: str, entity: str, entity_id: str, detail: str = "") -> None:
        with self.store.unit_of_work() as uow:
            self.audit_in(uow, action, entity, entity_id, detail)

    # -- integrity ------------------------------------------------------------------------
    def audit_problems(self) -> list[int]:
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.audit.verify()


def restore_snapshot(paths: Paths, snapshot: Path) -> str:
    """Put a snapshot back in place of the data folder's database (no Workspace may have it
    open); what was done, in words. Raises InputError, changing nothing, when it cannot."""
    from probdesk.store import datakey, snapshots

    done = snapshots.restore(paths.data, snapshot, datakey.unlock(paths.data))
    kept = f" The database it replaced is kept as {done.replaced}." if done.replaced else ""
    return f"Your data was restored from the snapshot {done.snapshot.name}.{kept}"
