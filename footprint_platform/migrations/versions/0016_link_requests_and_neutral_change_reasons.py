"""link requests (a supplier's consent to be linked); change reasons name no product

A buyer's link to another organization's product counts only once that organization agreed;
`link_request` asks it. Automatic declaration versions keep the changed upstream products as
ids (`changed_product_ids`) and a neutral reason; the reasons stored before, which named an
upstream part and its version for every reader, are made neutral here.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

NEUTRAL = 'Upstream data changed'


def upgrade():
    op.create_table('link_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'cancelled', name='link_status', native_enum=False, length=16), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('share_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['organization.id'], name=op.f('fk_link_request_buyer_id_organization')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_link_request_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_link_request_product_id_product')),
    sa.ForeignKeyConstraint(['share_id'], ['footprint_share.id'], name=op.f('fk_link_request_share_id_footprint_share')),
    sa.ForeignKeyConstraint(['supplier_id'], ['organization.id'], name=op.f('fk_link_request_supplier_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_request'))
    )
    with op.batch_alter_table('link_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_request_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_request_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_request_supplier_id'), ['supplier_id'], unique=False)

    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_product_ids', sa.JSON(), nullable=True))

    declaration = sa.table(
        'declaration',
        sa.column('change_reason', sa.Text()),
        sa.column('created_by_id', sa.Integer()),
    )
    op.execute(
        declaration.update()
        .where(
            declaration.c.created_by_id.is_(None),
            declaration.c.change_reason.like(NEUTRAL + ':%'),
        )
        .values(change_reason=NEUTRAL)
    )


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('changed_product_ids')

    with op.batch_alter_table('link_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_request_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_link_request_product_id'))
        batch_op.drop_index(batch_op.f('ix_link_request_buyer_id'))

    op.drop_table('link_request')
