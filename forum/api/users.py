"""API: accounts and tokens."""

from flask import g, jsonify, request

from forum.api import bp
from forum.api.common import current_api_user, json_body, token_required
from forum.schemas import iso, user_json
from forum.services import accounts


def _ip() -> str:
    return request.remote_addr or "unknown"


@bp.post("/v1/users")
def create_user():
    data = json_body(allowed={"username", "email", "password", "display_name"},
                     required={"username", "email", "password"})
    user = accounts.register_user(
        data["username"], data["email"], data["password"], data.get("display_name"), ip=_ip()
    )
    return jsonify(user_json(user)), 201


@bp.post("/v1/tokens")
def create_token():
    data = json_body(allowed={"login", "password"}, required={"login", "password"})
    token, record = accounts.create_api_token(data["login"], data["password"], ip=_ip())
    body = {"token": token, "expires_at": iso(record.expires_at),
            "user": user_json(record.user, private=True)}
    return jsonify(body), 201


@bp.delete("/v1/tokens/current")
@token_required
def revoke_current_token():
    accounts.revoke_api_token(g.api_token)
    return "", 204


@bp.get("/v1/me")
@token_required
def me():
    return jsonify(user_json(current_api_user(), private=True))


@bp.get("/v1/users/<username>")
def get_user(username):
    return jsonify(user_json(accounts.get_user_by_username(username)))


@bp.put("/v1/users/<username>/role")
@token_required
def set_role(username):
    data = json_body(allowed={"role"}, required={"role"})
    user = accounts.set_role(current_api_user(), username, data["role"])
    return jsonify(user_json(user))


PROFILE_FIELDS = {"display_name", "bio", "region", "country", "organization", "languages",
                  "expertise"}


@bp.patch("/v1/users/<username>")
@token_required
def update_user(username):
    data = json_body(allowed=PROFILE_FIELDS)
    actor = current_api_user()
    user = accounts.get_user_by_username(username)
    accounts.update_profile(actor, user, **data)
    return jsonify(user_json(user, private=actor.id == user.id))
