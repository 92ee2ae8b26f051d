"""JSON API: questions routed to the people who can answer them: a question's suggested
experts (with why, in the request's language), asking them, and the questions asked of you."""

from flask import jsonify, url_for
from flask_babel import get_locale

from forum.api import bp, spec
from forum.api.common import body_first, current_api_user, json_body, optional_user, token_required
from forum.api.spec import (
    AUTH_ERRORS,
    BAD_TOKEN,
    BODY_ERRORS,
    OPTIONAL_AUTH,
    SECURED,
    _error_response,
    _json,
)
from forum.schemas import iso, user_json
from forum.services import profiles, routing
from forum.services.inputs import MAX_ID

ROUTED_MAX = 50


def _why(route) -> str:
    return routing.why_text(route.why, str(get_locale()))


@bp.get(f"/v1/questions/<int(max={MAX_ID}):id>/suggested-experts")
def suggested_experts(id):
    viewer = optional_user()
    _question, routes = routing.suggested_experts(viewer, id)
    known = profiles.visible_expertise_of(viewer, [route.user_id for route in routes])
    return jsonify({"items": [{**user_json(route.user, expertise=known.get(route.user_id, [])),
                               "why": _why(route), "asked": route.state == "asked"}
                              for route in routes]})


@bp.post(f"/v1/questions/<int(max={MAX_ID}):id>/experts")
@body_first
@token_required
def ask_experts(id):
    data = json_body(allowed={"usernames"}, required={"usernames"})
    actor = current_api_user()
    asked = routing.ask(actor, id, data["usernames"])
    known = profiles.visible_expertise_of(actor, [user.id for user in asked])
    return jsonify({"asked": [user_json(user, expertise=known.get(user.id, []))
                              for user in asked]})


@bp.get("/v1/me/routed")
@token_required
def my_routed():
    found = routing.routed_to(current_api_user(), ROUTED_MAX)
    return jsonify({"items": [{
        "id": item.question.id, "title": item.question.title,
        "url": url_for("qa.question", question_id=item.question.id),
        "group": item.question.group.slug, "tags": [tag.name for tag in item.question.tags],
        "asked_at": iso(item.route.asked_at),
        "asked_by": item.route.asked_by.username if item.route.asked_by else None,
        "why": _why(item.route)} for item in found]})


# -- OpenAPI ----------------------------------------------------------------------------

QUESTION_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
HIDDEN = _error_response("No such question, or one you may not read (a private group you"
                         " are not in): not_found")

OPENAPI_SCHEMAS = {
    "SuggestedExpert": {
        "allOf": [{"$ref": "#/components/schemas/User"}, {
            "type": "object",
            "properties": {
                "why": {"type": "string", "description": "why this person, in the request's"
                        " language: \"answers on implants, works in West Africa, speaks"
                        " French\""},
                "asked": {"type": "boolean",
                          "description": "the asker or a moderator asked them already"},
            },
            "required": ["why", "asked"],
        }],
    },
    "SuggestedExperts": {
        "type": "object",
        "properties": {"items": {"type": "array", "maxItems": routing.SUGGESTED,
                                 "items": {"$ref": "#/components/schemas/SuggestedExpert"}}},
        "required": ["items"],
    },
    "AskedExperts": {
        "type": "object",
        "properties": {"asked": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}},
        "required": ["asked"],
    },
    "RoutedQuestion": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "url": {"type": "string", "description": "its page (a path on this site)"},
            "group": {"type": "string", "description": "the group's slug"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "asked_at": {"type": "string", "format": "date-time"},
            "asked_by": {"type": ["string", "null"], "description": "who asked you (username)"},
            "why": {"type": "string"},
        },
        "required": ["id", "title", "url", "group", "tags", "asked_at", "asked_by", "why"],
    },
    "RoutedQuestions": {
        "type": "object",
        "properties": {"items": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/RoutedQuestion"}}},
        "required": ["items"],
    },
}

OPENAPI_PATHS = {
    "/api/v1/questions/{id}/suggested-experts": {
        "get": {
            "summary": "The people who could answer a question (at most 5, best first, then"
                       " those a moderator routed it to), each with why and whether they were"
                       " asked; for anyone who can read the question",
            "security": OPTIONAL_AUTH,
            "parameters": [QUESTION_ID],
            "responses": {"200": _json("SuggestedExperts"), "401": BAD_TOKEN, "404": HIDDEN},
        },
    },
    "/api/v1/questions/{id}/experts": {
        "post": {
            "summary": "Ask people to answer a question: the asker asks its suggested"
                       " people; moderators of its group may route it to anyone who can read"
                       " it. Each newly asked person is notified (routed); asking again is a"
                       " no-op. Returns everyone asked so far",
            "security": SECURED,
            "parameters": [QUESTION_ID],
            "requestBody": spec._body({"usernames": {
                "type": "array", "items": {"type": "string"}, "minItems": 1,
                "maxItems": routing.MAX_ASK}}, ["usernames"]),
            "responses": {
                "200": _json("AskedExperts"),
                "403": _error_response("Not the asker nor a moderator of the question's group"),
                "404": HIDDEN,
                "409": _error_response("The question is closed (conflict)"),
                **BODY_ERRORS,
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/me/routed": {
        "get": {
            "summary": "The open questions people asked you to answer (not answered by you,"
                       " not closed or accepted), newest first",
            "security": SECURED,
            "responses": {"200": _json("RoutedQuestions"), **AUTH_ERRORS},
        },
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
