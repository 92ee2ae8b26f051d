"""API: accounts and tokens."""

from flask import g, jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import current_api_user, json_body, token_required
from forum.api.spec import AUTH_ERRORS, ERRORS, SECURED, _body, _error_response, _json
from forum.errors import InvalidInput
from forum.i18n import select_locale
from forum.models import MAX_EXPERTISE, MAX_LANGUAGES, SPOKEN_LANGUAGES
from forum.schemas import iso, user_json
from forum.services import accounts, profiles, registration


def _ip() -> str:
    return request.remote_addr or "unknown"


@bp.post("/v1/users")
def create_user():
    data = json_body(allowed={"username", "email", "password", "display_name", "invitation"},
                     required={"username", "password"})
    if data.get("invitation") is not None:
        # An invitation's link proved the address: the account is made at once (201).
        user = registration.register_with_invitation(
            data["invitation"], data["username"], data["password"], data.get("display_name"),
            email=data.get("email"), locale=select_locale(), ip=_ip())
        return jsonify(user_json(user, private=True)), 201
    if "email" not in data:
        raise InvalidInput(fields={"email": _("This field is required.")})
    # 202 and the same body whether or not the address has an account: the account is
    # created by POST /v1/users/confirm with the token of the link mailed to the address.
    email = registration.request_registration(
        data["username"], data["email"], data["password"], data.get("display_name"),
        locale=select_locale(), ip=_ip(),
    )
    return jsonify({"status": "confirmation_sent", "email": email}), 202


@bp.post("/v1/users/confirm")
def confirm_user():
    data = json_body(allowed={"token"}, required={"token"})
    user = registration.confirm_registration(data["token"])
    return jsonify(user_json(user, private=True)), 201


@bp.post("/v1/tokens")
def create_token():
    data = json_body(allowed={"login", "password", "device"}, required={"login", "password"})
    token, record = accounts.create_api_token(data["login"], data["password"], ip=_ip(),
                                              device=data.get("device"))
    body = {"token": token, "expires_at": iso(record.expires_at),
            "user": user_json(record.user, private=True),
            "device": accounts.remember_device(record.user, data.get("device"))}
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


def public_user_json(user) -> dict:
    """The public view of a user, whoever asks: no switches, and only the areas of
    expertise that public questions carry (a tag only private questions carry does not
    exist for outsiders)."""
    return user_json(user, expertise=profiles.visible_expertise(None, user.id))


def _user_for(viewer, user) -> dict:
    """The user object as `viewer` may see it: everything for the user themself, the
    switches too for administrators, the public view for others."""
    if viewer.id == user.id:
        return user_json(user, private=True)
    if viewer.is_admin:
        return user_json(user, settings=True)
    return public_user_json(user)


@bp.get("/v1/users/<username>")
def get_user(username):
    # The public view, whoever asks (the owner reads their switches at /v1/me).
    return jsonify(public_user_json(accounts.get_user_by_username(username)))


@bp.put("/v1/users/<username>/role")
@token_required
def set_role(username):
    data = json_body(allowed={"role"}, required={"role"})
    user = accounts.set_role(current_api_user(), username, data["role"])
    return jsonify(_user_for(current_api_user(), user))


PROFILE_FIELDS = {"display_name", "bio", "region", "country", "organization", "title",
                  "languages", "expertise", "directory_hidden", "routing_paused"}


@bp.patch("/v1/users/<username>")
@token_required
def update_user(username):
    data = json_body(allowed=PROFILE_FIELDS)
    actor = current_api_user()
    user = accounts.get_user_by_username(username)
    profiles.update_profile(actor, user, **data)
    return jsonify(_user_for(actor, user))


@bp.put("/v1/users/<username>/verified")
@token_required
def grant_verified(username):
    data = json_body(allowed={"note"}, required={"note"})
    user = profiles.set_verified(current_api_user(), username, True, data["note"])
    return jsonify(_user_for(current_api_user(), user))


@bp.delete("/v1/users/<username>/verified")
@token_required
def remove_verified(username):
    data = json_body(allowed={"note"}, required={"note"})
    user = profiles.set_verified(current_api_user(), username, False, data["note"])
    return jsonify(_user_for(current_api_user(), user))


# -- OpenAPI ----------------------------------------------------------------------------

USER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "role": {"enum": ["member", "moderator", "admin"]},
        "bio_html": {"type": "string"},
        "region": {"type": "string"},
        "country": {"type": "string"},
        "organization": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "expertise": {"type": "array", "items": {"type": "string"}},
        "reputation": {"type": "integer", "description": "public: never counts points "
                                                        "earned in private groups"},
        "private_reputation": {"type": "integer", "description": "points earned in private "
                                                                "groups; only to the user "
                                                                "themself"},
        "title": {"type": "string", "description": "job title (`role` is the site role)"},
        "verified_expert": {"type": "boolean", "description": "the badge moderators grant"},
        "directory_hidden": {"type": "boolean", "description": "out of the expert "
                             "directory; only to the user themself (/me, PATCH) and to "
                             "administrators (PATCH)"},
        "routing_paused": {"type": "boolean", "description": "no questions routed to them; "
                           "only to the user themself (/me, PATCH) and to administrators "
                           "(PATCH)"},
        "created_at": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "description": "only to the user themself"},
        "email_confirmed": {"type": "boolean", "description": "only to the user themself"},
        "bio": {"type": "string", "description": "Markdown source; only to the user themself"},
    },
    "required": ["id", "username", "display_name", "role", "created_at"],
}

VERIFIED_NOTE = {"type": "string", "minLength": 1, "maxLength": 500,
                 "description": "why; kept with who decided and when (shown to moderators)"}

USERNAME_PARAM = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}

OPENAPI_PATHS = {
    "/api/v1/users": {
        "post": {
            "summary": "Ask for an account: a confirmation link is mailed to the address",
            "description": "Answers 202 with the same body whether or not the address has an "
                           "account (then its owner is mailed a warning instead), so that "
                           "registration never tells who is registered. The account is "
                           "created by POST /api/v1/users/confirm with the link's token (the "
                           "last part of the link), within 24 hours.",
            "requestBody": _body(
                {
                    "username": {"type": "string", "pattern": "^[A-Za-z0-9_-]{3,30}$"},
                    "email": {"type": "string", "format": "email"},
                    "password": {"type": "string", "minLength": 8, "maxLength": 128},
                    "display_name": {"type": "string", "maxLength": 80},
                    "invitation": {"type": "string", "description": "the token of an "
                                   "invitation's link (the last part of the link): creates "
                                   "the account at once (201); `email`, if sent, must be "
                                   "the invited address"},
                },
                ["username", "password"],
            ),
            "responses": {
                "201": _json("User", "Created from an invitation"),
                "202": _json("ConfirmationSent", "Accepted: check the mailbox (email "
                                                 "required without an invitation)"),
                "403": _error_response("Registration is by invitation only (forbidden)"),
                "404": _error_response("Unknown, used, revoked or expired invitation "
                                       "(not_found)"),
                "409": _error_response("Username in use (conflict); never said of an email"),
                **ERRORS,
            },
        }
    },
    "/api/v1/users/confirm": {
        "post": {
            "summary": "Create the account of a registration, with the token mailed to it",
            "requestBody": _body({"token": {"type": "string"}}, ["token"]),
            "responses": {
                "201": _json("User", "Created (with email: the token proved the mailbox)"),
                "404": _error_response("Unknown, used or expired token (not_found)"),
                "409": _error_response("The username or the address got an account "
                                       "meanwhile (conflict); nothing was created"),
                **ERRORS,
            },
        }
    },
    "/api/v1/tokens": {
        "post": {
            "summary": "Log in: get an API token (login is a username or an email, any case)",
            "description": "`device`: the `device` of an earlier answer, if the client kept it. "
                           "It lets this client log in while many failed guesses from "
                           "elsewhere hold the account's ceiling (otherwise 429).",
            "requestBody": _body(
                {"login": {"type": "string"}, "password": {"type": "string"},
                 "device": {"type": "string"}},
                ["login", "password"],
            ),
            "responses": {"201": _json("Token", "Created"), **AUTH_ERRORS, **ERRORS},
        }
    },
    "/api/v1/tokens/current": {
        "delete": {
            "summary": "Revoke the token of this request",
            "security": SECURED,
            "responses": {"204": {"description": "Revoked"}, **AUTH_ERRORS},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The token's user, with email",
            "security": SECURED,
            "responses": {"200": _json("User"), **AUTH_ERRORS},
        }
    },
    "/api/v1/users/{username}": {
        "get": {
            "summary": "A user's public profile",
            "parameters": [USERNAME_PARAM],
            "responses": {"200": _json("User"), "404": _error_response("No such user")},
        },
        "patch": {
            "summary": "Change profile fields (the user themself or an administrator)",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "display_name": {"type": "string", "maxLength": 80},
                                "bio": {"type": "string", "maxLength": 5000,
                                        "description": "Markdown; answered as bio_html"},
                                "region": {"type": "string", "maxLength": 80},
                                "country": {"type": "string", "maxLength": 80},
                                "organization": {"type": "string", "maxLength": 120},
                                "title": {"type": "string", "maxLength": 120,
                                          "description": "job title"},
                                "languages": {"type": "array", "maxItems": MAX_LANGUAGES,
                                              "items": {"enum": sorted(SPOKEN_LANGUAGES)},
                                              "description": "codes of languages spoken"},
                                "expertise": {"type": "array", "maxItems": MAX_EXPERTISE,
                                              "items": {"type": "string", "maxLength": 60},
                                              "description": "existing tag names"},
                                "directory_hidden": {"type": "boolean"},
                                "routing_paused": {"type": "boolean"},
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": _json("User"),
                "403": _error_response("Not this user nor an administrator"),
                "404": _error_response("No such user"),
                **AUTH_ERRORS,
                **ERRORS,
            },
        },
    },
    "/api/v1/users/{username}/verified": {
        "put": {
            "summary": "Grant the verified-expert badge, saying why (moderators)",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": _body({"note": VERIFIED_NOTE}, ["note"]),
            "responses": {
                "200": _json("User"),
                "403": _error_response("Not a moderator"),
                "404": _error_response("No such user"),
                **AUTH_ERRORS,
                **ERRORS,
            },
        },
        "delete": {
            "summary": "Remove the verified-expert badge, saying why (moderators)",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": _body({"note": VERIFIED_NOTE}, ["note"]),
            "responses": {
                "200": _json("User"),
                "403": _error_response("Not a moderator"),
                "404": _error_response("No such user"),
                **AUTH_ERRORS,
                **ERRORS,
            },
        },
    },
    "/api/v1/users/{username}/role": {
        "put": {
            "summary": "Grant a role (administrators only)",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": _body(
                {"role": {"enum": ["member", "moderator", "admin"]}}, ["role"]
            ),
            "responses": {
                "200": _json("User"),
                "403": _error_response("Not an administrator"),
                "404": _error_response("No such user"),
                "409": _error_response("An administrator cannot demote themself"),
                **AUTH_ERRORS,
                **ERRORS,
            },
        }
    },
}


OPENAPI_SCHEMAS = {
    "User": USER_SCHEMA,
    "ConfirmationSent": {
        "type": "object",
        "properties": {"status": {"const": "confirmation_sent"},
                       "email": {"type": "string", "format": "email"}},
        "required": ["status", "email"],
    },
    "Token": {
        "type": "object",
        "properties": {
            "token": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time"},
            "user": {"$ref": "#/components/schemas/User"},
            "device": {"type": "string",
                       "description": "known-device token: send it with the next login"},
        },
        "required": ["token", "expires_at", "user", "device"],
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
