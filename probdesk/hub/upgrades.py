"""The hub's schema as numbered upgrade steps: how a hub of any release becomes today's.

TO ADD A TABLE OR A COLUMN to the hub:
  1. change the Table definitions in probdesk/hub/store.py (they stay the source of truth:
     queries use them, and a new hub is created from them); put a new column last;
  2. append one Step to STEPS below, numbered one more than the last, whose function makes the
     same change to an existing hub through alembic's Operations (`op = operations(conn)`):
     `op.create_table(...)` and `op.create_index(...)` for a table, with its columns written
     out here (never today's Table object: a released step must not change when the Table
     does; a Column(..., index=True) is op.create_index("ix_TABLE_COLUMN", ...));
     `with op.batch_alter_table(NAME) as t: t.add_column(...)` for a column (batch mode
     rebuilds the table on SQLite when SQLite's ALTER TABLE cannot make the change).
  That is all (and a row in the table of steps in docs/hub.md): Hub() runs the steps a hub
  lacks, once, under the write lock (after a backup of a SQLite file) and records the last
  step's number. tests/integration/test_hub_upgrades.py fails until a hub upgraded from any step has
  exactly the tables, columns and indexes of a new one, on SQLite and PostgreSQL.
  Never edit or renumber a step that has been released; fix a mistake with a new step.

Where a hub records its step: the row `hub_meta.step`. Beside it the row `hub_meta.schema`
keeps the label probdesk wrote before numbered steps ("1" or "2"; see `label`), which is
also what such an older probdesk reads to refuse a hub newer than itself. Hubs made before
numbered steps have only the label, and the label does not say which of steps 1 to 5 they
have (a hub made at 5ec7afc says "2" but lacks step 5's `hub_inspection.kind`), so for them
`released_steps_done` looks at what the hub holds.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector

from probdesk.fs import atomic_path
from probdesk.store import cipher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    number: int
    description: str  # one line: what the step adds
    run: Callable[[Connection], None]  # makes the change, inside the upgrade's transaction


def operations(conn: Connection) -> Operations:
    """Alembic's portable DDL on the upgrade's own connection (and so its transaction)."""
    return Operations(MigrationContext.configure(connection=conn))


# -- the steps ---------------------------------------------------------------------------------


def _first_hub(conn: Connection) -> None:
    """The hub as first released (a0552b1): packages merged as a union of events."""
    op = operations(conn)
    op.create_table(
        "hub_meta",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "hub_question_set",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("set_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "hub_inspection",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(120), nullable=False),
        sa.Column("pdu", sa.String(120), nullable=False),
        sa.Column("pdus", sa.Text, nullable=False),
        sa.Column("fieldwork_start", sa.Date, nullable=False),
        sa.Column("fieldwork_end", sa.Date, nullable=False),
        sa.Column("qs_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "hub_device",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("signing_public", sa.String(64), nullable=False),
        sa.Column("encryption_public", sa.String(64), nullable=False),
    )
    op.create_table(
        "hub_package",
        sa.Column("package_id", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("seq_to", sa.Integer, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("merged_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hub_quarantine",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("package_id", sa.String(64), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hub_case",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("pdu", sa.String(120), nullable=True),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("variant", sa.String(64), nullable=True),
        sa.Column("assessor", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_hlc", sa.String(80), nullable=False),
    )
    op.create_index("ix_hub_case_inspection_id", "hub_case", ["inspection_id"])
    op.create_table(
        "hub_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("qs_id", sa.String(64), nullable=False),
        sa.Column("qs_version", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
    )
    op.create_index("ix_hub_event_case_id", "hub_event", ["case_id"])
    op.create_table(
        "hub_meeting",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("held_on", sa.String(10), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("groups", sa.Text, nullable=False),
        sa.Column("questions", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_hub_meeting_inspection_id", "hub_meeting", ["inspection_id"])
    op.create_table(
        "hub_meeting_note",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("meeting_id", sa.String(36), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
    )
    op.create_index("ix_hub_meeting_note_meeting_id", "hub_meeting_note", ["meeting_id"])


def _moderation(conn: Connection) -> None:
    """9006d6c: the team lead's moderation decisions."""
    op = operations(conn)
    op.create_table(
        "hub_moderation",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("moderator", sa.String(80), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hub_moderation_case_id", "hub_moderation", ["case_id"])


def _resolutions(conn: Connection) -> None:
    """7680b0e: the team lead's settled conflicts."""
    op = operations(conn)
    op.create_table(
        "hub_resolution",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("superseded", sa.Text, nullable=False),
        sa.Column("moderator", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hub_resolution_case_id", "hub_resolution", ["case_id"])


def _domain_one_evidence(conn: Connection) -> None:
    """5ec7afc (schema "2"): domain one evidence events and their attached files."""
    op = operations(conn)
    op.create_table(
        "hub_org_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_hub_org_event_inspection_id", "hub_org_event", ["inspection_id"])
    op.create_table(
        "hub_attachment",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def _inspection_kind(conn: Connection) -> None:
    """b5a2483 (still schema "2"): an inspection's kind; every earlier one is a PDU's."""
    with operations(conn).batch_alter_table("hub_inspection") as t:
        t.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="pdu"))


def _enrolment(conn: Connection) -> None:
    """Enrolled and refused keys, held packages, the lead's sample and assignments."""
    op = operations(conn)
    op.create_table(
        "hub_device_key",
        sa.Column("inspection_id", sa.String(36), primary_key=True),
        sa.Column("signing_public", sa.String(64), primary_key=True),
        sa.Column("encryption_public", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("member", sa.String(80), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("how", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hub_held",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("package_id", sa.String(64), nullable=False),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("signing_public", sa.String(64), nullable=False),
        sa.Column("encryption_public", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("claimed_member", sa.String(80), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hub_held_inspection_id", "hub_held", ["inspection_id"])
    op.create_table(
        "hub_assignment",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("hlc", sa.String(80), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("assessor", sa.String(80), nullable=False),
    )
    op.create_index("ix_hub_assignment_inspection_id", "hub_assignment", ["inspection_id"])


def _case_events(conn: Connection) -> None:
    import json

    from probdesk.domain.case_events import base_events

    op = operations(conn)
    table = op.create_table(
        "hub_case_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("settles", sa.Text, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_hub_case_event_inspection_id", "hub_case_event", ["inspection_id"])
    op.create_index("ix_hub_case_event_case_id", "hub_case_event", ["case_id"])
    # Each case's state until now becomes base events (as on the laptops): the same value
    # anywhere is the same event, so the lead's next change replaces it here too.
    rows = []
    for c in conn.execute(
        sa.text("SELECT id, inspection_id, facts, pdu, assessor, status FROM hub_case")
    ):
        for e in base_events(c.id, json.loads(c.facts or "{}"), c.pdu, c.assessor, c.status):
            rows.append({
                "id": e.id, "inspection_id": c.inspection_id, "case_id": e.case_id,
                "field": e.field, "value": json.dumps(e.value, sort_keys=True),
                "device_id": "", "seq": 0, "hlc": "", "replaces": None, "settles": "[]",
                "author": "", "recorded_at": "",
            })  # fmt: skip
    if rows:
        op.bulk_insert(table, rows)


def _retention(conn: Connection) -> None:
    """The day the team lead closed an inspection, and a record (ids, dates and counts) of
    each inspection purged after the organisation's retention period."""
    op = operations(conn)
    with op.batch_alter_table("hub_inspection") as t:
        t.add_column(sa.Column("closed_at", sa.DateTime, nullable=True))
    op.create_table(
        "hub_purge",
        sa.Column("inspection_id", sa.String(36), primary_key=True),
        sa.Column("closed_at", sa.DateTime, nullable=False),
        sa.Column("purged_at", sa.DateTime, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
    )


def _comments(conn: Connection) -> None:
    """The comments the team lead sent to assessors, read beside the replies that come back."""
    op = operations(conn)
    op.create_table(
        "hub_comment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("seen_hlc", sa.String(80), nullable=True),
    )
    op.create_index("ix_hub_comment_inspection_id", "hub_comment", ["inspection_id"])


STEPS: list[Step] = [
    Step(1, "the first hub: inspections, devices, packages, cases, events, meetings", _first_hub),
    Step(2, "moderation decisions (hub_moderation)", _moderation),
    Step(3, "settled conflicts (hub_resolution)", _resolutions),
    Step(4, "domain one evidence (hub_org_event, hub_attachment)", _domain_one_evidence),
    Step(5, "an inspection's kind, pdu or region (hub_inspection.kind)", _inspection_kind),
    Step(6, "enrolled keys, held packages, the sample's assignments", _enrolment),
    Step(
        7, "case events: facts, PDU, assessor and status as events (hub_case_event)", _case_events
    ),
    Step(
        8,
        "retention: an inspection's closing (hub_inspection.closed_at), purges (hub_purge)",
        _retention,
    ),
    Step(9, "comments sent to assessors, beside their replies (hub_comment)", _comments),
    # Append the next step here: Step(10, "...", _its_function).
]
LATEST = STEPS[-1].number

if [s.number for s in STEPS] != list(range(1, len(STEPS) + 1)):  # pragma: no cover
    raise AssertionError("hub upgrade steps must be numbered 1, 2, 3, ... in order")


# -- the version rows --------------------------------------------------------------------------

STEP_KEY = "step"  # hub_meta: the number of the last step the hub has
LABEL_KEY = "schema"  # hub_meta: the label probdesk wrote before numbered steps
LABELLED = 5  # the last step that probdesk before numbered steps knew, as schema "2"
_meta = sa.table("hub_meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def label(step: int) -> str:
    """The `hub_meta.schema` label of a hub at `step`.

    "2" up to step 5: probdesk before numbered steps opens such a hub as its own, which it is.
    The step number from step 6 on: that probdesk refuses the hub as newer than itself.
    """
    return "2" if step <= LABELLED else str(step)


class UnreadableVersion(ValueError):
    """A version row that is not a number."""


@dataclass(frozen=True)
class Version:
    """A database's version rows, as found."""

    exists: bool  # it holds a hub (its hub_meta table)
    step: int | None  # hub_meta.step: None before numbered steps
    label: str | None  # hub_meta.schema

    @property
    def current(self) -> bool:
        """At this probdesk's last step, and recorded so: it opens without writing."""
        return self.step == LATEST and self.label == label(LATEST)


def read_version(conn: Connection) -> Version:
    if not sa.inspect(conn).has_table("hub_meta"):
        return Version(False, None, None)
    found = sa.select(_meta.c.key, _meta.c.value).where(_meta.c.key.in_([STEP_KEY, LABEL_KEY]))
    rows: dict[str, str] = {key: value for key, value in conn.execute(found)}
    for key, value in rows.items():
        if not value.strip().isdigit():
            raise UnreadableVersion(f"hub_meta.{key} is {value!r}, not a number")
    step = rows.get(STEP_KEY)
    return Version(True, int(step) if step is not None else None, rows.get(LABEL_KEY))


def record(conn: Connection, step: int) -> None:
    """Write the hub's version rows: its step, and the label beside it."""
    conn.execute(sa.delete(_meta).where(_meta.c.key.in_([STEP_KEY, LABEL_KEY])))
    conn.execute(
        sa.insert(_meta),
        [{"key": STEP_KEY, "value": str(step)}, {"key": LABEL_KEY, "value": label(step)}],
    )


# What each step made, for hubs made before numbered steps: they record no step, and their
# label ("1" for steps 1 to 3, "2" for steps 4 and 5) does not say which steps they have.
# Their code created whatever table was missing on every opening, so a step is done when
# what it made is there. No later step needs an entry: a hub that has it records its step.
_RELEASED: dict[int, Callable[[Inspector], bool]] = {
    1: lambda i: i.has_table("hub_case") and i.has_table("hub_event"),
    2: lambda i: i.has_table("hub_moderation"),
    3: lambda i: i.has_table("hub_resolution"),
    4: lambda i: i.has_table("hub_org_event") and i.has_table("hub_attachment"),
    5: lambda i: "kind" in {c["name"] for c in i.get_columns("hub_inspection")},
}


def released_steps_done(conn: Connection) -> set[int]:
    """Which of the steps up to `LABELLED` a hub made before numbered steps has."""
    inspector = sa.inspect(conn)
    if not _RELEASED[1](inspector):
        return set()  # not a hub of any release: every step is to run
    return {n for n, made in _RELEASED.items() if made(inspector)}


def pending(conn: Connection, found: Version) -> list[Step]:
    """The steps an existing hub lacks, in order.

    Its step row counts while the label beside it is the one that step writes. A hub without
    one (made before numbered steps), or whose label is another (set back by something other
    than this code), is looked at for the steps up to `LABELLED`; a later step has run only
    where a step row says so (only this code runs those steps, and it records them).
    """
    if found.step is not None and found.label == label(found.step):
        return [s for s in STEPS if s.number > found.step]
    done = released_steps_done(conn)
    recorded = max(found.step or 0, LABELLED)

    def lacks(s: Step) -> bool:
        return s.number not in done if s.number <= LABELLED else s.number > recorded

    return [s for s in STEPS if lacks(s)]


# -- the backup of a SQLite hub ----------------------------------------------------------------


def backup_sqlite(
    path: Path, first_step: int, key: bytes | None = None, at: datetime | None = None
) -> Path:
    """A consistent copy of the hub file, beside it, before `first_step` runs on it.

    `hub.sqlite.before-step-N-YYYYMMDD-HHMMSS.bak`, through SQLite's online backup API on a
    read-only connection: the caller holds the write lock, so nobody changes the hub while
    it is copied, and the copy is written under a hidden temporary name first
    (probdesk.fs.atomic_path: a half-written copy never looks like a backup). The copy is one
    file in rollback-journal mode, owner-only and encrypted with the hub's key as the hub is.
    """
    stamp = (at or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = f"{path.name}.before-step-{first_step}-{stamp}"
    target = path.with_name(f"{base}.bak")
    for n in itertools.count(2):
        if not target.exists():
            break
        target = path.with_name(f"{base}-{n}.bak")
    with atomic_path(target, mode=0o600) as part:  # the hub's cases: owner-only, as the hub
        cipher.backup_copy(path, part, key, timeout=10)
    log.info("hub %s copied to %s before upgrade step %d", path, target.name, first_step)
    return target
