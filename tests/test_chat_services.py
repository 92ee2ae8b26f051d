"""The chat services: rooms, idempotent sending, history, edits, deletes, read positions,
direct rooms and promotion of a stretch of chat to a question."""

import os
import threading

import pytest
from sqlalchemy import event, func, insert, select

from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from forum.extensions import db
from forum.models import (
    ChatMessage,
    ChatMessageRevision,
    ChatRoom,
    ChatRoomMember,
    Post,
    Question,
    User,
)
from forum.services import chat, qa
from forum.services.accounts import delete_account
from forum.services.uow import unit_of_work


@pytest.fixture
def people(make_user):
    """Account ids: members of west-africa (asker, helper, peer, mod), and others."""
    return {name: make_user(name, role=role) for name, role in
            [("asker", "member"), ("helper", "member"), ("peer", "member"),
             ("mod", "moderator"), ("outsider", "member"), ("insider", "member"),
             ("admin", "admin")]}


@pytest.fixture
def members(people, group, join):
    """asker, helper, peer and mod follow the public group `west-africa`."""
    for name in ("asker", "helper", "peer", "mod"):
        join(people[name], group)
    return group


@pytest.fixture
def private_group(people, make_group, join):
    """A private group whose only member is `insider`."""
    slug = make_group("inner-circle", private=True)
    join(people["insider"], slug, private=True)
    return slug


def as_user(app, user_id, service, *args, **kwargs):
    """Call a service as the user with this id inside a fresh app context."""
    with app.app_context():
        return service(db.session.get(User, user_id), *args, **kwargs)


@pytest.fixture
def room(app, people, members):
    """The id of west-africa's chat room."""
    return as_user(app, people["asker"], chat.room_for_group, members).id


def send(app, user_id, room_id, body="Hello there", client_id=None, **kwargs):
    """Send as a user; returns (message id, created)."""
    send.counter += 1
    client_id = client_id or f"c{send.counter}"
    with app.app_context():
        message, created = chat.send_message(db.session.get(User, user_id), room_id, body,
                                             client_id, **kwargs)
        return message.id, created


send.counter = 0


def direct(app, user_id, username):
    """Open the direct room with `username` as a user; returns (room id, created)."""
    with app.app_context():
        room, created = chat.open_direct(db.session.get(User, user_id), username)
        return room.id, created


# -- rooms ------------------------------------------------------------------------------


def test_a_group_room_is_created_once_on_first_use(app, people, members):
    first = as_user(app, people["asker"], chat.room_for_group, members).id
    again = as_user(app, people["helper"], chat.room_for_group, members).id
    assert first == again
    with app.app_context():
        assert db.session.scalar(select(func.count(ChatRoom.id))) == 1


def test_only_members_enter_a_group_room(app, people, members, private_group):
    with pytest.raises(PermissionDenied):
        as_user(app, people["outsider"], chat.room_for_group, members)
    with pytest.raises(NotFound):
        as_user(app, people["outsider"], chat.room_for_group, private_group)
    with pytest.raises(NotFound):
        as_user(app, people["outsider"], chat.room_for_group, "no-such-group")
    private_room = as_user(app, people["insider"], chat.room_for_group, private_group).id
    for name in ("outsider", "asker"):
        with pytest.raises(NotFound):
            as_user(app, people[name], chat.get_room, private_room)
        with pytest.raises(NotFound):
            send(app, people[name], private_room)
    # Site administrators are not members: a private group's chat stays with its members.
    with app.app_context():
        admin = db.session.get(User, people["admin"])
        assert chat.can_enter(admin, db.session.get(ChatRoom, private_room)) is False


def test_unknown_rooms_are_not_found(app, people, room):
    for bad in (room + 1000, 0, -1, "x", None, True, 2**40):
        with pytest.raises(NotFound):
            as_user(app, people["asker"], chat.get_room, bad)


# -- sending ----------------------------------------------------------------------------


def test_send_stores_rendered_markdown(app, people, room):
    message_id, created = send(app, people["asker"], room, "Stock **implants** <script>x")
    assert created is True
    with app.app_context():
        message = db.session.get(ChatMessage, message_id)
        assert "<strong>implants</strong>" in message.body_html
        assert "<script>" not in message.body_html
        assert message.body_source == "Stock **implants** <script>x"
        assert message.created_at.tzinfo is not None


def test_a_resent_client_id_returns_the_original_and_stores_nothing(app, people, room):
    first, created = send(app, people["asker"], room, "Once only", client_id="abc-1")
    again, created_again = send(app, people["asker"], room, "Once only", client_id="abc-1")
    assert (created, created_again) == (True, False)
    assert again == first
    # Another author may use the same client_id: it is unique per author.
    other, other_created = send(app, people["helper"], room, "Mine", client_id="abc-1")
    assert other_created is True and other != first
    with app.app_context():
        assert db.session.scalar(select(func.count(ChatMessage.id))) == 2


def test_a_client_id_of_another_room_is_a_conflict(app, people, room):
    send(app, people["asker"], room, client_id="same")
    dm, _created = direct(app, people["asker"], "helper")
    with pytest.raises(Conflict) as caught:
        send(app, people["asker"], dm, client_id="same")
    assert "client_id" in caught.value.fields


@pytest.mark.parametrize(
    ("body", "client_id", "field"),
    [
        ("", "c", "body"),
        ("   \n ", "c", "body"),
        ("x" * 4001, "c", "body"),
        (42, "c", "body"),
        (None, "c", "body"),
        ("fine", "", "client_id"),
        ("fine", "x" * 65, "client_id"),
        ("fine", 7, "client_id"),
        ("fine", None, "client_id"),
    ],
)
def test_send_refuses_bad_input_naming_the_field(app, people, room, body, client_id, field):
    with app.app_context():
        user = db.session.get(User, people["asker"])
        with pytest.raises(InvalidInput) as caught:
            chat.send_message(user, room, body, client_id)
        assert field in caught.value.fields
        assert db.session.scalar(select(func.count(ChatMessage.id))) == 0


def test_4000_characters_and_64_character_client_ids_are_accepted(app, people, room):
    _id, created = send(app, people["asker"], room, "y" * 4000, client_id="k" * 64)
    assert created


def test_ten_messages_in_ten_seconds_then_rate_limited(app, people, room):
    ids = [send(app, people["asker"], room, f"message {n}", client_id=f"burst-{n}")[0]
           for n in range(10)]
    with pytest.raises(RateLimited) as caught:
        send(app, people["asker"], room, "one too many")
    assert caught.value.retry_after >= 1
    # Resends store nothing, so they are never limited; system work is not limited.
    assert send(app, people["asker"], room, "message 0", client_id="burst-0") == (ids[0], False)
    _id, created = send(app, people["asker"], room, "imported", system=True)
    assert created
    # The limit is per user.
    _id, created = send(app, people["helper"], room, "not me")
    assert created


def test_a_resend_after_the_limit_still_acks_the_original(app, people, room):
    original, _created = send(app, people["asker"], room, "first", client_id="keep")
    for n in range(9):
        send(app, people["asker"], room, f"more {n}")
    again, created = send(app, people["asker"], room, "first", client_id="keep")
    assert (again, created) == (original, False)


def test_a_send_draws_its_id_only_once_the_room_s_other_writer_committed(app, people, room):
    """PostgreSQL: messages of a room commit in the order of their ids. Another writer holds
    the room's row lock (as a send does from its INSERT to its commit); a send waits for it,
    and its id comes after the id that writer drew before committing."""
    if os.environ.get("FORUM_TEST_DB", "sqlite") != "postgresql":
        pytest.skip("SQLite queues every writer for its write lock")
    with app.app_context():
        result = {}
        sender = threading.Thread(
            target=lambda: result.update(id=send(app, people["asker"], room, "second")[0]))
        with db.engine.begin() as other:  # commits when the block ends
            other.execute(select(ChatRoom.id).where(ChatRoom.id == room).with_for_update())
            sender.start()
            sender.join(0.5)
            assert sender.is_alive() and not result  # waiting for the room's lock
            earlier = other.execute(insert(ChatMessage.__table__).values(
                room_id=room, author_id=people["helper"], client_id="other-writer",
                body_source="first", body_html="<p>first</p>", markup_version=1,
                created_at=func.now()).returning(ChatMessage.__table__.c.id)).scalar_one()
        sender.join(10)
        assert result["id"] > earlier


# -- history ----------------------------------------------------------------------------


def test_history_pages_by_id_oldest_first(app, people, room):
    ids = [send(app, people["asker"], room, f"m{n}", system=True)[0] for n in range(120)]
    with app.app_context():
        user = db.session.get(User, people["helper"])
        latest, more = chat.history(user, room)
        assert [m.id for m in latest] == ids[-50:] and more is True
        older, more = chat.history(user, room, before=latest[0].id)
        assert [m.id for m in older] == ids[-100:-50] and more is True
        oldest, more = chat.history(user, room, before=older[0].id)
        assert [m.id for m in oldest] == ids[:20] and more is False
        gap, more = chat.history(user, room, after=ids[9], limit=5)
        assert [m.id for m in gap] == ids[10:15] and more is True
        tail, more = chat.history(user, room, after=ids[-3])
        assert [m.id for m in tail] == ids[-2:] and more is False
        window, more = chat.history(user, room, after=ids[0], before=ids[4])
        assert [m.id for m in window] == ids[1:4] and more is False
        assert chat.history(user, room, after=0, limit=1)[0][0].id == ids[0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"before": 0}, "before"), ({"before": "9"}, "before"), ({"after": -1}, "after"),
     ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": True}, "limit"),
     ({"after": 2**31}, "after")],
)
def test_history_refuses_bad_paging(app, people, room, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        as_user(app, people["asker"], chat.history, room, **kwargs)
    assert field in caught.value.fields


def test_history_is_for_members_only(app, people, room):
    send(app, people["asker"], room, "members only")
    with pytest.raises(PermissionDenied):
        as_user(app, people["outsider"], chat.history, room)


# -- edits and deletes ------------------------------------------------------------------


def test_authors_edit_their_messages_and_the_old_text_is_kept(app, people, room):
    message_id, _created = send(app, people["asker"], room, "first text")
    as_user(app, people["asker"], chat.edit_message, message_id, "second *text*")
    as_user(app, people["asker"], chat.edit_message, message_id, "second *text*")  # no-op
    as_user(app, people["asker"], chat.edit_message, message_id, "third")
    with app.app_context():
        message = db.session.get(ChatMessage, message_id)
        assert message.body_source == "third" and message.edited_at is not None
        revisions = db.session.scalars(select(ChatMessageRevision).order_by(
            ChatMessageRevision.id)).all()
        assert [r.body_source for r in revisions] == ["first text", "second *text*"]
        assert revisions[0].created_at == message.created_at
        _message, listed = chat.revisions_of(db.session.get(User, people["helper"]),
                                             message_id)
        assert len(listed) == 2


def test_nobody_else_edits_a_message(app, people, room):
    message_id, _created = send(app, people["asker"], room, "mine")
    for name in ("helper", "mod"):
        with pytest.raises(PermissionDenied):
            as_user(app, people[name], chat.edit_message, message_id, "theirs")
    with pytest.raises(NotFound):
        as_user(app, people["outsider"], chat.edit_message, message_id, "theirs")
    with pytest.raises(InvalidInput):
        as_user(app, people["asker"], chat.edit_message, message_id, "x" * 4001)


def test_authors_and_moderators_delete_others_cannot(app, people, room):
    mine, _created = send(app, people["asker"], room, "mine")
    theirs, _created = send(app, people["helper"], room, "theirs")
    with pytest.raises(PermissionDenied):
        as_user(app, people["peer"], chat.delete_message, mine)
    with pytest.raises(NotFound):
        as_user(app, people["outsider"], chat.delete_message, mine)
    as_user(app, people["asker"], chat.delete_message, mine)
    as_user(app, people["mod"], chat.delete_message, theirs)
    as_user(app, people["mod"], chat.delete_message, theirs)  # twice changes nothing
    with app.app_context():
        deleted = {m.id: m.deleted_by_id for m in db.session.scalars(select(ChatMessage))}
        assert deleted == {mine: people["asker"], theirs: people["mod"]}
    with pytest.raises(NotFound):
        as_user(app, people["asker"], chat.edit_message, mine, "back")


# -- read positions and unread counts ---------------------------------------------------


def unread(app, user_id):
    with app.app_context():
        return {s.name: s.unread for s in chat.rooms_for(db.session.get(User, user_id))}


def test_unread_counts_follow_read_positions(app, people, room):
    ids = [send(app, people["asker"], room, f"n{n}")[0] for n in range(4)]
    send(app, people["helper"], room, "my own message does not count")
    assert unread(app, people["helper"]) == {"West Africa": 4}
    assert as_user(app, people["helper"], chat.mark_read, room, ids[1]) == ids[1]
    assert unread(app, people["helper"]) == {"West Africa": 2}
    # Positions only move forward.
    assert as_user(app, people["helper"], chat.mark_read, room, ids[0]) == ids[1]
    as_user(app, people["asker"], chat.delete_message, ids[3])
    assert unread(app, people["helper"]) == {"West Africa": 1}
    as_user(app, people["helper"], chat.mark_read, room, ids[2])
    assert unread(app, people["helper"]) == {"West Africa": 0}
    assert unread(app, people["peer"]) == {"West Africa": 4}  # 3 left by asker, 1 by helper
    with app.app_context():
        assert db.session.scalar(select(func.count(ChatRoomMember.id))) == 1


def test_mark_read_needs_a_message_of_the_room(app, people, room):
    dm, _created = direct(app, people["asker"], "helper")
    elsewhere, _created = send(app, people["asker"], dm, "private")
    with pytest.raises(InvalidInput):
        as_user(app, people["peer"], chat.mark_read, room, elsewhere)
    with pytest.raises(InvalidInput):
        as_user(app, people["peer"], chat.mark_read, room, "1")


def test_rooms_for_uses_a_fixed_number_of_queries(app, people, members, make_group, join):
    def count_queries(user_id):
        """Statements of rooms_for: a first call (creating the group rooms), then another."""
        counts = []

        def record(conn, cursor, statement, *args):
            counts[-1] += 1

        for _attempt in range(2):
            counts.append(0)
            with app.app_context():
                user = db.session.get(User, user_id)
                event.listen(db.engine, "before_cursor_execute", record)
                try:
                    chat.rooms_for(user)
                finally:
                    event.remove(db.engine, "before_cursor_execute", record)
        return counts

    few = count_queries(people["asker"])
    for n in range(5):
        slug = make_group(f"region-{n}")
        join(people["asker"], slug)
    for name in ("helper", "peer", "mod"):
        dm, _created = direct(app, people["asker"], name)
        send(app, people[name], dm, "hi")
    with app.app_context(), unit_of_work():
        db.session.execute(ChatRoom.__table__.delete().where(ChatRoom.kind == "group"))
    assert count_queries(people["asker"]) == few


# -- direct rooms -----------------------------------------------------------------------


def test_a_direct_room_is_shared_by_two_people_only(app, people):
    dm, created = direct(app, people["asker"], "helper")
    same, created_again = direct(app, people["helper"], "ASKER")
    assert (created, created_again) == (True, False) and same == dm
    send(app, people["helper"], dm, "psst")
    with pytest.raises(NotFound):
        send(app, people["peer"], dm, "me too")
    with pytest.raises(NotFound):
        as_user(app, people["mod"], chat.history, dm)
    with app.app_context():
        rooms = chat.rooms_for(db.session.get(User, people["asker"]))
        assert [(s.room.kind, s.name, s.unread) for s in rooms] == [("direct", "helper", 1)]
        assert rooms[0].other.username == "helper"


def test_direct_rooms_refuse_yourself_and_unknown_people(app, people):
    with pytest.raises(InvalidInput):
        direct(app, people["asker"], "asker")
    with pytest.raises(NotFound):
        direct(app, people["asker"], "nobody")


# -- promotion --------------------------------------------------------------------------

TITLE = "How do we keep implants in stock in rural clinics?"


def promote(app, actor_id, room_id, question_id, answer_ids, **kwargs):
    kwargs.setdefault("title", TITLE)
    kwargs.setdefault("tags", ["implants"])
    with app.app_context():
        question = chat.promote(db.session.get(User, actor_id), room_id, question_id,
                                answer_ids, kwargs["title"], kwargs["tags"])
        return question.id


def test_promotion_credits_each_author_and_marks_the_messages(app, people, room, make_question,
                                                            make_post, group):
    asked, _c = send(app, people["asker"], room, "How do you avoid implant stock-outs?")
    first, _c = send(app, people["helper"], room, "Order a quarter ahead.")
    chatter, _c = send(app, people["peer"], room, "lol")
    second, _c = send(app, people["peer"], room, "Share stock between districts.")
    # The helper posted the same text as an answer a moment ago and is over the posting
    # rate limit: the answers are the chat as it was, credited to their authors, so neither
    # the duplicate check nor the helper's limit refuses them (the promotion counts against
    # the promoter's own limit, and the question is checked: the tests below).
    other = make_question(people["peer"], group, title="Another question about stock")
    make_post(people["helper"], question_id=other, body="Order a quarter ahead.")
    question_id = promote(app, people["asker"], room, asked, [second, first])
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.author_id == people["asker"] and question.group.slug == group
        assert question.body_source.startswith("How do you avoid implant stock-outs?")
        assert "From the chat of West Africa on" in question.body_source
        assert "From the chat of West Africa on" in question.body_html
        answers = db.session.scalars(select(Post).where(Post.question_id == question_id)
                                     .order_by(Post.id)).all()
        assert [(a.author_id, a.body_source) for a in answers] == [
            (people["helper"], "Order a quarter ahead."),
            (people["peer"], "Share stock between districts.")]
        assert question.answer_count == 2
        marked = dict(db.session.execute(select(ChatMessage.id,
                                                ChatMessage.promoted_question_id)).all())
        assert marked == {asked: question_id, first: question_id, chatter: None,
                          second: question_id}
        assert chat.chat_source_of(question_id) == (room, asked)
    # The same messages cannot be promoted twice.
    with pytest.raises(Conflict):
        promote(app, people["asker"], room, asked, [])


def test_promotion_counts_against_the_promoters_posting_limit(app, people, room):
    """One post per 5 seconds (LIMIT_POST_PER_USER) whether asked or promoted from chat."""
    first, _c = send(app, people["asker"], room, "A first question in chat?")
    second, _c = send(app, people["asker"], room, "A second question in chat?")
    promote(app, people["asker"], room, first, [])
    with pytest.raises(RateLimited):
        promote(app, people["asker"], room, second, [], title="A second title for chat")
    with app.app_context():
        asked = db.session.get(User, people["asker"])
        # Asking in Q&A right after a promotion is refused the same way.
        with pytest.raises(RateLimited):
            qa.ask_question(asked, title="A third question, asked", body="Why?",
                            group="west-africa", tags=["implants"])
        assert db.session.scalar(select(func.count(Question.id))) == 1
        assert db.session.get(ChatMessage, second).promoted_question_id is None


def test_promotion_refuses_a_question_its_author_just_asked(app, people, room, make_question,
                                                           group):
    make_question(people["asker"], group, title="How do you avoid implant stock-outs?",
                  body="How do you avoid implant stock-outs?")
    asked, _c = send(app, people["asker"], room, "How do you avoid implant stock-outs? ")
    answer, _c = send(app, people["helper"], room, "Order a quarter ahead.")
    with pytest.raises(Conflict) as caught:
        promote(app, people["mod"], room, asked, [answer])
    assert caught.value.fields == {"body": "Duplicate of your recent post."}
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 1
        assert db.session.scalar(select(func.count(Post.id))) == 0


def test_moderators_or_the_question_author_promote(app, people, room):
    asked, _c = send(app, people["asker"], room, "A question in chat?")
    answer, _c = send(app, people["helper"], room, "An answer in chat.")
    with pytest.raises(PermissionDenied):
        promote(app, people["helper"], room, asked, [answer])
    with pytest.raises(PermissionDenied):
        promote(app, people["outsider"], room, asked, [answer])
    question_id = promote(app, people["mod"], room, asked, [answer])
    with app.app_context():
        assert db.session.get(Question, question_id).author_id == people["asker"]


@pytest.mark.parametrize("case", ["earlier", "deleted", "other_room", "duplicate", "not_list",
                                  "title", "tags", "question_deleted"])
def test_promotion_refuses_bad_stretches(app, people, room, case):
    early, _c = send(app, people["helper"], room, "Before the question")
    asked, _c = send(app, people["asker"], room, "The question?")
    later, _c = send(app, people["helper"], room, "The answer.")
    dm, _created = direct(app, people["asker"], "helper")
    elsewhere, _c = send(app, people["helper"], dm, "Private answer.")
    args = {"answer_ids": [later], "title": TITLE, "tags": ["implants"]}
    if case == "earlier":
        args["answer_ids"] = [early]
    elif case == "deleted":
        as_user(app, people["helper"], chat.delete_message, later)
    elif case == "other_room":
        args["answer_ids"] = [elsewhere]
    elif case == "duplicate":
        args["answer_ids"] = [later, later]
    elif case == "not_list":
        args["answer_ids"] = later
    elif case == "title":
        args["title"] = "short"
    elif case == "tags":
        args["tags"] = []
    elif case == "question_deleted":
        as_user(app, people["asker"], chat.delete_message, asked)
    with pytest.raises(InvalidInput):
        promote(app, people["asker"], room, asked, args.pop("answer_ids"), **args)
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 0
        assert db.session.scalar(select(func.count(ChatMessage.id)).where(
            ChatMessage.promoted_question_id.is_not(None))) == 0


def test_direct_rooms_cannot_be_promoted(app, people):
    dm, _created = direct(app, people["asker"], "helper")
    asked, _c = send(app, people["asker"], dm, "A private question?")
    with pytest.raises(InvalidInput) as caught:
        promote(app, people["asker"], dm, asked, [])
    assert "room" in caught.value.fields


def test_promotion_stops_when_an_author_deleted_their_account(app, people, room):
    asked, _c = send(app, people["asker"], room, "The question?")
    later, _c = send(app, people["helper"], room, "The answer.")
    with app.app_context():
        delete_account(db.session.get(User, people["helper"]), "correct horse battery")
    with pytest.raises(InvalidInput) as caught:
        promote(app, people["asker"], room, asked, [later])
    assert "answer_message_ids" in caught.value.fields
    with app.app_context():
        assert db.session.scalar(select(func.count(Question.id))) == 0
        # The message stays, shown as written by a deleted user.
        message = db.session.get(ChatMessage, later)
        assert message.author_id == people["helper"] and message.author.is_deleted
