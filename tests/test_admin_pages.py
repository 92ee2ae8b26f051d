"""The admin pages: who may open each page and do each action (anonymous visitors, members,
group moderators, site moderators, administrators), and what each action changes, with
its audit entry.

Budget: about 15 s a pass on SQLite or PostgreSQL (measured 12 to 15 s on a loaded machine).
"""

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditEntry, Follow, Group, GroupMembership, Invitation, User
from forum.services.groups import set_group_moderator
from forum.services.moderation import suspend
from forum.services.site import create_invitation
from forum.services.uow import unit_of_work
from tests.helpers import PageClient
from tests.test_query_counts import queries_for

PASSWORD = "correct horse battery"
PEOPLE = (("admin", "admin"), ("sitemod", "moderator"), ("groupmod", "member"),
          ("member", "member"), ("bob", "member"), ("carol", "member"),
          ("dora", "member"))
WHO = ("anonymous", "member", "groupmod", "sitemod", "admin")


@pytest.fixture
def world(app, make_user, make_group, join):
    """The five kinds of people, two groups, a moderator of one, a suspended member
    (carol), an open invitation."""
    ids = {name: make_user(name, role=role) for name, role in PEOPLE}
    make_group("west-africa")
    make_group("east-africa")
    join(ids["bob"], "west-africa")
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        set_group_moderator(admin, "west-africa", "groupmod")
        set_group_moderator(admin, "east-africa", "dora")
        suspend(admin, "carol", days=3, reason="Spam wave")
        ids["invitation"] = create_invitation(admin, "new@example.org").id
    return ids


def page_client(app, who):
    page = PageClient(app.test_client())
    if who != "anonymous":
        page.login(who, PASSWORD)
    return page


def audit_count(app, action=None) -> int:
    with app.app_context():
        stmt = select(func.count(AuditEntry.id))
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return db.session.scalar(stmt)


def last_audit(app, action):
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None, f"no {action} audit entry"
        actor = db.session.get(User, entry.actor_id).username if entry.actor_id else None
        return {"actor": actor, "target_type": entry.target_type,
                "target_id": entry.target_id, "before": entry.before, "after": entry.after,
                "reason": entry.reason}


PEOPLE_PAGE = {"anonymous": 302, "member": 403, "groupmod": 403, "sitemod": 200,
               "admin": 200}
ADMIN_PAGE = {"anonymous": 302, "member": 403, "groupmod": 403, "sitemod": 403,
              "admin": 200}
PAGES = [("/admin/", PEOPLE_PAGE), ("/admin/users", PEOPLE_PAGE),
         ("/admin/users?q=bo&role=member&suspended=1", PEOPLE_PAGE),
         ("/admin/users/bob", PEOPLE_PAGE),
         ("/admin/groups", ADMIN_PAGE), ("/admin/groups/new", ADMIN_PAGE),
         ("/admin/groups/west-africa", ADMIN_PAGE), ("/admin/settings", ADMIN_PAGE),
         ("/admin/invitations", ADMIN_PAGE)]


# (path, form data, the statuses by who, the audit action a success writes)
ACTIONS = [
    ("/admin/users/bob/role", {"role": "moderator"}, "/admin/users/bob",
     {"sitemod": 403, "admin": 302}, "set_role"),
    ("/admin/users/bob/suspend", {"days": "3", "reason": "Spam"}, "/admin/users/bob",
     {"sitemod": 302, "admin": 302}, "suspend"),
    ("/admin/users/carol/unsuspend", {"reason": "Appeal accepted"}, "/admin/users/carol",
     {"sitemod": 302, "admin": 302}, "unsuspend"),
    ("/admin/users/bob/verified", {"verified": "1", "note": "Midwife, checked"},
     "/admin/users/bob", {"sitemod": 302, "admin": 302}, "verify_expert"),
    ("/admin/groups/new", {"slug": "south-asia", "name": "South Asia", "region": "Asia"},
     "/", {"admin": 302}, "create_group"),
    ("/admin/groups/west-africa", {"name": "West Africa", "region": "Africa",
                                   "premoderate_new_members": "y"},
     "/", {"admin": 302}, "edit_group"),
    ("/admin/groups/west-africa/moderators", {"username": "bob"}, "/",
     {"admin": 302}, "appoint_group_moderator"),
    ("/admin/groups/west-africa/moderators/groupmod/remove", {}, "/",
     {"admin": 302}, "remove_group_moderator"),
    ("/admin/settings", {"name": "Savoirs", "default_locale": "fr", "registration": "open"},
     "/", {"admin": 302}, "update_site_settings"),
    ("/admin/invitations", {"email": "someone@example.org", "locale": "en", "days": "7"},
     "/", {"admin": 302}, "invite"),
    ("/admin/invitations/{invitation}/revoke", {}, "/", {"admin": 302},
     "revoke_invitation"),
]


@pytest.mark.parametrize("who", WHO)
def test_who_opens_each_admin_page_and_does_each_action(app, world, who):
    """Every page, then every action in turn (in this order, each one possible after the
    ones before): refused ones write nothing."""
    client = page_client(app, who)
    for path, expected in PAGES:
        response = client.get(path)
        assert response.status_code == expected[who], (path, who, response.status_code)
        if expected[who] == 302:
            assert "/login" in response.headers["Location"]
    for path, data, page, allowed, action in ACTIONS:
        path = path.format(invitation=world["invitation"])
        before = audit_count(app, action)
        response = client.post_form(path, data, page="/" if who == "anonymous" else page)
        expected = 302 if who == "anonymous" else allowed.get(who, 403)
        assert response.status_code == expected, (who, path,
                                                  response.get_data(as_text=True)[:500])
        if who == "anonymous":
            assert "/login" in response.headers["Location"]
        written = audit_count(app, action) - before
        assert written == (1 if expected == 302 and who != "anonymous" else 0), (who, path)
        if written:
            assert last_audit(app, action)["actor"] == who


def login_admin(app):
    return page_client(app, "admin")


def test_role_change_goes_through_the_role_service(app, world):
    page = login_admin(app)
    response = page.post_form("/admin/users/bob/role", {"role": "emperor"},
                              page="/admin/users/bob")
    assert response.status_code == 422
    assert "Choose one of" in response.get_data(as_text=True)
    assert audit_count(app, "set_role") == 0
    response = page.post_form("/admin/users/bob/role", {"role": "moderator"},
                              page="/admin/users/bob")
    assert response.headers["Location"].endswith("/admin/users/bob")
    assert "is saved" in page.get("/admin/users/bob").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world["bob"]).role == "moderator"
    entry = last_audit(app, "set_role")
    assert entry["target_id"] == world["bob"]
    assert entry["before"] == {"role": "member"} and entry["after"] == {"role": "moderator"}


def test_suspend_ban_and_lift_from_the_person_page(app, world):
    page = login_admin(app)
    response = page.post_form("/admin/users/bob/suspend", {"days": "0", "reason": "x"},
                              page="/admin/users/bob")
    assert response.status_code == 422 and "from 1 to 365" in response.get_data(as_text=True)
    response = page.post_form("/admin/users/bob/suspend", {"ban": "y", "reason": "Fraud"},
                              page="/admin/users/bob")
    assert response.status_code == 302
    html = page.get("/admin/users/bob").get_data(as_text=True)
    assert "Banned: Fraud" in html
    assert last_audit(app, "ban")["target_id"] == world["bob"]
    response = page.post_form("/admin/users/bob/unsuspend", {"reason": "Cleared"},
                              page="/admin/users/bob")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world["bob"]).suspended_until is None
    assert last_audit(app, "unsuspend")["reason"] == "Cleared"


def test_administrators_cannot_be_suspended_from_the_admin_pages(app, world, make_user):
    make_user("boss2", role="admin")
    page = page_client(app, "sitemod")
    assert "Suspend" not in page.get("/admin/users/boss2").get_data(as_text=True)
    response = page.post_form("/admin/users/boss2/suspend", {"days": "2", "reason": "x"},
                              page="/admin/users/boss2")
    assert response.status_code == 403
    assert audit_count(app, "suspend") == 1  # carol's, from the fixture


def test_verified_badge_needs_a_note(app, world):
    page = login_admin(app)
    response = page.post_form("/admin/users/bob/verified", {"verified": "1", "note": ""},
                              page="/admin/users/bob")
    assert response.status_code == 422
    with app.app_context():
        assert not db.session.get(User, world["bob"]).verified_expert
    page.post_form("/admin/users/bob/verified", {"verified": "1", "note": "Checked"},
                   page="/admin/users/bob")
    with app.app_context():
        assert db.session.get(User, world["bob"]).verified_expert
    assert last_audit(app, "verify_expert")["after"] == {"verified_expert": True}


def test_people_search_filters_and_hides_emails_from_site_moderators(app, world):
    admin = login_admin(app)
    html = admin.get("/admin/users?q=EXAMPLE.ORG&role=member").get_data(as_text=True)
    assert "bob@example.org" in html and "admin@example.org" not in html
    html = admin.get("/admin/users?suspended=1").get_data(as_text=True)
    assert ">carol<" in html and ">bob<" not in html
    html = admin.get("/admin/users?q=100%25_").get_data(as_text=True)  # LIKE wildcards
    assert "Nobody matches" in html
    sitemod = page_client(app, "sitemod")
    html = sitemod.get("/admin/users?q=example.org").get_data(as_text=True)
    assert "Nobody matches" in html and "@example.org" not in html
    html = sitemod.get("/admin/users?q=bo").get_data(as_text=True)
    assert ">bob<" in html and "bob@example.org" not in html
    html = admin.get("/admin/users?q=o&role=member&per_page=2").get_data(as_text=True)
    assert 'href="/admin/users?q=o&amp;role=member&amp;per_page=2&amp;page=2"' in html
    # Nonsense filters are dropped, never a 500.
    assert sitemod.get("/admin/users?role=emperor&page=x&suspended=zz").status_code == 200


def test_people_list_takes_the_same_queries_for_7_and_37_people(app, world, make_user):
    admin = login_admin(app)
    admin.get("/admin/users?per_page=100")
    small = queries_for(app, admin, "/admin/users?per_page=100")
    for n in range(30):
        make_user(f"extra{n:02d}")
    large = queries_for(app, admin, "/admin/users?per_page=100")
    assert len(large) == len(small), (small, large)
    assert admin.get("/admin/users?per_page=100").get_data(as_text=True).count("<tr>") > 35


def test_create_a_group_with_every_setting(app, world):
    page = login_admin(app)
    response = page.post_form("/admin/groups/new", {
        "slug": "South Asia", "name": "", "region": "Asia"}, page="/admin/groups/new")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "lower-case letters" in html and "This field is required" in html
    response = page.post_form("/admin/groups/new", {
        "slug": "south-asia", "name": "South Asia", "name_fr": "Asie du Sud",
        "region": "Asia", "description": "**Nepal** and more", "private": "y",
        "premoderate_new_members": "y"}, page="/admin/groups/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/groups/south-asia")
    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.slug == "south-asia"))
        assert group.private and group.premoderate_new_members
        assert group.name_fr == "Asie du Sud"
        assert "<strong>Nepal</strong>" in group.description_html
    entry = last_audit(app, "create_group")
    assert entry["after"]["private"] is True and entry["actor"] == "admin"
    response = page.post_form("/admin/groups/new", {
        "slug": "south-asia", "name": "Again", "region": "Asia"}, page="/admin/groups/new")
    assert response.status_code == 409 and "This slug is taken" in response.get_data(
        as_text=True)


def test_edit_a_group_and_make_it_private(app, world, make_question):
    with app.app_context():
        west = db.session.scalar(select(Group.id).where(Group.slug == "west-africa"))
    question = make_question(world["member"], "west-africa")
    with app.app_context():
        with unit_of_work():  # the asker follows already
            db.session.add(Follow(user_id=world["bob"], target_type="question",
                                  target_id=question))
    page = login_admin(app)
    response = page.post_form("/admin/groups/west-africa", {
        "name": "West Africa", "name_fr": "Afrique de l'Ouest", "region": "Africa",
        "description": "New words", "private": "y"}, page="/admin/groups/west-africa")
    assert response.status_code == 302
    with app.app_context():
        group = db.session.get(Group, west)
        assert group.private and not group.premoderate_new_members
        assert group.name_fr == "Afrique de l'Ouest" and group.region == "Africa"
        followers = set(db.session.scalars(select(Follow.user_id).where(
            Follow.target_type == "question", Follow.target_id == question)))
    # bob is a member and keeps following; the asker (not a member) no longer reads it.
    assert world["bob"] in followers and world["member"] not in followers
    entry = last_audit(app, "edit_group")
    assert entry["before"]["private"] is False and entry["after"]["private"] is True
    assert entry["after"]["description"] == "New words"
    assert "premoderate_new_members" not in entry["after"]  # unchanged
    response = page.post_form("/admin/groups/west-africa", {
        "name": "", "region": "Africa"}, page="/admin/groups/west-africa")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Group, west).name == "West Africa"


def test_appoint_and_remove_group_moderators(app, world):
    page = login_admin(app)
    response = page.post_form("/admin/groups/east-africa/moderators", {"username": "bob"},
                              page="/admin/groups/east-africa")
    assert response.status_code == 302
    html = page.get("/admin/groups/east-africa").get_data(as_text=True)
    assert "bob is now a moderator" in html and "@bob" in html
    with app.app_context():
        role = db.session.scalar(select(GroupMembership.role).join(Group).where(
            Group.slug == "east-africa", GroupMembership.user_id == world["bob"]))
    assert role == "moderator"
    assert last_audit(app, "appoint_group_moderator")["target_id"] == world["bob"]
    response = page.post_form("/admin/groups/east-africa/moderators", {"username": "nobody"},
                              page="/admin/groups/east-africa")
    assert response.status_code == 302
    assert "No such user" in page.get("/admin/groups/east-africa").get_data(as_text=True)
    page.post_form("/admin/groups/east-africa/moderators/bob/remove", {},
                   page="/admin/groups/east-africa")
    with app.app_context():
        role = db.session.scalar(select(GroupMembership.role).join(Group).where(
            Group.slug == "east-africa", GroupMembership.user_id == world["bob"]))
    assert role == "member"
    assert last_audit(app, "remove_group_moderator")["after"] == {"group_role": "member"}


def test_invite_revoke_and_list(app, world, outbox):
    page = login_admin(app)
    response = page.post_form("/admin/invitations", {"email": "not-an-address",
                                                     "locale": "en", "days": "7"})
    assert response.status_code == 422
    response = page.post_form("/admin/invitations", {"email": "bob@example.org",
                                                     "locale": "en", "days": "7"})
    assert response.status_code == 422 and "exists already" in response.get_data(as_text=True)
    response = page.post_form("/admin/invitations", {"email": "Amina@Example.org",
                                                     "locale": "fr", "days": "500"})
    assert response.status_code == 422 and "from 1 to 90" in response.get_data(as_text=True)
    response = page.post_form("/admin/invitations", {"email": "Amina@Example.org",
                                                     "locale": "fr", "days": "7"})
    assert response.status_code == 302
    message = outbox.messages()[-1]
    assert message["To"] == "Amina@Example.org"
    assert re.search(r"http://localhost/register\?invitation=\S+", message.get_content())
    entry = last_audit(app, "invite")
    assert entry["after"]["email"] == "amina@example.org"
    html = page.get("/admin/invitations").get_data(as_text=True)
    assert "amina@example.org" in html and "Open until" in html
    with app.app_context():
        ident = db.session.scalar(select(Invitation.id).where(
            Invitation.email == "amina@example.org"))
    page.post_form(f"/admin/invitations/{ident}/revoke", {}, page="/admin/invitations")
    assert last_audit(app, "revoke_invitation")["target_id"] == ident
    html = page.get("/admin/invitations").get_data(as_text=True)
    assert "Revoked" in html
    response = page.post_form(f"/admin/invitations/{ident}/revoke", {},
                              page="/admin/invitations")
    assert response.status_code == 302
    assert "revoked or expired already" in page.get("/admin/invitations").get_data(as_text=True)
    assert page.post_form("/admin/invitations/99999/revoke", {},
                          page="/admin/invitations").status_code == 404


def test_forms_without_csrf_are_refused(app, world):
    page = login_admin(app)
    for path, data in (("/admin/users/bob/role", {"role": "admin"}),
                       ("/admin/settings", {"name": "X", "default_locale": "en",
                                            "registration": "open"}),
                       ("/admin/invitations", {"email": "x@example.org"})):
        assert page.client.post(path, data=data).status_code == 400
    with app.app_context():
        assert db.session.get(User, world["bob"]).role == "member"


def test_nonsense_input_gets_4xx_never_500_and_writes_nothing(app, world):
    page, visitor = login_admin(app), PageClient(app.test_client())
    before = audit_count(app)
    for value in ("\x00", "a" * 10000):
        for path, data in [
                ("/admin/users/bob/role", {"role": value}),
                ("/admin/users/bob/suspend", {"days": value, "reason": value, "ban": value}),
                ("/admin/users/bob/verified", {"verified": value, "note": value}),
                ("/admin/groups/new", {"slug": value, "name": value, "region": value}),
                ("/admin/groups/west-africa", {"name": value, "region": value}),
                ("/admin/settings", {"name": value, "welcome": value,
                                     "default_locale": value, "registration": value}),
                ("/admin/invitations", {"email": value, "locale": value, "days": value})]:
            response = page.post_form(path, data, page="/admin/")
            assert 400 <= response.status_code < 500, (path, response.status_code)
        response = visitor.post_form(f"/register?invitation={value}",
                                     {"invitation": value, "username": value}, page="/")
        assert 400 <= response.status_code < 500, response.status_code
        for path in (f"/admin/users?q={value}&page={value}", f"/admin/users/{value}",
                     f"/admin/groups/{value}"):
            assert page.get(path).status_code in (200, 400, 404), path
    assert audit_count(app) == before
