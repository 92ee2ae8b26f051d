"""API: full-text search (GET /api/v1/search).

Only questions are searched for now; `type` already takes the documented comma list
(question, faq, user) so clients need not change when FAQ entries and people are added.
"""

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import optional_user, page_args
from forum.api.spec import _error_response, _json
from forum.errors import InvalidInput
from forum.schemas import question_url
from forum.services import search as search_service

TYPES = ("question", "faq", "user")


def _types(raw: str | None) -> set[str]:
    if raw is None or not raw.strip():
        return {"question"}
    types = {part.strip() for part in raw.split(",") if part.strip()}
    if not types or not types <= set(TYPES):
        raise InvalidInput(fields={"type": _("Choose among question, faq and user.")})
    return types


def hit_json(hit) -> dict:
    """One search result: a question (matched in its title, body or answers)."""
    question = hit.question
    return {
        "type": "question",
        "id": question.id,
        "title": question.title,
        "snippet_html": hit.snippet_html,
        "url": question_url(question.id),
        "rank": hit.rank,
        "group": question.group.slug,
        "tags": [tag.name for tag in question.tags],
        "lang": question.lang,
        "score": question.score,
        "answer_count": question.answer_count,
        "accepted": question.accepted_answer_id is not None,
    }


@bp.get("/v1/search")
def search():
    user = optional_user()
    page, per_page = page_args()
    types = _types(request.args.get("type"))
    q = request.args.get("q", "")
    filters = {name: request.args.get(name) for name in ("group", "tag", "lang")}
    if "question" not in types:
        # FAQ entries and people are not searchable yet: the query is still validated.
        search_service.check_query(user, q, page=page, per_page=per_page, **filters)
        return jsonify({"items": [], "page": page, "per_page": per_page, "total": 0})
    results = search_service.search(user, q, page=page, per_page=per_page, **filters)
    return jsonify({"items": [hit_json(hit) for hit in results.items], "page": page,
                    "per_page": per_page, "total": results.total})


# -- OpenAPI ----------------------------------------------------------------------------

_QUERY = [
    {"name": "q", "in": "query", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 200},
     "description": 'Words (partial matches count, best first), "exact phrases" (required) '
                    "and -excluded words or -\"phrases\". Accents, case and English/French "
                    "word endings do not matter."},
    {"name": "type", "in": "query", "schema": {"type": "string", "default": "question"},
     "description": "comma list of question, faq, user (only question has results yet)"},
    {"name": "group", "in": "query", "schema": {"type": "string"},
     "description": "a group's slug"},
    {"name": "tag", "in": "query", "schema": {"type": "string", "maxLength": 30}},
    {"name": "lang", "in": "query", "schema": {"enum": ["en", "fr"]}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]

OPENAPI_PATHS = {
    "/api/v1/search": {
        "get": {
            "summary": "Search the questions you may read (titles, bodies and answers)",
            "description": "Best first: more query words matched, rarer words and title "
                           "matches first, then accepted and higher-scored threads. A hit "
                           "whose words matched in an answer names the question. Private "
                           "groups' questions are found only by their members. `total` "
                           "counts every match; the best 2,000 can be paged through.",
            "security": [{}, {"bearer": []}],
            "parameters": _QUERY,
            "responses": {
                "200": _json("SearchPage"),
                "401": _error_response("A bearer token was sent but is unknown, expired or "
                                       "revoked"),
                "404": _error_response("No such group, or a private group you are not in "
                                       "(not_found)"),
                "422": _error_response("Empty or too long q, bad type, tag, lang, page or "
                                       "per_page (invalid), with `fields`"),
            },
        }
    }
}

OPENAPI_SCHEMAS = {
    "SearchHit": {
        "type": "object",
        "properties": {
            "type": {"enum": ["question", "faq", "user"]},
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "snippet_html": {"type": "string",
                             "description": "escaped text with <mark> around the matches"},
            "url": {"type": "string"},
            "rank": {"type": "number", "description": "higher is better"},
            "group": {"type": "string", "description": "the group's slug"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "lang": {"enum": ["en", "fr"]},
            "score": {"type": "integer"},
            "answer_count": {"type": "integer"},
            "accepted": {"type": "boolean", "description": "has an accepted answer"},
        },
        "required": ["type", "id", "title", "snippet_html", "url", "rank"],
    },
    "SearchPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
        },
        "required": ["items", "page", "per_page", "total"],
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
