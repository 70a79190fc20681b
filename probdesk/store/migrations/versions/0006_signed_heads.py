"""Signed chain heads: the newest link of each of this device's chains (the audit log, each
inspection's changes), signed with the device key (probdesk.store.chains). Made empty: the
chains of the data already here are folded and signed when the store is next opened with
its keys.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_head",
        sa.Column("chain", sa.String(80), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signed_head")
