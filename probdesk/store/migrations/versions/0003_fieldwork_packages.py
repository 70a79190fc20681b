"""Fieldwork packages: PDUs per inspection, assessors, recipients' keys, known devices, the
outbox, opened packs and comments sent back by the team lead.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspection") as batch:
        batch.add_column(sa.Column("pdus", sa.Text, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("lead_device_id", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("setup_revision", sa.Integer, nullable=False, server_default="0")
        )
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("pdu", sa.String(120), nullable=True))
    # The audit chain's newest link, kept with the device so that deleting the last rows of
    # the chain shows too; set from the chain as it stands.
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("audit_seq", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("audit_hash", sa.String(64), nullable=False, server_default=""))
    op.execute(
        "UPDATE device SET audit_seq = COALESCE((SELECT MAX(seq) FROM audit_log), 0), "
        "audit_hash = COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '')"
    )
    # Who recorded each event, as they were known then (the device's assessor can change).
    with op.batch_alter_table("answer_event") as batch:
        batch.add_column(sa.Column("author", sa.String(80), nullable=False, server_default=""))
    with op.batch_alter_table("meeting_note_event") as batch:
        batch.add_column(sa.Column("author", sa.String(80), nullable=False, server_default=""))
    op.create_table(
        "assessor",
        sa.Column(
            "inspection_id",
            sa.String(36),
            sa.ForeignKey("inspection.id", name="fk_assessor_inspection_id_inspection"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
    )
    op.create_table(
        "recipient",
        sa.Column(
            "inspection_id",
            sa.String(36),
            sa.ForeignKey("inspection.id", name="fk_recipient_inspection_id_inspection"),
            primary_key=True,
        ),
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("public", sa.String(64), nullable=False),
    )
    op.create_table(
        "known_device",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("signing_public", sa.String(64), nullable=False),
        sa.Column("encryption_public", sa.String(64), nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
    )
    op.create_table(
        "outbox_package",
        sa.Column("package_id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("seq_to", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("shared_path", sa.Text, nullable=True),
        sa.Column("copied_at", sa.DateTime, nullable=True),
        sa.Column("receipt_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "opened_package",
        sa.Column("package_id", sa.String(36), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("signer_device_id", sa.String(36), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "comment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("package_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_comment_case_id", "comment", ["case_id"])


def downgrade() -> None:
    for table in (
        "comment",
        "opened_package",
        "outbox_package",
        "known_device",
        "recipient",
        "assessor",
    ):
        op.drop_table(table)
    with op.batch_alter_table("device") as batch:
        batch.drop_column("audit_hash")
        batch.drop_column("audit_seq")
    with op.batch_alter_table("meeting_note_event") as batch:
        batch.drop_column("author")
    with op.batch_alter_table("answer_event") as batch:
        batch.drop_column("author")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("pdu")
    with op.batch_alter_table("inspection") as batch:
        batch.drop_column("setup_revision")
        batch.drop_column("lead_device_id")
        batch.drop_column("pdus")
