"""Alt keys as the window offers them (tests/gui/test_gui_alt_keys.py, test_gui_welcome.py):
the letter after "&" in a button's, a tab's or a menu's text, or a label's with a buddy."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget

from probdesk.ui.main_window import MainWindow

MNEMONIC = re.compile(r"&([^&\s])")


def alt_key(text: str) -> str | None:
    found = MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).casefold() if found else None


def keys_shown(root: QWidget) -> dict[str, list[str]]:
    """Alt key -> the controls shown in `root` that have it."""
    out: dict[str, list[str]] = {}
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root):
            continue
        text = ""
        if isinstance(w, QAbstractButton) or (isinstance(w, QLabel) and w.buddy() is not None):
            text = w.text()
        elif isinstance(w, QGroupBox) and w.isCheckable():
            text = w.title()
        key = alt_key(text) if text else None
        if key:
            out.setdefault(key, []).append(text.replace("&", ""))
    return out


def window_keys(window: MainWindow) -> dict[str, list[str]]:
    """The keys reachable from anywhere in the window: menus, tabs, the top bar."""
    out: dict[str, list[str]] = {}
    for action in window.menuBar().actions():
        if (key := alt_key(action.text())) is not None:
            out.setdefault(key, []).append(f"menu {action.text().replace('&', '')}")
    for i in range(window.tabs.count()):
        if (key := alt_key(window.tabs.tabText(i))) is not None:
            out.setdefault(key, []).append(f"tab {window.tabs.tabText(i).replace('&', '')}")
    if (key := alt_key(window.new_inspection_button.text())) is not None:
        out.setdefault(key, []).append(window.new_inspection_button.text().replace("&", ""))
    return out


def clashes(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for g in groups:
        for key, names in g.items():
            merged.setdefault(key, []).extend(names)
    return {key: names for key, names in merged.items() if len(names) > 1}
