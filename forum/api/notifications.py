"""API: the token's user's notifications, and marking them read."""

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import body_first, current_api_user, paginate, token_required
from forum.api.spec import AUTH_ERRORS, INVALID, PAGE_PARAMS, SECURED, _error_response, _json
from forum.errors import InvalidInput
from forum.schemas import iso
from forum.services import inputs, notifications


def notification_json(found) -> dict:
    """The notification object."""
    return {"id": found.id, "kind": found.kind, "text": found.text, "url": found.url,
            "read": found.read_at is not None, "created_at": iso(found.created_at)}


def _unread_arg() -> bool:
    value = request.args.get("unread", "0")
    if value not in ("0", "1"):
        raise InvalidInput(fields={"unread": _("Use 1 (unread only) or 0.")})
    return value == "1"


@bp.get("/v1/notifications")
@token_required
def list_notifications():
    stmt = notifications.notifications_query(current_api_user(), unread_only=_unread_arg())
    return jsonify(paginate(stmt, lambda rows: [notification_json(n) for n in rows]))


@bp.post(f"/v1/notifications/<int(max={inputs.MAX_ID}):notification_id>/read")
@body_first
@token_required
def read_notification(notification_id):
    return jsonify(notification_json(
        notifications.mark_read(current_api_user(), notification_id)))


@bp.post("/v1/notifications/read-all")
@body_first
@token_required
def read_all_notifications():
    changed = notifications.mark_all_read(current_api_user())
    return jsonify({"marked": changed, "unread": 0})


OPENAPI_SCHEMAS = {
    "Notification": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["answer", "reply", "accepted", "mention",
                                                "new_question", "routed", "faq",
                                                "accept_reminder", "join_request",
                                                "join_decision"]},
            "text": {"type": "string", "description": "short, in the recipient's language"},
            "url": {"type": "string", "description": "the item's page (a path on this site)"},
            "read": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "kind", "text", "url", "read", "created_at"],
    },
    "NotificationPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array",
                          "items": {"$ref": "#/components/schemas/Notification"}}}},
        ]
    },
}

NOT_YOURS = _error_response("No such notification of yours (not_found)")

OPENAPI_PATHS = {
    "/api/v1/notifications": {
        "get": {
            "summary": "Your notifications, newest first; ?unread=1 for the unread ones only",
            "security": SECURED,
            "parameters": [*PAGE_PARAMS, {"name": "unread", "in": "query",
                                          "schema": {"type": "integer", "enum": [0, 1],
                                                     "default": 0}}],
            "responses": {"200": _json("NotificationPage"), "422": INVALID, **AUTH_ERRORS},
        },
    },
    "/api/v1/notifications/{notification_id}/read": {
        "post": {
            "summary": "Mark one of your notifications read; idempotent",
            "security": SECURED,
            "parameters": [{"name": "notification_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": _json("Notification"), "404": NOT_YOURS, **AUTH_ERRORS},
        },
    },
    "/api/v1/notifications/read-all": {
        "post": {
            "summary": "Mark all your notifications read",
            "security": SECURED,
            "responses": {
                "200": {"description": "How many were unread",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {"marked": {"type": "integer"},
                                           "unread": {"type": "integer"}},
                            "required": ["marked", "unread"]}}}},
                **AUTH_ERRORS,
            },
        },
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
