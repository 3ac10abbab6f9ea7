"""When each link's invitation was delivered (null until then).

Revision ID: 0005_links_delivered
Revises: 0001_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_links_delivered"
down_revision = "0001_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("delivered_at")
