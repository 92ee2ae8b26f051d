"""Regional groups, complete: group moderators, join requests for private groups, the group
and members pages, French names and descriptions, Atom feeds, and what none of them may leak
of a private group.

Budget: about 30 s on SQLite, the same on PostgreSQL.
"""

import xml.etree.ElementTree as ET

import pytest

from forum import permissions
from forum.extensions import db
from forum.models import Group, GroupJoinRequest, GroupMembership, User
from forum.services import groups as groups_service
from forum.services.accounts import issue_api_token
from forum.services.feeds import FEED_SIZE
from tests.helpers import ApiClient, PageClient
from tests.test_hardening import InlineFinder
from tests.test_query_counts import counting

PASSWORD = "correct horse battery"
CANARY = "quokkacanary"  # in the private group's description, questions and tags
NAME = "Inner circle of trainers"  # the private group's name: only its join page shows it
ATOM = "{http://www.w3.org/2005/Atom}"
PRIVATE_REQUESTS = "/api/v1/groups/inner-circle/requests"


@pytest.fixture
def app_config():
    """Posting limits off."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def people(app, make_user, make_group, join):
    """Two private groups and a public one, and people in every role toward them:
    {name: {"id", "token"}}. `gmod` moderates inner-circle, `othermod` other-circle."""
    found = {}
    for name, role in [("admin", "admin"), ("member", "member"), ("insider", "member"),
                       ("gmod", "member"), ("othermod", "member"), ("sitemod", "moderator")]:
        user_id = make_user(name, role=role)
        with app.app_context():
            token, _record = issue_api_token(db.session.get(User, user_id))
        found[name] = {"id": user_id, "token": token}
    make_group("inner-circle", name=NAME, private=True,
               description=f"Curricula and {CANARY} checklists.")
    make_group("other-circle", private=True, description="Another closed group.")
    make_group("west-africa")
    for name in ("insider", "gmod"):
        join(found[name]["id"], "inner-circle", private=True)
    join(found["othermod"]["id"], "other-circle", private=True)
    with app.app_context():
        admin = db.session.get(User, found["admin"]["id"])
        groups_service.set_group_moderator(admin, "inner-circle", "gmod")
        groups_service.set_group_moderator(admin, "other-circle", "othermod")
    return found


@pytest.fixture
def browser(app, people):
    """A page client logged in as one of `people` (anonymous for None)."""

    def open_as(username, lang=None):
        page = PageClient(app.test_client())
        if username:
            page.login(username, PASSWORD)
        return page

    return open_as


def text(response) -> str:
    return response.get_data(as_text=True)


def member_names(app, slug) -> set[str]:
    with app.app_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == slug))
        names = set(db.session.scalars(
            db.select(User.username).join(GroupMembership,
                                          GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group.id)))
        assert group.member_count == len(names)
        return names


def roles(app, slug) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(
            db.select(User.username, GroupMembership.role)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .join(Group, Group.id == GroupMembership.group_id).where(Group.slug == slug)).all())


# -- who moderates a group ---------------------------------------------------------------


@pytest.mark.parametrize(("who", "private_group", "public_group"), [
    ("member", False, False),      # no membership of the private group, plain member
    ("insider", False, False),     # a member of the private group, not its moderator
    ("gmod", True, False),         # this group's moderator; not of the public group
    ("othermod", False, False),    # a moderator of another group
    ("sitemod", False, True),      # site moderators: the groups they can see
    ("admin", True, True),
    (None, False, False),          # anonymous
])
def test_who_moderates_a_group(app, people, who, private_group, public_group):
    with app.app_context():
        user = db.session.get(User, people[who]["id"]) if who else None
        for slug, expected in (("inner-circle", private_group), ("west-africa", public_group)):
            group = db.session.scalar(db.select(Group).where(Group.slug == slug))
            membership = groups_service.membership_of(user, group)
            assert permissions.can_moderate_group(user, group, membership) is expected, slug
            assert groups_service.can_moderate(user, group) is expected
        # Another group's moderator membership passed by mistake grants nothing.
        other = db.session.scalar(db.select(Group).where(Group.slug == "other-circle"))
        inner = db.session.scalar(db.select(Group).where(Group.slug == "inner-circle"))
        if who == "othermod":
            assert not permissions.can_moderate_group(
                user, inner, groups_service.membership_of(user, other))


@pytest.mark.parametrize(("who", "status"), [
    ("member", 403), ("insider", 403), ("gmod", 200), ("othermod", 403), ("sitemod", 403),
    ("admin", 200), (None, 401),
])
def test_only_the_groups_moderators_read_its_join_requests(api, people, who, status):
    token = people[who]["token"] if who else None
    response = api.get(PRIVATE_REQUESTS, token=token)
    assert response.status_code == status
    # Outsiders get the same answer for a group that does not exist: no existence oracle.
    if who in ("member", "othermod", "sitemod"):
        assert api.get("/api/v1/groups/no-such-circle/requests",
                       token=token).status_code == 403


# -- group moderators at work -------------------------------------------------------------


def test_group_moderator_adds_and_removes_members_of_their_group_only(api, app, people):
    gmod = people["gmod"]["token"]
    added = api.put("/api/v1/groups/inner-circle/members/member", token=gmod)
    assert added.status_code == 200 and added.get_json()["member_count"] == 3
    assert member_names(app, "inner-circle") == {"insider", "gmod", "member"}
    assert api.delete("/api/v1/groups/inner-circle/members/insider",
                      token=gmod).status_code == 200
    assert member_names(app, "inner-circle") == {"gmod", "member"}
    # Not in another group, and an ordinary member of the group cannot either.
    assert api.put("/api/v1/groups/other-circle/members/member", token=gmod).status_code == 403
    assert api.put("/api/v1/groups/inner-circle/members/insider",
                   token=people["member"]["token"]).status_code == 403
    assert member_names(app, "other-circle") == {"othermod"}
    assert member_names(app, "inner-circle") == {"gmod", "member"}


def test_group_moderator_edits_descriptions_but_only_admins_rename(api, app, people):
    gmod = people["gmod"]["token"]
    edited = api.call("PATCH", "/api/v1/groups/inner-circle", token=gmod, json={
        "description": "Checklists **first**.", "description_fr": "Les *grilles* d'abord."})
    assert edited.status_code == 200
    body = edited.get_json()
    assert body["description_html"] == "<p>Checklists <strong>first</strong>.</p>"
    assert body["description_fr_html"] == "<p>Les <em>grilles</em> d'abord.</p>"
    renamed = api.call("PATCH", "/api/v1/groups/inner-circle", token=gmod,
                       json={"name": "Mine now"})
    assert renamed.status_code == 403
    assert api.call("PATCH", "/api/v1/groups/inner-circle", token=people["insider"]["token"],
                    json={"description": "x"}).status_code == 403
    as_admin = api.call("PATCH", "/api/v1/groups/inner-circle", token=people["admin"]["token"],
                        json={"name_fr": "Cercle des formateurs"})
    assert as_admin.status_code == 200 and as_admin.get_json()["name_fr"] == \
        "Cercle des formateurs"
    with app.app_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == "inner-circle"))
        assert group.name == NAME and group.description_source == "Checklists **first**."


@pytest.mark.parametrize(("payload", "status"), [
    ({"name": ""}, 422),
    ({"description": 5}, 422),
    ({"description_fr": "x" * 5001}, 422),
    ({"name_fr": "bad\u0000name"}, 422),
    ({"slug": "renamed"}, 422),          # not a field you may change
    ({"private": False}, 422),
])
def test_bad_group_edits_are_refused_and_change_nothing(api, app, people, payload, status):
    response = api.call("PATCH", "/api/v1/groups/inner-circle",
                        token=people["admin"]["token"], json=payload)
    assert response.status_code == status
    with app.app_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == "inner-circle"))
        assert (group.name, group.name_fr, group.private) == (NAME, "", True)


def test_site_staff_appoint_and_remove_group_moderators(api, app, people):
    admin, sitemod = people["admin"]["token"], people["sitemod"]["token"]
    # An admin appoints someone who was not a member: they become one, as its moderator.
    appointed = api.put("/api/v1/groups/inner-circle/moderators/member", token=admin)
    assert appointed.status_code == 200
    assert appointed.get_json() == {"username": "member", "group_role": "moderator"}
    assert roles(app, "inner-circle")["member"] == "moderator"
    removed = api.delete("/api/v1/groups/inner-circle/moderators/member", token=admin)
    assert removed.get_json() == {"username": "member", "group_role": "member"}
    assert roles(app, "inner-circle")["member"] == "member"  # still a member
    # A site moderator appoints in the public groups; not in a private one they are not in.
    assert api.put("/api/v1/groups/west-africa/moderators/insider",
                   token=sitemod).status_code == 200
    assert roles(app, "west-africa") == {"insider": "moderator"}
    assert api.put("/api/v1/groups/inner-circle/moderators/insider",
                   token=sitemod).status_code == 403
    # Group moderators do not appoint others, members neither; unknown names are 404.
    for who in ("gmod", "insider"):
        assert api.put("/api/v1/groups/inner-circle/moderators/insider",
                       token=people[who]["token"]).status_code == 403
    assert roles(app, "inner-circle")["insider"] == "member"
    assert api.put("/api/v1/groups/inner-circle/moderators/nobody",
                   token=admin).status_code == 404
    assert api.delete("/api/v1/groups/west-africa/moderators/member",
                      token=admin).status_code == 404  # not a member
    assert api.put("/api/v1/groups/inner-circle/moderators/insider").status_code == 401


def test_admin_appoints_a_group_moderator_from_the_group_page(app, browser, people):
    admin = browser("admin")
    page = text(admin.get("/groups/inner-circle"))
    assert "Appoint a group moderator" in page
    response = admin.post_form("/groups/inner-circle/moderators", {"username": "insider"},
                               page="/groups/inner-circle")
    assert response.status_code == 302
    assert roles(app, "inner-circle")["insider"] == "moderator"
    response = admin.post_form("/groups/inner-circle/moderators/insider/remove", {},
                               page="/groups/inner-circle")
    assert response.status_code == 302
    assert roles(app, "inner-circle")["insider"] == "member"
    # Not offered to a group moderator, and refused if posted anyway.
    gmod = browser("gmod")
    assert "Appoint a group moderator" not in text(gmod.get("/groups/inner-circle"))
    assert gmod.post_form("/groups/inner-circle/moderators", {"username": "insider"},
                          page="/groups/inner-circle").status_code == 403
    assert roles(app, "inner-circle")["insider"] == "member"


# -- join requests --------------------------------------------------------------------------


def test_join_request_is_approved_over_the_api(api, app, people):
    member, gmod = people["member"]["token"], people["gmod"]["token"]
    sent = api.post(PRIVATE_REQUESTS, {"message": "I run the Kumasi course."}, token=member)
    assert sent.status_code == 201
    created = sent.get_json()
    assert created["state"] == "pending" and created["user"]["username"] == "member"
    assert api.post(PRIVATE_REQUESTS, {}, token=member).status_code == 409  # one pending
    listed = api.get(PRIVATE_REQUESTS, token=gmod).get_json()
    assert listed["total"] == 1 and listed["items"][0]["message"] == "I run the Kumasi course."
    # Still invisible until approved.
    assert api.get("/api/v1/groups/inner-circle", token=member).status_code == 404
    approved = api.post(f"{PRIVATE_REQUESTS}/{created['id']}/approve", token=gmod)
    assert approved.status_code == 200 and approved.get_json()["state"] == "approved"
    assert "member" in member_names(app, "inner-circle")
    assert api.get("/api/v1/groups/inner-circle", token=member).get_json()["following"]
    assert api.post(f"{PRIVATE_REQUESTS}/{created['id']}/refuse", token=gmod).status_code == 409
    assert api.get(PRIVATE_REQUESTS, token=gmod).get_json()["total"] == 0
    assert api.post(PRIVATE_REQUESTS, token=member).status_code == 409  # a member already


def test_refused_request_adds_nobody_and_may_be_asked_again(api, app, people):
    member, gmod = people["member"]["token"], people["gmod"]["token"]
    first = api.post(PRIVATE_REQUESTS, token=member).get_json()  # no body: no message
    assert first["message"] == ""
    refused = api.post(f"{PRIVATE_REQUESTS}/{first['id']}/refuse", token=gmod)
    assert refused.status_code == 200 and refused.get_json()["state"] == "refused"
    assert "member" not in member_names(app, "inner-circle")
    again = api.post(PRIVATE_REQUESTS, {"message": "Please?"}, token=member)
    assert again.status_code == 201 and again.get_json()["id"] != first["id"]
    # Another group's moderator cannot decide it, nor through their own group's address.
    other = people["othermod"]["token"]
    request_id = again.get_json()["id"]
    assert api.post(f"{PRIVATE_REQUESTS}/{request_id}/approve", token=other).status_code == 403
    assert api.post(f"/api/v1/groups/other-circle/requests/{request_id}/approve",
                    token=other).status_code == 404
    assert "member" not in member_names(app, "inner-circle")


@pytest.mark.parametrize(("method", "path", "payload", "status"), [
    ("POST", PRIVATE_REQUESTS, {"message": "x" * 1001}, 422),
    ("POST", PRIVATE_REQUESTS, {"message": 12}, 422),
    ("POST", PRIVATE_REQUESTS, {"note": "hi"}, 422),
    ("POST", PRIVATE_REQUESTS, ["hi"], 400),
    ("POST", "/api/v1/groups/west-africa/requests", {}, 409),  # open: join it directly
    ("POST", "/api/v1/groups/nowhere/requests", {}, 404),
    ("POST", f"{PRIVATE_REQUESTS}/99999999999/approve", None, 404),
    ("POST", f"{PRIVATE_REQUESTS}/1/maybe", None, 404),
    ("POST", f"{PRIVATE_REQUESTS}/999/approve", None, 404),
    ("POST", "/api/v1/groups/inner%00circle/requests", {}, 400),  # refused before lookup
])
def test_bad_join_requests_are_refused(api, app, people, method, path, payload, status):
    token = people["gmod" if "/approve" in path or "/maybe" in path else "member"]["token"]
    response = api.call(method, path, json=payload, token=token)
    assert response.status_code == status, response.get_json()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(GroupJoinRequest.id))) == 0


def test_join_link_page_shows_the_name_only_and_sends_a_request(app, browser, people,
                                                                 make_question):
    make_question(people["insider"]["id"], "inner-circle", title=f"Secret {CANARY} rota",
                  tags=(CANARY,))
    outsider = browser("member")
    assert outsider.get("/groups/inner-circle").status_code == 404
    page = outsider.get("/groups/inner-circle/request")
    assert page.status_code == 200
    html = text(page)
    assert NAME in html and CANARY not in html and "insider" not in html
    sent = outsider.post_form("/groups/inner-circle/request", {"message": "I teach PPIUCD."})
    assert sent.status_code == 302
    assert "waiting for the group" in text(outsider.get("/groups/inner-circle/request"))
    again = outsider.post_form("/groups/inner-circle/request", {"message": "again"},
                               page="/groups/inner-circle/request")
    assert again.status_code == 409
    # The group's moderator sees it on the group page and approves it there.
    gmod = browser("gmod")
    group_page = text(gmod.get("/groups/inner-circle"))
    assert "Requests to join" in group_page and "I teach PPIUCD." in group_page
    with app.app_context():
        request_id = db.session.scalar(db.select(GroupJoinRequest.id))
    approve = f"/groups/inner-circle/requests/{request_id}/approve"
    # Its other members see neither the requests nor the buttons; posting is refused.
    insider = browser("insider")
    assert "Requests to join" not in text(insider.get("/groups/inner-circle"))
    assert insider.post_form(approve, {}, page="/groups/inner-circle").status_code == 403
    assert gmod.post_form(approve, {}, page="/groups/inner-circle").status_code == 302
    assert "member" in member_names(app, "inner-circle")
    assert CANARY in text(outsider.get("/groups/inner-circle"))
    # Anonymous visitors are sent to log in; unknown groups are 404.
    anonymous = browser(None).get("/groups/inner-circle/request")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert outsider.get("/groups/nowhere/request").status_code == 404


def test_members_share_the_join_link_and_moderators_remove_members_on_the_page(app, browser,
                                                                                people):
    insider = browser("insider")
    html = text(insider.get("/groups/inner-circle"))
    assert "/groups/inner-circle/request" in html
    assert "Remove from the group" not in html
    gmod = browser("gmod")
    assert "Remove from the group" in text(gmod.get("/groups/inner-circle/members"))
    response = gmod.post_form("/groups/inner-circle/members/insider/remove", {},
                              page="/groups/inner-circle/members")
    assert response.status_code == 302
    assert member_names(app, "inner-circle") == {"gmod"}
    assert gmod.post_form("/groups/other-circle/members/othermod/remove", {},
                          page="/groups/inner-circle").status_code == 403
    added = gmod.post_form("/groups/inner-circle/members", {"username": "member"},
                           page="/groups/inner-circle")
    assert added.status_code == 302
    assert member_names(app, "inner-circle") == {"gmod", "member"}


# -- the group page, members, French names --------------------------------------------------


def test_group_page_shows_members_moderators_room_and_feed(app, browser, people, join,
                                                           make_question):
    join(people["member"]["id"], "west-africa")
    join(people["insider"]["id"], "west-africa")
    with app.app_context():
        admin = db.session.get(User, people["admin"]["id"])
        groups_service.set_group_moderator(admin, "west-africa", "insider")
    make_question(people["member"]["id"], "west-africa", title="Implant stock-outs again")
    member = browser("member")
    html = text(member.get("/groups/west-africa"))
    assert "Implant stock-outs again" in html
    assert "@insider" in html and "@member" in html
    assert html.index("@insider") < html.index("@member")  # moderators first
    assert ">moderator</span>" in html
    assert "/chat/rooms/" in html
    assert 'type="application/atom+xml" title=' in html and "/groups/west-africa/feed" in html
    anonymous = text(browser(None).get("/groups/west-africa"))
    assert "/chat/rooms/" not in anonymous and "@insider" in anonymous
    # The private group's page has no feed link, even for its members.
    assert "/feed" not in text(browser("insider").get("/groups/inner-circle"))


def test_members_page_is_paged(app, browser, people, make_user, join):
    for n in range(55):
        join(make_user(f"crowd{n:02d}"), "west-africa")
    first = text(browser(None).get("/groups/west-africa/members"))
    assert first.count("@crowd") == 50 and "page=2" in first
    second = text(browser(None).get("/groups/west-africa/members?page=2"))
    assert second.count("@crowd") == 5
    assert browser("member").get("/groups/inner-circle/members").status_code == 404
    api_page = app.test_client().get("/api/v1/groups/west-africa/members?per_page=10")
    assert api_page.get_json()["total"] == 55 and len(api_page.get_json()["items"]) == 10
    assert app.test_client().get("/api/v1/groups/inner-circle/members").status_code == 404


def test_french_names_and_descriptions_show_in_the_french_interface(app, browser, people,
                                                                    make_question, api):
    admin = browser("admin")
    created = admin.post_form("/groups/new", {
        "slug": "west-africa-fr", "name": "West Africa francophone",
        "name_fr": "Afrique de l'Ouest francophone", "region": "West Africa",
        "description": "Mostly in **French**.", "description_fr": "Surtout en **français**."})
    assert created.status_code == 302
    make_question(people["member"]["id"], "west-africa-fr", title="Relais communautaires",
                  lang="fr")
    visitor = browser(None)
    french = text(visitor.get("/groups/west-africa-fr?lang=fr"))
    assert "Afrique de l&#39;Ouest francophone" in french
    assert "Surtout en <strong>français</strong>." in french
    assert "Mostly in" not in french
    english = text(visitor.get("/groups/west-africa-fr?lang=en"))
    assert "West Africa francophone" in english and "Mostly in <strong>French</strong>" in english
    assert "Afrique de l&#39;Ouest francophone" in text(visitor.get("/groups?lang=fr"))
    assert "Afrique de l&#39;Ouest francophone" in text(visitor.get("/questions?lang=fr"))
    # A group without French names shows the English ones in French.
    assert "West Africa" in text(visitor.get("/groups/west-africa?lang=fr"))
    body = api.get("/api/v1/groups/west-africa-fr").get_json()
    assert body["name_fr"] == "Afrique de l'Ouest francophone"
    assert body["description_fr_html"] == "<p>Surtout en <strong>français</strong>.</p>"
    refused = api.post("/api/v1/groups", {"slug": "too-long", "name": "X", "region": "Y",
                                          "name_fr": "x" * 101},
                       token=people["admin"]["token"])
    assert refused.status_code == 422 and "name_fr" in refused.get_json()["error"]["fields"]


def test_group_moderator_edits_the_description_on_the_edit_page(app, browser, people, api):
    gmod = browser("gmod")
    form = text(gmod.get("/groups/inner-circle/edit"))
    assert 'name="description_fr"' in form and 'name="name"' not in form
    saved = gmod.post_form("/groups/inner-circle/edit", {
        "description": "New words.", "description_fr": "Nouveaux mots."})
    assert saved.status_code == 302
    shown = api.get("/api/v1/groups/inner-circle", token=people["gmod"]["token"]).get_json()
    assert shown["description_fr_html"] == "<p>Nouveaux mots.</p>"
    assert shown["description_html"] == "<p>New words.</p>"
    assert browser("insider").get("/groups/inner-circle/edit").status_code == 403
    assert browser("member").get("/groups/inner-circle/edit").status_code == 404
    too_long = gmod.post_form("/groups/inner-circle/edit", {"description": "x" * 5001})
    assert too_long.status_code == 422


def _page_queries(app, page, path) -> int:
    with counting(app) as statements:
        response = page.get(path)
    assert response.status_code == 200
    return len(statements)


def test_group_page_takes_the_same_queries_for_few_and_many_rows(app, browser, people,
                                                                 make_user, join,
                                                                 make_question, api):
    gmod, path = browser("gmod"), "/groups/inner-circle?per_page=100"

    def grow(start, stop):
        for n in range(start, stop):
            user_id = make_user(f"person{n:02d}")
            join(user_id, "inner-circle", private=True)
            make_question(user_id, "inner-circle", title=f"Question {n} about supplies",
                          tags=(f"tag-{n}",))
            outsider = make_user(f"asker{n:02d}")
            with app.app_context():
                groups_service.request_to_join(db.session.get(User, outsider), "inner-circle",
                                               f"Message {n}")

    members = "/groups/inner-circle/members?per_page=100"
    grow(0, 2)
    small = {who: _page_queries(app, page, path)
             for who, page in (("gmod", gmod), ("insider", browser("insider")))}
    small_members = _page_queries(app, gmod, members)
    grow(2, 30)
    html = text(gmod.get(path))
    assert html.count("Message ") == 30 and html.count('<li class="q">') == 30
    assert _page_queries(app, gmod, path) == small["gmod"]
    assert _page_queries(app, browser("insider"), path) == small["insider"]
    assert text(gmod.get(members)).count("@person") == 30
    assert _page_queries(app, gmod, members) == small_members


# -- feeds ----------------------------------------------------------------------------------


def parse_feed(response):
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    return root


def test_group_feed_lists_the_newest_30_questions_with_escaped_summaries(app, people,
                                                                         make_question):
    for n in range(FEED_SIZE + 2):
        make_question(people["member"]["id"], "west-africa", title=f"Feed question {n:02d}",
                      body=f"Body <b>{n}</b> & *more*", tags=("supplies",))
    client = app.test_client()
    root = parse_feed(client.get("/groups/west-africa/feed"))
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == FEED_SIZE
    assert entries[0].find(f"{ATOM}title").text == f"Feed question {FEED_SIZE + 1:02d}"
    summary = entries[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    # The stored, sanitized HTML, as text: the raw <b> typed in the body was escaped.
    assert summary.text.startswith("<p>Body &lt;b&gt;") and "<em>more</em>" in summary.text
    assert entries[0].find(f"{ATOM}link").get("href").startswith("http://localhost/questions/")
    assert entries[0].find(f"{ATOM}category").get("term") == "supplies"
    tag_root = parse_feed(client.get("/tags/supplies/feed"))
    assert len(tag_root.findall(f"{ATOM}entry")) == FEED_SIZE
    assert 'href="/tags/supplies/feed"' in text(client.get("/tags/supplies"))


@pytest.mark.parametrize("who", [None, "member", "insider", "gmod", "admin"])
def test_private_group_has_no_feed_for_anyone(app, browser, people, make_question, who):
    make_question(people["insider"]["id"], "inner-circle", title=f"Secret {CANARY} rota")
    response = browser(who).get("/groups/inner-circle/feed")
    assert response.status_code == 404 and CANARY not in text(response)
    assert browser(who).get("/groups/nowhere/feed").status_code == 404


def test_tag_feed_never_carries_private_questions(app, browser, people, make_question):
    make_question(people["member"]["id"], "west-africa", title="Public implants question",
                  tags=("implants",))
    make_question(people["insider"]["id"], "inner-circle", title=f"Private {CANARY} question",
                  body=f"About {CANARY}.", tags=("implants", CANARY))
    for who in (None, "insider", "admin"):
        feed = text(browser(who).get("/tags/implants/feed"))
        assert "Public implants question" in feed and CANARY not in feed
        # A tag used only in a private group has no feed, even for its members.
        assert browser(who).get(f"/tags/{CANARY}/feed").status_code == 404
    assert browser(None).get("/tags/no-such-tag/feed").status_code == 404


# -- what outsiders never see ---------------------------------------------------------------


def test_private_group_leaks_nowhere_this_issue_added(app, browser, people, make_question,
                                                      api):
    make_question(people["insider"]["id"], "inner-circle", title=f"Secret {CANARY} rota",
                  body=f"The {CANARY} plan.", tags=("implants",))
    make_question(people["member"]["id"], "west-africa", title="Public implants question",
                  tags=("implants",))
    member_token = people["member"]["token"]
    api.post(PRIVATE_REQUESTS, {"message": "hello"}, token=member_token)
    for who in (None, "member", "othermod", "sitemod"):
        page = browser(who)
        token = people[who]["token"] if who else None
        for path in ("/groups", "/groups/west-africa", "/groups/west-africa/members",
                     "/groups/west-africa/feed", "/tags/implants", "/tags/implants/feed",
                     "/questions"):
            body = text(page.get(path))
            assert CANARY not in body and NAME not in body, (who, path)
        for path in ("/groups/inner-circle", "/groups/inner-circle/members",
                     "/groups/inner-circle/feed", "/groups/inner-circle/edit"):
            response = page.get(path)
            assert response.status_code in (302, 404), (who, path)
            assert CANARY not in text(response) and NAME not in text(response)
        for path in ("/api/v1/groups?per_page=100", "/api/v1/groups/west-africa/members",
                     "/api/v1/groups/inner-circle", "/api/v1/groups/inner-circle/members"):
            body = text(api.get(path, token=token))
            assert CANARY not in body and NAME not in body and "inner-circle" not in body, \
                (who, path)
        # Counts: only the public question.
        assert api.get("/api/v1/questions?tag=implants",
                       token=token).get_json()["total"] == 1
    # The join page gives the name and nothing more.
    request_page = text(browser("othermod").get("/groups/inner-circle/request"))
    assert NAME in request_page
    assert CANARY not in request_page and "hello" not in request_page
    assert "@insider" not in request_page and "@gmod" not in request_page
    assert "members" not in request_page.split("<main", 1)[-1]


def test_new_pages_have_no_inline_code_and_every_form_carries_csrf(app, browser, people, api):
    api.post(PRIVATE_REQUESTS, {"message": "hello"}, token=people["member"]["token"])
    pages = [("gmod", "/groups/inner-circle"), ("gmod", "/groups/inner-circle/members"),
             ("gmod", "/groups/inner-circle/edit"), ("admin", "/groups/inner-circle"),
             ("othermod", "/groups/inner-circle/request"), ("admin", "/groups/new")]
    for who, path in pages:
        finder = InlineFinder()
        response = browser(who).get(path)
        assert response.status_code == 200, path
        finder.feed(text(response))
        assert finder.problems == [], path
        posts = [form for form in finder.forms if form["method"] == "post"]
        assert posts and all(form["csrf"] for form in posts), path
    # A form posted without its token changes nothing.
    gmod = browser("gmod")
    with app.app_context():
        request_id = db.session.scalar(db.select(GroupJoinRequest.id))
    refused = gmod.post_form(f"/groups/inner-circle/requests/{request_id}/approve", {},
                             csrf=False)
    assert refused.status_code == 400
    assert "member" not in member_names(app, "inner-circle")


def test_join_requests_are_rate_limited_per_user(make_app, people):
    limited = ApiClient(make_app(LIMIT_JOIN_REQUEST_PER_USER="1/hour").test_client())
    token = people["member"]["token"]
    assert limited.post(PRIVATE_REQUESTS, token=token).status_code == 201
    refused = limited.post("/api/v1/groups/other-circle/requests", token=token)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert limited.post("/api/v1/groups/other-circle/requests",
                        token=people["insider"]["token"]).status_code == 201
