"""recycled content and end of life are data of an input row

A material input names its recycled share (R1) and the recycled dataset it uses (Erec); a
waste or end-of-life row names the share recycled (R2), the dataset of that recycling
(ErecEoL) and the virgin dataset the recycled output replaces (E*v, from the rule). Existing
rows keep NULL: they had no recycled content, and their results and hashes stay as they were.

Revision ID: 0032
Revises: 0028
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recycled_share', sa.Numeric(7, 6), nullable=True))
        batch_op.add_column(sa.Column('recycled_factor_code', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('virgin_factor_code', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.drop_column('virgin_factor_code')
        batch_op.drop_column('recycled_factor_code')
        batch_op.drop_column('recycled_share')
