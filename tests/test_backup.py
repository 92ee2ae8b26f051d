"""`flask backup` under write load, `flask restore` into a fresh database (SQLite and
PostgreSQL, whichever the pass runs on): every row of the backup's moment, the search index,
the instance files, and refusals of a non-empty database and of a damaged file.

Budget: 12 s per pass (a real `flask backup` process; the restores in-process).
"""

import io
import os
import subprocess
import sys
import tarfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from forum.extensions import db
from forum.models import User
from forum.services import chat
from forum.services.qa import post_answer
from tests.helpers import throwaway_pg_database

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def flask(database_url, instance, *args, check=True):
    """Run `flask --app wsgi ...` on this database and instance folder, as an operator."""
    env = {**os.environ, "FORUM_DATABASE_URL": database_url,
           "FORUM_INSTANCE_PATH": str(instance), "FORUM_OUTBOX_DIR": str(instance / "outbox"),
           "FORUM_BASE_URL": "http://localhost"}
    env.pop("FORUM_SECRET_KEY", None)  # the instance's secret_key file is what is backed up
    env.pop("FORUM_TEST_DB", None)
    done = subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


@contextmanager
def fresh_database(tmp_path):
    """The URL of a new database with nothing in it (not even a schema)."""
    if os.environ.get("FORUM_TEST_DB") == "postgresql":
        with throwaway_pg_database("tacit_restore") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'restored' / 'forum.db'}"


@pytest.fixture
def forum(app, make_user, group, join, make_question, tmp_path):
    """A forum with a question, a chat room, an instance folder with its secret key and a
    mail in the outbox; returns what the writer needs."""
    author = make_user("amina")
    join(author, group)
    question_id = make_question(author, group, title="Implant stock-outs in Kaolack")
    with app.app_context():
        room_id = chat.room_for_group(db.session.get(User, author), group).id
    instance = tmp_path / "instance"
    (instance / "outbox").mkdir(parents=True)
    (instance / "secret_key").write_text("the-forum-secret-key\n")
    (instance / "outbox" / "welcome.eml").write_text("Subject: Welcome\n\nHello.\n")
    return {"author": author, "question": question_id, "room": room_id,
            "instance": instance}


class Writer(threading.Thread):
    """Answers and chat messages, one after the other, as fast as the database takes them;
    `done` lists (kind, id, marker) in commit order."""

    def __init__(self, app, forum):
        super().__init__(daemon=True)
        self.app, self.forum = app, forum
        self.done: list[tuple[str, int, str]] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                marker = f"zq{n:05d}marker"
                with self.app.app_context():
                    author = db.session.get(User, self.forum["author"])
                    if n % 2:
                        made = post_answer(author, self.forum["question"],
                                           f"Order earlier, see {marker}.", system=True)
                        self.done.append(("post", made.id, marker))
                    else:
                        made, _new = chat.send_message(author, self.forum["room"],
                                                       f"Stock counted, {marker}", f"w-{n}",
                                                       system=True)
                        self.done.append(("chat", made.id, marker))
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error


def _rows(application, sql):
    with application.app_context():
        try:
            return db.session.execute(text(sql)).all()
        finally:
            db.session.remove()


def _invoke(application, *args):
    """Run a `flask` command of this app in-process (exit code, output)."""
    result = application.test_cli_runner().invoke(args=list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_backup_under_writes_restores_every_row_and_the_search_index(
        app, make_app, forum, database_url, tmp_path):
    writer = Writer(app, forum)
    writer.start()
    while len(writer.done) < 6 and writer.is_alive():
        time.sleep(0.02)
    before = len(writer.done)  # committed before the backup began
    flask(database_url, forum["instance"], "backup", str(tmp_path / "forum-backup.tar"))
    after = len(writer.done)  # every write the backup could have seen
    while len(writer.done) < after + 3 and writer.is_alive():
        time.sleep(0.02)  # and some more after it, which must not be in it
    writer.stop.set()
    writer.join(30)
    assert writer.error is None, writer.error
    assert after > before, "the writer did not write while the backup ran"

    with fresh_database(tmp_path) as target:
        target_instance = tmp_path / "new-instance"
        served = make_app(database_url=target, INSTANCE_DIR=str(target_instance),
                          OUTBOX_DIR=str(target_instance / "outbox"))
        code, output = _invoke(served, "restore", str(tmp_path / "forum-backup.tar"))
        assert code == 0, output
        assert "restored the" in output
        # The test database was made by create_all, at no revision: upgrade before serving.
        assert "run `flask --app wsgi db upgrade`" in output

        posts = {r.id: r.body_source for r in
                 _rows(served, "SELECT id, body_source FROM posts")}
        messages = {r.id: r.body_source for r in
                    _rows(served, "SELECT id, body_source FROM chat_messages")}
        restored = [(kind, ident, marker) for kind, ident, marker in writer.done
                    if ident in (posts if kind == "post" else messages)]
        # A consistent snapshot: exactly the writes committed up to one moment, which lies
        # between the backup's start and its end, with their text intact.
        assert restored == writer.done[:len(restored)]
        assert before <= len(restored) <= after
        assert len(posts) == sum(1 for k, *_ in restored if k == "post")
        assert len(messages) == sum(1 for k, *_ in restored if k == "chat")
        for kind, ident, marker in restored:
            assert marker in (posts[ident] if kind == "post" else messages[ident])

        # The restored forum serves, its search finds the newest restored answer, and the
        # instance files came back.
        last_id, last_answer = [(i, m) for k, i, m in restored if k == "post"][-1]
        client = served.test_client()
        page = client.get(f"/questions/{forum['question']}?post={last_id}")  # its page
        assert page.status_code == 200
        assert last_answer in page.get_data(as_text=True)
        found = client.get(f"/search?q={last_answer}").get_data(as_text=True)
        assert "Implant stock-outs in Kaolack" in found
        missing = client.get("/search?q=zq99999marker").get_data(as_text=True)
        assert "Implant stock-outs in Kaolack" not in missing
        assert (target_instance / "secret_key").read_text() == "the-forum-secret-key\n"
        assert (target_instance / "outbox" / "welcome.eml").read_text().startswith("Subject")
        assert (target_instance / "secret_key").stat().st_mode & 0o077 == 0

        # The database is not empty any more: a second restore is refused, and changes
        # nothing.
        code, output = _invoke(served, "restore", str(tmp_path / "forum-backup.tar"))
        assert code == 1
        assert "the database is not empty" in output
        assert len(_rows(served, "SELECT id FROM posts")) == len(posts)
        with served.app_context():
            db.engine.dispose()  # before the throw-away database is dropped


def test_restore_refuses_a_damaged_backup_and_a_database_with_rows(
        app, make_app, forum, tmp_path):
    source = make_app(INSTANCE_DIR=str(forum["instance"]),
                      OUTBOX_DIR=str(forum["instance"] / "outbox"))
    good = tmp_path / "good.tar"
    code, output = _invoke(source, "backup", str(good))
    assert code == 0, output
    with tarfile.open(good) as tar:
        manifest = tar.extractfile("manifest.json").read().decode()
    assert '"schema_revision"' in manifest and '"sha256"' in manifest

    # The same members, one byte of the secret key changed.
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(good) as original, tarfile.open(damaged, "w") as out:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name == "instance/secret_key":
                data = b"X" + data[1:]
            out.addfile(member, io.BytesIO(data))
    with fresh_database(tmp_path) as target:
        other = make_app(database_url=target, INSTANCE_DIR=str(tmp_path / "other"))
        code, output = _invoke(other, "restore", str(damaged))
        assert code == 1
        assert "does not match its checksum" in output
        assert not (tmp_path / "other" / "secret_key").exists()
        with other.app_context():
            assert inspect(db.engine).get_table_names() == []  # nothing was written
            db.engine.dispose()

    # The source forum has rows: restoring over it is refused.
    code, output = _invoke(source, "restore", str(good))
    assert code == 1
    assert "the database is not empty (rows in" in output
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    code, output = _invoke(source, "restore", str(not_a_backup))
    assert code == 1 and "is not a Tacit backup" in output
