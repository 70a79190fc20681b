"""Case events: a case's facts, PDU, assessor and status as events (the case row is their
fold). Each case's state until now becomes base events (probdesk.domain.case_events).

Revision ID: 0005
Revises: 0004
"""

import json

import sqlalchemy as sa
from alembic import op

from probdesk.domain.case_events import base_events

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "case_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "case_id",
            sa.String(36),
            sa.ForeignKey("case.id", name="fk_case_event_case_id_case"),
            nullable=False,
        ),
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
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])
    conn = op.get_bind()
    rows = []
    for c in conn.execute(sa.text('SELECT id, facts, pdu, assessor, status FROM "case"')):
        for e in base_events(c.id, json.loads(c.facts or "{}"), c.pdu, c.assessor, c.status):
            rows.append({
                "id": e.id, "case_id": e.case_id, "field": e.field,
                "value": json.dumps(e.value, sort_keys=True), "device_id": "", "seq": 0,
                "hlc": "", "replaces": None, "settles": "[]", "author": "",
                "recorded_at": "",
            })  # fmt: skip
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_case_event_case_id", table_name="case_event")
    op.drop_table("case_event")
