"""The hub's read side: every figure the Hub tab, the Evidence tab, the Reports tab, the PDF
builders and the command line show, from one set of functions.

A percentage, a rating, a pooled regional figure or a case finding is counted here once, so
the window and the printed report cannot drift apart: the Hub tab's table, the PDU and
regional reports (probdesk.services.reports) and `probdesk summary` all take their rows from
`summarise` and `standards` over the cases `load_cases` reads. The views below gather what
one screen or report needs in one read (`inspection_figures`, `regional_figures`,
`case_findings`, `group_figures`); the window only lays them out.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from probdesk.domain import case_events as ce
from probdesk.domain.answers import heads
from probdesk.domain.cells import safe_cell
from probdesk.domain.evidence import OrgEvent, OrgState, fold
from probdesk.domain.questionset import NOT_FOR_PUBLICATION, Question, QuestionSet
from probdesk.domain.records import CaseStatus
from probdesk.domain.summary import (
    Outcome,
    Tally,
    base_caution,
    case_outcomes,
    percent_value,
    rate,
)
from probdesk.errors import InputError
from probdesk.hub.rows import AnswerRow, OrgEventRow
from probdesk.hub.store import Hub

# -- summaries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    scope: str  # "pdu" or "region"
    name: str
    question_id: str
    key_question: bool
    relevant: int
    yes: int
    no: int
    not_applicable: int
    percent: float | None  # rounded down to one decimal place; None when nothing is relevant
    rating: str | None
    split: str | None = None  # the variant, case fact value or assessor role, when split
    version: str = ""  # the question set (id and version) the figure was worked out under
    did_not_apply: int = 0  # cases whose condition switched the question off (not asked)
    not_answered: int = 0  # cases it applies to, with no answer yet
    caution: str = ""  # "base too small (4 of at least 10)": read with care, no rating given
    publication: str = ""  # NOT_FOR_PUBLICATION where the set publishes only above this scope


@dataclass(frozen=True)
class HubCase:
    id: str
    reference: str
    pdu: str
    region: str
    variant: str | None
    facts: dict[str, object]
    assessor: str
    status: str
    answers: dict[str, object]
    notes: dict[str, str]
    # Pooled with cases of another version of the set: the version this case was answered
    # under (its conditions decide what applies); None: the pool's own set.
    qs: QuestionSet | None = field(default=None, compare=False, repr=False)


def outcomes(qs: QuestionSet, c: HubCase) -> dict[str, Outcome]:
    """Each counting question's outcome for one case: under the case's own version when it
    was pooled from another, restricted to the questions the pool counts."""
    own = c.qs or qs
    got = case_outcomes(own, c.variant, c.facts, c.answers)
    if own is qs:
        return got
    return {q: o for q, o in got.items() if qs.has_question(q) and qs.question(q).counts}


def pick_inspection(hub: Hub, inspection_id: str | None) -> str:
    ids = hub.inspection_ids()
    if inspection_id:
        if inspection_id not in ids:
            raise InputError(f"The hub holds no inspection {inspection_id}.")
        return inspection_id
    if not ids:
        raise InputError("The hub is empty: merge the shared folder first.")
    if len(ids) > 1:
        raise InputError("The hub holds several inspections; choose one with --inspection: "
                         + ", ".join(ids))  # fmt: skip
    return ids[0]


def load_cases(hub: Hub, inspection_id: str) -> tuple[QuestionSet, list[HubCase]]:
    """Every case with its current answers (the newest unreplaced event per question)."""
    from probdesk.domain import loader

    insp = hub.inspection(inspection_id)
    assert insp is not None
    text = hub.question_set_text(insp.qs_hash)
    assert text is not None
    qs = loader.parse_text(text, "hub question set")
    every = hub.events_of(inspection_id)
    settled = settled_events(hub, inspection_id, every)
    evs = [e for e in every if e.id not in settled]
    current = heads(evs, key=lambda e: (e.case_id, e.question_id))
    answers: dict[str, dict[str, object]] = {}
    notes: dict[str, dict[str, str]] = {}
    for (case_id, qid), e in current.items():
        value = e.answer
        if value is not None:
            answers.setdefault(case_id, {})[qid] = (
                tuple(value) if isinstance(value, list) else value
            )
        if e.note:
            notes.setdefault(case_id, {})[qid] = e.note
    out = [
        HubCase(
            c.id,
            c.reference,
            c.pdu or insp.pdu,
            insp.region,
            c.variant,
            c.fact_values,
            c.assessor,
            c.status,
            answers.get(c.id, {}),
            notes.get(c.id, {}),
        )
        for c in hub.cases_of(inspection_id)
    ]
    return qs, sorted(out, key=lambda c: c.reference)


Loaded = tuple[QuestionSet, list["HubCase"]]  # load_cases' result, to share between figures

# What the figures count by default: the cases the assessors have finished. A case in
# progress, not started or returned to its assessor is left out until it is submitted again.
COUNTED_STATUSES = frozenset(
    {CaseStatus.SUBMITTED.value, CaseStatus.APPROVED.value, CaseStatus.LOCKED.value}
)
COUNTED_WORDS = "submitted, approved or locked"


def counted_cases(cases: Sequence[HubCase], provisional: bool = False) -> list[HubCase]:
    """The cases a figure counts: the finished ones; provisional figures count every case
    with an answer, finished or not."""
    if provisional:
        return [c for c in cases if c.status in COUNTED_STATUSES or c.answers]
    return [c for c in cases if c.status in COUNTED_STATUSES]


@dataclass(frozen=True)
class Coverage:
    """What a set of figures counts: shown beside every table and on every report's first
    page, so that no figure reads as final when it is not."""

    cases: int  # every case of the scope in the hub
    counted: int
    not_counted: tuple[tuple[str, int], ...]  # (status label, cases) left out, CaseStatus order
    undecided_conflicts: int
    provisional: bool = False
    provisional_unfinished: int = 0  # provisional: counted cases not yet submitted

    @property
    def final(self) -> bool:
        """Nothing waits: every case counted as finished, no conflict undecided."""
        return not self.provisional and not self.not_counted and not self.undecided_conflicts

    @property
    def text(self) -> str:
        """One paragraph: what is counted, what is not yet, and the undecided conflicts."""
        if self.provisional:
            head = (
                f"PROVISIONAL figures: {self.counted} of {self.cases} cases counted, every case "
                f"with an answer, {self.provisional_unfinished} of them not yet "
                f"{COUNTED_WORDS}."
            )
        elif self.counted == self.cases:
            head = f"Counted: all {self.cases} cases ({COUNTED_WORDS})."
        else:
            head = f"Counted: {self.counted} of {self.cases} cases ({COUNTED_WORDS})."
        waiting = ", ".join(f"{n} {label.lower()}" for label, n in self.not_counted)
        parts = [head]
        if waiting:
            parts.append(f"Not counted{' yet' if not self.provisional else ''}: {waiting}.")
        n = self.undecided_conflicts
        parts.append(f"Undecided conflicts: {n}." if n else "No undecided conflicts.")
        return " ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "cases": self.cases, "counted": self.counted,
            "counted_statuses": "all answered" if self.provisional else COUNTED_WORDS,
            "not_counted": {label: n for label, n in self.not_counted},
            "undecided_conflicts": self.undecided_conflicts, "provisional": self.provisional,
            "text": self.text,
        }  # fmt: skip


def coverage(cases: Sequence[HubCase], conflicts_undecided: int, provisional: bool) -> Coverage:
    """What the figures over `cases` count (see Coverage)."""
    counted = counted_cases(cases, provisional)
    ids = {c.id for c in counted}
    left = Counter(c.status for c in cases if c.id not in ids)
    unfinished = sum(c.status not in COUNTED_STATUSES for c in counted)
    return Coverage(
        len(cases), len(counted),
        tuple((st.label, left[st.value]) for st in CaseStatus if left[st.value]),
        conflicts_undecided, provisional, unfinished if provisional else 0,
    )  # fmt: skip


def undecided(found: Sequence[Conflict]) -> int:
    """How many conflicts wait for the team lead (parallel updates decide nothing)."""
    return sum(c.kind == "conflict" for c in found)


def summarise(
    hub: Hub,
    inspection_id: str,
    by: str,
    split_by: str | None = None,
    *,
    loaded: Loaded | None = None,
    provisional: bool = False,
) -> list[SummaryRow]:
    """Per key question and prompt: counts and percentage Yes over relevant cases, over the
    finished cases (`counted_cases`; provisional: every case with an answer).

    split_by: "variant", "assessor_role" or a case fact id (RoSH level, sentence type, ...).
    """
    if by not in ("pdu", "region"):
        raise InputError("Summarise --by pdu or --by region.")
    qs, hub_cases = loaded or load_cases(hub, inspection_id)
    splitter = _splitter(qs, hub, split_by)
    groups: dict[tuple[str, str | None], dict[str, Tally]] = {}
    for c in counted_cases(hub_cases, provisional):
        name = c.pdu if by == "pdu" else c.region
        tallies = groups.setdefault((name, splitter(c) if splitter else None), {})
        for qid, outcome in outcomes(qs, c).items():
            if outcome is not Outcome.NOT_ASKED:
                tallies[qid] = tallies.get(qid, Tally()).add(outcome)
    order = [q.id for q in qs.questions if q.counts]
    scale = qs.ratings.scale if qs.ratings else ()
    rules = qs.figure_rules
    publication = NOT_FOR_PUBLICATION if rules.restricted(by) else ""
    rows = []
    for name, part in sorted(groups, key=lambda k: (k[0], k[1] or "")):
        tallies = groups[(name, part)]
        for qid in order:
            if qid not in tallies:
                continue
            t = tallies[qid]
            q = qs.question(qid)
            caution = base_caution(t, rules.minimum_base)
            level = rate(t.percent, scale) if scale and q.is_key and not caution else None
            rows.append(SummaryRow(
                by, name, qid, q.is_key, t.relevant, t.yes, t.no, t.not_applicable,
                percent_value(t.percent), level.label if level else None, part,
                version_name(qs), t.did_not_apply, t.unanswered, caution, publication,
            ))  # fmt: skip
    return rows


def _splitter(qs: QuestionSet, hub: Hub, split_by: str | None) -> Callable[[HubCase], str] | None:
    if split_by is None:
        return None
    if split_by == "variant":
        return lambda c: qs.variant(c.variant).label if c.variant else "variant not determined"
    if split_by == "assessor_role":
        roles = hub.device_roles()
        return lambda c: roles.get(c.assessor, "") or "role not known"
    fact = next((f for f in qs.facts if f.id == split_by), None)
    if fact is None:
        known = ", ".join(["variant", "assessor_role", *(f.id for f in qs.facts)])
        raise InputError(f"Cannot split by '{split_by}': choose one of {known}.")
    return lambda c: (
        fact.label_of(c.facts[split_by]) if c.facts.get(split_by) is not None else "not recorded"
    )


def render(rows: Sequence[SummaryRow], fmt: str) -> str:
    """The same rows always give the same bytes (JSON: a list of rows; see render_summary
    for the whole summary with its standards, bands and what is counted)."""
    if fmt == "json":
        return json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False) + "\n"
    fields = list(SummaryRow.__dataclass_fields__)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(fields)
        for r in rows:
            w.writerow([safe_cell(v) for v in asdict(r).values()])
        return buf.getvalue()
    if fmt != "table":
        raise InputError("Format is table, csv or json.")
    return _table(rows)


def _group_name(r: SummaryRow) -> str:
    return f"{r.name} / {r.split}" if r.split is not None else r.name


def _table(rows: Sequence[SummaryRow]) -> str:
    """Plain columns as wide as their longest entry: no name is cut, so two groups never
    print the same."""
    heads = ("scope", "name", "question", "relevant", "yes", "no", "answered n/a",
             "did not apply", "not answered", "% yes", "rating")  # fmt: skip
    body = [
        (
            r.scope, _group_name(r), r.question_id, str(r.relevant), str(r.yes), str(r.no),
            str(r.not_applicable), str(r.did_not_apply), str(r.not_answered),
            "no relevant cases" if r.percent is None else f"{r.percent:.1f}%"
            + (" (caution)" if r.caution else ""),
            "; ".join(x for x in (r.rating or "", r.caution) if x),
        )
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    left = {0, 1, 2, 10}  # text columns; the counts and percentages align right

    def line(cells: Sequence[str]) -> str:
        out = [c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(cells)]
        return "  ".join(out).rstrip()

    return "\n".join([line(heads), *(line(b) for b in body)]) + "\n"


@dataclass(frozen=True)
class Summary:
    """Everything `probdesk summary` prints: the rows, the standards and overall bands where
    the set rates, what is counted, and what pooling left out."""

    rows: list[SummaryRow]
    standards: list[StandardRow]
    overall: list[OverallRow]
    coverage: Coverage
    left_out: tuple[LeftOut, ...] = ()
    version: str = ""


def inspection_summary(
    hub: Hub,
    inspection_id: str,
    by: str,
    split_by: str | None = None,
    *,
    provisional: bool = False,
) -> Summary:
    """One inspection's whole summary (see Summary), from one read of its cases."""
    loaded = load_cases(hub, inspection_id)
    rows = summarise(hub, inspection_id, by, split_by, loaded=loaded, provisional=provisional)
    std, totals = standards(hub, inspection_id, by, loaded=loaded, provisional=provisional)
    cov = coverage(loaded[1], undecided(conflicts(hub, inspection_id)), provisional)
    return Summary(rows, std, totals, cov, (), version_name(loaded[0]))


def region_summary(
    hub: Hub, region: str, by: str, split_by: str | None = None, *, provisional: bool = False
) -> Summary:
    """A region's whole pooled summary over its PDU inspections (see Summary)."""
    pooling = regional_pooling(hub, region)
    assert pooling.pool is not None
    loaded = pooling.pool.loaded
    rows = summarise(hub, "", by, split_by, loaded=loaded, provisional=provisional)
    std, totals = standards(hub, "", by, loaded=loaded, provisional=provisional)
    cov = pooled_coverage(hub, pooling, provisional)
    return Summary(rows, std, totals, cov, pooling.left_out, version_name(loaded[0]))


# The CSV of a whole summary: one table, a row per figure, standard and overall band; the
# "record" column says which, and the columns a record has no use for stay empty.
SUMMARY_CSV_FIELDS = (
    "record", *SummaryRow.__dataclass_fields__, "standard_id", "title", "lowest_question",
    "score", "band",
)  # fmt: skip


def render_summary(summary: Summary, fmt: str) -> str:
    """A whole summary as a table (with the standards block), CSV or JSON; the same summary
    always gives the same bytes. JSON is one object: question_set, coverage, figures,
    standards, overall and left_out."""
    if fmt == "json":
        doc = {
            "question_set": summary.version,
            "coverage": summary.coverage.as_dict(),
            "figures": [asdict(r) for r in summary.rows],
            "standards": [asdict(r) for r in summary.standards],
            "overall": [asdict(r) for r in summary.overall],
            "left_out": [asdict(o) for o in summary.left_out],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, SUMMARY_CSV_FIELDS, lineterminator="\n", restval="")
        w.writeheader()
        records: list[tuple[str, dict[str, object]]] = [
            *(("figure", asdict(r)) for r in summary.rows),
            *(("standard", asdict(r)) for r in summary.standards),
            *(("overall", asdict(r)) for r in summary.overall),
        ]
        for record, values in records:
            w.writerow({k: safe_cell(v) for k, v in {"record": record, **values}.items()})
        return buf.getvalue()
    if fmt != "table":
        raise InputError("Format is table, csv or json.")
    out = [f"question set: {summary.version}", summary.coverage.text]
    restricted = next((r.publication for r in summary.rows if r.publication), "")
    if restricted:
        out.append(f"{summary.rows[0].scope.upper()} figures: {restricted}.")
    out.append("")
    body = render(summary.rows, "table") if summary.rows else "No figures yet.\n"
    return "\n".join(out) + body + render_standards(summary.standards, summary.overall)


# -- conflicts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One of a conflict's answers, with what the team lead needs to choose between them."""

    author: str
    device_id: str
    value: object
    note: str
    hlc: str
    recorded_at: str  # the laptop's own time of the answer (ordering uses the clock)


@dataclass(frozen=True)
class Conflict:
    """Concurrent answers to one question of a case (or, kind "parallel", to its questions)."""

    kind: str  # "conflict": the same question; "parallel": different questions, several laptops
    case_ref: str
    question_id: str  # empty for a parallel update
    values: tuple[tuple[str, object], ...]  # (author or device, value), winner first
    winner_hlc: str
    sides: tuple[Side, ...] = ()  # the same answers in full, winner first


def settled_events(hub: Hub, inspection_id: str, events: Sequence[AnswerRow]) -> set[str]:
    """Events a team lead's decision settled: the answers it set aside, and every later edit
    made on top of them or of the kept answer without knowing of the decision (a note added
    on a laptop afterwards). Edits made on top of the decision itself stand."""
    superseded = hub.superseded_of(inspection_id)
    if not superseded:
        return set()
    decisions = hub.resolution_events_of(inspection_id)
    by_id = {e.id: e for e in events}
    roots = set(superseded) | {
        str(by_id[d].replaces) for d in decisions if d in by_id and by_id[d].replaces
    }
    children: dict[str, list[str]] = {}
    for e in events:
        if e.replaces:
            children.setdefault(e.replaces, []).append(e.id)
    settled = set(superseded)
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in decisions and child not in settled:
                settled.add(child)
                stack.append(child)
    return settled


def conflicts(hub: Hub, inspection_id: str) -> list[Conflict]:
    """Undecided conflicts, listed (never hidden); the shown winner is the newest by clock,
    then device id, as the summaries use it."""
    refs = {c.id: c.reference for c in hub.cases_of(inspection_id)}
    every = hub.events_of(inspection_id)
    settled = settled_events(hub, inspection_id, every)
    evs = [e for e in every if e.id not in settled]
    replaced = {e.replaces for e in evs if e.replaces}
    decisions = hub.resolution_events_of(inspection_id)
    open_heads: dict[tuple[str, str], list[AnswerRow]] = {}
    devices_by_case: dict[str, set[str]] = {}
    for e in evs:
        if e.id not in decisions:  # the team lead's decision is not a parallel update
            devices_by_case.setdefault(e.case_id, set()).add(e.device_id)
        if e.id not in replaced:
            open_heads.setdefault((e.case_id, e.question_id), []).append(e)
    out: list[Conflict] = []
    flagged: set[str] = set()
    for (case_id, qid), hs in sorted(
        open_heads.items(), key=lambda kv: (refs.get(kv[0][0], ""), kv[0][1])
    ):
        if len(hs) < 2:
            continue
        if len({(e.value, e.note) for e in hs}) == 1:
            continue  # the same answer and note on both sides: nothing to decide
        hs = sorted(hs, key=lambda e: e.hlc, reverse=True)
        out.append(Conflict(
            "conflict", refs.get(case_id, case_id), qid,
            tuple((e.author or e.device_id[:8], e.answer) for e in hs),
            hs[0].hlc,
            tuple(Side(e.author or "", e.device_id, e.answer, e.note, e.hlc, str(e.recorded_at))
                  for e in hs),
        ))  # fmt: skip
        flagged.add(case_id)
    out.extend(_field_conflicts(hub, inspection_id, refs))
    for case_id, devs in sorted(devices_by_case.items(), key=lambda kv: refs.get(kv[0], "")):
        if len(devs) > 1 and case_id not in flagged:
            out.append(Conflict("parallel", refs.get(case_id, case_id), "", (), ""))
    return out


def _field_conflicts(hub: Hub, inspection_id: str, refs: Mapping[str, str]) -> list[Conflict]:
    """Concurrent changes with different values to one field of a case (a fact, the PDU,
    the status): "question" is the field ("fact:rosh_level"), settled by the team lead."""
    out = []
    folded = ce.fold(hub.case_events_of(inspection_id))
    for case_id, fields in sorted(folded.items(), key=lambda kv: refs.get(kv[0], kv[0])):
        if case_id not in refs:
            continue
        for name, state in sorted(fields.items()):
            if not state.conflict:
                continue
            out.append(Conflict(
                "conflict", refs[case_id], name,
                tuple((h.author or h.device_id[:8] or "before case events", h.value)
                      for h in state.heads),
                state.winner.hlc,
                tuple(Side(h.author, h.device_id, h.value, "", h.hlc, h.recorded_at)
                      for h in state.heads),
            ))  # fmt: skip
    return out


# -- fieldwork progress, drill-down, split figures ---------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    group: str  # "assessor" or "pdu"
    name: str
    by_status: tuple[tuple[str, int], ...]  # (status, count), in the order of CaseStatus
    total: int


def progress(hub: Hub, inspection_id: str, *, loaded: Loaded | None = None) -> list[ProgressRow]:
    """Cases by status, per assessor and per PDU."""

    _qs, hub_cases = loaded or load_cases(hub, inspection_id)
    rows = []
    groups: tuple[tuple[str, Callable[[HubCase], str]], ...] = (
        ("assessor", lambda c: c.assessor), ("pdu", lambda c: c.pdu),
    )  # fmt: skip
    for group, key in groups:
        names = sorted({key(c) for c in hub_cases})
        for name in names:
            mine = [c for c in hub_cases if key(c) == name]
            counts = tuple((st.value, sum(c.status == st.value for c in mine)) for st in CaseStatus)
            rows.append(ProgressRow(group, name, counts, len(mine)))
    return rows


@dataclass(frozen=True)
class CaseOutcome:
    case_ref: str
    pdu: str
    assessor: str
    outcome: str  # yes / no / na / did_not_apply / unanswered
    status: str = ""  # the case's status (provisional figures count unfinished cases too)
    inspection_id: str = ""  # the inspection the case is in (pooled figures: one of several)


def drill_down(
    hub: Hub,
    inspection_id: str,
    question_id: str,
    pdu: str | None,
    *,
    provisional: bool = False,
) -> list[CaseOutcome]:
    """The cases behind a percentage: each counted case's outcome for one question (one PDU
    or all), the same cases `summarise` counts."""
    qs, hub_cases = load_cases(hub, inspection_id)
    if not qs.has_question(question_id):
        raise InputError(f"{question_id} is not a question of {qs.title}.")
    out = []
    for c in counted_cases(hub_cases, provisional):
        if pdu is not None and c.pdu != pdu:
            continue
        outcome = outcomes(qs, c).get(question_id)
        if outcome is None or outcome is Outcome.NOT_ASKED:
            continue
        out.append(
            CaseOutcome(c.reference, c.pdu, c.assessor, outcome.value, c.status, inspection_id)
        )
    return out


# -- ratings of standards, and the non-case evidence ---------------------------------------------


@dataclass(frozen=True)
class StandardRow:
    scope: str
    name: str
    standard_id: str
    title: str
    rating: str | None  # from the lowest key question with relevant cases
    lowest_question: str | None
    percent: float | None
    caution: str = ""  # why no rating though key questions have relevant cases
    publication: str = ""  # NOT_FOR_PUBLICATION where the set publishes only above this scope


@dataclass(frozen=True)
class OverallRow:
    scope: str
    name: str
    score: int | None  # None until every standard has a rating
    band: str | None


def standards(
    hub: Hub,
    inspection_id: str,
    by: str,
    *,
    loaded: Loaded | None = None,
    provisional: bool = False,
) -> tuple[list[StandardRow], list[OverallRow]]:
    """Standard ratings, points and score bands, where the question set declares them, over
    the cases `summarise` counts."""
    from probdesk.domain.summary import overall

    qs, hub_cases = loaded or load_cases(hub, inspection_id)
    if qs.ratings is None:
        return [], []
    publication = NOT_FOR_PUBLICATION if qs.figure_rules.restricted(by) else ""
    groups: dict[str, dict[str, Tally]] = {}
    for c in counted_cases(hub_cases, provisional):
        name = c.pdu if by == "pdu" else c.region
        tallies = groups.setdefault(name, {})
        for qid, outcome in outcomes(qs, c).items():
            if outcome is not Outcome.NOT_ASKED:
                tallies[qid] = tallies.get(qid, Tally()).add(outcome)
    rows: list[StandardRow] = []
    totals: list[OverallRow] = []
    for name in sorted(groups):
        result = overall(qs.ratings, groups[name], qs.figure_rules.minimum_base)
        for r in result.standards:
            rows.append(StandardRow(
                by, name, r.standard.id, r.standard.title,
                r.rating.label if r.rating else None, r.lowest_question,
                percent_value(r.percent), r.caution, publication,
            ))  # fmt: skip
        totals.append(OverallRow(by, name, result.score, result.band))
    return rows, totals


@dataclass(frozen=True)
class EvidenceNote:
    question_id: str
    question: str
    meeting: str  # kind, date and title
    groups: str  # participant groups with head counts, no names
    note: str
    meeting_id: str = ""
    kind: str = ""  # "meeting" or "focus_group"
    held_on: str = ""  # YYYY-MM-DD
    title: str = ""
    attendance: tuple[tuple[str, int], ...] = ()  # (participant group id, head count)


def evidence(hub: Hub, inspection_id: str) -> list[EvidenceNote]:
    """Notes from meetings and focus groups, by non-case question then meeting: for
    triangulation against the case findings."""
    from probdesk.domain import loader

    insp = hub.inspection(inspection_id)
    assert insp is not None
    text = hub.question_set_text(insp.qs_hash)
    assert text is not None
    qs = loader.parse_text(text, "hub question set")
    ms, notes = hub.meetings_of(inspection_id)
    by_id = {m.id: m for m in ms}
    current = heads(notes, key=lambda n: (n.meeting_id, n.question_id))
    labels = {g.id: g.label for g in qs.participant_groups}
    order = {q.id: i for i, q in enumerate(qs.non_case_questions)}
    texts = {q.id: q.text for q in qs.non_case_questions}
    out = []
    for (meeting_id, qid), n in current.items():
        m = by_id.get(meeting_id)
        if m is None or not n.note.strip():
            continue
        attendance = m.attendance
        groups = ", ".join(f"{labels.get(g, g)} ({count})" for g, count in attendance)
        kind = "Focus group" if m.kind == "focus_group" else "Meeting"
        out.append(EvidenceNote(
            qid, texts.get(qid, qid), f"{kind}, {m.held_on}: {m.title}", groups, n.note,
            m.id, m.kind, m.held_on, m.title, attendance,
        ))  # fmt: skip
    return sorted(out, key=lambda e: (order.get(e.question_id, 1 << 30), e.meeting))


def render_standards(rows: Sequence[StandardRow], totals: Sequence[OverallRow]) -> str:
    """The standards block under the table summary (empty when the set does not rate)."""
    if not rows:
        return ""
    lines = ["", "Standards (rated by their lowest key question)"]
    name_w = max(len(n) for n in [*(r.name for r in rows), *(t.name for t in totals)]) + 2
    id_w = max(len(r.standard_id) for r in rows) + 2
    title_w = max(len(r.title) for r in rows) + 2
    rating_w = max(len(r.rating or "-") for r in rows) + 2
    for r in rows:
        pct = (
            "no relevant cases" if r.percent is None else f"{r.percent:.1f}% ({r.lowest_question})"
        )
        extra = f"; {r.caution}" if r.caution else ""
        lines.append(
            f"  {r.name:<{name_w}}{r.standard_id:<{id_w}}{r.title:<{title_w}}"
            f"{r.rating or '-':<{rating_w}}{pct}{extra}"
        )
    for t in totals:
        score = "not all standards rated" if t.score is None else f"{t.score} points: {t.band}"
        lines.append(f"  {t.name:<{name_w}}overall: {score}")
    return "\n".join(lines) + "\n"


# -- domain one evidence ---------------------------------------------------------------------


def hub_org_state(hub: Hub, inspection_id: str) -> OrgState:
    """Every laptop's logged documents, gaps, judgements (current and history) and survey
    figures for an inspection, folded exactly as on a laptop (`probdesk.domain.evidence`)."""
    if hub.inspection(inspection_id) is None:
        raise InputError(f"The hub holds no inspection {inspection_id}.")
    return fold(_org_event(r) for r in hub.org_events_of(inspection_id))


def _org_event(r: OrgEventRow) -> OrgEvent:
    return OrgEvent(
        r.id, r.inspection_id, r.kind, r.subject_id, json.loads(r.payload), r.device_id, r.seq,
        r.hlc, r.replaces, r.author, datetime.fromisoformat(r.recorded_at),
    )  # fmt: skip


# -- the regional inspection: pooled over the region's PDU inspections ---------------------------


@dataclass(frozen=True)
class RegionInspections:
    region: str
    pdu_inspections: tuple[str, ...]  # kind "pdu": their cases pool into the regional figures
    region_inspections: tuple[str, ...]  # kind "region": the region's own samples and evidence


def region_inspections(hub: Hub, region: str) -> RegionInspections:
    """The inspections of a region in the hub (the name matched case-insensitively)."""
    rows = [r for i in hub.inspection_ids() if (r := hub.inspection(i)) is not None]
    mine = [r for r in rows if r.region.casefold() == region.strip().casefold()]
    if not mine:
        known = sorted({r.region for r in rows})
        raise InputError(
            f"The hub holds no inspection in the region '{region}'"
            + (f"; its regions are: {', '.join(known)}." if known else ": merge first.")
        )
    by_start = sorted(mine, key=lambda r: (r.fieldwork_start, r.id))
    return RegionInspections(
        mine[0].region,
        tuple(r.id for r in by_start if (r.kind or "pdu") == "pdu"),
        tuple(r.id for r in by_start if r.kind == "region"),
    )


@dataclass(frozen=True)
class Pool:
    """Cases of several inspections answered against one question set, counted together."""

    qs: QuestionSet
    cases: list[HubCase]
    inspections: tuple[str, ...]  # the inspections whose cases these are

    @property
    def loaded(self) -> Loaded:
        return self.qs, self.cases


@dataclass(frozen=True)
class LeftOut:
    """A question the pooled figures leave out, and why (it is not the same question in
    every pooled inspection)."""

    question_id: str
    reason: str


@dataclass(frozen=True)
class Pooling:
    """Several inspections' cases counted together: one pool over the questions that are the
    same question in every pooled version of the set (same id, answer type, answer values and
    counting rule); each case's own version decides what applies to it."""

    pool: Pool | None  # None: no inspection to pool
    sets: tuple[PooledSet, ...]  # one per version: its inspections and cases, largest first
    left_out: tuple[LeftOut, ...]

    @property
    def versions(self) -> str:
        return self.pool.qs.version if self.pool is not None else ""


def _same_question(a: Question, b: Question) -> str:
    """Why two versions' questions of one id cannot be counted together ("" if they can)."""
    if a.answer is not b.answer:
        return f"answer type {a.answer.value} / {b.answer.value}"
    if a.allowed_values() != b.allowed_values():
        return "other answer values"
    if a.counts != b.counts or a.is_key != b.is_key:
        return "another counting rule (key question, prompt or not counted)"
    return ""


def pool_inspections(hub: Hub, inspection_ids: Sequence[str]) -> Pooling:
    """The cases of several inspections in one pool (see Pooling); the version with the
    most cases gives the questions' order, wording and ratings."""
    by_set: dict[str, tuple[QuestionSet, list[HubCase], list[str]]] = {}
    for inspection_id in inspection_ids:
        qs, cases = load_cases(hub, inspection_id)
        got = by_set.setdefault(qs.content_hash, (qs, [], []))
        got[1].extend(cases)
        got[2].append(inspection_id)
    groups = sorted(by_set.values(), key=lambda g: (-len(g[1]), g[0].id, g[0].version))
    sets = tuple(PooledSet(qs, tuple(ids), len(cases)) for qs, cases, ids in groups)
    if not groups:
        return Pooling(None, (), ())
    reference = groups[0][0]
    if len(groups) == 1:
        return Pooling(Pool(reference, groups[0][1], tuple(groups[0][2])), sets, ())
    others = [g[0] for g in groups[1:]]
    left: dict[str, str] = {}
    for q in reference.questions:
        if not q.counts:
            continue
        for other in others:
            name = f"{other.id} {other.version}"
            if not other.has_question(q.id):
                left[q.id] = f"not in {name}"
                break
            why = _same_question(q, other.question(q.id))
            if why:
                left[q.id] = f"{why} in {name}"
                break
    for other in others:
        for q in other.questions:
            if q.counts and not reference.has_question(q.id) and q.id not in left:
                left[q.id] = f"only in {other.id} {other.version}, not in {version_name(reference)}"
    ratings_differ = any(o.ratings != reference.ratings for o in others)
    pooled = _restricted(reference, set(left), [o.version for o in others], ratings_differ)
    cases = list(groups[0][1])
    for qs, group_cases, _ids in groups[1:]:
        cases.extend(replace(c, qs=qs) for c in group_cases)
    notes = [LeftOut(q, why) for q, why in left.items()]
    if ratings_differ:
        notes.append(LeftOut("", "ratings: the versions rate differently, so none is given"))
    ids = tuple(i for g in groups for i in g[2])
    return Pooling(Pool(pooled, sorted(cases, key=lambda c: c.reference), ids), sets, tuple(notes))


def _restricted(
    qs: QuestionSet, left_out: set[str], other_versions: list[str], no_ratings: bool
) -> QuestionSet:
    """`qs` counting only the pooled questions, named after every version pooled."""

    def keep(q: Question) -> Question:
        return replace(q, counts=False) if q.id in left_out else q

    sections = tuple(
        replace(s, key_question=keep(s.key_question), prompts=tuple(keep(p) for p in s.prompts))
        for s in qs.sections
    )
    versions = " + ".join(dict.fromkeys([qs.version, *sorted(other_versions)]))
    return replace(
        qs,
        version=versions,
        sections=sections,
        ratings=None if no_ratings else qs.ratings,
        content_hash="pooled:" + qs.content_hash,
    )


def version_name(qs: QuestionSet) -> str:
    return f"{qs.id} {qs.version}"


def regional_summary(
    hub: Hub,
    region: str,
    by: str = "region",
    split_by: str | None = None,
    pooling: Pooling | None = None,
    *,
    provisional: bool = False,
) -> list[SummaryRow]:
    """Domain-two figures pooled over every PDU inspection of the region in the hub: by region
    (one figure per question for the whole region) or by PDU (the breakdown). `pooling`:
    `regional_pooling`'s, when the caller also shows what it left out (one read of the cases)."""
    pooling = pooling or regional_pooling(hub, region)
    assert pooling.pool is not None
    return summarise(hub, "", by, split_by, loaded=pooling.pool.loaded, provisional=provisional)


def regional_pooling(hub: Hub, region: str) -> Pooling:
    """Every PDU inspection of the region in the hub, pooled (refused when there is none)."""
    found = region_inspections(hub, region)
    if not found.pdu_inspections:
        raise InputError(f"The hub holds no PDU inspection in {found.region} to pool yet.")
    return pool_inspections(hub, found.pdu_inspections)


# -- what one screen or report shows, read in one go ---------------------------------------------


def holds(hub: Hub, inspection_id: str) -> bool:
    """Whether the hub holds the inspection (False until something of it is merged)."""
    return hub.inspection(inspection_id) is not None


MODERATED_STATUSES = (CaseStatus.SUBMITTED.value, CaseStatus.RETURNED.value)


@dataclass(frozen=True)
class ModerationItem:
    """A submitted (or returned) case and the latest moderation decision on it, if any."""

    case_ref: str
    pdu: str
    assessor: str
    status: str
    decision: str  # "approved", "returned" or "" (none yet)
    moderator: str
    comment: str


def moderation_queue(
    hub: Hub, inspection_id: str, *, loaded: Loaded | None = None
) -> list[ModerationItem]:
    """The cases waiting for, or given, a moderation decision, with the latest decision."""
    _qs, cases = loaded or load_cases(hub, inspection_id)
    decisions = hub.moderation_of(inspection_id)
    out = []
    for c in cases:
        if c.status not in MODERATED_STATUSES:
            continue
        d = decisions.get(c.id)
        decision, by, comment = (d.action, d.moderator, d.comment) if d else ("", "", "")
        out.append(ModerationItem(c.reference, c.pdu, c.assessor, c.status, decision, by, comment))
    return out


@dataclass(frozen=True)
class InspectionFigures:
    """What the hub holds for one inspection, as the Hub tab shows it: the figures by PDU and
    by region, the conflicts, fieldwork progress and moderation, from one read of its cases."""

    inspection_id: str
    qs: QuestionSet
    summary: dict[str, list[SummaryRow]]  # "pdu" and "region"
    conflicts: list[Conflict]
    progress: list[ProgressRow]
    packages: int  # merged into the hub so far (every inspection's)
    moderation: list[ModerationItem]  # submitted and returned cases, latest decision
    coverage: Coverage | None = None  # what the summary counts


def inspection_figures(
    hub: Hub, inspection_id: str, *, provisional: bool = False
) -> InspectionFigures | None:
    """None when the hub does not hold the inspection (nothing merged for it yet)."""
    if not holds(hub, inspection_id):
        return None
    loaded = load_cases(hub, inspection_id)
    found = conflicts(hub, inspection_id)
    return InspectionFigures(
        inspection_id,
        loaded[0],
        {
            by: summarise(hub, inspection_id, by, loaded=loaded, provisional=provisional)
            for by in ("pdu", "region")
        },
        found,
        progress(hub, inspection_id, loaded=loaded),
        hub.counts()["hub_package"],
        moderation_queue(hub, inspection_id, loaded=loaded),
        coverage(loaded[1], undecided(found), provisional),
    )


@dataclass(frozen=True)
class GroupFigures:
    """One PDU's or one region's figures, as the PDU and regional reports print them: every
    counting question's row, the standards and the overall band where the set rates, the
    cases by variant and status, and for a region each PDU's key questions and standards.
    Counted by `summarise` and `standards`, the functions behind the Hub tab's table."""

    scope: str  # "pdu" or "region"
    name: str
    cases: int
    rows: tuple[SummaryRow, ...]
    standards: tuple[StandardRow, ...]
    overall: OverallRow | None
    by_variant: tuple[tuple[str, int], ...]  # (variant label, cases); "not determined" last
    by_status: tuple[tuple[str, int], ...]  # (status label, cases), in the order of CaseStatus
    breakdown: tuple[GroupFigures, ...] = ()  # per PDU: key questions only


def group_figures(
    hub: Hub,
    loaded: Loaded,
    scope: str,
    name: str,
    breakdown_pdus: Sequence[str] = (),
    *,
    provisional: bool = False,
) -> GroupFigures:
    """The figures of the cases in `loaded` for the PDU or region `name` (the cases are that
    group's); with breakdown_pdus, each of those PDUs' key questions and standards too."""
    qs, cases = loaded
    p = provisional
    rows = _named(summarise(hub, "", scope, loaded=loaded, provisional=p), name)
    std_rows, totals = standards(hub, "", scope, loaded=loaded, provisional=p)
    breakdown: tuple[GroupFigures, ...] = ()
    if breakdown_pdus:
        by_pdu = summarise(hub, "", "pdu", loaded=loaded, provisional=p)
        pdu_std, pdu_totals = standards(hub, "", "pdu", loaded=loaded, provisional=p)
        counts = Counter(c.pdu for c in cases)
        breakdown = tuple(
            GroupFigures(
                "pdu", pdu, counts[pdu],
                tuple(r for r in by_pdu if r.name == pdu and r.key_question),
                tuple(s for s in pdu_std if s.name == pdu),
                next((t for t in pdu_totals if t.name == pdu), None), (), (),
            )
            for pdu in breakdown_pdus
        )  # fmt: skip
    return GroupFigures(
        scope, name, len(cases), rows, _named(std_rows, name),
        next(iter(_named(totals, name)), None), _by_variant(qs, cases), _by_status(cases),
        breakdown,
    )  # fmt: skip


_Named = TypeVar("_Named", SummaryRow, StandardRow, OverallRow)


def _named(rows: Sequence[_Named], name: str) -> tuple[_Named, ...]:
    """The rows of one group (names compared as a reader would: regardless of case)."""
    return tuple(r for r in rows if r.name.casefold() == name.casefold())


def _by_variant(qs: QuestionSet, cases: Sequence[HubCase]) -> tuple[tuple[str, int], ...]:
    counts = Counter(qs.variant(c.variant).label if c.variant else "not determined" for c in cases)
    out = tuple((v.label, counts[v.label]) for v in qs.variants if counts[v.label])
    if counts["not determined"]:
        out += (("not determined", counts["not determined"]),)
    return out


def _by_status(cases: Sequence[HubCase]) -> tuple[tuple[str, int], ...]:
    counts = Counter(c.status for c in cases)
    return tuple((st.label, counts[st.value]) for st in CaseStatus if counts[st.value])


@dataclass(frozen=True)
class PooledSet:
    """PDU inspections answered against one question set: their cases are counted together."""

    qs: QuestionSet
    inspection_ids: tuple[str, ...]
    cases: int


@dataclass(frozen=True)
class RegionalFigures:
    """A regional inspection's pooled figures: every PDU inspection of its region in the hub,
    in one pool over the questions every version of the set shares, as `probdesk summary
    --region` gives."""

    region: str
    pdu_inspections: tuple[str, ...]  # none: no PDU inspection of the region merged yet
    pdu_names: tuple[str, ...]  # the PDU each of those inspections is named after
    pools: tuple[PooledSet, ...]  # one per version of the set, the most cases first
    summary: dict[str, list[SummaryRow]]  # "pdu" and "region"
    left_out: tuple[LeftOut, ...] = ()  # questions not the same in every version, and why
    coverage: Coverage | None = None  # what the pooled figures count

    @property
    def cases(self) -> int:
        return sum(p.cases for p in self.pools)


def pooled_coverage(hub: Hub, pooling: Pooling, provisional: bool = False) -> Coverage:
    """What pooled figures count, with the undecided conflicts of every pooled inspection."""
    cases = pooling.pool.cases if pooling.pool is not None else []
    ids = pooling.pool.inspections if pooling.pool is not None else ()
    return coverage(cases, sum(undecided(conflicts(hub, i)) for i in ids), provisional)


def regional_figures(hub: Hub, region: str, *, provisional: bool = False) -> RegionalFigures:
    """The pooled figures of `region`'s PDU inspections (none, when none is in the hub yet),
    `regional_summary`'s rows from one read of the cases; the drill-down behind a row reads
    every pooled inspection's cases."""
    try:
        found = region_inspections(hub, region)
    except InputError:  # the hub holds no inspection of the region at all
        found = RegionInspections(region, (), ())
    if not found.pdu_inspections:
        return RegionalFigures(found.region, (), (), (), {"pdu": [], "region": []})
    rows = [r for i in found.pdu_inspections if (r := hub.inspection(i)) is not None]
    pooling = pool_inspections(hub, found.pdu_inspections)
    assert pooling.pool is not None
    summary = {
        by: summarise(hub, "", by, loaded=pooling.pool.loaded, provisional=provisional)
        for by in ("pdu", "region")
    }
    return RegionalFigures(
        found.region, found.pdu_inspections, tuple(r.pdu for r in rows), pooling.sets, summary,
        pooling.left_out, pooled_coverage(hub, pooling, provisional),
    )  # fmt: skip


def pooled_drill_down(
    hub: Hub,
    inspection_ids: Sequence[str],
    question_id: str,
    pdu: str | None,
    *,
    provisional: bool = False,
) -> list[CaseOutcome]:
    """The cases behind a pooled figure: each pooled inspection's, by PDU then reference."""
    out = [
        c
        for i in inspection_ids
        for c in drill_down(hub, i, question_id, pdu, provisional=provisional)
    ]
    return sorted(out, key=lambda c: (c.pdu, c.case_ref))


def key_findings(hub: Hub, inspection_id: str) -> list[SummaryRow] | None:
    """The region's case key-question rows; None when the hub does not hold the inspection."""
    if not holds(hub, inspection_id):
        return None
    return [r for r in summarise(hub, inspection_id, "region") if r.key_question]


@dataclass(frozen=True)
class CaseFindings:
    """What domain one's triangulation draws from the hub for one inspection: the region's
    case key-question figures and the meeting and focus-group notes merged there."""

    rows: list[SummaryRow]
    notes: list[EvidenceNote]


def case_findings(hub: Hub, inspection_id: str) -> CaseFindings | None:
    """None when the hub does not hold the inspection (nothing merged for it yet)."""
    rows = key_findings(hub, inspection_id)
    if rows is None:
        return None
    return CaseFindings(rows, evidence(hub, inspection_id))
