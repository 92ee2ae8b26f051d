"""API: questions, answers, threaded replies, votes, accepted answers and tags.

Threads are answered as a true tree: each post's `replies` holds the posts that answered
it, however deep (pages flatten replies past a few levels; API clients lay them out
themselves). A deleted post with visible replies stays in its place with `deleted: true`,
no author and no text.
"""

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp, spec
from forum.api.common import (
    body_first,
    current_api_user,
    has_nul,
    json_body,
    optional_user,
    paginate,
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
from forum.models import Tag
from forum.schemas import post_json, question_json
from forum.services import attachments as files
from forum.services import inputs, qa, votes
from forum.services.inputs import MAX_ID
from forum.services.threads import load_thread, question_list_query

# Ids are 32-bit integers in every database; larger path ids simply match no route (404).
ID = f"<int(max={MAX_ID}):id>"


def _question(question, user, **kwargs) -> dict:
    if "attachments" not in kwargs:
        kwargs["attachments"] = files.for_questions([question.id])[question.id]
    data = question_json(question, viewer=user, **kwargs)
    data["deleted"] = question.is_deleted  # only moderators ever see true
    return data


def _post(post, user) -> dict:
    """A post outside its thread (its replies are only listed in the thread)."""
    return post_json(post, viewer=user, accepted_id=post.question.accepted_answer_id,
                     attachments=files.for_posts([post.id])[post.id])


def _ids(data: dict):
    """The `attachments` of a JSON body: a list of ids from POST /api/v1/uploads (JSON
    numbers only; the service refuses anything else)."""
    value = data.get("attachments")
    if value is None:
        return None
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int)
                                          for v in value):
        raise InvalidInput(fields={"attachments": _("Give a list of attachment ids.")})
    return value


def _refuse_json_nulls(data: dict, messages: dict) -> None:
    """PATCH: a field sent as null is an error, not "leave unchanged"."""
    errors = {key: messages[key] for key, value in data.items() if value is None}
    if errors:
        raise InvalidInput(fields=errors)


# -- questions --------------------------------------------------------------------------


@bp.get("/v1/questions")
def list_questions():
    user = optional_user()
    args = {name: request.args.get(name) for name in ("group", "tag", "status", "sort", "lang")}
    if has_nul(args["group"]):
        raise NotFound(_("No such group."))
    stmt = question_list_query(user, **args)

    def serialize(rows):
        # Author, group, tags and files come loaded with the page (fixed number of queries).
        attached = files.for_questions([q.id for q in rows])
        return [_question(q, user, attachments=attached[q.id]) for q in rows]

    return jsonify(paginate(stmt, serialize))


@bp.post("/v1/questions")
@body_first
@token_required
def ask_question():
    data = json_body(allowed={"title", "body", "group", "tags", "lang", "attachments"},
                     required={"title", "body", "group", "tags"})
    user = current_api_user()
    question = qa.ask_question(user, title=data["title"], body=data["body"],
                               group=data["group"], tags=data["tags"], lang=data.get("lang"),
                               attachments=_ids(data))
    response = jsonify(_question(question, user))
    response.headers["Location"] = f"/api/v1/questions/{question.id}"
    return response, 201


@bp.get(f"/v1/questions/{ID}")
def get_question(id):
    user = optional_user()
    thread = load_thread(user, id)
    question = thread.question
    data = _question(question, user, answers=_answers_tree(thread, user))
    if user is not None:
        data["my_vote"] = thread.my_question_vote
    return jsonify(data)


def _answers_tree(thread, user) -> list[dict]:
    """The thread's answers with their replies nested as posted (load_thread's order kept for
    answers: accepted first, then by score; replies oldest first)."""
    nodes = []

    def walk(node):
        nodes.append(node)
        for child in node.replies:
            walk(child)

    for root in thread.answers:
        walk(root)
    accepted = thread.question.accepted_answer_id
    attached = files.for_posts([node.post.id for node in nodes])
    children: dict[int, list] = {}
    for node in sorted(nodes, key=lambda n: (n.post.created_at, n.post.id)):
        if node.post.parent_id is not None:
            children.setdefault(node.post.parent_id, []).append(node)

    def build(node) -> dict:
        data = post_json(node.post, viewer=user, accepted_id=accepted,
                         replies=[build(child) for child in children.get(node.post.id, [])],
                         attachments=attached[node.post.id])
        if user is not None:
            data["my_vote"] = node.my_vote
        return data

    return [build(root) for root in thread.answers]


@bp.patch(f"/v1/questions/{ID}")
@body_first
@token_required
def edit_question(id):
    data = json_body(allowed={"title", "body", "tags", "attachments"})
    _refuse_json_nulls(data, {"title": _("Must be text."), "body": _("Must be text."),
                     "tags": _("Give a list of tags."),
                     "attachments": _("Give a list of attachment ids.")})
    user = current_api_user()
    question = qa.edit_question(user, id, **data)
    return jsonify(_question(question, user))


@bp.delete(f"/v1/questions/{ID}")
@token_required
def delete_question(id):
    qa.delete_question(current_api_user(), id)
    return "", 204


@bp.put(f"/v1/questions/{ID}/vote")
@body_first
@token_required
def vote_question(id):
    data = json_body(allowed={"value"}, required={"value"})
    score, mine = votes.vote_question(current_api_user(), id, data["value"])
    return jsonify({"score": score, "my_vote": mine})


@bp.put(f"/v1/questions/{ID}/accepted")
@body_first
@token_required
def accept_answer(id):
    data = json_body(allowed={"answer_id"}, required={"answer_id"})
    errors: dict = {}
    answer_id = inputs.id_field(data["answer_id"], "answer_id", errors)
    if errors:  # said as for the id of another question's answer
        raise InvalidInput(fields={"answer_id": _("Choose an answer of this question.")})
    user = current_api_user()
    return jsonify(_question(qa.accept_answer(user, id, answer_id), user))


@bp.delete(f"/v1/questions/{ID}/accepted")
@token_required
def unaccept_answer(id):
    user = current_api_user()
    return jsonify(_question(qa.unaccept_answer(user, id), user))


# -- answers and replies ----------------------------------------------------------------


@bp.post(f"/v1/questions/{ID}/answers")
@body_first
@token_required
def post_answer(id):
    data = json_body(allowed={"body", "lang", "attachments"}, required={"body"})
    user = current_api_user()
    post = qa.post_answer(user, id, data["body"], lang=data.get("lang"),
                          attachments=_ids(data))
    return jsonify(_post(post, user)), 201


@bp.post(f"/v1/posts/{ID}/replies")
@body_first
@token_required
def post_reply(id):
    data = json_body(allowed={"body", "lang", "attachments"}, required={"body"})
    user = current_api_user()
    post = qa.post_reply(user, id, data["body"], lang=data.get("lang"),
                         attachments=_ids(data))
    return jsonify(_post(post, user)), 201


@bp.patch(f"/v1/posts/{ID}")
@body_first
@token_required
def edit_post(id):
    data = json_body(allowed={"body", "attachments"}, required={"body"})
    user = current_api_user()
    return jsonify(_post(qa.edit_post(user, id, data["body"], attachments=_ids(data)), user))


@bp.delete(f"/v1/posts/{ID}")
@token_required
def delete_post(id):
    qa.delete_post(current_api_user(), id)
    return "", 204


@bp.put(f"/v1/posts/{ID}/vote")
@body_first
@token_required
def vote_post(id):
    data = json_body(allowed={"value"}, required={"value"})
    score, mine = votes.vote_post(current_api_user(), id, data["value"])
    return jsonify({"score": score, "my_vote": mine})


# -- tags -------------------------------------------------------------------------------


def _tag_json(tag: Tag, count: int) -> dict:
    return {"name": tag.name, "description": tag.description, "question_count": count}


@bp.get("/v1/tags")
def list_tags():
    # Counted from the questions this reader can see (Tag.question_count counts private
    # groups' too): a tag no visible question uses does not exist here.
    stmt = qa.tag_counts_query(optional_user())
    return jsonify(paginate(stmt, lambda rows: [_tag_json(tag, n) for tag, n in rows],
                            rows=True))


@bp.put("/v1/tags/<name>")
@body_first
@token_required
def describe_tag(name):
    data = json_body(allowed={"description"}, required={"description"})
    user = current_api_user()
    tag = qa.set_tag_description(user, name, data["description"])
    return jsonify(_tag_json(*qa.visible_tag(user, tag.name)))


# -- OpenAPI ----------------------------------------------------------------------------

ID_PARAM = {"name": "id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
NAME_PARAM = {"name": "name", "in": "path", "required": True,
              "schema": {"type": "string", "maxLength": 30}}
POSTING_ERRORS = {
    **BODY_ERRORS,
    "409": _error_response("The same text posted by you in the last 5 minutes (conflict)"),
    "429": _error_response("Posting too fast (rate_limited), with Retry-After"),
}
NO_QUESTION = _error_response(
    "No such question, or one in a private group you are not in (not_found)")
NO_POST = _error_response("No such post, a deleted one, or one you may not see (not_found)")
NOT_ALLOWED = _error_response("Not the author nor a moderator (forbidden)")
BODY_TEXT = {"type": "string", "minLength": 1, "maxLength": 50_000,
             "description": "Markdown; answered as body_html"}
LANG = {"enum": ["en", "fr"], "description": "default: the writer's interface language"}
TAGS = {"type": "array", "minItems": 1, "maxItems": 5,
        "items": {"type": "string", "maxLength": 30, "pattern": "^[-0-9\\p{Ll}]+$"},
        "description": "lower-case letters (accents allowed), digits and hyphens"}
VOTE = {
    "security": SECURED,
    "parameters": [ID_PARAM],
    "requestBody": _body({"value": {"enum": [1, -1, 0],
                                    "description": "1 up, -1 down, 0 withdraws"}}, ["value"]),
}
VOTED = {
    "description": "OK",
    "content": {"application/json": {"schema": {
        "type": "object",
        "properties": {"score": {"type": "integer"}, "my_vote": {"enum": [1, -1, 0]}},
        "required": ["score", "my_vote"],
    }}},
}
NO_CONTENT = {"204": {"description": "Deleted (soft: replies keep their context)"}}

AUTHOR = {
    "oneOf": [
        {"type": "object", "properties": {
            "username": {"type": "string"}, "display_name": {"type": "string"},
            "role": {"enum": ["member", "moderator", "admin"]},
            "verified_expert": {"type": "boolean"}},
         "required": ["username", "display_name", "role", "verified_expert"]},
        {"type": "null", "description": "a deleted account (or a deleted post)"},
    ]
}
TIME = {"type": "string", "format": "date-time"}
MAYBE_TIME = {"type": ["string", "null"], "format": "date-time"}
MY_VOTE = {"enum": [1, -1, 0], "description": "only when a token is sent (thread only)"}

ATTACHMENT_IDS = {"type": "array", "items": {"type": "integer"}, "maxItems": 20,
                  "description": "Ids of your uploads (POST /api/v1/uploads) to attach; "
                                 "uploads the body links to (/files/<token>) are attached too"}
ATTACHMENTS = {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"},
               "description": "Files attached (single objects and threads; [] when deleted)"}

OPENAPI_SCHEMAS = {
    "Question": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "body_html": {"type": "string"},
            "body": {"type": "string", "description": "Markdown source; only to the author"},
            "held": {"type": "boolean", "description": "only to the author: waiting for a "
                     "moderator's approval (a pre-moderated group)"},
            "author": AUTHOR,
            "group": {"type": "string", "description": "the group's slug"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "lang": {"enum": ["en", "fr"]},
            "score": {"type": "integer"},
            "answer_count": {"type": "integer"},
            "accepted_answer_id": {"type": ["integer", "null"]},
            "status": {"enum": ["open", "answered", "closed"]},
            "in_faq": {"type": "boolean"},
            "deleted": {"type": "boolean", "description": "true only for moderators"},
            "created_at": TIME,
            "updated_at": TIME,
            "edited_at": MAYBE_TIME,
            "url": {"type": "string"},
            "my_vote": MY_VOTE,
            "attachments": ATTACHMENTS,
            "answers": {"type": "array", "items": {"$ref": "#/components/schemas/Post"},
                        "description": "only in GET /api/v1/questions/{id}: accepted first, "
                                       "then by score, then oldest"},
        },
        "required": ["id", "title", "body_html", "author", "group", "tags", "lang", "score",
                     "answer_count", "accepted_answer_id", "status", "in_faq", "created_at",
                     "updated_at", "url"],
    },
    "Post": {
        "type": "object",
        "description": "An answer (parent_id null) or a reply. A deleted post kept for its "
                       "replies has deleted: true, author null and an empty body_html.",
        "properties": {
            "id": {"type": "integer"},
            "question_id": {"type": "integer"},
            "parent_id": {"type": ["integer", "null"]},
            "author": AUTHOR,
            "body_html": {"type": "string"},
            "body": {"type": "string", "description": "Markdown source; only to the author"},
            "held": {"type": "boolean", "description": "only to the author: waiting for a "
                     "moderator's approval (a pre-moderated group)"},
            "lang": {"enum": ["en", "fr"]},
            "score": {"type": "integer"},
            "accepted": {"type": "boolean"},
            "deleted": {"type": "boolean"},
            "created_at": TIME,
            "edited_at": MAYBE_TIME,
            "url": {"type": "string"},
            "my_vote": MY_VOTE,
            "attachments": ATTACHMENTS,
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Post"},
                        "description": "the true tree, oldest first; empty outside a thread"},
        },
        "required": ["id", "question_id", "parent_id", "author", "body_html", "score",
                     "accepted", "deleted", "created_at", "edited_at", "replies"],
    },
    "Tag": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "question_count": {"type": "integer",
                               "description": "questions with this tag that you may see"},
        },
        "required": ["name", "description", "question_count"],
    },
    "QuestionPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Question"},
                          "description": "questions without answers"}}},
        ]
    },
    "TagPage": {
        "allOf": [
            {"$ref": "#/components/schemas/Page"},
            {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}}},
        ]
    },
}

OPENAPI_PATHS = {
    "/api/v1/questions": {
        "get": {
            "summary": "Questions you may see (without answers); anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": [
                {"name": "group", "in": "query", "schema": {"type": "string"},
                 "description": "a group's slug (404 for one you may not see)"},
                {"name": "tag", "in": "query", "schema": {"type": "string"}},
                {"name": "status", "in": "query",
                 "schema": {"enum": ["open", "answered", "unanswered", "closed"]},
                 "description": "open: no accepted answer and not closed; answered: has an "
                                "accepted answer; unanswered: no answers at all"},
                {"name": "sort", "in": "query",
                 "schema": {"enum": ["newest", "active", "votes"], "default": "newest"}},
                {"name": "lang", "in": "query", "schema": {"enum": ["en", "fr"]}},
                *PAGE_PARAMS,
            ],
            "responses": {"200": _json("QuestionPage"), "401": BAD_TOKEN,
                          "404": _error_response("No such group, or a private one"),
                          "422": INVALID},
        },
        "post": {
            "summary": "Ask a question",
            "security": SECURED,
            "requestBody": _body(
                {"title": {"type": "string", "minLength": 10, "maxLength": 200},
                 "body": BODY_TEXT,
                 "group": {"type": "string", "description": "a group's slug"},
                 "tags": TAGS, "lang": LANG, "attachments": ATTACHMENT_IDS},
                ["title", "body", "group", "tags"],
            ),
            "responses": {"201": _json("Question", "Created"), **AUTH_ERRORS,
                          "403": _error_response("Not allowed to post"), **POSTING_ERRORS},
        },
    },
    "/api/v1/questions/{id}": {
        "get": {
            "summary": "A question with its answers, each with its replies nested as a tree;"
                       " anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": [ID_PARAM],
            "responses": {"200": _json("Question"), "401": BAD_TOKEN, "404": NO_QUESTION},
        },
        "patch": {
            "summary": "Edit title, body or tags (the author or a moderator); every version "
                       "is kept in the history",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"title": {"type": "string", "minLength": 10, "maxLength": 200},
                               "body": BODY_TEXT, "tags": TAGS,
                               "attachments": ATTACHMENT_IDS},
                "additionalProperties": False}}}},
            "responses": {"200": _json("Question"), "403": NOT_ALLOWED, "404": NO_QUESTION,
                          **AUTH_ERRORS, **BODY_ERRORS},
        },
        "delete": {
            "summary": "Delete a question (the author or a moderator; soft delete)",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {**NO_CONTENT, "403": NOT_ALLOWED, "404": NO_QUESTION,
                          **AUTH_ERRORS},
        },
    },
    "/api/v1/questions/{id}/vote": {
        "put": {
            "summary": "Vote on a question: one vote per person, never on your own",
            **VOTE,
            "responses": {
                "200": VOTED,
                "403": _error_response("Your own question (forbidden)"),
                "404": NO_QUESTION,
                "409": _error_response("You already voted this way (conflict)"),
                **AUTH_ERRORS, **BODY_ERRORS,
            },
        }
    },
    "/api/v1/questions/{id}/accepted": {
        "put": {
            "summary": "Accept an answer (the asker or a moderator); replaces an earlier one",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "requestBody": _body({"answer_id": {"type": "integer"}}, ["answer_id"]),
            "responses": {
                "200": _json("Question"),
                "403": _error_response("Not the asker nor a moderator"),
                "404": NO_QUESTION,
                **AUTH_ERRORS,
                **{**BODY_ERRORS, "422": _error_response(
                    "answer_id is not a live answer of this question (invalid)")},
            },
        },
        "delete": {
            "summary": "Withdraw the accepted answer (the asker or a moderator)",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {"200": _json("Question"),
                          "403": _error_response("Not the asker nor a moderator"),
                          "404": NO_QUESTION, **AUTH_ERRORS},
        },
    },
    "/api/v1/questions/{id}/answers": {
        "post": {
            "summary": "Answer a question",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "requestBody": _body({"body": BODY_TEXT, "lang": LANG,
                                  "attachments": ATTACHMENT_IDS}, ["body"]),
            "responses": {"201": _json("Post", "Created"), "404": NO_QUESTION,
                          **AUTH_ERRORS, **POSTING_ERRORS,
                          "409": _error_response("Duplicate of your recent post, or the "
                                                 "question is closed (conflict)")},
        }
    },
    "/api/v1/posts/{id}": {
        "patch": {
            "summary": "Edit an answer or a reply (the author or a moderator); the old text "
                       "stays in the history",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "requestBody": _body({"body": BODY_TEXT, "attachments": ATTACHMENT_IDS}, ["body"]),
            "responses": {"200": _json("Post"), "403": NOT_ALLOWED, "404": NO_POST,
                          **AUTH_ERRORS, **BODY_ERRORS},
        },
        "delete": {
            "summary": "Delete an answer or a reply (the author or a moderator; soft delete)",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {**NO_CONTENT, "403": NOT_ALLOWED, "404": NO_POST, **AUTH_ERRORS},
        },
    },
    "/api/v1/posts/{id}/replies": {
        "post": {
            "summary": "Reply to an answer or to a reply",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "requestBody": _body({"body": BODY_TEXT, "lang": LANG,
                                  "attachments": ATTACHMENT_IDS}, ["body"]),
            "responses": {"201": _json("Post", "Created"), "404": NO_POST,
                          **AUTH_ERRORS, **POSTING_ERRORS},
        }
    },
    "/api/v1/posts/{id}/vote": {
        "put": {
            "summary": "Vote on an answer (replies are not voted): one vote per person, never "
                       "on your own",
            **VOTE,
            "responses": {
                "200": VOTED,
                "403": _error_response("Your own answer (forbidden)"),
                "404": NO_POST,
                "409": _error_response("You already voted this way (conflict)"),
                **AUTH_ERRORS,
                **{**BODY_ERRORS, "422": _error_response(
                    "A bad value, or the post is a reply (invalid)")},
            },
        }
    },
    "/api/v1/tags": {
        "get": {
            "summary": "Tags used by questions you may see, most used first; anonymous allowed",
            "security": OPTIONAL_AUTH,
            "parameters": PAGE_PARAMS,
            "responses": {"200": _json("TagPage"), "401": BAD_TOKEN, "422": INVALID},
        }
    },
    "/api/v1/tags/{name}": {
        "put": {
            "summary": "Describe a tag (moderators only)",
            "security": SECURED,
            "parameters": [NAME_PARAM],
            "requestBody": _body({"description": {"type": "string", "maxLength": 500}},
                                 ["description"]),
            "responses": {"200": _json("Tag"),
                          "403": _error_response("Not a moderator"),
                          "404": _error_response("No tag of that name on a question you may "
                                                 "see"),
                          **AUTH_ERRORS, **BODY_ERRORS},
        }
    },
}

spec.describe(paths=OPENAPI_PATHS, schemas=OPENAPI_SCHEMAS)
