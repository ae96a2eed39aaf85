"""results say what they are made of: shares carried forward and from fallback datasets

A product without data for the period is valued, as its accounting rule says, by its supplier's
latest earlier period (carried forward) or a conservative fallback dataset; each result stores
the share of its footprint from each, so pages and exports can say what it is made of.

Revision ID: 0023
Revises: 0024
Create Date: 2026-12-06 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_result', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'carried_share', sa.Numeric(precision=8, scale=6), server_default='0',
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                'fallback_share', sa.Numeric(precision=8, scale=6), server_default='0',
                nullable=False,
            )
        )
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('composition', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('composition')
    with op.batch_alter_table('product_result', schema=None) as batch_op:
        batch_op.drop_column('fallback_share')
        batch_op.drop_column('carried_share')
