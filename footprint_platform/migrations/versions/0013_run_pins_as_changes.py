"""roll-up runs after a submission store their pins as changes against a base run

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rollup_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_run_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_rollup_run_base_run_id_rollup_run'), 'rollup_run', ['base_run_id'], ['id'])


def downgrade():
    # Existing change lists would lose their meaning without their base: expand them first.
    conn = op.get_bind()
    runs = sa.table(
        'rollup_run',
        sa.column('id', sa.Integer()),
        sa.column('base_run_id', sa.Integer()),
        sa.column('submissions', sa.JSON()),
    )
    rows = conn.execute(
        sa.select(runs.c.id, runs.c.base_run_id).where(runs.c.base_run_id.is_not(None))
    ).all()
    for run_id, base_id in rows:
        base = conn.execute(sa.select(runs.c.submissions).where(runs.c.id == base_id)).scalar()
        changes = conn.execute(sa.select(runs.c.submissions).where(runs.c.id == run_id)).scalar()
        full = dict(base)
        for product, submission in changes.items():
            if submission is None:
                full.pop(product, None)
            else:
                full[product] = submission
        conn.execute(sa.update(runs).where(runs.c.id == run_id).values(submissions=full))
    with op.batch_alter_table('rollup_run', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rollup_run_base_run_id_rollup_run'), type_='foreignkey')
        batch_op.drop_column('base_run_id')
