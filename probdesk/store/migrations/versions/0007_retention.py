"""Retention: the day the team lead closed an inspection (it may then be purged here once
every change of this laptop is merged), and the change number of each meeting's last save
(so that a meeting saved after the last merged package counts as unmerged work).

Revises 0006 (signed chain heads).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspection") as t:
        t.add_column(sa.Column("closed_at", sa.DateTime, nullable=True))
    with op.batch_alter_table("meeting") as t:
        t.add_column(sa.Column("seq", sa.Integer, nullable=True))
    # A meeting saved before this revision was last saved at or before the device's newest
    # change: that bound is safe (it can only ask for one more merged package, never fewer).
    op.execute("UPDATE meeting SET seq = (SELECT coalesce(max(last_seq), 0) FROM device)")


def downgrade() -> None:
    with op.batch_alter_table("meeting") as t:
        t.drop_column("seq")
    with op.batch_alter_table("inspection") as t:
        t.drop_column("closed_at")
