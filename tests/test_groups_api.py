"""JSON API of groups, and private groups: nothing of theirs shows to outsiders, anywhere."""

import pytest

from forum.extensions import db
from forum.models import Group, GroupMembership, User
from forum.services.accounts import issue_api_token

CANARY = "zebracanary"


@pytest.fixture
def app_config():
    """Posting limits off."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def people(app, make_user):
    """Accounts with roles, each with a live API token: {name: {"id", "token"}}."""
    found = {}
    for name, role in [("member", "member"), ("insider", "member"), ("peer", "member"),
                       ("mod", "moderator"), ("admin", "admin")]:
        user_id = make_user(name, role=role)
        with app.app_context():
            token, _record = issue_api_token(db.session.get(User, user_id))
        found[name] = {"id": user_id, "token": token}
    return found


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def groups_state(app):
    with app.app_context():
        return (sorted(db.session.execute(db.select(Group.slug, Group.name, Group.private,
                                                    Group.member_count)).all()),
                sorted(db.session.execute(db.select(GroupMembership.group_id,
                                                    GroupMembership.user_id)).all()))


NEW_GROUP = {"slug": "sahel-midwives", "name": "Sahel midwives", "region": "Sahel",
             "description": "Midwives of the **Sahel**."}


def test_admin_creates_groups_and_everyone_lists_them(api, people):
    created = api.post("/api/v1/groups", NEW_GROUP, token=people["admin"]["token"])
    assert created.status_code == 201
    assert created.get_json() == {
        "slug": "sahel-midwives", "name": "Sahel midwives", "name_fr": "", "region": "Sahel",
        "description_html": "<p>Midwives of the <strong>Sahel</strong>.</p>",
        "description_fr_html": "", "private": False,
        "member_count": 0, "question_count": 0, "following": False}
    hidden = api.post("/api/v1/groups", {"slug": "inner-circle", "name": "Inner circle",
                                         "region": "Global", "private": True},
                      token=people["admin"]["token"])
    assert hidden.status_code == 201 and hidden.get_json()["private"] is True
    listed = api.get("/api/v1/groups").get_json()
    assert listed["total"] == 1 and listed["page"] == 1 and listed["per_page"] == 20
    assert [g["slug"] for g in listed["items"]] == ["sahel-midwives"]
    as_admin = api.get("/api/v1/groups", token=people["admin"]["token"]).get_json()
    assert {g["slug"] for g in as_admin["items"]} == {"sahel-midwives", "inner-circle"}
    one = api.get("/api/v1/groups/sahel-midwives").get_json()
    assert one["slug"] == "sahel-midwives" and one["following"] is False


def test_group_list_pages_and_marks_the_groups_you_follow(api, people, make_group):
    for n in range(5):
        make_group(f"group-{n}", region=f"Region {n}")
    token = people["member"]["token"]
    assert api.put("/api/v1/groups/group-3/membership", token=token).get_json() == {
        "following": True, "member_count": 1}
    page = api.get("/api/v1/groups?per_page=2&page=2", token=token).get_json()
    assert page["total"] == 5 and [g["slug"] for g in page["items"]] == ["group-2", "group-3"]
    assert [g["following"] for g in page["items"]] == [False, True]
    anonymous = api.get("/api/v1/groups?per_page=100").get_json()["items"]
    assert not any(g["following"] for g in anonymous)
    assert api.get("/api/v1/groups?per_page=101").status_code == 422


def test_join_and_leave_are_idempotent_and_counted(api, app, people, group):
    token = people["member"]["token"]
    for _ in range(2):
        joined = api.put(f"/api/v1/groups/{group}/membership", token=token)
        assert joined.status_code == 200 and joined.get_json()["following"] is True
    assert api.get(f"/api/v1/groups/{group}", token=token).get_json()["following"] is True
    assert api.get(f"/api/v1/groups/{group}").get_json()["member_count"] == 1
    for _ in range(2):
        left = api.delete(f"/api/v1/groups/{group}/membership", token=token)
        assert left.status_code == 200 and left.get_json() == {"following": False,
                                                                "member_count": 0}
    assert api.put(f"/api/v1/groups/{group}/membership").status_code == 401
    assert api.put("/api/v1/groups/nowhere/membership", token=token).status_code == 404


def test_admins_add_and_remove_members_of_private_groups(api, app, people, make_group):
    make_group("inner-circle", private=True)
    admin, member = people["admin"]["token"], people["member"]["token"]
    assert api.get("/api/v1/groups/inner-circle", token=member).status_code == 404
    added = api.put("/api/v1/groups/inner-circle/members/member", token=admin)
    assert added.status_code == 200 and added.get_json()["member_count"] == 1
    assert added.get_json()["slug"] == "inner-circle"
    assert api.put("/api/v1/groups/inner-circle/members/MEMBER",
                   token=admin).get_json()["member_count"] == 1
    seen = api.get("/api/v1/groups/inner-circle", token=member)
    assert seen.status_code == 200 and seen.get_json()["following"] is True
    assert [g["slug"] for g in api.get("/api/v1/groups", token=member).get_json()["items"]] \
        == ["inner-circle"]
    # A member of a private group may leave it; then it is gone for them.
    assert api.delete("/api/v1/groups/inner-circle/membership",
                      token=member).get_json()["following"] is False
    assert api.get("/api/v1/groups/inner-circle", token=member).status_code == 404
    api.put("/api/v1/groups/inner-circle/members/member", token=admin)
    removed = api.delete("/api/v1/groups/inner-circle/members/member", token=admin)
    assert removed.status_code == 200 and removed.get_json()["member_count"] == 0
    assert api.get("/api/v1/groups/inner-circle", token=member).status_code == 404
    for path in ["/api/v1/groups/inner-circle/members/nobody-here",
                 "/api/v1/groups/no-such-group/members/member"]:
        assert api.put(path, token=admin).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [
        ("PUT", "/api/v1/groups/inner-circle/members/member", "member", 403),
        ("PUT", "/api/v1/groups/inner-circle/members/member", "mod", 403),
        ("PUT", "/api/v1/groups/inner-circle/members/member", None, 401),
        ("DELETE", "/api/v1/groups/inner-circle/members/insider", "insider", 403),
        ("DELETE", "/api/v1/groups/inner-circle/members/insider", "mod", 403),
        ("PUT", "/api/v1/groups/inner-circle/membership", "member", 404),
        ("PUT", "/api/v1/groups/inner-circle/membership", "mod", 404),
        ("DELETE", "/api/v1/groups/inner-circle/membership", "member", 404),
    ],
)
def test_only_admins_manage_members_and_nobody_joins_a_private_group(api, app, people,
                                                                     make_group, join, method,
                                                                     path, who, status):
    make_group("inner-circle", private=True)
    join(people["insider"]["id"], "inner-circle", private=True)
    before = groups_state(app)
    token = people[who]["token"] if who else None
    response = api.call(method, path, token=token)
    assert response.status_code == status
    error_of(response)
    assert groups_state(app) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "ab"}, "slug"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "double--hyphen"}, "slug"),
        ({"slug": "x" * 51}, "slug"),
        ({"slug": 12345}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": ["list"]}, "name"),
        ({"region": "   "}, "region"),
        ({"region": "x" * 81}, "region"),
        ({"description": "x" * 5001}, "description"),
        ({"description": 3}, "description"),
        ({"private": "yes"}, "private"),
        ({"private": 1}, "private"),
        ({"owner": "admin"}, "owner"),
        ({"slug": None}, "slug"),
    ],
)
def test_group_creation_refuses_bad_fields_and_writes_nothing(api, app, people, changes,
                                                              field):
    response = api.post("/api/v1/groups", {**NEW_GROUP, **changes},
                        token=people["admin"]["token"])
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "invalid" and field in error["fields"]
    with app.app_context():
        assert db.session.query(Group).count() == 0


def test_nul_characters_are_refused_not_500(api, app, people, group):
    admin = people["admin"]["token"]
    for field in ["slug", "name", "region", "description"]:
        response = api.post("/api/v1/groups", {**NEW_GROUP, field: "bad\x00value"},
                            token=admin)
        assert response.status_code == 422 and set(error_of(response)["fields"]) == {field}
    for method, path in [("GET", "/api/v1/groups/west%00africa"),
                         ("PUT", "/api/v1/groups/west%00africa/membership"),
                         ("DELETE", "/api/v1/groups/west%00africa/membership"),
                         ("PUT", "/api/v1/groups/west-africa/members/mem%00ber"),
                         ("DELETE", "/api/v1/groups/west%00africa/members/member")]:
        response = api.call(method, path, token=admin)
        assert response.status_code == 400, path  # refused before any lookup
        error_of(response)
    with app.app_context():
        assert db.session.query(Group).count() == 1
        assert db.session.query(GroupMembership).count() == 0


@pytest.mark.parametrize("missing", ["slug", "name", "region"])
def test_group_creation_requires_its_fields(api, app, people, missing):
    payload = {k: v for k, v in NEW_GROUP.items() if k != missing}
    response = api.post("/api/v1/groups", payload, token=people["admin"]["token"])
    assert response.status_code == 422 and missing in error_of(response)["fields"]


def test_duplicate_slug_is_409_and_non_admins_are_403(api, app, people, group):
    duplicate = api.post("/api/v1/groups", {**NEW_GROUP, "slug": group},
                         token=people["admin"]["token"])
    assert duplicate.status_code == 409 and "slug" in error_of(duplicate)["fields"]
    for who in ["member", "mod"]:
        refused = api.post("/api/v1/groups", NEW_GROUP, token=people[who]["token"])
        assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    assert api.post("/api/v1/groups", NEW_GROUP).status_code == 401
    with app.app_context():
        assert db.session.query(Group).count() == 1


# -- private groups: a canary word that must never reach an outsider ---------------------


@pytest.fixture
def secret(app, people, make_group, group, join, make_question, make_post):
    """A private group full of the canary word, next to a public question sharing a tag."""
    make_group("secret-circle", name=f"The {CANARY} circle", region=f"{CANARY} land",
               private=True, description=f"We talk about {CANARY}.")
    join(people["insider"]["id"], "secret-circle", private=True)
    join(people["member"]["id"], "west-africa")
    qid = make_question(people["insider"]["id"], "secret-circle",
                        title=f"Where do {CANARY} implants come from?",
                        body=f"The {CANARY} supplier is late.", tags=[CANARY, "implants"])
    aid = make_post(people["admin"]["id"], question_id=qid, body=f"Ask the {CANARY} office.")
    rid = make_post(people["insider"]["id"], parent_id=aid, body=f"The {CANARY} office is shut.")
    public = make_question(people["member"]["id"], "west-africa",
                           title="A public question on implants", tags=["implants"])
    return {"question": qid, "answer": aid, "reply": rid, "public": public}


READS = [
    ("GET", "/api/v1/questions", 200),
    ("GET", "/api/v1/questions?sort=votes&per_page=100", 200),
    ("GET", "/api/v1/questions?status=unanswered", 200),
    ("GET", "/api/v1/questions?status=open", 200),
    ("GET", f"/api/v1/questions?tag={CANARY}", 200),
    ("GET", "/api/v1/questions?tag=implants", 200),
    ("GET", "/api/v1/questions?group=secret-circle", 404),
    ("GET", "/api/v1/questions/{question}", 404),
    ("GET", "/api/v1/groups", 200),
    ("GET", "/api/v1/groups?per_page=100", 200),
    ("GET", "/api/v1/groups/secret-circle", 404),
    ("GET", "/api/v1/groups/west-africa", 200),
    ("GET", "/api/v1/tags", 200),
    ("GET", "/api/v1/tags?per_page=100", 200),
]
WRITES = [
    ("POST", "/api/v1/questions/{question}/answers", {"body": "Let me in."}, 404),
    ("POST", "/api/v1/posts/{answer}/replies", {"body": "Let me in."}, 404),
    ("POST", "/api/v1/posts/{reply}/replies", {"body": "Let me in."}, 404),
    ("PATCH", "/api/v1/questions/{question}", {"title": "Let me in, please now"}, 404),
    ("PATCH", "/api/v1/posts/{answer}", {"body": "Let me in."}, 404),
    ("DELETE", "/api/v1/questions/{question}", None, 404),
    ("DELETE", "/api/v1/posts/{reply}", None, 404),
    ("PUT", "/api/v1/questions/{question}/vote", {"value": 1}, 404),
    ("PUT", "/api/v1/posts/{answer}/vote", {"value": 1}, 404),
    ("PUT", "/api/v1/questions/{question}/accepted", {"answer_id": "{answer}"}, 404),
    ("DELETE", "/api/v1/questions/{question}/accepted", None, 404),
    ("PUT", "/api/v1/groups/secret-circle/membership", None, 404),
    ("DELETE", "/api/v1/groups/secret-circle/membership", None, 404),
]


@pytest.mark.parametrize("who", [None, "peer", "member", "mod"])
def test_private_group_content_never_reaches_outsiders(api, app, people, secret, who):
    token = people[who]["token"] if who else None
    ids = dict(secret)
    for method, path, status in READS:
        response = api.call(method, path.format(**ids), token=token)
        assert response.status_code == status, (path, response.get_json())
        assert CANARY not in response.get_data(as_text=True), path
        assert "secret-circle" not in response.get_data(as_text=True), path
    questions = api.get("/api/v1/questions?per_page=100", token=token).get_json()
    assert questions["total"] == 1 and questions["items"][0]["id"] == secret["public"]
    tags = api.get("/api/v1/tags", token=token).get_json()
    assert tags["items"] == [{"name": "implants", "description": "",
                              "question_count": 1}]  # not 2: one is private
    groups = api.get("/api/v1/groups", token=token).get_json()
    assert [g["slug"] for g in groups["items"]] == ["west-africa"]
    assert groups["items"][0]["question_count"] == 1
    if who is None:
        return
    # Writes answer exactly as for a question or post that does not exist.
    for method, path, payload, status in WRITES:
        if payload and "answer_id" in payload:
            payload = {"answer_id": secret["answer"]}
        response = api.call(method, path.format(**ids), json=payload, token=token)
        assert response.status_code == status, (method, path, response.get_json())
        assert CANARY not in response.get_data(as_text=True)
        missing = api.call(method, path.format(question=999999, answer=999999,
                                               reply=999999).replace("secret-circle",
                                                                     "no-such-group"),
                           json=payload, token=token)
        assert missing.status_code == status and missing.get_json() == response.get_json()
    asked = api.post("/api/v1/questions", {"title": "Can I post in there please?",
                                            "body": "Trying.", "group": "secret-circle",
                                            "tags": ["implants"]}, token=token)
    nowhere = api.post("/api/v1/questions", {"title": "Can I post in there please?",
                                              "body": "Trying again.", "group": "no-group",
                                              "tags": ["implants"]}, token=token)
    assert asked.status_code == nowhere.status_code == 422
    assert asked.get_json() == nowhere.get_json()
    if who == "mod":
        described = api.put(f"/api/v1/tags/{CANARY}", {"description": "Found you."},
                            token=token)
        assert described.status_code == 404
        assert described.get_json() == api.put("/api/v1/tags/no-such-tag",
                                                {"description": "Found you."},
                                                token=token).get_json()


@pytest.mark.parametrize("who", ["insider", "admin"])
def test_members_and_admins_see_the_private_group(api, people, secret, who):
    token = people[who]["token"]
    thread = api.get(f"/api/v1/questions/{secret['question']}", token=token)
    assert thread.status_code == 200
    assert thread.get_json()["group"] == "secret-circle"
    assert thread.get_json()["answers"][0]["replies"][0]["id"] == secret["reply"]
    listed = api.get("/api/v1/questions?group=secret-circle", token=token).get_json()
    assert [q["id"] for q in listed["items"]] == [secret["question"]]
    tags = {t["name"]: t["question_count"] for t in
            api.get("/api/v1/tags", token=token).get_json()["items"]}
    assert tags == {"implants": 2, CANARY: 1}
    group = api.get("/api/v1/groups/secret-circle", token=token).get_json()
    assert group["question_count"] == 1 and group["member_count"] == 1
