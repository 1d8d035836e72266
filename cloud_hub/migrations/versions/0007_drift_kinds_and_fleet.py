"""drift results per kind of check (change, training, outside, error); the fleet's drift

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before are PSI results; "change" is right for the ones against the device's
    # baseline. The watch rewrites every device's rows at its next check, so rows that were
    # against a training reference are corrected within drift.every_s.
    with op.batch_alter_table("drift_results", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="change")
        )
        batch_op.drop_constraint("pk_drift_results", type_="primary")
        batch_op.create_primary_key("pk_drift_results", ["device_id", "signal", "kind"])
    with op.batch_alter_table("drift_results", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
    op.execute("UPDATE drift_results SET kind = 'error' WHERE signal = 'error'")
    op.create_table(
        "drift_fleet",
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("statistic", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("model_version", "signal", name=op.f("pk_drift_fleet")),
    )


def downgrade() -> None:
    op.drop_table("drift_fleet")
    op.execute("DELETE FROM drift_results WHERE kind NOT IN ('change', 'error')")
    with op.batch_alter_table("drift_results", schema=None) as batch_op:
        batch_op.drop_constraint("pk_drift_results", type_="primary")
        batch_op.create_primary_key("pk_drift_results", ["device_id", "signal"])
        batch_op.drop_column("kind")
