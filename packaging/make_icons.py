"""Render resources/icons/probdesk.svg to the PNG, ICO and ICNS files the app and bundle use.

Run after changing the SVG: `python packaging/make_icons.py` (needs PySide6 and Pillow, both in
the dev install). The outputs are committed, so a build needs neither step.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv)  # noqa: F841 - rendering needs an application
    renderer = QSvgRenderer(str(ICONS / "probdesk.svg"))
    images: dict[int, Image.Image] = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        images[size] = Image.open(io.BytesIO(bytes(data))).convert("RGBA")
    images[256].save(ICONS / "probdesk.png")
    images[512].save(ICONS / "probdesk-512.png")
    images[256].save(ICONS / "probdesk.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[512].save(ICONS / "probdesk.icns")
    for name in ("probdesk.png", "probdesk-512.png", "probdesk.ico", "probdesk.icns"):
        print(f"{ICONS / name}: {(ICONS / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
