"""Email digests (issue 11): what they carry, never twice, only to confirmed addresses, never
a private group's content to outsiders; a real SMTP server on 127.0.0.1 (aiosmtpd); at most
once when the sending process dies between SMTP and recording it; one-click unsubscribe
and the mail settings page.

Budget: about 15 s.
"""

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    DigestDelivery,
    Follow,
    Group,
    MailSetting,
    Notification,
    Question,
    Tag,
    User,
)
from forum.models.base import utcnow
from forum.services import digests, profiles
from forum.services.uow import unit_of_work
from tests.helpers import PageClient, free_port

ROOT = Path(__file__).resolve().parent.parent
CANARY = "Zanzibar-canary-7731"


class Received:
    """An aiosmtpd handler that keeps what it received; `on_data` runs before it answers."""

    def __init__(self):
        self.messages = []
        self.on_data = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content,
                                                          policy=email.policy.default))
        if self.on_data is not None:
            self.on_data(len(self.messages))
        return "250 OK"


@pytest.fixture
def smtp():
    handler = Received()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.url = f"smtp://127.0.0.1:{controller.port}"
    yield handler
    controller.stop()


def _follow(app, user_id, target_type, target_id, level="all"):
    with app.app_context(), unit_of_work() as session:
        found = session.scalar(select(Follow).where(
            Follow.user_id == user_id, Follow.target_type == target_type,
            Follow.target_id == target_id))
        if found is None:
            session.add(Follow(user_id=user_id, target_type=target_type, target_id=target_id,
                               level=level))
        else:
            found.level = level


def _group_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(Group.id).where(Group.slug == slug))


def _tag_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Tag.id).where(Tag.name == name))


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _send(app, period="daily", now=None):
    with app.app_context():
        return digests.send_digests(period, now=now)


@pytest.fixture
def forum(app, make_user, make_group, join, make_question):
    """A reader (confirmed) who follows a public group and a tag; questions in and out."""
    reader = make_user("reader", email_confirmed=True)
    asker = make_user("asker", email_confirmed=True)
    make_group("west-africa")
    make_group("east-africa")
    make_group("secret-circle", private=True)
    make_user("admin", role="admin")
    join(asker, "west-africa")
    join(asker, "east-africa")
    join(asker, "secret-circle", private=True)
    _follow(app, reader, "group", _group_id(app, "west-africa"))
    followed = make_question(asker, "west-africa", title="Which implant inserters last?",
                             tags=("implants",))
    tagged = make_question(asker, "east-africa", title="Counselling when queues are long",
                           tags=("counselling",))
    _follow(app, reader, "tag", _tag_id(app, "counselling"))
    hidden = make_question(asker, "secret-circle", title=f"{CANARY} stock audit",
                           body=f"{CANARY} in the body", tags=("counselling",))
    own = make_question(reader, "west-africa", title="My own question about DMPA",
                        tags=("dmpa",))
    return {"reader": reader, "asker": asker, "followed": followed, "tagged": tagged,
            "hidden": hidden, "own": own}


def test_a_digest_carries_what_the_member_follows_once_and_nothing_private(app, forum,
                                                                          outbox):
    report = _send(app)
    assert report.sent >= 1
    to_reader = [m for m in outbox.messages() if m["To"] == "reader@example.org"]
    assert len(to_reader) == 1
    message = to_reader[0]
    assert message["Subject"] == "Your daily Tacit digest"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in (text, html):
        assert "Which implant inserters last?" in part
        assert "Counselling when queues are long" in part
        assert CANARY not in part  # a private group's question, though tagged as followed
        assert "My own question" not in part  # never one's own
    assert f"/questions/{forum['followed']}" in text
    assert message["List-Unsubscribe"].startswith("<http://localhost/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The same period again: nothing twice.
    again = _send(app)
    assert again.sent == 0 and again.already >= 1
    assert len([m for m in outbox.messages() if m["To"] == "reader@example.org"]) == 1
    # The next day, with nothing new: no digest, and the items are not repeated.
    next_day = _send(app, now=utcnow() + timedelta(days=1))
    assert next_day.sent == 0
    assert len([m for m in outbox.messages() if m["To"] == "reader@example.org"]) == 1


def test_a_member_of_the_private_group_gets_its_question(app, forum, join, outbox):
    join(forum["reader"], "secret-circle", private=True)
    _send(app)
    text = _text(next(m for m in outbox.messages() if m["To"] == "reader@example.org"))
    assert CANARY in text


def test_only_confirmed_addresses_and_the_chosen_period(app, forum, make_user, outbox):
    unconfirmed = make_user("unconfirmed")
    _follow(app, unconfirmed, "group", _group_id(app, "west-africa"))
    with app.app_context(), unit_of_work() as session:
        session.add(MailSetting(user_id=forum["reader"], kind="new_question",
                                delivery="weekly"))
    _send(app)
    assert all(m["To"] not in ("reader@example.org", "unconfirmed@example.org")
               for m in outbox.messages())
    weekly = _send(app, "weekly")
    assert weekly.sent == 1
    assert [m["Subject"] for m in outbox.messages() if m["To"] == "reader@example.org"] == [
        "Your weekly Tacit digest"]


def test_muting_a_group_keeps_its_questions_out(app, forum, outbox):
    _follow(app, forum["reader"], "group", _group_id(app, "east-africa"), level="muted")
    _send(app)
    text = _text(next(m for m in outbox.messages() if m["To"] == "reader@example.org"))
    assert "Which implant inserters last?" in text
    assert "Counselling when queues are long" not in text  # followed tag, muted group


def test_unanswered_questions_in_the_members_expertise(app, make_user, make_group, join,
                                                      make_question, outbox):
    expert = make_user("expert", email_confirmed=True)
    asker = make_user("asker2")
    make_group("sahel")
    join(asker, "sahel")
    question = make_question(asker, "sahel", title="Removal of deep implants?",
                             tags=("implants",))
    with app.app_context():
        person = db.session.get(User, expert)
        profiles.update_profile(person, person, expertise=["Implants"], system=True)
    with app.app_context(), unit_of_work():
        db.session.get(Question, question).created_at = utcnow() - timedelta(days=10)
    _send(app)
    text = _text(next(m for m in outbox.messages() if m["To"] == "expert@example.org"))
    assert "Unanswered, in your expertise" in text
    assert "Removal of deep implants?" in text


def test_notifications_set_to_the_digest_come_in_it_unread_ones_only(app, forum, outbox):
    with app.app_context(), unit_of_work() as session:
        session.add(MailSetting(user_id=forum["reader"], kind="reply", delivery="daily"))
        session.add(Notification(user_id=forum["reader"], kind="reply", text="Kofi replied",
                                 url="http://localhost/questions/1#post-1"))
        session.add(Notification(user_id=forum["reader"], kind="reply", text="Already read",
                                 url="http://localhost/questions/1#post-2", read_at=utcnow()))
    _send(app)
    text = _text(next(m for m in outbox.messages() if m["To"] == "reader@example.org"))
    assert "Kofi replied" in text
    assert "Already read" not in text


def test_digests_go_through_a_real_smtp_server(make_app, smtp, forum):
    smtp_app = make_app(SMTP_URL=smtp.url)
    report = _send(smtp_app)
    assert report.sent == len(smtp.messages) >= 1
    reader = [m for m in smtp.messages if m["To"] == "reader@example.org"]
    assert len(reader) == 1 and "Which implant inserters last?" in _text(reader[0])


@pytest.mark.timeout(90)
def test_a_run_killed_between_smtp_and_recording_never_sends_again(app, forum, smtp,
                                                                   database_url, tmp_path,
                                                                   make_user):
    for n in range(3):
        other = make_user(f"reader{n}", email_confirmed=True)
        _follow(app, other, "group", _group_id(app, "west-africa"))
    env = {**os.environ, "FORUM_DATABASE_URL": database_url, "FORUM_SMTP_URL": smtp.url,
           "FORUM_INSTANCE_PATH": str(tmp_path / "cli"), "FORUM_BASE_URL": "http://localhost",
           "FORUM_SECRET_KEY": app.config["SECRET_KEY"]}
    env.pop("FORUM_TEST_DB", None)
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "digests", "send",
               "--period", "daily"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)

    def crash(count):  # the first message reached SMTP: kill before it is recorded
        if count == 1:
            os.kill(process.pid, signal.SIGKILL)

    smtp.on_data = crash
    process.communicate(timeout=60)  # reads and closes its pipes
    assert process.returncode == -signal.SIGKILL
    with app.app_context():
        states = dict(db.session.execute(
            select(DigestDelivery.user_id, DigestDelivery.state)).all())
    assert set(states.values()) == {"sending"}  # recorded before SMTP, never marked sent
    smtp.on_data = None
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0, again.stderr
    assert len(smtp.messages) == 1  # at most once: nobody got a second try
    assert f"{len(states)} left unsent by an earlier run" in again.stdout
    assert "left 'sending' by an earlier run" in again.stderr


def test_one_click_unsubscribe_turns_the_digest_off(app, forum, outbox):
    _send(app)
    message = next(m for m in outbox.messages() if m["To"] == "reader@example.org")
    path = message["List-Unsubscribe"].strip("<>").split("localhost", 1)[1]
    page = app.test_client()
    shown = page.get(path)
    assert shown.status_code == 200 and "Stop these mails?" in shown.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(MailSetting).filter_by(user_id=forum["reader"]).count() == 0
    # What a mail client sends (RFC 8058): no login, no CSRF token.
    done = page.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    with app.app_context():
        settings = dict(db.session.execute(
            select(MailSetting.kind, MailSetting.delivery)
            .where(MailSetting.user_id == forum["reader"])).all())
    assert set(settings.values()) == {"off"} and "new_question" in settings
    assert _send(app, now=utcnow() + timedelta(days=1)).considered == 1  # the asker only
    assert page.get(path[:-3] + "xyz").status_code == 404


def test_the_mail_settings_page(app, make_user):
    make_user("nurse", email_confirmed=True)
    page = PageClient(app.test_client())
    assert page.get("/notifications/mail").status_code == 302  # log in first
    page.login("nurse", "correct horse battery")
    shown = page.get("/notifications/mail").get_data(as_text=True)
    assert 'name="kind-new_question"' in shown
    saved = page.post_form("/notifications/mail", {"kind-new_question": "weekly",
                                                   "kind-reply": "off"},
                           page="/notifications/mail")
    assert saved.status_code == 302
    with app.app_context():
        settings = dict(db.session.execute(
            select(MailSetting.kind, MailSetting.delivery)).all())
    assert settings == {"new_question": "weekly", "reply": "off"}
    bad = page.post_form("/notifications/mail", {"kind-reply": "hourly"},
                         page="/notifications/mail")
    assert bad.status_code == 422
    no_csrf = page.client.post("/notifications/mail", data={"kind-reply": "off"})
    assert no_csrf.status_code == 400


# -- immediate mail of notifications --------------------------------------------------------


def _answer_mails(outbox, to):
    return [m for m in outbox.messages() if m["To"] == to and "answered" in m["Subject"]]


@pytest.mark.parametrize("confirmed, setting, mailed", [
    (True, None, True),  # the default for answers: at once
    (False, None, False),  # never to an unconfirmed address
    (True, "off", False),
    (True, "daily", False),  # waits for the digest instead
])
def test_a_notification_is_mailed_at_once_only_when_the_member_says_so(
        app, make_user, make_group, join, make_question, make_post, outbox, confirmed,
        setting, mailed):
    asker = make_user("asker", email_confirmed=confirmed)
    helper = make_user("helper", display_name="Kofi")
    make_group("sahel")
    join(asker, "sahel")
    join(helper, "sahel")
    question = make_question(asker, "sahel", title="Where do we store implants?")
    if setting:
        with app.app_context(), unit_of_work() as session:
            session.add(MailSetting(user_id=asker, kind="answer", delivery=setting))
    make_post(helper, question_id=question, body="In the cold room.")
    found = _answer_mails(outbox, "asker@example.org")
    assert len(found) == (1 if mailed else 0)
    if mailed:
        body = found[0].get_content()
        assert "Where do we store implants?" in found[0]["Subject"] + body
        assert f"http://localhost/questions/{question}" in body
        assert found[0]["List-Unsubscribe"].startswith("<http://localhost/unsubscribe/")
        with app.app_context():
            assert db.session.scalar(select(Notification.mailed_at).where(
                Notification.user_id == asker, Notification.kind == "answer")) is not None
    if setting == "daily":
        _send(app)
        digest = [m for m in outbox.messages() if m["Subject"] == "Your daily Tacit digest"
                  and m["To"] == "asker@example.org"]
        assert len(digest) == 1 and "Where do we store implants?" in _text(digest[0])
