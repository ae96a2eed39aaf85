"""Catena-X PCF Exchange API (CX-0136 3.0.0, API 1.3.0): where to push, and our own requests

`pact_client.catenax_callback_url`: the partner's PCF Exchange base URL (its connector's
address), to which answers to its `GET /footprintExchange/{requestId}` are pushed with
`PUT …/footprintExchange/{requestId}`. `pact_request_sent.catenax`: for a request of ours sent
to a partner's PCF Exchange API, the part id asked for and the data model version (NULL for a
PACT request).

Revision ID: 0037
Revises: 0029
Create Date: 2026-12-06 13:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pact_client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catenax_callback_url', sa.String(length=300), nullable=True))
    with op.batch_alter_table('pact_request_sent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catenax', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('pact_request_sent', schema=None) as batch_op:
        batch_op.drop_column('catenax')
    with op.batch_alter_table('pact_client', schema=None) as batch_op:
        batch_op.drop_column('catenax_callback_url')
