"""Comments on one question: the question of the case a team lead's comment is about (None:
about the whole case, as every comment kept before this revision).

Revises 0008 (comments done).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comment") as t:
        t.add_column(sa.Column("question_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comment") as t:
        t.drop_column("question_id")
