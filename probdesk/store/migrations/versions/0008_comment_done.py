"""Comments an assessor has dealt with: the moment the case's assessor marked a comment (the
team lead's, or the notice a question-set move leaves on a case to review) as done. An open
comment puts the case on the assessor's to-do list.

Revises 0007 (retention).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comment") as t:
        t.add_column(sa.Column("done_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comment") as t:
        t.drop_column("done_at")
