"""The chat part of the JSON API: rooms with unread counts, history, posting (the same path as
the socket event), direct rooms, and promotion of a chat stretch to a question."""

import pytest

from forum.extensions import db, socketio
from forum.models import ChatMessage
from tests.chat_fixtures import PASSWORD
from tests.helpers import ApiClient

TITLE = "How do we keep implants in stock in rural clinics?"


@pytest.fixture
def client_for(app):
    """An ApiClient logged in (with a token) as the given username."""

    def make(username):
        api = ApiClient(app.test_client())
        api.login(username, PASSWORD)
        return api

    return make


def post(api, room_id, body, client_id=None):
    payload = {"body": body}
    if client_id is not None:
        payload["client_id"] = client_id
    return api.post(f"/api/v1/chat/rooms/{room_id}/messages", payload)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/chat/rooms"), ("GET", "/api/v1/chat/rooms/1/messages"),
    ("POST", "/api/v1/chat/rooms/1/messages"), ("POST", "/api/v1/chat/direct"),
    ("POST", "/api/v1/chat/rooms/1/promote")])
def test_chat_endpoints_need_a_token(api, method, path):
    response = api.call(method, path, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_rooms_list_your_groups_and_direct_rooms_with_unread_counts(app, client_for, people,
                                                                   room, make_group, join):
    quiet = make_group("sahel")
    join(people["helper"], quiet)
    asker, helper = client_for("asker"), client_for("helper")
    opened = asker.post("/api/v1/chat/direct", {"username": "helper"})
    assert opened.status_code == 201
    direct = opened.get_json()
    assert direct["kind"] == "direct" and direct["name"] == "Helper"  # the display name
    assert direct["with"]["username"] == "helper" and direct["unread"] == 0
    again = helper.post("/api/v1/chat/direct", {"username": "asker"})
    assert again.status_code == 200 and again.get_json()["id"] == direct["id"]
    for n in range(3):
        assert post(asker, room, f"group {n}").status_code == 201
    assert post(asker, direct["id"], "just you").status_code == 201
    listing = helper.get("/api/v1/chat/rooms").get_json()
    assert listing["total"] == 3 and listing["page"] == 1
    assert [(r["kind"], r["name"], r["group"], r["unread"]) for r in listing["items"]] == [
        ("group", "Sahel", "sahel", 0), ("group", "West Africa", "west-africa", 3),
        ("direct", "Asker", None, 1)]
    mine = asker.get("/api/v1/chat/rooms").get_json()["items"]
    assert {r["id"]: r["unread"] for r in mine} == {room: 0, direct["id"]: 0}
    paged = helper.get("/api/v1/chat/rooms?per_page=1&page=3").get_json()
    assert [r["id"] for r in paged["items"]] == [direct["id"]]
    assert helper.get("/api/v1/chat/rooms?per_page=500").status_code == 422


def test_direct_rooms_refuse_yourself_unknown_people_and_bad_bodies(client_for, people):
    asker = client_for("asker")
    assert asker.post("/api/v1/chat/direct", {"username": "asker"}).status_code == 422
    assert asker.post("/api/v1/chat/direct", {"username": "nobody"}).status_code == 404
    assert asker.post("/api/v1/chat/direct", {"username": 5}).status_code == 404
    assert asker.post("/api/v1/chat/direct", {}).status_code == 422
    assert asker.post("/api/v1/chat/direct", {"username": "helper", "x": 1}).status_code == 422


def test_posting_over_the_api_broadcasts_like_the_socket_event(app, client_for, people, room,
                                                               login_socket):
    listener = login_socket("helper")
    assert listener.emit("join", {"room": room}, namespace="/chat", callback=True)["ok"]
    listener.get_received("/chat")
    asker = client_for("asker")
    created = post(asker, room, "From a *bot*", client_id="bot-1")
    assert created.status_code == 201
    message = created.get_json()
    assert message["room"] == room and message["body_html"] == "<p>From a <em>bot</em></p>"
    assert message["body"] == "From a *bot*" and message["client_id"] == "bot-1"
    events = listener.get_received("/chat")
    assert [(e["name"], e["args"][0]["id"]) for e in events] == [("chat_message", message["id"])]
    resent = post(asker, room, "From a *bot*", client_id="bot-1")
    assert resent.status_code == 200 and resent.get_json()["id"] == message["id"]
    assert listener.get_received("/chat") == []
    generated = post(asker, room, "No client id")
    assert generated.status_code == 201 and generated.get_json()["client_id"]
    with app.app_context():
        assert db.session.query(ChatMessage).count() == 2


def test_posting_validates_and_checks_membership(app, client_for, people, room):
    outsider, asker = client_for("outsider"), client_for("asker")
    assert post(outsider, room, "let me in").status_code == 403
    assert post(asker, room + 100, "where?").status_code == 404
    too_long = post(asker, room, "z" * 4001)
    assert too_long.status_code == 422 and "body" in too_long.get_json()["error"]["fields"]
    assert post(asker, room, "z" * 4000).status_code == 201
    assert post(asker, room, "", client_id="x").status_code == 422
    assert post(asker, room, "fine", client_id="c" * 65).status_code == 422
    assert asker.post(f"/api/v1/chat/rooms/{room}/messages", {"text": "x"}).status_code == 422
    assert asker.post(f"/api/v1/chat/rooms/{room}/messages", [1]).status_code == 400


def test_the_eleventh_post_in_ten_seconds_is_429(client_for, people, room):
    asker = client_for("asker")
    for n in range(10):
        assert post(asker, room, f"n{n}").status_code == 201
    limited = post(asker, room, "one more")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"]["code"] == "rate_limited"


def test_history_pages_by_message_id(client_for, people, room):
    asker = client_for("asker")
    ids = [post(asker, room, f"h{n}", client_id=f"h{n}").get_json()["id"] for n in range(7)]
    helper = client_for("helper")
    base = f"/api/v1/chat/rooms/{room}/messages"
    latest = helper.get(f"{base}?limit=3").get_json()
    assert [m["id"] for m in latest["items"]] == ids[-3:] and latest["has_more"] is True
    assert all("body" not in m for m in latest["items"])  # not the helper's messages
    older = helper.get(f"{base}?before={ids[4]}&limit=3").get_json()
    assert [m["id"] for m in older["items"]] == ids[1:4] and older["has_more"] is True
    after = helper.get(f"{base}?after={ids[4]}").get_json()
    assert [m["id"] for m in after["items"]] == ids[5:] and after["has_more"] is False
    everything = helper.get(base).get_json()
    assert [m["id"] for m in everything["items"]] == ids and everything["has_more"] is False
    for query in ("before=x", "after=-1", "limit=0", "limit=101", "before=99999999999"):
        response = helper.get(f"{base}?{query}")
        assert response.status_code == 422, query
    assert client_for("outsider").get(base).status_code == 403
    assert helper.get("/api/v1/chat/rooms/999999/messages").status_code == 404


def test_promotion_makes_a_question_with_answers_credited_to_their_authors(
        app, client_for, people, room, group, make_question, make_post):
    asker, helper, peer = client_for("asker"), client_for("helper"), client_for("peer")
    asked = post(asker, room, "How do you avoid implant stock-outs?").get_json()["id"]
    first = post(helper, room, "Order a quarter ahead.").get_json()["id"]
    post(peer, room, "lol")
    second = post(peer, room, "Share stock between districts.").get_json()["id"]
    # Recent identical answers would trip the duplicate check of ordinary posting.
    other = make_question(people["peer"], group, title="Another question about stock")
    make_post(people["helper"], question_id=other, body="Order a quarter ahead.")
    promote = f"/api/v1/chat/rooms/{room}/promote"
    payload = {"question_message_id": asked, "answer_message_ids": [first, second],
               "title": TITLE, "tags": ["implants", "stock-outs"]}
    assert peer.post(promote, payload).status_code == 403
    created = asker.post(promote, payload)
    assert created.status_code == 201, created.get_json()
    question = created.get_json()
    assert created.headers["Location"] == f"/api/v1/questions/{question['id']}"
    assert question["author"]["username"] == "asker" and question["group"] == group
    assert question["tags"] == ["implants", "stock-outs"]
    assert "From the chat of West Africa on" in question["body_html"]
    thread = asker.get(f"/api/v1/questions/{question['id']}").get_json()
    assert sorted((a["author"]["username"], a["body_html"]) for a in thread["answers"]) == [
        ("helper", "<p>Order a quarter ahead.</p>"),
        ("peer", "<p>Share stock between districts.</p>")]
    history = asker.get(f"/api/v1/chat/rooms/{room}/messages").get_json()["items"]
    assert {m["id"]: m["promoted_question_id"] for m in history} == {
        asked: question["id"], first: question["id"], second: question["id"],
        history[2]["id"]: None}
    again = asker.post(promote, payload)
    assert again.status_code == 409


def test_moderators_promote_others_questions(client_for, people, room):
    asker, helper, mod = client_for("asker"), client_for("helper"), client_for("mod")
    asked = post(asker, room, "Is DMPA-SC self-injection allowed here?").get_json()["id"]
    answer = post(helper, room, "Yes, since last year.").get_json()["id"]
    response = mod.post(f"/api/v1/chat/rooms/{room}/promote",
                        {"question_message_id": asked, "answer_message_ids": [answer],
                         "title": "Is DMPA-SC self-injection allowed here?",
                         "tags": ["dmpa-sc"]})
    assert response.status_code == 201
    assert response.get_json()["author"]["username"] == "asker"


@pytest.mark.parametrize(("payload", "status"), [
    ({"answer_message_ids": [], "title": TITLE, "tags": ["x"]}, 422),
    ({"question_message_id": "1", "title": TITLE, "tags": ["x"]}, 422),
    ({"question_message_id": 1, "answer_message_ids": "2", "title": TITLE, "tags": ["x"]},
     422),
    ({"question_message_id": 1, "title": "short", "tags": ["x"]}, 422),
    ({"question_message_id": 1, "title": TITLE, "tags": ["x"], "extra": True}, 422),
    ({"question_message_id": 999, "title": TITLE, "tags": ["x"]}, 422),
])
def test_promotion_validates_its_body(client_for, people, room, payload, status):
    asker = client_for("asker")
    post(asker, room, "A question?")
    response = asker.post(f"/api/v1/chat/rooms/{room}/promote", payload)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid"


def test_direct_rooms_are_never_promoted(client_for, people):
    asker = client_for("asker")
    direct = asker.post("/api/v1/chat/direct", {"username": "helper"}).get_json()["id"]
    asked = post(asker, direct, "A private question?").get_json()["id"]
    response = asker.post(f"/api/v1/chat/rooms/{direct}/promote",
                          {"question_message_id": asked, "title": TITLE, "tags": ["x"]})
    assert response.status_code == 422
    assert client_for("peer").post(f"/api/v1/chat/rooms/{direct}/promote",
                                   {"question_message_id": asked, "title": TITLE,
                                    "tags": ["x"]}).status_code == 404


def test_openapi_describes_the_chat_routes(anon_client):
    spec = anon_client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/chat/rooms", "/api/v1/chat/rooms/{id}/messages",
                 "/api/v1/chat/direct", "/api/v1/chat/rooms/{id}/promote"):
        assert path in spec["paths"]
    assert {"ChatRoom", "ChatMessage", "ChatHistory"} <= set(spec["components"]["schemas"])


@pytest.fixture
def login_socket(app):
    """A /chat socket of a user connected with an API token."""
    opened = []

    def connect(username):
        token = ApiClient(app.test_client()).login(username, PASSWORD)
        client = socketio.test_client(app, namespace="/chat", auth={"token": token})
        assert client.is_connected("/chat")
        opened.append(client)
        return client

    yield connect
    for client in opened:
        if client.is_connected("/chat"):
            client.disconnect(namespace="/chat")
