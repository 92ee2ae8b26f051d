"""Account pages: register, log in/out, sessions, password change and reset, deletion."""

import re
from datetime import timedelta

import pytest

from config import trusted_hosts
from forum.extensions import db
from forum.models import LoginSession, PasswordReset, User
from forum.services import accounts
from forum.services.accounts import register_user
from forum.services.uow import unit_of_work
from tests.helpers import PageClient


def register(page, **overrides):
    data = {"username": "amina", "display_name": "Dr Amina Diallo",
            "email": "amina@example.org", "password": "planning familial 2026"}
    data.update(overrides)
    return page.post_form("/register", data)


def register_and_confirm(page, outbox, **overrides):
    """Register, then use the link mailed to the address (as the person would)."""
    assert register(page, **overrides).status_code == 200
    link = outbox.last_link(r"https?://\S+/register/confirm/\S+")
    return page.post_form(link.split("localhost", 1)[1], {})


def test_register_logs_in_and_shows_name(anon_client, outbox):
    response = register_and_confirm(anon_client, outbox)
    assert response.status_code == 302
    home = anon_client.get("/")
    assert "Dr Amina Diallo" in home.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Choose a username"),
        ("username", "ab", "3 to 30 characters"),
        ("username", "x" * 31, "3 to 30 characters"),
        ("username", "amina diallo", "3 to 30 characters"),
        ("username", "amïna", "3 to 30 characters"),
        ("email", "", "Enter your email address"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("password", "", "Choose a password"),
        ("password", "short", "at least 8"),
        ("password", "p" * 129, "at most 128"),
        ("password", "password1", "too common"),
        ("password", "iloveyou1", "too common"),
        ("display_name", "x" * 81, "at most 80"),
    ],
)
def test_register_refuses_bad_field_with_message(anon_client, app, field, value, message):
    response = register(anon_client, **{field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_register_refuses_duplicate_username_in_any_case_but_never_says_the_email_is_taken(
        anon_client, make_user, app, outbox):
    make_user("Amina", email="Amina@Example.org")
    response = register(anon_client, username="AMINA", email="amina@EXAMPLE.org")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This username is taken" in html
    assert "An account with this email address exists already" not in html
    # A free username with the taken address: the same answer as for a new address.
    again = register(anon_client, username="amina2", email="amina@EXAMPLE.org")
    assert again.status_code == 200 and "Check your email" in again.get_data(as_text=True)
    assert [m["To"] for m in outbox.messages()] == ["Amina@Example.org"]
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_unicode_display_name_is_kept(anon_client, outbox):
    register_and_confirm(anon_client, outbox, display_name="Nguyễn Thị Lan")
    assert "Nguyễn Thị Lan" in anon_client.get("/").get_data(as_text=True)


def test_login_with_username_or_email_in_any_case(anon_client, user, make_user):
    anon_client.login("NURSE", user["password"])
    anon_client.logout()
    anon_client.login("Nurse@EXAMPLE.org", user["password"])
    assert "Nurse Ada" in anon_client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which_part(anon_client, user):
    response = anon_client.login("nurse", "wrong password!", expect_ok=False)
    assert response.status_code == 401
    assert "Wrong username, email or password" in response.get_data(as_text=True)
    unknown = anon_client.login("nobody", "wrong password!", expect_ok=False)
    assert unknown.status_code == 401
    assert "Wrong username, email or password" in unknown.get_data(as_text=True)


def test_login_starts_fresh_session_and_pre_login_csrf_token_dies(anon_client, user):
    anon_client.get("/login")
    pre_login_token = anon_client.last_csrf
    anon_client.login(user["username"], user["password"])
    # A form posted with the token from before login is refused.
    response = anon_client.client.post(
        "/account/profile",
        data={"csrf_token": pre_login_token, "display_name": "Hijacked", "locale": "en"},
    )
    assert response.status_code == 400
    assert "Hijacked" not in anon_client.get("/account").get_data(as_text=True)
    anon_client.get("/account")
    assert anon_client.last_csrf != pre_login_token


def test_login_discards_everything_from_before(anon_client, user, app):
    with anon_client.client.session_transaction() as sess:
        sess["planted"] = "attacker value"
    anon_client.login(user["username"], user["password"])
    with anon_client.client.session_transaction() as sess:
        assert "planted" not in sess
        assert set(sess) <= {"sid", "_permanent", "csrf_token", "_flashes", "_fresh"}


def test_session_cookie_is_httponly_and_lax(anon_client, user):
    response = anon_client.login(user["username"], user["password"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def https_app(make_app):
    return make_app(HTTPS=True, SESSION_COOKIE_SECURE=True)


def test_cookie_is_secure_with_forum_https(https_app):
    with https_app.app_context():
        register_user("nurse", "nurse@example.org", "correct horse battery", system=True)
    page = PageClient(https_app.test_client())
    page.get("/login", base_url="https://localhost")
    response = page.client.post(
        "/login", base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
        data={"login": "nurse", "password": "correct horse battery", "csrf_token": page.last_csrf},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_logout_kills_the_captured_cookie(client, app):
    stolen = client.cookie()
    assert client.get("/account").status_code == 200
    client.logout()
    assert client.get("/account").status_code == 302
    # Replaying the cookie captured before logout does not bring the session back.
    client.set_cookie(stolen)
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    with app.app_context():
        record = db.session.query(LoginSession).one()
        assert record.ended_at is not None


def test_logout_is_post_only_and_needs_csrf(client):
    assert client.client.get("/logout").status_code == 405
    assert client.client.post("/logout", data={}).status_code == 400
    assert client.get("/account").status_code == 200


def test_login_required_redirects_with_safe_next(anon_client, user):
    response = anon_client.get("/account")
    assert response.status_code == 302
    assert "next=%2Faccount" in response.headers["Location"]
    login = anon_client.post_form(
        "/login?next=/account", {"login": "nurse", "password": user["password"],
                                 "next": "/account"}, page="/login?next=/account")
    assert login.headers["Location"].endswith("/account")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
     "javascript:alert(1)", "http:evil.example", "/\r\nSet-Cookie:x=1", " //evil.example"],
)
def test_next_never_leaves_the_site(anon_client, user, target):
    response = anon_client.post_form(
        "/login", {"login": "nurse", "password": user["password"], "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/", "http://localhost/") or (
        location.startswith("/") and not location.startswith("//") and "\\" not in location
    ), location


def test_change_password_ends_other_sessions_and_keeps_this_one(app, user):
    laptop = PageClient(app.test_client())
    phone = PageClient(app.test_client())
    laptop.login("nurse", user["password"])
    phone.login("nurse", user["password"])
    old_laptop_cookie = laptop.cookie()
    response = laptop.post_form(
        "/account/password",
        {"current_password": user["password"], "new_password": "a much better passphrase"},
        page="/account",
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302
    laptop.set_cookie(old_laptop_cookie)
    assert laptop.get("/account").status_code == 302
    fresh = PageClient(app.test_client())
    assert fresh.login("nurse", user["password"], expect_ok=False).status_code == 401
    fresh.login("nurse", "a much better passphrase")


def test_change_password_checks_current_and_new(client, user):
    wrong = client.post_form(
        "/account/password",
        {"current_password": "not it at all", "new_password": "a much better passphrase"},
        page="/account",
    )
    assert wrong.status_code == 422
    assert "This is not your current password" in wrong.get_data(as_text=True)
    weak = client.post_form(
        "/account/password", {"current_password": user["password"], "new_password": "password"},
        page="/account",
    )
    assert weak.status_code == 422
    assert client.get("/account").status_code == 200


def test_profile_settings_change_language(client):
    response = client.post_form("/account/profile", {"locale": "fr"}, page="/account")
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert 'lang="fr"' in page
    # The display name is on the profile's own form now (tests/test_profiles.py).
    assert 'href="/u/nurse/edit"' in page and 'name="display_name"' not in page


def test_password_reset_through_outbox(anon_client, user, outbox, app):
    response = anon_client.post_form("/password/forgot", {"email": "NURSE@example.org"})
    assert response.status_code == 302
    link = outbox.last_link()
    assert "/password/reset/" in link
    path = link.split("localhost", 1)[1]
    assert anon_client.get(path).status_code == 200
    done = anon_client.post_form(path, {"new_password": "fresh start for ada"})
    assert done.status_code == 302
    anon_client.login("nurse", "fresh start for ada")
    # Single use: the link is dead now.
    anon_client.logout()
    assert anon_client.get(path).status_code == 404
    again = anon_client.client.post(path, data={"csrf_token": anon_client.last_csrf,
                                                "new_password": "another new password"})
    assert again.status_code == 404


def test_password_reset_answers_the_same_for_unknown_address(anon_client, user, outbox):
    known = anon_client.post_form("/password/forgot", {"email": "nurse@example.org"},
                                  follow_redirects=True)
    unknown = anon_client.post_form("/password/forgot", {"email": "nobody@example.org"},
                                    follow_redirects=True)
    assert known.status_code == unknown.status_code == 200

    def flash(response):
        return re.search(r'<p class="flash[^"]*">(.*?)</p>', response.get_data(as_text=True))[1]

    assert flash(known) == flash(unknown)
    assert len(outbox.messages()) == 1


def test_password_reset_link_expires_after_an_hour(anon_client, user, outbox, app):
    anon_client.post_form("/password/forgot", {"email": "nurse@example.org"})
    path = outbox.last_link().split("localhost", 1)[1]
    with app.app_context(), unit_of_work():
        record = db.session.query(PasswordReset).one()
        assert record.expires_at - record.created_at <= timedelta(hours=1)
        record.expires_at = record.created_at - timedelta(seconds=1)
    assert anon_client.get(path).status_code == 404


def test_password_reset_ends_existing_sessions(client, app, outbox):
    other = PageClient(app.test_client())
    other.post_form("/password/forgot", {"email": "nurse@example.org"})
    path = outbox.last_link().split("localhost", 1)[1]
    other.post_form(path, {"new_password": "fresh start for ada"})
    assert client.get("/account").status_code == 302


def test_reset_mail_is_in_the_users_language(anon_client, make_user, outbox):
    make_user("awa", locale="fr")
    anon_client.post_form("/password/forgot", {"email": "awa@example.org"})
    message = outbox.messages()[-1]
    assert "mot de passe" in message["Subject"].lower()


def test_reset_request_for_another_host_is_refused_and_mails_nothing(anon_client, user, outbox,
                                                                      app):
    response = anon_client.post_form("/password/forgot", {"email": "nurse@example.org"},
                                     headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert outbox.messages() == []
    with app.app_context():
        assert db.session.query(PasswordReset).count() == 0
    # Every path, the API (in its error shape) and Socket.IO included.
    api = anon_client.client.get("/api/v1/groups", headers={"Host": "evil.example:5000"})
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "bad_request"
    polling = anon_client.client.get("/socket.io/?EIO=4&transport=polling",
                                     headers={"Host": "evil.example"})
    assert polling.status_code == 400
    # The forum's own name, with or without a port, still answers.
    assert anon_client.client.get("/login", headers={"Host": "localhost:5000"}).status_code == 200


def test_reset_link_is_built_on_base_url_not_on_the_request(make_app, user, outbox):
    app = make_app(BASE_URL="https://forum.example.org/",
                   TRUSTED_HOSTS=trusted_hosts("https://forum.example.org", "localhost"))
    page = PageClient(app.test_client())
    assert page.post_form("/password/forgot", {"email": "nurse@example.org"}).status_code == 302
    link = outbox.last_link()
    assert link.startswith("https://forum.example.org/password/reset/")
    assert page.get(link.removeprefix("https://forum.example.org")).status_code == 200


def test_without_base_url_no_reset_mail_is_sent(make_app, user, outbox):
    app = make_app(BASE_URL=None)
    with app.app_context():
        with pytest.raises(RuntimeError, match="FORUM_BASE_URL"):
            accounts.request_password_reset("nurse@example.org")
        assert db.session.query(PasswordReset).count() == 0
    assert outbox.messages() == []


def test_delete_account_keeps_row_as_deleted_user(client, app, user):
    wrong = client.post_form("/account/delete", {"password": "not my password"})
    assert wrong.status_code == 422
    stolen = client.cookie()
    response = client.post_form("/account/delete", {"password": user["password"]})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.query(User).one()
        assert row.is_deleted and row.username is None and row.email is None
        assert row.password_hash is None
        assert row.name == ""
    client.set_cookie(stolen)
    assert client.get("/account").status_code == 302
    assert client.login("nurse", user["password"], expect_ok=False).status_code == 401


def test_language_switch_in_footer(anon_client):
    response = anon_client.post_form("/language", {"lang": "fr", "next": "/login"}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert 'lang="fr"' in anon_client.get("/login").get_data(as_text=True)


def test_language_from_query_and_accept_language(anon_client):
    assert 'lang="fr"' in anon_client.get("/?lang=fr").get_data(as_text=True)
    page = anon_client.get("/", headers={"Accept-Language": "fr-SN,fr;q=0.9,en;q=0.5"})
    assert 'lang="fr"' in page.get_data(as_text=True)
    assert 'lang="en"' in anon_client.get("/").get_data(as_text=True)


def test_user_setting_beats_query_and_header(client):
    client.post_form("/account/profile", {"display_name": "Ada", "locale": "fr"}, page="/account")
    page = client.get("/?lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="fr"' in page
