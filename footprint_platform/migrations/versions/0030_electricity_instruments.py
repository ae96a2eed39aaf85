"""electricity instruments as records; instrument and T&D columns on input rows

`electricity_instrument`: a green certificate, PPA or direct-supply contract registered by the
organization that consumed it, unique by its certificate or contract id across the platform,
claimed once (product and period). `submission_input.certificate_id` names the record a row
claims; `submission_input.td_factor_code` the transmission-and-distribution factor the rule adds.

Revision ID: 0030
Revises: 0035
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('electricity_instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('generation', sa.String(length=16), nullable=False),
    sa.Column('volume_kwh', sa.Numeric(precision=20, scale=3), nullable=False),
    sa.Column('vintage_start', sa.Date(), nullable=False),
    sa.Column('vintage_end', sa.Date(), nullable=False),
    sa.Column('geography', sa.String(length=16), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_product_id', sa.Integer(), nullable=True),
    sa.Column('claimed_period_start', sa.Date(), nullable=True),
    sa.Column('claimed_period_end', sa.Date(), nullable=True),
    sa.Column('claimed_kwh', sa.Numeric(precision=20, scale=3), nullable=True),
    sa.Column('claimed_submission_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['claimed_product_id'], ['product.id'], name=op.f('fk_electricity_instrument_claimed_product_id_product')),
    sa.ForeignKeyConstraint(['claimed_submission_id'], ['submission.id'], name=op.f('fk_electricity_instrument_claimed_submission_id_submission')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_electricity_instrument_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_electricity_instrument_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_electricity_instrument_organization_id_organization')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_electricity_instrument_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_electricity_instrument')),
    sa.UniqueConstraint('certificate_id', name=op.f('uq_electricity_instrument_certificate_id'))
    )
    with op.batch_alter_table('electricity_instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_electricity_instrument_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_electricity_instrument_site_id'), ['site_id'], unique=False)

    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('td_factor_code', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.drop_column('td_factor_code')
        batch_op.drop_column('certificate_id')

    with op.batch_alter_table('electricity_instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_electricity_instrument_site_id'))
        batch_op.drop_index(batch_op.f('ix_electricity_instrument_organization_id'))

    op.drop_table('electricity_instrument')
