"""closed loop: sample requests, field samples, calibrations, drift references and results

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 19:30:36.876718
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_samples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roi", sa.JSON(), nullable=True))
    op.create_table(
        "drift_references",
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("model_version", "signal", name=op.f("pk_drift_references")),
    )
    op.create_table(
        "device_calibrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slope", sa.Float(), nullable=False),
        sa.Column("intercept", sa.Float(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("mae_before", sa.Float(), nullable=False),
        sa.Column("mae_after", sa.Float(), nullable=False),
        sa.Column("monitor_id", sa.String(length=64), nullable=False),
        sa.Column("fitted_at", sa.Float(), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_calibrations_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_calibrations")),
        sa.UniqueConstraint("device_id", "version", name=op.f("uq_device_calibrations_device_id")),
    )
    with op.batch_alter_table("device_calibrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_calibrations_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "drift_results",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("statistic", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.String(length=32), nullable=False),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_drift_results_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "signal", name=op.f("pk_drift_results")),
    )
    op.create_table(
        "loop_requests",
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_loop_requests_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("command_id", name=op.f("pk_loop_requests")),
    )
    with op.batch_alter_table("loop_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loop_requests_device_id"), ["device_id"], unique=False)

    op.create_table(
        "loop_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("captured_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("roi", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("calibration_version", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("label_status", sa.String(length=16), nullable=False),
        sa.Column("monitor_id", sa.String(length=64), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("ref_t", sa.Float(), nullable=True),
        sa.Column("ref_pm25", sa.Float(), nullable=True),
        sa.Column("ref_rh", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_loop_samples_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_samples")),
        sa.UniqueConstraint("source_id", name=op.f("uq_loop_samples_source_id")),
    )
    with op.batch_alter_table("loop_samples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loop_samples_captured_at"), ["captured_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loop_samples_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loop_samples_label_status"), ["label_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("loop_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loop_samples_label_status"))
        batch_op.drop_index(batch_op.f("ix_loop_samples_device_id"))
        batch_op.drop_index(batch_op.f("ix_loop_samples_captured_at"))

    op.drop_table("loop_samples")
    with op.batch_alter_table("loop_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loop_requests_device_id"))

    op.drop_table("loop_requests")
    op.drop_table("drift_results")
    with op.batch_alter_table("device_calibrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_calibrations_device_id"))

    op.drop_table("device_calibrations")
    op.drop_table("drift_references")
    with op.batch_alter_table("device_samples", schema=None) as batch_op:
        batch_op.drop_column("roi")
