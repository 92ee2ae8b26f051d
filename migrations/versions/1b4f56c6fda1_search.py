"""full-text search of questions: question_fts (FTS5 on SQLite; tsvector + GIN on PostgreSQL)

The structures live outside the models (names with `_fts`, skipped by autogenerate).
Existing questions are indexed at once.

This migration imports nothing from forum: its SQL and its copy of the text normaliser are
those of forum/services/search.py when it was written, so that editing search.py never
changes what an old migration does. A later change to how documents are normalised needs
a migration of its own that rebuilds the index.

Revision ID: 1b4f56c6fda1
Revises: f44eed322327
Create Date: 2026-11-26 22:00:00.000000

"""
import re
import unicodedata
from functools import cache, lru_cache

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1b4f56c6fda1'
down_revision = 'f44eed322327'  # after the chat migration (was 74f5b7537f0f)
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _install_postgresql(bind)
    else:
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS question_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')")
    _rebuild_index(bind)


def downgrade():
    # Drops question_fts (and tacit_unaccent() on PostgreSQL); the unaccent extension
    # stays, as it may have existed before and other features may use it.
    bind = op.get_bind()
    bind.exec_driver_sql("DROP TABLE IF EXISTS question_fts")
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS tacit_unaccent(text)")


def _install_postgresql(bind):
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
        "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'").scalar_one()
    quoted = '"' + schema.replace('"', '""') + '"'
    # unaccent() is only STABLE (it reads a dictionary): a schema-qualified IMMUTABLE
    # wrapper may be used in a generated column and its index.
    bind.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION tacit_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
        f"$$ SELECT {quoted}.unaccent('{quoted}.unaccent'::regdictionary, $1) $$")
    bind.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS question_fts ("
        " question_id integer PRIMARY KEY,"
        " title text NOT NULL DEFAULT '',"
        " body text NOT NULL DEFAULT '',"
        " document tsvector GENERATED ALWAYS AS ("
        "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(title)), 'A') ||"
        "  setweight(to_tsvector('simple'::regconfig, tacit_unaccent(body)), 'B')"
        " ) STORED)")
    bind.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS question_fts_document_idx "
        "ON question_fts USING gin (document)")


# -- the index: one document per live question (its title; its body and its live answers') --

_QUESTIONS = sa.text(
    "SELECT id, title, body_text FROM questions WHERE deleted_at IS NULL AND id > :last "
    "ORDER BY id LIMIT :n")
# coalesce(parent_id, 0) = 0 (an answer) keeps planners off the parent_id index.
_ANSWERS = sa.text(
    "SELECT question_id, body_text FROM posts WHERE question_id IN :ids "
    "AND coalesce(parent_id, 0) = 0 AND deleted_at IS NULL "
    "ORDER BY question_id, created_at, id").bindparams(sa.bindparam("ids", expanding=True))


def _rebuild_index(bind):
    postgresql = bind.dialect.name == "postgresql"
    bind.exec_driver_sql("DELETE FROM question_fts")
    last_id = 0
    while True:
        batch = bind.execute(_QUESTIONS, {"last": last_id, "n": BATCH}).all()
        if not batch:
            break
        ids = [row.id for row in batch]
        texts = {i: [] for i in ids}
        for question_id, body_text in bind.execute(_ANSWERS, {"ids": ids}):
            texts[question_id].append(body_text)
        rows = [{"id": row.id, "title": normalise(row.title),
                 "body": normalise("\n".join(t or "" for t in [row.body_text, *texts[row.id]]),
                                   limit=MAX_BODY_WORDS)}
                for row in batch]
        if postgresql:
            bind.execute(sa.text(
                "INSERT INTO question_fts (question_id, title, body) "
                "VALUES (:id, :title, :body) ON CONFLICT (question_id) DO UPDATE SET "
                "title = EXCLUDED.title, body = EXCLUDED.body"), rows)
        else:
            bind.execute(sa.text("DELETE FROM question_fts WHERE rowid = :id"),
                         [{"id": r["id"]} for r in rows])
            bind.execute(sa.text(
                "INSERT INTO question_fts (rowid, title, body) VALUES (:id, :title, :body)"),
                rows)
        last_id = ids[-1]


# -- the text normaliser of this revision (forum/services/search.py, 2026-11-26) ------------

MAX_WORD = 60  # longer "words" (hashes, base64) are not indexed
MAX_BODY_WORDS = 16_000  # per document: under PostgreSQL's last tsvector position, 16383

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i",
                            "ð": "d", "þ": "th"})
_VOWELS = frozenset("aeiouy")


@cache
def _strip_marks_table():
    """A str.translate table deleting every combining mark (accents after NFKD)."""
    return {cp: None for cp in range(0x300, 0x20000) if unicodedata.combining(chr(cp))}


def fold(text):
    """Lower-case `text` and drop accents and ligatures ("Méthode" -> "methode")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return text.translate(_strip_marks_table()).translate(_LIGATURES)


def _undouble(word):
    if len(word) >= 2 and word[-1] == word[-2] and word[-1] not in _VOWELS \
            and word[-1] not in "lsz":
        return word[:-1]
    return word


@lru_cache(maxsize=65_536)
def stem(word):
    """Fold English and French word endings of a folded word, conservatively."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    # Plurals (English and French).
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) >= 6:
        word = word[:-3] + "al"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # English -ing and -ed, when a real stem (4+ letters with a vowel) is left.
    if word.endswith("ing") and len(word) >= 7 and _VOWELS.intersection(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and not word.endswith("eed") and len(word) >= 6 \
            and _VOWELS.intersection(word[:-2]):
        word = _undouble(word[:-2])
    # French feminine participles (formée -> formé), then a final mute e.
    if word.endswith("ee") and len(word) >= 5:
        word = word[:-1]
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def normalise(text, *, limit=None):
    """The indexed form of `text`: its stemmed words joined by single spaces."""
    found = [w for w in _WORD.findall(fold(text or "")) if len(w) <= MAX_WORD]
    if limit is not None:
        found = found[:limit]
    return " ".join(stem(w) for w in found)
