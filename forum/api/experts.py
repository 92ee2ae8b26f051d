"""API: the expert directory."""

from flask import jsonify, request

from forum.api import bp, spec
from forum.api.common import optional_user, page_args
from forum.api.spec import BAD_TOKEN, INVALID, OPTIONAL_AUTH, PAGE_PARAMS, _json
from forum.schemas import user_json
from forum.services import experts as experts_service

FILTERS = ("expertise", "region", "country", "language", "verified", "q")


@bp.get("/v1/experts")
def list_experts():
    """The directory, best match first: user objects with their answer counts."""
    page, per_page = page_args()
    found = experts_service.directory(
        optional_user(), **{name: request.args.get(name) or None for name in FILTERS},
        page=page, per_page=per_page)
    # Expertise and languages come loaded with the page (fixed number of queries).
    items = [{**user_json(row.user, expertise=row.expertise), "accepted_answers": row.accepted,
              "answers": row.answers}
             for row in found.items]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": found.total})


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description}


OPENAPI_SCHEMAS = {
    "Expert": {
        "allOf": [
            {"$ref": "#/components/schemas/User"},
            {"type": "object", "properties": {
                "accepted_answers": {"type": "integer", "minimum": 0,
                                     "description": "accepted answers in public groups, in"
                                                    " the `expertise` tag when one is given"},
                "answers": {"type": "integer", "minimum": 0,
                            "description": "answers in public groups, in the `expertise`"
                                           " tag when one is given"}},
             "required": ["accepted_answers", "answers"]},
        ]
    },
    "ExpertPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Expert"}}}},
        ]
    },
}

OPENAPI_PATHS = {
    "/api/v1/experts": {
        "get": {
            "summary": "The expert directory: people who declared areas of expertise and"
                       " verified experts (not those who hid themselves), verified first, then"
                       " by accepted and upvoted answers in the filtered tag, reputation and"
                       " name; anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": [
                _query("expertise", {"type": "string", "maxLength": 30},
                       "a tag the person declared as an area of expertise"),
                _query("region", {"type": "string", "maxLength": 80},
                       "equal, ignoring case and accents"),
                _query("country", {"type": "string", "maxLength": 80},
                       "equal, ignoring case and accents"),
                _query("language", {"type": "string"}, "a language code they speak"),
                _query("verified", {"type": "boolean"}, "verified experts only (true) or"
                       " only the others (false)"),
                _query("q", {"type": "string", "maxLength": 200},
                       "words that must each appear in the name, username, organization,"
                       " title or bio (ignoring case and accents)"),
                *PAGE_PARAMS,
            ],
            "responses": {"200": _json("ExpertPage"), "401": BAD_TOKEN, "422": INVALID},
        }
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
