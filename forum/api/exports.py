"""API: exports. GET /api/v1/me/export (the token's user's own data) and
GET /api/v1/admin/export (administrators: the public content, streamed)."""

from flask import Response, jsonify, stream_with_context

from forum.api import bp, spec
from forum.api.common import current_api_user, token_required
from forum.api.spec import AUTH_ERRORS, SECURED, _error_response
from forum.models import utcnow
from forum.services import exports


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/v1/me/export")
@token_required
def export_me():
    user = current_api_user()
    response = jsonify(exports.personal_export(user))
    return _attachment(response, f"tacit-{user.username}-{utcnow().date().isoformat()}.json")


@bp.get("/v1/admin/export")
@token_required
def export_site():
    chunks = exports.public_export(current_api_user())
    response = Response(stream_with_context(chunks), mimetype="application/json")
    return _attachment(response, f"tacit-export-{utcnow().date().isoformat()}.json")


# -- OpenAPI ----------------------------------------------------------------------------

JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}

OPENAPI_PATHS = {
    "/api/v1/me/export": {
        "get": {
            "summary": "Your own data as one JSON document (a download): account (with your"
                       " email), profile, questions, answers and replies (private groups"
                       " too), chat messages, follows, mail settings, FAQ contributions,"
                       " flags raised and votes cast. No password hash, token or session",
            "security": SECURED,
            "responses": {"200": {"description": "OK (Content-Disposition: attachment)",
                                  "content": JSON_OBJECT},
                          **AUTH_ERRORS},
        },
    },
    "/api/v1/admin/export": {
        "get": {
            "summary": "The public content of the site as one JSON document, streamed"
                       " (format tacit-export, version 1): public groups, tags, the public"
                       " profiles of their authors, questions with their answers (not"
                       " deleted or hidden) and FAQ entries. No private group, no chat, no"
                       " email. Administrators only",
            "security": SECURED,
            "responses": {"200": {"description": "OK (Content-Disposition: attachment)",
                                  "content": JSON_OBJECT},
                          "403": _error_response("Not an administrator (forbidden)"),
                          **AUTH_ERRORS},
        },
    },
}

spec.describe(paths=OPENAPI_PATHS)
