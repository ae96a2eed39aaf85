"""verification statement: standard, assurance, accreditation, materiality, scope, date

What a verifier records with its verdict, as verification statements give it (ISO 14064-3),
and its checklist of the pinned inputs while it works.

Revision ID: 0034
Revises: 0026
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standard', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('assurance', sa.Enum('limited', 'reasonable', name='assurance_level', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('accreditation_body', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('accreditation_number', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('materiality_percent', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('statement_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('checklist', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        for column in ('checklist', 'statement_date', 'scope', 'materiality_percent',
                       'accreditation_number', 'accreditation_body', 'assurance', 'standard'):
            batch_op.drop_column(column)
