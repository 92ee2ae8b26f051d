"""JSON API of accounts: users, tokens, /me, roles, and the error shape."""

from datetime import datetime, timedelta

import pytest

from forum.api.common import page_args
from forum.errors import InvalidInput
from forum.extensions import db
from forum.models import ApiToken, User
from forum.services.accounts import register_user
from forum.services.uow import unit_of_work


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


def test_register_then_token_then_me(api, outbox):
    asked = api.post("/api/v1/users", {"username": "kofi", "email": "Kofi@Example.org",
                                       "password": "volta river clinic", "display_name": "Kofi"})
    assert asked.status_code == 202
    assert asked.get_json() == {"status": "confirmation_sent", "email": "Kofi@Example.org"}
    token = outbox.last_link(r"https?://\S+/register/confirm/\S+").rsplit("/", 1)[1]
    created = api.post("/api/v1/users/confirm", {"token": token})
    assert created.status_code == 201
    user = created.get_json()
    assert user["username"] == "kofi" and user["role"] == "member"
    assert user["email"] == "Kofi@Example.org" and "password" not in str(user)
    assert "email" not in api.get("/api/v1/users/kofi").get_json()
    assert datetime.fromisoformat(user["created_at"]).utcoffset() == timedelta(0)
    token = api.post("/api/v1/tokens", {"login": "KOFI@example.org",
                                        "password": "volta river clinic"})
    assert token.status_code == 201
    body = token.get_json()
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now().astimezone()
    me = api.get("/api/v1/me", token=body["token"])
    assert me.status_code == 200
    assert me.get_json()["email"] == "Kofi@Example.org"
    assert api.get("/api/v1/users/KOFI").get_json()["username"] == "kofi"


def test_tokens_are_stored_hashed(api, user, app):
    token = api.login("nurse", user["password"])
    with app.app_context():
        stored = db.session.query(ApiToken).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_revoked_token_stops_working_at_once(api, user):
    token = api.login("nurse", user["password"])
    assert api.delete("/api/v1/tokens/current").status_code == 204
    response = api.get("/api/v1/me", token=token)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_expired_token_is_refused(api, user, app):
    token = api.login("nurse", user["password"])
    with app.app_context(), unit_of_work():
        record = db.session.query(ApiToken).one()
        record.expires_at = record.created_at - timedelta(seconds=1)
    assert api.get("/api/v1/me", token=token).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token"])
def test_missing_or_bad_authorization_is_401_json(api, header):
    response = api.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert error_of(response)["code"] == "unauthorized"


def test_api_ignores_the_session_cookie(client, api):
    # A logged-in browser cookie is not an API credential (so the API needs no CSRF token).
    response = client.client.get("/api/v1/me")
    assert response.status_code == 401


def test_password_change_revokes_api_tokens(client, api, user):
    token = api.login("nurse", user["password"])
    client.post_form("/account/password", {"current_password": user["password"],
                                           "new_password": "another long passphrase"},
                     page="/account")
    assert api.get("/api/v1/me", token=token).status_code == 401


def test_deleted_account_tokens_stop_and_profile_is_gone(client, api, user):
    token = api.login("nurse", user["password"])
    client.post_form("/account/delete", {"password": user["password"]})
    assert api.get("/api/v1/me", token=token).status_code == 401
    assert api.get("/api/v1/users/nurse").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "ab", "email": "a@example.org", "password": "long enough pass"}, "username"),
        ({"username": 12345, "email": "a@example.org", "password": "long enough pass"},
         "username"),
        ({"username": "abc", "email": "nope", "password": "long enough pass"}, "email"),
        ({"username": "abc", "email": ["a@example.org"], "password": "long enough pass"}, "email"),
        ({"username": "abc", "email": "a@example.org", "password": "short"}, "password"),
        ({"username": "abc", "email": "a@example.org", "password": "x" * 129}, "password"),
        ({"username": "abc", "email": "a@example.org", "password": "qwertyuiop"}, "password"),
        ({"username": "abc", "email": "a@example.org", "password": None}, "password"),
        ({"username": "abc", "email": "a@example.org"}, "password"),
        ({"username": "abc", "email": "a@example.org", "password": "long enough pass",
          "is_admin": True}, "is_admin"),
        ({"username": "abc", "email": "a@example.org", "password": "long enough pass",
          "display_name": "x" * 81}, "display_name"),
    ],
)
def test_register_validation_names_the_field_and_writes_nothing(api, app, payload, field):
    response = api.post("/api/v1/users", payload)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_duplicate_username_is_409_naming_only_the_username(api, make_user):
    make_user("kofi")
    response = api.post("/api/v1/users", {"username": "Kofi", "email": "KOFI@example.org",
                                          "password": "volta river clinic"})
    assert response.status_code == 409
    assert set(error_of(response)["fields"]) == {"username"}


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "not json", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "username=x", "content_type": "application/x-www-form-urlencoded"}, 400,
         "bad_request"),
        ({"data": "{" + '"a":"' + "x" * (2 * 1024 * 1024) + '"}',
          "content_type": "application/json"}, 413, "too_large"),
    ],
)
def test_malformed_bodies_get_json_errors(app, kwargs, status, code):
    response = app.test_client().post("/api/v1/users", **kwargs)
    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_wrong_login_is_401_and_unknown_route_404_and_method_405(api, user):
    wrong = api.post("/api/v1/tokens", {"login": "nurse", "password": "wrong password here"})
    assert wrong.status_code == 401 and error_of(wrong)["code"] == "unauthorized"
    missing = api.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    method = api.call("PATCH", "/api/v1/tokens")
    assert method.status_code == 405 and error_of(method)["code"] == "method_not_allowed"
    assert "POST" in method.headers["Allow"]


def test_unexpected_errors_are_500_json_without_traceback(app):
    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/_boom")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_page_error_is_html_without_traceback(app):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert "<h1>" in text


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("member", 403), ("moderator", 403), ("admin", 200)],
)
def test_role_change_permission_matrix(api, make_user, who, status):
    make_user("target")
    if who != "anonymous":
        make_user(who, role=who if who != "member" else "member")
        api.login(who, "correct horse battery")
    response = api.put("/api/v1/users/target/role", {"role": "moderator"})
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["role"] == "moderator"
        assert api.get("/api/v1/users/target").get_json()["role"] == "moderator"


def test_role_change_validates_role_and_user(api, make_user):
    make_user("boss", role="admin")
    make_user("target")
    api.login("boss", "correct horse battery")
    bad = api.put("/api/v1/users/target/role", {"role": "overlord"})
    assert bad.status_code == 422 and "role" in error_of(bad)["fields"]
    assert api.put("/api/v1/users/ghost/role", {"role": "moderator"}).status_code == 404
    # "expert" is no role any more: the verified-expert badge replaced it.
    folded = api.put("/api/v1/users/target/role", {"role": "expert"})
    assert folded.status_code == 422 and "role" in error_of(folded)["fields"]
    assert api.put("/api/v1/users/boss/role", {"role": "member"}).status_code == 409


def test_cli_creates_user_with_role(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "grace", "--email", "grace@example.org",
                                 "--password", "nairobi county health", "--role", "moderator"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(User).filter_by(username="grace").one().role == "moderator"
    weak = runner.invoke(args=["users", "create", "weak", "--email", "w@example.org",
                               "--password", "password"])
    assert weak.exit_code != 0 and "password" in weak.output


def test_pagination_arguments_are_validated(app):
    for query, expected in [("", (1, 20)), ("?page=3&per_page=100", (3, 100))]:
        with app.test_request_context("/api/v1/x" + query):
            assert page_args() == expected
    for query in ["?page=0", "?page=x", "?per_page=101", "?per_page=-1", "?page=100001",
                  "?page=99999999999999999999", "?page=%C2%B2"]:
        with app.test_request_context("/api/v1/x" + query), pytest.raises(InvalidInput):
            page_args()


def test_profile_patch_renders_bio_safely_and_validates(api, make_user, make_group,
                                                        make_question):
    amina = make_user("amina")
    make_group()
    make_question(amina, "west-africa", tags=["dmpa-sc", "postpartum-fp"])
    api.login("amina", "correct horse battery")
    response = api.call("PATCH", "/api/v1/users/amina", json={
        "bio": "Trainer in **DMPA-SC** self-injection <script>alert(1)</script>",
        "region": "West Africa", "country": "Sénégal", "languages": ["fr", "wo", "fr"],
        "expertise": ["DMPA-SC", "postpartum-fp"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert "<strong>DMPA-SC</strong>" in body["bio_html"]
    assert "<script" not in body["bio_html"]
    assert body["languages"] == ["fr", "wo"] and body["country"] == "Sénégal"
    assert body["expertise"] == ["dmpa-sc", "postpartum-fp"]
    assert body["bio"].startswith("Trainer")
    bad = api.call("PATCH", "/api/v1/users/amina",
                   json={"languages": "fr", "expertise": ["x" * 61], "country": 5,
                         "role": "admin"})
    assert bad.status_code == 422
    assert set(error_of(bad)["fields"]) == {"role"}
    bad = api.call("PATCH", "/api/v1/users/amina",
                   json={"languages": "fr", "expertise": ["x" * 61], "country": 5})
    assert set(error_of(bad)["fields"]) == {"languages", "expertise", "country"}
    assert api.get("/api/v1/users/amina").get_json()["country"] == "Sénégal"


@pytest.mark.parametrize(("who", "status"), [("other", 403), ("admin", 200), ("self", 200)])
def test_profile_patch_is_self_or_admin(api, make_user, who, status):
    make_user("amina")
    make_user("other")
    make_user("admin", role="admin")
    api.login("amina" if who == "self" else who, "correct horse battery")
    response = api.call("PATCH", "/api/v1/users/amina", json={"region": "Asia"})
    assert response.status_code == status
    expected = "Asia" if status == 200 else ""
    assert api.get("/api/v1/users/amina").get_json()["region"] == expected


def test_production_hashes_use_werkzeug_scrypt_default_cost(make_app, api):
    app = make_app(PASSWORD_HASH_METHOD="scrypt")
    with app.app_context():
        user = register_user("kofi", "kofi@example.org", "volta river clinic", system=True)
        assert user.password_hash.startswith("scrypt:32768:8:1$")
