"""Reports from the hub: the figures and the cases, gathered into plain data, then into PDF.

Every figure comes from probdesk.services.figures, the functions behind `probdesk summary`
and the Hub tab, so a printed percentage always equals the one the command and the window
show. The builders (probdesk/reports) know nothing of the hub.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from probdesk.domain.evidence import OrgState
from probdesk.domain.questionset import NOT_FOR_PUBLICATION, QuestionSet
from probdesk.errors import InputError, OperationCancelled
from probdesk.hub.rows import DecisionRow, InspectionRow
from probdesk.hub.store import Hub
from probdesk.progress import Cancelled, Progress, never, quiet
from probdesk.reports import build_case_pdf, build_cases_folder, build_cases_pdf, build_summary_pdf
from probdesk.reports.case_summary import case_file_name as _case_file_name
from probdesk.reports.model import (
    ANSWERED,
    DEFAULT_MARKING,
    Band,
    Bar,
    CaseReport,
    ConflictLine,
    DocumentMeta,
    DomainOneItem,
    EvidenceItem,
    ModerationLine,
    PduBreakdown,
    PercentRow,
    QuestionLine,
    SampleBlock,
    SectionBlock,
    StageChart,
    StandardLine,
    SummaryReport,
)
from probdesk.services import figures as views  # `figures` names the report's own below
from probdesk.services import review  # a case's questions, walked as the case view does
from probdesk.services.workspace import ROLES  # role id -> its label

ACTIONS = {"approved": "Approved", "returned": "Returned to assessor"}

# The reports there are: case summaries, a PDU summary, the regional summary.
CASES, PDU, REGION = "cases", "pdu", "region"


def _long_date(d: date | str) -> str:
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    return f"{d.day} {d:%B %Y}"


def _when(at: datetime | str) -> str:
    if isinstance(at, str):
        return at[:16].replace("T", " ")
    return at.strftime("%Y-%m-%d %H:%M")


class ReportSource:
    """One inspection of a hub, read once, from which any number of reports are built."""

    def __init__(
        self, hub: Hub, inspection_id: str | None, *, author: str = "", provisional: bool = False
    ) -> None:
        self.hub = hub
        self.provisional = provisional  # count every answered case, labelled PROVISIONAL
        self.inspection_id = views.pick_inspection(hub, inspection_id)
        insp = hub.inspection(self.inspection_id)
        assert insp is not None
        self.insp: InspectionRow = insp
        self.loaded = views.load_cases(hub, self.inspection_id)
        self.qs: QuestionSet = self.loaded[0]
        self.cases = self.loaded[1]
        self.roles = hub.device_roles()
        self.author = author
        self._earlier: review.EarlierQuestions | None = None
        self.generated = datetime.now().replace(microsecond=0)
        self.pdus: list[str] = list(insp.pdu_names)
        for c in self.cases:  # a case from a PDU not in the plan still gets its report
            if c.pdu not in self.pdus:
                self.pdus.append(c.pdu)

    # -- naming ----------------------------------------------------------------------------
    @property
    def region(self) -> str:
        return self.insp.region

    @property
    def title(self) -> str:
        if len(self.pdus) > 1:
            return f"Inspection of {self.region}"
        return f"Inspection of {self.pdus[0]} PDU"

    def meta(self, title: str, header: str, marking: str) -> DocumentMeta:
        subject = f"{self.title}, inspection {self.inspection_id}"
        return document_meta(title, header, subject, self.author, self.generated, marking)

    @property
    def set_name(self) -> str:
        return f"{self.qs.id} {self.qs.version}"

    # -- case summaries --------------------------------------------------------------------
    def select(self, refs: Sequence[str] = (), pdu: str | None = None) -> list[views.HubCase]:
        """Cases by reference (case-insensitive, in the order given) or all of a PDU / all."""
        if refs:
            by_ref = {c.reference.casefold(): c for c in self.cases}
            missing = [r for r in refs if r.casefold() not in by_ref]
            if missing:
                raise InputError(
                    f"No case {', '.join(missing)} in the hub's inspection {self.inspection_id}."
                )
            return [by_ref[r.casefold()] for r in refs]
        if pdu is not None:
            self._check_pdu(pdu)
            return [c for c in self.cases if c.pdu == pdu]
        return list(self.cases)

    def _check_pdu(self, pdu: str) -> None:
        if pdu not in self.pdus:
            raise InputError(
                f"No PDU '{pdu}' in the inspection; its PDUs are: {', '.join(self.pdus)}."
            )

    def case_reports(self, chosen: Sequence[views.HubCase]) -> list[CaseReport]:
        history: dict[str, list[DecisionRow]] = {}
        for m in self.hub.moderation_history(self.inspection_id):
            history.setdefault(m.case_id, []).append(m)
        open_conflicts: dict[str, list[ConflictLine]] = {}
        for c in views.conflicts(self.hub, self.inspection_id):
            open_conflicts.setdefault(c.case_ref, []).append(self._conflict_line(c))
        return [self._case_report(c, history.get(c.id, []), open_conflicts) for c in chosen]

    def _conflict_line(self, c: views.Conflict) -> ConflictLine:
        if c.kind != "conflict":
            return ConflictLine(
                "",
                "Parallel update",
                "answered on more than one laptop; check the answers together",
            )
        q = self.qs.question(c.question_id) if self.qs.has_question(c.question_id) else None
        parts = []
        for i, (who, value) in enumerate(c.values):
            shown = q.label_of(value) if q is not None and value is not None else str(value)
            parts.append(f"{shown} ({who}{', shown' if i == 0 else ''})")
        return ConflictLine(c.question_id, "Conflict", " / ".join(parts))

    def _case_report(
        self,
        c: views.HubCase,
        moderation: Sequence[DecisionRow],
        open_conflicts: Mapping[str, Sequence[ConflictLine]],
    ) -> CaseReport:
        qs = self.qs
        sections = [
            SectionBlock(s.id, s.title, _stage(s.stage), tuple(
                QuestionLine(a.question.id, a.question.text, a.question.is_key, a.state,
                             a.answer, a.note, a.why)
                for a in states
            ))
            for s, states in review.question_states(qs, c)
        ]  # fmt: skip
        kept = tuple(
            QuestionLine(k.question_id, k.text, False, ANSWERED, k.answer, k.note, k.why)
            for k in review.kept_answers(qs, c, self._earlier_questions)
        )
        facts = review.case_facts(qs, c)
        status = review.status_label(c.status)
        counted = review.counted_text(c.status)
        return CaseReport(
            inspection=self.title,
            inspection_id=self.inspection_id,
            region=c.region,
            pdu=c.pdu,
            case_ref=c.reference,
            variant=review.variant_label(qs, c),
            facts=facts,
            assessor=c.assessor,
            assessor_role=ROLES.get(self.roles.get(c.assessor, ""), "role not known"),
            status=status,
            moderation=tuple(
                ModerationLine(_when(m.at), m.moderator, ACTIONS.get(m.action, m.action), m.comment)
                for m in moderation
            ),
            sections=tuple(sections),
            conflicts=tuple(open_conflicts.get(c.reference, ())),
            question_set=self.set_name,
            generated=self.generated,
            kept=kept,
            counted=counted,
        )

    def _earlier_questions(self) -> review.EarlierQuestions:
        """Every question of the set's earlier versions the hub holds, read once."""
        if self._earlier is None:
            self._earlier = review.earlier_questions(self.hub, self.qs)
        return self._earlier

    def case_meta(self, report: CaseReport, marking: str) -> DocumentMeta:
        return self.meta(
            f"Case summary: {report.case_ref}",
            f"{report.region} · {report.pdu} · case summary",
            marking,
        )

    # -- PDU and regional summaries --------------------------------------------------------
    def summary_report(self, scope: str, name: str | None = None) -> SummaryReport:
        if scope == "pdu":
            if name is None:
                raise InputError("Name the PDU for a PDU summary.")
            self._check_pdu(name)
            mine = [c for c in self.cases if c.pdu == name]
        elif scope == "region":
            name = self.region
            mine = list(self.cases)
        else:
            raise InputError("A summary report is for a pdu or a region.")
        fig = figures(
            self.hub, self.qs, mine, scope, name, self.pdus if scope == "region" else (),
            provisional=self.provisional,
        )  # fmt: skip
        start, end = self.insp.fieldwork_start, self.insp.fieldwork_end
        notes = views.evidence(self.hub, self.inspection_id)
        refs = {c.reference for c in mine}
        waiting = views.undecided(
            [c for c in views.conflicts(self.hub, self.inspection_id) if c.case_ref in refs]
        )
        cover = views.coverage(mine, waiting, self.provisional)
        return SummaryReport(
            scope=scope,
            name=name,
            region=self.region,
            inspection=self.title,
            inspection_id=self.inspection_id,
            fieldwork=f"{_long_date(start)} to {_long_date(end)}",
            total_cases=len(mine),
            cases_by_variant=fig.by_variant,
            cases_by_status=fig.by_status,
            rows=fig.rows,
            charts=fig.charts,
            standards=fig.standards,
            score=fig.score,
            band=fig.band,
            breakdown=fig.breakdown,
            evidence=tuple(
                EvidenceItem(e.question_id, e.question, e.groups, e.meeting, e.note) for e in notes
            ),
            question_set=self.set_name,
            generated=self.generated,
            domain_one=domain_one_items(
                self.qs, views.hub_org_state(self.hub, self.inspection_id), notes
            ),
            coverage=cover.text,
            provisional=self.provisional,
            publication=_publication(self.qs, scope),
            minimum_base=self.qs.figure_rules.minimum_base,
        )

    def summary_meta(self, report: SummaryReport, marking: str) -> DocumentMeta:
        kind = "PDU summary" if report.scope == "pdu" else "Regional summary"
        meta = self.meta(
            f"{kind}: {report.name}",
            f"{report.region} · {report.name if report.scope == 'pdu' else 'all PDUs'} · {kind}",
            marking,
        )
        return replace(meta, notice=page_notice(report))


class RegionalSource:
    """A regional inspection: the region's PDU inspections in the hub pooled (domain two),
    with the per-PDU breakdown, plus the region's own samples (inspections of kind "region",
    each with its own question set) and their domain-one evidence and judgements."""

    def __init__(
        self, hub: Hub, region: str, *, author: str = "", provisional: bool = False
    ) -> None:
        self.hub = hub
        self.provisional = provisional
        self.found = views.region_inspections(hub, region)
        self.region = self.found.region
        self.author = author
        self.generated = datetime.now().replace(microsecond=0)
        if not self.found.pdu_inspections and not self.found.region_inspections:
            raise InputError(f"The hub holds nothing for {self.region} yet: merge first.")
        self.pooling = views.pool_inspections(hub, self.found.pdu_inspections)
        self.own = [views.load_cases(hub, i) for i in self.found.region_inspections]
        self.rows = [
            r
            for i in (*self.found.pdu_inspections, *self.found.region_inspections)
            if (r := hub.inspection(i)) is not None
        ]

    def summary_report(self) -> SummaryReport:
        if self.pooling.pool is not None:
            # Every PDU inspection's cases, over the questions every version shares.
            qs, cases = self.pooling.pool.loaded
            pdus = sorted({c.pdu for c in cases})
            fig = figures(
                self.hub, qs, cases, "region", self.region, pdus, provisional=self.provisional
            )
            set_name = f"{qs.id} {qs.version}"
            if self.pooling.left_out:
                set_name += "; left out of the pooled figures: " + "; ".join(
                    f"{o.question_id or 'ratings'} ({o.reason})" for o in self.pooling.left_out
                )
        else:
            # No PDU inspection of the region merged yet: said so where the set would be named.
            qs, cases, fig = None, [], None
            set_name = f"none yet: no PDU inspection of {self.region} is in the hub"
        samples = []
        notes: list[views.EvidenceNote] = []
        domain_one: list[DomainOneItem] = []
        for inspection_id, (own_qs, own_cases) in zip(
            self.found.region_inspections, self.own, strict=True
        ):
            own = figures(
                self.hub, own_qs, own_cases, "region", self.region, provisional=self.provisional
            )
            samples.append(SampleBlock(
                own_qs.title, f"{own_qs.id} {own_qs.version}", len(own_cases), own.by_status,
                own.rows, own.charts, own.standards, own.score, own.band,
            ))  # fmt: skip
            mine = views.evidence(self.hub, inspection_id)
            notes.extend(mine)
            domain_one.extend(
                domain_one_items(own_qs, views.hub_org_state(self.hub, inspection_id), mine)
            )
        starts = [r.fieldwork_start for r in self.rows]
        ends = [r.fieldwork_end for r in self.rows]
        n_pdu = len(self.found.pdu_inspections)
        cover = views.pooled_coverage(self.hub, self.pooling, self.provisional).text
        for (own_qs, own_cases), inspection_id in zip(
            self.own, self.found.region_inspections, strict=True
        ):
            own_cover = views.coverage(
                own_cases, views.undecided(views.conflicts(self.hub, inspection_id)),
                self.provisional,
            )  # fmt: skip
            cover += f" {own_qs.title}: {own_cover.text}"
        return SummaryReport(
            scope="region",
            name=self.region,
            region=self.region,
            inspection=f"Regional inspection of {self.region}",
            inspection_id=", ".join(r.id[:8] for r in self.rows),
            fieldwork=f"{_long_date(min(starts))} to {_long_date(max(ends))} "
            f"({n_pdu} PDU inspection{'s' if n_pdu != 1 else ''} pooled)",
            total_cases=len(cases),
            cases_by_variant=fig.by_variant if fig else (),
            cases_by_status=fig.by_status if fig else (),
            rows=fig.rows if fig else (),
            charts=fig.charts if fig else (),
            standards=fig.standards if fig else (),
            score=fig.score if fig else None,
            band=fig.band if fig else None,
            breakdown=fig.breakdown if fig else (),
            evidence=tuple(
                EvidenceItem(e.question_id, e.question, e.groups, e.meeting, e.note) for e in notes
            ),
            question_set=set_name,
            generated=self.generated,
            domain_one=tuple(domain_one),
            samples=tuple(samples),
            coverage=cover,
            provisional=self.provisional,
            minimum_base=qs.figure_rules.minimum_base if qs is not None else 0,
        )

    def summary_meta(self, report: SummaryReport, marking: str) -> DocumentMeta:
        meta = document_meta(
            f"Regional inspection: {self.region}",
            f"{self.region} · regional inspection",
            f"Regional inspection of {self.region}",
            self.author,
            self.generated,
            marking,
        )
        return replace(meta, notice=page_notice(report))


def document_meta(
    title: str, header: str, subject: str, author: str, generated: datetime, marking: str
) -> DocumentMeta:
    """Every report's metadata: probdesk as the author, with the team lead's name if known."""
    return DocumentMeta(
        title=title,
        author=f"probdesk (team lead: {author})" if author else "probdesk",
        running_header=header,
        generated=generated,
        marking=marking or DEFAULT_MARKING,
        subject=subject,
    )


@dataclass(frozen=True)
class Figures:
    """What a summary report shows of a set of cases answered against one question set."""

    rows: tuple[PercentRow, ...]
    charts: tuple[StageChart, ...]
    standards: tuple[StandardLine, ...]
    score: int | None
    band: str | None
    breakdown: tuple[PduBreakdown, ...]
    by_variant: tuple[tuple[str, int], ...]
    by_status: tuple[tuple[str, int], ...]


def figures(
    hub: Hub,
    qs: QuestionSet,
    cases: list[views.HubCase],
    scope: str,
    name: str,
    breakdown_pdus: Sequence[str] = (),
    *,
    provisional: bool = False,
) -> Figures:
    """The figures of `cases` for the PDU or region `name`, in the report's words: the very
    rows of `figures.group_figures` (the Hub tab's and `probdesk summary`'s functions); with
    breakdown_pdus, each of those PDUs' key questions and standards too."""
    g = views.group_figures(hub, (qs, cases), scope, name, breakdown_pdus, provisional=provisional)
    rows = tuple(percent_row(qs, r) for r in g.rows)
    return Figures(
        rows,
        charts(qs, rows),
        tuple(_standard_line(s) for s in g.standards),
        g.overall.score if g.overall else None,
        g.overall.band if g.overall else None,
        tuple(
            PduBreakdown(
                p.name, p.cases, tuple(percent_row(qs, r) for r in p.rows),
                tuple(_standard_line(s) for s in p.standards),
                p.overall.score if p.overall else None, p.overall.band if p.overall else None,
                _publication(qs, "pdu"),
            )
            for p in g.breakdown
        ),
        g.by_variant,
        g.by_status,
    )  # fmt: skip


def percent_row(qs: QuestionSet, r: views.SummaryRow) -> PercentRow:
    q = qs.question(r.question_id)
    s = qs.section_of(r.question_id)
    return PercentRow(
        r.question_id, q.text, r.key_question, r.relevant, r.yes, r.no, r.not_applicable,
        r.percent, r.rating, s.title, _stage(s.stage), r.did_not_apply, r.not_answered,
        r.caution,
    )  # fmt: skip


def _standard_line(s: views.StandardRow) -> StandardLine:
    return StandardLine(s.standard_id, s.title, s.rating, s.lowest_question, s.percent, s.caution)


def _publication(qs: QuestionSet, scope: str) -> str:
    return NOT_FOR_PUBLICATION if qs.figure_rules.restricted(scope) else ""


def page_notice(report: SummaryReport) -> str:
    """What every page says under the marking: PROVISIONAL, and not for publication."""
    flags = ["PROVISIONAL figures: every answered case counted"] if report.provisional else []
    if report.publication:
        flags.append(f"PDU figures {report.publication}")
    return " · ".join(flags)


def charts(qs: QuestionSet, rows: Sequence[PercentRow]) -> tuple[StageChart, ...]:
    """A chart per stage: a bar per key question with its base, against the set's bands."""
    bands: tuple[Band, ...] = ()
    if qs.ratings is not None:
        bands = tuple(Band(float(level.min_percent), level.label) for level in qs.ratings.scale)
    stages: dict[str, list[Bar]] = {}
    for r in rows:
        if r.is_key:
            bar = Bar(r.question_id, r.percent, r.relevant, bool(r.caution))
            stages.setdefault(r.stage, []).append(bar)
    minimum = qs.figure_rules.minimum_base
    return tuple(StageChart(stage, tuple(bars), bands, minimum) for stage, bars in stages.items())


def domain_one_items(
    qs: QuestionSet, state: OrgState, notes: Sequence[views.EvidenceNote]
) -> tuple[DomainOneItem, ...]:
    """Per domain-one key question (then per non-case question the team judged): the logged
    documents, gaps, survey figures and meeting notes on it, and the team's judgement."""
    nc_text = {q.id: q.text for q in qs.non_case_questions}
    subjects: list[tuple[str, str, set[str]]] = [
        (oq.id, f"{oq.title}: {oq.text}",
         {oq.id, *(p.id for p in oq.prompts), *oq.non_case_questions})
        for oq in qs.domain_one
    ]  # fmt: skip
    subjects += [(qid, text, {qid}) for qid, text in nc_text.items() if qid in state.judgements]
    items = []
    for qid, text, related in subjects:
        docs = tuple(
            f"{d.title} ({d.kind}, received {_long_date(d.received_on)})"
            + (f", file {d.attachment_name}" if d.attachment_sha256 else "")
            for d in state.documents
            if not d.withdrawn and related & set(d.informs)
        )
        gaps = tuple(
            f"{g.text}: {g.state.label.lower()}"
            + (f" ({g.outcome})" if g.outcome else f" ({g.reason})" if g.reason else "")
            for g in state.gaps
            if g.question_id in related
        )
        surveys = tuple(f"{f.label}: {f.value}" for f in state.surveys if f.question_id in related)
        j = state.judgements.get(qid)
        items.append(DomainOneItem(
            qid, text, docs, gaps, surveys, sum(n.question_id in related for n in notes),
            j.rating if j else "", j.rationale if j else "", j.recorded_by if j else "",
            _when(j.recorded_at) if j else "",
        ))  # fmt: skip
    return tuple(items)


_stage = review.stage_words  # a stage as a heading: "assessment" -> "Assessment"


# -- writing ------------------------------------------------------------------------------------


def write_case(
    source: ReportSource,
    ref: str,
    out: Path,
    marking: str = DEFAULT_MARKING,
    *,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> Path:
    progress(0, 2, "Reading the case")
    (report,) = source.case_reports(source.select([ref]))
    if cancelled():
        raise OperationCancelled
    progress(1, 2, "Writing the PDF")
    path = build_case_pdf(report, source.case_meta(report, marking), out)
    progress(2, 2, "Done")
    return path


CASE_FILE = "case-summary.pdf"  # a case summary's default name: no reference in it


def case_file_name(ref: str, by_reference: bool = False) -> str:
    """The file name of a case's summary: a neutral one (the reference is inside), or, when
    the user asked for it, the reference made safe."""
    return _case_file_name(ref) if by_reference else CASE_FILE


def write_cases(
    source: ReportSource,
    out: Path,
    *,
    refs: Sequence[str] = (),
    pdu: str | None = None,
    folder: bool = False,
    marking: str = DEFAULT_MARKING,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
    by_reference: bool = False,
) -> list[Path]:
    """Several case summaries: one PDF with a contents page, or (folder) one PDF per case,
    numbered (case-001.pdf, ...) unless `by_reference` names them after the references."""
    chosen = source.select(refs, pdu)
    if not chosen:
        raise InputError("No cases to print: the selection is empty.")
    progress(0, len(chosen), "Reading the cases")
    reports = source.case_reports(chosen)
    if cancelled():
        raise OperationCancelled
    if folder:
        return build_cases_folder(
            reports, lambda r: source.case_meta(r, marking), out, progress, cancelled,
            by_reference=by_reference,
        )  # fmt: skip
    scope = pdu or source.region
    meta = source.meta(
        f"Case summaries: {scope}", f"{source.region} · {scope} · case summaries", marking
    )
    return [build_cases_pdf(reports, meta, out, progress, cancelled)]


def write_summary(
    source: ReportSource,
    scope: str,
    out: Path,
    name: str | None = None,
    *,
    marking: str = DEFAULT_MARKING,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> Path:
    return _write_summary(
        source, lambda: source.summary_report(scope, name), out, marking, progress, cancelled
    )


def safe_name(text: str) -> str:
    """A file-name-safe form of a PDU or region name (not case content)."""
    keep = "".join(ch if ch.isalnum() else "-" for ch in text.casefold())
    return "-".join(p for p in keep.split("-") if p) or "unnamed"


def write_regional(
    source: RegionalSource,
    out: Path,
    *,
    marking: str = DEFAULT_MARKING,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> Path:
    """The regional inspection's report: pooled PDU figures, breakdown, own samples, domain one."""
    return _write_summary(source, source.summary_report, out, marking, progress, cancelled)


def _write_summary(
    source: ReportSource | RegionalSource,
    make: Callable[[], SummaryReport],
    out: Path,
    marking: str,
    progress: Progress,
    cancelled: Cancelled,
) -> Path:
    progress(0, 2, "Counting")
    report = make()
    if cancelled():
        raise OperationCancelled
    return build_summary_pdf(report, source.summary_meta(report, marking), out, progress, cancelled)


# -- the one dispatch: which builder for which report (the Reports tab and `probdesk report`) ----


@dataclass(frozen=True)
class ReportRequest:
    """One report to build from the hub; `out` is a file, or a folder if `folder`."""

    kind: str  # CASES, PDU or REGION
    out: Path
    inspection_id: str | None = None  # None: the hub's only inspection
    refs: tuple[str, ...] = ()  # CASES: these cases (in this order)
    pdu: str | None = None  # PDU: the PDU summarised; CASES: every case of this PDU
    folder: bool = False  # CASES: one PDF per case in the folder `out`
    marking: str = DEFAULT_MARKING
    by_reference: bool = False  # CASES with folder: file names after the references (opt-in)
    region: str | None = None  # REGION: the regional inspection of this region, by name
    author: str = ""
    provisional: bool = False  # summaries: every answered case, labelled PROVISIONAL


def build(
    hub: Hub, request: ReportRequest, progress: Progress = quiet, cancelled: Cancelled = never
) -> list[Path]:
    """Build `request` from the hub; the files written.

    The regional summary of a regional inspection (named by `region`, or an inspection of kind
    "region") pools its PDU inspections, with its own samples and domain one; of a PDU
    inspection it pools that inspection's PDUs. One case without a folder is one case summary;
    anything else with CASES is several (one PDF with a contents page, or a folder)."""
    if request.kind not in (CASES, PDU, REGION):
        raise ValueError(f"no report of kind {request.kind!r}")
    progress(0, 0, "Reading the inspection from the hub")
    marking, author, provisional = request.marking, request.author, request.provisional
    if request.kind == REGION and request.region:
        regional = RegionalSource(hub, request.region, author=author, provisional=provisional)
        return [write_regional(regional, request.out, marking=marking, progress=progress,
                               cancelled=cancelled)]  # fmt: skip
    source = ReportSource(hub, request.inspection_id, author=author, provisional=provisional)
    if cancelled():
        raise OperationCancelled
    if request.kind == REGION and source.insp.kind == "region":
        regional = RegionalSource(hub, source.region, author=author, provisional=provisional)
        return [write_regional(regional, request.out, marking=marking, progress=progress,
                               cancelled=cancelled)]  # fmt: skip
    if request.kind == REGION:
        return [write_summary(source, "region", request.out, marking=marking, progress=progress,
                              cancelled=cancelled)]  # fmt: skip
    if request.kind == PDU:
        return [write_summary(source, "pdu", request.out, request.pdu, marking=marking,
                              progress=progress, cancelled=cancelled)]  # fmt: skip
    if len(request.refs) == 1 and request.pdu is None and not request.folder:
        return [write_case(source, request.refs[0], request.out, marking, progress=progress,
                           cancelled=cancelled)]  # fmt: skip
    return write_cases(
        source, request.out, refs=request.refs, pdu=request.pdu, folder=request.folder,
        marking=marking, progress=progress, cancelled=cancelled,
        by_reference=request.by_reference,
    )  # fmt: skip
