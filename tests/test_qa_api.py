"""JSON API of questions, answers, threaded replies, votes, accepted answers and tags."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.models import Post, PostVote, Question, QuestionVote, Revision, Tag, User
from forum.services.accounts import delete_account, issue_api_token
from forum.services.reputation import recompute_all

QUESTION = {"title": "How do we avoid implant stock-outs?",
            "body": "Our rural clinics run out of implants every quarter.",
            "group": "west-africa", "tags": ["implants", "supply-chain"], "lang": "en"}


@pytest.fixture
def app_config():
    """Posting limits off (one test turns them back on)."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def people(app, make_user, group):
    """Accounts with roles, each with a live API token: {name: {"id", "token"}}."""
    found = {}
    for name, role in [("asker", "member"), ("helper", "member"), ("peer", "member"),
                       ("mod", "moderator"), ("admin", "admin")]:
        user_id = make_user(name, role=role, display_name=name.title())
        with app.app_context():
            token, _record = issue_api_token(db.session.get(User, user_id))
        found[name] = {"id": user_id, "token": token}
    return found


@pytest.fixture
def thread(people, make_question, make_post):
    """A question by asker, an answer by helper, a reply by asker to it: ids."""
    qid = make_question(people["asker"]["id"], "west-africa")
    aid = make_post(people["helper"]["id"], question_id=qid, body="Order a quarter ahead.")
    rid = make_post(people["asker"]["id"], parent_id=aid, body="Lead times are long here.")
    return {"question": qid, "answer": aid, "reply": rid}


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


def is_iso_utc(value):
    parsed = datetime.fromisoformat(value)
    return parsed.utcoffset() == timedelta(0)


def count(app, model, *where):
    with app.app_context():
        return db.session.query(model).filter(*where).count()


# -- flows and shapes -------------------------------------------------------------------


def test_ask_answer_reply_then_read_the_thread(api, app, people):
    asked = api.post("/api/v1/questions", QUESTION, token=people["asker"]["token"])
    assert asked.status_code == 201, asked.get_json()
    question = asked.get_json()
    assert asked.headers["Location"] == f"/api/v1/questions/{question['id']}"
    assert {"id", "title", "body_html", "author", "group", "tags", "lang", "score",
            "answer_count", "accepted_answer_id", "status", "in_faq", "created_at",
            "updated_at", "url"} <= set(question)
    assert question["group"] == "west-africa" and question["tags"] == ["implants",
                                                                       "supply-chain"]
    assert question["author"] == {"username": "asker", "display_name": "Asker",
                                  "role": "member", "verified_expert": False}
    assert question["body"] == QUESTION["body"]  # the author gets the source back
    assert is_iso_utc(question["created_at"]) and is_iso_utc(question["updated_at"])
    assert question["status"] == "open" and question["score"] == 0
    assert "answers" not in question

    qid = question["id"]
    answer = api.post(f"/api/v1/questions/{qid}/answers", {"body": "Order **earlier**."},
                      token=people["helper"]["token"])
    assert answer.status_code == 201
    post = answer.get_json()
    assert post["question_id"] == qid and post["parent_id"] is None
    assert "<strong>earlier</strong>" in post["body_html"] and post["body"] == "Order **earlier**."
    assert post["replies"] == [] and post["deleted"] is False and post["accepted"] is False
    assert is_iso_utc(post["created_at"]) and post["edited_at"] is None
    reply = api.post(f"/api/v1/posts/{post['id']}/replies", {"body": "Which supplier?"},
                     token=people["asker"]["token"])
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == post["id"]

    read = api.get(f"/api/v1/questions/{qid}")  # anonymous
    assert read.status_code == 200
    data = read.get_json()
    assert data["answer_count"] == 1 and "body" not in data and "my_vote" not in data
    [got] = data["answers"]
    assert got["id"] == post["id"] and "body" not in got
    assert got["author"]["username"] == "helper"
    assert [r["id"] for r in got["replies"]] == [reply.get_json()["id"]]
    assert got["replies"][0]["replies"] == []
    mine = api.get(f"/api/v1/questions/{qid}", token=people["helper"]["token"]).get_json()
    assert mine["my_vote"] == 0 and mine["answers"][0]["body"] == "Order **earlier**."


def test_deep_replies_come_back_as_the_true_tree(api, people, thread, make_post):
    # A chain six levels deep below the answer (pages flatten past four), and a branch.
    parent, chain = thread["reply"], [thread["reply"]]
    for level in range(2, 8):
        parent = make_post(people["peer" if level % 2 else "helper"]["id"], parent_id=parent,
                           body=f"Level {level}")
        chain.append(parent)
    branch = make_post(people["mod"]["id"], parent_id=chain[4], body="A side branch.")
    data = api.get(f"/api/v1/questions/{thread['question']}").get_json()
    node = data["answers"][0]
    for expected in chain:
        ids = [r["id"] for r in node["replies"]]
        assert expected in ids, (expected, ids)
        child = next(r for r in node["replies"] if r["id"] == expected)
        assert child["parent_id"] == node["id"]
        node = child
    assert node["replies"] == []
    fifth = data["answers"][0]
    for _ in range(5):
        fifth = fifth["replies"][0]
    assert fifth["id"] == chain[4]
    assert [r["id"] for r in fifth["replies"]] == [chain[5], branch]


def test_deleted_posts_keep_their_place_only_when_they_have_replies(api, people, thread,
                                                                    make_post):
    lonely = make_post(people["peer"]["id"], question_id=thread["question"], body="Lonely.")
    for post_id, who in [(thread["answer"], "helper"), (lonely, "peer")]:
        assert api.delete(f"/api/v1/posts/{post_id}",
                          token=people[who]["token"]).status_code == 204
    data = api.get(f"/api/v1/questions/{thread['question']}").get_json()
    assert data["answer_count"] == 0
    [placeholder] = data["answers"]
    assert placeholder["id"] == thread["answer"] and placeholder["deleted"] is True
    assert placeholder["author"] is None and placeholder["body_html"] == ""
    assert "body" not in placeholder and "Order a quarter" not in str(placeholder)
    assert placeholder["replies"][0]["id"] == thread["reply"]
    assert placeholder["replies"][0]["deleted"] is False
    # The author no longer finds it either; moderators see both deleted answers, textless.
    helper_view = api.get(f"/api/v1/questions/{thread['question']}",
                          token=people["helper"]["token"]).get_json()
    assert "body" not in helper_view["answers"][0]
    mod_view = api.get(f"/api/v1/questions/{thread['question']}",
                       token=people["mod"]["token"]).get_json()
    assert {a["id"] for a in mod_view["answers"]} == {thread["answer"], lonely}
    assert all(a["deleted"] and a["body_html"] == "" for a in mod_view["answers"])


def test_author_is_null_for_deleted_accounts_and_content_stays(api, app, people, thread):
    with app.app_context():
        delete_account(db.session.get(User, people["asker"]["id"]), "correct horse battery")
    data = api.get(f"/api/v1/questions/{thread['question']}").get_json()
    assert data["author"] is None and data["title"] == QUESTION["title"]
    reply = data["answers"][0]["replies"][0]
    assert reply["author"] is None and "Lead times" in reply["body_html"]
    listed = api.get("/api/v1/questions").get_json()["items"]
    assert listed[0]["author"] is None
    assert api.get("/api/v1/me", token=people["asker"]["token"]).status_code == 401


def test_edit_question_and_post_keep_history(api, app, people, thread):
    qid, aid = thread["question"], thread["answer"]
    edited = api.call("PATCH", f"/api/v1/questions/{qid}",
                      json={"title": "How do we avoid implant stock-outs in the north?",
                            "tags": ["implants", "logistics"]}, token=people["asker"]["token"])
    assert edited.status_code == 200
    body = edited.get_json()
    assert body["tags"] == ["implants", "logistics"] and is_iso_utc(body["edited_at"])
    assert body["body"] == "Our rural clinics run out of implants every quarter."
    post = api.call("PATCH", f"/api/v1/posts/{aid}", json={"body": "Order two quarters ahead."},
                    token=people["mod"]["token"])
    assert post.status_code == 200 and "two quarters" in post.get_json()["body_html"]
    assert is_iso_utc(post.get_json()["edited_at"])
    with app.app_context():
        assert db.session.query(Revision).filter_by(post_id=aid).count() == 2
        assert db.session.query(Revision).filter_by(question_id=qid).count() == 2
        counts = dict(db.session.execute(db.select(Tag.name, Tag.question_count)).all())
        assert counts == {"implants": 1, "logistics": 1}


def test_delete_question_hides_it_except_from_moderators(api, app, people, thread):
    qid = thread["question"]
    assert api.delete(f"/api/v1/questions/{qid}", token=people["asker"]["token"]).status_code \
        == 204
    assert api.get(f"/api/v1/questions/{qid}").status_code == 404
    assert api.get("/api/v1/questions").get_json()["total"] == 0
    assert api.get("/api/v1/tags").get_json()["items"] == []
    as_mod = api.get(f"/api/v1/questions/{qid}", token=people["mod"]["token"])
    assert as_mod.status_code == 200 and as_mod.get_json()["deleted"] is True
    again = api.delete(f"/api/v1/questions/{qid}", token=people["asker"]["token"])
    assert again.status_code == 404


# -- lists ------------------------------------------------------------------------------


def test_question_list_filters_sorts_and_pages(api, app, people, make_group, make_question,
                                               make_post):
    make_group("east-africa", region="East Africa")
    asker, helper = people["asker"]["id"], people["helper"]["id"]
    open_q = make_question(asker, "west-africa", title="Open question about implants")
    answered = make_question(asker, "west-africa", title="Answered question on supply",
                             tags=["supply-chain"])
    french = make_question(helper, "east-africa", title="Comment planifier les commandes ?",
                           tags=["planification"], lang="fr")
    aid = make_post(helper, question_id=answered, body="Yes.")
    make_post(asker, question_id=open_q, body="An answer but not accepted.")
    api.put(f"/api/v1/questions/{answered}/accepted", {"answer_id": aid},
            token=people["asker"]["token"])
    api.put(f"/api/v1/questions/{french}/vote", {"value": 1}, token=people["peer"]["token"])

    def ids(query=""):
        response = api.get(f"/api/v1/questions{query}")
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [french, answered, open_q]  # newest first
    assert ids("?group=east-africa") == [french]
    assert ids("?tag=supply-chain") == [answered]
    assert ids("?status=answered") == [answered]
    assert ids("?status=open") == [french, open_q]
    assert ids("?status=unanswered") == [french]
    assert ids("?lang=fr") == [french]
    assert ids("?sort=votes")[0] == french
    assert ids("?sort=active")[0] == open_q  # answered last
    page = api.get("/api/v1/questions?per_page=2&page=2").get_json()
    assert page["total"] == 3 and page["page"] == 2 and page["per_page"] == 2
    assert [item["id"] for item in page["items"]] == [open_q]
    assert all("answers" not in item for item in page["items"])
    status = {item["id"]: item["status"] for item in api.get("/api/v1/questions").get_json()[
        "items"]}
    assert status[answered] == "answered" and status[open_q] == "open"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?status=solved", 422, "status"),
        ("?sort=random", 422, "sort"),
        ("?lang=de", 422, "lang"),
        ("?tag=Not%20A%20Tag", 422, "tag"),
        ("?per_page=101", 422, "per_page"),
        ("?page=0", 422, "page"),
        ("?page=x", 422, "page"),
        ("?group=nowhere", 404, None),
    ],
)
def test_question_list_refuses_bad_filters(api, people, query, status, field):
    response = api.get(f"/api/v1/questions{query}")
    assert response.status_code == status
    error = error_of(response)
    if field:
        assert field in error["fields"]


def test_question_list_loads_a_page_in_a_fixed_number_of_queries(api, app, people,
                                                                 make_question, make_user):
    def statements_for_page():
        seen = []
        with app.app_context():
            engine = db.engine

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = api.get("/api/v1/questions?per_page=50")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200
        return len(response.get_json()["items"]), len(seen)

    make_question(people["asker"]["id"], "west-africa", title="The very first question here")
    few = statements_for_page()
    for n in range(12):
        author = make_user(f"writer{n}")
        make_question(author, "west-africa", title=f"Question number {n} about logistics",
                      tags=[f"tag-{n}", "implants"])
    many = statements_for_page()
    assert few[0] == 1 and many[0] == 13
    assert many[1] == few[1], (few, many)


def test_tags_list_counts_and_descriptions(api, people, thread, make_question):
    make_question(people["peer"]["id"], "west-africa", title="Another implants question",
                  tags=["implants"])
    described = api.put("/api/v1/tags/implants", {"description": "Contraceptive implants."},
                        token=people["mod"]["token"])
    assert described.status_code == 200
    assert described.get_json() == {"name": "implants", "description":
                                    "Contraceptive implants.", "question_count": 2}
    tags = api.get("/api/v1/tags").get_json()
    assert tags["total"] == 1
    assert tags["items"] == [{"name": "implants", "description": "Contraceptive implants.",
                              "question_count": 2}]


@pytest.mark.parametrize(
    ("who", "name", "payload", "status"),
    [
        ("peer", "implants", {"description": "Vandalism."}, 403),
        ("mod", "nothing-like-it", {"description": "No such tag."}, 404),
        ("mod", "Bad Name", {"description": "No such tag."}, 404),
        ("mod", "implants", {"description": "x" * 501}, 422),
        ("mod", "implants", {"description": 5}, 422),
        ("mod", "implants", {}, 422),
        ("mod", "implants", {"description": "ok", "name": "other"}, 422),
    ],
)
def test_tag_description_refusals_change_nothing(api, app, people, thread, who, name, payload,
                                                 status):
    response = api.put(f"/api/v1/tags/{name}", payload, token=people[who]["token"])
    assert response.status_code == status
    error_of(response)
    with app.app_context():
        assert db.session.query(Tag).filter(Tag.description != "").count() == 0


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "short"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 42}, "title"),
        ({"title": None}, "title"),
        ({"body": ""}, "body"),
        ({"body": "   \n "}, "body"),
        ({"body": "x" * 50_001}, "body"),
        ({"body": ["a list"]}, "body"),
        ({"group": "nowhere"}, "group"),
        ({"group": 7}, "group"),
        ({"group": ""}, "group"),
        ({"tags": []}, "tags"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"tags": ["Bad Tag"]}, "tags"),
        ({"tags": ["under_score"]}, "tags"),
        ({"tags": ["x" * 31]}, "tags"),
        ({"tags": [1, 2]}, "tags"),
        ({"tags": {"implants": True}}, "tags"),
        ({"tags": "---"}, "tags"),
        ({"lang": "de"}, "lang"),
        ({"lang": 5}, "lang"),
        ({"score": 100}, "score"),
        ({"author": "admin"}, "author"),
    ],
)
def test_ask_refuses_bad_input_naming_the_field_and_writes_nothing(api, app, people, changes,
                                                                   field):
    payload = {**QUESTION, **changes}
    response = api.post("/api/v1/questions", payload, token=people["asker"]["token"])
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "invalid" and field in error["fields"]
    assert count(app, Question) == 0 and count(app, Tag) == 0 and count(app, Revision) == 0


@pytest.mark.parametrize("field", ["title", "body", "group", "tags", "lang"])
def test_nul_characters_are_422_not_500(api, app, people, field):
    # PostgreSQL text cannot hold NUL: refused by name before any query.
    value = ["implants", "x\x00y"] if field == "tags" else "How do we\x00 avoid this?"
    response = api.post("/api/v1/questions", {**QUESTION, field: value},
                        token=people["asker"]["token"])
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {field}
    assert count(app, Question) == 0


def test_nul_characters_in_answers_edits_filters_and_tags_are_refused(api, app, people,
                                                                      thread):
    before = snapshot(app)
    for method, path, payload, status in [
        ("POST", f"/api/v1/questions/{thread['question']}/answers", {"body": "a\x00b"}, 422),
        ("POST", f"/api/v1/posts/{thread['answer']}/replies", {"body": "a\x00b"}, 422),
        ("PATCH", f"/api/v1/posts/{thread['answer']}", {"body": "a\x00b"}, 422),
        ("PATCH", f"/api/v1/questions/{thread['question']}", {"tags": ["a\x00"]}, 422),
        ("PUT", "/api/v1/tags/implants", {"description": "a\x00b"}, 422),
        ("PUT", "/api/v1/tags/impl%00ants", {"description": "ab"}, 400),
        ("GET", "/api/v1/questions?group=west%00africa", None, 400),
        ("GET", "/api/v1/questions?tag=impl%00ants", None, 400),
    ]:
        who = {"PATCH": "helper" if "/posts/" in path else "asker", "PUT": "mod"}.get(
            method, "peer")
        response = api.call(method, path, json=payload, token=people[who]["token"])
        assert response.status_code == status, (path, response.get_json())
        error_of(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("missing", ["title", "body", "group", "tags"])
def test_ask_requires_each_field(api, app, people, missing):
    payload = {k: v for k, v in QUESTION.items() if k != missing}
    response = api.post("/api/v1/questions", payload, token=people["asker"]["token"])
    assert response.status_code == 422
    assert missing in error_of(response)["fields"]
    assert count(app, Question) == 0


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "not json", "content_type": "application/json"}, 400),
        ({"data": "[1]", "content_type": "application/json"}, 400),
        ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 400),
        ({"data": '{"title": "' + "x" * (1024 * 1024) + '"}',
          "content_type": "application/json"}, 413),
    ],
)
def test_malformed_bodies_are_json_errors(api, app, people, kwargs, status):
    response = api.call("POST", "/api/v1/questions", token=people["asker"]["token"], **kwargs)
    assert response.status_code == status
    error_of(response)
    assert count(app, Question) == 0


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("POST", "/api/v1/questions/{q}/answers", {"body": ""}, "body"),
        ("POST", "/api/v1/questions/{q}/answers", {"body": "x" * 50_001}, "body"),
        ("POST", "/api/v1/questions/{q}/answers", {"body": 5}, "body"),
        ("POST", "/api/v1/questions/{q}/answers", {"body": "ok", "lang": "xx"}, "lang"),
        ("POST", "/api/v1/questions/{q}/answers", {"body": "ok", "parent_id": 1}, "parent_id"),
        ("POST", "/api/v1/questions/{q}/answers", {}, "body"),
        ("POST", "/api/v1/posts/{a}/replies", {"body": "x" * 50_001}, "body"),
        ("POST", "/api/v1/posts/{a}/replies", {"body": None}, "body"),
        ("PATCH", "/api/v1/posts/{a}", {"body": "  "}, "body"),
        ("PATCH", "/api/v1/posts/{a}", {"body": "x" * 50_001}, "body"),
        ("PATCH", "/api/v1/posts/{a}", {}, "body"),
        ("PATCH", "/api/v1/questions/{q}", {"title": None}, "title"),
        ("PATCH", "/api/v1/questions/{q}", {"body": None}, "body"),
        ("PATCH", "/api/v1/questions/{q}", {"tags": None}, "tags"),
        ("PATCH", "/api/v1/questions/{q}", {"title": "tiny"}, "title"),
        ("PATCH", "/api/v1/questions/{q}", {"tags": ["a"] * 2 + ["b", "c", "d", "e", "f"]},
         "tags"),
        ("PATCH", "/api/v1/questions/{q}", {"group": "elsewhere"}, "group"),
        ("PUT", "/api/v1/questions/{q}/vote", {"value": 2}, "value"),
        ("PUT", "/api/v1/questions/{q}/vote", {"value": True}, "value"),
        ("PUT", "/api/v1/questions/{q}/vote", {"value": "1"}, "value"),
        ("PUT", "/api/v1/questions/{q}/vote", {}, "value"),
        ("PUT", "/api/v1/posts/{a}/vote", {"value": None}, "value"),
        ("PUT", "/api/v1/posts/{r}/vote", {"value": 1}, "post_id"),
        ("PUT", "/api/v1/questions/{q}/accepted", {"answer_id": "{a}x"}, "answer_id"),
        ("PUT", "/api/v1/questions/{q}/accepted", {"answer_id": True}, "answer_id"),
        ("PUT", "/api/v1/questions/{q}/accepted", {"answer_id": 2**70}, "answer_id"),
        ("PUT", "/api/v1/questions/{q}/accepted", {"answer_id": "{r}"}, "answer_id"),
        ("PUT", "/api/v1/questions/{q}/accepted", {}, "answer_id"),
    ],
)
def test_writes_refuse_bad_fields_and_change_nothing(api, app, people, thread, method, path,
                                                     payload, field):
    ids = {"q": thread["question"], "a": thread["answer"], "r": thread["reply"]}
    payload = {k: (v.format(**ids) if isinstance(v, str) and "{" in v else v)
               for k, v in payload.items()}
    if payload.get("answer_id") == str(thread["reply"]):
        payload["answer_id"] = thread["reply"]  # a reply is not an answer
    before = snapshot(app)
    # Someone allowed to do each write, so that only the field is wrong.
    who = "peer"
    if method == "PATCH":
        who = "helper" if "/posts/" in path else "asker"
    elif path.endswith("/accepted"):
        who = "asker"
    response = api.call(method, path.format(**ids), json=payload, token=people[who]["token"])
    assert response.status_code == 422, response.get_json()
    assert field in error_of(response)["fields"]
    assert snapshot(app) == before


def snapshot(app):
    """Everything an API write could change."""
    with app.app_context():
        return {
            "questions": sorted(db.session.execute(db.select(
                Question.id, Question.title, Question.body_source, Question.score,
                Question.answer_count, Question.accepted_answer_id, Question.deleted_at,
                Question.edited_at)).all()),
            "posts": sorted(db.session.execute(db.select(
                Post.id, Post.body_source, Post.score, Post.deleted_at, Post.edited_at)).all()),
            "votes": sorted(db.session.execute(db.select(QuestionVote.user_id,
                                                         QuestionVote.value)).all())
            + sorted(db.session.execute(db.select(PostVote.user_id, PostVote.value)).all()),
            "tags": sorted(db.session.execute(db.select(Tag.name, Tag.question_count,
                                                        Tag.description)).all()),
            "reputation": sorted(db.session.execute(db.select(User.id, User.reputation)).all()),
            "revisions": db.session.query(Revision).count(),
        }


# -- votes ------------------------------------------------------------------------------


def test_votes_count_once_never_on_your_own_and_not_on_replies(api, app, people, thread):
    qid, aid, rid = thread["question"], thread["answer"], thread["reply"]
    peer, mod = people["peer"]["token"], people["mod"]["token"]
    assert api.put(f"/api/v1/posts/{aid}/vote", {"value": 1}, token=peer).get_json() == {
        "score": 1, "my_vote": 1}
    twice = api.put(f"/api/v1/posts/{aid}/vote", {"value": 1}, token=peer)
    assert twice.status_code == 409 and error_of(twice)["code"] == "conflict"
    assert api.put(f"/api/v1/posts/{aid}/vote", {"value": -1}, token=mod).get_json() == {
        "score": 0, "my_vote": -1}
    assert api.put(f"/api/v1/posts/{aid}/vote", {"value": 1}, token=mod).get_json() == {
        "score": 2, "my_vote": 1}
    assert api.put(f"/api/v1/posts/{aid}/vote", {"value": 0}, token=mod).get_json() == {
        "score": 1, "my_vote": 0}
    own = api.put(f"/api/v1/posts/{aid}/vote", {"value": 1}, token=people["helper"]["token"])
    assert own.status_code == 403 and error_of(own)["code"] == "forbidden"
    own_q = api.put(f"/api/v1/questions/{qid}/vote", {"value": 1},
                    token=people["asker"]["token"])
    assert own_q.status_code == 403
    reply = api.put(f"/api/v1/posts/{rid}/vote", {"value": 1}, token=peer)
    assert reply.status_code == 422 and "post_id" in error_of(reply)["fields"]
    assert api.put(f"/api/v1/questions/{qid}/vote", {"value": -1}, token=peer).get_json() == {
        "score": -1, "my_vote": -1}
    view = api.get(f"/api/v1/questions/{qid}", token=peer).get_json()
    assert view["my_vote"] == -1 and view["score"] == -1
    assert view["answers"][0]["my_vote"] == 1 and view["answers"][0]["score"] == 1
    with app.app_context():
        assert db.session.get(User, people["helper"]["id"]).reputation == 10
        assert db.session.get(User, people["asker"]["id"]).reputation == -2
        assert recompute_all() == 0


def test_votes_on_missing_or_deleted_posts_are_404(api, people, thread):
    api.delete(f"/api/v1/posts/{thread['answer']}", token=people["helper"]["token"])
    for path in [f"/api/v1/posts/{thread['answer']}/vote", "/api/v1/posts/999999/vote",
                 "/api/v1/questions/999999/vote", f"/api/v1/posts/{2**40}/vote"]:
        response = api.put(path, {"value": 1}, token=people["peer"]["token"])
        assert response.status_code == 404, path
        error_of(response)


# -- accepted answers -------------------------------------------------------------------


def test_accept_replace_and_withdraw(api, app, people, thread, make_post, make_question):
    qid, aid = thread["question"], thread["answer"]
    other = make_post(people["peer"]["id"], question_id=qid, body="Use a buffer stock.")
    elsewhere_q = make_question(people["peer"]["id"], "west-africa",
                                title="A different question entirely")
    foreign = make_post(people["helper"]["id"], question_id=elsewhere_q, body="Elsewhere.")
    asker = people["asker"]["token"]
    accepted = api.put(f"/api/v1/questions/{qid}/accepted", {"answer_id": aid}, token=asker)
    assert accepted.status_code == 200
    assert accepted.get_json()["accepted_answer_id"] == aid
    assert accepted.get_json()["status"] == "answered"
    wrong = api.put(f"/api/v1/questions/{qid}/accepted", {"answer_id": foreign}, token=asker)
    assert wrong.status_code == 422 and "answer_id" in error_of(wrong)["fields"]
    replaced = api.put(f"/api/v1/questions/{qid}/accepted", {"answer_id": other}, token=asker)
    assert replaced.get_json()["accepted_answer_id"] == other
    view = api.get(f"/api/v1/questions/{qid}").get_json()
    assert view["answers"][0]["id"] == other and view["answers"][0]["accepted"] is True
    assert view["answers"][1]["accepted"] is False
    not_asker = api.put(f"/api/v1/questions/{qid}/accepted", {"answer_id": aid},
                        token=people["helper"]["token"])
    assert not_asker.status_code == 403
    withdrawn = api.delete(f"/api/v1/questions/{qid}/accepted", token=asker)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["accepted_answer_id"] is None
    assert withdrawn.get_json()["status"] == "open"
    with app.app_context():
        assert db.session.get(User, people["peer"]["id"]).reputation == 0
        assert recompute_all() == 0


# -- posting rules ----------------------------------------------------------------------


def test_editing_someone_elses_post_is_403_and_changes_nothing(api, app, people, thread):
    before = snapshot(app)
    for method, path, payload in [
        ("PATCH", f"/api/v1/posts/{thread['answer']}", {"body": "Vandalism."}),
        ("PATCH", f"/api/v1/questions/{thread['question']}", {"title": "A vandalised title"}),
        ("DELETE", f"/api/v1/posts/{thread['answer']}", None),
        ("DELETE", f"/api/v1/questions/{thread['question']}", None),
    ]:
        response = api.call(method, path, json=payload, token=people["peer"]["token"])
        assert response.status_code == 403, path
        assert error_of(response)["code"] == "forbidden"
    assert snapshot(app) == before


def test_replying_to_a_deleted_or_missing_post_is_404(api, app, people, thread):
    api.delete(f"/api/v1/posts/{thread['reply']}", token=people["asker"]["token"])
    before = snapshot(app)
    for target in [thread["reply"], 999999, 2**40]:
        response = api.post(f"/api/v1/posts/{target}/replies", {"body": "Hello?"},
                            token=people["peer"]["token"])
        assert response.status_code == 404, target
        assert error_of(response)["code"] == "not_found"
    for path in ["/api/v1/questions/999999/answers", "/api/v1/questions/abc/answers"]:
        assert api.post(path, {"body": "Hello?"},
                        token=people["peer"]["token"]).status_code == 404
    assert snapshot(app) == before


def test_same_text_twice_within_five_minutes_is_409(api, app, people, thread):
    token = people["peer"]["token"]
    path = f"/api/v1/questions/{thread['question']}/answers"
    assert api.post(path, {"body": "Keep a buffer stock."}, token=token).status_code == 201
    again = api.post(f"/api/v1/posts/{thread['answer']}/replies",
                     {"body": "  Keep a buffer stock.  "}, token=token)
    assert again.status_code == 409
    assert error_of(again)["code"] == "conflict"
    assert count(app, Post, Post.author_id == people["peer"]["id"]) == 1


def test_posting_too_fast_is_429_with_retry_after(api, app, people, thread):
    app.config["RATE_LIMITS"] = True
    token = people["peer"]["token"]
    first = api.post(f"/api/v1/questions/{thread['question']}/answers",
                     {"body": "First answer."}, token=token)
    assert first.status_code == 201
    before = snapshot(app)
    for method, path, payload in [
        ("POST", f"/api/v1/questions/{thread['question']}/answers", {"body": "Second."}),
        ("POST", f"/api/v1/posts/{thread['answer']}/replies", {"body": "A reply."}),
        ("POST", "/api/v1/questions", {**QUESTION, "title": "A third thing posted quickly"}),
    ]:
        response = api.call(method, path, json=payload, token=token)
        assert response.status_code == 429, response.get_json()
        assert error_of(response)["code"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 5
    assert snapshot(app) == before
    # Someone else is not slowed down by the peer.
    other = api.post(f"/api/v1/questions/{thread['question']}/answers",
                     {"body": "Another person."}, token=people["mod"]["token"])
    assert other.status_code == 201


# -- auth and routing -------------------------------------------------------------------


def test_writes_need_a_token_and_reads_refuse_a_bad_one(api, people, thread):
    response = api.post("/api/v1/questions", QUESTION)
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    for path in ["/api/v1/questions", f"/api/v1/questions/{thread['question']}",
                 "/api/v1/tags", "/api/v1/groups", "/api/v1/groups/west-africa"]:
        bad = api.get(path, token="not-a-real-token")
        assert bad.status_code == 401, path
        assert api.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/api/v1/questions/0", "/api/v1/questions/-1",
                                  "/api/v1/questions/abc", f"/api/v1/questions/{2**31}",
                                  f"/api/v1/questions/{2**70}", "/api/v1/questions/999999"])
def test_unknown_question_ids_are_404_json(api, people, path):
    response = api.get(path, token=people["peer"]["token"])
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_405_json(api):
    response = api.call("POST", "/api/v1/tags")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
