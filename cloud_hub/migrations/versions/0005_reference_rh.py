"""reference readings carry the monitor's relative humidity (percent, nullable)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: readings stored before 0005, and monitors that report no RH, keep NULL.
    with op.batch_alter_table("reference_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rh", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reference_readings", schema=None) as batch_op:
        batch_op.drop_column("rh")
