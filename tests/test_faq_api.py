"""The FAQ's JSON API: the authorization matrix over every write path, bad input (422,
nothing changed), the entry object, withdrawn entries (410 with the note), revisions, the
review queue, and a private group's entries never reaching non-members (list, entry,
search).

Budget: about 30 s on SQLite.
"""

from datetime import date

import pytest
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import FaqEntry, FaqRevision, Post, Question, User
from forum.services import faq, qa
from forum.services.accounts import issue_api_token
from forum.services.uow import unit_of_work
from tests.test_faq_services import CANARY, build_world

ROLES = {  # who: expected outcome of a write on a west-africa entry
    "anonymous": 401, "member": 403, "expert": 403, "othermod": 403,
    "groupmod": "ok", "sitemod": "ok", "admin": "ok",
}
ALLOWED = [name for name, outcome in ROLES.items() if outcome == "ok"]


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    ids = build_world(app, make_user, make_group, join, make_question, make_post)
    # Spare answers, so that every curator acts on an entry (or an answer) of its own.
    ids["spare"] = [make_post(ids["helper"], question_id=ids["question"],
                              body=f"Spare answer number {n}.") for n in range(9)]
    with app.app_context():
        ids["tokens"] = {name: issue_api_token(db.session.get(User, ids[name]))[0]
                         for name in ROLES if name != "anonymous"}
    return ids


def call(api, ids, who, method, path, body=None):
    token = ids["tokens"].get(who) if who != "anonymous" else None
    kwargs = {"json": body} if body is not None else {}
    return api.client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}
                           if token else {}, **kwargs)


def state(app) -> tuple:
    """Everything an FAQ write could change."""
    with app.app_context():
        entries = db.session.execute(select(
            FaqEntry.id, FaqEntry.title, FaqEntry.status, FaqEntry.note, FaqEntry.review_by,
            FaqEntry.reviewed_at, FaqEntry.answer_source, FaqEntry.source_answer_seen,
            FaqEntry.translation_id, FaqEntry.replaced_by_id, FaqEntry.lang)
            .order_by(FaqEntry.id)).all()
        revisions = db.session.scalar(select(func.count()).select_from(FaqRevision))
        in_faq = db.session.scalars(select(Question.id).where(Question.in_faq.is_(True))).all()
        return entries, revisions, in_faq


def _entry(ids, answer_index, *, lang="en", title=None) -> int:
    admin = db.session.get(User, ids["admin"])
    return faq.promote(admin, ids["question"], answer_id=ids["spare"][answer_index],
                       lang=lang, title=title or f"Entry from spare answer {answer_index}").id


# Each write path: how to prepare one target per role, the request, the success status.
# prepare(ids) -> {role: (path id or question id, extra)}; request(target) -> (method,
# path, body).


def _targets(app, ids, path_name) -> dict:
    """A target of its own for each curator; the refused roles act on the first one."""
    with app.app_context():
        targets = {}
        for n, role in enumerate(ALLOWED):
            if path_name == "promote":
                targets[role] = (ids["spare"][n], None)
                continue
            entry = _entry(ids, n)
            other = None
            if path_name in ("link_translation", "unlink_translation"):
                other = _entry(ids, n + 3, lang="fr", title=f"Entrée numéro {n}")
                if path_name == "unlink_translation":
                    faq.link_translation(db.session.get(User, ids["admin"]), entry, other)
            if path_name == "restore":
                faq.mark_obsolete(db.session.get(User, ids["admin"]), entry, "Out of date")
            if path_name in ("source_take", "source_keep"):
                qa.edit_post(db.session.get(User, ids["helper"]), ids["spare"][n],
                             f"Spare answer number {n}, edited.")
            targets[role] = (entry, other)
        return targets


WRITES = {
    "promote": (lambda t: ("POST", "/api/v1/faq", {"question_id": QUESTION[0],
                                                   "answer_id": t[0]}), 201),
    "edit": (lambda t: ("PATCH", f"/api/v1/faq/{t[0]}", {"title": "A better title here"}),
             200),
    "withdraw": (lambda t: ("DELETE", f"/api/v1/faq/{t[0]}", {"note": "By mistake"}), 204),
    "verify": (lambda t: ("POST", f"/api/v1/faq/{t[0]}/verify", {"review_by": "2099-05-01"}),
               200),
    "obsolete": (lambda t: ("POST", f"/api/v1/faq/{t[0]}/obsolete", {"note": "Outdated"}),
                 200),
    "restore": (lambda t: ("POST", f"/api/v1/faq/{t[0]}/restore", None), 200),
    "source_take": (lambda t: ("POST", f"/api/v1/faq/{t[0]}/source", {"action": "take"}),
                    200),
    "source_keep": (lambda t: ("POST", f"/api/v1/faq/{t[0]}/source", {"action": "keep"}),
                    200),
    "link_translation": (lambda t: ("PUT", f"/api/v1/faq/{t[0]}/translation",
                                    {"entry_id": t[1]}), 200),
    "unlink_translation": (lambda t: ("DELETE", f"/api/v1/faq/{t[0]}/translation", None),
                           200),
}
QUESTION = [0]  # the world's question id, set by the test (the lambdas read it)


@pytest.mark.parametrize("path_name", list(WRITES))
def test_every_write_path_is_for_the_group_curators_only(app, api, world, path_name):
    ids = world
    QUESTION[0] = ids["question"]
    targets = _targets(app, ids, path_name)
    request_for, success = WRITES[path_name]
    first = targets[ALLOWED[0]]
    before = state(app)
    for role, outcome in ROLES.items():
        if outcome == "ok":
            continue
        method, path, body = request_for(first)
        response = call(api, ids, role, method, path, body)
        assert response.status_code == outcome, (role, response.get_json())
        assert state(app) == before, role  # nothing written, not even a revision
    for role in ALLOWED:
        method, path, body = request_for(targets[role])
        response = call(api, ids, role, method, path, body)
        assert response.status_code == success, (role, response.get_json())
        assert state(app) != before, role
        before = state(app)


def test_review_queue_is_for_curators(app, api, world):
    ids = world
    with app.app_context():
        entry = _entry(ids, 0)
        with unit_of_work():
            db.session.execute(update(FaqEntry).where(FaqEntry.id == entry).values(
                review_by=date(2000, 1, 1)))
    for role, outcome in ROLES.items():
        response = call(api, ids, role, "GET", "/api/v1/faq/review")
        if role == "othermod":  # moderates another group: an empty queue
            assert response.status_code == 200 and response.get_json()["items"] == []
        elif outcome == "ok":
            items = response.get_json()["items"]
            assert [(i["entry"]["id"], i["due"], i["entry"]["status"]) for i in items] == [
                (entry, True, "due")], role
        else:
            assert response.status_code == outcome, role


def test_bad_input_is_422_and_changes_nothing(app, api, world):
    ids = world
    with app.app_context():
        entry = _entry(ids, 0)
        same_lang = _entry(ids, 1)
    before = state(app)
    bad = [
        ("POST", "/api/v1/faq", {}),
        ("POST", "/api/v1/faq", {"question_id": "one"}),
        ("POST", "/api/v1/faq", {"question_id": ids["question"], "answer_id": True}),
        ("POST", "/api/v1/faq", {"question_id": ids["question"], "answer_id": ids["reply"]}),
        ("POST", "/api/v1/faq", {"question_id": ids["question"], "answer_id": ids["spare"][5],
                                 "review_by": "2000-01-01"}),
        ("POST", "/api/v1/faq", {"question_id": ids["question"], "answer_id": ids["spare"][5],
                                 "tags": ["No Spaces"]}),
        ("POST", "/api/v1/faq", {"question_id": ids["question"], "answer_id": ids["spare"][5],
                                 "credited": ["ghost-user"]}),
        ("POST", "/api/v1/faq", {"question_id": ids["question"], "surprise": 1}),
        ("PATCH", f"/api/v1/faq/{entry}", {"title": None}),
        ("PATCH", f"/api/v1/faq/{entry}", {"title": "short"}),
        ("PATCH", f"/api/v1/faq/{entry}", {"tags": []}),
        ("PATCH", f"/api/v1/faq/{entry}", {"lang": "de"}),
        ("PATCH", f"/api/v1/faq/{entry}", {"answer": " "}),
        ("PATCH", f"/api/v1/faq/{entry}", {"summary": "s" * 2001}),
        ("DELETE", f"/api/v1/faq/{entry}", None),
        ("DELETE", f"/api/v1/faq/{entry}", {"note": "  "}),
        ("POST", f"/api/v1/faq/{entry}/verify", {"review_by": "yesterday"}),
        ("POST", f"/api/v1/faq/{entry}/obsolete", {}),
        ("POST", f"/api/v1/faq/{entry}/obsolete", {"note": "Old", "replaced_by": entry}),
        ("POST", f"/api/v1/faq/{entry}/obsolete", {"note": "Old", "replaced_by": "2"}),
        ("POST", f"/api/v1/faq/{entry}/source", {"action": "maybe"}),
        ("PUT", f"/api/v1/faq/{entry}/translation", {"entry_id": "x"}),
        ("PUT", f"/api/v1/faq/{entry}/translation", {"entry_id": same_lang}),
    ]
    for method, path, body in bad:
        response = call(api, ids, "groupmod", method, path, body)
        assert response.status_code == 422, (method, path, body, response.get_json())
        assert response.get_json()["error"]["code"] == "invalid"
        assert state(app) == before, (method, path, body)
    # The same answer twice: 409, nothing written.
    response = call(api, ids, "groupmod", "POST", "/api/v1/faq",
                    {"question_id": ids["question"], "answer_id": ids["spare"][0]})
    assert response.status_code == 409 and str(entry) in response.get_json()["error"]["message"]
    assert state(app) == before
    for missing in ("/api/v1/faq/999999", "/api/v1/faq/999999/verify"):
        method = "GET" if missing.endswith("999999") else "POST"
        assert call(api, ids, "groupmod", method, missing, {}).status_code == 404


def test_entry_object_promotion_and_withdrawal(app, api, world):
    ids = world
    response = call(api, ids, "groupmod", "POST", "/api/v1/faq", {
        "question_id": ids["question"], "summary": "Plan *ahead*.", "tags": ["implants"],
        "lang": "en", "review_by": "2099-12-31", "credited": ["helper"]})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert response.headers["Location"] == f"/api/v1/faq/{data['id']}"
    for key in ("id", "title", "question_html", "answer_html", "summary_html", "source",
                "contributors", "promoted_by", "promoted_at", "reviewed_at", "review_by",
                "group", "tags", "lang", "status", "replaced_by", "note"):
        assert key in data, key
    assert data["source"] == {"question_id": ids["question"], "answer_id": ids["answer"],
                              "url": f"/questions/{ids['question']}#post-{ids['answer']}"}
    assert [(c["username"], c["role"]) for c in data["contributors"]] == [
        ("asker", "asker"), ("answerer", "answerer"), ("replier", "credited"),
        ("helper", "credited")]
    assert data["promoted_by"]["username"] == "groupmod"
    assert data["group"] == "west-africa" and data["tags"] == ["implants"]
    assert data["status"] == "current" and data["review_by"] == "2099-12-31"
    assert data["replaced_by"] is None and data["note"] == ""
    assert "<em>ahead</em>" in data["summary_html"]
    assert data["source_changed"] is False  # curators only
    entry = data["id"]

    public = api.get(f"/api/v1/faq/{entry}").get_json()
    assert "source_changed" not in public and public["title"] == data["title"]
    listed = api.get("/api/v1/faq?tag=implants&group=west-africa&lang=en").get_json()
    assert [e["id"] for e in listed["items"]] == [entry] and listed["total"] == 1
    assert api.get("/api/v1/faq?lang=fr").get_json()["items"] == []
    assert [e["id"] for e in api.get("/api/v1/faq?q=BUFFER").get_json()["items"]] == [entry]
    assert api.get("/api/v1/faq?lang=de").status_code == 422
    question = api.get(f"/api/v1/questions/{ids['question']}").get_json()
    assert question["in_faq"] is True

    response = call(api, ids, "groupmod", "PATCH", f"/api/v1/faq/{entry}",
                    {"title": "Avoiding implant stock-outs", "tags": "implants supply"})
    assert response.status_code == 200 and response.get_json()["tags"] == ["implants", "supply"]
    assert call(api, ids, "groupmod", "DELETE", f"/api/v1/faq/{entry}",
                {"note": "Promoted by mistake."}).status_code == 204
    for who in ("anonymous", "member", "othermod"):
        gone = call(api, ids, who, "GET", f"/api/v1/faq/{entry}")
        assert gone.status_code == 410, who
        assert gone.get_json()["error"] == {"code": "gone", "message": "Promoted by mistake."}
        assert call(api, ids, who, "GET", f"/api/v1/faq/{entry}/revisions").status_code == 410
    seen = call(api, ids, "sitemod", "GET", f"/api/v1/faq/{entry}").get_json()
    assert seen["status"] == "withdrawn" and seen["note"] == "Promoted by mistake."
    revisions = call(api, ids, "groupmod", "GET", f"/api/v1/faq/{entry}/revisions").get_json()
    assert [r["action"] for r in revisions["items"]] == ["withdrawn", "edited", "promoted"]
    assert revisions["items"][1]["snapshot"]["title"] == "Avoiding implant stock-outs"
    assert api.get("/api/v1/faq").get_json()["items"] == []
    assert api.get(f"/api/v1/questions/{ids['question']}").get_json()["in_faq"] is False


def test_obsolete_translation_and_source_through_the_api(app, api, world):
    ids = world
    with app.app_context():
        old, new = _entry(ids, 0), _entry(ids, 1)
        french = _entry(ids, 2, lang="fr", title="Une entrée en français")
    response = call(api, ids, "sitemod", "POST", f"/api/v1/faq/{old}/obsolete",
                    {"note": "Replaced.", "replaced_by": new})
    assert response.status_code == 200
    data = response.get_json()
    assert (data["status"], data["replaced_by"], data["note"]) == ("obsolete", new, "Replaced.")
    assert [e["id"] for e in api.get("/api/v1/faq").get_json()["items"]] == [french, new]
    assert api.get(f"/api/v1/faq/{old}").get_json()["status"] == "obsolete"
    response = call(api, ids, "sitemod", "PUT", f"/api/v1/faq/{new}/translation",
                    {"entry_id": french})
    assert response.status_code == 200 and response.get_json()["translation"] == french
    assert api.get(f"/api/v1/faq/{french}").get_json()["translation"] == new
    with app.app_context():
        qa.edit_post(db.session.get(User, ids["helper"]), ids["spare"][1], "Changed text here.")
    curator_view = call(api, ids, "groupmod", "GET", f"/api/v1/faq/{new}").get_json()
    assert curator_view["source_changed"] is True
    response = call(api, ids, "groupmod", "POST", f"/api/v1/faq/{new}/source",
                    {"action": "take"})
    assert "Changed text here." in response.get_json()["answer_html"]
    assert response.get_json()["source_changed"] is False
    with app.app_context():
        db_answer = db.session.get(Post, ids["spare"][1])
        assert db_answer.body_source == "Changed text here."


def test_private_group_canary_never_reaches_non_members(app, api, world, join, make_question,
                                                        make_post):
    ids = world
    join(ids["groupmod"], "secret-circle", private=True)
    question = make_question(ids["groupmod"], "secret-circle", title=f"The {CANARY} question",
                             body=f"Secret {CANARY} body.", tags=("implants",))
    answer = make_post(ids["groupmod"], question_id=question, body=f"Secret {CANARY} answer.")
    response = call(api, ids, "admin", "POST", "/api/v1/faq",
                    {"question_id": question, "answer_id": answer,
                     "summary": f"{CANARY} summary"})
    assert response.status_code == 201
    entry = response.get_json()["id"]
    for who in ("anonymous", "member", "expert", "sitemod", "othermod"):
        for path in ("/api/v1/faq", "/api/v1/faq?group=secret-circle", f"/api/v1/faq?q={CANARY}",
                     f"/api/v1/search?q={CANARY}", f"/api/v1/search?q={CANARY}&type=faq"):
            response = call(api, ids, who, "GET", path)
            assert CANARY not in response.get_data(as_text=True), (who, path)
        assert call(api, ids, who, "GET", f"/api/v1/faq/{entry}").status_code == 404, who
        assert call(api, ids, who, "GET",
                    f"/api/v1/faq/{entry}/revisions").status_code == 404, who
        refused = call(api, ids, who, "POST", f"/api/v1/faq/{entry}/verify", {})
        assert refused.status_code in (401, 404), who
        assert CANARY not in refused.get_data(as_text=True)
    found = call(api, ids, "admin", "GET", f"/api/v1/search?q={CANARY}&type=faq").get_json()
    assert any(hit["type"] == "faq" and hit["id"] == entry for hit in found["items"]), found
    assert CANARY in call(api, ids, "admin", "GET", f"/api/v1/faq?q={CANARY}").get_data(
        as_text=True)
