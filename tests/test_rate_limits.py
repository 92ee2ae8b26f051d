"""Rate limits (login, registration, posts and edits) live in the services: pages and API
share them."""

import os
import uuid

import pytest
import redis

from forum.errors import RateLimited
from forum.extensions import db
from forum.models import Post, User
from forum.services import accounts, chat, qa
from tests.helpers import ApiClient, PageClient, redis_reachable


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
    assert statuses[:10] == [202] * 10
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
                                          "password": "a long enough phrase"}).status_code == 202


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


# -- the per-account ceiling never locks the owner out (issue 10, finding 5) ----------------

ATTACKERS = [f"10.66.0.{n}" for n in range(1, 12)]


def _guess_from_many_addresses(api):
    """11 addresses x 5 wrong passwords: past the per-account ceiling (50 failures an hour)."""
    statuses = [api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess"},
                         environ_base={"REMOTE_ADDR": address}).status_code
                for address in ATTACKERS for _ in range(5)]
    assert statuses == [401] * 50 + [429] * 5


def _page_login(page, password, address):
    return page.post_form("/login", {"login": "nurse", "password": password},
                          environ_base={"REMOTE_ADDR": address})


def test_owners_known_browser_logs_in_after_distributed_guessing(app, user, make_user):
    owner = PageClient(app.test_client())
    assert _page_login(owner, user["password"], "10.1.0.1").status_code == 302
    device = owner.client.get_cookie("tacit_device", path="/login")
    assert device is not None and device.http_only and device.same_site == "Lax"
    owner.logout()  # the known-device cookie outlives the session
    # The attacker's browser knows the site too, through an account of its own.
    make_user("mallory")
    attacker = PageClient(app.test_client())
    assert attacker.login("mallory", "correct horse battery").status_code == 302
    attacker.logout()

    _guess_from_many_addresses(ApiClient(app.test_client()))

    # A fresh browser, from a fresh address, is refused while the ceiling holds...
    fresh = _page_login(PageClient(app.test_client()), user["password"], "10.9.9.9")
    assert fresh.status_code == 429 and "Retry-After" in fresh.headers
    # ...and so is the attacker's browser: its cookie names another account.
    assert _page_login(attacker, user["password"], "10.9.9.8").status_code == 429
    # The attacker's addresses stay limited, even with the right password.
    assert _page_login(attacker, user["password"], ATTACKERS[0]).status_code == 429
    # The owner's browser, wherever it is now, logs in.
    assert _page_login(owner, user["password"], "10.2.0.2").status_code == 302
    assert owner.get("/account").status_code == 200


def test_api_client_with_its_device_logs_in_after_distributed_guessing(app, api, user, make_user):
    first = api.post("/api/v1/tokens", {"login": "nurse", "password": user["password"]},
                     environ_base={"REMOTE_ADDR": "10.1.0.1"})
    assert first.status_code == 201
    device = first.get_json()["device"]
    make_user("mallory")
    others = api.post("/api/v1/tokens", {"login": "mallory", "password": "correct horse battery"})
    mallorys_device = others.get_json()["device"]

    _guess_from_many_addresses(api)

    def token(device_value, address):
        body = {"login": "nurse", "password": user["password"]}
        if device_value is not None:
            body["device"] = device_value
        return api.post("/api/v1/tokens", body, environ_base={"REMOTE_ADDR": address})

    refused = token(None, "10.9.9.9")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert token(mallorys_device, "10.9.9.8").status_code == 429
    assert token(device[:-2] + "xx", "10.9.9.7").status_code == 429  # a forged signature
    assert token(device, ATTACKERS[0]).status_code == 429  # the attacker's address
    assert token(12345, "10.9.9.6").status_code == 422
    ok = token(device, "10.2.0.2")
    assert ok.status_code == 201
    assert ok.get_json()["user"]["username"] == "nurse"
    # The client keeps the answer's device for next time: it still works.
    assert token(ok.get_json()["device"], "10.2.0.3").status_code == 201


def test_a_known_device_that_guesses_too_often_is_an_unknown_one_again(app, api, user):
    device = api.post("/api/v1/tokens", {"login": "nurse", "password": user["password"]}
                      ).get_json()["device"]
    _guess_from_many_addresses(api)
    # Someone holding the device token but not the password: 10 failures an hour at most
    # (spread over addresses so that the per-account-and-IP limit does not stop them first).
    for n in range(10):
        assert api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess",
                                           "device": device},
                        environ_base={"REMOTE_ADDR": f"10.77.0.{n // 4}"}).status_code == 401
    after = api.post("/api/v1/tokens", {"login": "nurse", "password": user["password"],
                                        "device": device},
                     environ_base={"REMOTE_ADDR": "10.2.0.2"})
    assert after.status_code == 429


# -- behind a proxy: FORUM_PROXY_FIX --------------------------------------------------------


def _five_wrong_then_right_from(api, password, forwarded_wrong, forwarded_right):
    """Five failures (the per-account-and-IP lockout), then the right password."""
    for _ in range(5):
        assert api.post("/api/v1/tokens", {"login": "nurse", "password": "guess guess"},
                        headers={"X-Forwarded-For": forwarded_wrong}).status_code == 401
    return [api.post("/api/v1/tokens", {"login": "nurse", "password": password},
                     headers={"X-Forwarded-For": address}).status_code
            for address in forwarded_right]


@pytest.mark.parametrize("app_config", [{"PROXY_FIX": 1}])
def test_behind_one_proxy_login_limits_count_the_forwarded_address(app, api, user, app_config):
    # The proxy appends the address it saw; what the client wrote before it is not believed.
    assert _five_wrong_then_right_from(
        api, user["password"], "198.51.100.1, 203.0.113.5",
        ["203.0.113.5", "198.51.100.9, 203.0.113.5", "203.0.113.6"]) == [429, 429, 201]


def test_without_proxy_fix_x_forwarded_for_is_ignored(app, api, user):
    # Every request comes from the test client's own address, whatever the header says.
    assert _five_wrong_then_right_from(api, user["password"], "203.0.113.5",
                                       ["203.0.113.6"]) == [429]


# -- edits count like posts: each one renders Markdown again (issue 10, finding 1) ----------

EDITS_TWICE_A_MINUTE = {"LIMIT_EDIT_PER_USER": "2/minute"}


@pytest.fixture
def own_posts(make_user, group, make_question, make_post):
    """A question and an answer by `editor`, the question answered by `asker`: ids."""
    editor, asker = make_user("editor"), make_user("asker")
    asked = make_question(asker, group, title="Who supervises the CHWs?")
    return {"editor": editor, "question": make_question(editor, group),
            "answer": make_post(editor, question_id=asked), "asker": asker, "asked": asked}


def _body_of(app, post_id):
    with app.app_context():
        return db.session.get(Post, post_id).body_source


@pytest.mark.parametrize("app_config", [EDITS_TWICE_A_MINUTE])
def test_the_edit_past_the_limit_is_429_through_the_api(app, api, own_posts, app_config):
    api.login("editor", "correct horse battery")
    post = f"/api/v1/posts/{own_posts['answer']}"
    question = f"/api/v1/questions/{own_posts['question']}"
    assert api.call("PATCH", post, json={"body": "Order a quarter ahead."}).status_code == 200
    assert api.call("PATCH", question, json={"title": "How do we avoid stock-outs?"}
                    ).status_code == 200
    # Sending the same text again changes nothing, renders nothing and is not counted.
    assert api.call("PATCH", post, json={"body": "Order a quarter ahead."}).status_code == 200
    refused = api.call("PATCH", post, json={"body": "Order two quarters ahead."})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _body_of(app, own_posts["answer"]) == "Order a quarter ahead."
    # Someone else is not slowed down by the editor; system work is not limited.
    with app.app_context():
        asker = db.session.get(User, own_posts["asker"])
        qa.edit_question(asker, own_posts["asked"], title="Who supervises our CHWs?")
        editor = db.session.get(User, own_posts["editor"])
        qa.edit_post(editor, own_posts["answer"], "Fixed by an import.", system=True)
    assert _body_of(app, own_posts["answer"]) == "Fixed by an import."


@pytest.mark.parametrize("app_config", [EDITS_TWICE_A_MINUTE])
def test_the_edit_past_the_limit_is_429_on_the_page_and_keeps_the_text(app, own_posts,
                                                                        app_config):
    page = PageClient(app.test_client())
    page.login("editor", "correct horse battery")
    path = f"/posts/{own_posts['answer']}/edit"
    assert [page.post_form(path, {"body": f"Version {n}."}).status_code
            for n in (1, 2)] == [302, 302]
    refused = page.post_form(path, {"body": "Version 3, too soon."})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    html = refused.get_data(as_text=True)
    assert "Too many attempts" in html and "Version 3, too soon." in html
    assert _body_of(app, own_posts["answer"]) == "Version 2."


@pytest.mark.parametrize("app_config", [EDITS_TWICE_A_MINUTE])
def test_profile_changes_count_as_edits_but_a_language_switch_does_not(app, api, make_user,
                                                                         app_config):
    make_user("editor")
    api.login("editor", "correct horse battery")
    statuses = [api.call("PATCH", "/api/v1/users/editor", json={"bio": f"Midwife, {n}."}
                         ).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    page = PageClient(app.test_client())
    page.login("editor", "correct horse battery")
    assert page.post_form("/language", {"lang": "fr", "next": "/"}, page="/").status_code == 302
    refused = page.post_form("/u/editor/edit", {"display_name": "Ed"})
    assert refused.status_code == 429


@pytest.mark.parametrize("app_config", [{"LIMIT_CHAT_PER_USER": "3/minute"}])
def test_chat_edits_count_against_the_chat_limit(app, make_user, group, join, app_config):
    editor = make_user("editor")
    join(editor, group)
    with app.app_context():
        user = db.session.get(User, editor)
        room = chat.room_for_group(user, group)
        message, _ = chat.send_message(user, room.id, "Clinic opens at 9.", "c1")
        chat.edit_message(user, message.id, "Clinic opens at 8.")
        chat.edit_message(user, message.id, "Clinic opens at 8.")  # unchanged: not counted
        chat.edit_message(user, message.id, "Clinic opens at 8:30.")
        with pytest.raises(RateLimited):
            chat.edit_message(user, message.id, "Clinic opens at 7.")
        with pytest.raises(RateLimited):
            chat.send_message(user, room.id, "And closes at 5.", "c2")
        chat.edit_message(user, message.id, "Clinic opens at 7.", system=True)


@pytest.mark.parametrize("app_config", [{"LIMIT_VOTE_PER_USER": "3/minute"}])
def test_votes_past_the_limit_are_429_with_when_to_retry_and_change_nothing(
        app, api, make_user, group, make_question, make_post, app_config):
    asker = make_user("asker")
    helper = make_user("helper")
    make_user("voter")
    question = make_question(asker, group)
    answers = [make_post(helper, question_id=question, body=f"Answer number {n}.")
               for n in range(4)]
    api.login("voter", "correct horse battery")
    statuses = [api.put(f"/api/v1/posts/{answer}/vote", {"value": 1}).status_code
                for answer in answers[:3]]
    assert statuses == [200, 200, 200]
    refused = api.put(f"/api/v1/posts/{answers[3]}/vote", {"value": 1})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Question votes count against the same limit; nothing was recorded past it.
    assert api.put(f"/api/v1/questions/{question}/vote", {"value": 1}).status_code == 429
    with app.app_context():
        assert db.session.get(Post, answers[3]).score == 0
        assert [db.session.get(Post, a).score for a in answers[:3]] == [1, 1, 1]
