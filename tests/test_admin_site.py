"""The site's settings as visitors meet them (name, welcome text, default language), how a
change reaches every process without a query per request, and registration by invitation
on the register page and the API (refused without, accepted with, spent once, expired,
revoked).

Budget: about 15 s a pass on SQLite or PostgreSQL (measured 12 to 15 s on a loaded machine).
"""

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.errors import ServiceError
from forum.extensions import db
from forum.markup import MARKUP_VERSION
from forum.models import (
    AuditEntry,
    Invitation,
    PendingRegistration,
    SiteSettings,
    User,
    utcnow,
)
from forum.services import registration, site
from forum.services.accounts import register_user
from forum.services.uow import unit_of_work
from tests.helpers import ApiClient, PageClient, drop_redis_keys, redis_reachable
from tests.test_query_counts import queries_for

PASSWORD = "correct horse battery"
NEW_PASSWORD = "planning familial 2026"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def admin_id(make_user):
    """An administrator, `boss`."""
    return make_user("boss", role="admin")


def save_settings(app, admin_id, **values):
    settings = {"name": "Tacit", "welcome": "", "welcome_fr": "", "default_locale": "en",
                "registration": "open"}
    settings.update(values)
    with app.app_context():
        return site.update_settings(db.session.get(User, admin_id), **settings)


def invite(app, admin_id, email="amina@example.org", outbox=None):
    """Invite `email`; returns the link's token (read from the mail when `outbox`)."""
    with app.app_context():
        invitation = site.create_invitation(db.session.get(User, admin_id), email)
        ident = invitation.id
    body = outbox.messages()[-1].get_content()
    token = re.search(r"/register\?invitation=(\S+)", body).group(1)
    return ident, token


# -- name, welcome text, default language -------------------------------------------------


def test_the_name_and_welcome_text_show_on_the_pages(app, admin_id, anon_client):
    html = anon_client.get("/").get_data(as_text=True)
    assert '<a class="brand" href="/">Tacit</a>' in html
    admin = PageClient(app.test_client())
    admin.login("boss", PASSWORD)
    response = admin.post_form("/admin/settings", {
        "name": "Savoirs partagés", "welcome": "**Hello** colleagues <script>x()</script>",
        "welcome_fr": "Bonjour *collègues*", "default_locale": "en",
        "registration": "open"})
    assert response.status_code == 302
    assert "The settings are saved" in admin.get("/admin/settings").get_data(as_text=True)
    html = anon_client.get("/").get_data(as_text=True)
    assert '<a class="brand" href="/">Savoirs partagés</a>' in html
    assert "· Savoirs partagés</title>" in html
    assert "<strong>Hello</strong> colleagues" in html and "<script>x()" not in html
    assert "Tacit is where family-planning" not in html  # the welcome text replaces it
    assert "Join Savoirs partagés" in html
    html = anon_client.get("/?lang=fr").get_data(as_text=True)
    assert "Bonjour <em>collègues</em>" in html and "<strong>Hello</strong>" not in html
    html = anon_client.get("/questions").get_data(as_text=True)
    assert "Savoirs partagés</a>" in html and "Hello" not in html
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "update_site_settings"))
        assert entry.actor_id == admin_id
        assert entry.before == {"name": "Tacit", "welcome": "", "welcome_fr": ""}
        assert entry.after["name"] == "Savoirs partagés"
        assert set(entry.after) == {"name", "welcome", "welcome_fr"}


def test_the_default_language_is_for_visitors_whose_browser_asks_for_none_we_have(
        app, admin_id, make_user):
    make_user("anglo", locale="en")
    visitor = app.test_client()

    def lang(**headers):
        html = visitor.get("/questions", headers=headers).get_data(as_text=True)
        return re.search(r'<html lang="(\w+)"', html).group(1)

    assert lang(**{"Accept-Language": "sw"}) == "en"
    save_settings(app, admin_id, default_locale="fr")
    assert lang(**{"Accept-Language": "sw, pt;q=0.5"}) == "fr"
    assert lang() == "fr"
    assert lang(**{"Accept-Language": "en-GB"}) == "en"  # the browser's choice first
    member = PageClient(app.test_client())
    member.login("anglo", PASSWORD)
    html = member.get("/questions", headers={"Accept-Language": "sw"}).get_data(as_text=True)
    assert '<html lang="en">' in html  # a member's own setting first


def test_bad_settings_are_shown_on_the_form_and_change_nothing(app, admin_id):
    admin = PageClient(app.test_client())
    admin.login("boss", PASSWORD)
    response = admin.post_form("/admin/settings", {
        "name": "  ", "welcome": "x" * 5001, "default_locale": "de",
        "registration": "closed"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required" in html and "at most 5000" in html
    assert "Choose English or French" in html and "open registration or by invitation" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
        assert site.current().name == "Tacit"


def test_pages_read_the_settings_without_a_query(app, admin_id, anon_client):
    save_settings(app, admin_id, name="Savoirs")
    anon_client.get("/questions")
    statements = queries_for(app, anon_client, "/questions")
    assert not [s for s in statements if "site_settings" in s], statements
    assert "Savoirs" in anon_client.get("/questions").get_data(as_text=True)


def test_another_app_sees_a_change_within_its_ttl_without_redis(app, make_app, admin_id):
    other = make_app(SITE_SETTINGS_SECONDS=0.5)
    client = other.test_client()
    assert "Tacit</a>" in client.get("/questions").get_data(as_text=True)
    save_settings(app, admin_id, name="Renamed")
    deadline = time.monotonic() + 5
    while "Renamed</a>" not in client.get("/questions").get_data(as_text=True):
        assert time.monotonic() < deadline, "the other app never saw the change"
        time.sleep(0.1)


@pytest.mark.skipif(not redis_reachable(REDIS), reason="needs Redis at 127.0.0.1:6379")
def test_another_process_sees_a_change_within_a_second_through_redis(make_app, make_user):
    prefix = f"tacit-admin-test-{time.monotonic_ns()}"
    first = make_app(REDIS_URL=REDIS, REDIS_PREFIX=prefix)
    second = make_app(REDIS_URL=REDIS, REDIS_PREFIX=prefix)
    try:
        with first.app_context():
            boss = register_user("chief", "chief@example.org", PASSWORD, role="admin",
                                 system=True).id
        client = second.test_client()
        assert "Tacit</a>" in client.get("/questions").get_data(as_text=True)
        with first.app_context():
            site.update_settings(db.session.get(User, boss), name="Across",
                                 welcome="", welcome_fr="", default_locale="en",
                                 registration="open")
        started = time.monotonic()
        while "Across</a>" not in client.get("/questions").get_data(as_text=True):
            assert time.monotonic() - started < 3, "the change did not cross processes"
            time.sleep(0.05)
        print(f"seen by the other app after {time.monotonic() - started:.2f} s")
    finally:
        drop_redis_keys(prefix, REDIS)


def test_old_welcome_texts_are_rendered_again_for_markup_rerender(app, admin_id,
                                                                 anon_client):
    save_settings(app, admin_id, welcome="**Bold** start")
    with app.app_context():
        assert site.rerender_welcome() == 0  # rendered by this version already
        with unit_of_work():
            row = db.session.get(SiteSettings, 1)
            row.welcome_html, row.markup_version = "<p>stale</p>", 1
    assert "stale" not in anon_client.get("/").get_data(as_text=True)  # the copy, not SQL
    with app.app_context():
        assert site.rerender_welcome() == 1
        assert db.session.get(SiteSettings, 1).markup_version == MARKUP_VERSION
    html = anon_client.get("/").get_data(as_text=True)
    assert "<strong>Bold</strong> start" in html and "stale" not in html


# -- registration by invitation -------------------------------------------------------------


def register_form(page, token=None, **overrides):
    data = {"username": "amina", "display_name": "Dr Amina", "password": NEW_PASSWORD}
    data.update(overrides)
    path = "/register" if token is None else f"/register?invitation={token}"
    if token is not None:
        data["invitation"] = token
    return page.post_form("/register", data, page=path)


def test_invitation_only_registration_refuses_without_an_invitation(app, admin_id, outbox):
    save_settings(app, admin_id, registration="invitation")
    page = PageClient(app.test_client())
    html = page.get("/register").get_data(as_text=True)
    assert "Registration is by invitation only" in html and 'name="password"' not in html
    response = register_form(page, email="amina@example.org")
    assert response.status_code == 403
    api = ApiClient(app.test_client())
    response = api.post("/api/v1/users", {"username": "amina", "email": "amina@example.org",
                                          "password": NEW_PASSWORD})
    assert response.status_code == 403
    assert "by invitation only" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(PendingRegistration.id))) == 0
        assert db.session.scalar(select(func.count(User.id))) == 1
    assert outbox.messages() == []


def test_an_invitation_registers_once_signed_in_and_confirmed(app, admin_id, outbox):
    save_settings(app, admin_id, registration="invitation")
    ident, token = invite(app, admin_id, outbox=outbox)
    assert outbox.messages()[-1]["Subject"] == "You are invited to join Tacit"
    page = PageClient(app.test_client())
    html = page.get(f"/register?invitation={token}").get_data(as_text=True)
    assert "amina@example.org" in html and 'name="email"' not in html
    response = register_form(page, token, username="x")  # too short: kept unspent
    assert response.status_code == 422
    response = register_form(page, token)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    assert "Welcome to Tacit, Dr Amina!" in page.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "amina"))
        assert user.email == "amina@example.org" and user.email_confirmed_at is not None
        invitation = db.session.get(Invitation, ident)
        assert invitation.used_by_id == user.id and invitation.used_at is not None
    # Spent: a second use is refused, and nothing more is created.
    other = PageClient(app.test_client())
    assert other.get(f"/register?invitation={token}").status_code == 404
    response = register_form(other, token, username="amina2")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2


def test_two_registrations_racing_on_one_invitation_make_one_account(app, admin_id, outbox):
    ident, token = invite(app, admin_id, outbox=outbox)
    start, results = threading.Barrier(2), {}

    def register(username):
        with app.app_context():
            start.wait()
            try:
                registration.register_with_invitation(token, username, NEW_PASSWORD)
            except ServiceError as error:
                results[username] = error.status
            else:
                results[username] = 201

    threads = [threading.Thread(target=register, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # The loser finds the link spent (404) or the address taken meanwhile (409).
    statuses = sorted(results.values())
    assert statuses[0] == 201 and statuses[1] in (404, 409), results
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2  # the admin and one
        winner = db.session.scalar(select(User.id).where(User.username.in_(results)))
        assert db.session.get(Invitation, ident).used_by_id == winner


def test_expired_and_revoked_invitations_are_refused(app, admin_id, outbox):
    save_settings(app, admin_id, registration="invitation")
    old, old_token = invite(app, admin_id, "old@example.org", outbox=outbox)
    revoked, revoked_token = invite(app, admin_id, "gone@example.org", outbox=outbox)
    with app.app_context():
        with unit_of_work():
            db.session.get(Invitation, old).expires_at = utcnow() - timedelta(minutes=1)
        site.revoke_invitation(db.session.get(User, admin_id), revoked)
    for token in (old_token, revoked_token, "made-up-token"):
        page = PageClient(app.test_client())
        assert page.get(f"/register?invitation={token}").status_code == 404
        assert register_form(page, token).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_new_invitation_to_the_same_address_replaces_the_old_one(app, admin_id, outbox):
    first, first_token = invite(app, admin_id, outbox=outbox)
    second, second_token = invite(app, admin_id, outbox=outbox)
    page = PageClient(app.test_client())
    assert page.get(f"/register?invitation={first_token}").status_code == 404
    assert page.get(f"/register?invitation={second_token}").status_code == 200
    with app.app_context():
        assert db.session.get(Invitation, first).revoked_at is not None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target_id == second,
                                                           AuditEntry.action == "invite"))
        assert entry.after["replaced"] == 1


def test_a_registration_asked_while_open_needs_an_invitation_once_closed(app, admin_id,
                                                                         outbox):
    page = PageClient(app.test_client())
    response = page.post_form("/register", {"username": "amina", "email": "amina@example.org",
                                            "password": NEW_PASSWORD})
    assert response.status_code == 200
    link = re.search(r"http://localhost(/register/confirm/\S+)",
                     outbox.messages()[-1].get_content()).group(1)
    save_settings(app, admin_id, registration="invitation")
    response = page.post_form(link, {})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "amina")) is None
        assert db.session.scalar(select(func.count(PendingRegistration.id))) == 1
    ident, _token = invite(app, admin_id, outbox=outbox)
    assert page.post_form(link, {}).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "amina"))
        assert db.session.get(Invitation, ident).used_by_id == user.id


def test_open_registration_still_takes_invitations(app, admin_id, outbox):
    ident, token = invite(app, admin_id, outbox=outbox)
    page = PageClient(app.test_client())
    assert 'name="email"' in page.get("/register").get_data(as_text=True)
    assert register_form(page, token).status_code == 302
    with app.app_context():
        assert db.session.get(Invitation, ident).used_at is not None


def test_the_admin_pages_and_the_invitation_mail_speak_french(app, make_user, outbox):
    make_user("patronne", role="admin", locale="fr")
    admin = PageClient(app.test_client())
    admin.login("patronne", PASSWORD)
    html = admin.get("/admin/settings").get_data(as_text=True)
    assert "Réglages du site" in html and "Sur invitation uniquement" in html
    response = admin.post_form("/admin/invitations", {"email": "awa@example.org",
                                                      "locale": "fr", "days": "3"},
                               page="/admin/invitations")
    assert response.status_code == 302
    message = outbox.messages()[-1]
    assert message["Subject"] == "Vous êtes invité à rejoindre Tacit"
    assert "dans les 3 jours" in message.get_content()
    html = admin.get("/admin/invitations").get_data(as_text=True)
    assert "Valable jusqu'au" in html and "Envoyée le" in html
