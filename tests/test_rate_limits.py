"""Rate limits on login and registration live in the services: pages and API share them."""

import os
import uuid

import pytest
import redis

from forum.services import accounts
from tests.helpers import redis_reachable


def test_failed_logins_lock_that_account_from_that_ip_only_briefly(app, api, user):
    for _ in range(5):
        assert api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess"},
                        environ_base={"REMOTE_ADDR": "10.0.0.66"}).status_code == 401
    locked = api.post("/api/v1/tokens", {"login": "nurse", "password": user["password"]},
                      environ_base={"REMOTE_ADDR": "10.0.0.66"})
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "rate_limited"
    retry = int(locked.headers["Retry-After"])
    assert 0 < retry <= 300
    # The real user, elsewhere, is not locked out by the attacker's failures.
    ok = api.post("/api/v1/tokens", {"login": "nurse", "password": user["password"]},
                  environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert ok.status_code == 201


def test_pages_and_api_share_the_login_limit(app, anon_client, api, user):
    for _ in range(3):
        api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess"})
    for _ in range(2):
        assert anon_client.login("nurse", "guess guess", expect_ok=False).status_code == 401
    page = anon_client.login("nurse", user["password"], expect_ok=False)
    assert page.status_code == 429
    assert "Retry-After" in page.headers


def test_success_clears_the_failure_count(app, api, user):
    for _ in range(4):
        api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess"})
    api.post("/api/v1/tokens", {"login": "nurse", "password": user["password"]})
    for _ in range(4):
        assert api.post("/api/v1/tokens", {"login": "nurse",
                                           "password": "guess guess"}).status_code == 401
    assert api.post("/api/v1/tokens", {"login": "nurse",
                                       "password": user["password"]}).status_code == 201


def test_registration_is_limited_per_ip(app, api):
    statuses = []
    for n in range(11):
        statuses.append(api.post("/api/v1/users", {
            "username": f"bulk{n}", "email": f"bulk{n}@example.org",
            "password": "a long enough phrase"}).status_code)
    assert statuses[:10] == [201] * 10
    assert statuses[10] == 429


def test_system_work_bypasses_limits(app):
    with app.app_context():
        for n in range(15):
            accounts.register_user(f"seed{n}", f"seed{n}@example.org", "a long enough phrase",
                                   system=True)


@pytest.mark.parametrize("app_config", [{"RATE_LIMITS": False}])
def test_forum_rate_limits_off_turns_every_limit_off(app, api, user, app_config):
    for _ in range(8):
        api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess"})
    assert api.post("/api/v1/tokens", {"login": "nurse",
                                       "password": user["password"]}).status_code == 201
    for n in range(12):
        assert api.post("/api/v1/users", {"username": f"bulk{n}", "email": f"b{n}@example.org",
                                          "password": "a long enough phrase"}).status_code == 201


def test_limits_use_redis_when_configured(make_app):
    """With FORUM_REDIS_URL set, two app instances (two processes) share the counts."""
    if not redis_reachable():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = f"tacit-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    settings = dict(REDIS_URL="redis://127.0.0.1:6379/0", REDIS_PREFIX=prefix)
    first = make_app(**settings)
    with first.app_context():
        accounts.register_user("nurse", "n@example.org", "correct horse battery", system=True)
    for _ in range(5):
        first.test_client().post("/api/v1/tokens",
                                 json={"login": "nurse", "password": "guess guess"})
    second = make_app(**settings)
    response = second.test_client().post(
        "/api/v1/tokens", json={"login": "nurse", "password": "correct horse battery"})
    assert response.status_code == 429
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(f"*{prefix}*"))
    assert keys
    client.delete(*keys)
    client.close()
