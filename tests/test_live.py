"""The /live namespace: who may watch a question, and which events a write produces.

Writes go through the services (the same ones the pages and the API call); each socket is
the Flask-SocketIO test client, anonymous or carrying the cookies of a logged-in PageClient.
"""

import json

import pytest

from forum.extensions import db, socketio
from forum.live.events import MAX_WATCHED
from forum.models import User
from forum.services import groups, qa, votes
from tests.chat_fixtures import PASSWORD  # the password of the shared `login` fixture
from tests.helpers import ApiClient, PageClient

LIVE = "/live"
CANARY = "quokkacanary"


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


def test_after_logging_out_the_next_watch_of_a_private_question_fails(app, sockets, login,
                                                                      people, secret,
                                                                      question):
    page = login("insider")
    client = sockets(page)
    assert watch(client, secret) == {"ok": True}
    page.logout()
    ack = watch(client, secret)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    # Now anonymous: public questions still work, and the private room was left.
    assert watch(client, question) == {"ok": True}
    answer(app, people["asker"], secret, body=f"After the logout: {CANARY}.")
    assert received(client) == []


def test_a_member_who_left_the_group_stops_receiving_at_the_next_event(app, sockets, login,
                                                                       people, secret,
                                                                       question):
    client = sockets(login("insider"))
    assert watch(client, secret) == {"ok": True}
    act(app, people["admin"], groups.remove_member, "inner-circle", "insider")
    assert watch(client, question) == {"ok": True}  # any event re-checks the rooms
    answer(app, people["asker"], secret, body=f"Members only: {CANARY}.")
    assert received(client) == []
    assert watch(client, secret)["error"]["code"] == "not_found"


def test_a_deleted_question_cannot_be_watched(app, sockets, people, question):
    act(app, people["asker"], qa.delete_question, question)
    assert watch(sockets(), question)["error"]["code"] == "not_found"


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
        server = application.wsgi_app.engineio_app
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
