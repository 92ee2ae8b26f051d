"""Registration by email confirmation, confirmed addresses, and the sign-in link that lets a
locked-out owner's browser back in (security issue 10, findings 3, 5, 6)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from config import TestConfig
from forum import create_app
from forum.extensions import db
from forum.models import EmailLink, PendingRegistration, User
from forum.services import accounts
from forum.services.uow import unit_of_work
from tests.helpers import ApiClient, PageClient, csrf_from
from tests.test_hardening import InlineFinder

PASSWORD = "planning familial 2026"


def register(page, **overrides):
    data = {"username": "amina", "display_name": "Dr Amina Diallo",
            "email": "amina@example.org", "password": PASSWORD}
    data.update(overrides)
    return page.post_form("/register", data)


def path_of(link: str) -> str:
    return link.split("localhost", 1)[1]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def account(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username_key == username.lower()))


def mails_to(outbox, address):
    return [m for m in outbox.messages() if m["To"] == address]


def without(text: str, *secrets: str) -> str:
    for secret in secrets:
        text = text.replace(secret, "<echoed>")
    return text


def headers_of(response) -> dict:
    return {k: v for k, v in response.headers.items() if k not in {"Date", "Set-Cookie"}}


# -- registration answers the same whether or not the address has an account ---------------


def test_the_register_page_answers_the_same_for_a_new_and_a_registered_address(
        app, make_user, outbox):
    make_user("owner", email="taken@example.org", display_name="Owner Odhiambo")
    answers = []
    for address in ("taken@example.org", "fresh@example.org"):  # the same length
        page = PageClient(app.test_client())
        response = register(page, username="newcomer", email=address)
        html = response.get_data(as_text=True)
        # The token is signed with the second it was rendered in: blank this answer's own.
        answers.append((response.status_code, headers_of(response),
                        without(html, address, csrf_from(html))))
        assert f"We sent a link to {address} to finish creating your account" in \
            response.get_data(as_text=True)
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert "Check your email" in answers[0][2]
    assert "outbox folder" in answers[0][2]  # no SMTP_URL here: the demo line shows

    warning, = mails_to(outbox, "taken@example.org")
    assert warning["Subject"] == "Someone tried to create a Tacit account with your address"
    body = warning.get_content()
    assert "You already have one, with the username owner" in body
    assert "http://localhost/login" in body and "http://localhost/password/forgot" in body
    confirmation, = mails_to(outbox, "fresh@example.org")
    assert confirmation["Subject"] == "Finish creating your Tacit account"
    assert re.search(r"http://localhost/register/confirm/\S+", confirmation.get_content())
    # Nothing is created until the link is used. Both requests wrote the same row (the same
    # work either way), but the owner's address was sent a warning, never that row's link.
    assert count(app, User) == 1
    with app.app_context():
        assert sorted(db.session.scalars(select(PendingRegistration.email_key))) == [
            "fresh@example.org", "taken@example.org"]
    assert "/register/confirm/" not in body


def test_the_api_answers_202_the_same_for_a_new_and_a_registered_address(
        app, make_user, outbox):
    make_user("owner", email="taken@example.org")
    answers = []
    for address in ("TAKEN@example.org", "fresh@example.org"):
        response = ApiClient(app.test_client()).post("/api/v1/users", {
            "username": "newcomer", "email": address, "password": PASSWORD})
        assert response.get_json() == {"status": "confirmation_sent", "email": address}
        answers.append((response.status_code, headers_of(response),
                        without(response.get_data(as_text=True), address)))
    assert answers[0] == answers[1] and answers[0][0] == 202
    assert len(mails_to(outbox, "taken@example.org")) == 1  # to the owner's own spelling
    assert len(mails_to(outbox, "fresh@example.org")) == 1
    assert count(app, User) == 1


def test_a_taken_username_is_still_refused_at_once(app, make_user, api, anon_client, outbox):
    make_user("kofi", email="kofi@example.org")
    response = api.post("/api/v1/users", {"username": "KOFI", "email": "other@example.org",
                                          "password": PASSWORD})
    assert response.status_code == 409
    assert set(response.get_json()["error"]["fields"]) == {"username"}
    page = register(anon_client, username="Kofi", email="kofi@example.org")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "This username is taken" in html and "exists already" not in html
    assert outbox.messages() == []


def test_mail_to_one_address_is_limited_and_the_answer_stays_the_same(app, make_user, outbox):
    make_user("owner", email="taken@example.org")
    for address in ("taken@example.org", "fresh@example.org"):
        for n in range(4):
            response = ApiClient(app.test_client()).post(
                "/api/v1/users", {"username": f"newcomer{n}", "email": address,
                                  "password": PASSWORD},
                environ_base={"REMOTE_ADDR": f"10.5.0.{n}"})
            assert response.status_code == 202
            assert response.get_json() == {"status": "confirmation_sent", "email": address}
        assert len(mails_to(outbox, address)) == 3  # LIMIT_CONFIRMATION_MAIL_PER_ADDRESS
    assert count(app, PendingRegistration) == 6  # 3 per address: past the cap, nothing


# -- confirming -----------------------------------------------------------------------------


def test_the_link_creates_nothing_on_get_and_the_account_on_post(app, anon_client, outbox):
    register(anon_client)
    link = path_of(outbox.last_link())
    assert link.startswith("/register/confirm/")
    assert count(app, User) == 0
    for _ in range(2):  # a mail scanner fetching the link changes nothing
        page = PageClient(app.test_client()).get(link)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Create my account" in html and "amina@example.org" in html
    assert count(app, User) == 0 and count(app, PendingRegistration) == 1
    finder = InlineFinder()
    finder.feed(html)
    assert finder.problems == [] and all(form["csrf"] for form in finder.forms)
    assert anon_client.client.post(link).status_code == 400  # no CSRF token: nothing
    assert count(app, User) == 0

    done = anon_client.post_form(link, {})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = anon_client.get("/").get_data(as_text=True)
    assert "Dr Amina Diallo" in home and "Welcome to Tacit, Dr Amina Diallo!" in home
    device = anon_client.client.get_cookie("tacit_device", path="/login")
    assert device is not None and device.http_only
    user = account(app, "amina")
    assert user.email == "amina@example.org" and user.email_confirmed_at is not None
    assert count(app, PendingRegistration) == 0
    with app.app_context():
        assert accounts.authenticate("amina", PASSWORD, system=True).id == user.id


def test_a_used_link_cannot_be_used_again(app, anon_client, outbox):
    register(anon_client)
    link = path_of(outbox.last_link())
    assert anon_client.post_form(link, {}).status_code == 302
    other = PageClient(app.test_client())
    again = other.get(link)
    assert again.status_code == 404
    assert "This link is not valid any more" in again.get_data(as_text=True)
    assert 'href="/register"' in again.get_data(as_text=True)  # a way to start again
    assert other.post_form(link, {}, page="/register").status_code == 404
    token = link.rsplit("/", 1)[1]
    api = ApiClient(app.test_client())
    refused = api.post("/api/v1/users/confirm", {"token": token})
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    assert count(app, User) == 1


def test_an_expired_link_is_refused_with_a_way_to_start_again(app, anon_client, outbox):
    register(anon_client)
    link = path_of(outbox.last_link())
    with app.app_context(), unit_of_work():
        pending = db.session.scalars(select(PendingRegistration)).one()
        pending.expires_at = pending.created_at - timedelta(seconds=1)
    response = anon_client.get(link)
    assert response.status_code == 404 and "Register again" in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_a_username_taken_before_confirmation_is_a_clear_error_and_writes_nothing(
        app, anon_client, make_user, outbox):
    register(anon_client, username="kofi", email="kofi@example.org")
    link = path_of(outbox.last_link())
    make_user("Kofi", email="someone.else@example.org")  # confirmed first, elsewhere
    response = anon_client.post_form(link, {})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The username kofi was taken while your link waited" in html
    assert 'href="/register"' in html
    assert count(app, User) == 1 and count(app, PendingRegistration) == 1
    assert anon_client.client.get_cookie("tacit_device", path="/login") is None
    assert "Log out" not in anon_client.get("/").get_data(as_text=True)


def test_the_api_confirms_with_the_token_of_the_link(app, api, make_user, outbox):
    accepted = api.post("/api/v1/users", {"username": "kofi", "email": "Kofi@Example.org",
                                          "password": PASSWORD, "display_name": "Kofi"})
    assert accepted.status_code == 202
    token = outbox.last_link().rsplit("/", 1)[1]
    for body, status in [({}, 422), ({"token": 5}, 422), ({"token": ["x"]}, 422),
                         ({"token": "not-a-token"}, 404), ({"token": "\x00"}, 422),
                         ({"token": "x" * 5000}, 404), ({"token": token, "x": 1}, 422)]:
        refused = api.post("/api/v1/users/confirm", body)
        assert refused.status_code == status, body
        assert set(refused.get_json()) == {"error"}
    created = api.post("/api/v1/users/confirm", {"token": token})
    assert created.status_code == 201
    user = created.get_json()
    assert user["username"] == "kofi" and user["email"] == "Kofi@Example.org"
    assert user["email_confirmed"] is True
    api.login("kofi@example.org", PASSWORD)
    assert api.get("/api/v1/me").get_json()["email_confirmed"] is True


def test_an_address_taken_before_confirmation_is_a_conflict_on_the_api(app, api, make_user,
                                                                       outbox):
    api.post("/api/v1/users", {"username": "kofi", "email": "kofi@example.org",
                               "password": PASSWORD})
    token = outbox.last_link().rsplit("/", 1)[1]
    make_user("kofi_a", email="KOFI@example.org")
    refused = api.post("/api/v1/users/confirm", {"token": token})
    assert refused.status_code == 409
    assert "email" in refused.get_json()["error"]["fields"]
    assert count(app, User) == 1


# -- existing accounts confirm their address -------------------------------------------------


def test_an_unconfirmed_member_confirms_the_address_from_the_account_page(
        app, client, user, outbox):
    page = client.get("/account").get_data(as_text=True)
    assert "Your email address is not confirmed yet" in page
    sent = client.post_form("/account/confirm-email", {}, page="/account")
    assert sent.status_code == 302
    assert "We sent a link to nurse@example.org" in client.get("/account").get_data(as_text=True)
    link = path_of(outbox.last_link())
    assert link.startswith("/account/confirm-email/")

    signed_out = PageClient(app.test_client())  # the link works signed out too
    shown = signed_out.get(link)
    assert shown.status_code == 200 and "Confirm my address" in shown.get_data(as_text=True)
    assert account(app, "nurse").email_confirmed_at is None  # GET confirms nothing
    done = signed_out.post_form(link, {})
    assert done.status_code == 302
    assert account(app, "nurse").email_confirmed_at is not None
    assert "Your email address is confirmed." in client.get("/account").get_data(as_text=True)
    assert signed_out.get(link).status_code == 404  # single use
    refused = client.post_form("/account/confirm-email", {}, page="/account")
    assert refused.status_code == 409


def test_a_confirmation_link_is_only_good_for_its_own_account(app, user, make_user, outbox):
    make_user("other", password="another long phrase")
    nurse = PageClient(app.test_client())
    nurse.login("nurse", user["password"])
    nurse.post_form("/account/confirm-email", {}, page="/account")
    link = path_of(outbox.last_link())
    other = PageClient(app.test_client())
    other.login("other", "another long phrase")
    assert other.post_form(link, {}).status_code == 403
    assert account(app, "nurse").email_confirmed_at is None
    assert account(app, "other").email_confirmed_at is None
    # Nor does a sign-in link's token work here, or this token there.
    token = link.rsplit("/", 1)[1]
    assert other.get(f"/login/link/{token}").status_code == 404
    assert nurse.post_form(link, {}).status_code == 302
    assert account(app, "nurse").email_confirmed_at is not None


def test_the_confirmation_link_is_refused_without_csrf_and_mails_are_limited(app, client, user,
                                                                              outbox):
    assert client.client.post("/account/confirm-email").status_code == 400
    for _ in range(3):
        assert client.post_form("/account/confirm-email", {}, page="/account").status_code == 302
    limited = client.post_form("/account/confirm-email", {}, page="/account")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert len(outbox.messages()) == 3


def test_a_password_reset_confirms_the_address(app, anon_client, user, outbox):
    anon_client.post_form("/password/forgot", {"email": "nurse@example.org"})
    link = path_of(outbox.last_link())
    anon_client.post_form(link, {"new_password": "a brand new passphrase"})
    assert account(app, "nurse").email_confirmed_at is not None


def test_mail_allowed_only_to_confirmed_live_accounts(app, make_user):
    confirmed = make_user("ada", email_confirmed=True)
    unconfirmed = make_user("bea")
    with app.app_context():
        assert accounts.mail_allowed(db.session.get(User, confirmed))
        assert not accounts.mail_allowed(db.session.get(User, unconfirmed))
        user = db.session.get(User, confirmed)
        accounts.delete_account(user, "correct horse battery")
        assert not accounts.mail_allowed(db.session.get(User, confirmed))


# -- a locked-out owner gets a sign-in link --------------------------------------------------

ATTACKERS = [f"10.66.0.{n}" for n in range(1, 12)]


def _guess_from_many_addresses(app, login):
    """11 addresses x 5 wrong passwords: past the per-account ceiling (50 failures an hour)."""
    api = ApiClient(app.test_client())
    statuses = [api.post("/api/v1/tokens", {"login": login, "password": "guess guess"},
                         environ_base={"REMOTE_ADDR": address}).status_code
                for address in ATTACKERS for _ in range(5)]
    assert statuses == [401] * 50 + [429] * 5


def _page_login(page, login, password, address):
    return page.post_form("/login", {"login": login, "password": password},
                          environ_base={"REMOTE_ADDR": address})


def _ask_for_link(page, login, address="10.3.0.1"):
    return page.post_form("/login/email-link", {"login": login}, page="/login",
                          environ_base={"REMOTE_ADDR": address})


def test_a_locked_out_owner_gets_a_sign_in_link_and_then_logs_in_with_the_password(
        app, make_user, outbox):
    make_user("ama", password="correct horse battery", email_confirmed=True)
    _guess_from_many_addresses(app, "ama")
    owner = PageClient(app.test_client())
    locked = _page_login(owner, "ama", "correct horse battery", "10.2.0.1")
    assert locked.status_code == 429
    html = locked.get_data(as_text=True)
    assert "Email me a link to sign in from this browser" in html
    assert re.search(r'<form method="post" action="/login/email-link">\s*'
                     r'<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                     r'<input id="link-login" name="login" type="hidden" value="ama">', html)
    finder = InlineFinder()
    finder.feed(html)
    assert finder.problems == [] and all(form["csrf"] for form in finder.forms)

    asked = _ask_for_link(owner, "ama")
    assert asked.status_code == 302 and asked.headers["Location"] == "/login"
    assert "we have sent it a link to sign in from this browser" in owner.get(
        "/login").get_data(as_text=True)
    mail, = outbox.messages()
    assert mail["To"] == "ama@example.org"
    link = path_of(outbox.last_link())
    assert link.startswith("/login/link/")

    shown = owner.get(link)  # GET spends nothing
    assert shown.status_code == 200 and "Make this browser known" in shown.get_data(as_text=True)
    assert owner.client.get_cookie("tacit_device", path="/login") is None
    used = owner.post_form(link, {})
    assert used.status_code == 302 and used.headers["Location"] == "/login"
    assert owner.client.get_cookie("tacit_device", path="/login") is not None
    assert "This browser is now known: sign in with your password" in owner.get(
        "/login").get_data(as_text=True)
    assert owner.get(link).status_code == 404  # single use

    # The password is still needed; with it, the ceiling no longer holds this browser.
    assert _page_login(owner, "ama", "wrong password here", "10.2.0.2").status_code == 401
    assert _page_login(owner, "ama", "correct horse battery", "10.2.0.2").status_code == 302
    assert owner.get("/account").status_code == 200
    # Another browser is still held back.
    fresh = PageClient(app.test_client())
    assert _page_login(fresh, "ama", "correct horse battery", "10.2.0.3").status_code == 429


def test_the_sign_in_link_answer_is_the_same_for_unconfirmed_unknown_and_confirmed(
        app, make_user, outbox):
    make_user("ama", email_confirmed=True)
    make_user("bea")  # an account from before confirmation existed
    answers = []
    for n, login in enumerate(["bea", "nobody-here", "bea@example.org", "ama"]):
        page = PageClient(app.test_client())
        response = _ask_for_link(page, login, address=f"10.3.0.{n}")
        follow = page.get("/login").get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"],
                        without(follow, csrf_from(follow))))
    assert all(answer == answers[0] for answer in answers)
    assert [m["To"] for m in outbox.messages()] == ["ama@example.org"]
    # The same work each time: a link row per request; only ama's names an account.
    with app.app_context():
        rows = db.session.execute(select(EmailLink.user_id, EmailLink.email_key)
                                  .order_by(EmailLink.id)).all()
        ama = accounts.get_user_by_username("ama").id
    assert [(user_id is not None, key) for user_id, key in rows] == [
        (False, "bea"), (False, "nobody-here"), (False, "bea@example.org"),
        (True, "ama@example.org")]
    assert rows[3][0] == ama


def test_an_unconfirmed_locked_out_account_sees_the_same_page_and_gets_no_mail(
        app, make_user, outbox):
    make_user("bea")
    _guess_from_many_addresses(app, "bea")
    page = PageClient(app.test_client())
    locked = _page_login(page, "bea", "correct horse battery", "10.2.0.1")
    assert locked.status_code == 429
    assert "Email me a link to sign in from this browser" in locked.get_data(as_text=True)
    assert _ask_for_link(page, "bea").status_code == 302
    assert outbox.messages() == []


def test_a_short_lockout_from_one_address_offers_no_link(app, make_user):
    make_user("ama", email_confirmed=True)
    page = PageClient(app.test_client())
    for _ in range(5):
        assert _page_login(page, "ama", "guess guess", "10.4.0.1").status_code == 401
    locked = _page_login(page, "ama", "correct horse battery", "10.4.0.1")
    assert locked.status_code == 429
    assert "Email me a link" not in locked.get_data(as_text=True)


def test_sign_in_link_requests_are_limited_per_ip_and_need_csrf(app, make_user, outbox):
    make_user("ama", email_confirmed=True)
    page = PageClient(app.test_client())
    assert page.client.post("/login/email-link", data={"login": "ama"}).status_code == 400
    statuses = [_ask_for_link(page, "nobody", address="10.8.0.1").status_code
                for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    empty = _ask_for_link(page, "", address="10.8.0.2")
    assert empty.status_code == 422 and "Enter your username or email" in empty.get_data(
        as_text=True)
    assert outbox.messages() == []


def test_an_expired_sign_in_link_is_refused(app, make_user, outbox):
    make_user("ama", email_confirmed=True)
    page = PageClient(app.test_client())
    _ask_for_link(page, "ama")
    link = path_of(outbox.last_link())
    with app.app_context(), unit_of_work():
        record = db.session.scalars(select(EmailLink)).one()
        assert record.purpose == "sign_in"
        assert record.expires_at - record.created_at == timedelta(minutes=30)
        record.expires_at = record.created_at
    assert page.get(link).status_code == 404
    assert page.post_form(link, {}, page="/login").status_code == 404
    assert page.client.get_cookie("tacit_device", path="/login") is None


# -- the migration ---------------------------------------------------------------------------


def test_accounts_from_before_the_migration_are_unconfirmed_and_it_goes_back(tmp_path):
    app = create_app(TestConfig, database_url=f"sqlite:///{tmp_path / 'old.db'}",
                     OUTBOX_DIR=str(tmp_path / "o"))
    with app.app_context():
        try:
            upgrade(revision="9c2b7d4e1a30")
            with db.engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO users (id, username, username_key, email, email_key,"
                    " password_hash, display_name, role, bio_source, bio_html,"
                    " bio_markup_version, region, country, organization, languages, expertise,"
                    " reputation, verified_expert, created_at) VALUES (1, 'ada', 'ada',"
                    " 'ada@example.org', 'ada@example.org', 'x', 'Ada', 'member', '', '', 1,"
                    " '', '', '', '[]', '[]', 0, false, '2026-01-01 00:00:00')"))
            upgrade(revision="a10f2e3c4b51")
            with db.engine.begin() as conn:
                assert conn.execute(sa.text(
                    "SELECT email_confirmed_at FROM users")).all() == [(None,)]
                conn.execute(sa.text(
                    "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)"
                    " VALUES ('h', NULL, '2026-01-01 00:00:00', '2026-01-01 01:00:00')"))
            downgrade(revision="9c2b7d4e1a30")
            upgrade(revision="a10f2e3c4b51")
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 1
                assert conn.execute(sa.text(
                    "SELECT count(*) FROM password_resets")).scalar() == 0
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("path", ["/register/confirm/x", "/account/confirm-email/x",
                                  "/login/link/x"])
def test_unknown_links_are_404_pages_and_posts_need_csrf(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 404
    assert "This link is not valid any more" in response.get_data(as_text=True)
    assert anon_client.client.post(path).status_code in {400, 404}


def test_the_command_line_creates_confirmed_or_unconfirmed_accounts(app):
    runner = app.test_cli_runner()
    for name, flags in (("ada", ["--email-confirmed"]), ("bea", [])):
        result = runner.invoke(args=["users", "create", name, "--email", f"{name}@example.org",
                                     "--password", "a long enough phrase", *flags])
        assert result.exit_code == 0, result.output
    assert account(app, "ada").email_confirmed_at is not None
    assert account(app, "bea").email_confirmed_at is None
