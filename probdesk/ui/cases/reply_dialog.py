"""The assessor's reply to a comment of the team lead's (probdesk.services.fieldwork's
`reply_to_comment`): which comment, the words, and whether it is now dealt with. The reply
travels back to the hub in the next export, where the lead reads it beside the comment.

Keyboard: Tab leaves the text (it never types a tab), Ctrl+Enter sends, Escape cancels."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.case_events import REPLY_TEXT
from probdesk.domain.records import Comment
from probdesk.ui.kit.dialog import finish_with_ctrl_return
from probdesk.ui.kit.layout import name_buttons


def comment_words(c: Comment, limit: int = 70) -> str:
    """A comment in one line for a list: "On 2.1.1: Is the RoSH level right?"."""
    where = f"On {c.question_id}" if c.question_id else "On the case"
    text = " ".join(c.text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{where}: {text}"


class ReplyDialog(QDialog):
    def __init__(
        self, comments: Sequence[Comment], parent: QWidget | None = None, chosen: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reply to the team lead")
        self.setAccessibleName("Reply to a comment from the team lead")
        self.comments = list(comments)
        layout = QVBoxLayout(self)
        which = QLabel("&Comment:")
        self.choice = QComboBox()
        self.choice.setAccessibleName("The comment to reply to")
        for c in self.comments:
            self.choice.addItem(comment_words(c), c.id)
        index = next((i for i, c in enumerate(self.comments) if c.id == chosen), 0)
        self.choice.setCurrentIndex(index)
        which.setBuddy(self.choice)
        layout.addWidget(which)
        layout.addWidget(self.choice)
        self.full = QLabel("")
        self.full.setWordWrap(True)
        self.full.setAccessibleName("The comment in full")
        layout.addWidget(self.full)
        label = QLabel("&Your reply (the team lead reads it after your next export):")
        label.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Your reply to the team lead")
        self.text.setTabChangesFocus(True)
        label.setBuddy(self.text)
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        self.done_box = QCheckBox("I have &dealt with it (mark the comment done)")
        self.done_box.setAccessibleName("Mark the comment done")
        self.done_box.setChecked(True)
        layout.addWidget(self.done_box)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("What the reply still needs")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        name_buttons(self.buttons, "Send reply", "Send the reply to the team lead")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        finish_with_ctrl_return(self, self.accept)
        self.choice.currentIndexChanged.connect(self._chosen)
        self.text.textChanged.connect(self._update)
        self.done_box.toggled.connect(self._update)
        self._chosen()
        self.text.setFocus()
        self.resize(560, 340)

    def comment_id(self) -> str:
        return str(self.choice.currentData())

    def reply(self) -> str:
        return self.text.toPlainText().strip()

    def _chosen(self) -> None:
        c = self.comments[self.choice.currentIndex()] if self.comments else None
        if c is None:
            self.full.setText("")
            return
        said = f"\nYour reply so far: {c.reply}" if c.reply else ""
        self.full.setText(f"{c.author or 'Team lead'}: {c.text}{said}")
        if c.reply and not self.reply():
            self.text.setPlainText(c.reply)
        self._update()

    def _why_not(self) -> str:
        if not self.comments:
            return "There is no comment to reply to."
        if not self.reply() and not self.done_box.isChecked():
            return "Write a reply, or mark the comment done."
        if len(self.reply()) > REPLY_TEXT:
            return f"A reply holds at most {REPLY_TEXT:,} characters ({len(self.reply()):,} now)."
        return ""

    def _update(self) -> None:
        why = self._why_not()
        self.problem.setText(why)
        self.problem.setVisible(bool(why))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not why)

    def accept(self) -> None:
        if self._why_not():
            return
        super().accept()
