"""moderation: flags, the audit log, the search log; hidden questions, posts and chat
messages, locked and closed-with-a-reason questions, suspended users

Revision ID: b8d0f2a4c6e1
Revises: a7c9e1f3b5d2
Create Date: 2026-12-03 16:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8d0f2a4c6e1'
down_revision = 'a7c9e1f3b5d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.CheckConstraint("reason IN ('spam', 'offensive', 'off_topic', 'expert_review', 'other')",
                       name=op.f('ck_flags_reason_valid')),
    sa.CheckConstraint("target_type IN ('question', 'post', 'chat_message', 'user')",
                       name=op.f('ck_flags_target_type_valid')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_flags_group_id_groups'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'],
                            name=op.f('fk_flags_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_flags_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags')),
    sa.UniqueConstraint('target_type', 'target_id', 'user_id',
                        name=op.f('uq_flags_target_type_target_id_user_id'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_group', ['group_id', 'resolved_at'], unique=False)
        batch_op.create_index('ix_flags_open', ['resolved_at', 'target_type', 'target_id'],
                              unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'],
                            name=op.f('fk_audit_log_group_id_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor_created', ['actor_id', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_audit_log_created', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_log_group_created', ['group_id', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)

    op.create_table('search_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'],
                            name=op.f('fk_search_log_group_id_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log'))
    )
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.create_index('ix_search_log_created', ['created_at', 'result_count'],
                              unique=False)

    for table in ('posts', 'chat_messages'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True),
                                          nullable=True))
            batch_op.add_column(sa.Column('hidden_reason', sa.String(length=500),
                                          server_default='', nullable=False))
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=500), server_default='',
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_questions_duplicate_of_id_questions'),
                                    'questions', ['duplicate_of_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_until', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.String(length=500),
                                      server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_until')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questions_duplicate_of_id_questions'),
                                 type_='foreignkey')
        for column in ('hidden_reason', 'hidden_at', 'locked_at', 'duplicate_of_id',
                       'close_reason'):
            batch_op.drop_column(column)
    for table in ('chat_messages', 'posts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('hidden_reason')
            batch_op.drop_column('hidden_at')
    op.drop_table('search_log')
    op.drop_table('audit_log')
    op.drop_table('flags')
