"""API: chat rooms, their history, posting (the same service as the socket event), direct
rooms, and promoting a stretch of group chat to a question."""

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import current_api_user, json_body, page_args, token_required
from forum.api.spec import AUTH_ERRORS, BODY_ERRORS, SECURED, _body, _error_response, _json
from forum.errors import InvalidInput
from forum.schemas import author_json, message_json, question_json
from forum.services import attachments as files
from forum.services import chat, inputs

ID = f"<int(max={inputs.MAX_ID}):id>"


def room_json(summary: chat.RoomSummary) -> dict:
    """The chat room object: {id, kind, name, unread, group, with}."""
    room = summary.room
    return {
        "id": room.id,
        "kind": room.kind,
        "name": summary.name,
        "unread": summary.unread,
        "group": summary.group.slug if summary.group is not None else None,
        "with": author_json(summary.other) if room.is_direct else None,
    }


def _query_int(name: str, errors: dict, *, minimum: int, maximum: int = inputs.MAX_ID):
    """?name= as a whole number from `minimum` to `maximum`; absent or empty: None."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    # Anything but ASCII digits is None to as_int(), which id_field() calls not a number.
    return inputs.id_field(inputs.as_int(raw), name, errors, minimum=minimum, maximum=maximum)


@bp.get("/v1/chat/rooms")
@token_required
def list_rooms():
    page, per_page = page_args()
    rooms = chat.rooms_for(current_api_user())
    start = (page - 1) * per_page
    return jsonify({"items": [room_json(s) for s in rooms[start:start + per_page]],
                    "page": page, "per_page": per_page, "total": len(rooms)})


@bp.get(f"/v1/chat/rooms/{ID}/messages")
@token_required
def list_messages(id):
    errors: dict = {}
    before = _query_int("before", errors, minimum=1)
    after = _query_int("after", errors, minimum=0)
    limit = _query_int("limit", errors, minimum=1, maximum=chat.HISTORY_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    user = current_api_user()
    messages, has_more = chat.history(user, id, before=before, after=after,
                                      limit=limit or chat.HISTORY_DEFAULT)
    attached = files.for_history(messages)
    return jsonify({"items": [message_json(m, viewer=user, attachments=attached[m.id])
                              for m in messages],
                    "has_more": has_more})


@bp.post(f"/v1/chat/rooms/{ID}/messages")
@token_required
def send_message(id):
    data = json_body(allowed={"body", "client_id", "attachments"}, required={"body"})
    client_id = data.get("client_id")
    if client_id is None:
        client_id = chat.new_client_id()
    ids = data.get("attachments")
    if ids is not None and (not isinstance(ids, list) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in ids)):
        raise InvalidInput(fields={"attachments": _("Give a list of attachment ids.")})
    user = current_api_user()
    message, created = chat.send_message(user, id, data["body"], client_id, attachments=ids)
    return jsonify(message_json(message, viewer=user,
                                attachments=files.for_messages([message.id])[message.id])), \
        201 if created else 200


@bp.post("/v1/chat/direct")
@token_required
def open_direct():
    data = json_body(allowed={"username"}, required={"username"})
    user = current_api_user()
    room, created = chat.open_direct(user, data["username"])
    return jsonify(room_json(chat.summarize(user, room))), 201 if created else 200


@bp.post(f"/v1/chat/rooms/{ID}/promote")
@token_required
def promote(id):
    data = json_body(allowed={"question_message_id", "answer_message_ids", "title", "tags"},
                     required={"question_message_id", "title", "tags"})
    user = current_api_user()
    question = chat.promote(user, id, data["question_message_id"],
                            data.get("answer_message_ids", []), data["title"], data["tags"])
    response = jsonify(question_json(question, viewer=user))
    response.headers["Location"] = f"/api/v1/questions/{question.id}"
    return response, 201


# -- OpenAPI ----------------------------------------------------------------------------

ROOM_ID = {"name": "id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}}
NO_ROOM = _error_response("No such room, or one you may not enter: a private group's room, "
                          "someone else's direct room (not_found)")
NOT_MEMBER = _error_response("A public group's room, and you are not a member (forbidden)")
TIME = {"type": "string", "format": "date-time"}
AUTHOR_OR_NULL = {"oneOf": [{"type": "object"}, {"type": "null"}],
                  "description": "the author object of questions and posts; null once the "
                                 "message or the account is deleted"}

OPENAPI_SCHEMAS = {
    "ChatRoom": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": ["group", "direct"]},
            "name": {"type": "string",
                     "description": "the group's name, or the other person's name"},
            "unread": {"type": "integer", "minimum": 0,
                       "description": "others' messages after your read position"},
            "group": {"type": ["string", "null"], "description": "the group's slug"},
            "with": {"oneOf": [{"type": "object"}, {"type": "null"}],
                     "description": "direct rooms: the other person (author object)"},
        },
        "required": ["id", "kind", "name", "unread"],
    },
    "ChatRoomPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/ChatRoom"}}}},
        ]
    },
    "ChatMessage": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "room": {"type": "integer", "description": "the room's id"},
            "author": AUTHOR_OR_NULL,
            "body_html": {"type": "string", "description": "empty once deleted"},
            "body": {"type": "string", "description": "Markdown source; only to the author"},
            "client_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "created_at": TIME,
            "edited_at": {"type": ["string", "null"], "format": "date-time"},
            "deleted": {"type": "boolean"},
            "promoted_question_id": {"type": ["integer", "null"],
                                     "description": "the question this message became part of"},
            "attachments": {"type": "array",
                            "items": {"$ref": "#/components/schemas/Attachment"},
                            "description": "its files (history, posting, broadcasts)"},
        },
        "required": ["id", "room", "author", "body_html", "client_id", "created_at",
                     "edited_at", "deleted"],
    },
    "ChatHistory": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/ChatMessage"},
                      "description": "oldest first"},
            "has_more": {"type": "boolean",
                         "description": "more messages in the paging direction: older ones "
                                        "without `after`, newer ones with it"},
        },
        "required": ["items", "has_more"],
    },
}

OPENAPI_PATHS = {
    "/api/v1/chat/rooms": {
        "get": {
            "summary": "Rooms you may enter, with unread counts: your groups' rooms, then "
                       "your direct rooms",
            "security": SECURED,
            "parameters": [
                {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
            ],
            "responses": {"200": _json("ChatRoomPage"), **AUTH_ERRORS,
                          "422": BODY_ERRORS["422"]},
        }
    },
    "/api/v1/chat/rooms/{id}/messages": {
        "get": {
            "summary": "A room's messages, oldest first, paged by message id: the latest "
                       "(or those before `before`), or those after `after`",
            "security": SECURED,
            "parameters": [
                ROOM_ID,
                {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
            ],
            "responses": {"200": _json("ChatHistory"), "403": NOT_MEMBER, "404": NO_ROOM,
                          **AUTH_ERRORS, "422": BODY_ERRORS["422"]},
        },
        "post": {
            "summary": "Post a message (the same path as the socket event: the room gets "
                       "chat_message). Resending a client_id stores nothing and answers the "
                       "original with 200",
            "security": SECURED,
            "parameters": [ROOM_ID],
            "requestBody": _body({
                "body": {"type": "string", "minLength": 1, "maxLength": 4000,
                         "description": "Markdown; answered as body_html"},
                "client_id": {"type": "string", "minLength": 1, "maxLength": 64,
                              "description": "unique per author; chosen by the server when "
                                             "left out"},
                "attachments": {"type": "array", "items": {"type": "integer"},
                                "description": "ids of your uploads (POST /api/v1/uploads)"},
            }, ["body"]),
            "responses": {
                "201": _json("ChatMessage", "Created"),
                "200": _json("ChatMessage", "A resent client_id: the original message"),
                "403": NOT_MEMBER,
                "404": NO_ROOM,
                "409": _error_response("The client_id names a message of another room "
                                       "(conflict)"),
                "429": _error_response("More than 10 messages in 10 seconds (rate_limited), "
                                       "with Retry-After"),
                **AUTH_ERRORS,
                **BODY_ERRORS,
            },
        },
    },
    "/api/v1/chat/direct": {
        "post": {
            "summary": "The direct room between you and another user (created if needed)",
            "security": SECURED,
            "requestBody": _body({"username": {"type": "string"}}, ["username"]),
            "responses": {
                "200": _json("ChatRoom", "The room existed"),
                "201": _json("ChatRoom", "Created"),
                "404": _error_response("No such user (not_found)"),
                **AUTH_ERRORS,
                **BODY_ERRORS,
            },
        }
    },
    "/api/v1/chat/rooms/{id}/promote": {
        "post": {
            "summary": "Make a question of a group chat message, with later messages of the "
                       "room as answers credited to their authors; moderators or the author "
                       "of the question message",
            "security": SECURED,
            "parameters": [ROOM_ID],
            "requestBody": _body({
                "question_message_id": {"type": "integer", "minimum": 1},
                "answer_message_ids": {"type": "array", "maxItems": 20, "default": [],
                                       "items": {"type": "integer", "minimum": 1}},
                "title": {"type": "string", "minLength": 10, "maxLength": 200},
                "tags": {"type": "array", "minItems": 1, "maxItems": 5,
                         "items": {"type": "string", "maxLength": 30}},
            }, ["question_message_id", "title", "tags"]),
            "responses": {
                "201": _json("Question", "Created"),
                "403": _error_response("Neither a moderator nor the author of the question "
                                       "message, or not a member (forbidden)"),
                "404": NO_ROOM,
                "409": _error_response("A message was made into a question already "
                                       "(conflict)"),
                **AUTH_ERRORS,
                **BODY_ERRORS,
            },
        }
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
