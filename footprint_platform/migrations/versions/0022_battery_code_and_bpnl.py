"""battery products record China's traction-battery code; organizations their Catena-X BPNL

`product.battery_code` is one unit's GB/T 34014 code; `battery_design_code`, its first 14
characters shared by every unit of the type, is indexed so any unit's code finds the product.
`organization.bpnl` is the business partner number Catena-X names a legal entity by.

Revision ID: 0022
Revises: 0015
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('battery_code', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('battery_design_code', sa.String(length=14), nullable=True))
        batch_op.create_index(batch_op.f('ix_product_battery_design_code'), ['battery_design_code'], unique=False)
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bpnl', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organization_bpnl'), ['bpnl'])


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organization_bpnl'), type_='unique')
        batch_op.drop_column('bpnl')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_battery_design_code'))
        batch_op.drop_column('battery_design_code')
        batch_op.drop_column('battery_code')
