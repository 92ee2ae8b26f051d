"""Caps on live sockets (security issue 10, finding 6): real servers, real python-socketio
clients. At most SOCKETS_PER_USER sockets per signed-in user and SOCKETS_PER_IP anonymous
sockets per address, /chat and /live together; the next connect is refused with
`too_many_connections`, and a disconnect frees its place. With Redis, the sockets of every
process count together, and the places held by a process that died are freed once its
heartbeat lapses.
"""

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

from tests.helpers import drop_redis_keys, redis_reachable
from tests.servers import ServerProcess

# Their own SQLite files, whatever the pass (conftest.py, "balanced").
pytestmark = [pytest.mark.server, pytest.mark.balanced]

PASSWORD = "correct horse battery"
REDIS_URL = "redis://127.0.0.1:6379/0"
CAPS = {"FORUM_SOCKETS_PER_USER": "3", "FORUM_SOCKETS_PER_IP": "5"}
WAIT = 10


class Socket:
    """One python-socketio client on one namespace; `refusal` holds a refused connect's
    connect_error data."""

    def __init__(self, server, namespace, auth=None):
        self.refusal = None
        self.got_refusal = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("connect_error", self._refused, namespace=namespace)
        try:
            self.sio.connect(server.url, namespaces=[namespace], auth=auth,
                             transports=["websocket"], wait_timeout=WAIT)
        except socketio.exceptions.ConnectionError:
            self.got_refusal.wait(WAIT)
            self.sio.disconnect()

    def _refused(self, data=None):
        self.refusal = data
        self.got_refusal.set()

    @property
    def connected(self) -> bool:
        return self.sio.connected and self.refusal is None

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()

    def close_soon(self) -> threading.Thread:
        """Close in the background: the server frees the place as soon as it reads the
        client's goodbye, while the client waits up to 3 s for the websocket's closing
        handshake."""
        closing = threading.Thread(target=self.close)
        closing.start()
        return closing


@pytest.fixture
def sockets():
    """Open Sockets; all closed after the test."""
    opened = []

    def connect(server, namespace, auth=None):
        socket = Socket(server, namespace, auth)
        opened.append(socket)
        return socket

    yield connect
    for closing in [socket.close_soon() for socket in opened]:
        closing.join()


def token(server, username) -> dict:
    response = requests.post(server.url + "/api/v1/tokens", timeout=10,
                             json={"login": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"token": response.json()["token"]}


def make_user(server, username):
    server.flask("users", "create", username, "--email", f"{username}@example.org",
                 "--password", PASSWORD)


def assert_refused(socket):
    assert not socket.connected
    assert socket.refusal["message"] == "too_many_connections", socket.refusal
    error = socket.refusal["data"]
    assert error["code"] == "too_many_connections" and "close another tab" in error["message"]


def admitted_soon(connect) -> object:
    """Connect until admitted (a place is freed when the server has handled the disconnect,
    a moment after the client sent it)."""
    deadline = time.monotonic() + WAIT
    time.sleep(0.3)
    while True:
        socket = connect()
        if socket.connected or time.monotonic() > deadline:
            return socket
        time.sleep(0.1)


def test_sockets_are_capped_per_user_and_per_address(tmp_path, sockets):
    with ServerProcess(tmp_path, kind="dev", env=CAPS) as server:
        make_user(server, "nurse")
        nurse = token(server, "nurse")
        chat = [sockets(server, "/chat", nurse) for _n in range(3)]
        assert all(socket.connected for socket in chat)
        assert_refused(sockets(server, "/chat", nurse))  # the user's fourth
        # Anonymous /live readers count against their address; signed-in sockets do not
        # (a clinic behind one address is not one reader): 5 anonymous ones fill it.
        live = [sockets(server, "/live") for _n in range(5)]
        assert all(socket.connected for socket in live)
        assert_refused(sockets(server, "/live"))  # the address's sixth anonymous socket
        make_user(server, "midwife")
        assert sockets(server, "/chat", token(server, "midwife")).connected
        # A closed socket frees its place under both caps. (Each refusal costs the client
        # 3 s of waiting for the websocket's closing handshake: the test keeps them few.)
        chat[0].close_soon()
        assert admitted_soon(lambda: sockets(server, "/chat", nurse)).connected
        live[0].close_soon()
        assert admitted_soon(lambda: sockets(server, "/live")).connected


def test_with_redis_every_process_counts_and_a_dead_process_frees_its_places(tmp_path,
                                                                              sockets):
    if not redis_reachable(REDIS_URL):
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("FORUM_REQUIRE_SERVICES=1 but Redis is not reachable at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = f"tacit-test-caps-{uuid.uuid4().hex[:12]}"
    env = {**CAPS, "FORUM_SOCKETS_PER_IP": "50", "FORUM_REDIS_URL": REDIS_URL,
           "FORUM_REDIS_PREFIX": prefix, "FORUM_SOCKETIO_CHANNEL": f"{prefix}-socketio",
           "FORUM_CHAT_ALIVE_SECONDS": "3"}
    a = ServerProcess(tmp_path, kind="dev", env=env)
    b = ServerProcess(tmp_path, kind="dev", env=env, database_url=a.database_url)
    try:
        a.flask("db", "upgrade")
        make_user(a, "nurse")
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(server.start) for server in (a, b)]:
                started.result()
        nurse = token(a, "nurse")
        on_a = [sockets(a, "/chat", nurse) for _n in range(2)]
        on_b = sockets(b, "/chat", nurse)
        assert all(socket.connected for socket in (*on_a, on_b))
        assert_refused(sockets(b, "/chat", nurse))  # 2 on a + 1 on b: full on b too
        a.kill()  # no goodbye: its two places stay in Redis until its heartbeat lapses
        assert_refused(sockets(b, "/chat", nurse))
        assert admitted_soon(lambda: sockets(b, "/chat", nurse)).connected
        assert sockets(b, "/chat", nurse).connected  # both of a's places are free
    finally:
        for server in (a, b):
            server.stop()
        drop_redis_keys(prefix, REDIS_URL)
