"""search quality (issue 15): thesaurus concepts moderators add, tag synonyms

The shipped thesaurus is data (forum/data/thesaurus.txt); the search documents keep their
form (question_fts / faq_fts are unchanged). On SQLite, the fts5vocab tables
question_fts_vocab and faq_fts_vocab (the index's words with their document counts, read by
forum/services/search_expand.py; PostgreSQL uses ts_stat()), as search.install() makes them.

Revision ID: d3f5b7c9e1a2
Revises: c2e4a6b8d0f1
Create Date: 2026-12-03 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd3f5b7c9e1a2'
down_revision = 'c2e4a6b8d0f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('thesaurus_concepts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terms_en', sa.Text(), nullable=False),
    sa.Column('terms_fr', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_thesaurus_concepts_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thesaurus_concepts'))
    )
    op.create_table('tag_synonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_tag_synonyms_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_tag_synonyms_tag_id_tags'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_synonyms')),
    sa.UniqueConstraint('name', name=op.f('uq_tag_synonyms_name'))
    )
    with op.batch_alter_table('tag_synonyms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_synonyms_tag_id'), ['tag_id'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in ("question_fts", "faq_fts"):
            bind.exec_driver_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_vocab "
                                 f"USING fts5vocab('{table}', 'row')")


def downgrade():
    bind = op.get_bind()
    for table in ("question_fts_vocab", "faq_fts_vocab"):
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    with op.batch_alter_table('tag_synonyms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_synonyms_tag_id'))
    op.drop_table('tag_synonyms')
    op.drop_table('thesaurus_concepts')
