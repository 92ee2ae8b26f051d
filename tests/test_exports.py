"""Exports: the public export (administrators) is one valid JSON document, streamed and read
in batches, holding public groups, questions, answers, FAQ entries and their authors'
public profiles, and never a private group's canary, an email, a password hash, nor hidden
or deleted content; the personal export holds a person's own data (their private-group
answer, email, follows, votes) and nothing private of anyone else; the permission matrix of
pages and API; downloads are attachments that no cache keeps.

Budget: about 15 s on SQLite.
"""

import json

import pytest

from forum.errors import PermissionDenied
from forum.extensions import db
from forum.models import Group, Question, User, utcnow
from forum.services import chat, exports, faq, follows, moderation, qa, votes
from forum.services.accounts import issue_api_token
from forum.services.groups import set_group_moderator
from forum.services.uow import unit_of_work
from tests.helpers import PageClient

CANARY = "zebracanary"
HIDDEN_WORD = "hiddenquokka"
DELETED_WORD = "deletedwombat"
PASSWORD = "correct horse battery"


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    """An admin, a site moderator, a group moderator, members; a public group with a
    question, answers, a reply, a hidden and a deleted answer, a hidden question and an FAQ
    entry; a private group whose question and answer carry the canary."""
    ids = {name: make_user(name, role=role, email=f"{name}-mail@example.net")
           for name, role in (("admin", "admin"), ("sitemod", "moderator"),
                              ("groupmod", "member"), ("alice", "member"),
                              ("bob", "member"), ("insider", "member"))}
    make_group("west-africa")
    make_group("secret", private=True, description=f"About {CANARY} things.")
    for name in ("groupmod", "alice", "bob"):
        join(ids[name], "west-africa")
    join(ids["alice"], "secret", private=True)
    join(ids["insider"], "secret", private=True)
    with app.app_context():
        set_group_moderator(db.session.get(User, ids["admin"]), "west-africa", "groupmod")
    ids["question"] = make_question(ids["bob"], "west-africa", title="Stock-outs in Kano",
                                    tags=("implants",))
    ids["answer"] = make_post(ids["alice"], question_id=ids["question"], body="Order early.")
    ids["reply"] = make_post(ids["bob"], parent_id=ids["answer"], body="Agreed, earlier.")
    ids["hidden_answer"] = make_post(ids["bob"], question_id=ids["question"],
                                     body=f"A {HIDDEN_WORD} answer.")
    ids["deleted_answer"] = make_post(ids["bob"], question_id=ids["question"],
                                      body=f"A {DELETED_WORD} answer.")
    ids["hidden_question"] = make_question(ids["bob"], "west-africa",
                                           title=f"The {HIDDEN_WORD} question")
    ids["secret_question"] = make_question(ids["insider"], "secret",
                                           title=f"The {CANARY} question",
                                           tags=(f"{CANARY}tag",))
    ids["secret_answer"] = make_post(ids["alice"], question_id=ids["secret_question"],
                                     body=f"My own {CANARY} answer.")
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        bob = db.session.get(User, ids["bob"])
        alice = db.session.get(User, ids["alice"])
        insider = db.session.get(User, ids["insider"])
        qa.accept_answer(bob, ids["question"], ids["answer"])
        moderation.hide(admin, "post", ids["hidden_answer"], "Off topic")
        moderation.hide(admin, "question", ids["hidden_question"], "Off topic")
        qa.delete_post(bob, ids["deleted_answer"])
        ids["faq"] = faq.promote(admin, ids["question"], answer_id=ids["answer"],
                                 title="Avoiding stock-outs").id
        ids["secret_faq"] = faq.promote(admin, ids["secret_question"],
                                        answer_id=ids["secret_answer"],
                                        title=f"The {CANARY} entry").id
        follows.follow(alice, "group", "west-africa")
        follows.follow(alice, "question", str(ids["question"]))
        votes.vote_question(alice, ids["question"], 1)
        votes.vote_post(insider, ids["secret_answer"], 1)
        votes.vote_post(bob, ids["answer"], 1)
        direct, _created = chat.open_direct(alice, "bob")
        ids["direct_room"] = direct.id
        chat.send_message(alice, direct.id, "Hello Bob, alice here.", "a1", system=True)
        chat.send_message(bob, direct.id, "Bob's private walrusword reply.", "b1", system=True)
        ids["tokens"] = {name: issue_api_token(db.session.get(User, ids[name]))[0]
                         for name in ("admin", "sitemod", "groupmod", "alice")}
    return ids


def _public(app, **kwargs) -> tuple[str, dict]:
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.role == "admin"))
        text = "".join(exports.public_export(admin, **kwargs))
    return text, json.loads(text)


def _login(app, name) -> PageClient:
    client = PageClient(app.test_client())
    client.login(name, PASSWORD)
    return client


def test_public_export_holds_public_content_and_nothing_private(app, world):
    text, data = _public(app)
    assert data["format"] == "tacit-export" and data["version"] == 1
    assert [g["slug"] for g in data["groups"]] == ["west-africa"]
    assert "implants" in [t["name"] for t in data["tags"]]
    questions = {q["id"]: q for q in data["questions"]}
    assert set(questions) == {world["question"]}
    question = questions[world["question"]]
    assert question["group"] == "west-africa" and question["author"] == "bob"
    assert question["tags"] == ["implants"]
    answers = {a["id"]: a for a in question["answers"]}
    assert set(answers) == {world["answer"], world["reply"]}
    assert answers[world["reply"]]["parent_id"] == world["answer"]
    assert answers[world["answer"]]["author"] == "alice"
    assert [e["title"] for e in data["faq"]] == ["Avoiding stock-outs"]
    entry = data["faq"][0]
    assert entry["source_answer_id"] == world["answer"] and entry["status"] == "current"
    assert {c["username"] for c in entry["contributors"]} >= {"alice"}
    users = {u["username"]: u for u in data["users"]}
    assert {"alice", "bob"} <= set(users)
    assert "insider" not in users  # wrote only in the private group
    assert set(users["alice"]) == {"username", "display_name", "title", "organization",
                                   "region", "country", "languages", "expertise",
                                   "verified_expert", "created_at"}
    # Never private content, hidden or deleted writing, emails or password hashes.
    for word in (CANARY, HIDDEN_WORD, DELETED_WORD, "scrypt", "@example.net", "mail@",
                 "walrusword", "alice here"):
        assert word not in text, word


def test_public_export_reads_in_batches(app, world, monkeypatch):
    with app.app_context(), unit_of_work():
        group_id = db.session.scalar(db.select(Group.id).where(Group.slug == "west-africa"))
        now = utcnow()
        db.session.add_all(Question(group_id=group_id, author_id=world["bob"],
                                    title=f"Bulk {n}", body_source=f"Body {n}",
                                    body_html=f"<p>Body {n}</p>", body_text=f"Body {n}",
                                    markup_version=1, lang="en", created_at=now,
                                    updated_at=now, last_activity_at=now)
                           for n in range(1200))
    limits = []
    original = db.session.execute

    def spy(statement, *args, **kwargs):
        limit = getattr(statement, "_limit", None)
        if limit is not None:
            limits.append(limit)
        return original(statement, *args, **kwargs)

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", spy, raising=False)
        admin = db.session.get(User, world["admin"])
        text = "".join(exports.public_export(admin, batch_size=500))
    data = json.loads(text)
    titles = [q["title"] for q in data["questions"]]
    assert len(titles) == 1201 and len(set(titles)) == 1201
    ids = [q["id"] for q in data["questions"]]
    assert ids == sorted(ids)
    assert data["questions"][0]["accepted_answer_id"] == world["answer"]
    assert limits and max(limits) == 500  # never one unbounded read of the questions
    assert limits.count(500) >= 3  # 1,201 public questions: three batches of questions


def test_public_export_is_for_admins_only(app, world):
    with app.app_context():
        for name in ("sitemod", "groupmod", "alice"):
            with pytest.raises(PermissionDenied):
                exports.public_export(db.session.get(User, world[name]))


def test_admin_export_page_permissions_and_stream(app, world, anon_client):
    response = anon_client.client.get("/admin/export")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for name in ("alice", "groupmod", "sitemod"):
        assert _login(app, name).client.get("/admin/export").status_code == 403, name
    admin = _login(app, "admin")
    response = admin.client.get("/admin/export")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="tacit-export-')
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.get_data(as_text=True))
    assert world["question"] in [q["id"] for q in data["questions"]]
    # The moderation queue links the export for admins only.
    assert b"/admin/export" in admin.client.get("/moderation/flags").data
    assert b"/admin/export" not in _login(app, "sitemod").client.get("/moderation/flags").data


def test_api_admin_export_permissions(app, world, api):
    assert api.get("/api/v1/admin/export").status_code == 401
    for name in ("alice", "groupmod", "sitemod"):
        response = api.get("/api/v1/admin/export", token=world["tokens"][name])
        assert response.status_code == 403, name
    response = api.get("/api/v1/admin/export", token=world["tokens"]["admin"])
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.get_data(as_text=True)
    assert CANARY not in text and json.loads(text)["format"] == "tacit-export"


def test_personal_export_page(app, world, anon_client):
    response = anon_client.client.get("/account/export")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    alice = _login(app, "alice")
    assert b"/account/export" in alice.client.get("/account").data
    response = alice.client.get("/account/export")
    assert response.status_code == 200
    today = utcnow().date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tacit-alice-{today}.json"')
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert data["account"]["username"] == "alice"
    assert data["account"]["email"] == "alice-mail@example.net"
    posts = {p["id"]: p for p in data["posts"]}
    assert posts[world["secret_answer"]]["group"] == "secret"  # their own private writing
    assert CANARY in posts[world["secret_answer"]]["body_source"]
    assert {(f["target_type"], f["target_id"]) for f in data["follows"]} >= {
        ("question", world["question"])}
    assert {"target_type": "question", "target_id": world["question"], "value": 1} in [
        {k: v[k] for k in ("target_type", "target_id", "value")} for v in data["votes"]]
    assert any(c["entry_id"] == world["faq"] for c in data["faq_contributions"])
    assert data["mail_settings"] and all(isinstance(v, str)
                                         for v in data["mail_settings"].values())
    assert [(m["room_id"], m["room_kind"], m["body_source"]) for m in data["chat_messages"]] == [
        (world["direct_room"], "direct", "Hello Bob, alice here.")]
    assert "walrusword" not in text  # the other person's message in her direct room
    # Nothing private of anyone else, no secret.
    for other in ("insider-mail@example.net", "bob-mail@example.net", "scrypt",
                  "admin-mail@example.net"):
        assert other not in text, other
    assert "password" not in text and "token" not in text


def test_personal_export_api(app, world, api):
    assert api.get("/api/v1/me/export").status_code == 401
    response = api.get("/api/v1/me/export", token=world["tokens"]["alice"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tacit-alice-')
    data = response.get_json()
    assert data["account"]["email"] == "alice-mail@example.net"
    # Another user's vote on alice's answer is not hers to export.
    assert all(v["target_id"] != world["secret_answer"] for v in data["votes"])
    assert "insider-mail@example.net" not in response.get_data(as_text=True)
