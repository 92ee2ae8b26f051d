"""Flags and the moderation queue: flagging every kind of item (page and API), one flag per
person per item, nothing flagged that the flagger cannot read (a private group's canary) or
wrote, the rate limit, the queue's order and scope (group moderators: their groups only),
the audited view of a flagged chat message, dismissing, the API's shapes and permissions,
and the queue in a fixed number of queries.

Budget: about 8 s on SQLite.
"""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from forum.extensions import db
from forum.models import AuditEntry, Flag, User, utcnow
from forum.services import chat
from forum.services.accounts import issue_api_token
from forum.services.groups import set_group_moderator
from forum.services.uow import unit_of_work
from tests.helpers import PageClient

CANARY = "zebracanary"
PASSWORD = "correct horse battery"


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    """People, two public groups and a private one, a question, an answer, a reply and chat
    messages in each; API tokens for everyone."""
    ids = {name: make_user(name, role=role) for name, role in (
        ("admin", "admin"), ("sitemod", "moderator"), ("groupmod", "member"),
        ("eastmod", "member"), ("alice", "member"), ("bob", "member"),
        ("carol", "member"), ("insider", "member"))}
    make_group("west-africa")
    make_group("east-africa")
    make_group("secret", private=True)
    for name in ("groupmod", "alice", "bob", "carol"):
        join(ids[name], "west-africa")
    join(ids["eastmod"], "east-africa")
    join(ids["alice"], "east-africa")
    join(ids["alice"], "secret", private=True)
    join(ids["insider"], "secret", private=True)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        set_group_moderator(admin, "west-africa", "groupmod")
        set_group_moderator(admin, "east-africa", "eastmod")
    ids["question"] = make_question(ids["alice"], "west-africa", title="Stock-outs in Kano")
    ids["answer"] = make_post(ids["alice"], question_id=ids["question"], body="Order early.")
    ids["reply"] = make_post(ids["carol"], parent_id=ids["answer"], body="Agreed, earlier.")
    ids["east_question"] = make_question(ids["alice"], "east-africa", title="Cold chain east")
    ids["secret_question"] = make_question(ids["alice"], "secret",
                                           title=f"The {CANARY} question")
    with app.app_context():
        alice = db.session.get(User, ids["alice"])
        room = chat.room_for_group(alice, "west-africa").id
        ids["room"] = room
        ids["messages"] = [chat.send_message(alice, room, f"Message {n}", f"c{n}",
                                             system=True)[0].id for n in range(6)]
        secret_room = chat.room_for_group(alice, "secret").id
        ids["secret_message"] = chat.send_message(alice, secret_room, f"{CANARY} chat", "s1",
                                                  system=True)[0].id
        ids["tokens"] = {name: issue_api_token(db.session.get(User, ids[name]))[0]
                         for name in ("admin", "sitemod", "groupmod", "eastmod", "alice",
                                      "bob", "carol", "insider")}
    return ids


def post(api, ids, who, body):
    return api.post("/api/v1/flags", body, token=ids["tokens"][who] if who else "")


def flag_rows(app):
    with app.app_context():
        return db.session.execute(select(Flag.target_type, Flag.target_id, Flag.group_id,
                                         Flag.user_id, Flag.reason, Flag.text)
                                  .order_by(Flag.id)).all()


def add_flags(app, specs):
    """Flags written as rows: (target_type, target_id, group_id, user_id, reason, age)."""
    with app.app_context(), unit_of_work():
        for target_type, target_id, group_id, user_id, reason, age in specs:
            db.session.add(Flag(target_type=target_type, target_id=target_id,
                                group_id=group_id, user_id=user_id, reason=reason,
                                created_at=utcnow() - timedelta(minutes=age)))


def group_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(db.metadata.tables["groups"].c.id)
                                 .where(db.metadata.tables["groups"].c.slug == slug))


def page_client(app, username):
    page = PageClient(app.test_client())
    page.login(username, PASSWORD)
    return page


# -- flagging ------------------------------------------------------------------------------


def test_member_flags_every_kind_of_item_with_its_group(app, api, world):
    west = group_id(app, "west-africa")
    bodies = [
        {"target": "question", "id": world["question"], "reason": "off_topic"},
        {"target": "post", "id": world["answer"], "reason": "expert_review"},
        {"target": "post", "id": world["reply"], "reason": "offensive"},
        {"target": "chat_message", "id": world["messages"][2], "reason": "spam"},
        {"target": "user", "username": "alice", "reason": "other", "text": "Fake nurse."},
    ]
    for body in bodies:
        who = "alice" if body.get("id") == world["reply"] else "bob"
        response = post(api, world, who, body)
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        assert set(data) == {"id", "target", "target_id", "reason", "created_at"}
        assert data["target"] == body["target"] and data["reason"] == body["reason"]
    rows = flag_rows(app)
    assert [(r.target_type, r.group_id) for r in rows] == [
        ("question", west), ("post", west), ("post", west), ("chat_message", west),
        ("user", None)]
    assert rows[-1].target_id == world["alice"] and rows[-1].text == "Fake nurse."


def test_one_flag_per_person_per_item(app, api, world):
    body = {"target": "question", "id": world["question"], "reason": "spam"}
    assert post(api, world, "bob", body).status_code == 201
    again = post(api, world, "bob", {**body, "reason": "offensive"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"
    assert post(api, world, "carol", body).status_code == 201  # another person may
    assert [(r.user_id, r.reason) for r in flag_rows(app)] == [
        (world["bob"], "spam"), (world["carol"], "spam")]


def test_nobody_flags_what_they_cannot_read_or_wrote(app, api, world):
    refused = [
        ("bob", {"target": "question", "id": world["secret_question"], "reason": "spam"}, 404),
        ("sitemod", {"target": "question", "id": world["secret_question"], "reason": "spam"},
         404),
        ("bob", {"target": "chat_message", "id": world["secret_message"], "reason": "spam"},
         404),
        ("eastmod", {"target": "chat_message", "id": world["messages"][0], "reason": "spam"},
         403),  # a public group's room, not entered: chat says why it stays shut
        ("bob", {"target": "question", "id": 999999, "reason": "spam"}, 404),
        ("alice", {"target": "question", "id": world["question"], "reason": "spam"}, 422),
        ("carol", {"target": "post", "id": world["reply"], "reason": "spam"}, 422),
        ("bob", {"target": "user", "id": world["bob"], "reason": "spam"}, 422),
    ]
    for who, body, status in refused:
        response = post(api, world, who, body)
        assert response.status_code in (status, 404), (who, body, response.get_json())
        assert CANARY not in response.get_data(as_text=True)
    assert flag_rows(app) == []
    # The page says "not found" for the private question too, without its title.
    page = page_client(app, "bob")
    response = page.get(f"/flag/question/{world['secret_question']}")
    assert response.status_code == 404
    assert CANARY not in response.get_data(as_text=True)
    # The insider may flag it.
    body = {"target": "question", "id": world["secret_question"], "reason": "spam"}
    assert post(api, world, "insider", body).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"target": "question", "reason": "spam"}, "id"),
    ({"target": "thread", "id": 1, "reason": "spam"}, "target"),
    ({"target": "question", "id": "1", "reason": "spam"}, "id"),
    ({"target": "question", "id": 1, "reason": "rude"}, "reason"),
    ({"target": "question", "id": 1, "reason": "other"}, "text"),
    ({"target": "question", "id": 1, "reason": "other", "text": "x" * 501}, "text"),
    ({"target": "question", "id": 1, "reason": "spam", "text": 5}, "text"),
    ({"target": "question", "id": 1, "reason": "spam", "extra": 1}, "extra"),
])
def test_bad_flag_input_is_422_and_writes_nothing(app, api, world, body, field):
    if body.get("id") == 1:
        body = {**body, "id": world["question"]}
    response = post(api, world, "bob", body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert flag_rows(app) == []


@pytest.mark.parametrize("app_config", [{"LIMIT_FLAG_PER_USER": "2/hour"}])
def test_flagging_is_rate_limited_with_retry_after(app, api, world):
    targets = [("question", world["question"]), ("post", world["answer"]),
               ("post", world["reply"])]
    statuses = [post(api, world, "bob", {"target": t, "id": i, "reason": "spam"})
                for t, i in targets]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert statuses[-1].get_json()["error"]["code"] == "rate_limited"
    assert len(flag_rows(app)) == 2


def test_suspended_member_cannot_flag(app, api, world):
    with app.app_context(), unit_of_work():
        bob = db.session.get(User, world["bob"])
        bob.suspended_until = utcnow() + timedelta(days=3)
        bob.suspension_reason = "spam"
    response = post(api, world, "bob", {"target": "question", "id": world["question"],
                                        "reason": "spam"})
    assert response.status_code == 403
    assert flag_rows(app) == []


def test_flag_page_keeps_input_on_error_and_goes_back_to_the_item(app, world):
    page = page_client(app, "bob")
    path = f"/flag/post/{world['answer']}"
    form = page.get(path)
    assert form.status_code == 200 and 'name="reason"' in form.get_data(as_text=True)
    bad = page.post_form(path, {"reason": "other", "text": ""})
    assert bad.status_code == 422
    assert 'value="other" id="reason-other" checked' in bad.get_data(as_text=True)
    assert flag_rows(app) == []
    good = page.post_form(path, {"reason": "other", "text": "Dangerous dose advice."})
    assert good.status_code == 302
    assert good.headers["Location"].endswith(
        f"/questions/{world['question']}#post-{world['answer']}")
    assert flag_rows(app)[0].text == "Dangerous dose advice."
    again = page.post_form(path, {"reason": "spam"})
    assert again.status_code == 409
    # Without a CSRF token: refused.
    assert page.post_form(path, {"reason": "spam"}, csrf=False).status_code == 400


def test_flag_links_show_to_signed_in_readers_other_than_the_author(app, world, anon_client):
    bob = page_client(app, "bob").get(f"/questions/{world['question']}").get_data(as_text=True)
    assert f"/flag/question/{world['question']}" in bob
    assert f"/flag/post/{world['answer']}" in bob and f"/flag/post/{world['reply']}" in bob
    alice = page_client(app, "alice").get(f"/questions/{world['question']}").get_data(
        as_text=True)
    assert f"/flag/question/{world['question']}" not in alice
    assert f"/flag/post/{world['answer']}" not in alice  # her own answer
    assert f"/flag/post/{world['reply']}" in alice  # carol's reply
    anon = anon_client.get(f"/questions/{world['question']}").get_data(as_text=True)
    assert "/flag/" not in anon
    profile = page_client(app, "bob").get("/u/alice").get_data(as_text=True)
    assert f"/flag/user/{world['alice']}" in profile
    room = page_client(app, "bob").get(f"/chat/rooms/{world['room']}").get_data(as_text=True)
    assert f"/flag/chat_message/{world['messages'][0]}" in room


# -- the queue -------------------------------------------------------------------------------


def test_queue_orders_by_flag_count_then_age(app, api, world):
    west = group_id(app, "west-africa")
    add_flags(app, [
        ("post", world["reply"], west, world["bob"], "spam", 10),
        ("question", world["question"], west, world["bob"], "spam", 50),
        ("question", world["question"], west, world["carol"], "offensive", 5),
        ("post", world["answer"], west, world["bob"], "off_topic", 30),
        ("post", world["answer"], west, world["carol"], "off_topic", 20),
        ("chat_message", world["messages"][1], west, world["bob"], "spam", 90),
    ])
    response = api.get("/api/v1/flags", token=world["tokens"]["groupmod"])
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["target"], i["target_id"], i["count"]) for i in items] == [
        ("question", world["question"], 2), ("post", world["answer"], 2),
        ("chat_message", world["messages"][1], 1), ("post", world["reply"], 1)]
    first = items[0]
    assert first["reasons"] == {"spam": 1, "offensive": 1} and first["reason"] == "spam"
    assert "Stock-outs in Kano" in first["excerpt_html"]
    assert items[1]["reason"] == "off_topic"
    # The page shows the same order, each in context, the chat message with its neighbours
    # only behind the audited link.
    html = page_client(app, "groupmod").get("/moderation/flags").get_data(as_text=True)
    order = [html.index(f'id="q-{t}-{i}"') for t, i in (
        ("question", world["question"]), ("post", world["answer"]),
        ("chat_message", world["messages"][1]), ("post", world["reply"]))]
    assert order == sorted(order)
    assert f"/moderation/flags/chat/{world['messages'][1]}" in html
    assert "Message 0" not in html  # neighbours are read through the audited view only


def test_group_moderators_see_only_their_groups_flags(app, api, world):
    west, east, secret = (group_id(app, s) for s in ("west-africa", "east-africa", "secret"))
    add_flags(app, [
        ("question", world["question"], west, world["bob"], "spam", 3),
        ("question", world["east_question"], east, world["bob"], "spam", 2),
        ("question", world["secret_question"], secret, world["insider"], "spam", 1),
        ("user", world["alice"], None, world["bob"], "spam", 4),
    ])

    def seen(who, query=""):
        response = api.get(f"/api/v1/flags{query}", token=world["tokens"][who])
        assert response.status_code == 200, response.get_json()
        assert CANARY not in response.get_data(as_text=True) or who == "admin"
        return {(i["target"], i["target_id"]) for i in response.get_json()["items"]}

    assert seen("groupmod") == {("question", world["question"])}
    assert seen("eastmod") == {("question", world["east_question"])}
    # Site moderators: every group they can see and the flags without a group, not the
    # private group they are not in; admins everything.
    assert seen("sitemod") == {("question", world["question"]),
                               ("question", world["east_question"]), ("user", world["alice"])}
    assert seen("admin") == {("question", world["question"]),
                             ("question", world["east_question"]),
                             ("question", world["secret_question"]), ("user", world["alice"])}
    for who in ("sitemod", "groupmod"):
        html = page_client(app, who).get("/moderation/flags").get_data(as_text=True)
        assert CANARY not in html and "secret" not in html
    admin_html = page_client(app, "admin").get("/moderation/flags").get_data(as_text=True)
    assert CANARY in admin_html
    assert seen("sitemod", "?group=east-africa") == {("question", world["east_question"])}
    assert seen("groupmod", "?group=east-africa") == set()
    assert api.get("/api/v1/flags?group=secret",
                   token=world["tokens"]["sitemod"]).status_code == 404
    # The header's Moderation link and count follow the same scope.
    page = page_client(app, "groupmod").get("/").get_data(as_text=True)
    assert 'href="/moderation/flags"' in page and '<span class="badge">1</span>' in page
    assert 'href="/moderation/flags"' not in page_client(app, "bob").get("/").get_data(
        as_text=True)
    # Group moderators cannot dismiss another group's flags.
    response = api.post("/api/v1/flags/dismiss", {"target": "question",
                                                  "id": world["east_question"]},
                        token=world["tokens"]["groupmod"])
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/flags", "/api/v1/flags?status=resolved"])
def test_queue_api_needs_a_moderator(app, api, world, path):
    assert api.get(path).status_code == 401
    response = api.get(path, token=world["tokens"]["bob"])
    assert response.status_code == 403
    assert api.get(path, token=world["tokens"]["sitemod"]).status_code == 200
    dismiss = api.post("/api/v1/flags/dismiss", {"target": "question", "id": world["question"]},
                       token=world["tokens"]["bob"])
    assert dismiss.status_code == 403
    assert page_client(app, "bob").get("/moderation/flags").status_code == 403


def test_queue_rejects_a_bad_status(app, api, world):
    response = api.get("/api/v1/flags?status=all", token=world["tokens"]["sitemod"])
    assert response.status_code == 422
    assert "status" in response.get_json()["error"]["fields"]


def test_flagged_chat_context_is_audited_and_refused_outside_scope(app, world):
    west = group_id(app, "west-africa")
    flagged = world["messages"][3]
    add_flags(app, [("chat_message", flagged, west, world["bob"], "offensive", 1)])
    # The site moderator is not a member: they may enter the room only openly (shown in
    # its presence as a visiting moderator); the queue's view reads it without entering.
    with app.app_context():
        sitemod = db.session.get(User, world["sitemod"])
        room = chat.get_room(sitemod, world["room"])
        assert chat.visits_as_moderator(sitemod, room)
    page = page_client(app, "sitemod")
    response = page.get(f"/moderation/flags/chat/{flagged}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [f"Message {n}" in html for n in range(6)] == [False, True, True, True, True, True]
    with app.app_context():
        entries = db.session.execute(select(AuditEntry.actor_id, AuditEntry.action,
                                            AuditEntry.target_id, AuditEntry.group_id)
                                     .where(AuditEntry.action == "read_flagged_chat")).all()
    assert entries == [(world["sitemod"], "read_flagged_chat", flagged, west)]
    # Outside the scope (another group's moderator), unflagged messages and the private
    # room's message: refused, nothing shown, nothing written.
    east = page_client(app, "eastmod")
    for message_id in (flagged, world["messages"][0], world["secret_message"], 999999):
        response = east.get(f"/moderation/flags/chat/{message_id}")
        assert response.status_code == 403
        assert "Message" not in response.get_data(as_text=True).split("<main", 1)[1]
    assert page.get(f"/moderation/flags/chat/{world['messages'][0]}").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "read_flagged_chat")) == 1


def test_dismiss_resolves_the_flags_and_audits(app, api, world):
    west = group_id(app, "west-africa")
    add_flags(app, [("post", world["answer"], west, world["bob"], "spam", 2),
                    ("post", world["answer"], west, world["carol"], "spam", 1),
                    ("question", world["question"], west, world["bob"], "spam", 1)])
    page = page_client(app, "groupmod")
    queue_html = page.get("/moderation/flags").get_data(as_text=True)
    assert 'action="/moderation/flags/dismiss"' in queue_html
    response = page.post_form("/moderation/flags/dismiss",
                              {"target": "post", "target_id": str(world["answer"]),
                               "reason": "Sound advice", "next": "/moderation/flags"},
                              page="/moderation/flags")
    assert response.status_code == 302
    with app.app_context():
        resolved = db.session.execute(select(Flag.target_type, Flag.resolution,
                                             Flag.resolved_by_id)
                                      .order_by(Flag.id)).all()
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "dismiss_flags")).one()
        assert (entry.action, entry.target_type, entry.target_id, entry.reason,
                entry.group_id, entry.before) == (
            "dismiss_flags", "post", world["answer"], "Sound advice", west,
            {"open_flags": 2})
    assert resolved == [("post", "dismissed", world["groupmod"])] * 2 + [
        ("question", None, None)]
    # Resolved items leave the open queue and show under "resolved".
    open_items = api.get("/api/v1/flags", token=world["tokens"]["groupmod"]).get_json()
    assert [i["target"] for i in open_items["items"]] == ["question"]
    done = api.get("/api/v1/flags?status=resolved", token=world["tokens"]["groupmod"])
    assert [(i["target_id"], i["resolution"]) for i in done.get_json()["items"]] == [
        (world["answer"], "dismissed")]
    # The API dismisses too; a second time there is nothing left: 404.
    body = {"target": "question", "id": world["question"]}
    first = api.post("/api/v1/flags/dismiss", body, token=world["tokens"]["sitemod"])
    assert first.status_code == 200 and first.get_json()["dismissed"] == 1
    assert api.post("/api/v1/flags/dismiss", body,
                    token=world["tokens"]["sitemod"]).status_code == 404


# -- queries -----------------------------------------------------------------------------------


def count_queries(app, fetch) -> int:
    """How many SQL statements `fetch()` runs (transaction control left out); it must
    answer 200."""
    with app.app_context():
        engine = db.engine
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK",
                                                      "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        response = fetch()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len(seen)


def test_queue_takes_the_same_queries_for_3_and_30_items(app, api, world, make_user,
                                                         make_post):
    west = group_id(app, "west-africa")
    flaggers = [make_user(f"flagger{n}") for n in range(3)]
    with app.app_context():
        alice = db.session.get(User, world["alice"])
        extra = [chat.send_message(alice, world["room"], f"More {n}", f"m{n}",
                                   system=True)[0].id for n in range(10)]
    answers = [make_post(world["carol"], question_id=world["question"], body=f"Answer {n}.")
               for n in range(9)]
    people = [make_user(f"person{n}") for n in range(8)]

    def specs(messages, posts, users, question=False):
        out = [("question", world["question"], west, flaggers[0], "spam", 1)] if question \
            else []
        out += [("chat_message", m, west, flaggers[1], "spam", 2) for m in messages]
        out += [("post", p, west, flaggers[2], "offensive", 3) for p in posts]
        out += [("user", u, None, flaggers[0], "other", 4) for u in users]
        return out

    page = page_client(app, "sitemod")
    token = world["tokens"]["sitemod"]
    add_flags(app, specs(extra[:1], answers[:1], [world["bob"]], question=True))
    with app.app_context(), unit_of_work():
        db.session.execute(db.update(Flag).values(text="note"))
    page.get("/moderation/flags")
    api.get("/api/v1/flags", token=token)  # the token's first use writes its last-used time
    small = count_queries(app, lambda: page.get("/moderation/flags"))
    small_api = count_queries(app, lambda: api.get("/api/v1/flags?per_page=50", token=token))
    add_flags(app, specs(extra[1:], answers[1:] + [world["answer"], world["reply"]],
                         [world["alice"], world["carol"], *people]))
    with app.app_context(), unit_of_work():
        db.session.execute(db.update(Flag).values(text="note"))
    large = count_queries(app, lambda: page.get("/moderation/flags"))
    large_api = count_queries(app, lambda: api.get("/api/v1/flags?per_page=50", token=token))
    assert large == small, (small, large)
    assert large_api == small_api, (small_api, large_api)
    html = page.get("/moderation/flags").get_data(as_text=True)
    assert html.count('class="queue-item"') == 33
    assert html.count("@flagger0 (") >= 10  # the flags' notes, in the same queries
    assert len(api.get("/api/v1/flags?per_page=50", token=token).get_json()["items"]) == 33
