"""What a report shows, as plain data: the builders turn these into PDF and know nothing else.

The services fill them from the hub (services/reports.py); every text here is final display
text (labels, not ids, except where an id is printed beside its text). Nothing here names a
person on probation: cases are known by their reference only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class DocumentMeta:
    """Printed on every page (marking, running header) and written into the PDF's metadata."""

    title: str  # PDF title and the first heading, e.g. "Case summary: CRN-A1234"
    author: str  # PDF author, e.g. "probdesk (team lead: Sam Lead)"
    running_header: str  # top of every page, e.g. "North Region · Eastshire PDU · case summary"
    generated: datetime
    marking: str = DEFAULT_MARKING  # top and bottom of every page
    subject: str = ""  # PDF subject, e.g. the inspection's id
    # Under the marking on every page: "PROVISIONAL figures", "PDU figures for the inspection
    # team; not for publication" (empty: nothing)
    notice: str = ""


# -- case summary ---------------------------------------------------------------------------

ANSWERED = "answered"
NOT_ANSWERED = "not_answered"  # applies, no answer yet: printed clearly as "Not answered"
DID_NOT_APPLY = "did_not_apply"  # its condition does not hold for this case


@dataclass(frozen=True)
class QuestionLine:
    question_id: str  # "C1", "C1.2"
    text: str
    is_key: bool  # the section's key question (printed first and emphasised)
    state: str  # ANSWERED, NOT_ANSWERED or DID_NOT_APPLY
    answer: str  # display text: "Yes", "No", "Not applicable", an option label, a value; "" else
    note: str = ""  # the assessor's evidence note (may be tens of thousands of characters)
    why: str = ""  # for a conditional question: "Asked because ..." / why it did not apply


@dataclass(frozen=True)
class SectionBlock:
    section_id: str
    title: str
    stage: str  # the stage it belongs to ("Assessment", "Planning", ...)
    questions: tuple[QuestionLine, ...]  # the key question first, then its prompts


@dataclass(frozen=True)
class ModerationLine:
    at: str  # "2026-11-20 14:05"
    by: str  # who moderated (team lead or quality lead)
    action: str  # "Approved" / "Returned to assessor"
    comment: str


@dataclass(frozen=True)
class ConflictLine:
    question_id: str  # "" for a parallel update of the case
    kind: str  # "Conflict" or "Parallel update"
    values: str  # "Yes (A. Assessor, shown) / No (B. Assessor)"


@dataclass(frozen=True)
class CaseReport:
    inspection: str  # the inspection's title, e.g. "Eastshire PDU inspection"
    inspection_id: str
    region: str
    pdu: str
    case_ref: str
    variant: str  # label, e.g. "Core"; "" when the set has none
    facts: tuple[tuple[str, str], ...]  # (label, display value), in the set's order
    assessor: str
    assessor_role: str
    status: str  # display text, e.g. "Submitted", "Approved", "Returned"
    moderation: tuple[ModerationLine, ...]  # oldest first; the QA comments
    sections: tuple[SectionBlock, ...]
    conflicts: tuple[ConflictLine, ...]  # undecided ones only
    question_set: str  # "dipp-public-protection 1.0"
    generated: datetime
    # answers to questions the case no longer has (dropped by a later version of the set, or
    # of another variant): kept as recorded, printed apart, never counted
    kept: tuple[QuestionLine, ...] = ()
    counted: str = ""  # whether the figures count the case: "Yes" / "Not yet: ... in progress"


# -- PDU and regional summary ----------------------------------------------------------------


@dataclass(frozen=True)
class PercentRow:
    question_id: str
    text: str
    is_key: bool
    relevant: int  # relevant cases: yes + no
    yes: int
    no: int
    not_applicable: int
    percent: float | None  # rounded down to one decimal place; None when nothing is relevant
    rating: str | None  # only where the set rates
    section_title: str = ""
    stage: str = ""
    did_not_apply: int = 0  # its condition switched it off for the case: not asked
    not_answered: int = 0  # applies, no answer yet
    caution: str = ""  # "base too small (4 of at least 10)": printed beside it, no rating


@dataclass(frozen=True)
class Band:
    min_percent: float  # lower bound of the band, e.g. 80.0
    label: str  # "Outstanding"


class Bar(NamedTuple):
    """One key question's bar: its percentage over its base (the relevant cases)."""

    question_id: str
    percent: float | None  # None: no relevant case
    base: int = 0  # relevant cases, printed beside the bar
    caution: bool = False  # below the set's minimum base: drawn pale, read with care


@dataclass(frozen=True)
class StageChart:
    """A bar per key question of one stage, against the set's threshold bands (if it rates)."""

    stage: str
    bars: tuple[Bar, ...]
    bands: tuple[Band, ...] = ()  # best first; empty when the set does not rate
    minimum_base: int = 0  # the set's minimum base (0: none), named under the chart


@dataclass(frozen=True)
class StandardLine:
    standard_id: str
    title: str
    rating: str | None  # from its lowest key question with relevant cases
    lowest_question: str | None
    percent: float | None
    caution: str = ""  # why it has no rating though its key questions have relevant cases


@dataclass(frozen=True)
class EvidenceItem:
    question_id: str
    question: str
    groups: str  # participant groups with head counts, no names
    meeting: str  # kind, date and title
    note: str


@dataclass(frozen=True)
class PduBreakdown:
    """One PDU's figures inside the regional report."""

    name: str
    cases: int
    rows: tuple[PercentRow, ...]  # key questions only
    standards: tuple[StandardLine, ...] = ()
    score: int | None = None
    band: str | None = None
    publication: str = ""  # NOT_FOR_PUBLICATION where the set publishes only by region


@dataclass(frozen=True)
class DomainOneItem:
    """The evidence summary and the team's judgement for one domain-one key question (or a
    non-case question the team judged)."""

    question_id: str
    question: str  # "Leadership: Is the leadership of the PDU ...?"
    documents: tuple[str, ...]  # "Delivery plan 2026–27 (plan, received 20 October 2026)"
    gaps: tuple[str, ...]  # "Vacancy figures by team: answered: ..."; "...: open"
    surveys: tuple[str, ...]  # "Staff who feel safe at work: 71%"
    meetings: int  # notes from meetings and focus groups on its linked questions
    rating: str  # "" when not judged (yet), or when the set does not rate
    rationale: str  # "" when not judged
    by: str
    at: str


@dataclass(frozen=True)
class SampleBlock:
    """A regional inspection's own case sample (its own question set), reported beside the
    pooled PDU figures."""

    title: str  # the question set's title, e.g. "Unpaid work (illustrative)"
    question_set: str  # "region-unpaid-work 2026.1-illustrative"
    total_cases: int
    cases_by_status: tuple[tuple[str, int], ...]
    rows: tuple[PercentRow, ...]
    charts: tuple[StageChart, ...]
    standards: tuple[StandardLine, ...] = ()
    score: int | None = None
    band: str | None = None


@dataclass(frozen=True)
class SummaryReport:
    scope: str  # "pdu" or "region"
    name: str  # the PDU's or region's name
    region: str
    inspection: str
    inspection_id: str
    fieldwork: str  # "3 November 2026 to 14 November 2026"
    total_cases: int
    cases_by_variant: tuple[tuple[str, int], ...]
    cases_by_status: tuple[tuple[str, int], ...]
    rows: tuple[PercentRow, ...]  # every key question and prompt that counts, in set order
    charts: tuple[StageChart, ...]
    standards: tuple[StandardLine, ...]  # empty when the set does not rate
    score: int | None
    band: str | None
    breakdown: tuple[PduBreakdown, ...]  # regional report only
    evidence: tuple[EvidenceItem, ...]  # non-case evidence digest, by question then group
    question_set: str
    generated: datetime
    domain_one: tuple[DomainOneItem, ...] = field(default=())  # evidence summary + judgement
    samples: tuple[SampleBlock, ...] = field(default=())  # a regional inspection's own samples
    # What the figures count (cases counted, not counted yet by status, undecided conflicts),
    # on the first page; provisional figures (every answered case) say so on every page.
    coverage: str = ""
    provisional: bool = False
    publication: str = ""  # NOT_FOR_PUBLICATION for a PDU report of a set published by region
    minimum_base: int = 0
