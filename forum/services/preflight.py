"""Startup checks: a server refuses to start on a database or Redis it cannot reach, or on a
database whose migrations are behind (or ahead of) the code.

create_app() runs them for server processes (gunicorn, `python wsgi.py`), not for the
command line, whose `flask db upgrade` is how a database gets to the head, nor under
TESTING; `flask --app wsgi check` runs them on demand. Each problem is one line an operator
can act on.
"""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from forum import redis as forum_redis

CONNECT_SECONDS = 5


def migrations_directory() -> Path:
    """The migrations folder Flask-Migrate uses (relative names are the checkout's)."""
    directory = Path(current_app.extensions["migrate"].directory)
    if not directory.is_absolute():
        directory = Path(current_app.root_path).parent / directory
    return directory


def code_head() -> str | None:
    """The head revision of the code's migrations."""
    return ScriptDirectory(str(migrations_directory())).get_current_head()


def known_revisions() -> set[str]:
    """Every revision of the code's migrations."""
    return {script.revision for script in
            ScriptDirectory(str(migrations_directory())).walk_revisions()}


def _where(url) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _database_problems() -> list[str]:
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    options: dict = {"poolclass": NullPool}
    if uri.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": CONNECT_SECONDS}
    engine = create_engine(uri, **options)
    try:
        try:
            with engine.connect() as conn:
                has_version = inspect(conn).has_table("alembic_version")
                revision = conn.execute(text("SELECT version_num FROM alembic_version")) \
                    .scalar() if has_version else None
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            if engine.dialect.name == "postgresql":
                return [f"PostgreSQL at {_where(engine.url)} is unreachable: {reason}"]
            return [f"the database {engine.url.database} cannot be opened: {reason}"]
    finally:
        engine.dispose()
    head = code_head()
    if revision == head:
        return []
    if revision is None:
        return [f"the database has no schema yet (the code's head is {head}): run "
                "`flask --app wsgi db upgrade` first"]
    if revision not in known_revisions():
        return [f"the database is at migration {revision}, which this code does not know "
                f"(its head is {head}): it was upgraded by a newer release"]
    return [f"the database's migrations are behind: it is at {revision}, the code at "
            f"{head}; run `flask --app wsgi db upgrade` first"]


def _redis_problems() -> list[str]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return []
    try:
        forum_redis.ping()
    except Exception as error:  # redis-py's ConnectionError, TimeoutError, AuthenticationError
        return [f"Redis at {_redacted(url)} is unreachable: {error}"]
    return []


def _redacted(url: str) -> str:
    """A Redis URL without its password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


def problems() -> list[str]:
    """Everything that keeps this app from serving, one line each ([] when ready)."""
    return _database_problems() + _redis_problems()
