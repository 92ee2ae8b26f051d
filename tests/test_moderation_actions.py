"""Moderator actions: hide and restore, lock, close, move, suspend and ban; who may take
them (one permission matrix over every action of the API), what each writes in the audit
log and which flags it settles, and what readers, authors and suspended members then see.

Budget: about 30 s on SQLite.
"""

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db, socketio
from forum.models import (
    AuditEntry,
    ChatMessage,
    Flag,
    Group,
    Post,
    Question,
    User,
    utcnow,
)
from forum.services import accounts, chat, groups, profiles
from forum.services.accounts import issue_api_token
from forum.services.uow import unit_of_work
from tests.helpers import ApiClient, PageClient

PASSWORD = "correct horse battery"
CANARY = "quokkacanary"


@pytest.fixture
def app_config():
    """Posting limits off: these tests write several times a second as the same person."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    """People, groups, a thread with an answer and a reply, and a chat message; returns
    ids, API tokens and a helper to reset rows."""
    names = {"asker": "member", "helper": "member", "member": "member", "expert": "member",
             "gmod": "member", "omod": "member", "smod": "moderator", "admin": "admin"}
    ids = {name: make_user(name, role=role) for name, role in names.items()}
    west = make_group("west-africa")
    south = make_group("south-africa")
    east = make_group("east-africa")
    for name in ("asker", "helper", "member", "expert", "gmod"):
        join(ids[name], west)
    question = make_question(ids["asker"], west, title=f"Implant stock-outs {CANARY} here")
    answer = make_post(ids["helper"], question_id=question, body="Order a quarter ahead.")
    reply = make_post(ids["member"], parent_id=answer, body="Thanks, that helps.")
    other = make_question(ids["helper"], west, title="Which cold boxes last longest?")
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        groups.set_group_moderator(admin, west, "gmod")
        groups.set_group_moderator(admin, south, "gmod")
        groups.set_group_moderator(admin, east, "omod")
        profiles.set_verified(admin, "expert", True, "Midwife trainer")
        asker = db.session.get(User, ids["asker"])
        room = chat.room_for_group(asker, west).id
        message = chat.send_message(asker, room, "Anyone has implants?", "c1",
                                    system=True)[0].id
        tokens = {name: issue_api_token(db.session.get(User, ident))[0]
                  for name, ident in ids.items()}
    return {"ids": ids, "tokens": tokens, "question": question, "answer": answer,
            "reply": reply, "other": other, "room": room, "message": message,
            "west": west, "south": south, "east": east}


def audit_count(app, action=None) -> int:
    with app.app_context():
        stmt = select(func.count(AuditEntry.id))
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return db.session.scalar(stmt)


def last_audit(app) -> AuditEntry:
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        db.session.expunge(entry)
        return entry


def set_row(app, model, ident, **values) -> None:
    with app.app_context(), unit_of_work():
        row = db.session.get(model, ident)
        for name, value in values.items():
            setattr(row, name, value)


def add_flag(app, target_type, target_id, flagger_id) -> int:
    with app.app_context(), unit_of_work():
        flag = Flag(target_type=target_type, target_id=target_id, user_id=flagger_id,
                    reason="spam")
        db.session.add(flag)
        db.session.flush()
        return flag.id


def flag_resolution(app, flag_id):
    with app.app_context():
        return db.session.get(Flag, flag_id).resolution


# -- who may do what ----------------------------------------------------------------------

# (method, path template, body, action written, target type, target key, flag resolution,
#  prepare: the state the action needs, as (model, key, values))
ACTIONS = {
    "hide_question": ("POST", "/api/v1/questions/{question}/hide", {"reason": "Spam link"},
                      "hide", "question", "question", "hidden", None),
    "restore_question": ("POST", "/api/v1/questions/{question}/restore", None, "restore",
                         "question", "question", None, {"hidden_at": "now",
                                                        "hidden_reason": "x"}),
    "lock": ("POST", "/api/v1/questions/{question}/lock", {"reason": "Heated"}, "lock",
             "question", "question", "locked", None),
    "unlock": ("POST", "/api/v1/questions/{question}/unlock", None, "unlock", "question",
               "question", None, {"locked_at": "now"}),
    "close": ("POST", "/api/v1/questions/{question}/close",
              {"reason": "duplicate", "duplicate_of": "{other}"}, "close", "question",
              "question", "closed", None),
    "reopen": ("POST", "/api/v1/questions/{question}/reopen", None, "reopen", "question",
               "question", None, {"closed_at": "now", "close_reason": "off_topic"}),
    "move": ("POST", "/api/v1/questions/{question}/move",
             {"group": "south-africa", "reason": "Wrong region"}, "move", "question",
             "question", "moved", "west"),
    "hide_post": ("POST", "/api/v1/posts/{answer}/hide", {"reason": "Rude"}, "hide", "post",
                  "answer", "hidden", None),
    "restore_post": ("POST", "/api/v1/posts/{answer}/restore", None, "restore", "post",
                     "answer", None, {"hidden_at": "now", "hidden_reason": "x"}),
    "hide_message": ("POST", "/api/v1/chat/messages/{message}/hide", {"reason": "Spam"},
                     "hide", "chat_message", "message", "hidden", None),
    "restore_message": ("POST", "/api/v1/chat/messages/{message}/restore", None, "restore",
                        "chat_message", "message", None, {"hidden_at": "now",
                                                          "hidden_reason": "x"}),
    "suspend": ("PUT", "/api/v1/users/helper/suspension", {"days": 3, "reason": "Spam"},
                "suspend", "user", "helper", "suspended", {"suspended_until": None}),
    "ban": ("PUT", "/api/v1/users/helper/suspension", {"ban": True, "reason": "Spam"},
            "ban", "user", "helper", "banned", {"suspended_until": None}),
    "unsuspend": ("DELETE", "/api/v1/users/helper/suspension", {"reason": "Appeal"},
                  "unsuspend", "user", "helper", None, {"suspended_until": "later"}),
}
MODELS = {"question": Question, "post": Post, "chat_message": ChatMessage, "user": User}
PEOPLE = [(None, 401), ("member", 403), ("expert", 403), ("omod", 403), ("gmod", 200),
          ("smod", 200), ("admin", 200)]


def _target_id(world, key):
    return world["ids"][key] if key in world["ids"] else world[key]


def _prepare(app, world, model, ident, prepare):
    if prepare == "west":
        with app.app_context():
            west = db.session.scalar(select(Group.id).where(Group.slug == "west-africa"))
        set_row(app, model, ident, group_id=west)
        return
    now = utcnow()
    values = {name: (now if value == "now" else now.replace(year=now.year + 1)
                     if value == "later" else value)
              for name, value in (prepare or {}).items()}
    if model is Question or model is Post or model is ChatMessage:
        values.setdefault("hidden_at", None)
        values.setdefault("hidden_reason", values.get("hidden_reason", ""))
        if model is Question:
            values.setdefault("locked_at", None)
            values.setdefault("closed_at", None)
    if values:
        set_row(app, model, ident, **values)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_is_allowed_to_its_moderators_only(app, world, action):
    method, template, body, written, target_type, key, resolution, prepare = ACTIONS[action]
    api = ApiClient(app.test_client())
    path = template.format(**{k: v for k, v in world.items() if isinstance(v, int)})
    if body:
        body = {k: (world["other"] if v == "{other}" else v) for k, v in body.items()}
    target = _target_id(world, key)
    model = MODELS[target_type]
    for who, status in PEOPLE:
        if who == "gmod" and target_type == "user":
            status = 403  # group moderators do not suspend anyone
        if action == "restore_question" and status == 403:
            status = 404  # a hidden question does not exist for who may not moderate it
        _prepare(app, world, model, target, prepare)
        flag = add_flag(app, target_type, target, world["ids"]["member"]) \
            if status == 200 and resolution else None
        before = audit_count(app)
        token = world["tokens"][who] if who else None
        response = api.call(method, path, json=body, token=token)
        assert response.status_code == status, (action, who, response.get_json())
        if status != 200:
            assert audit_count(app) == before, (action, who)
            continue
        # exactly one audit entry, naming the action, with the values before and after
        assert audit_count(app) == before + 1, (action, who)
        entry = last_audit(app)
        assert (entry.action, entry.target_type, entry.target_id) == \
            (written, target_type, target)
        assert entry.actor_id == world["ids"][who]
        assert entry.before is not None and entry.after is not None
        assert entry.before != entry.after
        if flag is not None:
            assert flag_resolution(app, flag) == resolution, (action, who)
            set_row(app, Flag, flag, resolved_at=None, resolution=None)
            with app.app_context(), unit_of_work():
                db.session.delete(db.session.get(Flag, flag))


def test_private_group_content_is_not_found_to_outside_moderators(app, world, make_group,
                                                                  join, make_question):
    secret = make_group("inner-circle", private=True)
    join(world["ids"]["asker"], secret, private=True)
    qid = make_question(world["ids"]["asker"], secret, title=f"Secret {CANARY} question")
    api = ApiClient(app.test_client())
    for who in ("member", "omod", "gmod"):
        response = api.post(f"/api/v1/questions/{qid}/hide", {"reason": "x"},
                            token=world["tokens"][who])
        assert response.status_code == 404, who
        assert CANARY not in response.get_data(as_text=True)
    assert api.post(f"/api/v1/questions/{qid}/lock", {"reason": "x"},
                    token=world["tokens"]["admin"]).status_code == 200


def test_bad_input_is_refused_and_writes_nothing(app, world):
    written = audit_count(app)
    api = ApiClient(app.test_client())
    token = world["tokens"]["gmod"]
    q = world["question"]
    cases = [
        (f"/api/v1/questions/{q}/hide", {"reason": ""}, "reason"),
        (f"/api/v1/questions/{q}/close", {"reason": "boring"}, "reason"),
        (f"/api/v1/questions/{q}/close", {"reason": "duplicate"}, "duplicate_of"),
        (f"/api/v1/questions/{q}/close", {"reason": "duplicate", "duplicate_of": q},
         "duplicate_of"),
        (f"/api/v1/questions/{q}/move", {"group": "nowhere", "reason": "x"}, "group"),
        (f"/api/v1/questions/{q}/move", {"group": "west-africa", "reason": "x"}, "group"),
    ]
    for path, body, field in cases:
        response = api.post(path, body, token=token)
        assert response.status_code == 422, (path, body)
        assert field in response.get_json()["error"]["fields"]
    smod = world["tokens"]["smod"]
    for body in ({"days": 0, "reason": "x"}, {"days": 366, "reason": "x"},
                 {"reason": "x"}, {"days": 3, "reason": " "}):
        response = api.put("/api/v1/users/helper/suspension", body, token=smod)
        assert response.status_code == 422, body
    # never an admin, never yourself
    assert api.put("/api/v1/users/admin/suspension", {"days": 3, "reason": "x"},
                   token=smod).status_code == 403
    assert api.put("/api/v1/users/smod/suspension", {"days": 3, "reason": "x"},
                   token=smod).status_code == 403
    assert api.post(f"/api/v1/questions/{q}/restore", token=token).status_code == 409
    assert audit_count(app) == written


# -- what readers, authors and moderators see ----------------------------------------------


def page(app, username=None) -> PageClient:
    client = PageClient(app.test_client())
    if username:
        client.login(username, PASSWORD)
    return client


def test_a_hidden_question_leaves_lists_and_search_but_its_author_sees_why(app, world):
    api = ApiClient(app.test_client())
    q = world["question"]
    assert api.post(f"/api/v1/questions/{q}/hide", {"reason": "Advertises a clinic"},
                    token=world["tokens"]["gmod"]).status_code == 200
    for who in (None, "member", "omod"):
        token = world["tokens"][who] if who else None
        assert api.get(f"/api/v1/questions/{q}", token=token).status_code == 404, who
        listed = api.get("/api/v1/questions", token=token).get_data(as_text=True)
        found = api.get(f"/api/v1/search?q={CANARY}", token=token).get_data(as_text=True)
        assert CANARY not in listed and CANARY not in found, who
        html = page(app, who).get("/questions").get_data(as_text=True)
        assert CANARY not in html, who
        assert page(app, who).get(f"/questions/{q}").status_code == 404, who
    for who in ("asker", "gmod", "smod"):
        assert CANARY in page(app, who).get("/questions").get_data(as_text=True), who
        html = page(app, who).get(f"/questions/{q}").get_data(as_text=True)
        assert "Hidden by a moderator: Advertises a clinic" in html, who
    # restored: back for everyone
    assert api.post(f"/api/v1/questions/{q}/restore",
                    token=world["tokens"]["smod"]).status_code == 200
    assert page(app).get(f"/questions/{q}").status_code == 200


def test_a_hidden_answer_is_a_placeholder_for_readers_and_leaves_the_search_index(app, world,
                                                                                  make_post):
    q = world["question"]
    aid = make_post(world["ids"]["helper"], question_id=q,
                    body=f"Call the {CANARY} supplier directly.")
    api = ApiClient(app.test_client())
    before = api.get("/api/v1/search?q=supplier").get_json()["items"]
    assert [item["id"] for item in before] == [q]
    assert api.post(f"/api/v1/posts/{aid}/hide", {"reason": "Unsafe advice"},
                    token=world["tokens"]["gmod"]).status_code == 200
    assert api.get("/api/v1/search?q=supplier").get_json()["items"] == []
    reader = page(app, "member").get(f"/questions/{q}").get_data(as_text=True)
    assert "hidden by a moderator" in reader
    assert f"Call the {CANARY}" not in reader
    assert page(app, "member").get(f"/posts/{aid}/fragment").status_code == 404
    author = page(app, "helper").get(f"/questions/{q}").get_data(as_text=True)
    assert f"Call the {CANARY}" in author
    assert "Hidden by a moderator: Unsafe advice" in author
    moderator = page(app, "gmod").get(f"/questions/{q}").get_data(as_text=True)
    assert f"Call the {CANARY}" in moderator
    assert f"/posts/{aid}/restore" in moderator
    assert f"/posts/{aid}/restore" not in reader


def test_hiding_through_the_pages_keeps_input_and_refuses_members(app, world):
    aid = world["answer"]
    member = page(app, "member")
    assert member.get(f"/posts/{aid}/hide").status_code == 403
    gmod = page(app, "gmod")
    form = gmod.get(f"/posts/{aid}/hide")
    assert form.status_code == 200
    refused = gmod.post_form(f"/posts/{aid}/hide", {"reason": "  "})
    assert refused.status_code == 422
    assert audit_count(app, "hide") == 0
    done = gmod.post_form(f"/posts/{aid}/hide", {"reason": "Off-topic rant"})
    assert done.status_code == 302
    assert audit_count(app, "hide") == 1
    q = world["question"]
    moderate = gmod.get(f"/questions/{q}").get_data(as_text=True)
    assert f"/moderation/questions/{q}/lock" in moderate
    assert f"/moderation/questions/{q}/lock" not in \
        member.get(f"/questions/{q}").get_data(as_text=True)
    kept = gmod.post_form(f"/moderation/questions/{q}/close",
                          {"reason": "duplicate", "duplicate_of": "", "note": "kept note"})
    assert kept.status_code == 422
    assert "kept note" in kept.get_data(as_text=True)


def test_a_hidden_chat_message_shows_only_to_its_author_and_the_room_moderators(app, world):
    asker = world["ids"]["asker"]
    with app.app_context():
        user = db.session.get(User, asker)
        mid = chat.send_message(user, world["room"], f"Buy {CANARY} pills here", "c2",
                                system=True)[0].id
    client = page(app, "helper")
    client.get("/")
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=client.client,
                                auth={"csrf": client.last_csrf})
    assert sock.emit("join", {"room": world["room"]}, namespace="/chat", callback=True)["ok"]
    sock.get_received("/chat")
    api = ApiClient(app.test_client())
    assert api.post(f"/api/v1/chat/messages/{mid}/hide", {"reason": "Selling"},
                    token=world["tokens"]["gmod"]).status_code == 200
    events = [e for e in sock.get_received("/chat") if e["name"] == "message_updated"]
    assert len(events) == 1
    payload = events[0]["args"][0]
    assert payload["id"] == mid and payload["hidden"] is True
    assert CANARY not in str(payload)
    sock.disconnect(namespace="/chat")
    room_page = f"/chat/rooms/{world['room']}"
    assert CANARY not in page(app, "helper").get(room_page).get_data(as_text=True)
    assert "hidden by a moderator" in page(app, "helper").get(room_page).get_data(as_text=True)
    own = page(app, "asker").get(room_page).get_data(as_text=True)
    assert CANARY in own and "Hidden by a moderator: Selling" in own
    assert CANARY in page(app, "gmod").get(room_page).get_data(as_text=True)


def test_a_locked_thread_refuses_members_but_not_its_moderators(app, world):
    api = ApiClient(app.test_client())
    q, aid = world["question"], world["answer"]
    assert api.post(f"/api/v1/questions/{q}/lock", {"reason": "Cooling off"},
                    token=world["tokens"]["gmod"]).status_code == 200
    member, asker = world["tokens"]["member"], world["tokens"]["asker"]
    refused = [
        api.post(f"/api/v1/questions/{q}/answers", {"body": "One more idea"}, token=member),
        api.post(f"/api/v1/posts/{aid}/replies", {"body": "And another"}, token=member),
        api.put(f"/api/v1/questions/{q}/vote", {"value": 1}, token=member),
        api.put(f"/api/v1/posts/{aid}/vote", {"value": 1}, token=member),
        api.call("PATCH", f"/api/v1/questions/{q}", json={"title": "A changed title here"},
                 token=asker),
        api.put(f"/api/v1/questions/{q}/accepted", {"answer_id": aid}, token=asker),
    ]
    for response in refused:
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"]["message"] == "This thread is locked."
    html = page(app, "member").get(f"/questions/{q}").get_data(as_text=True)
    assert "Locked" in html and 'id="answer"' in html
    assert "Post your answer" not in html
    moderator = api.post(f"/api/v1/questions/{q}/answers", {"body": "Moderator note"},
                         token=world["tokens"]["gmod"])
    assert moderator.status_code == 201


def test_a_question_closed_as_duplicate_links_to_the_original_and_reopens(app, world):
    api = ApiClient(app.test_client())
    q, other = world["question"], world["other"]
    closed = api.post(f"/api/v1/questions/{q}/close",
                      {"reason": "duplicate", "duplicate_of": other},
                      token=world["tokens"]["gmod"])
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["duplicate_of"] == other
    html = page(app).get(f"/questions/{q}").get_data(as_text=True)
    assert f'href="/questions/{other}" class="duplicate-of"' in html
    answer = api.post(f"/api/v1/questions/{q}/answers", {"body": "Late answer"},
                      token=world["tokens"]["member"])
    assert answer.status_code == 409
    reopened = api.post(f"/api/v1/questions/{q}/reopen", token=world["tokens"]["gmod"])
    assert reopened.get_json()["duplicate_of"] is None
    assert reopened.get_json()["status"] == "open"
    assert "duplicate-of" not in page(app).get(f"/questions/{q}").get_data(as_text=True)


def group_counts(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(Group.slug, Group.question_count)).all())


def test_moving_a_question_updates_counts_and_search(app, world):
    api = ApiClient(app.test_client())
    q = world["question"]
    before = group_counts(app)
    moved = api.post(f"/api/v1/questions/{q}/move",
                     {"group": "south-africa", "reason": "Asked about Durban"},
                     token=world["tokens"]["gmod"])
    assert moved.status_code == 200 and moved.get_json()["group"] == "south-africa"
    after = group_counts(app)
    assert after["west-africa"] == before["west-africa"] - 1
    assert after["south-africa"] == before["south-africa"] + 1
    found = api.get(f"/api/v1/search?q={CANARY}&group=south-africa").get_json()["items"]
    assert [item["id"] for item in found] == [q]
    assert api.get(f"/api/v1/search?q={CANARY}&group=west-africa").get_json()["items"] == []
    entry = last_audit(app)
    assert (entry.before, entry.after) == ({"group": "west-africa"}, {"group": "south-africa"})


def test_only_site_moderators_move_a_private_question_into_a_public_group(app, world,
                                                                         make_group, join,
                                                                         make_question):
    secret = make_group("inner-circle", private=True)
    join(world["ids"]["gmod"], secret, private=True)
    with app.app_context():
        groups.set_group_moderator(db.session.get(User, world["ids"]["admin"]), secret, "gmod")
    qid = make_question(world["ids"]["gmod"], secret, title="A private clinic question")
    api = ApiClient(app.test_client())
    body = {"group": "west-africa", "reason": "Belongs there"}
    refused = api.post(f"/api/v1/questions/{qid}/move", body, token=world["tokens"]["gmod"])
    assert refused.status_code == 403
    assert api.post(f"/api/v1/questions/{qid}/move", body,
                    token=world["tokens"]["admin"]).status_code == 200


# -- suspended members read but do not write -------------------------------------------------

WRITES = [
    ("POST", "/api/v1/questions", {"title": "A new question here", "body": "Body text",
                                   "group": "west-africa", "tags": ["implants"]}),
    ("POST", "/api/v1/questions/{question}/answers", {"body": "An answer"}),
    ("POST", "/api/v1/posts/{answer}/replies", {"body": "A reply"}),
    ("PATCH", "/api/v1/posts/{answer}", {"body": "Changed answer"}),
    ("DELETE", "/api/v1/posts/{answer}", None),
    ("PUT", "/api/v1/questions/{question}/vote", {"value": 1}),
    ("PUT", "/api/v1/questions/{other}/vote", {"value": 1}),
    ("PUT", "/api/v1/questions/{other}/accepted", {"answer_id": 999}),
    ("POST", "/api/v1/chat/rooms/{room}/messages", {"body": "hello", "client_id": "s1"}),
    ("PATCH", "/api/v1/users/helper", {"display_name": "Helper Two"}),
]


@pytest.fixture
def suspended(app, world):
    api = ApiClient(app.test_client())
    response = api.put("/api/v1/users/helper/suspension", {"days": 7, "reason": "Spam"},
                       token=world["tokens"]["smod"])
    assert response.status_code == 200
    assert response.get_json()["suspended"] is True
    return world


@pytest.mark.parametrize(("method", "template", "body"), WRITES)
def test_a_suspended_member_cannot_write(app, suspended, method, template, body):
    path = template.format(**{k: v for k, v in suspended.items() if isinstance(v, int)})
    api = ApiClient(app.test_client())
    response = api.call(method, path, json=body, token=suspended["tokens"]["helper"])
    assert response.status_code == 403, response.get_json()
    assert "suspended" in response.get_json()["error"]["message"]


def test_a_suspended_member_reads_loses_sockets_and_writes_again_once_lifted(app, world):
    client = page(app, "helper")
    client.get("/")
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=client.client,
                                auth={"csrf": client.last_csrf})
    assert sock.is_connected("/chat")
    api = ApiClient(app.test_client())
    assert api.put("/api/v1/users/helper/suspension", {"ban": True, "reason": "Spam"},
                   token=world["tokens"]["smod"]).status_code == 200
    assert not sock.is_connected("/chat")  # ended on every process after the commit
    again = socketio.test_client(app, namespace="/chat", flask_test_client=client.client,
                                 auth={"csrf": client.last_csrf})
    assert not again.is_connected("/chat")
    helper = world["tokens"]["helper"]
    assert api.get(f"/api/v1/questions/{world['question']}", token=helper).status_code == 200
    assert client.get(f"/questions/{world['question']}").status_code == 200
    html = page(app, "smod").get("/u/helper").get_data(as_text=True)
    assert "/moderation/users/helper/suspension" in html
    assert api.delete("/api/v1/users/helper/suspension", json={"reason": "Appeal upheld"},
                      token=world["tokens"]["smod"]).status_code == 200
    answer = api.post(f"/api/v1/questions/{world['question']}/answers",
                      {"body": "Back again"}, token=helper)
    assert answer.status_code == 201


def test_suspending_through_the_page(app, world):
    smod = page(app, "smod")
    assert page(app, "gmod").get("/moderation/users/helper/suspension").status_code == 403
    refused = smod.post_form("/moderation/users/helper/suspension",
                             {"action": "suspend", "days": "400", "reason": "Spam"})
    assert refused.status_code == 422
    done = smod.post_form("/moderation/users/helper/suspension",
                          {"action": "suspend", "days": "2", "reason": "Spam"})
    assert done.status_code == 302
    assert re.search(r"Suspended until [0-9-]+ [0-9:]+ UTC: Spam",
                     smod.get("/u/helper").get_data(as_text=True))
    lifted = smod.post_form("/moderation/users/helper/suspension",
                            {"action": "unsuspend", "reason": "Appeal"})
    assert lifted.status_code == 302
    assert [audit_count(app, a) for a in ("suspend", "unsuspend")] == [1, 1]


def test_existing_moderator_actions_now_write_the_audit_log(app, world):
    # world already granted a badge and appointed three group moderators
    assert audit_count(app, "verify_expert") == 1
    assert audit_count(app, "appoint_group_moderator") == 3
    with app.app_context():
        admin = db.session.get(User, world["ids"]["admin"])
        groups.set_group_moderator(admin, "east-africa", "omod", False)
        accounts.set_role(admin, "member", "moderator")
        profiles.set_verified(admin, "expert", False, "Left the clinic")
    assert audit_count(app, "remove_group_moderator") == 1
    assert audit_count(app, "unverify_expert") == 1
    entry = last_audit(app)
    assert entry.before == {"verified_expert": True}
    assert audit_count(app, "set_role") == 1


def test_the_api_never_hands_a_hidden_text_to_readers(app, world):
    q, aid = world["question"], world["answer"]
    with app.app_context():
        asker = db.session.get(User, world["ids"]["asker"])
        mid = chat.send_message(asker, world["room"], f"Ring {CANARY} now", "c3",
                                system=True)[0].id
    api = ApiClient(app.test_client())
    gmod = world["tokens"]["gmod"]
    assert api.post(f"/api/v1/posts/{aid}/hide", {"reason": "x"}, token=gmod).status_code == 200
    assert api.post(f"/api/v1/chat/messages/{mid}/hide", {"reason": "x"},
                    token=gmod).status_code == 200
    thread = api.get(f"/api/v1/questions/{q}", token=world["tokens"]["member"]).get_json()
    hidden = next(a for a in thread["answers"] if a["id"] == aid)
    assert hidden["body_html"] == "" and hidden["author"] is None
    assert [r["id"] for r in hidden["replies"]] == [world["reply"]]  # replies keep their place
    own = api.get(f"/api/v1/questions/{q}", token=world["tokens"]["helper"]).get_json()
    assert "quarter" in next(a for a in own["answers"] if a["id"] == aid)["body_html"]
    path = f"/api/v1/chat/rooms/{world['room']}/messages"
    seen = api.get(path, token=world["tokens"]["member"]).get_data(as_text=True)
    assert CANARY not in seen and f'"id":{mid}' in seen.replace(" ", "")
    assert CANARY in api.get(path, token=world["tokens"]["asker"]).get_data(as_text=True)
    assert CANARY in api.get(path, token=gmod).get_data(as_text=True)
