"""Nobody outside a room reads its messages, site moderators and admins included (issue 10,
finding 4: a moderator read any DM through /chat/messages/{id}/delete).

A canary word sits in a direct room between two members and in a private group's room; a
site moderator and an admin, neither of them in the room, try every chat read path (pages,
the JSON API, /chat socket events) and its writes: each answers not found, the canary never
shows, and nothing changes.
"""

import pytest
from sqlalchemy import func, select

from forum.extensions import db, socketio
from forum.models import ChatMessage, ChatRoomMember, User
from forum.services import chat
from tests.chat_fixtures import PASSWORD
from tests.helpers import ApiClient

CANARY = "quokkacanary"
CHAT = "/chat"


@pytest.fixture(params=["direct", "private"])
def target(request, app, people, secret_room):
    """(room id, message ids) of a room with the canary: a DM between asker and helper, or
    the private group's room of insider; the last message was edited once."""
    with app.app_context():
        if request.param == "direct":
            asker = db.session.get(User, people["asker"])
            room_id = chat.open_direct(asker, "helper")[0].id
            author = asker
        else:
            room_id = secret_room
            author = db.session.get(User, people["insider"])
        ids = [chat.send_message(author, room_id, f"the {CANARY} plan, part {n}", f"c{n}",
                                 system=True)[0].id for n in range(3)]
        chat.edit_message(author, ids[-1], f"the {CANARY} plan, edited")
    return room_id, ids


@pytest.fixture(params=["mod", "admin"])
def snoop(request, people):
    """A site moderator or an admin, in neither room."""
    return request.param


def state(app):
    """What the snoop could have changed: messages and read positions."""
    with app.app_context():
        return ([(m.id, m.body_source, m.deleted_at) for m in
                 db.session.scalars(select(ChatMessage).order_by(ChatMessage.id))],
                db.session.scalar(select(func.count()).select_from(ChatRoomMember)))


def assert_hidden(response, what):
    body = response.get_data(as_text=True)
    assert response.status_code == 404, (what, response.status_code, body[:500])
    assert CANARY not in body, what


def test_pages_show_outsiders_nothing_of_a_room(app, login, target, snoop):
    room_id, ids = target
    before = state(app)
    page = login(snoop)
    reads = [f"/chat/rooms/{room_id}", f"/chat/rooms/{room_id}?after=0",
             f"/chat/rooms/{room_id}?before={ids[-1] + 1}"]
    for mid in ids:
        reads += [f"/chat/messages/{mid}", f"/chat/messages/{mid}/edit",
                  f"/chat/messages/{mid}/delete", f"/chat/rooms/{room_id}/promote?from={mid}"]
    for path in reads:
        assert_hidden(page.get(path), path)
    for mid in ids:
        assert_hidden(page.post_form(f"/chat/messages/{mid}/delete", {}, page="/chat"),
                      f"delete {mid}")
        assert_hidden(page.post_form(f"/chat/messages/{mid}/edit", {"body": "mine"},
                                     page="/chat"), f"edit {mid}")
        assert_hidden(page.post_form(f"/chat/rooms/{room_id}/read", {"message_id": mid},
                                     page="/chat"), f"read {mid}")
    assert_hidden(page.post_form(f"/chat/rooms/{room_id}/messages",
                                 {"body": "hello", "client_id": "snoop"}, page="/chat"),
                  "post")
    assert_hidden(page.post_form(f"/chat/rooms/{room_id}/promote?from={ids[0]}",
                                 {"title": "A question made of chat", "tags": "x",
                                  "answers": [ids[1]]}, page="/chat"), "promote")
    listing = page.get("/chat")
    assert listing.status_code == 200
    assert CANARY not in listing.get_data(as_text=True)
    assert f'href="/chat/rooms/{room_id}"' not in listing.get_data(as_text=True)
    assert state(app) == before


def test_the_api_shows_outsiders_nothing_of_a_room(app, target, snoop):
    room_id, ids = target
    before = state(app)
    api = ApiClient(app.test_client())
    api.login(snoop, PASSWORD)
    calls = [("GET", f"/api/v1/chat/rooms/{room_id}/messages", None),
             ("GET", f"/api/v1/chat/rooms/{room_id}/messages?after=0&limit=100", None),
             ("GET", f"/api/v1/chat/rooms/{room_id}/messages?before={ids[-1] + 1}", None),
             ("POST", f"/api/v1/chat/rooms/{room_id}/messages", {"body": "hello"}),
             ("POST", f"/api/v1/chat/rooms/{room_id}/promote",
              {"question_message_id": ids[0], "answer_message_ids": [ids[1]],
               "title": "A question made of chat", "tags": ["x"]})]
    for method, path, payload in calls:
        response = api.call(method, path, json=payload)
        assert_hidden(response, (method, path))
        assert response.get_json()["error"]["code"] == "not_found"
    listing = api.get("/api/v1/chat/rooms")
    assert listing.status_code == 200
    assert room_id not in [r["id"] for r in listing.get_json()["items"]]
    assert CANARY not in listing.get_data(as_text=True)
    assert state(app) == before


@pytest.mark.parametrize("credential", ["cookie", "token"])
def test_sockets_show_outsiders_nothing_of_a_room(app, login, target, snoop, credential):
    room_id, ids = target
    before = state(app)
    if credential == "cookie":
        page = login(snoop)
        page.get("/")
        client = socketio.test_client(app, namespace=CHAT, flask_test_client=page.client,
                                      auth={"csrf": page.last_csrf})
    else:
        api = ApiClient(app.test_client())
        client = socketio.test_client(app, namespace=CHAT,
                                      auth={"token": api.login(snoop, PASSWORD)})
    assert client.is_connected(CHAT)
    events = [("join", {"room": room_id}), ("history", {"room": room_id}),
              ("history", {"room": room_id, "after": 0}), ("typing", {"room": room_id}),
              ("send_message", {"room": room_id, "body": "hello", "client_id": "snoop"})]
    for mid in ids:
        events += [("edit_message", {"id": mid, "body": "mine"}),
                   ("delete_message", {"id": mid}),
                   ("read", {"room": room_id, "message_id": mid})]
    try:
        for event, payload in events:
            ack = client.emit(event, payload, namespace=CHAT, callback=True)
            assert ack["ok"] is False and ack["error"]["code"] == "not_found", (event, ack)
            assert CANARY not in str(ack)
        assert CANARY not in str(client.get_received(CHAT))
    finally:
        client.disconnect(namespace=CHAT)
    assert state(app) == before

