"""Moving an ongoing inspection to a new version of its question set, without losing a word.

The team lead previews the move (`preview`): every question classified (probdesk.domain.qsdiff)
and, for every case on this laptop, what happens to its answers. `move` then puts the
inspection on the new version here; the next setup revision carries it to the laptops, where
`follow` moves each one when it opens the pack and lists the cases to review; the hub follows
at the lead's next merge (services.hub.register_inspections).

Nothing is ever dropped. An answer to a dropped question stays stored and is shown with the
case, but no longer counts. An answer to a question whose id was reused with another answer
type or other answer values (incompatible: refused unless the lead confirms) is set aside by
an event that clears it, keeping its note; the earlier answer stays in the question's history
and the case is listed for review.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.domain.answers import heads
from probdesk.domain.qsdiff import CaseImpact, QuestionSetDiff, Severity, case_impact, diff
from probdesk.domain.records import AnswerEvent, Case, Comment, Inspection
from probdesk.domain.words import plural
from probdesk.errors import InputError
from probdesk.services.workspace import _now

if TYPE_CHECKING:
    from probdesk.domain.questionset import QuestionSet
    from probdesk.hub.store import Hub
    from probdesk.services.workspace import Workspace
    from probdesk.store.repositories import UnitOfWork


NOTICE_AUTHOR = "probdesk: question-set move"  # a review notice's author, in the case form
_NOTICES = uuid.UUID("6f1d2c1e-4f0b-4c55-9a39-0d6c3e9b7a10")  # one notice per case and version


@dataclass(frozen=True)
class CaseMove:
    case_id: str
    reference: str
    impact: CaseImpact


@dataclass(frozen=True)
class MovePreview:
    inspection: Inspection
    old: QuestionSet
    new: QuestionSet
    text: str  # the new version's file text, kept with the data once moved
    change: QuestionSetDiff
    cases: tuple[CaseMove, ...]
    from_hub: int = 0  # cases whose answers were read from the hub (the assessors' merged)

    @property
    def incompatible(self) -> bool:
        return self.change.severity is Severity.INCOMPATIBLE

    @property
    def to_review(self) -> tuple[CaseMove, ...]:
        return tuple(c for c in self.cases if c.impact.needs_review)


def _answers(uow: UnitOfWork, case_id: str) -> dict[str, AnswerEvent]:
    return heads(uow.answers.for_case(case_id), key=lambda e: e.question_id)


def impacts(
    uow: UnitOfWork,
    change: QuestionSetDiff,
    old: QuestionSet,
    new: QuestionSet,
    cases: list[Case],
    merged: Mapping[str, Mapping[str, object]] | None = None,
) -> tuple[CaseMove, ...]:
    """What the move does to each case, with the answers this laptop holds (or, for the team
    lead, `merged`: the answers the hub holds, by case id, where it has the case)."""
    out = []
    for c in sorted(cases, key=lambda c: c.reference):
        if merged is not None and c.id in merged:
            values = dict(merged[c.id])
        else:
            values = {q: e.value for q, e in _answers(uow, c.id).items()}
        out.append(
            CaseMove(c.id, c.reference, case_impact(change, old, new, c.facts, c.variant, values))
        )
    return tuple(out)


def preview(
    ws: Workspace,
    inspection_id: str,
    path: str | Path,
    merged: Mapping[str, Mapping[str, object]] | None = None,
) -> MovePreview:
    """What moving the inspection to the set in `path` would change; nothing is stored.

    `merged`: the answers the hub holds by case id (`hub_answers`), so that the team lead's
    preview counts the assessors' answers, not only this laptop's."""
    from probdesk.domain import loader

    inspection = ws.inspection(inspection_id)
    if inspection.lead_device_id not in (None, ws.device_id):
        raise InputError(
            f"{inspection.title} came from the team lead's setup pack: only the team lead "
            "moves it to a new question set (the next setup pack then moves this laptop)."
        )
    source = Path(path)
    new = loader.load(source)
    data = source.read_bytes()
    if loader.parse_text(data, str(source)).content_hash != new.content_hash:
        raise InputError(f"{source} changed while it was being read; try again.")
    old = ws.question_set(inspection)
    if new.content_hash == old.content_hash:
        raise InputError(
            f"{source} is the question set {inspection.title} already uses "
            f"({old.id} {old.version}); nothing to move."
        )
    if new.id != old.id:
        raise InputError(
            f"{source} is the question set '{new.id}', not a new version of '{old.id}': "
            "start a new inspection for another question set."
        )
    if new.version == old.version:
        raise InputError(
            f"{source} differs from {old.id} {old.version} but has the same version: give "
            "the corrected set a new version, so every figure can say which it was worked "
            "out under."
        )
    change = diff(old, new)
    with ws.store.unit_of_work(read_only=True) as uow:
        cases = uow.cases.for_inspection(inspection_id)
        moves = impacts(uow, change, old, new, cases, merged)
    text = data.decode("utf-8").removeprefix("\ufeff")
    from_hub = sum(1 for c in cases if merged is not None and c.id in merged)
    return MovePreview(inspection, old, new, text, change, moves, from_hub)


def move(ws: Workspace, planned: MovePreview, *, accept_incompatible: bool = False) -> Inspection:
    """Put the inspection on the new version here (the lead's laptop, or a laptop used
    alone); the next setup revision carries the move to the laptops."""
    if planned.incompatible and not accept_incompatible:
        ids = ", ".join(i.id for i in planned.change.incompatible)
        raise InputError(
            f"The new version reuses ids with another answer type or other answer values "
            f"({ids}): answers already given may not mean what the new question asks. Give "
            "those questions new ids, or confirm the move (--accept-incompatible): their "
            "earlier answers are then set aside, kept in each question's history, and the "
            "cases listed for review. Nothing was changed."
        )
    inspection = ws.inspection(planned.inspection.id)
    if inspection.qs_hash != planned.old.content_hash:
        raise InputError(
            f"{inspection.title} moved to another question set since the preview; preview "
            "again. Nothing was changed."
        )
    new = planned.new
    moved = Inspection(
        **{**inspection.__dict__, "qs_id": new.id, "qs_version": new.version,
           "qs_hash": new.content_hash}
    )  # fmt: skip
    with ws.store.unit_of_work() as uow:
        uow.question_sets.put(new.content_hash, new.id, new.version, new.title, planned.text)
        uow.inspections.update_setup(moved)
        ws._qs_cache[new.content_hash] = new
        follow_in(ws, uow, moved, planned.old, new)
        ws.audit_in(
            uow, "move_question_set", "inspection", inspection.id,
            f"{planned.old.version} -> {new.version}",
        )  # fmt: skip
    return ws.inspection(inspection.id)


def follow_in(
    ws: Workspace, uow: UnitOfWork, inspection: Inspection, old: QuestionSet, new: QuestionSet
) -> tuple[CaseMove, ...]:
    """Inside the transaction that put `inspection` on `new`: the cases' variants worked out
    again, incompatible answers of this laptop's cases set aside (kept in their history), and
    what each case must review."""
    change = diff(old, new)
    cases = uow.cases.for_inspection(inspection.id)  # with their variants before the move
    ws.project_cases(uow, [c.id for c in cases])
    moves = impacts(uow, change, old, new, cases)
    device = uow.devices.get()
    me = device.assessor if device is not None else ""
    ours = {c.id for c in cases if c.assessor in ("", me)}  # not the team's, on a lead's laptop
    for m in moves:  # the assessor's to-do list: a notice on each of their cases to review
        if m.impact.needs_review and m.case_id in ours:
            uow.packages.add_comment(
                Comment(
                    str(uuid.uuid5(_NOTICES, f"{m.case_id} {new.content_hash}")),
                    inspection.id, m.case_id, NOTICE_AUTHOR,
                    f"The question set moved from version {old.version} to {new.version}; "
                    "review " + "; ".join(f"{what}: {why}" for what, why in m.impact.review)
                    + ".",
                    _now(), None,
                )
            )  # fmt: skip
    incompatible = {i.id for i in change.questions if i.incompatible}
    for case in cases if incompatible else ():
        if not ws.is_mine_in(uow, case):
            continue  # another assessor's case: its own laptop sets its answers aside
        for qid, head in _answers(uow, case.id).items():
            if qid in incompatible and head.value is not None:
                _set_aside(ws, uow, head, new)
    return moves


def hub_answers(hub: Hub, inspection_id: str) -> dict[str, dict[str, object]] | None:
    """The answers the hub holds for the inspection, by case id; None if it holds none."""
    from probdesk.services import figures

    if not figures.holds(hub, inspection_id):
        return None
    _qs, cases = figures.load_cases(hub, inspection_id)
    return {c.id: dict(c.answers) for c in cases}


def _set_aside(ws: Workspace, uow: UnitOfWork, head: AnswerEvent, new: QuestionSet) -> None:
    """An event clearing an answer the new version's question cannot read: the note stays,
    the earlier value stays in the history, and the assessor answers again."""
    seq, hlc = ws.next_event(uow)
    device = uow.devices.get()
    author = device.assessor if device else ""
    uow.answers.add(
        AnswerEvent(
            str(uuid.uuid4()), head.case_id, head.question_id, None, head.note, ws.device_id,
            seq, hlc, head.id, new.id, new.version, _now(), author,
        )
    )  # fmt: skip


def preview_text(planned: MovePreview) -> str:
    """The preview in words: the classification, then each case's answers."""
    from probdesk.services.questionsets import diff_text

    lines = [diff_text(planned.change).rstrip("\n"), "", "Cases:"]
    if planned.from_hub:
        lines.append(
            f"  (the answers merged into the hub for {planned.from_hub} of "
            f"{plural(len(planned.cases), 'case')}; this laptop's for the rest)"
        )
    elif planned.cases:
        lines.append(
            "  (the answers on this laptop: merge the assessors' exports first to count theirs)"
        )
    if not planned.cases:
        lines.append("  (no cases here)")
    for m in planned.cases:
        i = m.impact
        parts = [f"{plural(len(i.carried), 'answer')} carried over"]
        if i.kept_not_counted:
            parts.append(
                f"{len(i.kept_not_counted)} kept but no longer counted "
                f"({', '.join(i.kept_not_counted)})"
            )
        lines.append(f"  {m.reference}: " + "; ".join(parts))
        lines += [f"      review {what}: {why}" for what, why in i.review]
    lines += [
        "",
        f"{len(planned.to_review)} of {plural(len(planned.cases), 'case')} "
        f"{'needs' if len(planned.to_review) == 1 else 'need'} the assessor's review. "
        "Nothing is dropped: every answer stays stored and shown.",
    ]
    return "\n".join(lines) + "\n"


def review_words(moves: tuple[CaseMove, ...]) -> list[str]:
    """One line per case to review, for the laptop that followed a move."""
    return [
        f"{m.reference}: " + "; ".join(f"{what}: {why}" for what, why in m.impact.review)
        for m in moves
        if m.impact.needs_review
    ]
