"""The chat pages without JavaScript: the room list, a room's history and its plain-form
composer, editing and deleting messages, and turning a stretch of chat into a question.

Pages are fetched through PageClients logged in through the login page; messages written
beforehand go through the chat service (system work, so no rate limit gets in the way).
"""

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import ChatMessage, ChatMessageRevision, ChatRoomMember, Post, Question, User
from forum.services import chat
from tests.helpers import FormParser
from tests.test_hardening import InlineFinder, _snapshot
from tests.test_query_counts import queries_for


@pytest.fixture
def say(app, people):
    """Post a message as a person (by name) through the service; returns its id."""
    counter = {"n": 0}

    def do(name, room_id, body):
        counter["n"] += 1
        with app.app_context():
            user = db.session.get(User, people[name])
            message, _created = chat.send_message(user, room_id, body,
                                                  f"t-{counter['n']}", system=True)
            return message.id

    return do


def text(response) -> str:
    return response.get_data(as_text=True)


def form_inputs(html: str, action: str) -> dict:
    """The hidden inputs of the form posting to `action`."""
    parser = FormParser()
    parser.feed(html)
    found = [f for f in parser.forms if f["action"] == action]
    assert found, f"no form posting to {action}"
    return found[0]["inputs"]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def room_ids_in_order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/chat/rooms/(\d+)"', html)]


def message_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="msg[^"]*" id="m-(\d+)"', html)]


# -- who may see what --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/chat", "/chat/rooms/1", "/chat/messages/1",
                                  "/chat/messages/1/edit", "/chat/messages/1/delete",
                                  "/chat/rooms/1/promote?from=1"])
def test_anonymous_visitors_are_sent_to_the_login_page(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_private_rooms_stay_private(app, login, people, room, secret_room, say):
    secret = say("insider", secret_room, "the wombatcanary plan")
    outsider = login("outsider")
    for path in [f"/chat/rooms/{secret_room}", f"/chat/messages/{secret}",
                 f"/chat/messages/{secret}/edit", f"/chat/messages/{secret}/delete",
                 f"/chat/rooms/{secret_room}/promote?from={secret}",
                 f"/chat/rooms/{secret_room + room + 50}"]:
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert "wombatcanary" not in text(response) and "Inner Circle" not in text(response)
    listing = text(outsider.get("/chat"))
    assert "Inner Circle" not in listing and "West Africa" not in listing
    # A public group's room: members only, but its existence is no secret.
    assert outsider.get(f"/chat/rooms/{room}").status_code == 403
    sent = outsider.post_form(f"/chat/rooms/{secret_room}/messages",
                              {"body": "let me in", "client_id": "x1"}, page="/chat")
    assert sent.status_code == 404 and "let me in" in text(sent)
    assert "Inner Circle" not in text(sent)
    assert count(app, ChatMessage) == 1


# -- the list of rooms ---------------------------------------------------------------------


def test_the_list_shows_rooms_with_unread_counts_newest_activity_first(
        app, login, people, room, make_group, join, say):
    join(people["asker"], make_group("east-africa", region="East Africa"))
    page = login("asker")
    page.post_form("/chat/direct", {"username": "helper"}, page="/chat")
    with app.app_context():
        asker = db.session.get(User, people["asker"])
        rooms = {s.name: s.room.id for s in chat.rooms_for(asker)}
    assert set(rooms) == {"West Africa", "East Africa", "Helper"}
    say("helper", room, "first in west africa")
    say("helper", rooms["Helper"], "a direct word")
    say("peer", room, "second in west africa")
    html = text(page.get("/chat"))
    # West Africa spoke last, then the direct room; East Africa is quiet.
    assert room_ids_in_order(html) == [room, rooms["Helper"], rooms["East Africa"]]
    assert "2 unread" in html and "1 unread" in html
    say("asker", rooms["Helper"], "my own words are never unread")
    html = text(page.get("/chat"))
    assert room_ids_in_order(html)[0] == rooms["Helper"]
    assert "1 unread" in html


def test_a_direct_chat_opens_by_username(app, login, people):
    page = login("asker")
    response = page.post_form("/chat/direct", {"username": "Helper"}, page="/chat")
    assert response.status_code == 302
    room_path = response.headers["Location"]
    assert re.fullmatch(r"/chat/rooms/\d+", room_path)
    assert "<h1>Helper</h1>" in text(page.get(room_path))
    again = login("helper").post_form("/chat/direct", {"username": "asker"}, page="/chat")
    assert again.headers["Location"] == room_path
    assert login("peer").get(room_path).status_code == 404

    missing = page.post_form("/chat/direct", {"username": "nobody-here"}, page="/chat")
    assert missing.status_code == 404
    assert "No such user." in text(missing) and 'value="nobody-here"' in text(missing)
    myself = page.post_form("/chat/direct", {"username": "asker"}, page="/chat")
    assert myself.status_code == 422 and "other than yourself" in text(myself)


# -- a room --------------------------------------------------------------------------------


def test_a_room_shows_the_latest_page_newest_last_with_a_plain_older_link(
        app, login, people, room, say):
    ids = [say("helper" if n % 2 else "peer", room, f"message number {n}") for n in range(62)]
    page = login("asker")
    html = text(page.get(f"/chat/rooms/{room}"))
    assert message_ids(html) == ids[-50:]
    assert html.index("message number 61") > html.index("message number 12")
    assert "message number 11" not in html
    older = re.search(r'id="chat-older" href="([^"]+)"', html).group(1)
    assert older == f"/chat/rooms/{room}?before={ids[12]}"
    html = text(page.get(older))
    assert message_ids(html) == ids[:12]
    assert 'id="chat-older"' not in html
    assert "Latest messages" in html and "data-live-room" not in html
    newer = re.search(r'href="([^"]+)">Newer messages', html).group(1).replace("&amp;", "&")
    assert message_ids(text(page.get(newer))) == ids[12:62]
    # Authors, times and the composer come with every message page.
    assert "Helper" in html and "<time datetime=" in html and 'name="body"' in html


def test_the_room_page_loads_in_a_fixed_number_of_queries(app, login, people, room, say):
    for n in range(3):
        say(["helper", "peer", "mod"][n], room, f"early {n}")
    page = login("asker")
    page.get("/")
    few = queries_for(app, page, f"/chat/rooms/{room}")
    for n in range(60):
        say(["helper", "peer", "mod", "asker"][n % 4], room, f"later {n}")
    many = queries_for(app, page, f"/chat/rooms/{room}")
    assert len(many) == len(few), (few, many)


def test_viewing_a_room_changes_nothing_and_the_button_marks_it_read(app, login, people,
                                                                    room, say):
    say("helper", room, "one")
    last = say("peer", room, "two")
    page = login("asker")
    html = text(page.get(f"/chat/rooms/{room}"))
    assert "2 unread · Mark as read" in html
    assert count(app, ChatRoomMember) == 0  # GET wrote nothing
    inputs = form_inputs(html, f"/chat/rooms/{room}/read")
    assert inputs["message_id"] == str(last)
    response = page.client.post(f"/chat/rooms/{room}/read", data=inputs)
    assert response.status_code == 302
    assert "Mark as read" not in text(page.get(f"/chat/rooms/{room}"))
    assert "unread" not in text(page.get("/chat"))


def test_posting_through_the_form_redirects_to_the_message(app, login, people, room, say):
    say("helper", room, "did anyone get the DMPA-SC stock?")
    page = login("asker")
    html = text(page.get(f"/chat/rooms/{room}"))
    inputs = form_inputs(html, f"/chat/rooms/{room}/messages")
    assert inputs["client_id"].startswith("srv-") and inputs["csrf_token"]
    response = page.client.post(f"/chat/rooms/{room}/messages",
                                data={**inputs, "body": "Yes, **two boxes** came today."})
    assert response.status_code == 302
    with app.app_context():
        message = db.session.scalar(select(ChatMessage).order_by(ChatMessage.id.desc()))
        assert message.client_id == inputs["client_id"]
        assert message.author_id == people["asker"]
    assert response.headers["Location"] == f"/chat/rooms/{room}#m-{message.id}"
    html = text(page.get(f"/chat/rooms/{room}"))
    assert "<strong>two boxes</strong>" in html
    assert "Mark as read" not in html  # writing in a room reads it up to there
    # Every rendering of the form carries a new client_id.
    assert form_inputs(html, f"/chat/rooms/{room}/messages")["client_id"] != inputs["client_id"]


def test_a_double_submitted_form_is_stored_once(app, login, people, room):
    page = login("asker")
    inputs = form_inputs(text(page.get(f"/chat/rooms/{room}")), f"/chat/rooms/{room}/messages")
    data = {**inputs, "body": "sent twice by an impatient thumb"}
    first = page.client.post(f"/chat/rooms/{room}/messages", data=data)
    second = page.client.post(f"/chat/rooms/{room}/messages", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, ChatMessage) == 1
    assert text(page.get(f"/chat/rooms/{room}")).count("sent twice by an impatient") == 1


@pytest.mark.parametrize(("body", "status", "error"), [
    ("", 422, "Write something first."),
    ("   \n  ", 422, "Write something first."),
    ("too long " + "x" * 4000, 422, "Use at most 4000 characters."),
])
def test_a_refused_message_comes_back_with_its_text_and_a_4xx(app, login, people, room,
                                                              body, status, error):
    page = login("asker")
    inputs = form_inputs(text(page.get(f"/chat/rooms/{room}")), f"/chat/rooms/{room}/messages")
    response = page.client.post(f"/chat/rooms/{room}/messages", data={**inputs, "body": body})
    assert response.status_code == status
    html = text(response)
    assert error in html and 'aria-invalid="true"' in html
    if body.strip():
        assert body[:40] in html
    # The same client_id travels on, so resending the corrected text is still one message.
    assert form_inputs(html, f"/chat/rooms/{room}/messages")["client_id"] == inputs["client_id"]
    assert count(app, ChatMessage) == 0


def test_the_rate_limit_refuses_with_429_and_keeps_the_text(app, login, people, room):
    app.config["LIMIT_CHAT_PER_USER"] = "2/minute"
    page = login("asker")
    for n in range(3):
        inputs = form_inputs(text(page.get(f"/chat/rooms/{room}")),
                             f"/chat/rooms/{room}/messages")
        response = page.client.post(f"/chat/rooms/{room}/messages",
                                    data={**inputs, "body": f"quick message {n}"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "quick message 2" in text(response) and "Too many" in text(response)
    assert count(app, ChatMessage) == 2


def test_a_member_who_left_the_group_gets_the_text_back(app, login, people, room, group):
    page = login("peer")
    inputs = form_inputs(text(page.get(f"/chat/rooms/{room}")), f"/chat/rooms/{room}/messages")
    page.post_form(f"/groups/{group}/leave", {}, page=f"/groups/{group}")
    response = page.client.post(f"/chat/rooms/{room}/messages",
                                data={**inputs, "body": "wait, I had one more thing"})
    assert response.status_code == 403
    assert "Join the group" in text(response) and "wait, I had one more thing" in text(response)
    assert count(app, ChatMessage) == 0


@pytest.mark.parametrize("path", ["/chat/direct", "/chat/rooms/{room}/messages",
                                  "/chat/rooms/{room}/read", "/chat/messages/{mid}/edit",
                                  "/chat/messages/{mid}/delete",
                                  "/chat/rooms/{room}/promote?from={mid}"])
def test_forms_refuse_a_missing_or_forged_csrf_token(app, login, people, room, say, path):
    mid = say("asker", room, "the original words")
    page = login("asker")
    page.get("/chat")
    path = path.format(room=room, mid=mid)
    data = {"body": "changed words", "client_id": "c-1", "username": "helper",
            "message_id": str(mid), "title": "A question made from the chat", "tags": "chat",
            "answers": []}
    for token in (None, "forged"):
        sent = dict(data) if token is None else {**data, "csrf_token": token}
        assert page.client.post(path, data=sent).status_code == 400
    assert count(app, ChatMessage) == 1 and count(app, Question) == 0
    assert count(app, ChatRoomMember) == 0
    with app.app_context():
        kept = db.session.get(ChatMessage, mid)
        assert kept.body_source == "the original words" and kept.deleted_at is None


@pytest.mark.parametrize("path", ["/chat", "/chat/rooms/{room}", "/chat/messages/{mid}/edit",
                                  "/chat/messages/{mid}/delete",
                                  "/chat/rooms/{room}/promote?from={mid}"])
def test_chat_pages_have_no_inline_code_and_every_post_form_has_csrf(login, people, room,
                                                                     say, path):
    mid = say("asker", room, "hello <script>alert(1)</script> there")
    response = login("asker").get(path.format(room=room, mid=mid))
    assert response.status_code == 200
    finder = InlineFinder()
    finder.feed(text(response))
    assert finder.problems == []
    posts = [form for form in finder.forms if form["method"] == "post"]
    assert len(posts) >= 2 and all(form["csrf"] for form in posts)


# -- editing and deleting ------------------------------------------------------------------


def test_authors_edit_and_delete_their_messages_through_pages(app, login, people, room, say):
    mid = say("asker", room, "clinic opens at 8")
    page = login("asker")
    html = text(page.get(f"/chat/rooms/{room}"))
    assert f'href="/chat/messages/{mid}/edit"' in html
    form = text(page.get(f"/chat/messages/{mid}/edit"))
    assert "clinic opens at 8</textarea>" in form
    refused = page.post_form(f"/chat/messages/{mid}/edit", {"body": " "})
    assert refused.status_code == 422 and "Write something first." in text(refused)
    response = page.post_form(f"/chat/messages/{mid}/edit", {"body": "clinic opens at *9*"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/chat/rooms/{room}#m-{mid}"
    html = text(page.get(f"/chat/rooms/{room}"))
    assert "clinic opens at <em>9</em>" in html and '<span class="edited">edited</span>' in html
    assert count(app, ChatMessageRevision) == 1

    confirm = text(page.get(f"/chat/messages/{mid}/delete"))
    assert "Delete this message?" in confirm and "Moderators can still see" not in confirm
    assert "Its text will no longer be shown to anyone, moderators included." in confirm
    response = page.post_form(f"/chat/messages/{mid}/delete", {})
    assert response.headers["Location"] == f"/chat/rooms/{room}#m-{mid}"
    html = text(page.get(f"/chat/rooms/{room}"))
    assert "This message was deleted." in html and "clinic opens" not in html
    assert page.get(f"/chat/messages/{mid}/edit").status_code == 404


def test_others_may_not_edit_or_delete_a_message(app, login, people, room, say):
    mid = say("asker", room, "mine alone")
    peer = login("peer")
    html = text(peer.get(f"/chat/rooms/{room}"))
    assert f"/chat/messages/{mid}/edit" not in html and f"/chat/messages/{mid}/delete" not in html
    assert peer.get(f"/chat/messages/{mid}/edit").status_code == 403
    assert peer.get(f"/chat/messages/{mid}/delete").status_code == 403
    assert peer.post_form(f"/chat/messages/{mid}/edit", {"body": "hijacked"},
                          page="/chat").status_code == 403
    assert peer.post_form(f"/chat/messages/{mid}/delete", {}, page="/chat").status_code == 403
    with app.app_context():
        kept = db.session.get(ChatMessage, mid)
        assert kept.body_source == "mine alone" and kept.deleted_at is None


def test_moderators_delete_messages_of_their_rooms_only(app, login, people, room, secret_room,
                                                       say):
    mid = say("helper", room, "spam spam spam")
    mod = login("mod")
    html = text(mod.get(f"/chat/rooms/{room}"))
    assert f'href="/chat/messages/{mid}/delete"' in html
    assert f"/chat/messages/{mid}/edit" not in html
    response = mod.post_form(f"/chat/messages/{mid}/delete", {})
    assert response.headers["Location"] == f"/chat/rooms/{room}#m-{mid}"
    assert "spam spam spam" not in text(mod.get(f"/chat/rooms/{room}"))  # as the page said
    # Not in a room they are not in: its messages are not found (tests/test_chat_privacy.py).
    secret = say("insider", secret_room, "more spam")
    assert mod.get(f"/chat/messages/{secret}/delete").status_code == 404
    assert mod.post_form(f"/chat/messages/{secret}/delete", {}, page="/chat").status_code == 404
    with app.app_context():
        assert db.session.get(ChatMessage, mid).deleted_by_id == people["mod"]
        assert db.session.get(ChatMessage, secret).deleted_at is None


def test_a_message_link_finds_the_page_that_shows_it(login, people, room, say):
    ids = [say("helper", room, f"n{n}") for n in range(70)]
    page = login("asker")
    recent = page.get(f"/chat/messages/{ids[-3]}")
    assert recent.headers["Location"] == f"/chat/rooms/{room}#m-{ids[-3]}"
    old = page.get(f"/chat/messages/{ids[5]}")
    assert old.headers["Location"] == f"/chat/rooms/{room}?after={ids[5] - 1}#m-{ids[5]}"
    html = text(page.get(old.headers["Location"]))
    assert message_ids(html)[0] == ids[5] and 'id="chat-older"' in html


# -- turning chat into a question -----------------------------------------------------------


def test_a_stretch_of_chat_becomes_a_question_through_the_pages(app, login, people, room, say):
    asked = say("asker", room, "How do you keep **implants** in stock over the rains?")
    first = say("helper", room, "We pre-position three months of stock in May.")
    chatter = say("peer", room, "lol the rain here")
    second = say("mod", room, "Motorbike riders reach the far dispensaries.")
    page = login("asker")
    html = text(page.get(f"/chat/rooms/{room}"))
    assert f'/chat/rooms/{room}/promote?from={asked}">Turn into a question' in html
    # Only your own messages (you are no moderator).
    assert f"promote?from={first}" not in html

    form = text(page.get(f"/chat/rooms/{room}/promote?from={asked}"))
    assert "<strong>implants</strong>" in form
    assert f'value="{first}"' in form and f'value="{chatter}"' in form
    assert f'value="{asked}"' not in form
    bad = page.post_form(f"/chat/rooms/{room}/promote?from={asked}",
                         {"title": "short", "tags": "implants", "answers": [str(first)]},
                         page=f"/chat/rooms/{room}/promote?from={asked}")
    assert bad.status_code == 422 and 'aria-invalid="true"' in text(bad)
    assert f'value="{first}" id="answer-{first}" checked' in text(bad)

    response = page.post_form(
        f"/chat/rooms/{room}/promote?from={asked}",
        {"title": "Keeping implants in stock through the rainy season",
         "tags": "implants, supply-chain", "answers": [str(first), str(second)]},
        page=f"/chat/rooms/{room}/promote?from={asked}")
    assert response.status_code == 302
    question_path = response.headers["Location"]
    question_id = int(re.fullmatch(r"/questions/(\d+)", question_path).group(1))
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.author_id == people["asker"]
        answers = db.session.scalars(select(Post).where(Post.question_id == question_id)
                                     .order_by(Post.id)).all()
        assert [(a.author_id, a.body_source) for a in answers] == [
            (people["helper"], "We pre-position three months of stock in May."),
            (people["mod"], "Motorbike riders reach the far dispensaries.")]

    shown = text(page.get(question_path))
    assert "Keeping implants in stock" in shown and "Helper" in shown and "Mod" in shown
    back = re.search(r'<a href="([^"]+)">From a chat conversation</a>', shown).group(1)
    assert back == f"/chat/messages/{asked}"
    assert page.get(back).headers["Location"] == f"/chat/rooms/{room}#m-{asked}"

    html = text(page.get(f"/chat/rooms/{room}"))
    assert (f'<a href="{question_path}">Turned into a question: '
            "Keeping implants in stock through the rainy season</a>") in html
    assert html.count(f'data-question="{question_id}"') == 3
    assert html.count(">Part of a question</a>") == 2
    assert f"promote?from={asked}" not in html  # once is enough
    again = page.get(f"/chat/rooms/{room}/promote?from={asked}")
    assert again.headers["Location"] == question_path


def test_only_the_author_or_a_moderator_may_promote(app, login, people, room, say):
    asked = say("asker", room, "Who has the new training checklist?")
    reply = say("helper", room, "I do, it is on the district drive.")
    path = f"/chat/rooms/{room}/promote?from={asked}"
    data = {"title": "Where is the new training checklist?", "tags": "training",
            "answers": [str(reply)]}
    helper = login("helper")
    assert helper.get(path).status_code == 403
    assert helper.post_form(path, data, page=f"/chat/rooms/{room}").status_code == 403
    assert login("outsider").get(path).status_code == 403
    assert count(app, Question) == 0

    mod = login("mod")
    assert f"promote?from={asked}" in text(mod.get(f"/chat/rooms/{room}"))
    response = mod.post_form(path, data)
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalar(select(Question))
        assert question.author_id == people["asker"]  # credited to who asked, not the mod


def test_direct_rooms_offer_no_promotion(app, login, people):
    page = login("asker")
    room_path = page.post_form("/chat/direct", {"username": "helper"},
                               page="/chat").headers["Location"]
    room_id = int(room_path.rsplit("/", 1)[1])
    inputs = form_inputs(text(page.get(room_path)), f"{room_path}/messages")
    page.client.post(f"{room_path}/messages", data={**inputs, "body": "just between us"})
    html = text(page.get(room_path))
    assert "just between us" in html and "/promote?from=" not in html
    with app.app_context():
        mid = db.session.scalar(select(ChatMessage.id))
    assert page.get(f"/chat/rooms/{room_id}/promote?from={mid}").status_code == 404


def test_the_room_list_only_reads_for_a_member_of_many_groups(app, people, make_group, join,
                                                             login):
    """Group rooms come with their groups, so listing them writes nothing (it used to
    create missing rooms on the first GET)."""
    for slug in ("east-africa", "south-asia", "sahel"):
        make_group(slug)
        join(people["peer"], slug)
    page = login("peer")
    page.get("/")
    before = _snapshot(app)
    html = page.get("/chat").get_data(as_text=True)
    assert all(f">{slug.replace('-', ' ').title()}" in html or slug in html
               for slug in ("east-africa", "south-asia", "sahel"))
    assert _snapshot(app) == before
