"""The profile through the JSON API: PATCH /api/v1/users/{username} (title, languages,
expertise, the directory and routing switches), who sees the switches, and the
verified-expert badge (PUT/DELETE /api/v1/users/{username}/verified). Budget: about 10 s."""

import pytest

from tests.helpers import ApiClient

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app, make_user, group, make_question):
    """`helper` (member), `member`, `mod` (moderator), `admin`; the tags implants and
    training exist."""
    ids = {name: make_user(name, role=role) for name, role in (
        ("helper", "member"), ("member", "member"), ("mod", "moderator"),
        ("admin", "admin"))}
    make_question(ids["member"], group, tags=("implants", "training"))
    return ids


def api_as(app, username) -> ApiClient:
    client = ApiClient(app.test_client())
    if username != "anonymous":
        client.login(username, PASSWORD)
    return client


def test_the_owner_patches_title_languages_expertise_and_switches(app, people):
    api = api_as(app, "helper")
    response = api.call("PATCH", "/api/v1/users/helper", json={
        "title": "Midwife trainer", "languages": ["fr", "wo"],
        "expertise": ["training", "Implants"], "directory_hidden": True,
        "routing_paused": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Midwife trainer" and body["languages"] == ["fr", "wo"]
    assert body["expertise"] == ["implants", "training"]
    assert body["directory_hidden"] is True and body["routing_paused"] is True
    public = api_as(app, "anonymous").get("/api/v1/users/helper").get_json()
    assert public["title"] == "Midwife trainer" and public["expertise"] == ["implants",
                                                                            "training"]
    assert "directory_hidden" not in public and "routing_paused" not in public
    assert "email" not in public
    other = api_as(app, "member").get("/api/v1/users/helper").get_json()
    assert "directory_hidden" not in other
    # /users/{username} is the public view, whoever asks; the owner reads theirs at /me.
    assert "directory_hidden" not in api.get("/api/v1/users/helper").get_json()
    own = api.get("/api/v1/me").get_json()
    assert own["directory_hidden"] is True and own["routing_paused"] is True
    by_admin = api_as(app, "admin")
    assert "routing_paused" not in by_admin.get("/api/v1/users/helper").get_json()
    changed = by_admin.call("PATCH", "/api/v1/users/helper", json={"routing_paused": False})
    assert changed.status_code == 200
    assert changed.get_json()["routing_paused"] is False and "email" not in changed.get_json()


@pytest.mark.parametrize("body", [
    {"languages": ["fr", "klingon"]},
    {"languages": "fr"},
    {"expertise": ["implants", "nosuchtag"]},
    {"expertise": [f"tag{n}" for n in range(11)]},
    {"expertise": [1, 2]},
    {"directory_hidden": "yes"},
    {"routing_paused": 1},
    {"title": "x" * 121},
    {"title": "Fine title", "languages": ["xx"]},
    {"role": "admin"},
])
def test_bad_profile_input_is_422_and_changes_nothing(app, people, body):
    api = api_as(app, "helper")
    before = api.get("/api/v1/users/helper").get_json()
    response = api.call("PATCH", "/api/v1/users/helper", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid"
    assert api.get("/api/v1/users/helper").get_json() == before


def test_others_cannot_patch_a_profile(app, people):
    assert api_as(app, "anonymous").call("PATCH", "/api/v1/users/helper",
                                         json={"title": "x"}).status_code == 401
    for who in ("member", "mod"):
        response = api_as(app, who).call("PATCH", "/api/v1/users/helper", json={"title": "x"})
        assert response.status_code == 403
    assert api_as(app, "anonymous").get("/api/v1/users/helper").get_json()["title"] == ""


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 401), ("member", 403), ("helper", 403), ("mod", 200), ("admin", 200)])
def test_only_moderators_grant_and_remove_the_badge(app, people, who, status):
    api = api_as(app, who)
    granted = api.put("/api/v1/users/helper/verified", {"note": "Trained 200 midwives."})
    assert granted.status_code == status
    public = api_as(app, "anonymous").get("/api/v1/users/helper").get_json()
    assert public["verified_expert"] is (status == 200)
    if status != 200:
        return
    assert granted.get_json()["verified_expert"] is True
    removed = api.call("DELETE", "/api/v1/users/helper/verified", json={"note": "Moved on."})
    assert removed.status_code == 200 and removed.get_json()["verified_expert"] is False
    assert api_as(app, "anonymous").get("/api/v1/users/helper").get_json()[
        "verified_expert"] is False


@pytest.mark.parametrize(("method", "body"), [
    ("PUT", {}), ("PUT", {"note": ""}), ("PUT", {"note": "  "}), ("PUT", {"note": "x" * 501}),
    ("PUT", {"note": 5}), ("PUT", {"note": "ok", "verified": True}), ("DELETE", {}),
    ("DELETE", {"note": ""}),
])
def test_the_badge_needs_a_note_and_bad_input_changes_nothing(app, people, method, body):
    api = api_as(app, "mod")
    if method == "DELETE":
        assert api.put("/api/v1/users/helper/verified", {"note": "Known."}).status_code == 200
    before = api.get("/api/v1/users/helper").get_json()
    response = api.call(method, "/api/v1/users/helper/verified", json=body)
    assert response.status_code == 422, response.get_json()
    assert api.get("/api/v1/users/helper").get_json() == before


def test_the_badge_of_an_unknown_user_is_404(app, people):
    api = api_as(app, "mod")
    assert api.put("/api/v1/users/nobody/verified", {"note": "Known."}).status_code == 404
    assert api.call("DELETE", "/api/v1/users/nobody/verified",
                    json={"note": "Known."}).status_code == 404


def test_expert_is_no_longer_a_site_role(app, people):
    response = api_as(app, "admin").put("/api/v1/users/helper/role", {"role": "expert"})
    assert response.status_code == 422
    assert api_as(app, "anonymous").get("/api/v1/users/helper").get_json()["role"] == "member"


def test_a_tag_only_private_questions_carry_is_an_area_of_expertise_for_insiders_only(
        app, people, make_group, join, make_question):
    make_group("secret-circle", private=True)
    join(people["helper"], "secret-circle", private=True)
    make_question(people["admin"], "secret-circle", title="Only asked in this private circle",
                  tags=("zanzibarcanary",))
    outsider = api_as(app, "member").call("PATCH", "/api/v1/users/member",
                                          json={"expertise": ["zanzibarcanary"]})
    assert outsider.status_code == 422
    assert outsider.get_json()["error"]["fields"]["expertise"] == (
        "Areas of expertise are tags of this forum; there is no tag zanzibarcanary.")
    insider = api_as(app, "helper").call("PATCH", "/api/v1/users/helper",
                                         json={"expertise": ["zanzibarcanary", "implants"]})
    assert insider.status_code == 200
    assert insider.get_json()["expertise"] == ["implants", "zanzibarcanary"]
    # /users/{username} is the public view: it does not name the private tag either.
    public = api_as(app, "anonymous").get("/api/v1/users/helper").get_json()
    assert "zanzibarcanary" not in public["expertise"]
