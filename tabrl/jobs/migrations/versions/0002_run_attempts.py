"""run attempts: jobs.attempt and events.attempt

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=False, server_default='0'))
    # Jobs from before attempts were counted have been queued once at least: that was attempt 1.
    op.execute("UPDATE jobs SET attempt = 1")
    op.execute("UPDATE events SET attempt = 1")


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('attempt')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('attempt')
