"""A server process stops at once, with one clear line, when the configured PostgreSQL or
Redis does not answer or the database's migrations are behind the code; `flask check` says
the same on demand, and `flask db upgrade` (the command line) is never stopped by it.

Real `python wsgi.py` processes, started side by side. Budget: 12 s (server-start tests:
the PostgreSQL pass of `make test`).
"""

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import stamp

from config import TestConfig
from forum import create_app
from forum.extensions import db
from forum.services import search
from forum.services.uow import unit_of_work
from tests.helpers import free_port

pytestmark = pytest.mark.balanced

ROOT = Path(__file__).resolve().parent.parent
V010 = ROOT / "tests" / "fixtures" / "v0.1.0" / "forum.db.gz"


def _v010_database(path: Path) -> str:
    with gzip.open(V010) as source, open(path, "wb") as out:
        shutil.copyfileobj(source, out)
    return f"sqlite:///{path}"


def _head_database(path: Path) -> str:
    """A SQLite file with today's schema, stamped at the code's head."""
    url = f"sqlite:///{path}"
    app = create_app(TestConfig, database_url=url)
    with app.app_context():
        db.create_all()
        search.install(db.engine)
        stamp()
        db.engine.dispose()
    return url


def _start(tmp_path: Path, name: str, **env) -> subprocess.Popen:
    instance = tmp_path / name
    instance.mkdir()
    environment = {**os.environ, "FORUM_INSTANCE_PATH": str(instance),
                   "FORUM_OUTBOX_DIR": str(instance / "outbox"),
                   "FORUM_SECRET_KEY": "startup-check-test", "PORT": str(free_port()),
                   "HOST": "127.0.0.1", **env}
    environment.pop("FORUM_TEST_DB", None)
    return subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_server_does_not_start_on_what_it_cannot_use(tmp_path):
    dead_port = free_port()
    head = _head_database(tmp_path / "head.db")
    processes = {
        "postgresql": _start(tmp_path, "pg", FORUM_DATABASE_URL=(
            f"postgresql://postgres@127.0.0.1:{dead_port}/tacit")),
        "redis": _start(tmp_path, "redis", FORUM_DATABASE_URL=head,
                        FORUM_REDIS_URL=f"redis://:hunter2@127.0.0.1:{dead_port}/0"),
        "behind": _start(tmp_path, "behind",
                         FORUM_DATABASE_URL=_v010_database(tmp_path / "v010.db")),
    }
    results = {}
    try:
        for name, process in processes.items():
            stdout, stderr = process.communicate(timeout=60)
            results[name] = (process.returncode, stdout, stderr)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    for name, (code, stdout, stderr) in results.items():
        assert code == 3, (name, stdout, stderr)
        assert "serving" not in stdout, name
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1, (name, stderr)  # one clear line, no traceback
    assert results["postgresql"][2].startswith(
        f"tacit: cannot start: PostgreSQL at 127.0.0.1:{dead_port}/tacit is unreachable")
    redis_line = results["redis"][2]
    assert redis_line.startswith(f"tacit: cannot start: Redis at redis://***@127.0.0.1:"
                                 f"{dead_port}/0 is unreachable")
    assert "hunter2" not in redis_line
    assert results["behind"][2].startswith(
        "tacit: cannot start: the database's migrations are behind: it is at b8d0f2a4c6e1")
    assert "flask --app wsgi db upgrade" in results["behind"][2]


def test_flask_check_reports_each_problem_and_passes_a_ready_forum(tmp_path):
    ready = create_app(TestConfig, database_url=_head_database(tmp_path / "ready.db"))
    result = ready.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")

    behind = create_app(TestConfig, database_url=_v010_database(tmp_path / "old.db"),
                        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    result = behind.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "migrations are behind: it is at b8d0f2a4c6e1" in result.output
    assert "Redis at redis://127.0.0.1:" in result.output
    for application in (ready, behind):
        with application.app_context():
            db.engine.dispose()


def test_a_database_never_migrated_or_from_a_newer_release_is_named(tmp_path):
    empty = create_app(TestConfig, database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    result = empty.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "the database has no schema yet" in result.output

    url = _head_database(tmp_path / "newer.db")
    newer = create_app(TestConfig, database_url=url)
    with newer.app_context(), unit_of_work():
        db.session.execute(db.text("UPDATE alembic_version SET version_num = 'fff000fff000'"))
    result = newer.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert "at migration fff000fff000, which this code does not know" in result.output
    for application in (empty, newer):
        with application.app_context():
            db.engine.dispose()
