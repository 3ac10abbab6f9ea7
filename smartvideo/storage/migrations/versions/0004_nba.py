"""Next-best-action: the decision log, shared model state, links that name a decision, and the
variants adaptive allocation picked (for the allocation over time).

Revision ID: 0004_nba
Revises: 0001_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_nba"
down_revision = "0001_links"
branch_labels = ("nba",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nba_decisions",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("decision", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("link_id", sa.String(16), unique=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("story", sa.String(100), nullable=False),
        sa.Column("variant", sa.String(50)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("propensity", sa.Float, nullable=False),
        sa.Column("explored", sa.Boolean, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("features", sa.Text, nullable=False),
        sa.Column("scores", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("reward", sa.Float),
        sa.Column("learned_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_nba_decisions_customer", "nba_decisions", ["decision", "customer_id"])
    op.create_index("ix_nba_decisions_pending", "nba_decisions", ["decision", "learned_at"])
    op.create_table(
        "nba_models",
        sa.Column("name", sa.String(150), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("learned", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "nba_variant_picks",
        sa.Column("link_id", sa.String(16), primary_key=True),
        sa.Column("story", sa.String(100), nullable=False),
        sa.Column("variant", sa.String(50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_nba_variant_picks_story", "nba_variant_picks", ["story", "at"])
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("decision", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("decision")
    op.drop_index("ix_nba_variant_picks_story", "nba_variant_picks")
    op.drop_table("nba_variant_picks")
    op.drop_table("nba_models")
    op.drop_index("ix_nba_decisions_pending", "nba_decisions")
    op.drop_index("ix_nba_decisions_customer", "nba_decisions")
    op.drop_table("nba_decisions")
