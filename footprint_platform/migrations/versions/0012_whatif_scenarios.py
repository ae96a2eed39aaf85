"""saved what-if scenarios

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('whatif_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_whatif_scenario_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_whatif_scenario_organization_id_organization')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_whatif_scenario_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whatif_scenario'))
    )
    with op.batch_alter_table('whatif_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatif_scenario_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_whatif_scenario_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('whatif_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatif_scenario_product_id'))
        batch_op.drop_index(batch_op.f('ix_whatif_scenario_organization_id'))

    op.drop_table('whatif_scenario')
