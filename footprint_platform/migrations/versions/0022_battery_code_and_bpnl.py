"""battery products record China's traction-battery code; organizations their Catena-X BPNL;
PACT requests we send to partners' systems

`product.battery_code` is one unit's GB/T 34014 code; `battery_design_code`, its first 14
characters shared by every unit of the type, is indexed so any unit's code finds the product.
`organization.bpnl` is the business partner number Catena-X names a legal entity by.
`pact_request_sent`: a buyer's RequestCreatedEvent to a partner's host system and its answer.

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0018'
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

    op.create_table('pact_request_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('imported', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_pact_request_sent_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['credential_id'], ['pact_credential.id'], name=op.f('fk_pact_request_sent_credential_id_pact_credential')),
    sa.ForeignKeyConstraint(['delivery_id'], ['pact_delivery.id'], name=op.f('fk_pact_request_sent_delivery_id_pact_delivery')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_pact_request_sent_organization_id_organization')),
    sa.ForeignKeyConstraint(['partner_id'], ['organization.id'], name=op.f('fk_pact_request_sent_partner_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pact_request_sent')),
    sa.UniqueConstraint('event_id', name=op.f('uq_pact_request_sent_event_id'))
    )
    with op.batch_alter_table('pact_request_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pact_request_sent_organization_id'), ['organization_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pact_request_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pact_request_sent_organization_id'))
    op.drop_table('pact_request_sent')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organization_bpnl'), type_='unique')
        batch_op.drop_column('bpnl')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_battery_design_code'))
        batch_op.drop_column('battery_design_code')
        batch_op.drop_column('battery_code')
