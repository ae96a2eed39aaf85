"""data quality by data point: each activity row's provenance and three PACT v3 ratings

A row records where its figure comes from (measured, calculated from measured data,
estimated, a secondary database value) and its technological, temporal and geographical
ratings (PACT v3 `dqi`, 1 to 5); a submission carries the three as defaults for its rows; a
result and a declaration store the contribution-weighted three. The single `dqr` stays as
the mean of the three.

Existing rows are migrated by this rule, stated here and in the README:

- provenance: a row of the supplier's own activity (electricity, fuel, process gas,
  transport, waste) becomes 'measured': the form asked for the site's own data and the
  platform counted it as primary, so every published declaration keeps the primary-data share
  it was given; a material valued by a factor dataset becomes 'secondary' (its emissions are a
  database value, and were already counted secondary); a link to a supplier's product or a
  partner's footprint and a co-product row keep none (the linked footprint carries its own).
- ratings: a single rating (a submission's `dqr`, a row's `dqr`) is taken as the rating of
  each of the three indicators; its mean, the stored `dqr`, does not change. Results and
  declarations made before keep no `dqi` (it was not computed); new ones store it.

Content hashes do not change: the canonical form omits a provenance equal to what this rule
gives and three ratings equal to the row's single one (services/intake/fingerprint.py).

Revision ID: 0029
Revises: 0030
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0030'
branch_labels = None
depends_on = None

RATINGS = ('dqr_technological', 'dqr_temporal', 'dqr_geographical')
OWN_ACTIVITY = ('electricity', 'fuel', 'process', 'transport', 'waste')


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        for name in RATINGS:
            batch_op.add_column(sa.Column(name, sa.Numeric(precision=3, scale=1), nullable=True))
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        for name in RATINGS:
            batch_op.add_column(sa.Column(name, sa.Numeric(precision=3, scale=1), nullable=True))
        batch_op.add_column(sa.Column('provenance', sa.String(length=12), nullable=True))
    with op.batch_alter_table('product_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dqi', sa.JSON(), nullable=True))
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dqi', sa.JSON(), nullable=True))
    kinds = ", ".join(f"'{k}'" for k in OWN_ACTIVITY)
    op.execute(
        f"UPDATE submission_input SET provenance = 'measured' WHERE kind IN ({kinds})"
    )
    op.execute(
        "UPDATE submission_input SET provenance = 'secondary' WHERE kind = 'material' "
        "AND factor_code IS NOT NULL AND linked_product_id IS NULL "
        "AND external_footprint_id IS NULL"
    )
    for table in ('submission', 'submission_input'):
        op.execute(
            f"UPDATE {table} SET dqr_technological = dqr, dqr_temporal = dqr, "
            "dqr_geographical = dqr WHERE dqr IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_column('dqi')
    with op.batch_alter_table('product_result', schema=None) as batch_op:
        batch_op.drop_column('dqi')
    with op.batch_alter_table('submission_input', schema=None) as batch_op:
        batch_op.drop_column('provenance')
        for name in reversed(RATINGS):
            batch_op.drop_column(name)
    with op.batch_alter_table('submission', schema=None) as batch_op:
        for name in reversed(RATINGS):
            batch_op.drop_column(name)
