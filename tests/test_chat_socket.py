"""The /chat namespace: who may connect and join, which events each write produces, and how
bad payloads and ended sessions are answered.

Sockets are Flask-SocketIO test clients carrying the cookies of a PageClient logged in
through the login page (with the CSRF token of its pages), or an API token.
"""

import subprocess
import threading
import time
import uuid

import pytest
import requests
import socketio as socketio_client

from forum.extensions import db, socketio
from forum.models import ChatMessage, Group, User
from forum.services import chat
from forum.services.accounts import end_session
from forum.services.groups import leave_group
from tests.chat_fixtures import PASSWORD
from tests.helpers import ApiClient, drop_redis_keys, redis_reachable
from tests.servers import ROOT, VENV_BIN, ServerProcess

CHAT = "/chat"
CANARY = "wombatcanary"


@pytest.fixture
def sockets(app, login):
    """Open /chat test clients: for a username (its own logged-in page), a PageClient, or
    with explicit `auth`."""
    opened = []

    def connect(who=None, *, auth=None, expect=True):
        page = login(who) if isinstance(who, str) else who
        if page is not None and auth is None:
            page.get("/")
            auth = {"csrf": page.last_csrf}
        client = socketio.test_client(app, namespace=CHAT,
                                      flask_test_client=page.client if page else None,
                                      auth=auth)
        assert client.is_connected(CHAT) is expect
        client.page = page
        opened.append(client)
        return client

    yield connect
    for client in opened:
        if client.is_connected(CHAT):
            client.disconnect(namespace=CHAT)


def call(client, event, payload=None):
    if payload is None:
        return client.emit(event, namespace=CHAT, callback=True)
    return client.emit(event, payload, namespace=CHAT, callback=True)


def received(client, name=None):
    """The events a client got since the last call, as (name, payload) pairs."""
    events = [(e["name"], e["args"][0] if e["args"] else None)
              for e in client.get_received(CHAT)]
    return [e for e in events if name is None or e[0] == name]


def joined(client, room_id):
    ack = call(client, "join", {"room": room_id})
    assert ack["ok"] is True, ack
    received(client)  # drop the presence events
    return ack


def message_count(app):
    with app.app_context():
        return db.session.query(ChatMessage).count()


# -- connecting -------------------------------------------------------------------------


def test_the_second_app_of_a_process_still_has_the_chat_handlers(make_app):
    make_app()
    second = make_app()
    handlers = second.extensions["socketio"].server.handlers[CHAT]
    assert {"connect", "join", "send_message", "history", "edit_message", "delete_message",
            "read", "typing", "leave", "disconnect"} <= set(handlers)


def test_anonymous_sockets_are_refused(sockets, anon_client, people):
    sockets(None, auth=None, expect=False)
    anon_client.get("/")
    sockets(anon_client, expect=False)  # a CSRF token but no login session


@pytest.mark.parametrize("auth", [{}, {"csrf": "not-the-token"}, {"csrf": 5}, {"csrf": ""},
                                  {"csrf": "x" * 10_000}, "csrf", [1], {"token": "nope"}])
def test_bad_credentials_are_refused(sockets, login, people, auth):
    sockets(login("asker"), auth=auth, expect=False)


def test_a_csrf_token_of_another_browser_is_refused(sockets, login, people):
    other = login("helper")
    other.get("/")
    sockets(login("asker"), auth={"csrf": other.last_csrf}, expect=False)


def test_api_tokens_connect_without_a_cookie(app, sockets, people, room):
    api = ApiClient(app.test_client())
    token = api.login("helper", PASSWORD)
    client = sockets(None, auth={"token": token})
    ack = call(client, "join", {"room": room})
    assert ack["ok"] is True
    revoked = api.delete("/api/v1/tokens/current")
    assert revoked.status_code == 204
    # Revoking the token disconnects its sockets at once.
    assert not client.is_connected(CHAT)
    assert message_count(app) == 0


# -- joining ----------------------------------------------------------------------------


def test_join_answers_the_latest_messages_oldest_first(app, sockets, people, room):
    with app.app_context():
        user = db.session.get(User, people["asker"])
        ids = [chat.send_message(user, room, f"m{n}", f"c{n}", system=True)[0].id
               for n in range(55)]
    ack = call(sockets("helper"), "join", {"room": room})
    assert ack["ok"] is True and ack["has_more"] is True
    assert [m["id"] for m in ack["messages"]] == ids[-50:]
    first = ack["messages"][0]
    assert first["room"] == room and first["author"]["username"] == "asker"
    assert set(first) >= {"id", "room", "author", "body_html", "client_id", "created_at",
                          "edited_at", "deleted"}


def test_only_members_join_and_private_rooms_stay_private(app, sockets, people, room,
                                                          secret_room):
    outsider = sockets("outsider")
    assert call(outsider, "join", {"room": secret_room})["error"]["code"] == "not_found"
    assert call(outsider, "join", {"room": room})["error"]["code"] == "forbidden"
    assert call(outsider, "join", {"room": room + secret_room + 100})["error"]["code"] == \
        "not_found"
    insider = sockets("insider")
    joined(insider, secret_room)
    ack = call(insider, "send_message", {"room": secret_room, "body": f"the {CANARY} word",
                                         "client_id": "s1"})
    assert ack["ok"] is True
    assert call(outsider, "history", {"room": secret_room})["ok"] is False
    everything = str(outsider.get_received(CHAT))
    assert CANARY not in everything
    assert [name for name, _payload in received(insider)] == ["chat_message"]


def test_presence_follows_joins_leaves_and_disconnects(sockets, people, room):
    asker, helper = sockets("asker"), sockets("helper")
    call(asker, "join", {"room": room})
    assert received(asker, "presence") == [("presence", {"room": room, "online": ["asker"]})]
    call(helper, "join", {"room": room})
    expected = ("presence", {"room": room, "online": ["asker", "helper"]})
    assert received(asker, "presence") == [expected]
    assert received(helper, "presence") == [expected]
    assert call(helper, "leave", {"room": room}) == {"ok": True}
    assert received(asker, "presence") == [("presence", {"room": room, "online": ["asker"]})]
    assert received(helper) == []
    call(helper, "join", {"room": room})
    received(asker)
    helper.disconnect(namespace=CHAT)
    assert received(asker, "presence") == [("presence", {"room": room, "online": ["asker"]})]


def test_a_burst_of_joins_sends_presence_at_once_then_once_when_its_window_closes(
        app, sockets, people, room):
    app.config["CHAT_PRESENCE_SECONDS"] = 1.0
    clients = [sockets(name) for name in ("asker", "helper", "peer", "mod")]
    for client in clients:
        call(client, "join", {"room": room})
    # The first join went out at once; the three after it wait for the window to close.
    assert received(clients[0], "presence") == [("presence", {"room": room,
                                                               "online": ["asker"]})]
    everyone = ("presence", {"room": room, "online": ["asker", "helper", "mod", "peer"]})
    deadline = time.monotonic() + 5
    got = []
    while time.monotonic() < deadline and not got:
        time.sleep(0.05)
        got = received(clients[0], "presence")
    assert got == [everyone]
    for client in clients[1:]:
        assert received(client, "presence") == [everyone]
    # A quiet window sends nothing more; the next change goes out at once again.
    time.sleep(2.2)
    assert received(clients[0], "presence") == []
    assert call(clients[3], "leave", {"room": room}) == {"ok": True}
    assert received(clients[0], "presence") == [
        ("presence", {"room": room, "online": ["asker", "helper", "peer"]})]
    # Close the window this test opened before the next test's room 1 exists: its closing
    # goes through the process's one Socket.IO server, and would reach that room.
    for client in clients:
        client.disconnect(namespace=CHAT)
    time.sleep(1.5)


# -- sending ----------------------------------------------------------------------------


def test_a_message_is_acked_after_commit_and_reaches_each_member_once(app, sockets, people,
                                                                     room):
    asker, helper, helper_tab, peer = (sockets("asker"), sockets("helper"), sockets("helper"),
                                       sockets("peer"))
    outsider = sockets("outsider")
    for client in (asker, helper, helper_tab):
        joined(client, room)
    for client in (asker, helper, helper_tab):
        received(client)  # presence of the later joins
    ack = call(asker, "send_message", {"room": room, "body": "Order **early**",
                                       "client_id": "m-1"})
    assert ack["ok"] is True
    message = ack["message"]
    assert message["body_html"] == "<p>Order <strong>early</strong></p>"
    assert message["body"] == "Order **early**"  # the author may edit it
    with app.app_context():
        assert db.session.get(ChatMessage, message["id"]) is not None  # stored before the ack
    for client in (asker, helper, helper_tab):
        events = received(client)
        assert [name for name, _payload in events] == ["chat_message"]
        payload = events[0][1]
        assert payload["id"] == message["id"] and payload["client_id"] == "m-1"
        assert "body" not in payload  # broadcasts never carry the source
    assert received(peer) == []  # a member who has not joined on this socket
    assert received(outsider) == []


def test_a_resent_client_id_is_stored_once_broadcast_once_and_acks_the_original(
        app, sockets, people, room):
    asker, helper = sockets("asker"), sockets("helper")
    joined(asker, room)
    joined(helper, room)
    payload = {"room": room, "body": "Only once", "client_id": "retry-7"}
    first = call(asker, "send_message", payload)
    second = call(asker, "send_message", payload)
    assert first["ok"] and second == first
    assert message_count(app) == 1
    assert len(received(helper, "chat_message")) == 1
    assert len(received(asker, "chat_message")) == 1


def test_4000_characters_pass_and_4001_do_not(app, sockets, people, room):
    asker = sockets("asker")
    joined(asker, room)
    ok = call(asker, "send_message", {"room": room, "body": "a" * 4000, "client_id": "long"})
    assert ok["ok"] is True
    too_long = call(asker, "send_message", {"room": room, "body": "a" * 4001,
                                            "client_id": "longer"})
    assert too_long["error"]["code"] == "invalid" and "body" in too_long["error"]["fields"]
    assert message_count(app) == 1


def test_the_eleventh_message_in_ten_seconds_is_rate_limited(app, sockets, people, room):
    asker = sockets("asker")
    joined(asker, room)
    for n in range(10):
        assert call(asker, "send_message", {"room": room, "body": f"n{n}",
                                            "client_id": f"r{n}"})["ok"]
    ack = call(asker, "send_message", {"room": room, "body": "more", "client_id": "r10"})
    assert ack["error"]["code"] == "rate_limited" and ack["error"]["retry_after"] >= 1
    assert message_count(app) == 10
    # A resend of a stored message still acks the original.
    assert call(asker, "send_message", {"room": room, "body": "n0", "client_id": "r0"})["ok"]


# -- history, edits, deletes, reads, typing --------------------------------------------


def test_history_pages_before_and_after(app, sockets, people, room):
    asker = sockets("asker")
    joined(asker, room)
    ids = [call(asker, "send_message", {"room": room, "body": f"h{n}",
                                        "client_id": f"h{n}"})["message"]["id"]
           for n in range(6)]
    older = call(asker, "history", {"room": room, "before": ids[3]})
    assert [m["id"] for m in older["messages"]] == ids[:3] and older["has_more"] is False
    gap = call(asker, "history", {"room": room, "after": ids[1], "limit": 2})
    assert [m["id"] for m in gap["messages"]] == ids[2:4] and gap["has_more"] is True
    latest = call(asker, "history", {"room": room, "limit": 2})
    assert [m["id"] for m in latest["messages"]] == ids[4:] and latest["has_more"] is True


def test_edits_and_deletes_reach_the_room(app, sockets, people, room):
    asker, helper, mod = sockets("asker"), sockets("helper"), sockets("mod")
    for client in (asker, helper, mod):
        joined(client, room)
    mine = call(asker, "send_message", {"room": room, "body": "typo", "client_id": "e1"})
    theirs = call(helper, "send_message", {"room": room, "body": "spam", "client_id": "e2"})
    for client in (asker, helper, mod):
        received(client)
    edited = call(asker, "edit_message", {"id": mine["message"]["id"], "body": "fixed"})
    assert edited["ok"] and edited["message"]["edited_at"] is not None
    for client in (asker, helper, mod):
        [(name, payload)] = received(client)
        assert name == "message_updated" and payload["body_html"] == "<p>fixed</p>"
    refused = call(helper, "edit_message", {"id": mine["message"]["id"], "body": "mine now"})
    assert refused["error"]["code"] == "forbidden"
    refused = call(helper, "delete_message", {"id": mine["message"]["id"]})
    assert refused["error"]["code"] == "forbidden"
    deleted = call(mod, "delete_message", {"id": theirs["message"]["id"]})
    assert deleted["ok"] and deleted["message"]["deleted"] is True
    for client in (asker, helper, mod):
        events = received(client)
        assert len(events) == 1, events
        [(name, payload)] = events
        assert name == "message_updated" and payload["deleted"] is True
        assert payload["body_html"] == "" and payload["author"] is None
    assert call(asker, "delete_message", {"id": mine["message"]["id"]})["ok"] is True
    with app.app_context():
        assert db.session.get(ChatMessage, mine["message"]["id"]).body_source == "fixed"


def test_typing_reaches_the_others_only(sockets, people, room):
    asker, helper = sockets("asker"), sockets("helper")
    joined(asker, room)
    joined(helper, room)
    received(asker)
    assert call(asker, "typing", {"room": room}) == {"ok": True}
    assert call(asker, "typing", {"room": room}) == {"ok": True}  # within a second: not relayed
    assert received(helper) == [("typing", {"room": room, "username": "asker"})]
    assert received(asker) == []


def test_read_positions_make_the_unread_counts_of_the_api(app, sockets, people, room):
    asker, helper = sockets("asker"), sockets("helper")
    joined(asker, room)
    joined(helper, room)
    ids = [call(asker, "send_message", {"room": room, "body": f"u{n}",
                                        "client_id": f"u{n}"})["message"]["id"]
           for n in range(3)]
    api = ApiClient(app.test_client())
    api.login("helper", PASSWORD)

    def unread():
        return {r["id"]: r["unread"] for r in api.get("/api/v1/chat/rooms").get_json()["items"]}

    assert unread() == {room: 3}
    ack = call(helper, "read", {"room": room, "message_id": ids[1]})
    assert ack == {"ok": True, "room": room, "last_read_message_id": ids[1]}
    assert unread() == {room: 1}


# -- bad payloads ----------------------------------------------------------------------


def test_malformed_events_are_refused_and_the_socket_keeps_working(app, sockets, people, room,
                                                                   secret_room):
    asker, helper = sockets("asker"), sockets("helper")
    huge = "x" * 60_000
    before_join = [
        ("send_message", {"room": room, "body": "early", "client_id": "early"}, "forbidden"),
        ("history", {"room": room}, "forbidden"),
        ("read", {"room": room, "message_id": 1}, "forbidden"),
        ("typing", {"room": room}, "forbidden"),
    ]
    for event, payload, code in before_join:
        ack = call(asker, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, ack)
    joined(asker, room)
    joined(helper, room)
    bad = [
        ("join", None), ("join", {}), ("join", {"room": "1"}), ("join", {"room": None}),
        ("join", {"room": True}), ("join", {"room": 1.5}), ("join", {"room": -3}),
        ("join", {"room": 2**40}), ("join", [room]), ("join", "room"), ("join", 42),
        ("join", {"room": room, "extra": 1}), ("join", {f"k{n}": n for n in range(50)}),
        ("join", {"room": secret_room}), ("join", {"room": 999_999}),
        ("send_message", {"room": room}),
        ("send_message", {"room": room, "body": "x"}),
        ("send_message", {"room": room, "body": 5, "client_id": "b1"}),
        ("send_message", {"room": room, "body": ["x"], "client_id": "b1"}),
        ("send_message", {"room": room, "body": "x", "client_id": 9}),
        ("send_message", {"room": room, "body": "x", "client_id": ""}),
        ("send_message", {"room": room, "body": "x", "client_id": huge}),
        ("send_message", {"room": room, "body": huge, "client_id": "b2"}),
        ("send_message", {"room": room, "body": "   ", "client_id": "b3"}),
        ("send_message", {"room": str(room), "body": "x", "client_id": "b4"}),
        ("send_message", {"room": secret_room, "body": "x", "client_id": "b5"}),
        ("send_message", {"room": 999_999, "body": "x", "client_id": "b6"}),
        ("send_message", {"room": room, "body": {"$gt": ""}, "client_id": "b7"}),
        ("history", {"room": room, "before": "5"}), ("history", {"room": room, "after": -1}),
        ("history", {"room": room, "limit": 1000}), ("history", {"room": room, "limit": "9"}),
        ("history", {"room": secret_room}), ("history", {"room": room, "since": 1}),
        ("edit_message", {"id": "1", "body": "x"}), ("edit_message", {"id": 999_999,
                                                                      "body": "x"}),
        ("edit_message", {"id": 1}), ("delete_message", {}), ("delete_message", {"id": None}),
        ("delete_message", {"id": 999_999}),
        ("read", {"room": room}), ("read", {"room": room, "message_id": 999_999}),
        ("read", {"room": room, "message_id": huge}),
        ("typing", {"room": secret_room}), ("typing", None),
        ("leave", {"room": "x"}),
    ]
    for event, payload in bad:
        ack = call(asker, event, payload)
        assert isinstance(ack, dict) and ack["ok"] is False, (event, payload, ack)
        error = ack["error"]
        assert error["code"] in {"invalid", "not_found", "forbidden"}, (event, payload, ack)
        assert isinstance(error["message"], str) and error["message"]
        assert len(str(ack)) < 2000
    assert asker.is_connected(CHAT)
    assert message_count(app) == 0
    assert received(helper) == []
    ack = call(asker, "send_message", {"room": room, "body": "all good", "client_id": "ok"})
    assert ack["ok"] is True
    assert [name for name, _payload in received(helper)] == ["chat_message"]


# -- ended sessions ---------------------------------------------------------------------


def test_after_logout_the_next_event_is_refused_and_the_socket_dropped(app, sockets, login,
                                                                       people, room):
    page = login("asker")
    asker = sockets(page)
    joined(asker, room)
    other_tab = sockets(page)  # the same login session in another tab
    joined(other_tab, room)
    page.logout()
    # Logout disconnects every socket of that login session at once (both tabs).
    assert not asker.is_connected(CHAT) and not other_tab.is_connected(CHAT)
    assert message_count(app) == 0
    # Reconnecting with the old cookie and token is refused too.
    sockets(page, auth={"csrf": page.last_csrf}, expect=False)


def test_ending_a_session_disconnects_its_sockets_and_only_those(app, sockets, login, people,
                                                                room):
    page, elsewhere = login("asker"), login("asker")
    tab, other_browser, helper = sockets(page), sockets(elsewhere), sockets("helper")
    for client in (tab, other_browser, helper):
        joined(client, room)
    with page.client.session_transaction() as cookie_session:
        token = cookie_session["sid"]
    with app.test_request_context("/"):
        end_session(token)  # disconnects the session's sockets itself
        assert chat.end_sockets_for_session(token) == 0  # nothing left to end
    assert not tab.is_connected(CHAT)
    assert other_browser.is_connected(CHAT) and helper.is_connected(CHAT)
    assert received(helper, "presence")[-1] == ("presence", {"room": room,
                                                             "online": ["asker", "helper"]})
    with app.test_request_context("/"):
        assert chat.end_sockets_for_user(people["asker"]) == 1
    assert not other_browser.is_connected(CHAT) and helper.is_connected(CHAT)
    assert received(helper, "presence")[-1] == ("presence", {"room": room,
                                                             "online": ["helper"]})


def test_leaving_a_group_stops_the_broadcasts(app, sockets, people, room, group):
    asker, peer = sockets("asker"), sockets("peer")
    joined(asker, room)
    joined(peer, room)
    with app.test_request_context("/"):
        user = db.session.get(User, people["peer"])
        leave_group(user, group)
        chat.end_room_access(user.id, user_group_id(group))
    received(asker)
    call(asker, "send_message", {"room": room, "body": f"after {CANARY}", "client_id": "x"})
    assert CANARY not in str(peer.get_received(CHAT))
    ack = call(peer, "send_message", {"room": room, "body": "me?", "client_id": "y"})
    assert ack["error"]["code"] == "forbidden"


def user_group_id(slug):
    return db.session.scalar(db.select(Group.id).where(Group.slug == slug))


# -- several processes sharing a message queue -----------------------------------------


@pytest.mark.server
def test_with_a_message_queue_events_and_disconnects_cross_processes(tmp_path):
    """Two real servers share Redis: a post on one reaches a socket on the other, presence
    lists the people of both, and ending a user's sockets from a third process (here a
    command-line process) disconnects the socket wherever it lives."""
    if not redis_reachable():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    run = uuid.uuid4().hex[:8]
    env = {"FORUM_REDIS_URL": "redis://127.0.0.1:6379/0",
           "FORUM_REDIS_PREFIX": f"tacit-test-chat-{run}",
           "FORUM_SOCKETIO_CHANNEL": f"tacit-test-chat-{run}-socketio"}
    first = ServerProcess(tmp_path, kind="serve", env=env)
    second = ServerProcess(tmp_path, kind="dev", env=env, database_url=first.database_url)
    with first, second:
        for name in ("asker", "helper"):
            first.flask("users", "create", name, "--email", f"{name}@example.org",
                        "--password", PASSWORD)
        first.flask("groups", "create", "west-africa", "--name", "West Africa",
                    "--region", "West Africa")
        for name in ("asker", "helper"):
            first.flask("groups", "add-member", "west-africa", name)

        def token(server, name):
            response = requests.post(server.url + "/api/v1/tokens",
                                     json={"login": name, "password": PASSWORD}, timeout=10)
            assert response.status_code == 201, response.text
            return response.json()["token"], response.json()["user"]["id"]

        asker_token, _asker_id = token(second, "asker")
        helper_token, helper_id = token(first, "helper")
        rooms = requests.get(second.url + "/api/v1/chat/rooms", timeout=10,
                             headers={"Authorization": f"Bearer {asker_token}"}).json()
        room_id = rooms["items"][0]["id"]

        got: list = []
        gone = threading.Event()
        client = socketio_client.Client(reconnection=False)
        client.on("chat_message", lambda data: got.append(("chat_message", data)),
                  namespace=CHAT)
        client.on("presence", lambda data: got.append(("presence", data)), namespace=CHAT)
        client.on("disconnect", lambda *args: gone.set(), namespace=CHAT)
        other = socketio_client.Client(reconnection=False)
        try:
            client.connect(first.url, namespaces=[CHAT], auth={"token": helper_token},
                           transports=["websocket"], wait_timeout=10)
            ack = client.call("join", {"room": room_id}, namespace=CHAT, timeout=10)
            assert ack["ok"] is True
            other.connect(second.url, namespaces=[CHAT], auth={"token": asker_token},
                          transports=["websocket"], wait_timeout=10)
            assert other.call("join", {"room": room_id}, namespace=CHAT, timeout=10)["ok"]

            def wait_for(predicate, timeout=10):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    if predicate():
                        return True
                    time.sleep(0.05)
                return False

            assert wait_for(lambda: ("presence", {"room": room_id,
                                                  "online": ["asker", "helper"]}) in got), got
            posted = requests.post(second.url + f"/api/v1/chat/rooms/{room_id}/messages",
                                   json={"body": "across processes", "client_id": "x-1"},
                                   headers={"Authorization": f"Bearer {asker_token}"},
                                   timeout=10)
            assert posted.status_code == 201
            assert wait_for(lambda: any(name == "chat_message" for name, _d in got)), got
            assert [d["id"] for name, d in got if name == "chat_message"] == \
                [posted.json()["id"]]
            # A third process (the command line) ends the helper's sockets.
            code = ("from wsgi import app\nfrom forum.services import chat\n"
                    f"with app.app_context():\n    print(chat.end_sockets_for_user({helper_id}))\n")
            done = subprocess.run([str(VENV_BIN / "python"), "-c", code], cwd=ROOT,
                                  env=second.env, capture_output=True, text=True, timeout=60,
                                  check=True)
            assert done.stdout.strip() == "1"
            assert gone.wait(10), "the socket on the other process was not disconnected"
            assert other.connected
        finally:
            for sio in (client, other):
                if sio.connected:
                    sio.disconnect()
            drop_redis_keys(env["FORUM_REDIS_PREFIX"] + ":")
