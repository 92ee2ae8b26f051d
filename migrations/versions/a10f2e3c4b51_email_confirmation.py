"""email confirmation: users.email_confirmed_at, pending_registrations, email_links

Registration now waits for its email confirmation (pending_registrations); accounts made
before this stay unconfirmed until their owner confirms (email_links, purpose
'confirm_email') or resets the password. email_links also carries the sign-in links that let a
locked-out owner's browser become a known device (purpose 'sign_in').
password_resets.user_id becomes nullable.

Revision ID: a10f2e3c4b51
Revises: 9c2b7d4e1a30
Create Date: 2026-12-03 12:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a10f2e3c4b51'
down_revision = '9c2b7d4e1a30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True),
                                      nullable=True))

    op.create_table('pending_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=30), nullable=False),
    sa.Column('username_key', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registrations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pending_registrations_token_hash'))
    )
    with op.batch_alter_table('pending_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_registrations_email_key'), ['email_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_pending_registrations_expires_at'), ['expires_at'],
                              unique=False)

    op.create_table('email_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('confirm_email', 'sign_in')",
                       name=op.f('ck_email_links_purpose_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_links_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_links_token_hash'))
    )
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_links_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Rows without a user cannot stay once the column is NOT NULL again.
    op.execute("DELETE FROM password_resets WHERE user_id IS NULL")
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_links_user_id'))
    op.drop_table('email_links')

    with op.batch_alter_table('pending_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_registrations_expires_at'))
        batch_op.drop_index(batch_op.f('ix_pending_registrations_email_key'))
    op.drop_table('pending_registrations')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
