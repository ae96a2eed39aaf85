"""roll-up jobs record when they started running

A job left "running" by a killed process can then be told from a live one and marked failed.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rollup_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('rollup_job', schema=None) as batch_op:
        batch_op.drop_column('started_at')
