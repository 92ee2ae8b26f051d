"""Following groups, tags, questions and people: the defaults (asking, answering, joining),
levels, idempotence, who may follow what, what leaving or losing a private group drops, the
Following page (a fixed number of queries), the follow buttons, the API, and what none of it
may leak of a private group.

Budget: about 20 s on SQLite, about the same on PostgreSQL.
"""

import pytest
from sqlalchemy import func, or_, select

from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Follow, Group, Question, Tag, User, utcnow
from forum.services import follows
from forum.services import groups as groups_service
from forum.services.accounts import delete_account, issue_api_token
from forum.services.inputs import MAX_ID
from forum.services.uow import unit_of_work
from tests.helpers import ApiClient, PageClient
from tests.test_query_counts import counting

PASSWORD = "correct horse battery"
CANARY = "wombatcanary"  # in the private group's name, description, questions and tag


@pytest.fixture
def app_config():
    """Posting limits off."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def world(app, make_user, make_group, join, make_question):
    """A public group and a private one (`inner`, with the canary in its name, description,
    question and tag); `alice` and `bob` are members of both, `carol` of the public one only;
    `admin` is in neither. {name: id} plus question ids and API tokens."""
    ids = {name: make_user(name, role=("admin" if name == "admin" else "member"))
           for name in ("admin", "alice", "bob", "carol")}
    make_group("west-africa")
    make_group("inner", name=f"Inner {CANARY} circle", private=True,
               description=f"Our {CANARY} checklists.")
    for name in ("alice", "bob", "carol"):
        join(ids[name], "west-africa")
    for name in ("alice", "bob"):
        join(ids[name], "inner", private=True)
    ids["public_q"] = make_question(ids["alice"], "west-africa", tags=("implants",))
    ids["private_q"] = make_question(ids["alice"], "inner",
                                     title=f"About the {CANARY} audit of stock",
                                     body=f"The {CANARY} audit.", tags=(CANARY, "implants"))
    tokens = {}
    with app.app_context():
        for name in ("admin", "alice", "bob", "carol"):
            tokens[name], _record = issue_api_token(db.session.get(User, ids[name]))
    ids["tokens"] = tokens
    return ids


def level(app, user_id, target_type, target_id):
    with app.app_context():
        return follows.level_of(db.session.get(User, user_id), target_type, target_id)


def group_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(Group.id).where(Group.slug == slug))


def tag_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Tag.id).where(Tag.name == name))


def as_user(app, user_id, fn, *args, **kwargs):
    with app.app_context():
        return fn(db.session.get(User, user_id), *args, **kwargs)


def api_for(app, world, name):
    client = ApiClient(app.test_client())
    client.token = world["tokens"][name]
    return client


def page_for(app, name):
    page = PageClient(app.test_client())
    page.login(name, PASSWORD)
    return page


# -- defaults ---------------------------------------------------------------------------


def test_asking_answering_and_joining_follow_by_default(app, world, make_post):
    assert level(app, world["alice"], "question", world["public_q"]) == "all"
    assert level(app, world["bob"], "question", world["public_q"]) is None
    make_post(world["bob"], question_id=world["public_q"])
    assert level(app, world["bob"], "question", world["public_q"]) == "all"
    assert level(app, world["carol"], "group", group_id(app, "west-africa")) == "all"
    assert level(app, world["alice"], "group", group_id(app, "inner")) == "all"
    assert level(app, world["admin"], "group", group_id(app, "inner")) is None


def test_replying_does_not_follow_and_a_default_never_changes_a_chosen_level(
        app, world, make_post):
    answer = make_post(world["bob"], question_id=world["public_q"])
    make_post(world["carol"], parent_id=answer)
    assert level(app, world["carol"], "question", world["public_q"]) is None
    as_user(app, world["bob"], follows.follow, "question", str(world["public_q"]),
            level="muted")
    make_post(world["bob"], question_id=world["public_q"])
    assert level(app, world["bob"], "question", world["public_q"]) == "muted"
    # Joining again (already a member) keeps a muted group muted.
    as_user(app, world["carol"], follows.follow, "group", "west-africa", level="muted")
    as_user(app, world["carol"], groups_service.join_group, "west-africa")
    assert level(app, world["carol"], "group", group_id(app, "west-africa")) == "muted"


# -- levels and idempotence ---------------------------------------------------------------


def test_following_twice_changes_only_the_level(app, world):
    carol = world["carol"]
    _tag, first = as_user(app, carol, follows.follow, "tag", "implants")
    assert first == "all"
    _tag, second = as_user(app, carol, follows.follow, "tag", "implants", level="digest")
    assert second == "digest"
    _tag, third = as_user(app, carol, follows.follow, "tag", "implants")  # no level: kept
    assert third == "digest"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow).where(
            Follow.user_id == carol, Follow.target_type == "tag")) == 1
    as_user(app, carol, follows.unfollow, "tag", "implants")
    as_user(app, carol, follows.unfollow, "tag", "implants")  # idempotent
    assert level(app, carol, "tag", tag_id(app, "implants")) is None


def test_muting_or_unfollowing_a_group_never_leaves_it(app, world):
    carol, west = world["carol"], group_id(app, "west-africa")
    as_user(app, carol, follows.follow, "group", "west-africa", level="muted")
    with app.app_context():
        group = db.session.get(Group, west)
        assert groups_service.is_member(db.session.get(User, carol), group)
    as_user(app, carol, follows.unfollow, "group", "west-africa")
    with app.app_context():
        group = db.session.get(Group, west)
        assert groups_service.is_member(db.session.get(User, carol), group)
        assert group.member_count == 3


def test_followers_of_selects_ids_by_level(app, world):
    west = group_id(app, "west-africa")
    as_user(app, world["bob"], follows.follow, "group", "west-africa", level="digest")
    as_user(app, world["alice"], follows.follow, "group", "west-africa", level="muted")
    with app.app_context():
        assert set(db.session.scalars(follows.followers_of("group", west))) == {world["carol"]}
        assert set(db.session.scalars(follows.followers_of(
            "group", west, levels=("all", "digest")))) == {world["carol"], world["bob"]}
        followed = follows.followed_ids(db.session.get(User, world["bob"]), "group")
        assert followed == {west, group_id(app, "inner")}


# -- who may follow what ------------------------------------------------------------------


@pytest.mark.parametrize(("target_type", "key", "error"), [
    ("group", "inner", NotFound),  # a private group, to an outsider
    ("group", "nowhere", NotFound),
    ("question", "PRIVATE", NotFound),  # a private group's question
    ("question", str(MAX_ID), NotFound),
    ("question", "9" * 40, NotFound),
    ("question", "-1", NotFound),
    ("tag", CANARY, NotFound),  # a tag only a private question carries
    ("tag", "no such tag!", NotFound),
    ("user", "carol", InvalidInput),  # oneself
    ("user", "ghost", NotFound),
    ("planet", "mars", NotFound),
    ("group", None, NotFound),
    ("question", 3.5, NotFound),
])
def test_an_outsider_cannot_follow_what_they_cannot_see(app, world, target_type, key, error):
    key = str(world["private_q"]) if key == "PRIVATE" else key
    with pytest.raises(error):
        as_user(app, world["carol"], follows.follow, target_type, key)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow).where(
            Follow.user_id == world["carol"], Follow.target_type == target_type)) == (
            1 if target_type == "group" else 0)  # the public group, joined


def test_members_follow_private_things_and_admins_must_join_first(app, world):
    _q, got = as_user(app, world["bob"], follows.follow, "question", str(world["private_q"]))
    assert got == "all"
    _t, got = as_user(app, world["bob"], follows.follow, "tag", CANARY, level="digest")
    assert got == "digest"
    with pytest.raises(PermissionDenied):  # admins see private groups, yet follow as members
        as_user(app, world["admin"], follows.follow, "group", "inner")
    _q, got = as_user(app, world["admin"], follows.follow, "question", str(world["private_q"]))
    assert got == "all"


@pytest.mark.parametrize("bad", ["loud", "", "ALL", 1, ["all"]])
def test_a_bad_level_is_refused(app, world, bad):
    with pytest.raises(InvalidInput) as caught:
        as_user(app, world["carol"], follows.follow, "tag", "implants", level=bad)
    assert "level" in caught.value.fields


def test_a_deleted_account_can_no_longer_be_followed_nor_listed(app, world, make_user):
    dora = make_user("dora")
    as_user(app, world["carol"], follows.follow, "user", "dora")
    assert len(as_user(app, world["carol"], follows.follows_of).users) == 1
    as_user(app, dora, follows.follow, "tag", "implants")
    as_user(app, dora, delete_account, PASSWORD)
    assert as_user(app, world["carol"], follows.follows_of).users == []
    with pytest.raises(NotFound):
        as_user(app, world["carol"], follows.follow, "user", "dora")
    # The rows go with the account: what dora followed, and carol's follow of dora.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow).where(or_(
            Follow.user_id == dora,
            (Follow.target_type == "user") & (Follow.target_id == dora)))) == 0


# -- leaving and losing access --------------------------------------------------------------


def test_leaving_or_removal_from_a_private_group_drops_its_follows(app, world):
    inner = group_id(app, "inner")
    as_user(app, world["bob"], follows.follow, "question", str(world["private_q"]))
    as_user(app, world["bob"], follows.follow, "question", str(world["public_q"]))
    as_user(app, world["bob"], follows.follow, "tag", CANARY)
    as_user(app, world["admin"], groups_service.remove_member, "inner", "bob")
    assert level(app, world["bob"], "group", inner) is None
    assert level(app, world["bob"], "question", world["private_q"]) is None
    assert level(app, world["bob"], "question", world["public_q"]) == "all"
    found = as_user(app, world["bob"], follows.follows_of)
    assert [f.target.id for f in found.questions] == [world["public_q"]]
    assert found.tags == [] and [f.target.slug for f in found.groups] == ["west-africa"]
    # The asker leaves on their own: the same.
    as_user(app, world["alice"], groups_service.leave_group, "inner")
    assert level(app, world["alice"], "question", world["private_q"]) is None
    assert level(app, world["alice"], "group", inner) is None


def test_leaving_a_public_group_drops_its_follow_only(app, world):
    as_user(app, world["alice"], groups_service.leave_group, "west-africa")
    assert level(app, world["alice"], "group", group_id(app, "west-africa")) is None
    assert level(app, world["alice"], "question", world["public_q"]) == "all"


def test_the_follow_and_the_join_are_one_write(app, world, make_user):
    """A join whose write fails leaves no follow behind."""
    dave_id = make_user("dave")
    with app.app_context(), pytest.raises(RuntimeError):
        with unit_of_work():
            groups_service.join_group(db.session.get(User, dave_id), "west-africa")
            raise RuntimeError("the rest of the write failed")
    assert level(app, dave_id, "group", group_id(app, "west-africa")) is None


# -- pages ------------------------------------------------------------------------------


def test_following_page_lists_by_kind_with_levels_and_its_forms_work(app, world):
    page = page_for(app, "bob")
    html = page.get("/following").get_data(as_text=True)
    assert "West Africa" in html and f"Inner {CANARY} circle" in html
    assert 'id="follow-group-' in html and "<option value=\"all\" selected>" in html
    west = group_id(app, "west-africa")
    response = page.post_form("/following/group/west-africa",
                              {"level": "digest", "next": "/following"}, page="/following")
    assert response.status_code == 302 and response.location.endswith("/following")
    assert level(app, world["bob"], "group", west) == "digest"
    html = page.get("/following").get_data(as_text=True)
    assert '<option value="digest" selected>' in html
    response = page.post_form("/following/group/west-africa/unfollow",
                              {"next": "https://evil.example/"}, page="/following")
    assert response.status_code == 302 and "evil" not in response.location
    assert level(app, world["bob"], "group", west) is None
    with app.app_context():  # still a member
        assert groups_service.is_member(db.session.get(User, world["bob"]),
                                        db.session.get(Group, west))


def test_follow_forms_need_csrf_and_a_login(app, world, anon_client):
    page = page_for(app, "carol")
    assert page.post_form("/following/tag/implants", {"level": "all"},
                          csrf=False).status_code == 400
    assert level(app, world["carol"], "tag", tag_id(app, "implants")) is None
    response = anon_client.get("/following")
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize(("path", "data", "status"), [
    ("/following/planet/mars", {"level": "all"}, 404),
    ("/following/tag/implants", {"level": "loud"}, 422),
    (f"/following/question/{'9' * 30}", {}, 404),
    ("/following/group/inner", {}, 404),
    ("/following/user/carol", {}, 422),
    ("/following/group/inner/unfollow", {}, 404),
])
def test_bad_follow_forms_answer_4xx(app, world, path, data, status):
    page = page_for(app, "carol")
    response = page.post_form(path, data, page="/following")
    assert response.status_code == status
    assert CANARY not in response.get_data(as_text=True)


def test_question_and_tag_pages_carry_the_follow_button(app, world, anon_client):
    page = page_for(app, "carol")
    html = page.get(f"/questions/{world['public_q']}").get_data(as_text=True)
    assert f'action="/following/question/{world["public_q"]}"' in html
    assert ">Follow</button>" in html
    page.post_form(f"/following/question/{world['public_q']}",
                   {"next": f"/questions/{world['public_q']}"},
                   page=f"/questions/{world['public_q']}")
    html = page.get(f"/questions/{world['public_q']}").get_data(as_text=True)
    assert f'action="/following/question/{world["public_q"]}/unfollow"' in html
    html = page.get("/tags/implants").get_data(as_text=True)
    assert 'action="/following/tag/implants"' in html
    anon = anon_client.get("/tags/implants").get_data(as_text=True)
    assert "/following/tag/implants" not in anon


def test_following_page_takes_the_same_queries_for_few_and_many(app, world, make_user,
                                                                 make_group, make_question):
    page = page_for(app, "carol")

    def follow_more(start, stop):
        for n in range(start, stop):
            make_group(f"group-{n}")
            question = make_question(world["alice"], f"group-{n}", tags=(f"tag-{n}",),
                                     title=f"Question number {n:03d} about supplies")
            person = make_user(f"person{n}")
            with app.app_context():
                carol = db.session.get(User, world["carol"])
                follows.follow(carol, "group", f"group-{n}")
                follows.follow(carol, "tag", f"tag-{n}", level="digest")
                follows.follow(carol, "question", question, level="muted")
                follows.follow(carol, "user", f"person{n}")
                assert person

    follow_more(0, 2)
    with counting(app) as few:
        assert page.get("/following").status_code == 200
    follow_more(2, 22)
    with counting(app) as many:
        html = page.get("/following").get_data(as_text=True)
    assert html.count('id="follow-tag-') == 22 and html.count('id="follow-user-') == 22
    assert len(many) == len(few), (few, many)


# -- the API ----------------------------------------------------------------------------


def test_api_follow_list_and_unfollow(app, world):
    api = api_for(app, world, "carol")
    assert api.put("/api/v1/follows/tag/implants").get_json() == {
        "following": True, "level": "all"}
    assert api.put("/api/v1/follows/tag/implants", {"level": "digest"}).get_json() == {
        "following": True, "level": "digest"}
    assert api.put("/api/v1/follows/user/alice", {}).status_code == 200
    response = api.put(f"/api/v1/follows/question/{world['public_q']}", {"level": "muted"})
    assert response.status_code == 200
    items = api.get("/api/v1/following").get_json()["items"]
    assert {"type": "tag", "name": "implants", "level": "digest",
            "url": "/tags/implants"} in items
    assert {"type": "user", "username": "alice", "level": "all",
            "url": "/api/v1/users/alice"} in items
    assert any(i["type"] == "question" and i["id"] == world["public_q"]
               and i["level"] == "muted" for i in items)
    assert any(i["type"] == "group" and i["slug"] == "west-africa" for i in items)
    assert api.delete("/api/v1/follows/tag/implants").get_json() == {"following": False}
    assert api.delete("/api/v1/follows/tag/implants").status_code == 200
    assert all(i["type"] != "tag" for i in api.get("/api/v1/following").get_json()["items"])


def test_group_object_says_whether_the_reader_follows_it(app, world):
    api = api_for(app, world, "carol")
    assert api.get("/api/v1/groups/west-africa").get_json()["following"] is True
    api.delete("/api/v1/follows/group/west-africa")
    assert api.get("/api/v1/groups/west-africa").get_json()["following"] is False
    listed = {g["slug"]: g["following"]
              for g in api.get("/api/v1/groups").get_json()["items"]}
    assert listed == {"west-africa": False}
    # Joining again while a member keeps the choice, and says so.
    joined = api.put("/api/v1/groups/west-africa/membership").get_json()
    assert joined["following"] is False and joined["member_count"] == 3
    assert api.delete("/api/v1/groups/west-africa/membership").get_json()["following"] is False
    assert api.put("/api/v1/groups/west-africa/membership").get_json()["following"] is True


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("PUT", "/api/v1/follows/planet/mars", None, 404),
    ("PUT", "/api/v1/follows/tag/implants", {"level": "loud"}, 422),
    ("PUT", "/api/v1/follows/tag/implants", {"level": 3}, 422),
    ("PUT", "/api/v1/follows/tag/implants", {"levels": "all"}, 422),
    ("PUT", "/api/v1/follows/tag/implants", ["all"], 400),
    ("PUT", f"/api/v1/follows/question/{'9' * 40}", None, 404),
    ("PUT", f"/api/v1/follows/question/{MAX_ID + 1}", None, 404),
    ("PUT", "/api/v1/follows/question/0", None, 404),
    ("PUT", "/api/v1/follows/user/carol", None, 422),
    ("PUT", "/api/v1/follows/user/nobody", None, 404),
    ("PUT", "/api/v1/follows/tag/a%00b", None, 400),  # refused before any view
    ("PUT", "/api/v1/follows/group/%ED%A0%80", None, 404),
    ("DELETE", "/api/v1/follows/planet/mars", None, 404),
    ("DELETE", "/api/v1/follows/question/abc", None, 404),
])
def test_api_bad_input_answers_4xx(app, world, method, path, body, status):
    api = api_for(app, world, "carol")
    response = api.call(method, path, json=body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"]


def test_api_needs_a_token(app, world):
    api = ApiClient(app.test_client())
    assert api.get("/api/v1/following").status_code == 401
    assert api.put("/api/v1/follows/tag/implants").status_code == 401
    assert api.delete("/api/v1/follows/tag/implants").status_code == 401


def test_api_non_json_body_is_refused(app, world):
    api = api_for(app, world, "carol")
    response = api.call("PUT", "/api/v1/follows/tag/implants", data="level=all",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


# -- leaks ------------------------------------------------------------------------------


def test_private_things_answer_an_outsider_exactly_as_missing_ones(app, world):
    api = api_for(app, world, "carol")
    pairs = [
        ("/api/v1/follows/group/inner", "/api/v1/follows/group/nowhere"),
        (f"/api/v1/follows/question/{world['private_q']}",
         f"/api/v1/follows/question/{world['private_q'] + 1000}"),
        (f"/api/v1/follows/tag/{CANARY}", "/api/v1/follows/tag/nosuchtag"),
    ]
    for hidden, missing in pairs:
        for method in ("PUT", "DELETE"):
            got, expected = api.call(method, hidden), api.call(method, missing)
            assert got.status_code == expected.status_code == 404
            assert got.get_json() == expected.get_json()
    # As their read endpoints do.
    assert api.get("/api/v1/groups/inner").status_code == 404
    assert api.get(f"/api/v1/questions/{world['private_q']}").status_code == 404
    everything = api.get("/api/v1/following").get_data(as_text=True)
    assert CANARY not in everything


def test_a_former_member_sees_nothing_of_the_private_group_they_followed(app, world):
    bob_api = api_for(app, world, "bob")
    assert bob_api.put(f"/api/v1/follows/tag/{CANARY}").status_code == 200
    assert bob_api.put(f"/api/v1/follows/question/{world['private_q']}").status_code == 200
    page = page_for(app, "bob")
    assert CANARY in page.get("/following").get_data(as_text=True)
    assert CANARY in bob_api.get("/api/v1/following").get_data(as_text=True)
    as_user(app, world["admin"], groups_service.remove_member, "inner", "bob")
    assert CANARY not in page.get("/following").get_data(as_text=True)
    assert CANARY not in bob_api.get("/api/v1/following").get_data(as_text=True)
    # Pages never show how many follow a private thing (nor a public one).
    html = page.get(f"/questions/{world['public_q']}").get_data(as_text=True)
    assert "follower" not in html.lower()


def test_a_deleted_private_question_leaves_the_following_list(app, world):
    with app.app_context():
        alice = db.session.get(User, world["alice"])
        assert follows.level_of(alice, "question", world["private_q"]) == "all"
        with unit_of_work():
            db.session.get(Question, world["private_q"]).deleted_at = utcnow()
    listed = as_user(app, world["alice"], follows.follows_of).questions
    assert [f.target.id for f in listed] == [world["public_q"]]


def test_group_pages_carry_the_follow_button_for_those_who_may_follow(app, world):
    carol = page_for(app, "carol")
    html = carol.get("/groups/west-africa").get_data(as_text=True)
    assert 'action="/following/group/west-africa/unfollow"' in html
    carol.post_form("/following/group/west-africa/unfollow",
                    {"next": "/groups/west-africa"}, page="/groups/west-africa")
    html = carol.get("/groups/west-africa").get_data(as_text=True)
    assert 'action="/following/group/west-africa"' in html and ">Follow</button>" in html
    bob = page_for(app, "bob")
    html = bob.get("/groups/inner").get_data(as_text=True)
    assert 'action="/following/group/inner/unfollow"' in html
    # An administrator sees a private group without being in it: no follow button.
    admin = page_for(app, "admin")
    html = admin.get("/groups/inner").get_data(as_text=True)
    assert "/following/group/inner" not in html
