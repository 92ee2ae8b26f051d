"""Site moderators take part in public groups' chat rooms openly (issue 14): they enter
without joining the group, and everyone in the room sees them online marked as site
moderators; a private group's room stays unknown to them; live-added messages carry the
Flag link, and the Hide link for the room's moderators; a hidden message arrives as a
placeholder without its text.

Budget: about 5 s per pass.
"""

import pytest

from forum.extensions import db, socketio
from forum.models import User
from forum.services import chat, moderation

CHAT = "/chat"


@pytest.fixture
def sockets(app, login):
    """/chat test clients of logged-in pages, by username."""
    opened = []

    def connect(username):
        page = login(username)
        page.get("/")
        client = socketio.test_client(app, namespace=CHAT, flask_test_client=page.client,
                                      auth={"csrf": page.last_csrf})
        assert client.is_connected(CHAT)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        if client.is_connected(CHAT):
            client.disconnect(namespace=CHAT)


def events(client, name):
    return [e["args"][0] for e in client.get_received(CHAT) if e["name"] == name]


def test_a_site_moderator_enters_a_public_room_openly_marked_in_presence(
        app, people, room, sockets):
    asker = sockets("asker")
    assert asker.emit("join", {"room": room}, namespace=CHAT, callback=True)["ok"] is True
    events(asker, "presence")
    # `admin` is a site admin and not a member of west-africa.
    admin = sockets("admin")
    ack = admin.emit("join", {"room": room}, namespace=CHAT, callback=True)
    assert ack["ok"] is True, ack
    seen = events(asker, "presence")
    assert seen[-1] == {"room": room, "online": ["admin", "asker"], "moderators": ["admin"]}
    # A member is never marked, and once the visitor leaves the mark goes too.
    admin.emit("leave", {"room": room}, namespace=CHAT, callback=True)
    assert events(asker, "presence")[-1] == {"room": room, "online": ["asker"]}
    # They take part: a message they send reaches the members.
    admin.emit("join", {"room": room}, namespace=CHAT, callback=True)
    ack = admin.emit("send_message", {"room": room, "body": "Moderator here: welcome.",
                                      "client_id": "c-visit-1"}, namespace=CHAT, callback=True)
    assert ack["ok"] is True, ack
    assert [m["body_html"] for m in events(asker, "chat_message")] \
        == ["<p>Moderator here: welcome.</p>"]


def test_a_plain_outsider_is_still_refused_and_a_private_room_stays_unknown(
        app, people, room, secret_room, sockets, login):
    outsider = sockets("outsider")
    refused = outsider.emit("join", {"room": room}, namespace=CHAT, callback=True)
    assert refused["ok"] is False
    admin = sockets("admin")
    hidden = admin.emit("join", {"room": secret_room}, namespace=CHAT, callback=True)
    assert hidden["ok"] is False and hidden["error"]["code"] == "not_found"
    assert login("admin").get(f"/chat/rooms/{secret_room}").status_code == 404
    assert login("outsider").get(f"/chat/rooms/{room}").status_code == 403


def test_the_room_page_tells_a_visiting_moderator_and_the_group_page_links_the_room(
        app, people, room, login):
    page = login("admin")
    html = page.get(f"/chat/rooms/{room}").get_data(as_text=True)
    assert "as a site moderator, not a member" in html
    assert 'data-moderates="1"' in html
    assert f'/chat/rooms/{room}"' in page.get("/groups/west-africa").get_data(as_text=True)
    member = login("asker").get(f"/chat/rooms/{room}").get_data(as_text=True)
    assert "as a site moderator, not a member" not in member
    assert 'data-moderates="0"' in member


def test_a_hidden_message_reaches_the_room_without_its_text(app, people, room, sockets):
    helper = sockets("helper")
    helper.emit("join", {"room": room}, namespace=CHAT, callback=True)
    with app.app_context():
        asker = db.session.get(User, people["asker"])
        message = chat.send_message(asker, room, "Buy cheap pills here", "c-spam",
                                    system=True)[0]
        mod = db.session.get(User, people["mod"])
        moderation.hide(mod, "chat_message", message.id, "Spam")
    updated = events(helper, "message_updated")
    assert len(updated) == 1
    assert updated[0]["hidden"] is True and updated[0]["body_html"] == ""
    assert updated[0]["author"] is None
    with app.app_context():
        moderation.restore(db.session.get(User, people["mod"]), "chat_message", message.id)
    restored = events(helper, "message_updated")
    assert restored[-1]["hidden"] is False and "cheap pills" in restored[-1]["body_html"]
