"""The first run's Welcome tab: while this laptop holds no inspection, it asks who you are
today and takes you to the first step of that work.

- An assessor joining an inspection: the steps (the shared folder, the setup pack, the
  fingerprint, the passphrase, your initials and enrolment code), then the Sync tab with the
  folder field in focus.
- A team lead setting one up: New inspection…, then the Team lead tab.
- Someone looking around: the demo (a team lead, three assessors, their packages and a merged
  hub) built in a folder of its own beside this one (never into this laptop's data), and
  opened in a second window as the team lead sees it.

The tab goes once the laptop has an inspection (MainWindow.reload_inspections)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.ui.kit.messages import message_label, show_message

DEMO_FOLDER = "probdesk demo"  # beside the data folder


class WelcomePanel(QWidget):
    """Who are you today? (see the module docstring)"""

    join_requested = Signal()
    lead_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Welcome")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        title = QLabel("<h2>Welcome to probdesk</h2>")
        title.setAccessibleName("Welcome")
        outer.addWidget(title)
        outer.addWidget(QLabel("This laptop holds no inspection yet. Who are you today?"))
        self.join_button = self._choice(
            outer,
            "I am an a&ssessor joining an inspection",
            "Your team lead puts a setup pack in the shared folder (a network drive or a "
            "synced folder) and gives you, in person: its passphrase, your enrolment code and "
            "the fingerprint of their key.<ol><li>On the Sync tab, choose the shared folder."
            "</li><li>Select the setup pack, and check that the fingerprint it shows is the "
            "one your team lead read out.</li><li>Open it with the passphrase, your initials "
            "and your enrolment code. Your cases appear on the Cases tab.</li></ol>",
            self.join_requested,
        )
        self.lead_button = self._choice(
            outer,
            "I am a team &lead setting one up",
            "Create the inspection (region, PDU, fieldwork dates, question set), then on the "
            "Team lead tab add the team and the sample of cases and write the setup pack for "
            "your assessors.",
            self.lead_requested,
        )
        self.demo_button = self._choice(
            outer,
            "I am looking ar&ound",
            "Open a demonstration: a fictional inspection with a team lead, three assessors, "
            "their answers and a merged hub, in a folder of its own (nothing is added to this "
            "laptop's data). It opens in a second window as the team lead sees it.",
            self.demo_requested,
        )
        self.message = message_label("Welcome: message")
        self.message.hide()
        outer.addWidget(self.message)
        outer.addStretch(1)

    def _choice(
        self, layout: QVBoxLayout, text: str, about: str, signal: SignalInstance
    ) -> QPushButton:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(box)
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", ""))
        button.setMinimumWidth(300)
        button.clicked.connect(signal)
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        words = QLabel(about)
        words.setWordWrap(True)
        words.setTextFormat(Qt.TextFormat.RichText)
        words.setAccessibleName(f"About: {text.replace('&', '')}")
        row.addWidget(words, 1)
        layout.addWidget(box)
        return button

    def say(self, text: str, problem: bool = False) -> None:
        show_message(self.message, text, problem=problem)


def demo_folder(data: Path) -> Path:
    """Where the demo is built: beside this laptop's data folder, never inside it."""
    return data.resolve().parent / DEMO_FOLDER


def open_demo_window(out: Path, keep: Callable[[QWidget], None]) -> QWidget:
    """A second window on the demo's team lead folder, its shared folder set; `keep` holds
    on to it (a window nothing refers to is closed by Python)."""
    from probdesk.paths import Paths
    from probdesk.ui.app import build_main_window
    from probdesk.ui.kit.shared_folder import SHARED_FOLDER_KEY

    window = build_main_window(Paths.resolve(out / "lead"))
    window.settings.setValue(SHARED_FOLDER_KEY, str(out / "shared"))
    window.setWindowTitle(f"{window.windowTitle()} (demo: {out})")
    keep(window)
    window.show()
    window.activateWindow()
    return window
