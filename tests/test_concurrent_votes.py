"""Fifty people vote at once on a real server (gunicorn + gevent): the score is exact and the
reputation has no drift, on SQLite and on PostgreSQL."""

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.browser_support import link_in, mail_to
from tests.helpers import throwaway_pg_database
from tests.servers import ServerProcess

pytestmark = [pytest.mark.server]

VOTERS = 50
UP, DOWN = 30, 20
PASSWORD = "fifty votes at once"


@pytest.fixture
def server_database():
    """None (the server's own SQLite file), or a fresh PostgreSQL database dropped after."""
    if os.environ.get("FORUM_TEST_DB", "sqlite") != "postgresql":
        yield None
        return
    with throwaway_pg_database("tacit_votes") as url:
        yield url


def _call(method, url, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url, headers=headers, timeout=60, **kwargs)


def _account(server, name):
    """Register through the API, confirm with the mailed token, and log in for a token."""
    base = server.url
    asked = _call("POST", f"{base}/api/v1/users",
                  json={"username": name, "email": f"{name}@example.org", "password": PASSWORD})
    assert asked.status_code == 202, asked.text
    mail = mail_to(server.outbox, f"{name}@example.org", timeout=60)
    confirm_token = link_in(mail, r"/register/confirm/(\S+)").rsplit("/", 1)[1]
    created = _call("POST", f"{base}/api/v1/users/confirm", json={"token": confirm_token})
    assert created.status_code == 201, created.text
    token = _call("POST", f"{base}/api/v1/tokens", json={"login": name, "password": PASSWORD})
    assert token.status_code == 201, token.text
    return token.json()["token"]


def test_fifty_concurrent_votes_are_exact_and_reputation_does_not_drift(tmp_path,
                                                                        server_database):
    env = {"FORUM_RATE_LIMITS": "0"}
    with ServerProcess(tmp_path, kind="serve", database_url=server_database, env=env) as server:
        base = server.url
        server.flask("groups", "create", "west-africa", "--name", "West Africa",
                     "--region", "West Africa")
        names = ["asker", "helper"] + [f"voter{n:02d}" for n in range(VOTERS)]
        with ThreadPoolExecutor(VOTERS) as pool:
            tokens = dict(zip(names, pool.map(lambda n: _account(server, n), names),
                              strict=True))
        asked = _call("POST", f"{base}/api/v1/questions", tokens["asker"],
                      json={"title": "How do we avoid implant stock-outs?",
                            "body": "Our clinics run out every quarter.",
                            "group": "west-africa", "tags": ["implants"]})
        assert asked.status_code == 201, asked.text
        qid = asked.json()["id"]
        answer = _call("POST", f"{base}/api/v1/questions/{qid}/answers", tokens["helper"],
                       json={"body": "Order a quarter ahead."})
        assert answer.status_code == 201, answer.text
        aid = answer.json()["id"]
        voters = names[2:]

        # Round 1: everyone at once, 30 up and 20 down on the answer, all up on the question.
        jobs = [(f"/api/v1/posts/{aid}/vote", name, 1 if i < UP else -1)
                for i, name in enumerate(voters)]
        jobs += [(f"/api/v1/questions/{qid}/vote", name, 1) for name in voters]

        def vote(job):
            path, name, value = job
            response = _call("PUT", base + path, tokens[name], json={"value": value})
            return response.status_code, response.text

        with ThreadPoolExecutor(VOTERS) as pool:
            results = list(pool.map(vote, jobs))
        assert [status for status, _text in results] == [200] * len(jobs), [
            r for r in results if r[0] != 200][:3]
        thread = _call("GET", f"{base}/api/v1/questions/{qid}").json()
        assert thread["score"] == VOTERS
        assert thread["answers"][0]["score"] == UP - DOWN

        # Round 2: each down-voter changes its mind twice at once (one change counts, the
        # other is "already voted"), while ten up-voters withdraw their vote twice at once.
        jobs = [(f"/api/v1/posts/{aid}/vote", name, 1) for name in voters[UP:]] * 2
        jobs += [(f"/api/v1/posts/{aid}/vote", name, 0) for name in voters[:10]] * 2
        with ThreadPoolExecutor(VOTERS) as pool:
            results = list(pool.map(vote, jobs))
        statuses = [status for status, _text in results]
        assert set(statuses) <= {200, 409}, [r for r in results if r[0] not in (200, 409)][:3]
        assert statuses.count(409) == DOWN, statuses  # withdrawing twice is not an error
        thread = _call("GET", f"{base}/api/v1/questions/{qid}").json()
        assert thread["answers"][0]["score"] == UP - 10 + DOWN
        assert thread["score"] == VOTERS

        helper = _call("GET", f"{base}/api/v1/users/helper").json()
        asker = _call("GET", f"{base}/api/v1/users/asker").json()
        assert helper["reputation"] == 10 * (UP - 10 + DOWN)
        assert asker["reputation"] == 5 * VOTERS
        recomputed = server.flask("reputation", "recompute")
        assert "0 account(s) changed" in recomputed.stdout, recomputed.stdout


def _slow_put(port, path, token, body: bytes, pause: float) -> int:
    """PUT whose body arrives `pause` seconds after its headers, like a slow mobile link."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall((f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
        time.sleep(pause)
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_a_slow_client_does_not_freeze_the_server(tmp_path, server_database):
    """While one client trickles its request body, everyone else is still served.

    On SQLite every transaction holds the write lock; a view that waited for the body inside
    one would let the next request block the whole gevent worker in SQLite's busy wait.
    """
    env = {"FORUM_RATE_LIMITS": "0"}
    with ServerProcess(tmp_path, kind="serve", database_url=server_database, env=env) as server:
        base = server.url
        server.flask("groups", "create", "west-africa", "--name", "West Africa",
                     "--region", "West Africa")
        names = ["asker", "helper", "slow", "quick"]
        with ThreadPoolExecutor(4) as pool:
            tokens = dict(zip(names, pool.map(lambda n: _account(server, n), names),
                              strict=True))
        qid = _call("POST", f"{base}/api/v1/questions", tokens["asker"],
                    json={"title": "How do we avoid implant stock-outs?", "body": "Details.",
                          "group": "west-africa", "tags": ["implants"]}).json()["id"]
        aid = _call("POST", f"{base}/api/v1/questions/{qid}/answers", tokens["helper"],
                    json={"body": "Order a quarter ahead."}).json()["id"]
        for name in ("slow", "quick"):  # a token used recently takes no write to check
            assert _call("GET", f"{base}/api/v1/me", tokens[name]).status_code == 200
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(_slow_put, server.port, f"/api/v1/posts/{aid}/vote",
                               tokens["slow"], b'{"value": 1}', 3.0)
            time.sleep(0.5)
            started = time.monotonic()
            for method, path, token, body in [
                ("GET", "/api/v1/questions", None, None),
                ("GET", f"/api/v1/questions/{qid}", tokens["quick"], None),
                ("PUT", f"/api/v1/questions/{qid}/vote", tokens["quick"], {"value": 1}),
                ("PUT", f"/api/v1/posts/{aid}/vote", tokens["quick"], {"value": 1}),
            ]:
                response = requests.request(
                    method, base + path, json=body, timeout=10,
                    headers={"Authorization": f"Bearer {token}"} if token else {})
                assert response.status_code == 200, (path, response.text)
            assert time.monotonic() - started < 2.0
            assert slow.result(timeout=30) == 200
        thread = _call("GET", f"{base}/api/v1/questions/{qid}").json()
        assert thread["answers"][0]["score"] == 2 and thread["score"] == 1
