"""roll-up jobs as a durable outbox: a lease, its claim and the attempts

A job row is written with the submission that asks for it; the process running it holds a
lease renewed by a heartbeat, and a job whose lease passed (its process died) is run again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rollup_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.create_index(batch_op.f('ix_rollup_job_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('rollup_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollup_job_status'))
        batch_op.drop_column('attempts')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('lease_until')
