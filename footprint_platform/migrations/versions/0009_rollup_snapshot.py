"""roll-up snapshot: the last full run's graph per period, patched by the next runs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 16:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rollup_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['rollup_run.id'], name=op.f('fk_rollup_snapshot_run_id_rollup_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_snapshot'))
    )
    with op.batch_alter_table('rollup_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rollup_snapshot_period_start'), ['period_start'], unique=False)


def downgrade():
    with op.batch_alter_table('rollup_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollup_snapshot_period_start'))

    op.drop_table('rollup_snapshot')
