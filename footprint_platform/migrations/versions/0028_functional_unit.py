"""battery functional unit: usable energy and warranty mileage on the product, the pinned
functional unit on the declaration

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-06 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usable_energy_kwh', sa.Numeric(precision=12, scale=4), nullable=True))
        batch_op.add_column(sa.Column('warranty_km', sa.Integer(), nullable=True))
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('functional_unit', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('functional_unit')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('warranty_km')
        batch_op.drop_column('usable_energy_kwh')
