"""full-text search of questions: question_fts (FTS5 on SQLite; tsvector + GIN on PostgreSQL)

The structures live outside the models (names with `_fts`, skipped by autogenerate); they
are created by forum.services.search.install(), which is idempotent. Existing questions are
indexed at once.

Revision ID: 1b4f56c6fda1
Revises: f44eed322327
Create Date: 2026-11-26 22:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '1b4f56c6fda1'
down_revision = 'f44eed322327'  # after the chat migration (was 74f5b7537f0f)
branch_labels = None
depends_on = None


def upgrade():
    from forum.services import search

    bind = op.get_bind()
    search.install(bind)
    search.rebuild_index(bind)


def downgrade():
    from forum.services import search

    # Drops question_fts (and tacit_unaccent() on PostgreSQL); the unaccent extension
    # stays, as it may have existed before and other features may use it.
    search.uninstall(op.get_bind())
