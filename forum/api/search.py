"""API: full-text search (GET /api/v1/search).

Questions and curated FAQ entries are searched together (an FAQ entry ranks above the
threads matching as many of the query words). `type` takes the documented comma list
(question, faq, user); `user` is validated but has no results here: the experts directory
has its own search.
"""

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import optional_user, page_args
from forum.api.spec import _error_response, _json
from forum.errors import InvalidInput
from forum.schemas import question_url
from forum.services import search as search_service
from forum.services.insight import log_search

TYPES = ("question", "faq", "user")
DEFAULT_TYPES = {"question", "faq"}


def faq_url(entry_id: int) -> str:
    return f"/faq/{entry_id}"


def _types(raw: str | None) -> set[str]:
    if raw is None or not raw.strip():
        return set(DEFAULT_TYPES)
    types = {part.strip() for part in raw.split(",") if part.strip()}
    if not types or not types <= set(TYPES):
        raise InvalidInput(fields={"type": _("Choose among question, faq and user.")})
    return types


def hit_json(hit) -> dict:
    """One search result: a question (matched in its title, body or answers), or an FAQ
    entry (matched in its title, summary or curated question and answer)."""
    if hit.kind == "faq":
        entry = hit.entry
        return {
            "type": "faq",
            "id": entry.id,
            "title": entry.title,
            "snippet_html": hit.snippet_html,
            "url": faq_url(entry.id),
            "rank": hit.rank,
            "group": entry.group.slug,
            "tags": [tag.name for tag in entry.tags],
            "lang": entry.lang,
        }
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
    kinds = types & set(search_service.KINDS)
    if not kinds:
        # People are found through the experts directory: the query is still validated.
        search_service.check_query(user, q, page=page, per_page=per_page, **filters)
        return jsonify({"items": [], "page": page, "per_page": per_page, "total": 0})
    results = search_service.search(user, q, page=page, per_page=per_page, types=kinds,
                                    **filters)
    if page == 1:  # paging through a search is not another search
        log_search(q, results.total, results.group.id if results.group else None,
                   filters["lang"])
    return jsonify({"items": [hit_json(hit) for hit in results.items], "page": page,
                    "per_page": per_page, "total": results.total,
                    "suggestion": results.suggestion})


# -- OpenAPI ----------------------------------------------------------------------------

_QUERY = [
    {"name": "q", "in": "query", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 200},
     "description": 'Words (partial matches count, best first), "exact phrases" (required) '
                    "and -excluded words or -\"phrases\". Accents, case, English/French "
                    "word endings and British/American spellings do not matter; a misspelt "
                    "word also finds the index's words one or two edits away, the last word "
                    "the words it begins, and a term of the FP/RH thesaurus its other terms "
                    "in English and French (ranked below the words typed)."},
    {"name": "type", "in": "query", "schema": {"type": "string", "default": "question,faq"},
     "description": "comma list of question, faq, user: questions and current FAQ entries "
                    "are searched; user is accepted but has no results here (people are "
                    "found through the experts directory)"},
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
            "summary": "Search the questions and FAQ entries you may read",
            "description": "Questions are matched in their titles, bodies and answers; "
                           "current FAQ entries (not obsolete or withdrawn ones) in their "
                           "titles, summaries and curated question and answer. Best first by "
                           "BM25 (titles weigh more than bodies and answers), with FAQ "
                           "entries, then threads with an accepted answer, then answered "
                           "threads favoured; score and recency break ties. A question hit whose "
                           "words matched in an answer names the question. Private groups' "
                           "questions and FAQ entries are found only by their members. "
                           "`group`, `tag` and `lang` filter both kinds. `total` counts "
                           "every match; the best 2,000 of each kind can be paged through.",
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
            "url": {"type": "string",
                    "description": "/questions/{id} for a question, /faq/{id} for an entry"},
            "rank": {"type": "number",
                     "description": "relevance, higher is better (BM25 with field weights, "
                                    "comparable within one search only)"},
            "group": {"type": "string", "description": "the group's slug"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "lang": {"enum": ["en", "fr"]},
            "score": {"type": "integer", "description": "questions only"},
            "answer_count": {"type": "integer", "description": "questions only"},
            "accepted": {"type": "boolean",
                         "description": "questions only: has an accepted answer"},
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
            "suggestion": {"type": ["string", "null"],
                           "description": "the query with its misspelt words corrected "
                                          "(did you mean), or null"},
        },
        "required": ["items", "page", "per_page", "total"],
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
