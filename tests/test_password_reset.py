"""Reset links after a password change, the per-address quota, and answers that do the same
work whether or not an address has an account (security issue: finding 6).

Budget: about 5 s.
"""

import re
import socket
import threading

import pytest
from sqlalchemy import select

from forum import mail
from forum.extensions import db
from forum.models import PasswordReset
from forum.services.accounts import register_user
from tests.helpers import PageClient

NEW_PASSWORD = "a brand new password 42"


def _flash(response) -> str:
    return re.search(r'<p class="flash[^"]*">(.*?)</p>', response.get_data(as_text=True))[1]


def _reset_path(outbox) -> str:
    return outbox.last_link().split("localhost", 1)[1]


def test_changing_the_password_spends_reset_links_mailed_before(anon_client, client, user,
                                                                outbox):
    anon_client.post_form("/password/forgot", {"email": "nurse@example.org"})
    path = _reset_path(outbox)
    assert anon_client.get(path).status_code == 200
    changed = client.post_form("/account/password", {
        "current_password": "correct horse battery", "new_password": NEW_PASSWORD},
        page="/account")
    assert changed.status_code == 302
    # The link mailed before the change cannot undo it.
    assert anon_client.get(path).status_code == 404
    anon_client.login("nurse", NEW_PASSWORD)


def test_deleting_the_account_spends_its_reset_links(anon_client, client, user, outbox, app):
    anon_client.post_form("/password/forgot", {"email": "nurse@example.org"})
    deleted = client.post_form("/account/delete", {"password": "correct horse battery"},
                               page="/account/delete")
    assert deleted.status_code == 302
    with app.app_context():
        assert db.session.scalars(
            select(PasswordReset).where(PasswordReset.used_at.is_(None))).all() == []


def test_an_unknown_address_gets_the_same_work_and_no_usable_link(anon_client, user, outbox,
                                                                  app):
    known = anon_client.post_form("/password/forgot", {"email": "nurse@example.org"})
    unknown = anon_client.post_form("/password/forgot", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert len(outbox.messages()) == 1
    with app.app_context():
        rows = db.session.scalars(select(PasswordReset).order_by(PasswordReset.id)).all()
        # One row each: the unknown address's has no user, and its token went nowhere.
        assert [row.user_id is None for row in rows] == [False, True]
        assert rows[1].expires_at > rows[1].created_at


@pytest.mark.parametrize("app_config", [{"LIMIT_PASSWORD_RESET_PER_ACCOUNT": "2/hour",
                                         "LIMIT_PASSWORD_RESET_PER_IP": "100/minute"}])
def test_the_answer_names_the_quota_and_past_it_nothing_more_is_sent(anon_client, user, outbox,
                                                                     app, app_config):
    answers = [_flash(anon_client.post_form("/password/forgot", {"email": "nurse@example.org"},
                                            follow_redirects=True)) for _ in range(3)]
    assert "at most 2 such emails to one address per hour" in answers[0]
    assert len(set(answers)) == 1  # over the quota, the same words
    assert len(outbox.messages()) == 2
    with app.app_context():
        assert db.session.query(PasswordReset).count() == 2
    # The quota is per address, counted alike for an address without an account.
    stranger = [_flash(anon_client.post_form("/password/forgot", {"email": "no@example.org"},
                                             follow_redirects=True)) for _ in range(3)]
    assert set(stranger) == set(answers)
    with app.app_context():
        assert db.session.query(PasswordReset).count() == 4


def test_the_quota_is_said_in_french(app, user, outbox):
    page = PageClient(app.test_client())
    page.post_form("/language", {"lang": "fr", "next": "/"}, page="/")
    answer = page.post_form("/password/forgot", {"email": "nurse@example.org"},
                            follow_redirects=True)
    assert "courriels de ce type" in answer.get_data(as_text=True)


class _SilentSmtp:
    """A TCP listener that accepts and says nothing until told to hang up."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connected = threading.Event()
        self.hang_up = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.server.accept()
        self.connected.set()
        self.hang_up.wait(20)
        conn.close()
        self.server.close()


def test_mail_leaves_after_the_answer_and_a_refused_message_is_kept(make_app, tmp_path):
    smtp = _SilentSmtp()
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp.port}")
    with app.app_context():
        register_user("nurse", "nurse@example.org", "correct horse battery", system=True)
    page = PageClient(app.test_client())
    # SMTP has not even greeted: a delivery in the request would hang here for its timeout.
    answer = page.post_form("/password/forgot", {"email": "nurse@example.org"})
    assert answer.status_code == 302
    assert smtp.connected.wait(10), "the mail worker never connected"
    assert not mail.flush(0.2)  # still waiting on the server
    smtp.hang_up.set()
    assert mail.flush(10)
    kept = list((tmp_path / "outbox" / "failed").glob("*.eml"))
    assert len(kept) == 1
    assert "nurse@example.org" in kept[0].read_text()
