"""JSON API: the curated FAQ (entries promoted from answered threads, their curation and
their revisions). Reads are open to anonymous clients (private groups' entries only to
their members); every write is for the curators of the entry's group."""

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import (
    body_first,
    current_api_user,
    has_nul,
    json_body,
    optional_user,
    page_args,
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
from forum.errors import InvalidInput, NotFound
from forum.schemas import author_json, iso
from forum.services import faq
from forum.services.inputs import MAX_ID

ID = f"<int(max={MAX_ID}):id>"


# -- the entry object -------------------------------------------------------------------


def entry_json(entry, contributors: list, *, viewer=None, curator: bool = False) -> dict:
    """The faq entry object of docs/api.md (built by the service, shared with packets)."""
    return faq.entry_object(entry, contributors, viewer=viewer, curator=curator)


def _one(entry, user) -> dict:
    found = faq.contributors([entry.id])
    return entry_json(entry, found[entry.id], viewer=user,
                      curator=user is not None and faq.can_curate_entry(user, entry))


def _refuse_json_nulls(data: dict) -> None:
    """PATCH: a field sent as null is an error, not "leave unchanged"."""
    errors = {key: _("This field cannot be null.") for key, value in data.items()
              if value is None}
    if errors:
        raise InvalidInput(fields=errors)


# -- reads ------------------------------------------------------------------------------


@bp.get("/v1/faq")
def list_faq():
    user = optional_user()
    args = {name: request.args.get(name) for name in ("q", "group", "tag", "lang")}
    if any(has_nul(value) for value in args.values()):
        raise NotFound(_("Not found."))
    if args["lang"] not in (None, "", "en", "fr"):
        raise InvalidInput(fields={"lang": _("Choose English (en) or French (fr).")})
    page, per_page = page_args()
    found = faq.list_entries(user, q=args["q"], group=args["group"], tag=args["tag"],
                             lang=args["lang"] or None, page=page, per_page=per_page,
                             count=True)
    people = faq.contributors([entry.id for entry in found.items])
    return jsonify({"items": [entry_json(entry, people[entry.id], viewer=user)
                              for entry in found.items],
                    "page": page, "per_page": per_page, "total": found.total})


@bp.get("/v1/faq/review")
@token_required
def faq_review_queue():
    user = current_api_user()
    items = faq.review_queue(user)
    people = faq.contributors([item.entry.id for item in items])
    return jsonify({"items": [
        {"entry": entry_json(item.entry, people[item.entry.id], viewer=user, curator=True),
         "due": item.due, "source_changed": item.source_changed} for item in items]})


@bp.get(f"/v1/faq/{ID}")
def get_faq_entry(id):
    user = optional_user()
    return jsonify(_one(faq.get_entry(user, id), user))


@bp.get(f"/v1/faq/{ID}/revisions")
def faq_revisions(id):
    user = optional_user()
    found = faq.revisions(user, id)
    return jsonify({"items": [{
        "number": rev.number, "action": rev.action, "editor": author_json(rev.editor),
        "created_at": iso(rev.created_at), "note": rev.note, "snapshot": rev.snapshot,
    } for rev in found]})


# -- writes -----------------------------------------------------------------------------


@bp.post("/v1/faq")
@body_first
@token_required
def promote_faq():
    data = json_body(allowed={"question_id", "answer_id", "title", "summary", "review_by",
                              "tags", "lang", "credited"},
                     required={"question_id"})
    user = current_api_user()
    question_id = data["question_id"]
    if isinstance(question_id, bool) or not isinstance(question_id, int):
        raise InvalidInput(fields={"question_id": _("Must be a whole number.")})
    answer_id = data.get("answer_id")
    if answer_id is not None and (isinstance(answer_id, bool) or not isinstance(answer_id, int)):
        raise InvalidInput(fields={"answer_id": _("Must be a whole number.")})
    entry = faq.promote(user, question_id, answer_id=answer_id, title=data.get("title"),
                        summary=data.get("summary"), review_by=data.get("review_by"),
                        tags=data.get("tags"), lang=data.get("lang"),
                        credited=data.get("credited"))
    response = jsonify(_one(entry, user))
    response.headers["Location"] = f"/api/v1/faq/{entry.id}"
    return response, 201


@bp.patch(f"/v1/faq/{ID}")
@body_first
@token_required
def edit_faq_entry(id):
    data = json_body(allowed={"title", "summary", "question", "answer", "review_by", "tags",
                              "lang"})
    _refuse_json_nulls(data)
    user = current_api_user()
    entry = faq.edit_entry(user, id, **data)
    return jsonify(_one(entry, user))


@bp.delete(f"/v1/faq/{ID}")
@body_first
@token_required
def withdraw_faq_entry(id):
    data = json_body(allowed={"note"}, required={"note"}) if (
        request.is_json or request.content_length) else None
    if data is None:
        raise InvalidInput(fields={"note": _("This field is required.")})
    faq.withdraw(current_api_user(), id, data["note"])
    return "", 204


@bp.post(f"/v1/faq/{ID}/verify")
@body_first
@token_required
def verify_faq_entry(id):
    data = json_body(allowed={"review_by"}) if (request.is_json or request.content_length) \
        else {}
    user = current_api_user()
    return jsonify(_one(faq.verify(user, id, review_by=data.get("review_by")), user))


@bp.post(f"/v1/faq/{ID}/obsolete")
@body_first
@token_required
def obsolete_faq_entry(id):
    data = json_body(allowed={"note", "replaced_by"}, required={"note"})
    replaced_by = data.get("replaced_by")
    if replaced_by is not None and (isinstance(replaced_by, bool)
                                    or not isinstance(replaced_by, int)):
        raise InvalidInput(fields={"replaced_by": _("Must be a whole number.")})
    user = current_api_user()
    entry = faq.mark_obsolete(user, id, data["note"], replaced_by=replaced_by)
    return jsonify(_one(entry, user))


@bp.post(f"/v1/faq/{ID}/restore")
@token_required
def restore_faq_entry(id):
    user = current_api_user()
    return jsonify(_one(faq.restore(user, id), user))


@bp.post(f"/v1/faq/{ID}/source")
@body_first
@token_required
def faq_source_change(id):
    data = json_body(allowed={"action"}, required={"action"})
    user = current_api_user()
    if data["action"] == "take":
        entry = faq.take_source_change(user, id)
    elif data["action"] == "keep":
        entry = faq.keep_curated(user, id)
    else:
        # Authorize first, so that a non-curator learns nothing from the refusal's kind.
        faq.get_entry_for_curation(user, id)
        raise InvalidInput(fields={"action": _("Choose take or keep.")})
    return jsonify(_one(entry, user))


@bp.put(f"/v1/faq/{ID}/translation")
@body_first
@token_required
def link_faq_translation(id):
    data = json_body(allowed={"entry_id"}, required={"entry_id"})
    other = data["entry_id"]
    if isinstance(other, bool) or not isinstance(other, int):
        faq.get_entry_for_curation(current_api_user(), id)
        raise InvalidInput(fields={"entry_id": _("Must be a whole number.")})
    user = current_api_user()
    return jsonify(_one(faq.link_translation(user, id, other), user))


@bp.delete(f"/v1/faq/{ID}/translation")
@token_required
def unlink_faq_translation(id):
    user = current_api_user()
    return jsonify(_one(faq.unlink_translation(user, id), user))


# -- OpenAPI ----------------------------------------------------------------------------

ENTRY_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date",
        "description": "YYYY-MM-DD, after today; default: today + 365 days"}
AUTHOR_REF = {"oneOf": [{"type": "object", "properties": {
    "username": {"type": "string"}, "display_name": {"type": "string"},
    "role": {"enum": ["member", "moderator", "admin"]},
    "verified_expert": {"type": "boolean"}},
    "required": ["username", "display_name", "role", "verified_expert"]},
    {"type": "null", "description": "a deleted account"}]}
TAGS = {"type": "array", "minItems": 1, "maxItems": 5,
        "items": {"type": "string", "maxLength": 30},
        "description": "tag names (new ones are created as when asking)"}
LANG = {"enum": ["en", "fr"]}
HIDDEN = _error_response("No such entry, or one in a private group you are not in")
GONE = _error_response("Withdrawn: the message is the moderators' note (gone)")
NOT_CURATOR = _error_response("Not a curator of this entry's group (forbidden): admins, "
                              "site moderators and the group's moderators curate")
ENTRY_OK = _json("FaqEntry")
WRITE_ERRORS = {"403": NOT_CURATOR, "404": HIDDEN, **BODY_ERRORS, **AUTH_ERRORS}

OPENAPI_SCHEMAS = {
    "FaqEntry": {
        "type": "object",
        "description": "A curated FAQ entry: its own sanitized copy of the question and "
                       "answer, its provenance, contributors and review dates",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "question_html": {"type": "string"},
            "answer_html": {"type": "string"},
            "summary_html": {"type": "string"},
            "source": {"type": "object", "properties": {
                "question_id": {"type": ["integer", "null"]},
                "answer_id": {"type": ["integer", "null"]},
                "url": {"type": ["string", "null"]}},
                "required": ["question_id", "answer_id", "url"]},
            "contributors": {"type": "array", "items": {
                "type": "object", "description": "an author object with its role",
                "properties": {"username": {"type": "string"},
                               "display_name": {"type": "string"},
                               "role": {"enum": ["asker", "answerer", "credited"]},
                               "verified_expert": {"type": "boolean"}}}},
            "promoted_by": AUTHOR_REF,
            "promoted_at": TIME,
            "reviewed_at": TIME,
            "review_by": {"type": "string", "format": "date"},
            "group": {"type": "string", "description": "the group's slug"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "lang": LANG,
            "status": {"enum": ["current", "due", "obsolete", "withdrawn"],
                       "description": "due: current, past its review-by date; withdrawn "
                                      "only to curators"},
            "replaced_by": {"type": ["integer", "null"]},
            "note": {"type": "string"},
            "translation": {"type": ["integer", "null"],
                            "description": "the entry in the other language"},
            "url": {"type": "string", "description": "the entry's page"},
            "source_changed": {"type": "boolean",
                               "description": "curators only: the source answer changed "
                                              "since it was last taken in or kept"},
            "reviewed_by": AUTHOR_REF,
        },
        "required": ["id", "title", "question_html", "answer_html", "summary_html", "source",
                     "contributors", "promoted_by", "promoted_at", "reviewed_at",
                     "review_by", "group", "tags", "lang", "status", "replaced_by", "note"],
    },
    "FaqPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/FaqEntry"}}}},
        ]
    },
    "FaqReviewQueue": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {"entry": {"$ref": "#/components/schemas/FaqEntry"},
                           "due": {"type": "boolean"},
                           "source_changed": {"type": "boolean"}},
            "required": ["entry", "due", "source_changed"]}}},
        "required": ["items"],
    },
    "FaqRevisions": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "number": {"type": "integer"},
                "action": {"enum": ["promoted", "edited", "verified", "obsolete",
                                    "source_taken", "source_kept", "withdrawn",
                                    "translation", "restored"]},
                "editor": AUTHOR_REF,
                "created_at": TIME,
                "note": {"type": "string"},
                "snapshot": {"type": "object",
                             "description": "the entry's fields after this change"}},
            "required": ["number", "action", "editor", "created_at", "note", "snapshot"]}}},
        "required": ["items"],
    },
}

OPENAPI_PATHS = {
    "/api/v1/faq": {
        "get": {
            "summary": "Current (and due) FAQ entries you may read, pinned first within a "
                       "group or tag, then newest; anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"},
                 "description": "words, all found in the title or the text"},
                {"name": "group", "in": "query", "schema": {"type": "string"},
                 "description": "a group's slug"},
                {"name": "tag", "in": "query", "schema": {"type": "string"}},
                {"name": "lang", "in": "query", "schema": LANG},
                *PAGE_PARAMS,
            ],
            "responses": {"200": _json("FaqPage"), "401": BAD_TOKEN, "422": INVALID},
        },
        "post": {
            "summary": "Promote an answered thread into the FAQ (curators of its group); "
                       "the answerer is notified",
            "security": SECURED,
            "requestBody": _body({
                "question_id": {"type": "integer"},
                "answer_id": {"type": "integer", "description": "default: the accepted answer"},
                "title": {"type": "string", "minLength": 10, "maxLength": 200,
                          "description": "default: the question's title"},
                "summary": {"type": "string", "maxLength": 2000, "description": "Markdown"},
                "review_by": DATE,
                "tags": TAGS,
                "lang": LANG,
                "credited": {"type": "array", "items": {"type": "string"},
                             "description": "usernames credited besides the asker, the "
                                            "answerer and the authors of its replies"},
            }, ["question_id"]),
            "responses": {"201": _json("FaqEntry", "Created"),
                          "409": _error_response("That answer is already in the FAQ "
                                                 "(conflict)"),
                          **WRITE_ERRORS},
        },
    },
    "/api/v1/faq/review": {
        "get": {
            "summary": "The review queue: entries you curate that are due for review or "
                       "whose source answer changed",
            "security": SECURED,
            "responses": {"200": _json("FaqReviewQueue"),
                          "403": _error_response("Not a moderator (forbidden)"),
                          **AUTH_ERRORS},
        },
    },
    "/api/v1/faq/{id}": {
        "get": {
            "summary": "One FAQ entry (obsolete ones too, with their note and replacement)",
            "security": OPTIONAL_AUTH,
            "parameters": [ENTRY_ID],
            "responses": {"200": ENTRY_OK, "401": BAD_TOKEN, "404": HIDDEN, "410": GONE},
        },
        "patch": {
            "summary": "Edit the curated title, summary, question, answer, review date, "
                       "tags or language; kept as a revision",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "requestBody": _body({
                "title": {"type": "string", "minLength": 10, "maxLength": 200},
                "summary": {"type": "string", "maxLength": 2000},
                "question": {"type": "string", "minLength": 1, "maxLength": 50_000,
                             "description": "the curated question, Markdown"},
                "answer": {"type": "string", "minLength": 1, "maxLength": 50_000,
                           "description": "the curated answer, Markdown"},
                "review_by": DATE, "tags": TAGS, "lang": LANG}, []),
            "responses": {"200": ENTRY_OK, **WRITE_ERRORS},
        },
        "delete": {
            "summary": "Withdraw an entry made by mistake: its revisions are kept, its URL "
                       "answers 410 with the note",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "requestBody": _body({"note": {"type": "string", "minLength": 1,
                                           "maxLength": 1000}}, ["note"]),
            "responses": {"204": {"description": "Withdrawn"}, **WRITE_ERRORS},
        },
    },
    "/api/v1/faq/{id}/verify": {
        "post": {
            "summary": "Mark the entry reviewed now, due again at review_by",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"review_by": DATE},
                "additionalProperties": False}}}},
            "responses": {"200": ENTRY_OK,
                          "409": _error_response("Not a current entry (conflict)"),
                          **WRITE_ERRORS},
        },
    },
    "/api/v1/faq/{id}/obsolete": {
        "post": {
            "summary": "Mark obsolete with a note and an optional replacement entry: it "
                       "leaves the lists and the search, keeps its URL",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "requestBody": _body({"note": {"type": "string", "minLength": 1,
                                           "maxLength": 1000},
                                  "replaced_by": {"type": "integer",
                                                  "description": "another current entry"}},
                                 ["note"]),
            "responses": {"200": ENTRY_OK, **WRITE_ERRORS},
        },
    },
    "/api/v1/faq/{id}/restore": {
        "post": {
            "summary": "Bring an obsolete or withdrawn entry back to current",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "responses": {"200": ENTRY_OK,
                          "409": _error_response("Its answer has another entry (conflict)"),
                          "403": NOT_CURATOR, "404": HIDDEN, **AUTH_ERRORS},
        },
    },
    "/api/v1/faq/{id}/source": {
        "post": {
            "summary": "The source answer changed: take the change into the curated answer, "
                       "or keep the curated text (both acknowledge it)",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "requestBody": _body({"action": {"enum": ["take", "keep"]}}, ["action"]),
            "responses": {"200": ENTRY_OK,
                          "409": _error_response("The source answer is gone (conflict)"),
                          **WRITE_ERRORS},
        },
    },
    "/api/v1/faq/{id}/translation": {
        "put": {
            "summary": "Link this entry and one in the other language as translations of "
                       "each other (both sides)",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "requestBody": _body({"entry_id": {"type": "integer"}}, ["entry_id"]),
            "responses": {"200": ENTRY_OK, **WRITE_ERRORS},
        },
        "delete": {
            "summary": "Undo the translation link (both sides)",
            "security": SECURED,
            "parameters": [ENTRY_ID],
            "responses": {"200": ENTRY_OK, "403": NOT_CURATOR, "404": HIDDEN,
                          **AUTH_ERRORS},
        },
    },
    "/api/v1/faq/{id}/revisions": {
        "get": {
            "summary": "Every change to the entry, newest first",
            "security": OPTIONAL_AUTH,
            "parameters": [ENTRY_ID],
            "responses": {"200": _json("FaqRevisions"), "401": BAD_TOKEN, "404": HIDDEN,
                          "410": GONE},
        },
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
