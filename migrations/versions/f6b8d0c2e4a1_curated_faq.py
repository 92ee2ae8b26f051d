"""curated FAQ: entries with their own copy of the question and answer, provenance,
contributors, tags, revisions, pins

Revision ID: f6b8d0c2e4a1
Revises: e5a7c9b1d3f2
Create Date: 2026-12-03 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f6b8d0c2e4a1'
down_revision = 'e5a7c9b1d3f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('chat_room_id', sa.Integer(), nullable=True),
    sa.Column('chat_message_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('summary_source', sa.Text(), nullable=False),
    sa.Column('summary_html', sa.Text(), nullable=False),
    sa.Column('question_source', sa.Text(), nullable=False),
    sa.Column('question_html', sa.Text(), nullable=False),
    sa.Column('answer_source', sa.Text(), nullable=False),
    sa.Column('answer_html', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('markup_version', sa.Integer(), nullable=False),
    sa.Column('source_answer_seen', sa.Text(), nullable=False),
    sa.Column('promoted_by_id', sa.Integer(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_by', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('translation_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('current', 'obsolete', 'withdrawn')",
                       name=op.f('ck_faq_entries_status_valid')),
    sa.ForeignKeyConstraint(['answer_id'], ['posts.id'],
                            name=op.f('fk_faq_entries_answer_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['chat_message_id'], ['chat_messages.id'],
                            name=op.f('fk_faq_entries_chat_message_id_chat_messages'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['chat_room_id'], ['chat_rooms.id'],
                            name=op.f('fk_faq_entries_chat_room_id_chat_rooms'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'],
                            name=op.f('fk_faq_entries_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promoted_by_id'], ['users.id'],
                            name=op.f('fk_faq_entries_promoted_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'],
                            name=op.f('fk_faq_entries_question_id_questions'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['faq_entries.id'],
                            name=op.f('fk_faq_entries_replaced_by_id_faq_entries'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                            name=op.f('fk_faq_entries_reviewed_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['translation_id'], ['faq_entries.id'],
                            name=op.f('fk_faq_entries_translation_id_faq_entries'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entries'))
    )
    with op.batch_alter_table('faq_entries', schema=None) as batch_op:
        batch_op.create_index('ix_faq_entries_group_status', ['group_id', 'status'],
                              unique=False)
        batch_op.create_index('ix_faq_entries_question', ['question_id'], unique=False)
        batch_op.create_index('ix_faq_entries_review_by', ['status', 'review_by'], unique=False)

    op.create_table('faq_contributors',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.CheckConstraint("role IN ('asker', 'answerer', 'credited')",
                       name=op.f('ck_faq_contributors_role_valid')),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'],
                            name=op.f('fk_faq_contributors_entry_id_faq_entries'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_faq_contributors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'user_id', 'role', name=op.f('pk_faq_contributors'))
    )
    with op.batch_alter_table('faq_contributors', schema=None) as batch_op:
        batch_op.create_index('ix_faq_contributors_user', ['user_id'], unique=False)

    op.create_table('faq_entry_tags',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'],
                            name=op.f('fk_faq_entry_tags_entry_id_faq_entries'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_faq_entry_tags_tag_id_tags'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'tag_id', name=op.f('pk_faq_entry_tags'))
    )
    with op.batch_alter_table('faq_entry_tags', schema=None) as batch_op:
        batch_op.create_index('ix_faq_entry_tags_tag', ['tag_id', 'entry_id'], unique=False)

    op.create_table('faq_pins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=5), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("scope IN ('tag', 'group')", name=op.f('ck_faq_pins_scope_valid')),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'],
                            name=op.f('fk_faq_pins_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_pins')),
    sa.UniqueConstraint('scope', 'scope_id', 'entry_id',
                        name=op.f('uq_faq_pins_scope_scope_id_entry_id'))
    )
    with op.batch_alter_table('faq_pins', schema=None) as batch_op:
        batch_op.create_index('ix_faq_pins_scope', ['scope', 'scope_id', 'position'],
                              unique=False)

    op.create_table('faq_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'],
                            name=op.f('fk_faq_revisions_editor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'],
                            name=op.f('fk_faq_revisions_entry_id_faq_entries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_revisions')),
    sa.UniqueConstraint('entry_id', 'number', name=op.f('uq_faq_revisions_entry_id_number'))
    )


def downgrade():
    op.drop_table('faq_revisions')
    op.drop_table('faq_pins')
    op.drop_table('faq_entry_tags')
    op.drop_table('faq_contributors')
    op.drop_table('faq_entries')
