"""input uncertainty: a row of activity data may state its uncertainty

`submission_input.uncertainty`: the row's stated uncertainty in its normalized text form (a
geometric standard deviation "1.2", lognormal; or a range in percent "-10/+20", uniform), as
services/intake/activity.py validates it; NULL: derived from the row's data-quality rating by the
pedigree approach (services/graph/uncertainty.py).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncertainty', sa.String(length=24), nullable=True))


def downgrade():
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.drop_column('uncertainty')
