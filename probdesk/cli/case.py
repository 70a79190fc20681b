"""Command line for cases on this laptop: list them, show one, set its facts, answer its
questions, submit and reopen it. For scripts, for answers first taken on paper, and for testing
from outside; each goes through the same workspace service, with the same rules, as the window.

Refused input (an unknown case, fact or question, a value the question does not take, a
question switched off by its conditions, a case submitted or given to another assessor) exits
2 with one message on stderr and saves nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from probdesk.cli.output import inspection_here, inspections_here, short, table
from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.cli.bootstrap import Parents, Session, Subparsers
    from probdesk.domain.questionset import Question, QuestionSet
    from probdesk.domain.records import Case
    from probdesk.services.workspace import CaseState, Workspace

REF_HELP = "the case's reference (CRN or pseudonym)"


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = parents.of(inspection="prefix")
    case = sub.add_parser(
        "case",
        help="list, show, set the facts of, submit or reopen this laptop's cases",
        description="This laptop's cases, through the same rules as the window. A case is "
        "named by its reference; --inspection (an id or a unique prefix of one) is needed "
        "only when several inspections here hold the same reference. `probdesk answer` "
        "records an answer.",
    )
    case_sub = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    ls = case_sub.add_parser(
        "list",
        parents=common,
        help="the cases: reference, PDU, assessor, status, questions answered",
        description="List the cases of the inspection (every inspection here when none is "
        "named): reference, PDU, assessor, status, and the applicable questions answered "
        "out of those that apply. --format json gives the same as a list of objects.",
    )
    ls.add_argument("--format", choices=("table", "json"), default="table")
    ls.set_defaults(run=_list)
    sh = case_sub.add_parser(
        "show",
        parents=common,
        help="one case: its facts, status, and every question that applies, with answers",
        description="Print a case: its PDU, assessor, status and variant, its facts, then "
        "every question that applies to it (given its facts and answers), section by "
        "section, with its answer and evidence note; then any answers kept from another "
        "variant. --format json gives the same as one object.",
    )
    sh.add_argument("reference", metavar="REF", help=REF_HELP)
    sh.add_argument("--format", choices=("table", "json"), default="table")
    sh.set_defaults(run=_show)
    fa = case_sub.add_parser(
        "facts",
        parents=common,
        help="show a case's facts, or set them (they decide its variant and questions)",
        description="Without --set: each case fact with its value and the values it takes. "
        "With --set NAME=VALUE (repeat for each): change those facts and keep the others, as "
        "the window's case facts dialog does. NAME is the fact's id (e.g. domestic_abuse); "
        "VALUE is one of its values or their labels (yes, no, unknown; an option's value or "
        "label), a number or a date (YYYY-MM-DD); NAME= clears an optional fact. A change of "
        "variant keeps every answer already given. An unknown fact or value is refused, "
        "naming it and what is allowed, and nothing is changed.",
    )
    fa.add_argument("reference", metavar="REF", help=REF_HELP)
    fa.add_argument(
        "--set", dest="changes", action="append", default=[], metavar="NAME=VALUE",
        help="a fact to set; repeat for each",
    )  # fmt: skip
    fa.set_defaults(run=_facts)
    su = case_sub.add_parser(
        "submit",
        parents=common,
        help="submit a case (every applicable key question must be answered)",
        description="Submit the case, as the window's Submit case does: refused, listing "
        "them, while an applicable key question has no answer, or while the facts that "
        "decide its variant are missing. A submitted case is read-only until reopened.",
    )
    su.add_argument("reference", metavar="REF", help=REF_HELP)
    su.set_defaults(run=_submit)
    ro = case_sub.add_parser(
        "reopen",
        parents=common,
        help="reopen a submitted or returned case to change it",
        description="Put a submitted (or returned) case back in progress, as the window's "
        "Reopen case does.",
    )
    ro.add_argument("reference", metavar="REF", help=REF_HELP)
    ro.set_defaults(run=_reopen)

    an = sub.add_parser(
        "answer",
        parents=common,
        help="record (or clear) one answer of a case, with its evidence note",
        description="Record the answer to one question of a case, as the question form "
        "does: the value must be one the question takes (yes, no, na for Not applicable, an "
        "option's value or label, several options separated by commas, a number, a date as "
        "YYYY-MM-DD, or text), and the question must apply to the case (its variant, and "
        "the conditions on its facts and answers). --note sets the evidence note (left as "
        "it is without --note). Refused input saves nothing and exits 2. Prints what was "
        "saved and which questions now apply or no longer apply.",
    )
    an.add_argument("--case", dest="reference", required=True, metavar="REF", help=REF_HELP)
    an.add_argument("--question", required=True, metavar="QID", help="the question's id, e.g. C1.4")
    what = an.add_mutually_exclusive_group(required=True)
    what.add_argument("--value", metavar="V", help="the answer")
    what.add_argument("--clear", action="store_true", help="remove the answer")
    an.add_argument("--note", metavar="TEXT", help="the evidence note ('' clears it)")
    an.set_defaults(run=_answer)


# -- finding the case -----------------------------------------------------------------------------


def _case(ws: Workspace, args: argparse.Namespace) -> Case:
    inspection_id = inspection_here(ws, args.inspection).id if args.inspection else None
    return ws.find_case(args.reference, inspection_id)


# -- words ----------------------------------------------------------------------------------------


def _word(text: str, allowed: tuple[str, ...], label_of: Callable[[object], str]) -> str:
    """The value `text` names, by the value itself or its label (any case); else `text` as it
    is, for the service to refuse with the allowed values."""
    wanted = text.strip().casefold()
    for v in allowed:
        if wanted in (v.casefold(), label_of(v).casefold()):
            return v
    return text.strip()


def answer_value(q: Question, text: str) -> object:
    """An answer as typed on the command line, in the form the question form gives it."""
    from probdesk.domain.questionset import AnswerType

    allowed = q.allowed_values()
    if q.answer is AnswerType.MULTI_CHOICE:
        parts = [p for p in text.split(",") if p.strip()]
        return [_word(p, allowed or (), q.label_of) for p in parts]
    if allowed is not None:
        return _word(text, allowed, q.label_of)
    return text


def answer_text(q: Question, value: object) -> str:
    """An answer in the words the window shows."""
    if value is None:
        return "(not answered)"
    if isinstance(value, list | tuple):
        return ", ".join(q.label_of(v) for v in value)
    return q.label_of(value)


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


# -- case list ------------------------------------------------------------------------------------


def _list(args: argparse.Namespace, session: Session) -> int:
    ws = session.ws
    inspections = inspections_here(ws, args.inspection)
    several = len(inspections) > 1
    found = [(i, r) for i in inspections for r in ws.case_rows(i.id)]
    if args.format == "json":
        rows = [
            {
                "inspection_id": i.id, "reference": r.reference, "pdu": r.pdu,
                "assessor": r.assessor, "status": r.status.value, "variant": r.variant,
                "answered": r.answered, "applicable": r.applicable, "mine": r.mine,
            }
            for i, r in found
        ]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("No cases here yet: open a setup pack (or add cases in the window) first.")
        return 0
    headers = (*(("INSPECTION",) if several else ()), "REFERENCE", "PDU", "ASSESSOR", "STATUS",
               "ANSWERED")  # fmt: skip
    body = [
        (
            *((short(i.id),) if several else ()), r.reference, r.pdu or "-", r.assessor or "-",
            r.status.label + ("" if r.mine else " (read-only here)"),
            f"{r.answered}/{r.applicable}",
        )
        for i, r in found
    ]  # fmt: skip
    sys.stdout.write(table(headers, body))
    return 0


# -- case show ------------------------------------------------------------------------------------


def _fact_text(qs: QuestionSet, fact_id: str, value: object) -> str:
    fact = qs.fact(fact_id)
    label = fact.label_of(value)
    return label if label == str(value) else f"{label} [{value}]"


def _show(args: argparse.Namespace, session: Session) -> int:
    ws = session.ws
    case = _case(ws, args)
    state = ws.case_state(case.id)
    if args.format == "json":
        print(json.dumps(_as_json(ws, state), ensure_ascii=False, indent=2))
        return 0
    print("\n".join(_as_text(ws, state)))
    return 0


def _visible(state: CaseState) -> list[tuple[str, Question]]:
    """(section title, question) of every question that applies, in the form's order."""
    qs, case = state.question_set, state.case
    return [
        (s.title, q)
        for s in qs.sections_for(case.variant)
        for q in s.questions
        if q.id in state.applicable
    ]


def _variant(state: CaseState) -> str:
    case = state.case
    return state.question_set.variant(case.variant).label if case.variant else "not determined"


def _as_text(ws: Workspace, state: CaseState) -> list[str]:
    qs, case = state.question_set, state.case
    inspection = ws.inspection(case.inspection_id)
    out = [
        f"Case {case.reference}: {inspection.title} (inspection {short(inspection.id)})",
        f"  PDU: {case.pdu or '-'}; assessor: {case.assessor or '-'}; status: "
        f"{case.status.label}; variant: {_variant(state)}; {state.answered_applicable} of "
        f"{len(state.applicable)} applicable questions answered",
    ]
    if not state.mine:
        out.append(f"  now {case.assessor}'s case: read-only on this laptop")
    out += ["", "Facts"]
    for f in qs.facts:
        shown = _fact_text(qs, f.id, case.facts[f.id]) if f.id in case.facts else "not given"
        out.append(f"  {f.id} ({f.label}): {shown}")
    section = None
    for title, q in _visible(state):
        if title != section:
            out += ["", title]
            section = title
        kind = "Key question" if q.is_key else "Prompt"
        out.append(f"  {q.id}  {kind}: {q.text}")
        out.append(f"      answer: {answer_text(q, state.answers.get(q.id))}")
        note = state.notes.get(q.id)
        if note:
            lines = note.splitlines() or [""]
            out.append(f"      note: {lines[0]}")
            out += [f"            {line}" for line in lines[1:]]
    if not state.applicable:
        out += ["", "No questions apply yet: set the facts that decide the variant."]
    if state.other_variant_answers:
        out += ["", "Answers kept from another variant (not counted for this one)"]
        for qid, value in state.other_variant_answers:
            out.append(f"  {qid}: {answer_text(qs.question(qid), value)}")
    return out


def _as_json(ws: Workspace, state: CaseState) -> dict[str, Any]:
    case = state.case
    return {
        "inspection_id": case.inspection_id,
        "reference": case.reference,
        "pdu": case.pdu,
        "assessor": case.assessor,
        "status": case.status.value,
        "variant": case.variant,
        "editable": state.editable,
        "answered": state.answered_applicable,
        "applicable": len(state.applicable),
        "facts": {k: _json_value(v) for k, v in case.facts.items()},
        "questions": [_question_json(state, title, q) for title, q in _visible(state)],
        "other_variant_answers": [
            {"id": qid, "value": _json_value(v)} for qid, v in state.other_variant_answers
        ],
    }


def _question_json(state: CaseState, section: str, q: Question) -> dict[str, Any]:
    value = state.answers.get(q.id)
    return {
        "id": q.id,
        "section": section,
        "key_question": q.is_key,
        "text": q.text,
        "answer_type": q.answer.value,
        "value": _json_value(value),
        "answer": None if value is None else answer_text(q, value),
        "note": state.notes.get(q.id, ""),
    }


# -- case facts -----------------------------------------------------------------------------------


def _allowed(qs: QuestionSet, fact_id: str) -> str:
    fact = qs.fact(fact_id)
    allowed = fact.allowed_values()
    if allowed is not None:
        return ", ".join(f"{v} ({fact.label_of(v)})" for v in allowed)
    return {"number": "a number", "date": "a date, YYYY-MM-DD"}.get(fact.type.value, "text")


def _facts(args: argparse.Namespace, session: Session) -> int:
    ws = session.ws
    case = _case(ws, args)
    qs = ws.question_set(ws.inspection(case.inspection_id))
    if not args.changes:
        print(f"Case {case.reference}: variant {_variant(ws.case_state(case.id))}")
        for f in qs.facts:
            shown = _fact_text(qs, f.id, case.facts[f.id]) if f.id in case.facts else "not given"
            optional = "" if f.required else ", optional"
            print(f"  {f.id} ({f.label}): {shown}; takes {_allowed(qs, f.id)}{optional}")
        return 0
    known = {f.id: f for f in qs.facts}
    changes: dict[str, object] = {}
    for spec in args.changes:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(
                f"--set {spec!r}: write it as NAME=VALUE, for example --set domestic_abuse=yes; "
                "nothing was changed."
            )
        fact = known.get(name)
        allowed = fact.allowed_values() if fact is not None else None
        changes[name] = _word(raw, allowed, fact.label_of) if fact and allowed else raw.strip()
    before = ws.case_state(case.id)
    updated = ws.change_facts(case.id, changes)
    after = ws.case_state(case.id)
    changed = [
        f"{f.id} ({f.label}): "
        f"{_fact_text(qs, f.id, case.facts[f.id]) if f.id in case.facts else 'not given'} -> "
        f"{_fact_text(qs, f.id, updated.facts[f.id]) if f.id in updated.facts else 'not given'}"
        for f in qs.facts
        if case.facts.get(f.id) != updated.facts.get(f.id)
    ]
    if not changed:
        print(f"case {case.reference}: facts unchanged")
        return 0
    print(f"case {case.reference}: facts changed")
    for line in changed:
        print(f"  {line}")
    if before.case.variant != after.case.variant:
        print(f"variant: {_variant(before)} -> {_variant(after)} (answers already given are "
              "kept)")  # fmt: skip
    _say_what_applies(before, after)
    return 0


def _say_what_applies(before: CaseState, after: CaseState) -> None:
    on = sorted(after.applicable - before.applicable, key=_order(after))
    off = sorted(before.applicable - after.applicable, key=_order(before))
    if on:
        print(f"now applies: {', '.join(on)}")
    if off:
        kept = any(q in before.answers for q in off)
        print(f"no longer applies: {', '.join(off)}" + (" (its answers are kept)" if kept else ""))
    print(f"{after.answered_applicable} of {len(after.applicable)} applicable questions answered")


def _order(state: CaseState) -> Callable[[str], int]:
    ids = [q.id for q in state.question_set.questions]
    return ids.index


# -- submit and reopen ----------------------------------------------------------------------------


def _submit(args: argparse.Namespace, session: Session) -> int:
    ws = session.ws
    case = _case(ws, args)
    ws.submit(case.id)
    state = ws.case_state(case.id)
    answered = f"{state.answered_applicable} of {len(state.applicable)}"
    print(f"case {case.reference} submitted ({answered} applicable questions answered); "
          "reopen it to change it")  # fmt: skip
    return 0


def _reopen(args: argparse.Namespace, session: Session) -> int:
    ws = session.ws
    case = _case(ws, args)
    updated = ws.reopen(case.id)
    print(f"case {case.reference} reopened: {updated.status.label.lower()}")
    return 0


# -- answer ---------------------------------------------------------------------------------------


def _answer(args: argparse.Namespace, session: Session) -> int:
    ws = session.ws
    case = _case(ws, args)
    before = ws.case_state(case.id)
    qs, qid = before.question_set, args.question.strip()
    value: object = None
    if not args.clear:
        value = answer_value(qs.question(qid), args.value) if qs.has_question(qid) else args.value
    event = ws.answer_question(case.id, qid, value, args.note)
    q = qs.question(qid)
    old_value, old_note = before.answers.get(qid), before.notes.get(qid, "")
    if event is None:
        print(f"case {case.reference} {qid}: not answered; nothing to clear")
        return 0
    if event.value == old_value and event.note == old_note:
        print(f"case {case.reference} {qid}: {answer_text(q, event.value)}, as before; "
              "nothing changed")  # fmt: skip
        return 0
    done = "cleared" if event.value is None else answer_text(q, event.value)
    if old_value is not None and event.value != old_value:
        done += f" (was {answer_text(q, old_value)})"
    note = ""
    if event.note != old_note:
        note = "; note saved" if event.note else "; note cleared"
    print(f"case {case.reference} {qid}: {done}{note}")
    _say_what_applies(before, ws.case_state(case.id))
    return 0
