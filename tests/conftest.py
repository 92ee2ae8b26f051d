"""Fixtures: a fresh app on a real database per test (SQLite file, or PostgreSQL).

`make test` runs the suite twice: on SQLite (default) and with FORUM_TEST_DB=postgresql on a
throw-away database created for the run and dropped afterwards. The schema is built once per
run; SQLite tests copy a template file, PostgreSQL tests empty the tables after each test.
"""

import os
import re
import secrets
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import werkzeug.routing.rules

# Set before the app is imported: tests never write instance/secret_key of the checkout.
os.environ.setdefault("FORUM_SECRET_KEY", secrets.token_urlsafe(32))
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
os.environ.setdefault("FORUM_TEST_RUN_ID", RUN_ID)

from config import TestConfig  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.models import User, utcnow  # noqa: E402
from forum.services import search  # noqa: E402
from forum.services.accounts import register_user  # noqa: E402
from forum.services.groups import add_member, create_group, join_group  # noqa: E402
from forum.services.qa import ask_question, post_answer, post_reply  # noqa: E402
from forum.services.uow import unit_of_work  # noqa: E402
from tests.browser_support import browser, new_context  # noqa: E402,F401  (shared fixtures)
from tests.helpers import PG_ADMIN_URL, ApiClient, Outbox, PageClient, pg_reachable  # noqa: E402


def _share_url_builders_between_apps() -> None:
    """Every test builds a new app, and Werkzeug compiles a URL builder (Python source,
    ast, compile) for each of its ~150 routes: half of create_app()'s time. A builder is
    a function of the rule's text and parts only (converters are looked up on the rule it
    is bound to, at call time), so the same rule in the next app can reuse it. Rules with
    defaults for their own variables (constant-folded into the builder) are never shared.
    Only for the test suite: a server builds its app once."""
    rules = werkzeug.routing.rules
    compile_builder = rules.Rule._compile_builder
    cache: dict = {}

    def shared(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        if any(dynamic and data in defaults for dynamic, data in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(sorted(defaults)), append_unknown)
        builder = cache.get(key)
        if builder is None:
            builder = cache[key] = compile_builder(self, append_unknown)
        return builder

    rules.Rule._compile_builder = shared


_share_url_builders_between_apps()

# The chat modules' people, room, secret_room and login (a module's own fixture of the same
# name wins where one is defined).
pytest_plugins = ["tests.chat_fixtures"]

TEST_DB = os.environ.get("FORUM_TEST_DB", "sqlite")
REQUIRE_SERVICES = os.environ.get("FORUM_REQUIRE_SERVICES") == "1"
_PG_STATE: dict = {}


def pytest_report_header(config):
    line = f"tacit: database={TEST_DB}, run id={RUN_ID}"
    if TEST_DB == "postgresql" and not pg_reachable():
        line += " — PostgreSQL NOT reachable at 127.0.0.1:5432: this run is skipped"
    return line


def pytest_configure(config):
    if TEST_DB == "postgresql" and not pg_reachable() and REQUIRE_SERVICES:
        pytest.exit(
            "FORUM_REQUIRE_SERVICES=1 but PostgreSQL is not reachable at 127.0.0.1:5432",
            returncode=1,
        )


def pytest_collection_modifyitems(config, items):
    if TEST_DB == "sqlite" and os.environ.get("FORUM_TEST_SPLIT") == "1" and pg_reachable():
        # `make test` runs the passes side by side: these go to the PostgreSQL pass.
        moved = pytest.mark.skip(reason="runs in the PostgreSQL pass of make test (balanced)")
        for item in items:
            if "balanced" in item.keywords:
                item.add_marker(moved)
    if TEST_DB == "postgresql":
        if not pg_reachable():
            skip = pytest.mark.skip(reason="PostgreSQL is not reachable at 127.0.0.1:5432")
            for item in items:
                item.add_marker(skip)
        else:
            # The browser suite runs once, on SQLite.
            skip = pytest.mark.skip(reason="browser suite runs on SQLite only")
            for item in items:
                if "browser" in item.keywords:
                    item.add_marker(skip)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Build the schema once per run; yield how to give each test an empty database."""
    if TEST_DB == "postgresql":
        name = f"tacit_test_{RUN_ID}".lower()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            # A throw-away database needs no durability: commits need not wait for the disk.
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        app = create_app(TestConfig, database_url=url)
        with app.app_context():
            db.create_all()
            search.install(db.engine)
            db.engine.dispose()
        _PG_STATE["name"] = name
        yield {"kind": "postgresql", "url": url}
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        app = create_app(TestConfig, database_url=f"sqlite:///{path}")
        with app.app_context():
            db.create_all()
            search.install(db.engine)
            db.engine.dispose()
        yield {"kind": "sqlite", "path": path}


@pytest.fixture
def database_url(database_template, tmp_path):
    """A URL of an empty database with the schema, for this test only."""
    if database_template["kind"] == "sqlite":
        path = tmp_path / "forum.db"
        shutil.copy(database_template["path"], path)
        yield f"sqlite:///{path}"
    else:
        yield database_template["url"]
        _truncate_all(database_template["url"])


def _truncate_all(url):
    """Empty every table and restart every sequence, so the next test starts from nothing.

    DELETE with foreign-key triggers off (session_replication_role = replica) and restarted
    sequences: the same result as TRUNCATE ... RESTART IDENTITY CASCADE at a fifth of its
    cost on tables this small (TRUNCATE makes new files for every table, each time).
    """
    plain = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)
    tables = [t.name for t in db.metadata.sorted_tables] + ["question_fts", "faq_fts"]
    with psycopg.connect(plain) as conn:
        conn.execute("SET session_replication_role = replica")
        for table in tables:
            conn.execute(f'DELETE FROM "{table}"')
        sequences = conn.execute(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'S' AND n.nspname = 'public'").fetchall()
        for (sequence,) in sequences:
            conn.execute(f"ALTER SEQUENCE {sequence} RESTART")
        # psycopg commits when the `with` block ends without an error.


@pytest.fixture
def app_config(tmp_path):
    """Extra configuration for the `app` fixture; override in a test module to change it."""
    return {}


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build more apps on this test's database; their connections close after the test."""
    built = []

    def make(**overrides):
        settings = {
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "REDIS_PREFIX": f"tacit-test-{RUN_ID}",
        }
        settings.update(overrides)
        application = create_app(TestConfig, database_url=settings.pop("database_url",
                                                                       database_url), **settings)
        built.append(application)
        return application

    yield make
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, app_config):
    """A fresh application on an empty database (no app context is held during the test)."""
    return make_app(**app_config)


@pytest.fixture
def make_user(app):
    """Create an account through the registration service (system work: no rate limit)."""
    counter = {"n": 0}

    def make(username=None, *, password="correct horse battery", role="member",
             email=None, display_name=None, locale="en", email_confirmed=False):
        counter["n"] += 1
        username = username or f"user{counter['n']}"
        with app.app_context():
            user = register_user(username, email or f"{username}@example.org", password,
                                 display_name, role=role, locale=locale, system=True,
                                 email_confirmed=email_confirmed)
            # Older than a day: past the new-member limits (tests/test_trust.py sets them).
            with unit_of_work():
                db.session.get(User, user.id).created_at = utcnow() - timedelta(days=30)
            return user.id

    return make


@pytest.fixture
def user(make_user):
    """A member named `nurse` with password `correct horse battery`."""
    make_user("nurse", display_name="Nurse Ada")
    return {"username": "nurse", "password": "correct horse battery"}


@pytest.fixture
def anon_client(app):
    """A browser-like test client, not logged in."""
    return PageClient(app.test_client())


@pytest.fixture
def client(app, user):
    """A test client logged in as `user` through the real login page."""
    page_client = PageClient(app.test_client())
    page_client.login(user["username"], user["password"])
    return page_client


@pytest.fixture
def api(app):
    """A JSON API client."""
    return ApiClient(app.test_client())


@pytest.fixture
def outbox(app):
    """Read the mail written to the outbox folder."""
    return Outbox(Path(app.config["OUTBOX_DIR"]))


@pytest.fixture
def make_group(app):
    """Create a regional group through the service (system work)."""
    def make(slug="west-africa", *, name=None, region="West Africa", private=False,
             description="Practitioners of **West Africa**."):
        with app.app_context():
            group = create_group(None, slug, name or slug.replace("-", " ").title(), region,
                                 description, private=private, system=True)
            return group.slug

    return make


@pytest.fixture
def group(make_group):
    """A public group `west-africa`."""
    return make_group("west-africa")


@pytest.fixture
def join(app):
    """Add a user (by id) to a group (by slug) through the membership service."""
    def do(user_id, slug, *, private=False):
        with app.app_context():
            user = db.session.get(User, user_id)
            if private:
                admin = db.session.scalar(db.select(User).where(User.role == "admin"))
                add_member(admin, slug, user.username)
            else:
                join_group(user, slug)

    return do


@pytest.fixture
def make_question(app):
    """Ask a question through the service as the user with this id (system: no limits)."""
    def make(author_id, group_slug, *, title="How do we avoid implant stock-outs?",
             body="Our rural clinics run out of implants every quarter.", tags=("implants",),
             lang="en"):
        with app.app_context():
            author = db.session.get(User, author_id)
            question = ask_question(author, title=title, body=body, group=group_slug,
                                    tags=list(tags), lang=lang, system=True)
            return question.id

    return make


@pytest.fixture
def make_post(app):
    """Answer a question (parent None) or reply to a post, as the user with this id."""
    def make(author_id, *, question_id=None, parent_id=None, body="Order earlier.", lang="en"):
        with app.app_context():
            author = db.session.get(User, author_id)
            if parent_id is None:
                post = post_answer(author, question_id, body, lang=lang, system=True)
            else:
                post = post_reply(author, parent_id, body, lang=lang, system=True)
            return post.id

    return make
