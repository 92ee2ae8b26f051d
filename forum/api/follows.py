"""API: what the token's user follows, and following or unfollowing a group, tag, question
or person at a level."""

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import body_first, current_api_user, has_nul, json_body, token_required
from forum.api.spec import AUTH_ERRORS, BODY_ERRORS, SECURED, _error_response, _json
from forum.errors import NotFound
from forum.services import follows


def followed_json(item: follows.Followed) -> dict:
    """One followed thing: its type, its key (slug, name, id or username), a label, the
    level and its page."""
    target = item.target
    if item.type == "group":
        data = {"slug": target.slug, "name": target.name,
                "url": url_for("groups.group", slug=target.slug)}
    elif item.type == "tag":
        data = {"name": target.name, "url": url_for("qa.tag", name=target.name)}
    elif item.type == "question":
        data = {"id": target.id, "title": target.title,
                "url": url_for("qa.question", question_id=target.id)}
    else:
        data = {"username": target.username,
                "url": url_for("api.get_user", username=target.username)}
    return {"type": item.type, **data, "level": item.level}


def _check_key(key) -> None:
    if has_nul(key):  # names nothing (and PostgreSQL cannot even compare it)
        raise NotFound(_("Not found."))


@bp.get("/v1/following")
@token_required
def list_following():
    found = follows.follows_of(current_api_user())
    return jsonify({"items": [followed_json(item) for item in found.all()]})


@bp.put("/v1/follows/<target_type>/<key>")
@body_first
@token_required
def follow(target_type, key):
    _check_key(key)
    # The body is optional: none (or {}) follows at "all", or keeps the level already set.
    data = json_body(allowed={"level"}) if request.is_json or request.content_length else {}
    _target, level = follows.follow(current_api_user(), target_type, key,
                                    level=data.get("level"))
    return jsonify({"following": True, "level": level})


@bp.delete("/v1/follows/<target_type>/<key>")
@token_required
def unfollow(target_type, key):
    _check_key(key)
    follows.unfollow(current_api_user(), target_type, key)
    return jsonify({"following": False})


# -- OpenAPI ----------------------------------------------------------------------------

TARGET_TYPE = {"name": "target_type", "in": "path", "required": True,
               "schema": {"type": "string", "enum": list(follows.TARGET_TYPES)}}
KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "the group's slug, the tag's name, the question's id or the username"}
HIDDEN = _error_response("No such thing, or one you may not see (a private group you are"
                         " not in, its questions, a tag only they carry): not_found")
STATE = {
    "description": "OK",
    "content": {"application/json": {"schema": {
        "type": "object",
        "properties": {"following": {"type": "boolean"},
                       "level": {"type": "string", "enum": list(follows.LEVELS)}},
        "required": ["following"],
    }}},
}

OPENAPI_SCHEMAS = {
    "Followed": {
        "type": "object",
        "description": "One thing you follow; the key field depends on the type: slug (and"
                       " name) for a group, name for a tag, id (and title) for a question,"
                       " username for a person",
        "properties": {
            "type": {"type": "string", "enum": list(follows.TARGET_TYPES)},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "username": {"type": "string"},
            "level": {"type": "string", "enum": list(follows.LEVELS)},
            "url": {"type": "string", "description": "its page (a path on this site)"},
        },
        "required": ["type", "level", "url"],
    },
    "FollowingList": {
        "type": "object",
        "properties": {"items": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Followed"}}},
        "required": ["items"],
    },
}

OPENAPI_PATHS = {
    "/api/v1/following": {
        "get": {
            "summary": "What you follow and may still see: groups, tags, questions, people,"
                       " each with its level",
            "security": SECURED,
            "responses": {"200": _json("FollowingList"), **AUTH_ERRORS},
        },
    },
    "/api/v1/follows/{target_type}/{key}": {
        "put": {
            "summary": "Follow a group (members only, for a private one), a tag, a question"
                       " or a person, or change the level; idempotent. Without a level a new"
                       " follow is at `all` and an existing one keeps its level",
            "security": SECURED,
            "parameters": [TARGET_TYPE, KEY],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"level": {"type": "string",
                                             "enum": list(follows.LEVELS)}},
                    "additionalProperties": False}}},
            },
            "responses": {
                "200": STATE,
                "403": _error_response("A private group you see without being a member"
                                       " (administrators): join it first"),
                "404": HIDDEN,
                **BODY_ERRORS,
                **AUTH_ERRORS,
            },
        },
        "delete": {
            "summary": "Stop following; a group stays joined; idempotent",
            "security": SECURED,
            "parameters": [TARGET_TYPE, KEY],
            "responses": {"200": STATE, "404": HIDDEN, "422": BODY_ERRORS["422"],
                          **AUTH_ERRORS},
        },
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
