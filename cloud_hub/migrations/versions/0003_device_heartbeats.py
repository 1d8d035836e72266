"""heartbeat history for the console's health timeline

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_heartbeats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("heartbeat", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_heartbeats_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_heartbeats")),
    )
    with op.batch_alter_table("device_heartbeats", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_heartbeats_device_received", ["device_id", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("device_heartbeats", schema=None) as batch_op:
        batch_op.drop_index("ix_device_heartbeats_device_received")
    op.drop_table("device_heartbeats")
