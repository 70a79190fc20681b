"""Read-only browser of question sets: variants, sections, questions, guidance, conditions."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QSplitter, QTextBrowser, QTreeView, QWidget

from probdesk.domain.questionset import Question, QuestionSet
from probdesk.services.questionsets import answer_words, fact_words

ROLE_HTML = Qt.ItemDataRole.UserRole + 1


def _item(text: str, html: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(html, ROLE_HTML)
    item.setToolTip(text)
    return item


def set_html(qs: QuestionSet) -> str:
    notes = f"<p>{escape(qs.framework_notes)}</p>" if qs.framework_notes else ""
    if qs.ratings is None:
        findings = "Percentages of relevant cases judged sufficient; no ratings."
    else:
        findings = "Percentages, and ratings: " + escape(
            "; ".join(f"{lv.label} from {lv.min_percent}%" for lv in qs.ratings.scale)
        )
    return (
        f"<h2>{escape(qs.title)}</h2><p><b>{escape(qs.id)}</b> version {escape(qs.version)}"
        f"<br><small>content hash {qs.content_hash[:16]}</small></p>{notes}"
        f"<p>{len(qs.variants)} variants, {len(qs.sections)} sections, "
        f"{len(qs.questions)} case questions, {len(qs.non_case_questions)} non-case questions."
        f"</p><p>{findings}</p>"
    )


def question_html(qs: QuestionSet, q: Question) -> str:
    kind = "Key question" if q.is_key else "Prompt"
    section = qs.section_of(q.id)
    parts = [
        f"<p><small>{escape(section.title)} &middot; {kind} {escape(q.id)}</small></p>",
        f"<h3>{escape(q.text)}</h3>",
        f"<p><b>Answer:</b> {escape(answer_words(q))}"
        + ("" if q.counts else " &middot; <i>not counted in findings</i>")
        + "</p>",
    ]
    if q.applies_when is not None:
        parts.append(f"<p><b>Applies when</b> {escape(qs.describe(q.applies_when))}.</p>")
    else:
        parts.append("<p><b>Applies</b> to every case of its variant.</p>")
    if q.guidance:
        parts.append(f"<p><b>Guidance</b><br>{escape(q.guidance)}</p>")
    if q.evidence:
        items = "".join(f"<li>{escape(e)}</li>" for e in q.evidence)
        parts.append(f"<p><b>Evidence sources</b></p><ul>{items}</ul>")
    return "".join(parts)


def build_model(sets: list[QuestionSet]) -> QStandardItemModel:
    model = QStandardItemModel()
    model.setHorizontalHeaderLabels(["Question sets"])
    for qs in sets:
        top = _item(f"{qs.title} ({qs.version})", set_html(qs))
        facts_html = (
            "<h3>Case facts</h3><ul>"
            + "".join(
                f"<li><b>{escape(f.label)}</b> ({fact_words(f)}"
                + (": " + escape(", ".join(o.label for o in f.options)) if f.options else "")
                + ")"
                + (f"<br><small>{escape(f.help)}</small>" if f.help else "")
                + "</li>"
                for f in qs.facts
            )
            + "</ul>"
        )
        top.appendRow(_item("Case facts", facts_html))
        for v in qs.variants:
            when = f"when {qs.describe(v.when)}" if v.when else "when no other variant applies"
            vitem = _item(
                f"{v.label} variant",
                f"<h3>{escape(v.label)} variant</h3><p>Applies {escape(when)}.</p>"
                f"<p>{escape(v.description)}</p>",
            )
            for s in qs.sections_for(v.id):
                sitem = _item(
                    s.title,
                    f"<h3>{escape(s.title)}</h3><p><b>Key question {escape(s.key_question.id)}:"
                    f"</b> {escape(s.key_question.text)}</p><p>{len(s.prompts)} prompts.</p>",
                )
                for q in s.questions:
                    label = f"{q.id}  {q.text}"
                    if q.applies_when is not None:
                        label += "  (conditional)"
                    sitem.appendRow(_item(label, question_html(qs, q)))
                vitem.appendRow(sitem)
            top.appendRow(vitem)
        if qs.non_case_questions:
            nitem = _item(
                "Non-case questions",
                "<h3>Non-case questions</h3><p>Asked in meetings and focus groups.</p>",
            )
            for n in qs.non_case_questions:
                groups = ", ".join(qs.group(g).label for g in n.groups)
                nitem.appendRow(
                    _item(
                        f"{n.id}  {n.text}",
                        f"<p><small>{escape(n.theme)}</small></p><h3>{escape(n.text)}</h3>"
                        f"<p><b>Participant groups:</b> {escape(groups)}</p>"
                        + (f"<p><b>Guidance</b><br>{escape(n.guidance)}</p>" if n.guidance else ""),
                    )
                )
            top.appendRow(nitem)
        model.appendRow(top)
    return model


class QuestionSetBrowser(QSplitter):
    """A tree of the loaded sets on the left, the selected item's details on the right."""

    def __init__(self, sets: list[QuestionSet], parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("questionSetBrowser")
        self.tree = QTreeView()
        self.tree.setAccessibleName("Question sets")
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Question details")
        self.detail.setOpenExternalLinks(False)
        self.addWidget(self.tree)
        self.addWidget(self.detail)
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 3)
        self.set_question_sets(sets)

    def set_question_sets(self, sets: list[QuestionSet]) -> None:
        self.sets = list(sets)
        self.model = build_model(self.sets)
        self.tree.setModel(self.model)
        self.tree.selectionModel().currentChanged.connect(self._show)
        if self.model.rowCount():
            first = self.model.index(0, 0)
            self.tree.expand(first)
            self.tree.setCurrentIndex(first)

    def _show(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.detail.setHtml(current.data(ROLE_HTML) or "")
