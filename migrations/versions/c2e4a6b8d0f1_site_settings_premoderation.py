"""site settings and invitations (the admin pages); pre-moderation of new members' first
posts: groups.premoderate_new_members, questions.held_at, posts.held_at, the notification
kind 'held'

Revision ID: c2e4a6b8d0f1
Revises: b8d0f2a4c6e1
Create Date: 2026-12-03 18:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2e4a6b8d0f1'
down_revision = 'b8d0f2a4c6e1'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("'answer', 'reply', 'accepted', 'mention', 'new_question', 'routed', 'faq', "
                "'accept_reminder', 'join_request', 'join_decision'")
# A notification kind: a first post waits for a group moderator's approval.
KINDS_NOW = KINDS_BEFORE + ", 'held'"


def upgrade():
    op.create_table('site_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('welcome_source', sa.Text(), nullable=False),
    sa.Column('welcome_html', sa.Text(), nullable=False),
    sa.Column('welcome_fr_source', sa.Text(), nullable=False),
    sa.Column('welcome_fr_html', sa.Text(), nullable=False),
    sa.Column('markup_version', sa.Integer(), nullable=False),
    sa.Column('default_locale', sa.String(length=5), nullable=False),
    sa.Column('registration', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("default_locale IN ('en', 'fr')",
                       name=op.f('ck_site_settings_default_locale_valid')),
    sa.CheckConstraint("registration IN ('open', 'invitation')",
                       name=op.f('ck_site_settings_registration_valid')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                            name=op.f('fk_site_settings_updated_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_settings'))
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_invitations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['used_by_id'], ['users.id'],
                            name=op.f('fk_invitations_used_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)

    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('premoderate_new_members', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', f"kind IN ({KINDS_NOW})")


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'held'")
    op.execute("DELETE FROM mail_settings WHERE kind = 'held'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', f"kind IN ({KINDS_BEFORE})")
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('held_at')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('held_at')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('premoderate_new_members')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_email'))
    op.drop_table('invitations')
    op.drop_table('site_settings')
