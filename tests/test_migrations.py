"""Migrations and models agree, on a fresh SQLite file and a fresh PostgreSQL database."""

import contextlib
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from config import TestConfig
from forum import create_app
from forum.extensions import db
from forum.models import User
from forum.services import search
from forum.services.reputation import recompute_all
from forum.services.uow import unit_of_work
from tests.helpers import pg_reachable, throwaway_pg_database


def _diff_after_upgrade(url, tmp_path):
    app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(tmp_path / "o"))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_object": _include_object})
                diff = compare_metadata(context, db.metadata)
                tables = set(inspect(conn).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()
    return diff, tables


def _include_object(obj, name, type_, reflected, compare_to):
    # Full-text search structures live outside the models on purpose.
    if type_ == "table" and name and ("_fts" in name or name == "alembic_version"):
        return False
    return True


def test_migrations_match_models_on_sqlite(tmp_path):
    diff, tables = _diff_after_upgrade(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    assert diff == []
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_migrations_match_models_on_postgresql(tmp_path):
    with _fresh_database("postgresql", tmp_path) as url:
        diff, tables = _diff_after_upgrade(url, tmp_path)
    assert diff == []
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app):
    with app.app_context():
        with db.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                pytest.skip("SQLite only")
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_times_come_back_as_utc_on_every_database(app, make_user):
    make_user("nurse")
    with app.app_context():
        user = db.session.query(User).one()
        # Stored from another offset, read back as the same instant in UTC.
        with unit_of_work():
            user.created_at = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
        db.session.expire_all()
        again = db.session.query(User).one().created_at
        assert again.tzinfo is not None and again.utcoffset() == timedelta(0)
        assert again == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
        with pytest.raises(Exception, match="naive"), unit_of_work():
            user.created_at = datetime(2026, 5, 1, 12, 0)


def test_groups_made_before_rooms_came_with_them_get_their_chat_room(tmp_path):
    """The 9c2b7d4e1a30 data migration: a group from the earlier schema gets one room."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app(TestConfig, database_url=url)
    with app.app_context():
        upgrade(revision="1b4f56c6fda1")
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO groups (slug, name, region, description_source, description_html,"
                " markup_version, private, member_count, question_count, created_at)"
                " VALUES ('old-group', 'Old group', 'Asia', '', '', 1, 0, 0, 0,"
                " '2026-01-01 00:00:00.000000')"))
        upgrade()
        upgrade()  # already at head: nothing happens twice
        with engine.connect() as conn:
            rooms = conn.execute(sa.text(
                "SELECT r.kind FROM chat_rooms r JOIN groups g ON g.id = r.group_id"
                " WHERE g.slug = 'old-group'")).all()
    assert rooms == [("group",)]


# Rows as the schema had them just before the search migration (revision f44eed322327).
_BEFORE_SEARCH = [
    "INSERT INTO users (id, username, username_key, email, email_key, password_hash,"
    " display_name, role, locale, bio_source, bio_html, bio_markup_version, region, country,"
    " organization, languages, expertise, reputation, verified_expert, created_at)"
    " VALUES (1, 'ada', 'ada', 'ada@example.org', 'ada@example.org', 'x', 'Ada', 'member',"
    " 'en', '', '', 1, '', '', '', '[]', '[]', 0, false, '2026-01-01 00:00:00')",
    "INSERT INTO groups (id, slug, name, region, description_source, description_html,"
    " markup_version, private, member_count, question_count, created_at)"
    " VALUES (1, 'old-group', 'Old group', 'Asia', '', '', 1, false, 1, 3,"
    " '2026-01-01 00:00:00')",
    *(f"INSERT INTO questions (id, group_id, author_id, title, body_source, body_html, body_text,"
      f" markup_version, lang, score, answer_count, in_faq, created_at, updated_at,"
      f" last_activity_at, deleted_at) VALUES ({qid}, 1, 1, '{title}', '', '', '{body}', 1,"
      f" 'en', 0, 0, false, '2026-01-02 00:00:00', '2026-01-02 00:00:00',"
      f" '2026-01-02 00:00:00', {deleted})"
      for qid, title, body, deleted in [
          (1, "Méthodes de planification familiale", "Les hôpitaux manquent de vaccins.",
           "NULL"),
          (2, "A deleted question", "Never indexed.", "'2026-01-03 00:00:00'"),
          (3, "Vaccines for travellers", "Which œsophage ÉTUDES?", "NULL")]),
    *(f"INSERT INTO posts (id, question_id, parent_id, author_id, depth, body_source,"
      f" body_html, body_text, markup_version, lang, score, created_at, deleted_at)"
      f" VALUES ({pid}, 1, {parent}, 1, {depth}, '', '', '{body}', 1, 'en', 0,"
      f" '2026-01-0{pid + 3} 00:00:00', {deleted})"
      for pid, parent, depth, body, deleted in [
          (1, "NULL", 0, "Injecting: the injected dose of injections.", "NULL"),
          (2, "NULL", 0, "A secret deleted answer.", "'2026-01-09 00:00:00'"),
          (3, 1, 1, "Replies are not indexed.", "NULL"),
          (4, "NULL", 0, "Formées aux méthodes, the nurses planned it.", "NULL")]),
]


def _search_documents(conn):
    key = "question_id" if conn.dialect.name == "postgresql" else "rowid"
    return conn.execute(text(
        f"SELECT {key}, title, body FROM question_fts ORDER BY {key}")).all()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_search_migration_indexes_earlier_questions_as_the_search_service_does(kind, tmp_path):
    """1b4f56c6fda1 carries its own SQL and normaliser: what it indexes is what
    forum.services.search.rebuild_index() writes (a change there needs a migration)."""
    with _fresh_database(kind, tmp_path) as url:
        app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(tmp_path / "o"))
        with app.app_context():
            try:
                upgrade(revision="f44eed322327")
                with db.engine.begin() as conn:
                    for statement in _BEFORE_SEARCH:
                        conn.execute(text(statement))
                upgrade()
                with db.engine.begin() as conn:
                    migrated = _search_documents(conn)
                    search.rebuild_index(conn)
                    rebuilt = _search_documents(conn)
            finally:
                db.session.remove()
                db.engine.dispose()
    assert [row[0] for row in migrated] == [1, 3]
    assert migrated == rebuilt
    body = migrated[0][2]
    assert "hopital" in body.split() and "inject" in body.split() and "secret" not in body
    assert "replie" not in body and "reply" not in body


@contextlib.contextmanager
def _fresh_database(kind, tmp_path):
    """The URL of an empty SQLite file or throw-away PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not pg_reachable():
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("PostgreSQL is required (FORUM_REQUIRE_SERVICES=1) but not reachable")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    with throwaway_pg_database("tacit_migr") as url:
        yield url


# Rows as the schema had them just before the private reputation (revision a10f2e3c4b51), with
# reputations as votes then counted them: every point public. ada asked a public question
# (upvoted: +5) and a private one (downvoted: -2); bo answered both (each upvoted: +10),
# and his private answer is accepted (+15); cy voted.
_BEFORE_PRIVATE_REPUTATION = [
    *(f"INSERT INTO users (id, username, username_key, email, email_key, password_hash,"
      f" display_name, role, locale, bio_source, bio_html, bio_markup_version, region, country,"
      f" organization, languages, expertise, reputation, verified_expert, created_at)"
      f" VALUES ({uid}, '{name}', '{name}', '{name}@example.org', '{name}@example.org', 'x',"
      f" '{name}', 'member', 'en', '', '', 1, '', '', '', '[]', '[]', {reputation}, false,"
      f" '2026-01-01 00:00:00')"
      for uid, name, reputation in [(1, "ada", 3), (2, "bo", 35), (3, "cy", 0)]),
    *(f"INSERT INTO groups (id, slug, name, region, description_source, description_html,"
      f" markup_version, private, member_count, question_count, created_at)"
      f" VALUES ({gid}, '{slug}', '{slug}', 'Asia', '', '', 1, {private}, 1, 1,"
      f" '2026-01-01 00:00:00')"
      for gid, slug, private in [(1, "open-group", "false"), (2, "secret-group", "true")]),
    *(f"INSERT INTO questions (id, group_id, author_id, title, body_source, body_html, body_text,"
      f" markup_version, lang, score, answer_count, in_faq, created_at, updated_at,"
      f" last_activity_at) VALUES ({qid}, {qid}, 1, 'Question {qid}', '', '', '', 1, 'en', 0,"
      f" 1, false, '2026-01-02 00:00:00', '2026-01-02 00:00:00', '2026-01-02 00:00:00')"
      for qid in (1, 2)),
    *(f"INSERT INTO posts (id, question_id, parent_id, author_id, depth, body_source,"
      f" body_html, body_text, markup_version, lang, score, created_at)"
      f" VALUES ({pid}, {pid}, NULL, 2, 0, '', '', '', 1, 'en', 1, '2026-01-03 00:00:00')"
      for pid in (1, 2)),
    "UPDATE questions SET accepted_answer_id = 2 WHERE id = 2",
    "INSERT INTO question_votes (id, user_id, question_id, value, created_at)"
    " VALUES (1, 3, 1, 1, '2026-01-04 00:00:00'), (2, 3, 2, -1, '2026-01-04 00:00:00')",
    "INSERT INTO post_votes (id, user_id, post_id, value, created_at)"
    " VALUES (1, 3, 1, 1, '2026-01-04 00:00:00'), (2, 3, 2, 1, '2026-01-04 00:00:00')",
]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_private_reputation_migration_moves_private_points_as_the_service_counts(kind,
                                                                                tmp_path):
    """c7d3e5f90a12 takes the points earned in private groups out of the public number, and
    agrees with forum.services.reputation's recompute."""
    with _fresh_database(kind, tmp_path) as url:
        app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(tmp_path / "o"))
        with app.app_context():
            try:
                upgrade(revision="a10f2e3c4b51")
                with db.engine.begin() as conn:
                    for statement in _BEFORE_PRIVATE_REPUTATION:
                        conn.execute(text(statement))
                upgrade()
                split = sorted(db.session.execute(sa.select(
                    User.id, User.reputation, User.private_reputation)).all())
                changed = recompute_all()
            finally:
                db.session.remove()
                db.engine.dispose()
    assert split == [(1, 5, -2), (2, 10, 25), (3, 0, 0)]
    assert changed == 0


# Rows as the schema had them before expert profiles (revision d4e8f1a2b6c3): an account
# with the old "expert" role and free-text language and expertise lists, a member, a tag,
# a question and an answer by the expert, a login session and an API token of theirs.
_BEFORE_EXPERT_PROFILES = [
    *(f"INSERT INTO users (id, username, username_key, email, email_key, password_hash,"
      f" display_name, role, locale, bio_source, bio_html, bio_markup_version, region, country,"
      f" organization, languages, expertise, reputation, private_reputation, verified_expert,"
      f" created_at) VALUES ({uid}, '{name}', '{name}', '{name}@example.org',"
      f" '{name}@example.org', 'x', '{name}', '{role}', 'en', '', '', 1, '', '', '',"
      f" '{languages}', '{expertise}', 0, 0, false, '2026-01-01 00:00:00')"
      for uid, name, role, languages, expertise in [
          (1, "amina", "expert", '["French", "wo", "Klingon", "fr"]',
           '["Implants", "no-such-tag", "DMPA-SC"]'),
          (2, "kofi", "member", '[]', '[]')]),
    "INSERT INTO tags (id, name, description, question_count) VALUES (1, 'implants', '', 1),"
    " (2, 'dmpa-sc', '', 0)",
    "INSERT INTO groups (id, slug, name, name_fr, region, description_source, description_html,"
    " description_fr_source, description_fr_html, markup_version, private, member_count,"
    " question_count, created_at) VALUES (1, 'sahel', 'Sahel', '', 'West Africa', '', '', '',"
    " '', 1, false, 1, 1, '2026-01-01 00:00:00')",
    "INSERT INTO questions (id, group_id, author_id, title, body_source, body_html, body_text,"
    " markup_version, lang, score, answer_count, in_faq, created_at, updated_at,"
    " last_activity_at) VALUES (1, 1, 2, 'Question', '', '', '', 1, 'en', 0, 1, false,"
    " '2026-01-02 00:00:00', '2026-01-02 00:00:00', '2026-01-02 00:00:00')",
    "INSERT INTO posts (id, question_id, parent_id, author_id, depth, body_source, body_html,"
    " body_text, markup_version, lang, score, created_at) VALUES (1, 1, NULL, 1, 0, '', '',"
    " '', 1, 'en', 0, '2026-01-03 00:00:00')",
    "INSERT INTO login_sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at,"
    " ip, user_agent) VALUES (1, 'h1', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
    " '2036-01-01 00:00:00', '', '')",
    "INSERT INTO api_tokens (id, token_hash, user_id, created_at, expires_at) VALUES"
    " (1, 'h2', 1, '2026-01-01 00:00:00', '2036-01-01 00:00:00')",
]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_expert_profiles_migration_folds_the_role_and_keeps_every_reference(kind, tmp_path):
    """e5a7c9b1d3f2 rebuilds `users` on SQLite: with foreign keys on, dropping the old table
    would have set every author to NULL and deleted every session. The expert role becomes
    the badge; known languages and existing tags become rows, the rest is dropped."""
    with _fresh_database(kind, tmp_path) as url:
        app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(tmp_path / "o"))
        with app.app_context():
            try:
                upgrade(revision="d4e8f1a2b6c3")
                with db.engine.begin() as conn:
                    for statement in _BEFORE_EXPERT_PROFILES:
                        conn.execute(text(statement))
                upgrade()
                with db.engine.connect() as conn:
                    users = conn.execute(text(
                        "SELECT id, role, verified_expert, title, directory_hidden,"
                        " routing_paused FROM users ORDER BY id")).all()
                    languages = conn.execute(text(
                        "SELECT user_id, code, position FROM user_languages"
                        " ORDER BY user_id, position")).all()
                    expertise = conn.execute(text(
                        "SELECT user_id, tag_id FROM user_expertise ORDER BY tag_id")).all()
                    authors = conn.execute(text(
                        "SELECT (SELECT author_id FROM questions WHERE id = 1),"
                        " (SELECT author_id FROM posts WHERE id = 1),"
                        " (SELECT count(*) FROM login_sessions),"
                        " (SELECT count(*) FROM api_tokens)")).one()
                with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
                    conn.execute(text("UPDATE users SET role = 'expert' WHERE id = 2"))
                if kind == "sqlite":
                    with db.engine.connect() as conn:
                        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            finally:
                db.session.remove()
                db.engine.dispose()
    assert [tuple(row) for row in users] == [(1, "member", True, "", False, False),
                                             (2, "member", False, "", False, False)]
    assert [tuple(row) for row in languages] == [(1, "fr", 0), (1, "wo", 1)]
    assert [tuple(row) for row in expertise] == [(1, 1), (1, 2)]
    assert tuple(authors) == (2, 1, 1, 1)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_faq_search_migration_creates_the_faq_document_set(kind, tmp_path):
    """a7c9e1f3b5d2 makes faq_fts (FTS5, or a tsvector table with its GIN index) as
    search.install() does: the search service can write, match and rebuild FAQ documents
    in it."""
    with _fresh_database(kind, tmp_path) as url:
        app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(tmp_path / "o"))
        with app.app_context():
            try:
                upgrade()
                with db.engine.begin() as conn:
                    search._write_documents(conn, [
                        {"id": 7, "title": search.normalise("Vaccine carriers"),
                         "body": search.normalise("Frozen ice packs")}], search.FAQ_DOCS)
                    parsed = search.parse_query("carrier")
                    fts, fts_id, _rank, where = search._match_conditions(
                        conn.dialect.name, parsed, "faq_fts", "entry_id")
                    matched = conn.execute(sa.select(fts_id).select_from(fts)
                                           .where(*where)).scalars().all()
                    indexes = conn.execute(text(
                        "SELECT indexname FROM pg_indexes WHERE tablename = 'faq_fts'"
                    )).scalars().all() if kind == "postgresql" else []
                with db.engine.connect() as conn:
                    tables = set(inspect(conn).get_table_names())
                    rebuilt = search.rebuild_faq_index(conn)
                    left = conn.execute(text("SELECT count(*) FROM faq_fts")).scalar()
            finally:
                db.session.remove()
                db.engine.dispose()
    assert "faq_fts" in tables
    assert matched == [7]
    if kind == "postgresql":
        assert "faq_fts_document_idx" in indexes
    # No entry exists: a rebuild empties the set of its stray document.
    assert (rebuilt, left) == (0, 0)
