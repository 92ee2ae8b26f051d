"""Prometheus metrics and JSON logs: off by default; the app's /metrics only with its bearer
token; requests by endpoint and status with latency, sockets per namespace, chat messages
stored, mails and rate-limit rejections; and a real process serving them on a port of its
own, with JSON log lines.

Budget: 10 s (one real server process, PostgreSQL pass; the rest in-process).
"""

import json
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from forum import mail
from forum.extensions import db, socketio
from forum.models import User
from forum.services import chat
from tests.helpers import free_port
from tests.servers import ServerProcess

TOKEN = "metrics-token-for-the-tests-0123456789"
CHAT = "/chat"


@pytest.fixture
def app_config(tmp_path):
    """/metrics on the app, behind its token; registration limited to one a minute."""
    return {"METRICS": "endpoint", "METRICS_TOKEN": TOKEN, "LIMIT_REGISTER_PER_IP": "1/minute",
            "RATE_LIMITS": True}


def scrape(client, token=TOKEN) -> dict:
    """{(name, labels as a sorted tuple): value} of every sample /metrics answers."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_by_default(make_app):
    client = make_app(METRICS="off").test_client()
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                      ).status_code == 404


def test_the_metrics_endpoint_needs_its_token_and_a_long_one(app, make_app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"}
                      ).status_code == 404
    with pytest.raises(ValueError, match="FORUM_METRICS_TOKEN"):
        make_app(METRICS="endpoint", METRICS_TOKEN="short")
    with pytest.raises(ValueError, match="HOST:PORT"):
        make_app(METRICS="everyone")


def test_requests_sockets_chat_mails_and_rate_limits_are_counted(
        app, make_app, api, people, room, login, tmp_path):
    # Built first: Flask-SocketIO's server is the newest app's (one app per real process).
    dead_smtp = make_app(SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    client = app.test_client()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/questions").status_code == 200
    assert client.get("/questions/999999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.open("/questions", method="BREW").status_code == 405

    page = login("asker")
    page.get("/")
    socket = socketio.test_client(app, namespace=CHAT, flask_test_client=page.client,
                                  auth={"csrf": page.last_csrf})
    assert socket.is_connected(CHAT)
    with app.app_context():
        chat.send_message(db.session.get(User, people["asker"]), room, "Stock arrived.", "m-1")
        db.session.remove()

    # One registration mails its link; the second from the same address is refused.
    first = api.post("/api/v1/users", {"username": "newnurse", "email": "new@example.org",
                                       "password": "a long enough phrase"})
    assert first.status_code == 202
    assert api.post("/api/v1/users", {"username": "other", "email": "other@example.org",
                                      "password": "a long enough phrase"}).status_code == 429
    assert mail.flush(10)
    # A mail that SMTP refuses is counted as failed.
    with dead_smtp.app_context():
        mail.send("someone@example.org", "Hello", "Body")
    assert mail.flush(15)

    after = scrape(client)
    socket.disconnect(namespace=CHAT)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("tacit_http_requests_total", endpoint="qa.questions", method="GET",
                status="200") == 3
    assert grew("tacit_http_requests_total", endpoint="qa.question", method="GET",
                status="404") == 1
    # A path no route matches is counted under "none", never under its own name.
    assert grew("tacit_http_requests_total", endpoint="none", method="GET", status="404") == 1
    assert not any("no/such" in str(key) for key in after)
    assert grew("tacit_http_requests_total", endpoint="none", method="other",
                status="405") == 1
    assert not any("BREW" in str(key) for key in after)
    assert grew("tacit_http_request_duration_seconds_count", endpoint="qa.questions") == 3
    assert value(after, "tacit_http_request_duration_seconds_bucket", endpoint="qa.questions",
                 le="+Inf") >= 3
    assert value(after, "tacit_sockets_open", namespace=CHAT) == 1
    assert value(after, "tacit_sockets_open", namespace="/live") == 0
    assert value(after, "tacit_chat_messages_stored") == 1
    assert grew("tacit_mails_total", outcome="queued") == 2
    assert grew("tacit_mails_total", outcome="sent") == 1
    assert grew("tacit_mails_total", outcome="failed") == 1
    assert grew("tacit_rate_limit_rejections_total", limit="LIMIT_REGISTER_PER_IP") == 1
    assert value(scrape(client), "tacit_sockets_open", namespace=CHAT) == 0


@pytest.mark.balanced
def test_a_server_serves_metrics_on_its_own_port_and_logs_json(tmp_path):
    metrics_port = free_port()
    env = {"FORUM_METRICS": f"127.0.0.1:{metrics_port}", "FORUM_LOG_FORMAT": "json"}
    with ServerProcess(tmp_path, kind="dev", env=env) as server:
        assert requests.get(server.url + "/questions", timeout=10).status_code == 200
        # Not on the forum's own port, with or without a token.
        assert requests.get(server.url + "/metrics", timeout=10).status_code == 404
        scraped = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert scraped.status_code == 200
        samples = parse(scraped.text)
        assert value(samples, "tacit_http_requests_total", endpoint="qa.questions",
                     method="GET", status="200") == 1
        assert value(samples, "tacit_http_requests_total", endpoint="main.health",
                     method="GET", status="200") >= 1
        deadline = time.monotonic() + 10
        while "qa.questions" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = [json.loads(line) for line in server.log().splitlines()
                 if line.startswith("{")]
    access = [entry for entry in lines if entry["logger"] == "tacit.access"
              and entry.get("endpoint") == "qa.questions"]
    assert access, server.log()
    assert access[0]["status"] == 200 and access[0]["route"] == "/questions"
    assert access[0]["method"] == "GET" and access[0]["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(access[0])
