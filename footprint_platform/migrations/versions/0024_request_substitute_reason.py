"""a data request answered with another period's version says why

A request names its period; an answer from another period is a substitute the supplier
confirms with a reason, which the buyer reads on the request's page.

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('data_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('substitute_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('data_request', schema=None) as batch_op:
        batch_op.drop_column('substitute_reason')
