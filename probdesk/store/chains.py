"""The laptop's signed chain heads (probdesk.domain.tamper): kept at every save, checked by
`probdesk verify`.

Each unit of work notes the changes this device records; before it commits, the heads of the
chains they belong to move on and are signed with the device key (when the store has been
given a signer: probdesk.services.workspace does so at opening). The audit log's own hash
chain (AuditRepository) gets a signed head the same way. A head is moved on link by link
when the new changes come after it; otherwise (no head yet: a store from before heads, or
changes out of order) it is folded again from the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from probdesk.domain import tamper
from probdesk.domain.tamper import AUDIT_CHAIN, Head
from probdesk.store.models import (
    AnswerEventRow,
    AuditRow,
    CaseEventRow,
    CaseRow,
    DeviceRow,
    InspectionRow,
    MeetingNoteEventRow,
    MeetingRow,
    OrgEventRow,
    SignedHeadRow,
)

Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class ChainProblem:
    """Something `verify` found: the chain ("audit", or an inspection's changes) and what."""

    chain: str
    inspection_id: str | None
    what: str


class Signing:
    """What a store knows for its chains: this device's id (read once) and its signer."""

    def __init__(self) -> None:
        self.signer: Signer | None = None
        self._device_id: str | None = None
        # A case or meeting never changes inspection: what each belongs to, once read.
        self.inspection_of: dict[str, str] = {}
        # The head each chain had after this process's last save: tried first (the row is
        # only read when another program saved in between, or at the first save).
        self.heads: dict[str, tuple[str, Head]] = {}

    def device_id(self, session: Session) -> str | None:
        if self._device_id is None:
            self._device_id = session.scalar(select(DeviceRow.id))
        return self._device_id


def _changes(session: Session, device_id: str, inspection_id: str) -> list[tuple[str, Any]]:
    """Every change of this device for the inspection, as (kind, row), from the rows."""
    cases = select(CaseRow.id).where(CaseRow.inspection_id == inspection_id).scalar_subquery()
    meetings = (
        select(MeetingRow.id).where(MeetingRow.inspection_id == inspection_id).scalar_subquery()
    )
    out: list[tuple[str, Any]] = []
    for kind, stmt in (
        ("answer", select(AnswerEventRow).where(AnswerEventRow.case_id.in_(cases))
         .where(AnswerEventRow.device_id == device_id)),
        ("case_event", select(CaseEventRow).where(CaseEventRow.case_id.in_(cases))
         .where(CaseEventRow.device_id == device_id)),
        ("meeting_note", select(MeetingNoteEventRow)
         .where(MeetingNoteEventRow.meeting_id.in_(meetings))
         .where(MeetingNoteEventRow.device_id == device_id)),
        ("org_event", select(OrgEventRow).where(OrgEventRow.inspection_id == inspection_id)
         .where(OrgEventRow.device_id == device_id)),
    ):  # fmt: skip
        out.extend((kind, _RowView(kind, r)) for r in session.scalars(stmt))
    return out


class _RowView:
    """A stored row read as the change it holds (JSON columns decoded), for the chain."""

    __slots__ = ("_json", "_row")

    _DECODED: ClassVar[dict[str, tuple[str, ...]]] = {
        "answer": ("value",),
        "case_event": ("value", "settles"),
        "org_event": ("payload",),
    }

    def __init__(self, kind: str, row: Any) -> None:
        self._row = row
        self._json = self._DECODED.get(kind, ())

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._row, name)
        return json.loads(value) if name in self._json else value


def fold_rows(session: Session, device_id: str, inspection_id: str) -> Head:
    chain = tamper.content_chain(inspection_id)
    return tamper.fold(device_id, chain, _changes(session, device_id, inspection_id))


class ChainRepository:
    """The chains this unit of work changed; `seal` moves their heads on and signs them."""

    def __init__(self, session: Session, signing: Signing | None) -> None:
        self.s = session
        self.signing = signing
        self._answers: list[Any] = []
        self._case_events: list[Any] = []
        self._notes: list[Any] = []
        self._org: list[Any] = []
        self._audit = False
        self._written: dict[str, tuple[str, Head]] = {}

    # -- noted by the repositories as they write -------------------------------------------
    def answers(self, events: Iterable[Any]) -> None:
        self._answers.extend(events)

    def case_events(self, events: Iterable[Any]) -> None:
        self._case_events.extend(events)

    def notes(self, events: Iterable[Any]) -> None:
        self._notes.extend(events)

    def org_events(self, events: Iterable[Any]) -> None:
        self._org.extend(events)

    def audit(self) -> None:
        self._audit = True

    # -- before the commit -----------------------------------------------------------------
    def seal(self) -> None:
        if self.signing is None or not (
            self._answers or self._case_events or self._notes or self._org or self._audit
        ):
            return
        device_id = self.signing.device_id(self.s)
        if device_id is None:
            return
        by_inspection = self._pending(device_id)
        for inspection_id, changes in by_inspection.items():
            self._move_on(device_id, inspection_id, changes)
        if self._audit:
            self._sign_audit(device_id)
        self._answers, self._case_events, self._notes, self._org = [], [], [], []
        self._audit = False

    def _pending(self, device_id: str) -> dict[str, list[tuple[str, Any]]]:
        out: dict[str, list[tuple[str, Any]]] = {}

        def mine(events: list[Any]) -> list[Any]:
            return [e for e in events if e.device_id == device_id]

        answers, case_events = mine(self._answers), mine(self._case_events)
        notes, org = mine(self._notes), mine(self._org)
        case_ids = {e.case_id for e in answers} | {e.case_id for e in case_events}
        case_of = self._inspections_of(CaseRow, case_ids)
        meeting_of = self._inspections_of(MeetingRow, {e.meeting_id for e in notes})
        for kind, events, where in (
            ("answer", answers, lambda e: case_of.get(e.case_id)),
            ("case_event", case_events, lambda e: case_of.get(e.case_id)),
            ("meeting_note", notes, lambda e: meeting_of.get(e.meeting_id)),
            ("org_event", org, lambda e: e.inspection_id),
        ):
            for e in events:
                inspection_id = where(e)
                if inspection_id is not None:
                    out.setdefault(inspection_id, []).append((kind, e))
        return out

    def _inspections_of(self, table: Any, ids: set[str]) -> dict[str, str]:
        known = self.signing.inspection_of if self.signing is not None else {}
        found = {i: known[i] for i in ids if i in known}
        listed = sorted(ids - set(found))
        conn = self.s.connection()
        for start in range(0, len(listed), 500):
            stmt = select(table.id, table.inspection_id).where(
                table.id.in_(listed[start : start + 500])
            )
            found.update({str(i): str(insp) for i, insp in conn.execute(stmt)})
        if len(known) < 100_000:
            known.update(found)
        return found

    def _move_on(self, device_id: str, inspection_id: str, changes: list[tuple[str, Any]]) -> None:
        chain = tamper.content_chain(inspection_id)
        changes.sort(key=tamper.order)
        first = int(changes[0][1].seq)
        cached = self.signing.heads.get(chain) if self.signing is not None else None
        if cached is not None and cached[0] == device_id and first > cached[1].seq:
            head = cached[1]
            for kind, change in changes:
                head = tamper.link(head, kind, change)
            if self._store(True, chain, device_id, head, expected=cached[1]):
                return
        row = self._head_row(chain)
        if row is not None and row[0] == device_id and first > row[1]:
            head = Head(row[1], row[2], row[3])
            for kind, change in changes:
                head = tamper.link(head, kind, change)
        else:  # no head yet, or changes that do not come after it: fold all again
            self.s.flush()
            head = fold_rows(self.s, device_id, inspection_id)
        self._store(row is not None, chain, device_id, head)

    _HEAD = select(
        SignedHeadRow.device_id, SignedHeadRow.seq, SignedHeadRow.count, SignedHeadRow.hash
    ).where(SignedHeadRow.chain == bindparam("chain"))

    # Built once (a statement built at each save costs more than its execution).
    _SET = update(SignedHeadRow).where(SignedHeadRow.chain == bindparam("b_chain"))
    _OVER = update(SignedHeadRow).where(
        (SignedHeadRow.chain == bindparam("b_chain"))
        & (SignedHeadRow.device_id == bindparam("b_device"))
        & (SignedHeadRow.seq == bindparam("b_seq"))
        & (SignedHeadRow.hash == bindparam("b_hash"))
    )

    def _head_row(self, chain: str) -> Any:
        return self.s.connection().execute(self._HEAD, {"chain": chain}).first()

    def _sign_audit(self, device_id: str) -> None:
        self.s.flush()
        anchor = self.s.execute(select(DeviceRow.audit_seq, DeviceRow.audit_hash)).first()
        if anchor is None or not anchor[0]:
            return
        head = Head(int(anchor[0]), int(anchor[0]), str(anchor[1]))
        self._store(self._head_row(AUDIT_CHAIN) is not None, AUDIT_CHAIN, device_id, head)

    def _store(
        self, exists: bool, chain: str, device_id: str, head: Head, expected: Head | None = None
    ) -> bool:
        """Write (and sign) the head; with `expected`, only over that head (False if the row
        holds another: another program saved since)."""
        signer = self.signing.signer if self.signing is not None else None
        signature = signer(tamper.statement(device_id, chain, head)).hex() if signer else ""
        values = {
            "device_id": device_id, "seq": head.seq, "count": head.count, "hash": head.hash,
            "signature": signature,
        }  # fmt: skip
        conn = self.s.connection()
        if expected is not None:
            where = {"b_chain": chain, "b_device": device_id, "b_seq": expected.seq,
                     "b_hash": expected.hash}  # fmt: skip
            if conn.execute(self._OVER, values | where).rowcount != 1:
                return False
        elif exists:
            conn.execute(self._SET, values | {"b_chain": chain})
        else:
            conn.execute(
                insert(SignedHeadRow),
                [values | {"chain": chain, "inspection_id": _inspection_of(chain)}],
            )
        if self.signing is not None:  # as of this transaction (dropped again on rollback)
            self._written[chain] = (device_id, head)
        return True

    # -- signing what is not signed yet --------------------------------------------------
    def committed(self) -> None:
        """After the commit: the heads written are the ones to try first next time."""
        if self.signing is not None:
            self.signing.heads.update(self._written)
        self._written = {}

    def signing_started(self) -> bool:
        """Whether any head of this store is signed."""
        return bool(self.s.scalar(select(SignedHeadRow.chain).where(SignedHeadRow.signature != "")
                                  .limit(1)))  # fmt: skip

    def unsigned(self) -> list[str]:
        """This device's chains to sign at opening: all of them while none is signed (a store
        from before signed heads, or kept so far without a signer), else none. Once one head
        is signed, a head missing or unsigned is a finding of `verify`, never signed anew:
        otherwise deleting the heads would have probdesk sign whatever the rows hold."""
        device_id = self.s.scalar(select(DeviceRow.id))
        if device_id is None:
            return []
        heads = {r.chain: r.signature for r in self.s.scalars(select(SignedHeadRow))}
        if any(heads.values()):
            return []
        out = [
            tamper.content_chain(i)
            for i in _inspections_with_changes(self.s, device_id)
            if not heads.get(tamper.content_chain(i))
        ]
        if not heads.get(AUDIT_CHAIN) and self.s.scalar(select(AuditRow.seq).limit(1)):
            out.append(AUDIT_CHAIN)
        return out

    def sign_unsigned(self) -> int:
        """Sign every head `unsigned` lists (their content as it is now); how many."""
        if self.signing is None or self.signing.signer is None:
            return 0
        device_id = self.signing.device_id(self.s)
        if device_id is None:
            return 0
        chains = self.unsigned()
        for chain in chains:
            if chain == AUDIT_CHAIN:
                self._sign_audit(device_id)
            else:
                inspection_id = _inspection_of(chain)
                assert inspection_id is not None
                self._move_on_all(self.s.get(SignedHeadRow, chain), device_id, inspection_id)
        self.s.flush()
        return len(chains)

    def _move_on_all(self, row: SignedHeadRow | None, device_id: str, inspection_id: str) -> None:
        if row is not None and row.count:  # unsigned, but already kept link by link
            head = Head(row.seq, row.count, row.hash)
        else:
            head = fold_rows(self.s, device_id, inspection_id)
        self._store(row is not None, tamper.content_chain(inspection_id), device_id, head)

    # -- reading the signed heads ------------------------------------------------------------
    def signed_head(self, inspection_id: str) -> tuple[Head, str] | None:
        """This device's signed head of an inspection's chain and its signature (for its
        packages), or None."""
        return signed_head(self.s, inspection_id)

    def verify(self, public: bytes, broken_audit: Sequence[int]) -> list[ChainProblem]:
        """What does not match its signed head (module `verify`), in this unit of work."""
        return verify(self.s, public, broken_audit)


def _inspection_of(chain: str) -> str | None:
    prefix = tamper.content_chain("")
    return chain[len(prefix) :] if chain.startswith(prefix) else None


def _inspections_with_changes(session: Session, device_id: str) -> list[str]:
    found: set[str] = set()
    found.update(session.scalars(
        select(CaseRow.inspection_id).join(AnswerEventRow, AnswerEventRow.case_id == CaseRow.id)
        .where(AnswerEventRow.device_id == device_id).distinct()
    ))  # fmt: skip
    found.update(session.scalars(
        select(CaseRow.inspection_id).join(CaseEventRow, CaseEventRow.case_id == CaseRow.id)
        .where(CaseEventRow.device_id == device_id).distinct()
    ))  # fmt: skip
    found.update(session.scalars(
        select(MeetingRow.inspection_id)
        .join(MeetingNoteEventRow, MeetingNoteEventRow.meeting_id == MeetingRow.id)
        .where(MeetingNoteEventRow.device_id == device_id).distinct()
    ))  # fmt: skip
    found.update(session.scalars(
        select(OrgEventRow.inspection_id).where(OrgEventRow.device_id == device_id).distinct()
    ))  # fmt: skip
    return sorted(found)


def signed_head(session: Session, inspection_id: str) -> tuple[Head, str] | None:
    """This device's signed head of an inspection's chain (for its packages), or None."""
    row = session.get(SignedHeadRow, tamper.content_chain(inspection_id))
    if row is None:
        return None
    return Head(row.seq, row.count, row.hash), row.signature


def _valid(public: bytes, device_id: str, chain: str, head: Head, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(
            bytes.fromhex(signature), tamper.statement(device_id, chain, head)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(session: Session, public: bytes, broken_audit: Sequence[int]) -> list[ChainProblem]:
    """What does not match its signed head: each chain of this device folded again from the
    rows, each head's signature checked with the device's public key (`public`), and the
    audit log (`broken_audit`: where its own hash chain breaks)."""
    device_id = session.scalar(select(DeviceRow.id))
    if device_id is None:
        return []
    problems: list[ChainProblem] = []
    heads = {r.chain: r for r in session.scalars(select(SignedHeadRow))}
    known = set(session.scalars(select(InspectionRow.id)))
    inspections = set(_inspections_with_changes(session, device_id))
    inspections |= {r.inspection_id for r in heads.values() if r.inspection_id}
    for inspection_id in sorted(inspections):
        chain = tamper.content_chain(inspection_id)
        row = heads.get(chain)
        found = fold_rows(session, device_id, inspection_id)
        if row is None:
            problems.append(ChainProblem(chain, inspection_id, "has no signed record"))
            continue
        signed = Head(row.seq, row.count, row.hash)
        if row.device_id != device_id or not _valid(
            public, device_id, chain, signed, row.signature
        ):
            problems.append(ChainProblem(
                chain, inspection_id, "its signed record does not carry this laptop's "
                "signature (it was written or changed outside probdesk)",
            ))  # fmt: skip
        elif found != signed:
            what = _difference(found, signed)
            if inspection_id not in known:
                what += " (the inspection itself is gone)"
            problems.append(ChainProblem(chain, inspection_id, what))
    if broken_audit:
        shown = ", ".join(str(s) for s in list(broken_audit)[:5])
        problems.append(ChainProblem(
            AUDIT_CHAIN, None, f"the audit log was changed outside probdesk (at entry {shown})"
        ))  # fmt: skip
    audit = heads.get(AUDIT_CHAIN)
    anchor = session.execute(select(DeviceRow.audit_seq, DeviceRow.audit_hash)).first()
    if anchor is not None and anchor[0]:
        head = Head(int(anchor[0]), int(anchor[0]), str(anchor[1]))
        last = session.execute(
            select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
        ).first()
        if audit is None or not _valid(public, device_id, AUDIT_CHAIN, head, audit.signature):
            problems.append(ChainProblem(
                AUDIT_CHAIN, None, "the audit log's newest entry is not the one this laptop "
                "signed (entries were added, removed or rewritten outside probdesk)",
            ))  # fmt: skip
        elif last is None or (int(last[0]), str(last[1])) != (head.seq, head.hash):
            problems.append(ChainProblem(
                AUDIT_CHAIN, None, "the audit log's newest entries were removed or rewritten"
            ))  # fmt: skip
    return problems


def _difference(found: Head, signed: Head) -> str:
    if found.count < signed.count:
        change = f"{signed.count - found.count} of its {signed.count} recorded changes are gone"
    elif found.count > signed.count:
        change = f"{found.count - signed.count} changes were added that this laptop never signed"
    else:
        change = f"some of its {signed.count} recorded changes were edited"
    return change + " (outside probdesk: the rows no longer match the signed record)"
