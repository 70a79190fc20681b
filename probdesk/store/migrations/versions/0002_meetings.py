"""Meetings and focus groups, with their notes as append-only events.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "inspection_id",
            sa.String(36),
            sa.ForeignKey("inspection.id", name="fk_meeting_inspection_id_inspection"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("groups", sa.Text, nullable=False),
        sa.Column("questions", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_meeting_inspection_id", "meeting", ["inspection_id"])
    op.create_table(
        "meeting_note_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "meeting_id",
            sa.String(36),
            sa.ForeignKey("meeting.id", name="fk_meeting_note_event_meeting_id_meeting"),
            nullable=False,
        ),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hlc", sa.String(80), nullable=False),
        sa.Column("replaces", sa.String(36), nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("device_id", "seq", name="uq_meeting_note_event_device_id"),
    )
    op.create_index(
        "ix_meeting_note_event_meeting_question",
        "meeting_note_event",
        ["meeting_id", "question_id"],
    )


def downgrade() -> None:
    op.drop_table("meeting_note_event")
    op.drop_table("meeting")
