"""Indexes for the snapshot's stamps and the period's current submissions

A run after one submission checks that the period's snapshot still describes today's data: the
catalogue's count, largest id and sum of versions, the shares' count, largest id and number
revoked, the earlier periods' current versions, and the period's current submission ids. Each
was a scan of the whole table; these partial indexes hold only the rows each asks about (the
submitted versions by period, the revoked shares, the edited products), so that other queries on
these tables keep their own indexes.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(
            'ix_submission_current',
            ['period_end', 'period_start', 'id'],
            unique=False,
            postgresql_where=sa.text("status = 'submitted'"),
            sqlite_where=sa.text("status = 'submitted'"),
        )
    with op.batch_alter_table('footprint_share', schema=None) as batch_op:
        batch_op.create_index(
            'ix_footprint_share_revoked',
            ['id'],
            unique=False,
            postgresql_where=sa.text('revoked_at IS NOT NULL'),
            sqlite_where=sa.text('revoked_at IS NOT NULL'),
        )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(
            'ix_product_edited',
            ['version'],
            unique=False,
            postgresql_where=sa.text('version <> 1'),
            sqlite_where=sa.text('version <> 1'),
        )


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_edited')
    with op.batch_alter_table('footprint_share', schema=None) as batch_op:
        batch_op.drop_index('ix_footprint_share_revoked')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_current')
