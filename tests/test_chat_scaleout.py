"""Scale-out: two real `make serve` processes (gunicorn + gevent) on different ports share one
PostgreSQL database and Redis (Flask-SocketIO's message queue, channel and keys named for this
test run). A python-socketio client on each proves that a message sent on one server reaches
the clients on both exactly once, that history agrees, and that a logout or a password change
made on one server disconnects that session's sockets held on the other.

Runs once, in the PostgreSQL run of `make test` (FORUM_TEST_DB=postgresql): that is the run
that needs PostgreSQL anyway, and where it is checked to be reachable; the SQLite run carries
the browser suite and the JavaScript client (tests/test_chat_node.py). Skipped when Redis is
not reachable at 127.0.0.1:6379, unless FORUM_REQUIRE_SERVICES=1.
"""

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import SimpleNamespace

import psycopg
import pytest
import redis
import requests
import socketio

from config import TestConfig
from forum import create_app
from forum.extensions import db
from forum.models import User
from forum.services import chat
from forum.services.accounts import issue_api_token, register_user
from forum.services.groups import add_member, create_group, join_group
from forum.services.qa import ask_question
from tests.helpers import PG_ADMIN_URL, csrf_from, drop_redis_keys, redis_reachable
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(os.environ.get("FORUM_TEST_DB", "sqlite") != "postgresql",
                       reason="the scale-out test runs once, in the PostgreSQL run "
                              "(FORUM_TEST_DB=postgresql)"),
]

CHAT = "/chat"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much longer passphrase 42"
WAIT = 15  # seconds: the longest any one wait lasts


def wait_until(predicate, timeout: float = WAIT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout}s for {what or predicate}")
        time.sleep(0.05)


# -- the two servers ----------------------------------------------------------------------


def _populate(database_url: str, folder) -> int:
    """asker, helper, peer and bystander in west-africa (through the services); its room id."""
    app = create_app(TestConfig, database_url=database_url, INSTANCE_DIR=str(folder),
                     OUTBOX_DIR=str(folder / "outbox"))
    with app.app_context():
        create_group(None, "west-africa", "West Africa", "West Africa", system=True)
        for name in ("asker", "helper", "peer", "bystander"):
            user = register_user(name, f"{name}@example.org", PASSWORD, system=True)
            join_group(user, "west-africa")
        room = chat.room_for_group(user, "west-africa").id
        db.session.remove()
        db.engine.dispose()
    return room


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Servers `a` and `b` (`make serve`) on one throw-away PostgreSQL database and one Redis,
    with the room of west-africa; the database and the Redis keys go at the end."""
    if not redis_reachable(REDIS_URL):
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("FORUM_REQUIRE_SERVICES=1 but Redis is not reachable at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    run = uuid.uuid4().hex[:12]  # parallel runs (other checkouts, CI) never share a name
    name = f"tacit_scaleout_{run}"
    prefix = f"tacit-test-scaleout-{run}"
    env = {"FORUM_REDIS_URL": REDIS_URL, "FORUM_REDIS_PREFIX": prefix,
           "FORUM_CHAT_ALIVE_SECONDS": "3",  # so a test can outlive a few renewals
           "FORUM_SOCKETIO_CHANNEL": f"{prefix}-socketio"}
    folder = tmp_path_factory.mktemp("scaleout")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    servers = [ServerProcess(folder, kind="serve", database_url=url, env=env)
               for _n in range(2)]
    try:
        servers[0].flask("db", "upgrade")  # once: the two starts then find nothing to do
        with ThreadPoolExecutor(2) as pool:
            starts = [pool.submit(server.start) for server in servers]
            room = _populate(url, folder)  # meanwhile
            for started in starts:
                started.result()
        yield SimpleNamespace(a=servers[0], b=servers[1], room=room, url=url, folder=folder,
                              prefix=prefix)
    finally:
        for server in servers:
            server.stop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        drop_redis_keys(prefix, REDIS_URL)


# -- clients ------------------------------------------------------------------------------


class ChatSocket:
    """A python-socketio client on /chat that records what it receives and when it is
    disconnected."""

    def __init__(self, server, *, auth, cookie: str | None = None):
        self.events: list[tuple[str, dict]] = []
        self.gone = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        for name in ("chat_message", "message_updated", "presence"):
            self.sio.on(name, partial(self._record, name), namespace=CHAT)
        self.sio.on("disconnect", lambda *reason: self.gone.set(), namespace=CHAT)
        self.sio.connect(server.url, namespaces=[CHAT], auth=auth, transports=["websocket"],
                         headers={"Cookie": cookie} if cookie else {}, wait_timeout=10)

    def _record(self, name, payload):
        self.events.append((name, payload))

    def call(self, event, payload):
        return self.sio.call(event, payload, namespace=CHAT, timeout=WAIT)

    def join(self, room):
        ack = self.call("join", {"room": room})
        assert ack["ok"] is True, ack
        return ack

    def presence(self, room) -> list[str] | None:
        """The latest list of people online in the room, or None before any."""
        found = [p["online"] for name, p in self.events if name == "presence" and
                 p["room"] == room]
        return found[-1] if found else None

    def message_ids(self) -> list[int]:
        return [payload["id"] for name, payload in self.events if name == "chat_message"]

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


class Browser:
    """A browser's cookie jar, used on both servers: one login session reaches both."""

    def __init__(self):
        self.http = requests.Session()

    def csrf(self, server, path="/") -> str:
        page = self.http.get(server.url + path, timeout=10)
        assert page.status_code == 200, page.status_code
        return csrf_from(page.text)

    def post_form(self, server, path, data, *, page="/"):
        data = {**data, "csrf_token": self.csrf(server, page)}
        return self.http.post(server.url + path, data=data, allow_redirects=False, timeout=10)

    def login(self, server, username, password=PASSWORD):
        response = self.post_form(server, "/login", {"login": username, "password": password},
                                  page="/login")
        assert response.status_code == 302, response.text[:2000]
        return self

    def cookie(self) -> str:
        return f"tacit_session={self.http.cookies['tacit_session']}"

    def credentials(self, server) -> dict:
        """The cookie and the CSRF token of a page of `server`, as the chat page uses them."""
        return {"auth": {"csrf": self.csrf(server)}, "cookie": self.cookie()}


def api_token(server, username, password=PASSWORD) -> str:
    response = requests.post(server.url + "/api/v1/tokens", timeout=10,
                             json={"login": username, "password": password})
    assert response.status_code == 201, response.text
    return response.json()["token"]


@pytest.fixture
def sockets():
    """Open ChatSockets; all closed after the test."""
    opened = []

    def connect(server, **credentials):
        socket = ChatSocket(server, **credentials)
        opened.append(socket)
        return socket

    yield connect
    for socket in opened:
        socket.close()


@pytest.fixture
def browsers():
    """New Browsers; their kept-alive connections are closed after the test (an unclosed one
    is a ResourceWarning, an error here, whenever the garbage collector finds it)."""
    opened = []

    def make():
        browser = Browser()
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.http.close()


def assert_refused(server, **credentials):
    with pytest.raises(socketio.exceptions.ConnectionError):
        ChatSocket(server, **credentials).close()


def assert_cannot_send(socket, room):
    with pytest.raises(socketio.exceptions.SocketIOError):
        socket.call("send_message", {"room": room, "body": "still here?", "client_id": "late"})


# -- tests --------------------------------------------------------------------------------


def test_a_message_sent_on_one_server_reaches_both_exactly_once_and_history_agrees(
        cluster, sockets, browsers):
    a, b, room = cluster.a, cluster.b, cluster.room
    asker = browsers().login(a, "asker")
    asker_a = sockets(a, **asker.credentials(a))
    asker_b = sockets(b, **asker.credentials(b))  # the same login session, on the other server
    helper_b = sockets(b, auth={"token": api_token(b, "helper")})
    for socket in (asker_a, asker_b, helper_b):
        socket.join(room)
    everyone = (asker_a, asker_b, helper_b)

    first = asker_a.call("send_message", {"room": room, "body": "across **servers**",
                                          "client_id": "x-1"})
    assert first["ok"] is True, first
    # The same message resent through the other server (a phone that reconnected elsewhere):
    # the original is acked, nothing is stored or broadcast again.
    resent = asker_b.call("send_message", {"room": room, "body": "across **servers**",
                                           "client_id": "x-1"})
    assert resent == first
    second = helper_b.call("send_message", {"room": room, "body": "back", "client_id": "h-1"})
    # A last message from server A: any duplicate of the first (sent on A) or broadcast of
    # the resend (on B) would have come before the message that follows it from its server.
    third = asker_a.call("send_message", {"room": room, "body": "fence", "client_id": "x-2"})
    ids = [ack["message"]["id"] for ack in (first, second, third)]
    for socket in everyone:
        wait_until(lambda s=socket: ids[-1] in s.message_ids() and ids[1] in s.message_ids(),
                   what="the messages on every client")
    for socket in everyone:
        assert socket.message_ids() == ids  # each once, in order, on both servers
    [seen_on_b] = [p for name, p in helper_b.events if name == "chat_message" and
                   p["id"] == ids[0]]
    assert seen_on_b["body_html"] == "<p>across <strong>servers</strong></p>"
    assert seen_on_b["author"]["username"] == "asker" and "body" not in seen_on_b

    histories = [socket.call("history", {"room": room}) for socket in (asker_a, helper_b)]
    token = api_token(a, "helper")
    for server in (a, b):
        response = requests.get(f"{server.url}/api/v1/chat/rooms/{room}/messages", timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
        histories.append(response.json())
    listed = [[m["id"] for m in history.get("messages", history.get("items"))]
              for history in histories]
    assert listed[1:] == listed[:-1]  # both sockets and the API of both servers agree
    assert [i for i in listed[0] if i >= ids[0]] == ids


def test_a_logout_on_one_server_disconnects_that_sessions_sockets_on_the_other(
        cluster, sockets, browsers):
    a, b, room = cluster.a, cluster.b, cluster.room
    browser = browsers().login(a, "asker")
    ended = browser.credentials(b)
    on_b, on_a = sockets(b, **ended), sockets(a, **browser.credentials(a))
    other_browser = sockets(b, **browsers().login(b, "asker").credentials(b))
    bystander = sockets(b, auth={"token": api_token(a, "bystander")})
    for socket in (on_b, on_a, other_browser, bystander):
        socket.join(room)

    response = browser.post_form(a, "/logout", {})
    assert response.status_code == 302

    assert on_b.gone.wait(WAIT), "the session's socket on the other server stayed connected"
    assert on_a.gone.wait(WAIT), "the session's socket on the same server stayed connected"
    assert_cannot_send(on_b, room)
    assert_refused(b, **ended)  # its cookie and CSRF token no longer connect either
    # Another login session of the same person, and other people, are untouched.
    for socket in (other_browser, bystander):
        assert not socket.gone.is_set()
        ack = socket.call("history", {"room": room})
        assert ack["ok"] is True and "late" not in {m["client_id"] for m in ack["messages"]}
    sent = other_browser.call("send_message", {"room": room, "body": "still in",
                                               "client_id": "after-logout"})
    assert sent["ok"] is True
    wait_until(lambda: sent["message"]["id"] in bystander.message_ids(), what="a later message")


def test_a_password_change_on_one_server_disconnects_that_accounts_sockets_on_the_other(
        cluster, sockets, browsers):
    a, b, room = cluster.a, cluster.b, cluster.room
    browser = browsers().login(a, "peer")
    ended = browser.credentials(b)
    old_token = api_token(a, "peer")
    cookie_on_b, token_on_b = sockets(b, **ended), sockets(b, auth={"token": old_token})
    cookie_on_a = sockets(a, **browser.credentials(a))
    bystander = sockets(a, auth={"token": api_token(b, "bystander")})
    for socket in (cookie_on_b, token_on_b, cookie_on_a, bystander):
        socket.join(room)

    response = browser.post_form(a, "/account/password", {"current_password": PASSWORD,
                                                          "new_password": NEW_PASSWORD},
                                 page="/account")
    assert response.status_code == 302, response.text[:2000]

    for socket, where in ((cookie_on_b, "the session's socket on the other server"),
                          (token_on_b, "an API token's socket on the other server"),
                          (cookie_on_a, "the session's socket on the same server")):
        assert socket.gone.wait(WAIT), f"{where} stayed connected"
        assert_cannot_send(socket, room)
    assert_refused(b, **ended)
    assert_refused(b, auth={"token": old_token})
    assert not bystander.gone.is_set() and bystander.call("history", {"room": room})["ok"]
    # Each server cleaned up after the sockets it held: nobody but the bystander is online.
    wait_until(lambda: bystander.presence(room) == ["bystander"],
               what="the presence of the room without peer")
    # The browser that changed the password goes on in a fresh session, on either server.
    fresh = sockets(b, **browser.credentials(b))
    assert fresh.join(room)["ok"] is True


def _store_without_broadcast(cluster, username: str, body: str, client_id: str) -> int:
    """Store a message the way a process does that dies between its commit and its broadcast:
    through the service, in this test process, which has no Redis and no sockets, so the
    message reaches nobody and no process records that it went out."""
    app = create_app(TestConfig, database_url=cluster.url, INSTANCE_DIR=str(cluster.folder),
                     OUTBOX_DIR=str(cluster.folder / "outbox"))
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        message, created = chat.send_message(user, cluster.room, body, client_id, system=True)
        assert created
        message_id = message.id
        db.session.remove()
        db.engine.dispose()
    return message_id


def test_a_message_stored_but_never_broadcast_goes_out_once_when_its_sender_resends(
        cluster, sockets):
    """The sender's phone never got its ack (the process died after the commit), reconnects
    to the other server and resends: the clients that stayed connected get the message then,
    once; a second resend broadcasts nothing. (Runs after the password-change test: peer's
    password is not PASSWORD any more.)"""
    a, b, room = cluster.a, cluster.b, cluster.room
    helper_a = sockets(a, auth={"token": api_token(a, "helper")})
    bystander_b = sockets(b, auth={"token": api_token(b, "bystander")})
    asker_b = sockets(b, auth={"token": api_token(b, "asker")})
    for socket in (helper_a, bystander_b, asker_b):
        socket.join(room)
    lost = _store_without_broadcast(cluster, "asker", "stored, then the lights went out",
                                    "crash-1")
    time.sleep(0.5)
    assert lost not in helper_a.message_ids() and lost not in bystander_b.message_ids()

    resent = asker_b.call("send_message", {"room": room, "body": "stored, then the lights "
                                           "went out", "client_id": "crash-1"})
    assert resent["ok"] is True and resent["message"]["id"] == lost
    again = asker_b.call("send_message", {"room": room, "body": "stored, then the lights "
                                          "went out", "client_id": "crash-1"})
    assert again["message"]["id"] == lost
    fence = asker_b.call("send_message", {"room": room, "body": "fence", "client_id": "crash-2"})
    fence_id = fence["message"]["id"]
    for socket in (helper_a, bystander_b, asker_b):
        wait_until(lambda s=socket: fence_id in s.message_ids(), what="the fence everywhere")
        assert socket.message_ids().count(lost) == 1, socket.message_ids()


def test_presence_forgets_the_sockets_of_a_process_that_died_without_a_goodbye(cluster,
                                                                              sockets):
    """A process killed with SIGKILL leaves its presence entries in Redis and stops renewing
    its "alive" key: the next presence of the room leaves those people out and drops the
    entries. (What such a process leaves behind is written here directly: an entry naming a
    process whose "alive" key does not exist.)"""
    a, b, room = cluster.a, cluster.b, cluster.room
    key = f"{cluster.prefix}:chat:online:{room}"
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.hset(key, "sid-of-a-dead-process", "0123456789abcdef ghost")
        helper_a = sockets(a, auth={"token": api_token(a, "helper")})
        helper_a.join(room)
        wait_until(lambda: helper_a.presence(room) is not None, what="a presence event")
        assert helper_a.presence(room) == ["helper"]
        assert client.hget(key, "sid-of-a-dead-process") is None
        bystander_b = sockets(b, auth={"token": api_token(b, "bystander")})
        bystander_b.join(room)  # a live process on the other server stays in
        wait_until(lambda: helper_a.presence(room) == ["bystander", "helper"],
                   what="both live people online")
        # Live processes renew their mark (every second here): after several lifetimes of
        # it, a new presence still lists everyone who is connected.
        time.sleep(4)
        peer_b = sockets(b, auth={"token": api_token(b, "asker")})
        peer_b.join(room)
        wait_until(lambda: helper_a.presence(room) == ["asker", "bystander", "helper"],
                   what="everyone still online after the marks were renewed")
    finally:
        client.close()


# -- /live -----------------------------------------------------------------------------------

LIVE = "/live"
CANARY = "quokkacanary"


class LiveSocket:
    """A python-socketio client on /live (a question page) that records the posts it gets."""

    def __init__(self, server, *, cookie: str | None = None):
        self.events: list[tuple[str, dict]] = []
        self.gone = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        for name in ("post_created", "post_updated"):
            self.sio.on(name, partial(self._record, name), namespace=LIVE)
        self.sio.on("disconnect", lambda *reason: self.gone.set(), namespace=LIVE)
        self.sio.connect(server.url, namespaces=[LIVE], transports=["websocket"],
                         headers={"Cookie": cookie} if cookie else {}, wait_timeout=10)

    def _record(self, name, payload):
        self.events.append((name, payload))

    def watch(self, question_id):
        ack = self.sio.call("watch_question", {"question_id": question_id}, namespace=LIVE,
                            timeout=WAIT)
        assert ack == {"ok": True}, ack

    def post_ids(self) -> list[int]:
        return [payload["post"]["id"] for _name, payload in self.events]

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


def _private_question(cluster) -> SimpleNamespace:
    """chief (an admin); insider, keeper and witness in the private group inner-circle; a
    question there and one in west-africa; API tokens for chief, keeper, witness and helper,
    made through the services of this test process (no login rate limit spent)."""
    app = create_app(TestConfig, database_url=cluster.url, INSTANCE_DIR=str(cluster.folder),
                     OUTBOX_DIR=str(cluster.folder / "outbox"))
    with app.app_context():
        people = {name: register_user(name, f"{name}@example.org", PASSWORD, system=True,
                                      role="admin" if name == "chief" else "member")
                  for name in ("chief", "insider", "keeper", "witness")}
        create_group(None, "inner-circle", "Inner circle", "West Africa", private=True,
                     system=True)
        for name in ("insider", "keeper", "witness"):
            add_member(None, "inner-circle", name, system=True)
        join_group(people["insider"], "west-africa")
        people["helper"] = db.session.scalar(db.select(User).where(User.username == "helper"))
        found = SimpleNamespace(
            secret=ask_question(people["keeper"], title=f"Private stock-outs {CANARY}",
                                body="Members only.", group="inner-circle", tags=["stock"],
                                system=True).id,
            public=ask_question(people["insider"], title="Public stock-outs in the region",
                                body="Everyone may read this.", group="west-africa",
                                tags=["stock"], system=True).id,
            tokens={name: issue_api_token(people[name])[0]
                    for name in ("chief", "keeper", "witness", "helper")})
        db.session.remove()
        db.engine.dispose()
    return found


def test_a_live_reader_removed_from_a_private_group_on_one_server_stops_receiving_on_the_other(
        cluster, browsers):
    a, b = cluster.a, cluster.b
    setup = _private_question(cluster)

    def api(server, who, method, path, json):
        response = requests.request(method, server.url + path, json=json, timeout=10,
                                    headers={"Authorization": f"Bearer {setup.tokens[who]}"})
        assert response.status_code in (200, 201), response.text
        return response.json()

    insider = browsers().login(a, "insider")
    opened = []
    try:
        reader_b = LiveSocket(b, cookie=insider.cookie())  # signed in, on the other server
        keeper_a = LiveSocket(a, cookie=browsers().login(a, "keeper").cookie())
        opened += [reader_b, keeper_a]
        reader_b.watch(setup.secret)
        reader_b.watch(setup.public)
        keeper_a.watch(setup.secret)
        before = api(a, "keeper", "POST", f"/api/v1/questions/{setup.secret}/answers",
                     {"body": f"Before the removal: {CANARY}."})["id"]
        wait_until(lambda: before in reader_b.post_ids(), what="the private answer on B")

        api(a, "chief", "DELETE", "/api/v1/groups/inner-circle/members/insider", None)
        seen = len(reader_b.events)
        after = api(a, "witness", "POST", f"/api/v1/questions/{setup.secret}/answers",
                    {"body": f"After the removal: {CANARY}."})["id"]
        api(a, "chief", "PATCH", f"/api/v1/posts/{before}", {"body": f"Edited: {CANARY}."})
        fence = api(a, "helper", "POST", f"/api/v1/questions/{setup.public}/answers",
                    {"body": "For everyone."})["id"]
        # One message queue, in order: once the public answer reached B, the private ones
        # would have come before it.
        wait_until(lambda: fence in reader_b.post_ids(), what="the public answer on B")
        wait_until(lambda: keeper_a.post_ids()[-2:] == [after, before],
                   what="the private answer and edit for the member who stayed")
        assert reader_b.post_ids()[seen:] == [fence]
        assert CANARY not in str(reader_b.events[seen:])
        assert not reader_b.gone.is_set()  # still reading the public page

        # A logout on A ends that session's /live sockets on B too.
        assert insider.post_form(a, "/logout", {}).status_code == 302
        assert reader_b.gone.wait(WAIT), "the session's /live socket on B stayed connected"
    finally:
        for socket in opened:
            socket.close()
