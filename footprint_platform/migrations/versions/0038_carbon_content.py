"""Carbon content of materials and products (PACT v3.0.3 fossilCarbonContent, biogenicCarbonContent)

`submission_input.carbon_fossil`, `carbon_biogenic`: a material's carbon content, kg C per unit
of the row's quantity; `emission_factor.carbon_fossil`, `carbon_biogenic`: a material dataset's,
kg C per factor unit, as its release states it; `submission.carbon_fossil`, `carbon_biogenic`:
the product's own stated carbon content per declared unit; `declaration.carbon_content`: the
product's carbon content as pinned when declared (NULL on earlier declarations, whose content
hashes stay as they were).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 14:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('emission_factor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carbon_fossil', sa.Numeric(precision=24, scale=10), nullable=True))
        batch_op.add_column(sa.Column('carbon_biogenic', sa.Numeric(precision=24, scale=10), nullable=True))
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carbon_fossil', sa.Numeric(precision=24, scale=10), nullable=True))
        batch_op.add_column(sa.Column('carbon_biogenic', sa.Numeric(precision=24, scale=10), nullable=True))
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carbon_fossil', sa.Numeric(precision=24, scale=10), nullable=True))
        batch_op.add_column(sa.Column('carbon_biogenic', sa.Numeric(precision=24, scale=10), nullable=True))
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carbon_content', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('carbon_content')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('carbon_biogenic')
        batch_op.drop_column('carbon_fossil')
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.drop_column('carbon_biogenic')
        batch_op.drop_column('carbon_fossil')
    with op.batch_alter_table('emission_factor', schema=None) as batch_op:
        batch_op.drop_column('carbon_biogenic')
        batch_op.drop_column('carbon_fossil')
