"""JSON API: flags (any member flags what they may read), the moderation queue, dismissing an
item's flags, and the audit log (moderators: what they moderate; read only)."""

from flask import jsonify, request
from flask_babel import gettext as _
from markupsafe import escape

from forum.api import bp, spec
from forum.api.common import body_first, current_api_user, json_body, page_args, token_required
from forum.api.spec import (
    AUTH_ERRORS,
    BODY_ERRORS,
    PAGE_PARAMS,
    SECURED,
    _body,
    _error_response,
    _json,
)
from forum.errors import InvalidInput
from forum.models import FLAG_REASONS, FLAG_TARGETS
from forum.schemas import iso
from forum.services import flags, inputs
from forum.services.accounts import get_user_by_username


def _target_id(data: dict, errors: dict) -> int | None:
    """The flagged item's id: `id`, or for a profile `username` instead."""
    if data.get("target") == "user" and "id" not in data and "username" in data:
        username = data["username"]
        if not isinstance(username, str):
            errors["username"] = _("Must be text.")
            return None
        return get_user_by_username(username).id
    if "id" not in data:
        errors["id"] = _("This field is required.")
        return None
    return inputs.id_field(data["id"], "id", errors)


def _target_type(data: dict, errors: dict) -> str | None:
    target = data.get("target")
    if target not in FLAG_TARGETS:
        errors["target"] = _("Choose one of: %(names)s.", names=", ".join(FLAG_TARGETS))
        return None
    return target


@bp.post("/v1/flags")
@body_first
@token_required
def create_flag():
    data = json_body(allowed={"target", "id", "username", "reason", "text"},
                     required={"target", "reason"})
    errors: dict = {}
    target = _target_type(data, errors)
    ident = _target_id(data, errors) if target else None
    if errors:
        raise InvalidInput(fields=errors)
    record = flags.flag(current_api_user(), target, ident, data.get("reason"),
                        data.get("text") or "")
    return jsonify({"id": record.id, "target": record.target_type,
                    "target_id": record.target_id, "reason": record.reason,
                    "created_at": iso(record.created_at)}), 201


def queue_item_json(entry: flags.QueueItem) -> dict:
    """One flagged item of the queue (docs/api.md)."""
    return {"id": f"{entry.target_type}:{entry.target_id}", "target": entry.target_type,
            "target_id": entry.target_id, "reason": entry.reason, "reasons": entry.reasons,
            "count": entry.count, "created_at": iso(entry.first_at),
            "last_flagged_at": iso(entry.last_at),
            "group": entry.group.slug if entry.group is not None else None,
            "resolution": entry.resolution,
            "excerpt_html": str(escape(entry.excerpt))}


@bp.get("/v1/flags")
@token_required
def list_flags():
    page, per_page = page_args()
    found = flags.queue(current_api_user(), status=request.args.get("status") or "open",
                        group=request.args.get("group") or None, page=page, per_page=per_page)
    return jsonify({"items": [queue_item_json(entry) for entry in found.items],
                    "page": page, "per_page": per_page, "has_more": found.has_next})


@bp.post("/v1/flags/dismiss")
@body_first
@token_required
def dismiss_flags():
    data = json_body(allowed={"target", "id", "reason"}, required={"target", "id"})
    errors: dict = {}
    target = _target_type(data, errors)
    ident = inputs.id_field(data.get("id"), "id", errors)
    reason = inputs.text(data.get("reason"), "reason", errors)
    if errors:
        raise InvalidInput(fields=errors)
    count = flags.dismiss(current_api_user(), target, ident, reason)
    return jsonify({"target": target, "target_id": ident, "dismissed": count})


def audit_json(entry, found: flags.AuditPage) -> dict:
    """One audit entry: who, what, on what, why, when, and the values before and after."""
    actor = entry.actor
    group = found.groups.get(entry.group_id)
    return {"id": entry.id, "action": entry.action,
            "actor": actor.username if actor is not None and not actor.is_deleted else None,
            "target": entry.target_type, "target_id": entry.target_id,
            "group": group.slug if group is not None else None, "reason": entry.reason,
            "before": entry.before, "after": entry.after,
            "created_at": iso(entry.created_at)}


@bp.get("/v1/audit")
@token_required
def list_audit():
    page, per_page = page_args()
    args = request.args
    found = flags.audit_entries(
        current_api_user(), action=args.get("action") or None,
        actor_name=args.get("actor") or None, target_type=args.get("target") or None,
        group=args.get("group") or None, since=args.get("since") or None,
        until=args.get("until") or None, page=page, per_page=per_page, count=True)
    return jsonify({"items": [audit_json(entry, found) for entry in found.page.items],
                    "page": page, "per_page": per_page, "total": found.page.total})


# -- OpenAPI ----------------------------------------------------------------------------

NOT_MODERATOR = _error_response("Not a moderator of anything (forbidden)")
UNREADABLE = _error_response("No such item, or one you may not read (a private group you are"
                             " not in, a chat room you may not enter): not_found")
STRING = {"type": "string"}
OPENAPI_SCHEMAS = {
    "Flag": {
        "type": "object",
        "properties": {"id": {"type": "integer"},
                       "target": {"type": "string", "enum": list(FLAG_TARGETS)},
                       "target_id": {"type": "integer"},
                       "reason": {"type": "string", "enum": list(FLAG_REASONS)},
                       "created_at": {"type": "string", "format": "date-time"}},
        "required": ["id", "target", "target_id", "reason", "created_at"],
    },
    "FlaggedItem": {
        "type": "object",
        "description": "One flagged item of the queue: its flags summed up",
        "properties": {
            "id": {"type": "string", "description": "target:target_id"},
            "target": {"type": "string", "enum": list(FLAG_TARGETS)},
            "target_id": {"type": "integer"},
            "reason": {"type": "string", "enum": list(FLAG_REASONS),
                       "description": "the most common reason"},
            "reasons": {"type": "object", "additionalProperties": {"type": "integer"},
                        "description": "how many flags gave each reason"},
            "count": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time",
                           "description": "the first flag"},
            "last_flagged_at": {"type": "string", "format": "date-time"},
            "group": {"type": ["string", "null"], "description": "the item's group's slug"},
            "resolution": {"type": ["string", "null"],
                           "description": "resolved flags: what was done (dismissed,"
                                          " hidden, closed, ...)"},
            "excerpt_html": {"type": "string", "description": "the item's text, escaped"},
        },
        "required": ["id", "target", "target_id", "reason", "reasons", "count", "created_at",
                     "excerpt_html"],
    },
    "FlagQueue": {
        "type": "object",
        "properties": {"items": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/FlaggedItem"}},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"},
                       "has_more": {"type": "boolean"}},
        "required": ["items"],
    },
    "AuditEntry": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "action": STRING,
                       "actor": {"type": ["string", "null"]}, "target": STRING,
                       "target_id": {"type": ["integer", "null"]},
                       "group": {"type": ["string", "null"]}, "reason": STRING,
                       "before": {"type": ["object", "null"]},
                       "after": {"type": ["object", "null"]},
                       "created_at": {"type": "string", "format": "date-time"}},
        "required": ["id", "action", "target", "created_at"],
    },
    "AuditList": {
        "type": "object",
        "properties": {"items": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/AuditEntry"}},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"},
                       "total": {"type": "integer"}},
        "required": ["items", "page", "per_page", "total"],
    },
}


def _query(name: str, description: str, **schema) -> dict:
    return {"name": name, "in": "query", "description": description,
            "schema": schema or {"type": "string"}}


OPENAPI_PATHS = {
    "/api/v1/flags": {
        "post": {
            "summary": "Flag a question, an answer or reply, a chat message or a profile you"
                       " may read (not your own) for the moderators; once per item",
            "security": SECURED,
            "requestBody": _body({
                "target": {"type": "string", "enum": list(FLAG_TARGETS)},
                "id": {"type": "integer", "minimum": 1},
                "username": {"type": "string", "description": "a profile, instead of id"},
                "reason": {"type": "string", "enum": list(FLAG_REASONS)},
                "text": {"type": "string", "maxLength": 500,
                         "description": "required for the reason `other`"},
            }, ["target", "reason"]),
            "responses": {"201": _json("Flag", "Flagged"), "404": UNREADABLE,
                          "409": _error_response("You flagged this item already (conflict)"),
                          **BODY_ERRORS, **AUTH_ERRORS,
                          "403": _error_response("A suspended account (forbidden)"),
                          "429": _error_response("Too many flags (rate_limited), with"
                                                 " Retry-After")},
        },
        "get": {
            "summary": "The moderation queue: the flagged items you moderate (group"
                       " moderators: their groups), most-flagged and oldest first",
            "security": SECURED,
            "parameters": [_query("status", "open (default) or resolved flags",
                                  type="string", enum=["open", "resolved"]),
                           _query("group", "a group's slug"), *PAGE_PARAMS],
            "responses": {"200": _json("FlagQueue"), "403": NOT_MODERATOR,
                          "404": _error_response("A group you cannot see (not_found)"),
                          "422": BODY_ERRORS["422"], **AUTH_ERRORS},
        },
    },
    "/api/v1/flags/dismiss": {
        "post": {
            "summary": "Dismiss an item's open flags (nothing wrong with it); audited",
            "security": SECURED,
            "requestBody": _body({"target": {"type": "string", "enum": list(FLAG_TARGETS)},
                                  "id": {"type": "integer", "minimum": 1},
                                  "reason": {"type": "string"}}, ["target", "id"]),
            "responses": {"200": {"description": "How many flags were dismissed"},
                          "403": NOT_MODERATOR,
                          "404": _error_response("No open flags on that item that you"
                                                 " moderate (not_found)"),
                          **BODY_ERRORS, **AUTH_ERRORS},
        },
    },
    "/api/v1/audit": {
        "get": {
            "summary": "The audit log of what you moderate, newest first; read only",
            "security": SECURED,
            "parameters": [_query("action", "an action, e.g. hide, dismiss_flags"),
                           _query("actor", "the acting moderator's username"),
                           _query("target", "question, post, chat_message, user, ..."),
                           _query("group", "a group's slug"),
                           _query("since", "a day (YYYY-MM-DD), inclusive", type="string",
                                  format="date"),
                           _query("until", "a day (YYYY-MM-DD), inclusive", type="string",
                                  format="date"), *PAGE_PARAMS],
            "responses": {"200": _json("AuditList"), "403": NOT_MODERATOR,
                          "404": _error_response("A group you cannot see (not_found)"),
                          "422": BODY_ERRORS["422"], **AUTH_ERRORS},
        },
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
