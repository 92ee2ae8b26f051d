"""Migrations and models agree, on a fresh SQLite file and a fresh PostgreSQL database."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from config import TestConfig
from forum import create_app
from forum.extensions import db
from tests.helpers import PG_ADMIN_URL, pg_reachable


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
    import os

    if not pg_reachable():
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("PostgreSQL is required (FORUM_REQUIRE_SERVICES=1) but not reachable")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    import psycopg

    name = f"tacit_migr_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        diff, tables = _diff_after_upgrade(
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", tmp_path)
        assert diff == []
        assert {t.name for t in db.metadata.sorted_tables} <= tables
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app):
    with app.app_context():
        with db.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                pytest.skip("SQLite only")
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_times_come_back_as_utc_on_every_database(app, make_user):
    from datetime import UTC, datetime, timedelta, timezone

    from forum.models import User

    make_user("nurse")
    with app.app_context():
        user = db.session.query(User).one()
        # Stored from another offset, read back as the same instant in UTC.
        user.created_at = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
        db.session.commit()
        db.session.expire_all()
        again = db.session.query(User).one().created_at
        assert again.tzinfo is not None and again.utcoffset() == timedelta(0)
        assert again == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
        with pytest.raises(Exception, match="naive"):
            user.created_at = datetime(2026, 5, 1, 12, 0)
            db.session.commit()
        db.session.rollback()


def test_groups_made_before_rooms_came_with_them_get_their_chat_room(tmp_path):
    """The 9c2b7d4e1a30 data migration: a group from the earlier schema gets one room."""
    import sqlalchemy as sa

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
