"""JSON API: what moderators do to questions, posts, chat messages and people.

Each endpoint calls one service of forum.services.moderation and answers the changed
object; the services authorize (401 without a token, 403 for who does not moderate the
item, 404 for what the caller may not know exists), validate (422) and refuse a change
that is already made (409).
"""

from flask import jsonify, request

from forum.api import bp, spec
from forum.api.common import body_first, current_api_user, json_body, token_required
from forum.api.spec import AUTH_ERRORS, BODY_ERRORS, SECURED, _body, _error_response, _json
from forum.schemas import message_json, post_json, question_json
from forum.services import moderation, premoderation
from forum.services.inputs import MAX_ID

ID = f"<int(max={MAX_ID}):id>"


def _optional_body(allowed: set[str]) -> dict:
    """The JSON body of an action whose fields are all optional (none sent: {})."""
    if not request.get_data(cache=True):
        return {}
    return json_body(allowed=allowed)


def moderation_state(question) -> dict:
    """The moderation fields of a question (answered to those who act on it)."""
    return {"hidden": question.hidden_at is not None, "hidden_reason": question.hidden_reason,
            "held": question.held_at is not None,
            "locked": question.locked_at is not None, "close_reason": question.close_reason,
            "duplicate_of": question.duplicate_of_id}


def _question(question, user) -> dict:
    data = question_json(question, viewer=user)
    data.update(moderation_state(question))
    return data


def _post(post, user) -> dict:
    data = post_json(post, viewer=user, accepted_id=post.question.accepted_answer_id)
    data.update(hidden=post.hidden_at is not None, hidden_reason=post.hidden_reason,
                held=post.held_at is not None)
    return data


def _message(message, user) -> dict:
    data = message_json(message, viewer=user)
    data.update(hidden=message.hidden_at is not None, hidden_reason=message.hidden_reason)
    return data


# -- questions --------------------------------------------------------------------------


@bp.post(f"/v1/questions/{ID}/hide")
@body_first
@token_required
def hide_question(id):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = current_api_user()
    return jsonify(_question(moderation.hide(user, "question", id, data["reason"]), user))


@bp.post(f"/v1/questions/{ID}/restore")
@body_first
@token_required
def restore_question(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_question(moderation.restore(user, "question", id, data.get("reason")),
                             user))


@bp.post(f"/v1/questions/{ID}/lock")
@body_first
@token_required
def lock_question(id):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = current_api_user()
    return jsonify(_question(moderation.lock(user, id, data["reason"]), user))


@bp.post(f"/v1/questions/{ID}/unlock")
@body_first
@token_required
def unlock_question(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_question(moderation.unlock(user, id, data.get("reason")), user))


@bp.post(f"/v1/questions/{ID}/close")
@body_first
@token_required
def close_question(id):
    data = json_body(allowed={"reason", "duplicate_of", "note"}, required={"reason"})
    user = current_api_user()
    question = moderation.close(user, id, data["reason"], duplicate_of=data.get("duplicate_of"),
                                note=data.get("note"))
    return jsonify(_question(question, user))


@bp.post(f"/v1/questions/{ID}/reopen")
@body_first
@token_required
def reopen_question(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_question(moderation.reopen(user, id, data.get("reason")), user))


@bp.post(f"/v1/questions/{ID}/move")
@body_first
@token_required
def move_question(id):
    data = json_body(allowed={"group", "reason"}, required={"group", "reason"})
    user = current_api_user()
    return jsonify(_question(moderation.move(user, id, data["group"], data["reason"]), user))


@bp.post(f"/v1/questions/{ID}/approve")
@body_first
@token_required
def approve_question(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_question(premoderation.approve(user, "question", id, data.get("reason")),
                             user))


@bp.post(f"/v1/questions/{ID}/reject")
@body_first
@token_required
def reject_question(id):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = current_api_user()
    return jsonify(_question(premoderation.reject(user, "question", id, data["reason"]), user))


# -- posts and chat messages ------------------------------------------------------------


@bp.post(f"/v1/posts/{ID}/approve")
@body_first
@token_required
def approve_post(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_post(premoderation.approve(user, "post", id, data.get("reason")), user))


@bp.post(f"/v1/posts/{ID}/reject")
@body_first
@token_required
def reject_post(id):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = current_api_user()
    return jsonify(_post(premoderation.reject(user, "post", id, data["reason"]), user))


@bp.post(f"/v1/posts/{ID}/hide")
@body_first
@token_required
def hide_post(id):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = current_api_user()
    return jsonify(_post(moderation.hide(user, "post", id, data["reason"]), user))


@bp.post(f"/v1/posts/{ID}/restore")
@body_first
@token_required
def restore_post(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_post(moderation.restore(user, "post", id, data.get("reason")), user))


@bp.post(f"/v1/chat/messages/{ID}/hide")
@body_first
@token_required
def hide_message(id):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = current_api_user()
    return jsonify(_message(moderation.hide(user, "chat_message", id, data["reason"]), user))


@bp.post(f"/v1/chat/messages/{ID}/restore")
@body_first
@token_required
def restore_message(id):
    data = _optional_body({"reason"})
    user = current_api_user()
    return jsonify(_message(moderation.restore(user, "chat_message", id, data.get("reason")),
                            user))


# -- people -----------------------------------------------------------------------------


def _suspension(user) -> dict:
    return {"username": user.username,
            "suspended": moderation.is_suspended(user),
            "banned": moderation.is_banned(user),
            "suspended_until": (user.suspended_until.isoformat()
                                if moderation.is_suspended(user) else None),
            "suspension_reason": user.suspension_reason or ""}


@bp.put("/v1/users/<username>/suspension")
@body_first
@token_required
def suspend_user(username):
    data = json_body(allowed={"days", "ban", "reason"}, required={"reason"})
    user = moderation.suspend(current_api_user(), username, days=data.get("days"),
                              ban=data.get("ban", False), reason=data["reason"])
    return jsonify(_suspension(user))


@bp.delete("/v1/users/<username>/suspension")
@body_first
@token_required
def unsuspend_user(username):
    data = json_body(allowed={"reason"}, required={"reason"})
    user = moderation.unsuspend(current_api_user(), username, data["reason"])
    return jsonify(_suspension(user))


# -- OpenAPI ----------------------------------------------------------------------------

ID_PARAM = {"name": "id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
USERNAME_PARAM = {"name": "username", "in": "path", "required": True,
                  "schema": {"type": "string", "maxLength": 30}}
REASON = {"type": "string", "minLength": 1, "maxLength": 500}
REFUSALS = {
    "403": _error_response("You do not moderate this item's group (forbidden)"),
    "404": _error_response("No such item, or one you may not know exists (not_found)"),
    "409": _error_response("Already in that state (conflict)"),
    **AUTH_ERRORS, **BODY_ERRORS,
}
OPTIONAL_REASON = {
    "required": False,
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"reason": REASON}, "additionalProperties": False}}},
}


def _action(summary: str, answer: str, body: dict) -> dict:
    return {"post": {"summary": summary, "security": SECURED, "parameters": [ID_PARAM],
                     "requestBody": body, "responses": {"200": _json(answer), **REFUSALS}}}


REQUIRED_REASON = _body({"reason": REASON}, ["reason"])
SUSPENSION_REFUSALS = {
    "403": _error_response("Not a site moderator or admin, an admin, or yourself (forbidden)"),
    "404": _error_response("No such user (not_found)"),
    **AUTH_ERRORS, **BODY_ERRORS,
}

OPENAPI_PATHS = {
    "/api/v1/questions/{id}/hide": _action(
        "Hide a question (its group's moderators)", "ModeratedQuestion", REQUIRED_REASON),
    "/api/v1/questions/{id}/restore": _action(
        "Show a hidden question again", "ModeratedQuestion", OPTIONAL_REASON),
    "/api/v1/questions/{id}/lock": _action(
        "Lock a thread: no answers, replies, votes, edits or accept changes but from its "
        "moderators", "ModeratedQuestion", REQUIRED_REASON),
    "/api/v1/questions/{id}/unlock": _action(
        "Unlock a thread", "ModeratedQuestion", OPTIONAL_REASON),
    "/api/v1/questions/{id}/close": _action(
        "Close a question to new answers", "ModeratedQuestion", _body({
            "reason": {"enum": ["duplicate", "off_topic", "resolved_elsewhere"]},
            "duplicate_of": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                             "description": "required for a duplicate"},
            "note": REASON}, ["reason"])),
    "/api/v1/questions/{id}/reopen": _action(
        "Reopen a closed question", "ModeratedQuestion", OPTIONAL_REASON),
    "/api/v1/questions/{id}/move": _action(
        "Move a question to another group the caller moderates (a private group's question "
        "into a public group: site moderators and admins only)", "ModeratedQuestion",
        _body({"group": {"type": "string", "description": "the group's slug"},
               "reason": REASON}, ["group", "reason"])),
    "/api/v1/questions/{id}/approve": _action(
        "Publish a question held for approval (pre-moderated groups): its followers, "
        "mentioned and invited people are notified then", "ModeratedQuestion",
        OPTIONAL_REASON),
    "/api/v1/questions/{id}/reject": _action(
        "Refuse a question held for approval: it stays hidden, its author sees the reason",
        "ModeratedQuestion", REQUIRED_REASON),
    "/api/v1/posts/{id}/approve": _action(
        "Publish an answer or reply held for approval", "ModeratedPost", OPTIONAL_REASON),
    "/api/v1/posts/{id}/reject": _action(
        "Refuse an answer or reply held for approval", "ModeratedPost", REQUIRED_REASON),
    "/api/v1/posts/{id}/hide": _action(
        "Hide an answer or reply", "ModeratedPost", REQUIRED_REASON),
    "/api/v1/posts/{id}/restore": _action(
        "Show a hidden answer or reply again", "ModeratedPost", OPTIONAL_REASON),
    "/api/v1/chat/messages/{id}/hide": _action(
        "Hide a chat message (group rooms: the group's moderators; direct rooms: site "
        "moderators and admins)", "ModeratedMessage", REQUIRED_REASON),
    "/api/v1/chat/messages/{id}/restore": _action(
        "Show a hidden chat message again", "ModeratedMessage", OPTIONAL_REASON),
    "/api/v1/users/{username}/suspension": {
        "put": {
            "summary": "Suspend a member for 1 to 365 days, or ban them (site moderators and "
                       "admins; never an admin, never yourself); their sockets are closed",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": _body({"days": {"type": "integer", "minimum": 1, "maximum": 365},
                                  "ban": {"type": "boolean"}, "reason": REASON}, ["reason"]),
            "responses": {"200": _json("Suspension"), **SUSPENSION_REFUSALS},
        },
        "delete": {
            "summary": "Lift a suspension or a ban",
            "security": SECURED,
            "parameters": [USERNAME_PARAM],
            "requestBody": REQUIRED_REASON,
            "responses": {"200": _json("Suspension"),
                          "409": _error_response("Not suspended (conflict)"),
                          **SUSPENSION_REFUSALS},
        },
    },
}

MODERATION_FIELDS = {
    "hidden": {"type": "boolean"},
    "hidden_reason": {"type": "string"},
}
OPENAPI_SCHEMAS = {
    "ModeratedQuestion": {"allOf": [{"$ref": "#/components/schemas/Question"}, {
        "type": "object",
        "properties": {**MODERATION_FIELDS, "locked": {"type": "boolean"},
                       "close_reason": {"type": ["string", "null"]},
                       "duplicate_of": {"type": ["integer", "null"]}}}]},
    "ModeratedPost": {"allOf": [{"$ref": "#/components/schemas/Post"},
                                {"type": "object", "properties": MODERATION_FIELDS}]},
    "ModeratedMessage": {"allOf": [{"$ref": "#/components/schemas/ChatMessage"},
                                   {"type": "object", "properties": MODERATION_FIELDS}]},
    "Suspension": {
        "type": "object",
        "properties": {"username": {"type": "string"}, "suspended": {"type": "boolean"},
                       "banned": {"type": "boolean"},
                       "suspended_until": {"type": ["string", "null"], "format": "date-time"},
                       "suspension_reason": {"type": "string"}},
        "required": ["username", "suspended", "banned", "suspended_until",
                     "suspension_reason"],
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
