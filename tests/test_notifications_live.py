"""Notifications pushed live: a real server process (`python wsgi.py`) and real python-socketio
clients on /live. A signed-in socket hears its own notifications and unread counts, nothing
of anyone else's; an anonymous socket hears none; nothing about a private group reaches an
outsider.

Budget: about 10 s (one server start, shared by the module's tests).
"""

import subprocess
import threading

import pytest
import requests
import socketio

from tests.helpers import csrf_from
from tests.servers import ROOT, VENV_BIN, ServerProcess

# Their own SQLite files, whatever the pass (conftest.py, "balanced").
pytestmark = [pytest.mark.server, pytest.mark.balanced]

PASSWORD = "correct horse battery"
CANARY = "platypuscanary"
WAIT = 10
SETUP = f"""
from forum.services.accounts import register_user
from forum.services.groups import add_member, create_group
for name in ("asker", "helper", "keeper", "insider", "outsider"):
    register_user(name, name + "@example.org", {PASSWORD!r}, name.title(), system=True)
create_group(None, "west-africa", "West Africa", "West Africa", "", system=True)
create_group(None, "inner-circle", "Inner circle", "West Africa", "", private=True, system=True)
for name in ("keeper", "insider"):
    add_member(None, "inner-circle", name, system=True)
"""


class Browser:
    """A browser's session on the server, to sign a /live socket in with its cookie."""

    def __init__(self, server, username):
        self.server = server
        self.http = requests.Session()
        page = self.http.get(server.url + "/login", timeout=WAIT)
        response = self.http.post(server.url + "/login", allow_redirects=False, timeout=WAIT,
                                  data={"login": username, "password": PASSWORD,
                                        "csrf_token": csrf_from(page.text)})
        assert response.status_code == 302, response.text[:500]

    def socket(self) -> "LiveSocket":
        csrf = csrf_from(self.http.get(self.server.url + "/", timeout=WAIT).text)
        return LiveSocket(self.server, auth={"csrf": csrf},
                          cookie=f"tacit_session={self.http.cookies['tacit_session']}")


class LiveSocket:
    """One /live python-socketio client recording the notification events it receives."""

    def __init__(self, server, *, auth=None, cookie=None):
        self.events: list[tuple[str, dict]] = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in ("notification", "notifications_unread"):
            self.sio.on(name, self._recorder(name), namespace="/live")
        self.sio.connect(server.url, namespaces=["/live"], auth=auth, transports=["websocket"],
                         headers={"Cookie": cookie} if cookie else {}, wait_timeout=WAIT)

    def _recorder(self, name):
        def record(data):
            with self.arrived:
                self.events.append((name, data))
                self.arrived.notify_all()
        return record

    def wait_for(self, count: int, timeout: float = WAIT) -> list[tuple[str, dict]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.events) >= count, timeout=timeout)
            return list(self.events)

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One development server with five accounts, a public and a private group."""
    with ServerProcess(tmp_path_factory.mktemp("notifications-live")) as running:
        # One `flask shell` rather than eight commands: each starts the app again.
        subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "shell"],
                       input=f"exec({SETUP!r})\n", cwd=ROOT, env=running.env, check=True,
                       capture_output=True, text=True, timeout=120)
        yield running


@pytest.fixture
def sockets():
    opened = []

    def track(socket):
        opened.append(socket)
        return socket

    yield track
    # Together: each client waits up to 3 s for the websocket's closing handshake.
    closing = [threading.Thread(target=socket.close) for socket in opened]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()


def api(server, username):
    session = requests.Session()
    response = session.post(server.url + "/api/v1/tokens", timeout=WAIT,
                            json={"login": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    session.token = response.json()["token"]
    session.headers["Authorization"] = f"Bearer {session.token}"
    return session


def ask(server, session, group, title, body):
    response = session.post(server.url + "/api/v1/questions", timeout=WAIT,
                            json={"title": title, "body": body, "group": group,
                                  "tags": ["implants"]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_signed_in_socket_hears_its_notification_and_unread_count(server, sockets):
    asker_socket = sockets(Browser(server, "asker").socket())
    helper_socket = sockets(Browser(server, "helper").socket())
    anonymous = sockets(LiveSocket(server))
    asker, helper = api(server, "asker"), api(server, "helper")
    qid = ask(server, asker, "west-africa", "How do we keep implant stock steady?",
              "Our clinics run out every quarter.")
    answered = helper.post(f"{server.url}/api/v1/questions/{qid}/answers", timeout=WAIT,
                           json={"body": "Order monthly, not quarterly."})
    assert answered.status_code == 201
    post_id = answered.json()["id"]
    events = asker_socket.wait_for(2)
    assert [name for name, _data in events] == ["notification", "notifications_unread"]
    pushed = events[0][1]
    assert set(pushed) == {"id", "kind", "text", "url", "created_at"}
    assert pushed["kind"] == "answer"
    assert pushed["text"] == "Helper answered: How do we keep implant stock steady?"
    assert pushed["url"] == f"/questions/{qid}#post-{post_id}"
    assert events[1][1] == {"count": 1}
    # The same notification through the API.
    listed = asker.get(server.url + "/api/v1/notifications", timeout=WAIT).json()
    assert listed["items"][0]["id"] == pushed["id"]
    # Marking it read elsewhere updates the count on the socket.
    marked = asker.post(f"{server.url}/api/v1/notifications/{pushed['id']}/read", timeout=WAIT)
    assert marked.status_code == 200
    assert asker_socket.wait_for(3)[2] == ("notifications_unread", {"count": 0})
    # The answerer (their own action) and an anonymous reader heard nothing.
    assert helper_socket.wait_for(1, timeout=1) == [] and anonymous.events == []


def test_private_group_notifications_reach_members_only(server, sockets):
    insider_socket = sockets(Browser(server, "insider").socket())
    outsider_socket = sockets(Browser(server, "outsider").socket())
    anonymous = sockets(LiveSocket(server))
    keeper = api(server, "keeper")  # another asker: posting is limited to one per 5 s
    ask(server, keeper, "inner-circle", f"Private {CANARY} stock question",
        f"Only members read {CANARY}: @insider and @outsider, any idea?")
    events = insider_socket.wait_for(2)
    assert events[0][0] == "notification" and events[0][1]["kind"] == "mention"
    assert CANARY in events[0][1]["text"]
    # By the time the insider heard, the outsider would have too: nothing came.
    assert outsider_socket.wait_for(1, timeout=1) == [] and anonymous.events == []
    outsider = api(server, "outsider")
    listed = outsider.get(server.url + "/api/v1/notifications", timeout=WAIT).json()
    assert CANARY not in str(listed) and CANARY not in str(outsider_socket.events)


def test_an_api_token_socket_hears_its_notifications_and_a_bad_token_is_refused(server,
                                                                                sockets):
    helper = api(server, "helper")
    token_socket = sockets(LiveSocket(server, auth={"token": helper.token}))
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveSocket(server, auth={"token": "not-a-token"})
    outsider = api(server, "outsider")
    qid = ask(server, outsider, "west-africa", "Where do you store implants safely?",
              "Ask @helper, who knows cold chains.")
    events = token_socket.wait_for(2)
    assert events[0][0] == "notification" and events[0][1]["kind"] == "mention"
    assert events[0][1]["url"] == f"/questions/{qid}"
    assert events[0][1]["text"] == "Outsider mentioned you: Where do you store implants safely?"
