"""Domain one evidence: organisational events (logged documents, gaps, judgements, survey
figures) and the files attached to documents; the inspection's kind (PDU or region).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kind of an inspection: "pdu", or "region" (drawing on its PDU inspections' data).
    op.add_column(
        "inspection",
        sa.Column("kind", sa.String(10), nullable=False, server_default="pdu"),
    )
    op.create_table(
        "org_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "inspection_id",
            sa.String(36),
            sa.ForeignKey("inspection.id", name="fk_org_event_inspection_id_inspection"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("device_id", "seq", name="uq_org_event_device_id"),
    )
    op.create_index("ix_org_event_subject", "org_event", ["inspection_id", "kind", "subject_id"])
    op.create_table(
        "attachment",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("inspection") as batch:
        batch.drop_column("kind")
    op.drop_table("attachment")
    op.drop_index("ix_org_event_subject", table_name="org_event")
    op.drop_table("org_event")
