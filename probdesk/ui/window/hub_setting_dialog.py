"""File > Hub…: which hub the Hub, Reports and Evidence tabs read (this data folder's SQLite
file, or a PostgreSQL server), with a connection test; and the password dialog for a server
that asks for one. The window (ui/window/hub_choice.py) does the connecting, through its
runner: the dialogs only gather what the team lead chose."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.errors import InputError
from probdesk.ui.kit import colours
from probdesk.ui.kit.dialog import FormDialog
from probdesk.ui.kit.messages import message_label, show_message

URL_PLACEHOLDER = "postgresql+psycopg://lead@hub.example.org:5432/probdesk?sslmode=verify-full"


def _name_buttons(buttons: QDialogButtonBox, ok: str) -> None:
    buttons.button(QDialogButtonBox.StandardButton.Ok).setAccessibleName(ok)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")


class HubSettingDialog(QDialog):
    """This data folder's hub, or a PostgreSQL server's by its URL (without the password)."""

    test_requested = Signal()  # Test connection pressed (the URL is in `url_edit`)
    chosen = Signal()  # OK pressed: the window opens the hub chosen, then accepts

    def __init__(self, url: str | None, data_folder: str, parent: QWidget | None = None):
        """`url`: the PostgreSQL hub's URL in use (None: the data folder's own hub)."""
        super().__init__(parent)
        self.setWindowTitle("Hub")
        self.setAccessibleName("Choose the hub")
        self.password: str | None = None  # typed (or in the URL) while the dialog is open
        self.remember = False  # keep that password in the key store once it is accepted
        self.from_url = False  # the password was written in the URL (stripped from it)
        outer = QVBoxLayout(self)
        self.setMinimumWidth(640)
        intro = QLabel(
            "The Hub, Reports and Evidence tabs read the hub chosen here. A regional or "
            "national hub lives on a PostgreSQL server."
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)

        self.sqlite_radio = QRadioButton("&This data folder's hub (SQLite file)")
        self.sqlite_radio.setAccessibleName("This data folder's hub (SQLite file)")
        self.sqlite_radio.setToolTip(f"hub.sqlite in {data_folder}")
        self.pg_radio = QRadioButton("A &PostgreSQL server")
        self.pg_radio.setAccessibleName("A PostgreSQL server")
        group = QButtonGroup(self)
        group.addButton(self.sqlite_radio)
        group.addButton(self.pg_radio)
        outer.addWidget(self.sqlite_radio)
        outer.addWidget(self.pg_radio)

        form = QFormLayout()
        form.setContentsMargins(24, 0, 0, 0)
        self.url_edit = QLineEdit(url or "")
        self.url_edit.setPlaceholderText(URL_PLACEHOLDER)
        self.url_edit.setAccessibleName("PostgreSQL server URL")
        self.url_edit.setMinimumWidth(520)
        url_label = QLabel("Server &URL:")
        url_label.setBuddy(self.url_edit)
        form.addRow(url_label, self.url_edit)
        outer.addLayout(form)
        self.url_hint = QLabel(
            "Give no password in the URL: probdesk asks for it when the server wants one, and "
            "can keep it in this computer's key store. For TLS add the server's options (see "
            "the hub documentation), e.g.<br>"
            "<code>?sslmode=verify-full&amp;sslrootcert=/path/to/ca.pem</code>"
        )
        self.url_hint.setWordWrap(True)
        self.url_hint.setTextFormat(Qt.TextFormat.RichText)
        self.url_hint.setContentsMargins(24, 0, 0, 0)
        outer.addWidget(self.url_hint)

        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 0)
        self.test_button = QPushButton("Te&st connection")
        self.test_button.setAccessibleName("Test connection")
        row.addWidget(self.test_button)
        row.addStretch(1)
        outer.addLayout(row)
        self.test_result = message_label("Connection test result")
        self.test_result.hide()
        outer.addWidget(self.test_result)

        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(colours.problem_style())
        self.error.setAccessibleName("Problem")
        self.error.hide()
        outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        _name_buttons(self.buttons, "Use this hub")
        outer.addWidget(self.buttons)

        (self.pg_radio if url else self.sqlite_radio).setChecked(True)
        self.pg_radio.toggled.connect(self._update)
        self.url_edit.textEdited.connect(self._url_edited)
        self.test_button.clicked.connect(self._test)
        self._update()

    # -- what was chosen --------------------------------------------------------------------
    def choice(self) -> str | None:
        """The PostgreSQL URL typed (None: this data folder's hub)."""
        return self.url_edit.text().strip() if self.pg_radio.isChecked() else None

    def set_url(self, url: str) -> None:
        """Put `url` in the field (the window takes a password out of it)."""
        self.url_edit.setText(url)

    def set_busy(self, busy: bool) -> None:
        """While the window connects: no second test, no OK."""
        self.test_button.setEnabled(not busy and self.pg_radio.isChecked())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not busy)

    def show_result(self, text: str, *, problem: bool = False) -> None:
        show_message(self.test_result, text, problem=problem)
        self._fit()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        # A window's layout does not give its wrapped labels their height by itself (Qt reads
        # height-for-width only in adjustSize): grow, never shrink below what was chosen.
        width = self.width()
        self.adjustSize()
        if self.width() < width:
            self.resize(width, self.height())

    # -- slots ------------------------------------------------------------------------------
    def _update(self) -> None:
        pg = self.pg_radio.isChecked()
        self.url_edit.setEnabled(pg)
        self.test_button.setEnabled(pg)
        if pg:
            self.url_edit.setFocus()
        else:
            self.show_result("")

    def _url_edited(self, _text: str) -> None:
        # Another server, or another user: a password typed for the last one is not its.
        self.password, self.remember, self.from_url = None, False, False
        self.show_result("")
        self.show_error("")

    def _needs_url(self) -> bool:
        if self.pg_radio.isChecked() and not self.url_edit.text().strip():
            self.show_error("Give the PostgreSQL server's URL, or choose this data folder's hub.")
            self.url_edit.setFocus()
            return True
        self.show_error("")
        return False

    def _test(self) -> None:
        if not self._needs_url():
            self.test_requested.emit()

    def _ok(self) -> None:
        if not self._needs_url():
            self.chosen.emit()


class HubPasswordDialog(FormDialog):
    """The password of a PostgreSQL hub's user, asked when the server wants one (never kept in
    probdesk's settings; kept in the key store only when asked to)."""

    def __init__(
        self,
        account: str,
        problem: str = "",
        *,
        key_store: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Hub password", parent)
        label = QLabel(f"The PostgreSQL hub asks for the password of <b>{escape(account)}</b>.")
        label.setWordWrap(True)
        self.outer.insertWidget(0, label)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Hub password")
        password_label = QLabel("&Password:")
        password_label.setBuddy(self.password)
        self.form.addRow(password_label, self.password)
        self.remember = QCheckBox("&Remember in this computer's key store")
        self.remember.setAccessibleName("Remember in this computer's key store")
        if not key_store:
            self.remember.setEnabled(False)
            self.remember.setToolTip("This computer has no key store: asked at each start")
        self.form.addRow("", self.remember)
        _name_buttons(self.buttons, "Use this password")
        self.setMinimumWidth(420)
        if problem:
            self.show_error(problem)

    def apply(self) -> None:
        if not self.password.text():
            raise InputError("Give the password, or Cancel.")


def ask_hub_password(
    parent: QWidget | None, account: str, problem: str, *, key_store: bool
) -> tuple[str, bool] | None:
    """The password typed and whether to remember it, or None when the user cancelled."""
    dialog = HubPasswordDialog(account, problem, key_store=key_store, parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.password.text(), dialog.remember.isChecked() and key_store
