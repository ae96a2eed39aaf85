"""one open draft per product and period

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 17:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'uq_submission_one_draft',
        'submission',
        ['product_id', 'period_start', 'period_end'],
        unique=True,
        postgresql_where=sa.text("status = 'draft'"),
        sqlite_where=sa.text("status = 'draft'"),
    )


def downgrade():
    op.drop_index('uq_submission_one_draft', table_name='submission')
