"""gevent, gunicorn, psycopg and redis are extras: the embedded default runs without them.

The forum is built in a child process where importing any of them fails (as in an
environment installed from requirements/main.txt alone), then it serves a page on SQLite;
asking it for PostgreSQL or Redis without their package fails at start with the extra to
install, not at the first request.
"""

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("gevent", "gunicorn", "psycopg", "redis")

pytestmark = pytest.mark.dbless

CHILD = textwrap.dedent("""
    import sys
    for name in {extras!r}:
        sys.modules[name] = None  # `import name` now raises ImportError
    sys.path.insert(0, {root!r})
    from config import TestConfig
    from forum import create_app
    from forum.extensions import db

    def build(**settings):
        return create_app(TestConfig, outbox_dir={tmp!r} + "/outbox",
                          instance_dir={tmp!r} + "/instance", **settings)

    app = build(database_url="sqlite:///{tmp}/forum.db")
    with app.app_context():
        db.create_all()
    page = app.test_client().get("/questions")
    print("status", page.status_code)
    print("loaded", sorted(n for n in {extras!r} if sys.modules.get(n) is not None))
    for settings in ({{"database_url": "postgresql+psycopg://postgres@127.0.0.1/none"}},
                     {{"database_url": "sqlite:///{tmp}/forum.db",
                       "REDIS_URL": "redis://127.0.0.1:6379/0"}}):
        try:
            build(**settings)
        except RuntimeError as exc:
            print("refused", exc)
        else:
            print("started without its package", settings)
""")


def _lock_names(path: Path) -> set[str]:
    return {line.split("==")[0] for line in path.read_text().splitlines()
            if line and line[0].isalpha() and "==" in line}


def test_the_package_does_not_require_the_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {dep.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
                for dep in project["dependencies"]}
    assert required.isdisjoint(EXTRAS)
    assert set(EXTRAS) <= {dep.split("[")[0].split(">")[0].strip().lower()
                           for dep in project["optional-dependencies"]["serve"]}
    main, serve = (_lock_names(ROOT / "requirements" / f"{n}.txt") for n in ("main", "serve"))
    assert main.isdisjoint(EXTRAS), "requirements/main.txt (make run) installs an extra"
    assert set(EXTRAS) <= serve <= _lock_names(ROOT / "requirements" / "test.txt")


@pytest.mark.timeout(60)
def test_the_forum_serves_without_the_extras_and_says_which_one_is_missing(tmp_path):
    script = CHILD.format(extras=EXTRAS, root=str(ROOT), tmp=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=50, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "status 200" in lines
    assert "loaded []" in lines
    refusals = [line for line in lines if line.startswith("refused")]
    assert len(refusals) == 2, done.stdout
    assert "tacit[postgresql]" in refusals[0]
    assert "tacit[redis]" in refusals[1]
