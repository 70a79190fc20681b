"""First released schema: device, question sets, inspections, cases, answer events, audit.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("assessor", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hlc", sa.String(80), nullable=False),
        sa.Column("exported_seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "question_set",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("set_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "inspection",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(120), nullable=False),
        sa.Column("pdu", sa.String(120), nullable=False),
        sa.Column("fieldwork_start", sa.Date, nullable=False),
        sa.Column("fieldwork_end", sa.Date, nullable=False),
        sa.Column("qs_id", sa.String(64), nullable=False),
        sa.Column("qs_version", sa.String(64), nullable=False),
        sa.Column(
            "qs_hash",
            sa.String(64),
            sa.ForeignKey("question_set.content_hash", name="fk_inspection_qs_hash_question_set"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "case",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "inspection_id",
            sa.String(36),
            sa.ForeignKey("inspection.id", name="fk_case_inspection_id_inspection"),
            nullable=False,
        ),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("variant", sa.String(64), nullable=True),
        sa.Column("assessor", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_hlc", sa.String(80), nullable=False),
        sa.UniqueConstraint("inspection_id", "reference", name="uq_case_inspection_id"),
    )
    op.create_index("ix_case_inspection_id", "case", ["inspection_id"])
    op.create_table(
        "answer_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "case_id",
            sa.String(36),
            sa.ForeignKey("case.id", name="fk_answer_event_case_id_case"),
            nullable=False,
        ),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("qs_id", sa.String(64), nullable=False),
        sa.Column("qs_version", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("device_id", "seq", name="uq_answer_event_device_id"),
    )
    op.create_index("ix_answer_event_case_question", "answer_event", ["case_id", "question_id"])
    op.create_index("ix_answer_event_replaces", "answer_event", ["replaces"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(80), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_log", "answer_event", "case", "inspection", "question_set", "device"):
        op.drop_table(table)
