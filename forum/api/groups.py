"""API: regional groups, following them, and the members of private groups."""

from flask import jsonify
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import (
    body_first,
    current_api_user,
    has_nul,
    json_body,
    optional_user,
    paginate,
    token_required,
)
from forum.api.spec import (
    AUTH_ERRORS,
    BAD_TOKEN,
    BODY_ERRORS,
    INVALID,
    OPTIONAL_AUTH,
    PAGE_PARAMS,
    SECURED,
    _body,
    _error_response,
    _json,
)
from forum.errors import NotFound
from forum.schemas import group_json
from forum.services import groups


def _check_names(slug, username=None) -> None:
    """A NUL in a slug or username names nothing (and PostgreSQL cannot even compare it)."""
    if has_nul(slug):
        raise NotFound(_("No such group."))
    if has_nul(username):
        raise NotFound(_("No such user."))


def _group(group, user) -> dict:
    return group_json(group, following=groups.is_member(user, group))


@bp.get("/v1/groups")
def list_groups():
    user = optional_user()
    member_of = groups.member_group_ids_of(user)  # one query, not one per row

    def serialize(rows):
        return [group_json(g, following=g.id in member_of) for g in rows]

    return jsonify(paginate(groups.visible_groups_query(user), serialize))


@bp.post("/v1/groups")
@body_first
@token_required
def create_group():
    data = json_body(allowed={"slug", "name", "region", "description", "private"},
                     required={"slug", "name", "region"})
    group = groups.create_group(current_api_user(), data["slug"], data["name"], data["region"],
                                data.get("description", ""),
                                private=data.get("private", False))
    return jsonify(group_json(group, following=False)), 201


@bp.get("/v1/groups/<slug>")
def get_group(slug):
    _check_names(slug)
    user = optional_user()
    return jsonify(_group(groups.get_visible_group(user, slug), user))


@bp.put("/v1/groups/<slug>/membership")
@token_required
def join_group(slug):
    _check_names(slug)
    group = groups.join_group(current_api_user(), slug)
    return jsonify({"following": True, "member_count": group.member_count})


@bp.delete("/v1/groups/<slug>/membership")
@token_required
def leave_group(slug):
    _check_names(slug)
    group = groups.leave_group(current_api_user(), slug)
    return jsonify({"following": False, "member_count": group.member_count})


@bp.put("/v1/groups/<slug>/members/<username>")
@token_required
def add_member(slug, username):
    _check_names(slug, username)
    actor = current_api_user()
    return jsonify(_group(groups.add_member(actor, slug, username), actor))


@bp.delete("/v1/groups/<slug>/members/<username>")
@token_required
def remove_member(slug, username):
    _check_names(slug, username)
    actor = current_api_user()
    return jsonify(_group(groups.remove_member(actor, slug, username), actor))


# -- OpenAPI ----------------------------------------------------------------------------

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
HIDDEN = _error_response("No such group, or a private group you are not in (not_found)")
FOLLOWING = {
    "description": "OK",
    "content": {"application/json": {"schema": {
        "type": "object",
        "properties": {"following": {"type": "boolean"},
                       "member_count": {"type": "integer"}},
        "required": ["following"],
    }}},
}

OPENAPI_SCHEMAS = {
    "Group": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "region": {"type": "string"},
            "description_html": {"type": "string"},
            "private": {"type": "boolean"},
            "member_count": {"type": "integer"},
            "question_count": {"type": "integer",
                               "description": "live questions of this group"},
            "following": {"type": "boolean",
                          "description": "the token's user is a member (false when anonymous)"},
        },
        "required": ["slug", "name", "region", "description_html", "private", "member_count",
                     "following"],
    },
    "GroupPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}}},
        ]
    },
}

OPENAPI_PATHS = {
    "/api/v1/groups": {
        "get": {
            "summary": "Groups you may see, by region then name (private groups only to members"
                       " and administrators); anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": PAGE_PARAMS,
            "responses": {"200": _json("GroupPage"), "401": BAD_TOKEN, "422": INVALID},
        },
        "post": {
            "summary": "Create a group (administrators only)",
            "security": SECURED,
            "requestBody": _body(
                {
                    "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$",
                             "minLength": 3, "maxLength": 50},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "region": {"type": "string", "minLength": 1, "maxLength": 80},
                    "description": {"type": "string", "maxLength": 5000,
                                    "description": "Markdown; answered as description_html"},
                    "private": {"type": "boolean", "default": False},
                },
                ["slug", "name", "region"],
            ),
            "responses": {
                "201": _json("Group", "Created"),
                "403": _error_response("Not an administrator"),
                "409": _error_response("The slug is taken (conflict)"),
                **AUTH_ERRORS,
                **BODY_ERRORS,
            },
        },
    },
    "/api/v1/groups/{slug}": {
        "get": {
            "summary": "One group; anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": [SLUG],
            "responses": {"200": _json("Group"), "401": BAD_TOKEN, "404": HIDDEN},
        }
    },
    "/api/v1/groups/{slug}/membership": {
        "put": {
            "summary": "Follow (join) a public group; idempotent",
            "security": SECURED,
            "parameters": [SLUG],
            "responses": {"200": FOLLOWING, "404": HIDDEN, **AUTH_ERRORS},
        },
        "delete": {
            "summary": "Leave a group; idempotent for public groups",
            "security": SECURED,
            "parameters": [SLUG],
            "responses": {"200": FOLLOWING, "404": HIDDEN, **AUTH_ERRORS},
        },
    },
    "/api/v1/groups/{slug}/members/{username}": {
        "put": {
            "summary": "Add a member (how private groups get members); administrators only;"
                       " idempotent",
            "security": SECURED,
            "parameters": [SLUG, USERNAME],
            "responses": {
                "200": _json("Group", "The group, with its new member_count"),
                "403": _error_response("Not an administrator"),
                "404": _error_response("No such group or user"),
                **AUTH_ERRORS,
            },
        },
        "delete": {
            "summary": "Remove a member; administrators only; idempotent",
            "security": SECURED,
            "parameters": [SLUG, USERNAME],
            "responses": {
                "200": _json("Group", "The group, with its new member_count"),
                "403": _error_response("Not an administrator"),
                "404": _error_response("No such group or user"),
                **AUTH_ERRORS,
            },
        },
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
