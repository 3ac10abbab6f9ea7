"""A campaign's count of deliveries that failed in a row (transient failures, in the order they
were stored): the workers of a fanned-out run add to it, and the run stops at 25, as an
embedded run does.

Revision ID: 0006_campaign_failures
Revises: 0004_campaign_store
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_campaign_failures"
down_revision = "0004_campaign_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("failures_in_a_row", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("failures_in_a_row")
