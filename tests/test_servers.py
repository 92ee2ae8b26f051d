"""Real server processes: `make serve` (gunicorn + gevent) and the development server."""

import time

import pytest
import requests
import socketio

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
