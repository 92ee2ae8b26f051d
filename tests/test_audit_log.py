"""The audit log's pages and API: who sees which entries (admins all, site moderators what
they can see, group moderators their groups, members nothing), the filters, and that no
route changes an entry.

Budget: about 3 s on SQLite.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import AuditEntry, Group, User, utcnow
from forum.services import audit
from forum.services.accounts import issue_api_token
from forum.services.groups import set_group_moderator
from forum.services.uow import unit_of_work
from tests.helpers import PageClient

CANARY = "okapicanary"
PASSWORD = "correct horse battery"
PEOPLE = (("admin", "admin"), ("sitemod", "moderator"), ("groupmod", "member"),
          ("eastmod", "member"), ("bob", "member"))


@pytest.fixture
def world(app, make_user, make_group, join):
    """Three groups (one private), their moderators, and audit entries in each."""
    ids = {name: make_user(name, role=role) for name, role in PEOPLE}
    make_group("west-africa")
    make_group("east-africa")
    make_group("secret", private=True)
    join(ids["bob"], "west-africa")
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        set_group_moderator(admin, "west-africa", "groupmod")
        set_group_moderator(admin, "east-africa", "eastmod")
        groups = {g.slug: g.id for g in db.session.scalars(select(Group))}
        ids["groups"] = groups
        now = utcnow()
        with unit_of_work():
            # Only ours: the appointments above may have written entries too.
            db.session.execute(db.delete(AuditEntry))
            sitemod = db.session.get(User, ids["sitemod"])
            groupmod = db.session.get(User, ids["groupmod"])
            eastmod = db.session.get(User, ids["eastmod"])
            made = [
                audit.record(groupmod, "hide", "post", 11, group_id=groups["west-africa"],
                             reason="Rude", before={"hidden": False}, after={"hidden": True}),
                audit.record(eastmod, "lock", "question", 12, group_id=groups["east-africa"],
                             reason="Heated"),
                audit.record(admin, "hide", "question", 13, group_id=groups["secret"],
                             reason=f"The {CANARY} thread"),
                audit.record(sitemod, "suspend", "user", ids["bob"], reason="Spam wave",
                             after={"days": 3}),
            ]
            for age, entry in zip((40, 30, 20, 10), made, strict=True):
                entry.created_at = now - timedelta(days=age)
        ids["tokens"] = {name: issue_api_token(db.session.get(User, ids[name]))[0]
                         for name, _role in PEOPLE}
    return ids


def seen(api, world, who, query=""):
    response = api.get(f"/api/v1/audit{query}", token=world["tokens"][who])
    assert response.status_code == 200, response.get_json()
    return [(e["action"], e["target"], e["target_id"]) for e in response.get_json()["items"]]


def test_each_reader_sees_the_entries_of_what_they_moderate(app, api, world):
    bob = world["bob"]
    assert seen(api, world, "admin") == [("suspend", "user", bob), ("hide", "question", 13),
                                         ("lock", "question", 12), ("hide", "post", 11)]
    # The site moderator is not in the private group: its entry stays out.
    assert seen(api, world, "sitemod") == [("suspend", "user", bob), ("lock", "question", 12),
                                           ("hide", "post", 11)]
    assert seen(api, world, "groupmod") == [("hide", "post", 11)]
    assert seen(api, world, "eastmod") == [("lock", "question", 12)]
    for who in ("groupmod", "sitemod"):
        response = api.get("/api/v1/audit", token=world["tokens"][who])
        assert CANARY not in response.get_data(as_text=True)
    assert api.get("/api/v1/audit").status_code == 401
    assert api.get("/api/v1/audit", token=world["tokens"]["bob"]).status_code == 403


def test_the_audit_page_shows_the_entries_in_scope_only(app, world):
    page = PageClient(app.test_client())
    page.login("groupmod", PASSWORD)
    response = page.get("/moderation/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Rude" in html and "Heated" not in html and CANARY not in html
    assert "&#34;hidden&#34;: true" in html or "&quot;hidden&quot;: true" in html \
        or '"hidden": true' in html
    admin = PageClient(app.test_client())
    admin.login("admin", PASSWORD)
    html = admin.get("/moderation/audit").get_data(as_text=True)
    assert all(word in html for word in ("Rude", "Heated", CANARY, "Spam wave"))
    member = PageClient(app.test_client())
    member.login("bob", PASSWORD)
    assert member.get("/moderation/audit").status_code == 403


def test_filters_by_action_actor_target_group_and_dates(app, api, world):
    bob = world["bob"]
    assert seen(api, world, "admin", "?action=hide") == [("hide", "question", 13),
                                                         ("hide", "post", 11)]
    assert seen(api, world, "admin", "?actor=eastmod") == [("lock", "question", 12)]
    assert seen(api, world, "admin", "?actor=nobody") == []
    assert seen(api, world, "admin", "?target=user") == [("suspend", "user", bob)]
    assert seen(api, world, "admin", "?group=west-africa") == [("hide", "post", 11)]
    day = (utcnow() - timedelta(days=30)).date().isoformat()
    assert seen(api, world, "admin", f"?since={day}") == [
        ("suspend", "user", bob), ("hide", "question", 13), ("lock", "question", 12)]
    assert seen(api, world, "admin", f"?until={day}") == [("lock", "question", 12),
                                                          ("hide", "post", 11)]
    assert seen(api, world, "admin", f"?since={day}&until={day}") == [
        ("lock", "question", 12)]
    # Filters never widen the scope.
    assert seen(api, world, "groupmod", "?group=east-africa") == []
    assert api.get("/api/v1/audit?group=secret",
                   token=world["tokens"]["sitemod"]).status_code == 404
    bad = api.get("/api/v1/audit?since=yesterday", token=world["tokens"]["admin"])
    assert bad.status_code == 422 and "since" in bad.get_json()["error"]["fields"]
    page = PageClient(app.test_client())
    page.login("admin", PASSWORD)
    html = page.get("/moderation/audit?action=lock").get_data(as_text=True)
    assert "Heated" in html and "Rude" not in html
    response = page.get("/moderation/audit?until=31/12/2026")
    assert response.status_code == 422 and "Rude" not in response.get_data(as_text=True)


def test_entries_have_the_documented_shape(app, api, world):
    response = api.get("/api/v1/audit?action=hide&target=post", token=world["tokens"]["admin"])
    data = response.get_json()
    assert data["total"] == 1 and data["page"] == 1
    (entry,) = data["items"]
    assert set(entry) == {"id", "action", "actor", "target", "target_id", "group", "reason",
                          "before", "after", "created_at"}
    assert (entry["actor"], entry["group"], entry["reason"], entry["before"],
            entry["after"]) == ("groupmod", "west-africa", "Rude", {"hidden": False},
                                {"hidden": True})


def test_no_route_changes_an_audit_entry(app, api, world):
    with app.app_context():
        entry_id = db.session.scalar(select(AuditEntry.id).limit(1))
    # No URL rule about the audit log takes anything but reads.
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert audit_rules
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    token = world["tokens"]["admin"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/api/v1/audit", f"/api/v1/audit/{entry_id}", "/moderation/audit",
                     f"/moderation/audit/{entry_id}"):
            response = api.call(method, path, json={"reason": "changed"}, token=token)
            assert response.status_code in (404, 405), (method, path, response.status_code)
    with app.app_context():
        reasons = set(db.session.scalars(select(AuditEntry.reason)))
    assert "changed" not in reasons and "Rude" in reasons
