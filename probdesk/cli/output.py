"""What the commands share in their output: exit codes, tables, sizes and the pickers that turn
an id (or a unique prefix of one) into the record it names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.domain.records import Inspection
    from probdesk.services.workspace import Workspace

# 0: done; 1: findings (verify); 2: refused input (argparse's usage errors too); 70: a bug.
EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_BUG = 0, 1, 2, 70

SHORT = 8  # characters of an id shown in lists
MIN_PREFIX = 4  # the shortest id prefix accepted

T = TypeVar("T")


# -- tables and sizes ---------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(str(r[c])) for r in [headers, *rows]) for c in range(len(headers))]
    lines = []
    for r in [headers, *rows]:
        cells = [str(v).ljust(w) for v, w in zip(r[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*cells, str(r[-1])]).rstrip())
    return "\n".join(lines) + "\n"


def size_text(size: int) -> str:
    from probdesk.domain.evidence import size_in_mb

    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return size_in_mb(size)


# -- ids ----------------------------------------------------------------------------------------


def short(identifier: str) -> str:
    return identifier[:SHORT]


def pick(given: str, items: Sequence[T], key: Callable[[T], str], what: str, listing: str) -> T:
    """The one item whose id is `given` or starts with it (at least MIN_PREFIX characters);
    `listing` tells where the ids are shown."""
    wanted = given.strip().casefold()
    exact = [i for i in items if key(i).casefold() == wanted]
    if exact:
        return exact[0]
    if len(wanted) < MIN_PREFIX:
        raise InputError(
            f"Give at least {MIN_PREFIX} characters of the {what} id ({given!r} is too short); "
            f"{listing}."
        )
    found = [i for i in items if key(i).casefold().startswith(wanted)]
    if not found:
        raise InputError(f"No {what} with an id starting {given!r}; {listing}.")
    if len(found) > 1:
        shown = ", ".join(key(i)[: len(wanted) + 4] for i in found[:5])
        raise InputError(f"{given!r} matches {len(found)} {what}s ({shown}): give more of the id.")
    return found[0]


def inspections_here(ws: Workspace, given: str | None) -> list[Inspection]:
    """The inspection named by --inspection, or every inspection here when none is named."""
    inspections = ws.inspections()
    if given:
        here = "; ".join(f"{short(i.id)} {i.title}" for i in inspections) or "none"
        return [pick(given, inspections, lambda i: i.id, "inspection",
                     f"the inspections here: {here}")]  # fmt: skip
    if not inspections:
        raise InputError("There is no inspection here yet: open a setup pack first.")
    return inspections


def inspection_here(ws: Workspace, given: str | None) -> Inspection:
    """The inspection named by --inspection, or the only one here."""
    inspections = inspections_here(ws, given)
    if len(inspections) > 1:
        listed = "; ".join(f"{short(i.id)} {i.title}" for i in inspections)
        raise InputError(f"There are several inspections here; choose one with --inspection: "
                         f"{listed}.")  # fmt: skip
    return inspections[0]
