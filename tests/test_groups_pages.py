"""Group pages: the list by region, a group's page and questions, joining and leaving, admins
creating groups and adding members to private ones."""

import pytest

from forum.extensions import db
from forum.models import Group, GroupMembership
from tests.helpers import PageClient
from tests.test_hardening import InlineFinder

PASSWORD = "correct horse battery"


@pytest.fixture
def people(make_user):
    """A member `kofi`, a member `awa`, a moderator `mod` and an admin `admin`."""
    return {name: make_user(name, role=role) for name, role in
            [("kofi", "member"), ("awa", "member"), ("mod", "moderator"),
             ("admin", "admin")]}


@pytest.fixture
def browser(app, people):
    """A page client logged in as one of `people` (or anonymous for None)."""

    def open_as(username):
        page = PageClient(app.test_client())
        if username:
            page.login(username, PASSWORD)
        return page

    return open_as


def text(response) -> str:
    return response.get_data(as_text=True)


def members(app, slug) -> int:
    with app.app_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == slug))
        assert group.member_count == db.session.query(GroupMembership).filter_by(
            group_id=group.id).count()
        return group.member_count


def test_groups_are_listed_by_region_with_counts(app, browser, people, make_group,
                                                 make_question):
    make_group("west-africa", region="West Africa")
    make_group("sahel", region="West Africa", name="Sahel Midwives")
    make_group("east-africa", region="East Africa")
    make_question(people["kofi"], "sahel")
    html = text(browser(None).get("/groups"))
    assert html.index("<h2>East Africa</h2>") < html.index("<h2>West Africa</h2>")
    west = html[html.index("<h2>West Africa</h2>"):]
    assert west.index("Sahel Midwives") < west.index(">West Africa</a>")
    assert "1 question" in west and "0 members" in west
    assert 'action="/groups/' not in html  # anonymous readers get no buttons
    assert 'action="/groups/sahel/join"' in text(browser("kofi").get("/groups"))


def test_member_joins_and_leaves_from_the_list_and_the_group_page(app, browser, group):
    page = browser("kofi")
    response = page.post_form(f"/groups/{group}/join", {"next": "/groups"}, page="/groups")
    assert response.status_code == 302 and response.headers["Location"] == "/groups"
    assert members(app, group) == 1
    html = text(page.get("/groups"))
    assert "You joined West Africa." in html
    assert f'action="/groups/{group}/leave"' in html and "1 member" in html
    # Joining twice changes nothing.
    page.post_form(f"/groups/{group}/join", {}, page="/groups")
    assert members(app, group) == 1
    group_page = text(page.get(f"/groups/{group}"))
    assert f'action="/groups/{group}/leave"' in group_page
    response = page.post_form(f"/groups/{group}/leave", {"next": f"/groups/{group}"},
                              page=f"/groups/{group}")
    assert response.headers["Location"] == f"/groups/{group}"
    assert members(app, group) == 0
    assert f'action="/groups/{group}/join"' in text(page.get(f"/groups/{group}"))
    # A next= pointing elsewhere is ignored.
    response = page.post_form(f"/groups/{group}/join", {"next": "https://evil.example/"},
                              page="/groups")
    assert response.headers["Location"] == f"/groups/{group}"


def test_group_page_shows_its_description_and_only_its_questions(app, browser, people,
                                                                 make_group, make_question):
    make_group("west-africa", description="Practitioners of **West Africa**.")
    make_group("east-africa", region="East Africa")
    mine = make_question(people["kofi"], "west-africa", title="A West African question here")
    other = make_question(people["awa"], "east-africa", title="An East African question here",
                          lang="fr")
    html = text(browser(None).get("/groups/west-africa"))
    assert "Practitioners of <strong>West Africa</strong>." in html
    assert f'href="/questions/{mine}"' in html and f'href="/questions/{other}"' not in html
    assert '<form method="get" action="/groups/west-africa" class="filters">' in html
    assert "1 question" in html
    filtered = text(browser(None).get("/groups/east-africa?lang=en"))
    assert f'href="/questions/{other}"' not in filtered and "No questions match." in filtered
    assert browser(None).get("/groups/nowhere").status_code == 404
    make_question(people["awa"], "west-africa", title="Another West African question")
    odd = browser(None).get("/groups/west-africa?slug=elsewhere&per_page=1")
    assert odd.status_code == 200 and "/groups/elsewhere" not in text(odd)
    assert 'href="/groups/west-africa?per_page=1&amp;page=2"' in text(odd)
    finder = InlineFinder()
    finder.feed(text(browser("kofi").get("/groups/west-africa")))
    assert finder.problems == []
    assert all(form["csrf"] for form in finder.forms if form["method"] == "post")


def test_admin_creates_a_group_and_others_cannot(app, browser):
    admin = browser("admin")
    assert "New group" in text(admin.get("/groups"))
    form = admin.get("/groups/new")
    assert form.status_code == 200
    response = admin.post_form("/groups/new", {
        "name": "Sahel Midwives", "slug": "sahel-midwives", "region": "West Africa",
        "description": "Midwives of the *Sahel*.", "private": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/groups/sahel-midwives"
    html = text(admin.get("/groups/sahel-midwives"))
    assert "Midwives of the <em>Sahel</em>." in html and ">private</span>" in html
    assert "Add a member" in html
    with app.app_context():
        assert db.session.scalar(db.select(Group).where(Group.slug == "sahel-midwives")).private
    taken = admin.post_form("/groups/new", {"name": "Again", "slug": "sahel-midwives",
                                            "region": "West Africa"})
    assert taken.status_code == 409 and "This slug is taken." in text(taken)
    bad = admin.post_form("/groups/new", {"name": "", "slug": "No Good", "region": ""})
    assert bad.status_code == 422
    for field in ("name", "slug", "region"):
        assert f'id="{field}-error"' in text(bad)
    for who, status in (("kofi", 403), ("mod", 403), (None, 302)):
        assert browser(who).get("/groups/new").status_code == status
        response = browser(who).post_form("/groups/new", {
            "name": "Rogue", "slug": "rogue", "region": "Nowhere"}, page="/groups")
        assert response.status_code == status
    assert "New group" not in text(browser("mod").get("/groups"))
    with app.app_context():
        assert db.session.query(Group).count() == 1


def test_private_group_is_404_to_outsiders_until_an_admin_adds_them(app, browser, people,
                                                                  make_group, make_question):
    make_group("secret-circle", private=True, description="Zebracanary circle.",
               name="Zebracanary Circle")
    admin = browser("admin")
    response = admin.post_form("/groups/secret-circle/members", {"username": "kofi"},
                               page="/groups/secret-circle")
    assert response.status_code == 302
    assert "kofi is now a member." in text(admin.get("/groups/secret-circle"))
    qid = make_question(people["kofi"], "secret-circle", title="Zebracanary private question")
    unknown = admin.post_form("/groups/secret-circle/members", {"username": "nobody"},
                              page="/groups/secret-circle")
    assert unknown.status_code == 302
    assert "No such user." in text(admin.get("/groups/secret-circle"))

    for who in (None, "awa", "mod"):
        page = browser(who)
        assert page.get("/groups/secret-circle").status_code == 404, who
        for path in ("/groups", "/questions", "/tags"):
            assert "zebracanary" not in text(page.get(path)).lower(), (who, path)
        if who:
            joined = page.post_form("/groups/secret-circle/join", {}, page="/groups")
            assert joined.status_code == 404
            added = page.post_form("/groups/secret-circle/members", {"username": who},
                                   page="/groups")
            assert added.status_code == 403
    assert members(app, "secret-circle") == 1

    kofi = browser("kofi")
    html = text(kofi.get("/groups/secret-circle"))
    assert f'href="/questions/{qid}"' in html and "Add a member" not in html
    assert "Zebracanary Circle" in text(kofi.get("/groups"))
    # Leaving a private group takes you back to the list, where it is gone.
    response = kofi.post_form("/groups/secret-circle/leave", {}, page="/groups/secret-circle")
    assert response.headers["Location"] == "/groups"
    assert kofi.get("/groups/secret-circle").status_code == 404
    assert "zebracanary" not in text(kofi.get("/groups")).lower()


def test_group_pages_refuse_posts_without_csrf(app, browser, group):
    page = browser("admin")
    page.get("/groups")
    for path, data in ((f"/groups/{group}/join", {}), (f"/groups/{group}/leave", {}),
                       ("/groups/new", {"name": "X", "slug": "xyz", "region": "R"}),
                       (f"/groups/{group}/members", {"username": "kofi"})):
        assert page.client.post(path, data=data).status_code == 400, path
    assert members(app, group) == 0
    with app.app_context():
        assert db.session.query(Group).count() == 1
