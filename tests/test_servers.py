"""Real server processes: `make serve` (gunicorn + gevent) and the development server."""

import re
import time

import pytest
import requests
import socketio

from tests.helpers import Outbox
from tests.servers import ServerProcess

# Their own SQLite files, whatever the pass: `make test` runs them in its PostgreSQL pass,
# which is the shorter one without them (conftest.py, "balanced").
pytestmark = [pytest.mark.server, pytest.mark.balanced]


def _connect_and_upgrade(url):
    client = socketio.Client(reconnection=False)
    client.connect(url, namespaces=["/live"], transports=["polling", "websocket"],
                   wait_timeout=10)
    deadline = time.monotonic() + 10
    while client.transport() != "websocket" and time.monotonic() < deadline:
        time.sleep(0.05)
    transport = client.transport()
    client.disconnect()
    return transport


def test_make_serve_answers_health_and_upgrades_socketio_to_websocket(tmp_path):
    with ServerProcess(tmp_path, kind="serve") as server:
        health = requests.get(server.url + "/health", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert _connect_and_upgrade(server.url) == "websocket"
        # The production shape really is gunicorn with the gevent worker.
        log = server.log()
        assert "gunicorn" in log.lower() and "gevent" in log.lower()
        page = requests.get(server.url + "/login", timeout=5)
        assert page.status_code == 200 and "csrf-token" in page.text


def test_development_server_serves_pages_and_websocket(tmp_path):
    with ServerProcess(tmp_path, kind="dev") as server:
        assert requests.get(server.url + "/", timeout=5).status_code == 200
        assert _connect_and_upgrade(server.url) == "websocket"


def test_socketio_refuses_other_origins(tmp_path):
    with ServerProcess(tmp_path, kind="dev") as server:
        response = requests.get(server.url + "/socket.io/?EIO=4&transport=polling",
                                headers={"Origin": "https://evil.example"}, timeout=5)
        assert response.status_code == 400
        same = requests.get(server.url + "/socket.io/?EIO=4&transport=polling",
                            headers={"Origin": server.url}, timeout=5)
        assert same.status_code == 200


def test_make_run_migrates_seeds_prints_logins_and_serves(tmp_path):
    with ServerProcess(tmp_path, kind="run", env={"FORUM_DEMO": "1"}) as server:
        assert requests.get(server.url + "/", timeout=5).status_code == 200
        token = requests.post(server.url + "/api/v1/tokens",
                              json={"login": "amina", "password": "tacit-demo-2026"}, timeout=10)
        assert token.status_code == 201
        assert "Demo logins" in server.log() and "tacit-demo-2026" in server.log()


def test_development_server_mails_links_to_itself_and_refuses_other_hosts(tmp_path):
    # What `make run` does when FORUM_BASE_URL is not set: links point at http://HOST:PORT.
    server = ServerProcess(tmp_path, kind="dev", env={"FORUM_BASE_URL": ""})
    with server:
        server.flask("users", "create", "nurse", "--email", "nurse@example.org",
                     "--password", "correct horse battery")
        evil = requests.post(server.url + "/password/forgot", headers={"Host": "evil.example"},
                             data={"email": "nurse@example.org"}, timeout=5)
        assert evil.status_code == 400
        assert not list(server.outbox.glob("*.eml"))
        browser = requests.Session()
        page = browser.get(server.url + "/password/forgot", timeout=5)
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
        sent = browser.post(server.url + "/password/forgot", allow_redirects=False, timeout=5,
                            data={"email": "nurse@example.org", "csrf_token": csrf})
        assert sent.status_code == 302
        assert Outbox(server.outbox).last_link().startswith(f"{server.url}/password/reset/")
        # The loopback's other name answers too.
        localhost = f"http://localhost:{server.port}/health"
        assert requests.get(localhost, timeout=5).status_code == 200
