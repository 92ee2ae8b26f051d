"""API: regional groups, following them, and the members of private groups."""

from flask import jsonify, request
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
from forum.schemas import author_json, group_json, iso
from forum.services import follows, groups
from forum.services.inputs import MAX_ID


def _check_names(slug, username=None) -> None:
    """A NUL in a slug or username names nothing (and PostgreSQL cannot even compare it)."""
    if has_nul(slug):
        raise NotFound(_("No such group."))
    if has_nul(username):
        raise NotFound(_("No such user."))


def _group(group, user) -> dict:
    return group_json(group, following=follows.level_of(user, "group", group.id) is not None)


@bp.get("/v1/groups")
def list_groups():
    user = optional_user()
    followed = follows.followed_ids(user, "group")  # one query, not one per row

    def serialize(rows):
        return [group_json(g, following=g.id in followed) for g in rows]

    return jsonify(paginate(groups.visible_groups_query(user), serialize))


@bp.post("/v1/groups")
@body_first
@token_required
def create_group():
    data = json_body(allowed={"slug", "name", "region", "description", "private", "name_fr",
                              "description_fr"},
                     required={"slug", "name", "region"})
    group = groups.create_group(current_api_user(), data["slug"], data["name"], data["region"],
                                data.get("description", ""),
                                private=data.get("private", False),
                                name_fr=data.get("name_fr", ""),
                                description_fr=data.get("description_fr", ""))
    return jsonify(group_json(group, following=False)), 201


@bp.patch("/v1/groups/<slug>")
@body_first
@token_required
def update_group(slug):
    _check_names(slug)
    data = json_body(allowed={"name", "name_fr", "region", "description", "description_fr"})
    actor = current_api_user()
    return jsonify(_group(groups.update_group(actor, slug, **data), actor))


@bp.get("/v1/groups/<slug>")
def get_group(slug):
    _check_names(slug)
    user = optional_user()
    return jsonify(_group(groups.get_visible_group(user, slug), user))


@bp.put("/v1/groups/<slug>/membership")
@token_required
def join_group(slug):
    _check_names(slug)
    user = current_api_user()
    group = groups.join_group(user, slug)
    # Joining follows by default; a member who unfollowed and joins again stays unfollowed.
    return jsonify({"following": follows.level_of(user, "group", group.id) is not None,
                    "member_count": group.member_count})


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


@bp.put("/v1/groups/<slug>/moderators/<username>")
@token_required
def appoint_moderator(slug, username):
    _check_names(slug, username)
    return jsonify(_membership(*groups.set_group_moderator(current_api_user(), slug,
                                                           username, True)))


@bp.delete("/v1/groups/<slug>/moderators/<username>")
@token_required
def remove_moderator(slug, username):
    _check_names(slug, username)
    return jsonify(_membership(*groups.set_group_moderator(current_api_user(), slug,
                                                           username, False)))


def _membership(membership, person) -> dict:
    return {"username": person.username, "group_role": membership.role}


@bp.get("/v1/groups/<slug>/members")
def list_members(slug):
    _check_names(slug)
    user = optional_user()

    def serialize(rows):
        return [{**author_json(person), "group_role": m.role,
                 "joined_at": iso(m.created_at)} for m, person in rows]

    return jsonify(paginate(groups.members_query(user, slug), serialize, rows=True))


def _request_json(join_request, person=None) -> dict:
    return {"id": join_request.id, "user": author_json(person) if person else None,
            "message": join_request.message, "state": join_request.state,
            "created_at": iso(join_request.created_at),
            "decided_at": iso(join_request.decided_at)}


@bp.post("/v1/groups/<slug>/requests")
@body_first
@token_required
def request_to_join(slug):
    _check_names(slug)
    # The body is optional: a request may come without a message.
    data = json_body(allowed={"message"}) if request.get_data(cache=True) else {}
    actor = current_api_user()
    created = groups.request_to_join(actor, slug, data.get("message", ""))
    return jsonify(_request_json(created, actor)), 201


@bp.get("/v1/groups/<slug>/requests")
@token_required
def list_requests(slug):
    _check_names(slug)

    def serialize(rows):
        return [_request_json(req, person) for req, person in rows]

    return jsonify(paginate(groups.pending_requests_query(current_api_user(), slug),
                            serialize, rows=True))


@bp.post(f"/v1/groups/<slug>/requests/<int(max={MAX_ID}):request_id>/approve",
         defaults={"decision": "approve"})
@bp.post(f"/v1/groups/<slug>/requests/<int(max={MAX_ID}):request_id>/refuse",
         defaults={"decision": "refuse"})
@token_required
def decide_request(slug, request_id, decision):
    _check_names(slug)
    decided, asker = groups.decide_join_request(current_api_user(), slug, request_id,
                                                approve=decision == "approve")
    return jsonify(_request_json(decided, asker))


# -- OpenAPI ----------------------------------------------------------------------------

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
REQUEST_ID = {"name": "request_id", "in": "path", "required": True,
              "schema": {"type": "integer"}}
MODERATORS_ONLY = _error_response("Not a moderator of this group; also the answer for a"
                                  " group that does not exist or that you cannot see")
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
            "name_fr": {"type": "string", "description": "the French name; empty: none"},
            "description_fr_html": {"type": "string",
                                    "description": "the French description; empty: none"},
            "private": {"type": "boolean"},
            "member_count": {"type": "integer"},
            "question_count": {"type": "integer",
                               "description": "live questions of this group"},
            "following": {"type": "boolean",
                          "description": "the token's user follows the group, at any"
                                         " level (false when anonymous)"},
        },
        "required": ["slug", "name", "name_fr", "region", "description_html",
                     "description_fr_html", "private", "member_count", "following"],
    },
    "GroupMember": {
        "type": "object",
        "description": "A member: the author object, with the role in this group",
        "properties": {
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "role": {"type": "string", "description": "the site role"},
            "verified_expert": {"type": "boolean"},
            "group_role": {"enum": ["member", "moderator"]},
            "joined_at": {"type": "string", "format": "date-time"},
        },
        "required": ["username", "group_role", "joined_at"],
    },
    "GroupMemberPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array",
                          "items": {"$ref": "#/components/schemas/GroupMember"}}}},
        ]
    },
    "GroupRole": {
        "type": "object",
        "properties": {"username": {"type": "string"},
                       "group_role": {"enum": ["member", "moderator"]}},
        "required": ["username", "group_role"],
    },
    "JoinRequest": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "user": {"type": ["object", "null"], "description": "the author object of the"
                     " person asking (null for a deleted account)"},
            "message": {"type": "string"},
            "state": {"enum": ["pending", "approved", "refused"]},
            "created_at": {"type": "string", "format": "date-time"},
            "decided_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "required": ["id", "user", "message", "state", "created_at", "decided_at"],
    },
    "JoinRequestPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array",
                          "items": {"$ref": "#/components/schemas/JoinRequest"}}}},
        ]
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
                    "name_fr": {"type": "string", "maxLength": 100,
                                "description": "shown in the French interface"},
                    "description_fr": {"type": "string", "maxLength": 5000,
                                       "description": "Markdown; answered as"
                                                      " description_fr_html"},
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
        },
        "patch": {
            "summary": "Edit a group: its moderators change the descriptions, administrators"
                       " also the names and the region",
            "security": SECURED,
            "parameters": [SLUG],
            "requestBody": {**_body({
                "name": {"type": "string", "minLength": 1, "maxLength": 100},
                "name_fr": {"type": "string", "maxLength": 100},
                "region": {"type": "string", "minLength": 1, "maxLength": 80},
                "description": {"type": "string", "maxLength": 5000},
                "description_fr": {"type": "string", "maxLength": 5000},
            }, [])},
            "responses": {
                "200": _json("Group"),
                "403": MODERATORS_ONLY,
                "404": _error_response("No such group (administrators)"),
                **AUTH_ERRORS,
                **BODY_ERRORS,
            },
        },
    },
    "/api/v1/groups/{slug}/members": {
        "get": {
            "summary": "The members of a group you may see, its moderators first",
            "security": OPTIONAL_AUTH,
            "parameters": [SLUG, *PAGE_PARAMS],
            "responses": {"200": _json("GroupMemberPage"), "401": BAD_TOKEN, "404": HIDDEN,
                          "422": INVALID},
        }
    },
    "/api/v1/groups/{slug}/moderators/{username}": {
        "put": {
            "summary": "Appoint a group moderator (made a member if needed); administrators,"
                       " and site moderators for the groups they can see; idempotent",
            "security": SECURED,
            "parameters": [SLUG, USERNAME],
            "responses": {
                "200": _json("GroupRole"),
                "403": _error_response("Not a site moderator of a group you can see"),
                "404": _error_response("No such user (or no such group, to administrators)"),
                **AUTH_ERRORS,
            },
        },
        "delete": {
            "summary": "Remove a group moderator (they stay a member); same people",
            "security": SECURED,
            "parameters": [SLUG, USERNAME],
            "responses": {
                "200": _json("GroupRole"),
                "403": _error_response("Not a site moderator of a group you can see"),
                "404": _error_response("No such user, or not a member"),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/groups/{slug}/requests": {
        "post": {
            "summary": "Ask to join a private group (from its join link); one pending"
                       " request per person; the body is optional",
            "security": SECURED,
            "parameters": [SLUG],
            "requestBody": {**_body({"message": {"type": "string", "maxLength": 1000}}, []),
                            "required": False},
            "responses": {
                "201": _json("JoinRequest", "Created"),
                "404": _error_response("No such group"),
                "409": _error_response("A public group, a member already, or a request"
                                       " pending (conflict)"),
                **AUTH_ERRORS,
                **BODY_ERRORS,
            },
        },
        "get": {
            "summary": "The pending join requests, oldest first; the group's moderators only",
            "security": SECURED,
            "parameters": [SLUG, *PAGE_PARAMS],
            "responses": {"200": _json("JoinRequestPage"), "403": MODERATORS_ONLY,
                          "404": _error_response("No such group (administrators)"),
                          "422": INVALID, **AUTH_ERRORS},
        },
    },
    **{f"/api/v1/groups/{{slug}}/requests/{{request_id}}/{decision}": {
        "post": {
            "summary": summary,
            "security": SECURED,
            "parameters": [SLUG, REQUEST_ID],
            "responses": {
                "200": _json("JoinRequest"),
                "403": MODERATORS_ONLY,
                "404": _error_response("No such request in this group"),
                "409": _error_response("Decided already (conflict)"),
                **AUTH_ERRORS,
            },
        }
    } for decision, summary in (
        ("approve", "Approve a pending join request: the person becomes a member"),
        ("refuse", "Refuse a pending join request"))},
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
            "summary": "Add a member (how private groups get members); administrators and"
                       " the group's moderators; idempotent",
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
            "summary": "Remove a member; administrators and the group's moderators;"
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
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
