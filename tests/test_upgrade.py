"""Upgrades: a database made by v0.1.0 (tests/fixtures/v0.1.0/, at its migration head
b8d0f2a4c6e1, rows in every table) goes through `flask db upgrade`, the real command, to
today's head on SQLite and on PostgreSQL; every row survives and the forum serves it.

Every release adds such a fixture (docs/operations.md says how: tests/fixtures/v0.1.0/make.sh).

Budget: 8 s per pass (one `flask db upgrade` in a subprocess).
"""

import gzip
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from forum.extensions import db
from forum.models import Group, Question
from forum.services.preflight import code_head
from tests.helpers import throwaway_pg_database

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FLASK = str(Path(sys.executable).parent / "flask")
# Every tagged release with its fixture folder and its migration head.
RELEASES = [("v0.1.0", "b8d0f2a4c6e1")]


def _load(release: str, tmp_path: Path):
    """A new database holding a release's fixture; yields its URL."""
    folder = FIXTURES / release
    if os.environ.get("FORUM_TEST_DB") == "postgresql":
        with throwaway_pg_database("tacit_upgrade") as url:
            plain = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
            dump = gzip.decompress((folder / "postgresql.sql.gz").read_bytes())
            done = subprocess.run(["psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1",
                                   plain], input=dump, capture_output=True, timeout=60)
            assert done.returncode == 0, done.stderr.decode()
            yield url
    else:
        path = tmp_path / f"{release}.db"
        with gzip.open(folder / "forum.db.gz") as source, open(path, "wb") as out:
            shutil.copyfileobj(source, out)
        yield f"sqlite:///{path}"


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names()
                     if n != "alembic_version" and not re.search(r"_fts_\w+$", n)]
            return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()
                    for n in names}
    finally:
        engine.dispose()


def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def release_database(request, tmp_path):
    """A database with a release's fixture loaded (the release is the test's parameter)."""
    generator = _load(request.param, tmp_path)
    url = next(generator)
    yield url
    generator.close()


@pytest.mark.parametrize(("release_database", "head"), RELEASES, indirect=["release_database"])
def test_flask_db_upgrade_from_a_release_keeps_every_row_and_serves(
        release_database, head, make_app, tmp_path):
    url = release_database
    assert _revision(url) == head
    before = _counts(url)
    empty = sorted(name for name, count in before.items() if count == 0)
    assert not empty, f"the fixture should have rows in every table: {empty}"

    env = {**os.environ, "FORUM_DATABASE_URL": url, "FORUM_INSTANCE_PATH": str(tmp_path),
           "FORUM_BASE_URL": "http://localhost"}
    env.pop("FORUM_TEST_DB", None)
    done = subprocess.run([FLASK, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    app = make_app(database_url=url)
    with app.app_context():
        assert _revision(url) == code_head() != head
    after = _counts(url)
    for table, count in before.items():
        assert after.get(table) == count, f"{table}: {count} rows before, {after.get(table)}"

    # The upgraded forum serves a question of the old one, with its answers, and finds it.
    with app.app_context():
        question = db.session.scalars(
            db.select(Question).join(Group, Group.id == Question.group_id)
            .where(Group.private.is_(False), Question.deleted_at.is_(None),
                                      Question.hidden_at.is_(None))
            .order_by(Question.answer_count.desc(), Question.id)).first()
        question_id, title = question.id, question.title
        db.session.remove()
    client = app.test_client()
    page = client.get(f"/questions/{question_id}")
    assert page.status_code == 200
    assert html.escape(title) in page.get_data(as_text=True)
    word = max(re.findall(r"[A-Za-z]{6,}", title), key=len)
    assert html.escape(title) in client.get(f"/search?q={word}").get_data(as_text=True)
    assert client.get("/health").status_code == 200
