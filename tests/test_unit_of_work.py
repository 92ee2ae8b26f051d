"""The unit of work: a write commits once, at its outermost service call, and what it queued
(live events) goes out only after that commit; a failure anywhere leaves nothing behind and
tells nobody. On SQLite the write lock is taken at the first write, not while rendering."""

import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from forum.errors import InvalidInput
from forum.extensions import db, socketio
from forum.markup import render_markdown
from forum.models import ChatMessage, Group, Post, Question, Tag, User
from forum.services import chat, qa, uow

ROOT = Path(__file__).resolve().parent.parent
CHAT = "/chat"
REFUSED = "Share stock between districts."


def chat_socket(app, login, username):
    """A /chat test client of a logged-in page, for watching what a room is sent."""
    page = login(username)
    page.get("/")
    client = socketio.test_client(app, namespace=CHAT, flask_test_client=page.client,
                                  auth={"csrf": page.last_csrf})
    assert client.is_connected(CHAT)
    return client


def events(client, name):
    return [e["args"][0] for e in client.get_received(CHAT) if e["name"] == name]


def join(client, room_id):
    ack = client.emit("join", {"room": room_id}, namespace=CHAT, callback=True)
    assert ack["ok"] is True, ack
    client.get_received(CHAT)  # the join's own presence and history


def send(app, user_id, room_id, body):
    send.counter += 1
    with app.app_context():
        message, _created = chat.send_message(db.session.get(User, user_id), room_id, body,
                                               f"uow-{send.counter}")
        return message.id


send.counter = 0


@pytest.fixture
def refusing_database(app):
    """A trigger that makes the database itself refuse one answer's INSERT: a failure in the
    middle of a write, after earlier rows of it were flushed."""
    with app.app_context():
        dialect = db.engine.dialect.name
        with db.engine.begin() as conn:
            if dialect == "sqlite":
                conn.execute(text(
                    "CREATE TRIGGER refuse_answer BEFORE INSERT ON posts "
                    f"WHEN NEW.body_source = '{REFUSED}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
            else:
                conn.execute(text(
                    "CREATE FUNCTION refuse_answer() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.body_source = '{REFUSED}' THEN "
                    "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql"))
                conn.execute(text(
                    "CREATE TRIGGER refuse_answer BEFORE INSERT ON posts FOR EACH ROW "
                    "EXECUTE FUNCTION refuse_answer()"))
    yield
    with app.app_context(), db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("DROP TRIGGER refuse_answer"))
        else:  # the PostgreSQL database outlives this test: leave it as it was
            conn.execute(text("DROP TRIGGER refuse_answer ON posts"))
            conn.execute(text("DROP FUNCTION refuse_answer()"))


def counts(app) -> dict:
    with app.app_context():
        return {
            "questions": db.session.scalar(select(func.count(Question.id))),
            "posts": db.session.scalar(select(func.count(Post.id))),
            "tags": db.session.scalar(select(func.count(Tag.id))),
            "group_questions": db.session.scalar(select(func.sum(Group.question_count))),
            "promoted": db.session.scalar(select(func.count(ChatMessage.id)).where(
                ChatMessage.promoted_question_id.is_not(None))),
        }


def test_a_promotion_that_fails_halfway_leaves_nothing_and_tells_nobody(
        app, people, room, login, refusing_database):
    asked = send(app, people["asker"], room, "How do you avoid implant stock-outs?")
    first = send(app, people["helper"], room, "Order a quarter ahead.")
    second = send(app, people["peer"], room, REFUSED)
    watcher = chat_socket(app, login, "mod")
    join(watcher, room)
    before = counts(app)
    with app.app_context(), pytest.raises(DBAPIError):
        chat.promote(db.session.get(User, people["asker"]), room, asked, [first, second],
                     "How do we avoid implant stock-outs?", ["implants", "stock"])
    # The question and the first answer had been flushed when the second was refused.
    assert counts(app) == before
    assert before["questions"] == 0 and before["promoted"] == 0
    assert events(watcher, "message_updated") == []
    # The same promotion without the refused answer goes through and is announced, so the
    # silence above was the rollback's, not a deaf socket's.
    with app.app_context():
        question = chat.promote(db.session.get(User, people["asker"]), room, asked, [first],
                                "How do we avoid implant stock-outs?", ["implants"])
        question_id = question.id
    after = counts(app)
    assert (after["questions"], after["posts"], after["promoted"]) == (1, 1, 2)
    updated = events(watcher, "message_updated")
    assert sorted(e["id"] for e in updated) == [asked, first]
    assert {e["promoted_question_id"] for e in updated} == {question_id}


def test_an_event_queued_in_a_rolled_back_write_is_never_sent(app, people, room, login):
    message_id = send(app, people["asker"], room, "Stock cards every Monday.")
    watcher = chat_socket(app, login, "helper")
    join(watcher, room)
    with app.app_context():
        author = db.session.get(User, people["asker"])
        with pytest.raises(RuntimeError, match="after the edit"), uow.unit_of_work():
            chat.edit_message(author, message_id, "Stock cards every Friday.")
            raise RuntimeError("a failure after the edit, in the same write")
    assert events(watcher, "message_updated") == []
    with app.app_context():
        assert db.session.get(ChatMessage, message_id).body_source == \
            "Stock cards every Monday."
        chat.edit_message(db.session.get(User, people["asker"]), message_id,
                          "Stock cards every Friday.")
    assert [e["body_html"] for e in events(watcher, "message_updated")] == \
        ["<p>Stock cards every Friday.</p>"]


def test_an_inner_failure_caught_by_the_outer_block_still_undoes_the_whole_write(
        app, people, group, make_question):
    question_id = make_question(people["asker"], group)
    with app.app_context():
        helper = db.session.get(User, people["helper"])
        with pytest.raises(uow.UnitOfWorkFailed), uow.unit_of_work():
            qa.post_answer(helper, question_id, "Order a quarter ahead.")
            try:
                qa.post_answer(helper, question_id, "   ")
            except InvalidInput:
                pass  # carrying on as if the inner write had not half happened
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0
        assert db.session.get(Question, question_id).answer_count == 0


def test_a_failed_savepoint_drops_only_what_it_queued(app):
    sent = []
    with app.app_context():
        with uow.unit_of_work():
            uow.after_commit(sent.append, "kept")
            with pytest.raises(ValueError), uow.savepoint():
                uow.after_commit(sent.append, "dropped")
                raise ValueError("undo this part only")
            assert sent == []  # nothing goes out before the commit
        assert sent == ["kept"]


def test_after_commit_outside_a_write_is_refused(app):
    with app.app_context(), pytest.raises(RuntimeError, match="unit_of_work"):
        uow.after_commit(print, "nobody commits this")


def test_a_slow_render_does_not_hold_other_writers(app, people, group, make_question,
                                                    make_post):
    """While one edit renders the costliest body allowed, another writer commits: the write
    lock (SQLite) is taken at the first write statement, after rendering."""
    # Rendering is bounded now (forum/markup.py, docs/markup.md): 9 900 emphasized words are
    # about the most work a body may ask for and still be rendered, some 0.2 s. Were the
    # write lock taken before rendering, the quick answer would wait for the edit's commit.
    slow_body = "*a* " * 9_900
    started = time.monotonic()
    rendered = render_markdown(slow_body)
    render_seconds = time.monotonic() - started
    assert "<em>a</em>" in rendered.html, "the renderer gives up on this body: find another"
    assert render_seconds > 0.05, "this body no longer renders slowly: find a slower one"

    question_id = make_question(people["asker"], group)
    other_question = make_question(people["peer"], group, title="Who supervises the CHWs?")
    post_id = make_post(people["helper"], question_id=question_id)
    finished = {}

    def slow_edit():
        with app.app_context():
            qa.edit_post(db.session.get(User, people["helper"]), post_id, slow_body)
        finished["slow"] = time.monotonic()

    def quick_answer():
        with app.app_context():
            qa.post_answer(db.session.get(User, people["asker"]), other_question,
                           "Supervisors visit monthly.")
        finished["quick"] = time.monotonic()

    slow = threading.Thread(target=slow_edit)
    # The render holds the GIL: after each database call the quick writer would wait up to
    # the 5 ms switch interval to get it back (a convoy, not the write lock tested here).
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        slow.start()
        time.sleep(min(0.1, render_seconds / 4))  # the edit is rendering now
        assert "slow" not in finished
        quick_started = time.monotonic()
        quick_answer()
        slow.join(60)
    finally:
        sys.setswitchinterval(switch_interval)
    assert set(finished) == {"slow", "quick"}
    assert finished["quick"] < finished["slow"]
    # The quick writer did not wait for the render.
    assert finished["quick"] - quick_started < render_seconds / 2
    with app.app_context():
        assert db.session.get(Post, post_id).body_source == slow_body
        assert db.session.get(Question, other_question).answer_count == 1


def test_nothing_outside_the_unit_of_work_commits():
    """Every commit goes through forum/services/uow.py (migrations aside)."""
    needle = ".com" + "mit("
    offenders = []
    for folder in ("forum", "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "forum" / "services" / "uow.py" or "node_modules" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if needle in line or "session.com" + "mit" in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in (ROOT / "wsgi.py", ROOT / "config.py"):
        if needle in path.read_text(encoding="utf-8"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
