"""completeness: a submission's mass-balance reason and cut-off exclusions, a declaration's
exempted share, the reasons a verifier accepted

A submission whose material mass lies outside its rule's range is submitted only with a
reason, which a verification must accept before it can pass; inputs left out under the
rule's cut-off are declared with their estimated share of the footprint, summed into the
declaration's exempted share (PACT exemptedEmissionsPercent).

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mass_balance_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('exclusions', sa.JSON(), nullable=True))
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('exempted_percent', sa.Numeric(precision=7, scale=4), nullable=True)
        )
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_reasons', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_column('accepted_reasons')
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('exempted_percent')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('exclusions')
        batch_op.drop_column('mass_balance_reason')
