"""full-text search of FAQ entries: faq_fts (FTS5 on SQLite; tsvector + GIN on PostgreSQL)

The structures live outside the models (names with `_fts`, skipped by autogenerate), like
question_fts. The entries table is new (f6b8d0c2e4a1): there is nothing to index yet, so
this migration carries only its SQL, as forum/services/search.py install() had it when it
was written (on PostgreSQL it uses tacit_unaccent(), made by 1b4f56c6fda1).

Revision ID: a7c9e1f3b5d2
Revises: f6b8d0c2e4a1
Create Date: 2026-12-03 16:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c9e1f3b5d2'
down_revision = 'f6b8d0c2e4a1'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS faq_fts ("
            " entry_id integer PRIMARY KEY,"
            " title text NOT NULL DEFAULT '',"
            " body text NOT NULL DEFAULT '',"
            " document tsvector GENERATED ALWAYS AS ("
            "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(title)), 'A') ||"
            "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(body)), 'B')"
            " ) STORED)")
        bind.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS faq_fts_document_idx ON faq_fts USING gin (document)")
    else:
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS faq_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')")


def downgrade():
    op.get_bind().exec_driver_sql("DROP TABLE IF EXISTS faq_fts")
