"""The /live namespace: who may watch a question, and which events a write produces.

Writes go through the services (the same ones the pages and the API call); each socket is
the Flask-SocketIO test client, anonymous or carrying the cookies of a logged-in PageClient.
"""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from forum.extensions import db, socketio
from forum.live.events import MAX_WATCHED
from forum.models import LoginSession, User, utcnow
from forum.services import accounts, groups, qa, votes
from forum.services.uow import unit_of_work
from tests.chat_fixtures import PASSWORD  # the password of the shared `login` fixture
from tests.helpers import ApiClient, PageClient

LIVE = "/live"
CANARY = "quokkacanary"
NEW_PASSWORD = "a much longer passphrase 42"


@pytest.fixture
def people(make_user):
    """Account ids: an asker, a helper, a voter, a private-group member, an outsider, an admin."""
    return {name: make_user(name, role=role) for name, role in
            [("asker", "member"), ("helper", "member"), ("voter", "member"),
             ("insider", "member"), ("outsider", "member"), ("admin", "admin")]}


@pytest.fixture
def question(people, group, make_question):
    """A public question in `west-africa`, asked by `asker`."""
    return make_question(people["asker"], group)


@pytest.fixture
def secret(people, make_group, join, make_question):
    """A question in a private group whose only members are `insider` and `asker`."""
    slug = make_group("inner-circle", private=True)
    join(people["insider"], slug, private=True)
    join(people["asker"], slug, private=True)
    return make_question(people["asker"], slug, title=f"Private question about {CANARY}",
                         body=f"Only members should read the word {CANARY}.")


@pytest.fixture
def sockets(app):
    """Open /live test clients: anonymous, or with the cookies of a Flask test client."""
    opened = []

    def connect(page_client: PageClient | None = None):
        client = socketio.test_client(
            app, namespace=LIVE,
            flask_test_client=page_client.client if page_client else None)
        assert client.is_connected(LIVE)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        if client.is_connected(LIVE):
            client.disconnect(namespace=LIVE)



def watch(client, question_id):
    return client.emit("watch_question", {"question_id": question_id}, namespace=LIVE,
                       callback=True)


def received(client):
    """The events a client got since the last call, as (name, payload) pairs."""
    return [(event["name"], event["args"][0] if event["args"] else None)
            for event in client.get_received(LIVE)]


def act(app, user_id, service, *args, **kwargs):
    """Call a service as the user with this id, the way a page or the API would."""
    with app.app_context():
        return service(db.session.get(User, user_id), *args, **kwargs)


def answer(app, user_id, question_id, body="Order a quarter ahead."):
    return act(app, user_id, qa.post_answer, question_id, body, lang="en", system=True).id


# -- watching ----------------------------------------------------------------------------


def test_an_anonymous_reader_watches_a_public_question(sockets, question):
    client = sockets()
    assert watch(client, question) == {"ok": True}
    assert received(client) == []


def test_an_unknown_question_is_not_found(sockets, question):
    ack = watch(sockets(), question + 1000)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "not_found"
    assert ack["error"]["message"]


def test_an_answer_reaches_each_watcher_exactly_once_with_the_post(app, sockets, people,
                                                                  question):
    reader, other_tab = sockets(), sockets()
    watch(reader, question)
    watch(other_tab, question)
    watch(other_tab, question)  # watching twice joins once
    post_id = answer(app, people["helper"], question)
    for client in (reader, other_tab):
        events = received(client)
        assert [name for name, _ in events] == ["post_created"]
        post = events[0][1]["post"]
        assert post["id"] == post_id
        assert post["question_id"] == question
        assert post["parent_id"] is None
        assert "Order a quarter ahead." in post["body_html"]
        assert post["author"]["username"] == "helper"
        assert "body" not in post  # the source is only for its author, never broadcast


def test_a_reply_carries_its_parent(app, sockets, people, question):
    parent = answer(app, people["helper"], question)
    client = sockets()
    watch(client, question)
    reply = act(app, people["asker"], qa.post_reply, parent, "We tried; lead time is long.",
                system=True)
    events = received(client)
    assert [name for name, _ in events] == ["post_created"]
    assert events[0][1]["post"]["id"] == reply.id
    assert events[0][1]["post"]["parent_id"] == parent


def test_an_edit_sends_post_updated(app, sockets, people, question):
    post_id = answer(app, people["helper"], question)
    client = sockets()
    watch(client, question)
    act(app, people["helper"], qa.edit_post, post_id, "Order **two** quarters ahead.")
    events = received(client)
    assert [name for name, _ in events] == ["post_updated"]
    post = events[0][1]["post"]
    assert post["id"] == post_id
    assert "<strong>two</strong>" in post["body_html"]
    assert post["edited_at"]


def test_a_deleted_answer_sends_post_updated_without_its_text_then_question_updated(
        app, sockets, people, question):
    post_id = answer(app, people["helper"], question, body="Soon to be deleted.")
    client = sockets()
    watch(client, question)
    act(app, people["helper"], qa.delete_post, post_id)
    events = received(client)
    assert [name for name, _ in events] == ["post_updated", "question_updated"]
    post = events[0][1]["post"]
    assert post["deleted"] is True
    assert post["body_html"] == ""
    assert "Soon to be deleted" not in json.dumps(events)
    assert events[1][1]["question"]["answer_count"] == 0


def test_accepting_an_answer_sends_question_updated(app, sockets, people, question):
    post_id = answer(app, people["helper"], question)
    client = sockets()
    watch(client, question)
    act(app, people["asker"], qa.accept_answer, question, post_id)
    events = received(client)
    assert [name for name, _ in events] == ["question_updated"]
    assert events[0][1]["question"]["id"] == question
    assert events[0][1]["question"]["accepted_answer_id"] == post_id


def test_votes_send_score_changed_for_the_answer_and_for_the_question(app, sockets, people,
                                                                      question):
    post_id = answer(app, people["helper"], question)
    client = sockets()
    watch(client, question)
    act(app, people["voter"], votes.vote_post, post_id, 1)
    act(app, people["voter"], votes.vote_question, question, -1)
    assert received(client) == [
        ("score_changed", {"question_id": question, "post_id": post_id, "score": 1}),
        ("score_changed", {"question_id": question, "post_id": None, "score": -1}),
    ]


def test_writes_over_the_pages_and_the_api_each_reach_the_room_once(app, sockets, login,
                                                                   people, question):
    client = sockets()
    watch(client, question)
    helper = login("helper")
    response = helper.post_form(f"/questions/{question}/answer",
                                {"body": "Posted from the page."},
                                page=f"/questions/{question}")
    assert response.status_code == 302
    events = received(client)
    assert [name for name, _ in events] == ["post_created"]
    answer_id = events[0][1]["post"]["id"]
    assert "Posted from the page." in events[0][1]["post"]["body_html"]

    api = ApiClient(app.test_client())
    api.login("asker", PASSWORD)
    response = api.post(f"/api/v1/posts/{answer_id}/replies", {"body": "Posted over the API."})
    assert response.status_code == 201
    events = received(client)
    assert [name for name, _ in events] == ["post_created"]
    assert events[0][1]["post"]["parent_id"] == answer_id

    voter = login("voter")
    response = voter.post_form(f"/posts/{answer_id}/vote", {"value": "1"},
                               page=f"/questions/{question}")
    assert response.status_code == 302
    assert received(client) == [
        ("score_changed", {"question_id": question, "post_id": answer_id, "score": 1})]


def test_a_reader_of_another_question_receives_nothing(app, sockets, people, group, question,
                                                       make_question):
    other = make_question(people["helper"], group, title="Another question entirely here")
    elsewhere, nowhere = sockets(), sockets()
    assert watch(elsewhere, other) == {"ok": True}
    post_id = answer(app, people["helper"], question)
    act(app, people["helper"], qa.edit_post, post_id, "Changed.")
    act(app, people["voter"], votes.vote_post, post_id, 1)
    act(app, people["asker"], qa.accept_answer, question, post_id)
    assert received(elsewhere) == []
    assert received(nowhere) == []


def test_unwatching_stops_the_events(app, sockets, people, question):
    client = sockets()
    watch(client, question)
    ack = client.emit("unwatch_question", {"question_id": question}, namespace=LIVE,
                      callback=True)
    assert ack == {"ok": True}
    answer(app, people["helper"], question)
    assert received(client) == []


# -- private groups ----------------------------------------------------------------------


def test_outsiders_cannot_watch_a_private_question_and_never_see_its_words(
        app, sockets, login, people, secret):
    anonymous, outsider = sockets(), sockets(login("outsider"))
    acks = [watch(anonymous, secret), watch(outsider, secret)]
    for ack in acks:
        assert ack["ok"] is False
        assert ack["error"]["code"] == "not_found"
    member = sockets(login("insider"))
    assert watch(member, secret) == {"ok": True}

    post_id = answer(app, people["asker"], secret, body=f"An answer that says {CANARY}.")
    act(app, people["asker"], qa.edit_post, post_id, f"Still {CANARY}, edited.")
    act(app, people["insider"], votes.vote_post, post_id, 1)
    act(app, people["asker"], qa.accept_answer, secret, post_id)

    outside = acks + received(anonymous) + received(outsider)
    assert received(anonymous) == [] and received(outsider) == []
    assert CANARY not in json.dumps(outside)
    inside = received(member)
    assert [name for name, _ in inside] == ["post_created", "post_updated", "score_changed",
                                           "question_updated"]
    assert CANARY in json.dumps(inside)


def test_an_admin_may_watch_a_private_question(sockets, login, secret):
    assert watch(sockets(login("admin")), secret) == {"ok": True}


def test_after_a_session_expired_the_next_event_leaves_the_private_rooms(app, sockets, login,
                                                                        people, secret,
                                                                        question):
    """Expiry is no event: the socket stays until its next event, which re-checks its rooms."""
    client = sockets(login("insider"))
    assert watch(client, secret) == {"ok": True}
    with app.app_context(), unit_of_work():
        db.session.execute(update(LoginSession).where(LoginSession.user_id == people["insider"])
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
    assert watch(client, question) == {"ok": True}  # now anonymous; public questions work
    answer(app, people["asker"], secret, body=f"After the expiry: {CANARY}.")
    assert received(client) == []
    assert watch(client, secret)["error"]["code"] == "not_found"


def test_a_deleted_question_cannot_be_watched(app, sockets, people, question):
    act(app, people["asker"], qa.delete_question, question)
    assert watch(sockets(), question)["error"]["code"] == "not_found"


# -- losing access: out of the private rooms at once, not at the client's next event ---------


@pytest.fixture
def watchers(app, sockets, login, people, secret, question):
    """insider's socket watching the private and the public question (after one private
    answer reached it), and the readers who keep their access: asker (a member) on the private
    question, an anonymous reader on the public one. Returns the private answer's id."""

    def start(page: PageClient, *, who="insider"):
        reader = sockets(page)
        assert watch(reader, secret) == {"ok": True}
        assert watch(reader, question) == {"ok": True}
        member, anonymous = sockets(login("asker")), sockets()
        assert watch(member, secret) == {"ok": True}
        assert watch(anonymous, question) == {"ok": True}
        post_id = answer(app, people["asker"], secret, body=f"Before: {CANARY}.")
        assert CANARY in json.dumps(received(reader))  # it did read the private question
        received(member)
        received(anonymous)
        return SimpleNamespace(reader=reader, member=member, anonymous=anonymous,
                               post_id=post_id)

    return start


def after_the_loss(app, people, secret, question, seen):
    """A new private answer and an edit of the first (both with the canary), then a public
    answer: what each reader gets. A disconnected reader's leftovers are read off its queue."""
    answer(app, people["asker"], secret, body=f"After: {CANARY}.")
    act(app, people["asker"], qa.edit_post, seen.post_id, f"Edited after: {CANARY}.")
    public_id = answer(app, people["helper"], question, body="Public, for everyone.")
    got = {}
    for name in ("reader", "member", "anonymous"):
        client = getattr(seen, name)
        got[name] = received(client) if client.is_connected(LIVE) else [
            (event["name"], event["args"]) for event in client.queue]
    # The member asked the public question too: the helper's answer notifies them.
    assert [name for name, _ in got["member"]] == ["post_created", "post_updated",
                                                    "notification", "notifications_unread"]
    assert CANARY in json.dumps(got["member"])  # the member still reads everything
    assert got["anonymous"] == [("post_created", got["anonymous"][0][1])]
    assert got["anonymous"][0][1]["post"]["id"] == public_id
    assert CANARY not in json.dumps(got["reader"])  # never again, whatever else arrives
    return got["reader"], public_id


def public_only(events, public_id) -> bool:
    return [(name, payload["post"]["id"]) for name, payload in events] == [
        ("post_created", public_id)]


def test_a_member_removed_by_an_admin_stops_receiving_the_private_question_at_once(
        app, login, people, secret, question, watchers):
    seen = watchers(login("insider"))
    admin = ApiClient(app.test_client())
    admin.login("admin", PASSWORD)
    response = admin.call("DELETE", "/api/v1/groups/inner-circle/members/insider")
    assert response.status_code == 200, response.get_json()
    events, public_id = after_the_loss(app, people, secret, question, seen)
    assert seen.reader.is_connected(LIVE)  # still reading the public page
    assert public_only(events, public_id)
    assert watch(seen.reader, secret)["error"]["code"] == "not_found"


def test_a_member_who_leaves_stops_receiving_the_private_question_at_once(
        app, login, people, secret, question, watchers):
    page = login("insider")
    seen = watchers(page)
    response = page.post_form("/groups/inner-circle/leave", {}, page="/groups/inner-circle")
    assert response.status_code == 302
    events, public_id = after_the_loss(app, people, secret, question, seen)
    assert seen.reader.is_connected(LIVE)
    assert public_only(events, public_id)


def test_a_logout_in_another_client_of_the_session_disconnects_its_live_sockets(
        app, sockets, login, people, secret, question, watchers):
    page = login("insider")
    seen = watchers(page)
    other_session = sockets(login("insider"))  # the same person in another browser
    assert watch(other_session, secret) == {"ok": True}
    same_session = PageClient(app.test_client())
    same_session.set_cookie(page.cookie())
    assert same_session.logout().status_code == 302
    assert not seen.reader.is_connected(LIVE)
    events, _public_id = after_the_loss(app, people, secret, question, seen)
    assert events == []
    # Only that login session's sockets went: insider is still a member elsewhere.
    assert other_session.is_connected(LIVE)
    assert CANARY in json.dumps(received(other_session))
    # The page may connect again, anonymously with its old cookie: public pages only.
    again = sockets(page)
    assert watch(again, secret)["error"]["code"] == "not_found"
    assert watch(again, question) == {"ok": True}


def test_a_password_change_disconnects_every_live_socket_of_the_account(
        app, sockets, login, people, secret, question, watchers):
    page = login("insider")
    seen = watchers(page)
    other_session = sockets(login("insider"))
    assert watch(other_session, secret) == {"ok": True}
    response = page.post_form("/account/password", {"current_password": PASSWORD,
                                                    "new_password": NEW_PASSWORD},
                              page="/account")
    assert response.status_code == 302
    assert not seen.reader.is_connected(LIVE) and not other_session.is_connected(LIVE)
    events, _public_id = after_the_loss(app, people, secret, question, seen)
    assert events == []
    assert CANARY not in json.dumps([event["args"] for event in other_session.queue])


def test_deleting_the_account_disconnects_its_live_sockets(app, login, people, secret,
                                                           question, watchers):
    page = login("insider")
    seen = watchers(page)
    response = page.post_form("/account/delete", {"password": PASSWORD}, page="/account")
    assert response.status_code == 302
    assert not seen.reader.is_connected(LIVE)
    events, _public_id = after_the_loss(app, people, secret, question, seen)
    assert events == []


def test_an_admin_demoted_stops_receiving_private_questions_of_groups_not_joined(
        app, login, people, secret, question, watchers):
    seen = watchers(login("admin"))  # not a member of inner-circle: reads it as an admin
    with app.app_context():
        accounts.set_role(None, "admin", "member")  # the command line's way
    events, public_id = after_the_loss(app, people, secret, question, seen)
    assert seen.reader.is_connected(LIVE)
    assert public_only(events, public_id)


def test_a_moderator_demoted_stops_receiving_a_deleted_question(app, sockets, login, make_user,
                                                                people, question):
    make_user("mod", role="moderator")
    post_id = answer(app, people["helper"], question)
    act(app, people["asker"], qa.delete_question, question)
    reader = sockets(login("mod"))
    assert watch(reader, question) == {"ok": True}  # moderators read deleted questions
    with app.app_context():
        accounts.set_role(None, "mod", "member")
    act(app, people["admin"], qa.edit_post, post_id, f"Edited once deleted: {CANARY}.")
    assert received(reader) == []
    assert watch(reader, question)["error"]["code"] == "not_found"


def test_a_role_change_that_loses_nothing_leaves_the_rooms_alone(app, login, people, secret,
                                                                 question, watchers):
    seen = watchers(login("insider"))
    with app.app_context():
        accounts.set_role(None, "insider", "moderator")
    events = received(seen.reader)
    assert events == []
    answer(app, people["asker"], secret, body=f"Still a member: {CANARY}.")
    assert CANARY in json.dumps(received(seen.reader))


def test_a_member_removed_from_another_group_keeps_the_private_question(
        app, login, people, secret, make_group, join, watchers):
    make_group("other-circle", private=True)
    join(people["insider"], "other-circle", private=True)
    seen = watchers(login("insider"))
    act(app, people["admin"], groups.remove_member, "other-circle", "insider")
    answer(app, people["asker"], secret, body=f"Still a member here: {CANARY}.")
    assert CANARY in json.dumps(received(seen.reader))


# -- malformed payloads --------------------------------------------------------------------


MALFORMED = [
    {},
    {"question_id": None},
    {"question_id": "1"},
    {"question_id": [1]},
    {"question_id": {"id": 1}},
    {"question_id": 1.0},
    {"question_id": True},
    {"question_id": 0},
    {"question_id": -3},
    {"question_id": 10**30},
    {"questionid": 1},
    [1],
    "1",
    1,
    None,
    "x" * 200_000,
    {"question_id": "x" * 200_000},
]


@pytest.mark.parametrize("event", ["watch_question", "unwatch_question"])
def test_malformed_payloads_are_refused_and_the_socket_keeps_working(app, sockets, people,
                                                                     question, event):
    client = sockets()
    for payload in MALFORMED:
        shown = repr(payload)[:40]
        ack = client.emit(event, payload, namespace=LIVE, callback=True)
        assert ack["ok"] is False, shown
        assert ack["error"]["code"] == "invalid", shown
        assert ack["error"]["message"], shown
        assert set(ack["error"]["fields"]) == {"question_id"}, shown
        assert len(json.dumps(ack)) < 500, shown  # the refusal never echoes the payload
        assert client.is_connected(LIVE), shown
    assert watch(client, question) == {"ok": True}
    answer(app, people["helper"], question)
    assert [name for name, _ in received(client)] == ["post_created"]


def test_an_event_without_a_payload_is_refused(sockets, question):
    client = sockets()
    ack = client.emit("watch_question", namespace=LIVE, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert watch(client, question) == {"ok": True}


def test_a_socket_watches_a_bounded_number_of_questions(app, sockets, people, group,
                                                        make_question):
    ids = [make_question(people["asker"], group, title=f"Question number {n} about stock",
                         body=f"Body {n}.") for n in range(MAX_WATCHED + 1)]
    client = sockets()
    for question_id in ids[:-1]:
        assert watch(client, question_id) == {"ok": True}
    assert watch(client, ids[0]) == {"ok": True}  # already watched: still fine
    assert watch(client, ids[-1])["error"]["code"] == "too_many"
    client.emit("unwatch_question", {"question_id": ids[0]}, namespace=LIVE, callback=True)
    assert watch(client, ids[-1]) == {"ok": True}


# -- the application factory ----------------------------------------------------------------


def test_two_apps_in_one_process_both_have_the_live_handlers(app, make_app, people, question):
    """Blueprints import live/events.py before socketio.init_app, for every app built."""
    second = make_app()
    for application in (app, second):
        # Each app's own Socket.IO server (the middleware in front of it) has the handlers.
        middleware = application.wsgi_app  # under the host check (and ProxyFix, if set)
        while not hasattr(middleware, "engineio_app"):
            middleware = getattr(middleware, "wsgi_app", None) or middleware.app
        server = middleware.engineio_app
        assert {"connect", "watch_question", "unwatch_question"} <= set(
            server.handlers.get(LIVE, {}))
        client = socketio.test_client(application, namespace=LIVE)
        try:
            assert client.is_connected(LIVE)
            assert watch(client, question) == {"ok": True}
            ack = client.emit("unwatch_question", {"question_id": question}, namespace=LIVE,
                              callback=True)
            assert ack == {"ok": True}
        finally:
            client.disconnect(namespace=LIVE)
