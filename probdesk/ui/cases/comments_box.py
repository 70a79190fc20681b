"""The comments on the open case: the team lead's (sent back in a pack, Sync tab) and the
notice a question-set move leaves on a case to review. An open comment puts the case on the
assessor's to-do list (the case list's To do column) until they mark it done here; done ones
stay shown, marked so. Reply to the lead… answers one of the lead's comments (the reply, and
the done mark, travel back to the hub in the next export)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from probdesk.domain.records import Comment
from probdesk.domain.words import day_text, moment_text
from probdesk.ui.kit import colours


class CommentsBox(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Comments on this case")
        self.setStyleSheet(
            f"CommentsBox {{ background: {colours.css('note_bg')}; "
            f"border: 1px solid {colours.css('note_border')}; }}"
            f"QLabel {{ color: {colours.css('note_fg')}; }}"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Comments from the team lead")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        row.addStretch(1)
        self.reply_button = QPushButton("Reply to the &lead…")
        self.reply_button.setAccessibleName("Reply to a comment from the team lead")
        self.reply_button.setToolTip(
            "Answer a comment: the team lead reads your reply beside it after your next export"
        )
        row.addWidget(self.reply_button)
        self.done_button = QPushButton("Mar&k comments done")
        self.done_button.setAccessibleName("Mark this case's comments done")
        self.done_button.setToolTip(
            "You have dealt with these comments: the case leaves the To do column; the "
            "comments stay shown here."
        )
        row.addWidget(self.done_button)
        layout.addLayout(row)
        self.hide()

    def show_comments(self, found: Sequence[Comment], mine: bool) -> None:
        items = "".join(
            f"<p><b>{escape(c.author or 'Team lead')}</b>, {moment_text(c.created_at)}"
            + (f", on <b>{escape(c.question_id)}</b>" if c.question_id else "")
            + (f" <i>(done {day_text(c.done_at)})</i>" if c.done_at is not None else "")
            + f": {escape(c.text)}"
            + (f"<br><i>Your reply</i>: {escape(c.reply)}" if c.reply else "")
            + "</p>"
            for c in found
        )
        heading = (
            "Comments from the team lead"
            if all(c.package_id is not None for c in found)
            else "Comments and review notices"
        )
        self.text.setText(f"<b>{heading}</b>{items}")
        self.done_button.setVisible(mine and any(c.done_at is None for c in found))
        self.reply_button.setVisible(mine and bool(replyable(found)))
        self.setVisible(bool(found))

    def connect_done(self, slot: Callable[[], None]) -> None:
        self.done_button.clicked.connect(slot)

    def connect_reply(self, slot: Callable[[], object]) -> None:
        self.reply_button.clicked.connect(slot)


def replyable(found: Sequence[Comment]) -> list[Comment]:
    """The team lead's comments on a case (a move's review notice takes no reply)."""
    return [c for c in found if c.case_id is not None and c.package_id is not None]
