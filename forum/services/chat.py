"""Live chat: group rooms and direct rooms, messages (idempotent per client_id), edits with
history, soft deletes, read positions, and promoting a stretch of chat to a question.

Every chat write goes through these functions, whether it comes from a socket event, the JSON
API or the demo seed. Each validates, authorizes, commits once, and only then tells the room
(forum.realtime). Who may enter a room: the members of its group (public or private;
site roles add nothing), or the two people of a direct room.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import g
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, make_transient_to_detached, selectinload

from forum import permissions, ratelimit
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    ChatMessage,
    ChatMessageRevision,
    ChatRoom,
    ChatRoomMember,
    Group,
    GroupMembership,
    Question,
    User,
    utcnow,
)
from forum.models.chat import direct_key
from forum.realtime import chat as chat_emits
from forum.realtime import presence, registry
from forum.schemas import message_json
from forum.security import token_hash
from forum.services import attachments as files
from forum.services import inputs, notifications, qa, trust
from forum.services.accounts import get_user_by_username
from forum.services.inputs import as_id, id_field, require_user
from forum.services.uow import (
    after_commit,
    keep_loaded_after_commit,
    savepoint,
    transactional,
    unit_of_work,
)

BODY_MAX = 4000
CLIENT_ID_MAX = 64
HISTORY_DEFAULT, HISTORY_MAX = 50, 100
PROMOTE_ANSWERS_MAX = 20


# -- validation -------------------------------------------------------------------------


def clean_body(value, errors: dict) -> str:
    """Markdown of 1 to 4000 characters (not only spaces); null is not text here."""
    return inputs.clean_body(value, errors, max_len=BODY_MAX, none_is_empty=False)


def clean_client_id(value, errors: dict) -> str:
    """The sender's own id for a message: 1 to 64 characters (text a database can store)."""
    if not isinstance(value, str):
        errors["client_id"] = _("Must be text.")
        return ""
    value = inputs.text(value, "client_id", errors)
    if "client_id" in errors:
        return value
    if not value:
        errors["client_id"] = _("This field is required.")
    elif len(value) > CLIENT_ID_MAX:
        errors["client_id"] = _("Use at most %(n)d characters.", n=CLIENT_ID_MAX)
    return value


def new_client_id() -> str:
    """A client_id for senders that do not choose one (the API makes it optional)."""
    return f"srv-{uuid.uuid4().hex}"


# -- rooms ------------------------------------------------------------------------------


def can_enter(user, room: ChatRoom, *, is_member: bool | None = None) -> bool:
    """Group rooms: the group's members, and site moderators and admins openly (a public
    group's room: its members see them present, marked as moderators); direct rooms: their
    two people. `is_member`: the user's membership of the room's group when the caller read
    it already."""
    if not permissions.is_user(user) or room is None:
        return False
    if room.is_group:
        if is_member is None:
            is_member = _is_member(user, room)
        return is_member or (permissions.is_moderator(user) and not room.group.private)
    ids = room.direct_user_ids()
    return ids is not None and user.id in ids


# Every chat event reads its room (and a send looks for the client_id's message): these
# statements are built once, since building one costs more than running it on SQLite.
_ROOM_AND_MEMBERSHIP = select(
    ChatRoom,
    select(GroupMembership.id)
    .where(GroupMembership.group_id == ChatRoom.group_id,
           GroupMembership.user_id == bindparam("user_id"))
    .scalar_subquery(),
).where(ChatRoom.id == bindparam("room_id"))
_BY_CLIENT_ID = select(ChatMessage).where(ChatMessage.author_id == bindparam("author_id"),
                                          ChatMessage.client_id == bindparam("client_id"))
# A send reads its room, the membership and whether its client_id was used, in one query.
_ROOM_FOR_SEND = _ROOM_AND_MEMBERSHIP.add_columns(
    select(ChatMessage.id).where(ChatMessage.author_id == bindparam("user_id"),
                                 ChatMessage.client_id == bindparam("client_id"))
    .scalar_subquery())
_MESSAGES = ChatMessage.__table__
_MESSAGE_VALUES = ("room_id", "author_id", "client_id", "body_source", "body_html",
                   "markup_version", "created_at")
# ON CONFLICT DO NOTHING: a resend that arrives twice at once inserts nothing the second
# time (no id comes back) instead of failing the transaction it is part of.
_INSERT_MESSAGE = (sqlite.insert(_MESSAGES).on_conflict_do_nothing()
                   .returning(_MESSAGES.c.id))
# PostgreSQL: the same INSERT, taking the room's row lock in the same statement (see
# send_message); one round trip fewer with the lock held than a SELECT ... FOR UPDATE first.
_LOCKED_ROOM = (select(ChatRoom.id).where(ChatRoom.id == bindparam("room_id"))
                .with_for_update().cte("locked_room"))
_INSERT_MESSAGE_LOCKED = postgresql.insert(_MESSAGES).from_select(
    list(_MESSAGE_VALUES),
    select(_LOCKED_ROOM.c.id, *(bindparam(name, type_=_MESSAGES.c[name].type)
                                for name in _MESSAGE_VALUES[1:])),
).on_conflict_do_nothing().returning(_MESSAGES.c.id)


def _is_member(user, room: ChatRoom) -> bool:
    return db.session.scalar(select(GroupMembership.id).where(
        GroupMembership.group_id == room.group_id,
        GroupMembership.user_id == user.id)) is not None


def visits_as_moderator(user, room: ChatRoom) -> bool:
    """True when `user` is in a group's room as a site moderator or admin without being a
    member of the group: presence shows them marked as such."""
    return (permissions.is_user(user) and room is not None and room.is_group
            and permissions.is_moderator(user) and not _is_member(user, room))


def may_enter(user, room_id) -> bool:
    """Whether `user` may enter the room with this id (False for unknown rooms)."""
    try:
        get_room(user, room_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def get_room(user, room_id) -> ChatRoom:
    """A room `user` may enter. Raises NotFound (unknown, a private group's room to anyone
    outside the group, site roles included, or someone else's direct room) or
    PermissionDenied (a public group's room, to a non-member)."""
    require_user(user)
    ident = as_id(room_id)
    row = db.session.execute(_ROOM_AND_MEMBERSHIP, {"room_id": ident, "user_id": user.id}
                             ).first() if ident else None
    return _enterable(user, row)


def _enterable(user, row) -> ChatRoom:
    """The room of a (room, membership id, ...) row if `user` may enter it; else get_room's
    refusal."""
    if row is None:
        raise NotFound(_("No such chat room."))
    room, membership = row[0], row[1]
    if can_enter(user, room, is_member=membership is not None):
        return room
    # A public group's room is no secret: say why it stays shut. A private group's room is
    # "not found" to everyone outside it, site moderators and admins included.
    if room.is_group and not room.group.private:
        raise PermissionDenied(_("Join the group to take part in its chat."))
    raise NotFound(_("No such chat room."))


def _ensure_group_rooms(groups: list[Group]) -> dict[int, ChatRoom]:
    """The rooms of these groups by group id, creating the missing ones in one statement
    (a write of its own, or part of the caller's)."""
    if not groups:
        return {}
    ids = [g.id for g in groups]
    for _attempt in range(3):
        rooms = {r.group_id: r for r in db.session.scalars(
            select(ChatRoom).where(ChatRoom.group_id.in_(ids)))}
        missing = [gid for gid in ids if gid not in rooms]
        if not missing:
            break
        now = utcnow()
        with unit_of_work():
            try:
                with savepoint():
                    db.session.execute(insert(ChatRoom), [
                        {"kind": "group", "group_id": gid, "created_at": now}
                        for gid in missing])
            except IntegrityError:  # a concurrent request created some of them: look again
                pass
    return rooms


def room_for_group(user, slug) -> ChatRoom:
    """The chat room of a group `user` belongs to (created on first use).

    Raises NotFound (unknown or private group) or PermissionDenied (not a member).
    """
    require_user(user)
    group = db.session.scalar(select(Group).where(Group.slug == slug)) \
        if isinstance(slug, str) else None
    if group is None or not permissions.can_view_group(user, group):
        raise NotFound(_("No such group."))
    room = _ensure_group_rooms([group]).get(group.id)
    if room is None:  # lost every race to create it: vanishingly rare
        raise Conflict(_("The request could not be processed."))
    if not can_enter(user, room):
        raise PermissionDenied(_("Join the group to take part in its chat."))
    return room


@transactional
def open_direct(user, username) -> tuple[ChatRoom, bool]:
    """The direct room between `user` and `username`, and whether it was just created.

    Raises NotFound (no such user) or InvalidInput (yourself).
    """
    inputs.require_active(user)
    other = get_user_by_username(username)
    if other.id == user.id:
        raise InvalidInput(fields={"username": _("Choose someone other than yourself.")})
    key = direct_key(user.id, other.id)
    room = db.session.scalar(select(ChatRoom).where(ChatRoom.direct_key == key))
    if room is not None:
        return room, False
    now = utcnow()
    room = ChatRoom(kind="direct", direct_key=key, created_at=now)
    try:
        with savepoint():
            db.session.add(room)
            db.session.flush()
            db.session.add_all([ChatRoomMember(room_id=room.id, user_id=uid, created_at=now)
                                for uid in sorted({user.id, other.id})])
    except IntegrityError:  # both opened it at once: use the one that won
        room = db.session.scalar(select(ChatRoom).where(ChatRoom.direct_key == key))
        if room is None:
            raise
        return room, False
    return room, True


@dataclass
class RoomSummary:
    """A room as a list shows it to one user."""

    room: ChatRoom
    name: str
    unread: int
    group: Group | None = None
    other: User | None = None  # the other person of a direct room (None once deleted)


def _unread_counts(user, room_ids: list[int]) -> dict[int, int]:
    """Messages of others, not deleted, after the user's read position; one query."""
    if not room_ids:
        return {}
    read = aliased(ChatRoomMember)
    rows = db.session.execute(
        select(ChatMessage.room_id, func.count(ChatMessage.id))
        .outerjoin(read, and_(read.room_id == ChatMessage.room_id, read.user_id == user.id))
        .where(ChatMessage.room_id.in_(room_ids), ChatMessage.deleted_at.is_(None),
               or_(ChatMessage.author_id.is_(None), ChatMessage.author_id != user.id),
               ChatMessage.id > func.coalesce(read.last_read_message_id, 0))
        .group_by(ChatMessage.room_id))
    return {room_id: count for room_id, count in rows}


def rooms_for(user) -> list[RoomSummary]:
    """The rooms `user` may enter with unread counts: group rooms by group name, then direct
    rooms by the other person's name. A fixed number of queries whatever the count."""
    require_user(user)
    user_id = user.id
    member_groups = (select(Group).join(GroupMembership, GroupMembership.group_id == Group.id)
                     .where(GroupMembership.user_id == user_id))
    groups = list(db.session.scalars(member_groups))
    # Every group has its room from creation (services.groups.create_group, and a migration
    # for older groups): a page view only reads.
    group_rooms = {r.group_id: r for r in db.session.scalars(
        select(ChatRoom).where(ChatRoom.group_id.in_([g.id for g in groups])))} if groups else {}
    me = aliased(ChatRoomMember)
    them = aliased(ChatRoomMember)
    directs = db.session.execute(
        select(ChatRoom, User)
        .join(me, and_(me.room_id == ChatRoom.id, me.user_id == user.id))
        .join(them, and_(them.room_id == ChatRoom.id, them.user_id != user.id))
        .join(User, User.id == them.user_id)
        .where(ChatRoom.kind == "direct")).all()
    ids = [r.id for r in group_rooms.values()] + [room.id for room, _other in directs]
    unread = _unread_counts(user, ids)
    summaries = [RoomSummary(room=group_rooms[g.id], name=g.name, group=g,
                             unread=unread.get(group_rooms[g.id].id, 0))
                 for g in groups if g.id in group_rooms]
    summaries.sort(key=lambda s: (s.name.lower(), s.room.id))
    people = [RoomSummary(room=room, name=_person_name(other),
                          other=None if other.is_deleted else other,
                          unread=unread.get(room.id, 0)) for room, other in directs]
    people.sort(key=lambda s: (s.name.lower(), s.room.id))
    return summaries + people


def _person_name(user: User | None) -> str:
    if user is None or user.is_deleted:
        return _("deleted user")
    return user.name


def summarize(user, room: ChatRoom) -> RoomSummary:
    """One room as rooms_for() shows it (for answers about a single room)."""
    unread = _unread_counts(user, [room.id]).get(room.id, 0)
    if room.is_group:
        return RoomSummary(room=room, name=room.group.name, group=room.group, unread=unread)
    ids = room.direct_user_ids() or (user.id, user.id)
    other_id = ids[1] if ids[0] == user.id else ids[0]
    other = db.session.get(User, other_id)
    return RoomSummary(room=room, name=_person_name(other),
                       other=None if other is None or other.is_deleted else other,
                       unread=unread)


# -- messages ---------------------------------------------------------------------------


def _rate_limit(user: User) -> None:
    ratelimit.hit("LIMIT_CHAT_PER_USER", "chat", str(user.id))


def _original(author_id: int, client_id: str) -> ChatMessage | None:
    return db.session.scalar(_BY_CLIENT_ID, {"author_id": author_id, "client_id": client_id})


@transactional
def send_message(user, room_id, body, client_id, *, attachments=None, system: bool = False
                 ) -> tuple[ChatMessage, bool]:
    """Post a message; returns it and whether it is new. `attachments`: ids of the author's
    pending uploads (those the body links to are attached too).

    A client_id the author used already stores nothing: the original message comes back with
    False, and is broadcast only if no process ever broadcast it (its process died between
    the commit and the emit). Raises InvalidInput, NotFound, PermissionDenied, Conflict (the
    client_id names a message of another room) or RateLimited (skipped for system work).

    The broadcast is built before the commit and sent after it, so no query runs (and no
    database connection is held) while it goes out.
    """
    inputs.require_active(user)
    errors: dict = {}
    body = clean_body(body, errors)
    client_id = clean_client_id(client_id, errors)
    if errors:
        raise InvalidInput(fields=errors)
    ident = as_id(room_id)
    row = db.session.execute(_ROOM_FOR_SEND, {"room_id": ident, "user_id": user.id,
                                              "client_id": client_id}).first() if ident else None
    room = _enterable(user, row)
    if row[2] is not None:  # a resend
        original = _same_room(db.session.get(ChatMessage, row[2]), room)
        after_commit(chat_emits.chat_message_again, original)
        return original, False
    if not system:
        trust.check_links(user, body)  # new members: at most 2 links (no query otherwise)
        _rate_limit(user)
    mentions = notifications.find_mentions(body)  # no query unless it names someone
    rendered = render_markdown(body, mentions=mentions.links)
    values = {"room_id": room.id, "author_id": user.id, "client_id": client_id,
              "body_source": body, "body_html": rendered.html,
              "markup_version": rendered.version, "created_at": utcnow()}
    # Messages of a room commit in the order of their ids, so a client that has id N and
    # asks for history after N misses nothing committed later with a smaller id: on
    # PostgreSQL the INSERT takes the room's row lock before it draws its id, and holds it
    # to the commit (writers of a room queue there); on SQLite the INSERT takes the write
    # lock, which queues every writer already.
    insert_message = (_INSERT_MESSAGE if db.session.get_bind().dialect.name == "sqlite"
                      else _INSERT_MESSAGE_LOCKED)
    # One INSERT statement rather than the ORM's flush: this is the busiest write of the
    # site, and the flush machinery cost more than the rest of it together.
    message_id = db.session.execute(insert_message, values).scalar()
    if message_id is None:
        original = _original(user.id, client_id)
        if original is not None:  # the same resend arrived twice at once: the first won
            return _same_room(original, room), False
        raise NotFound(_("No such chat room."))  # PostgreSQL: deleted since it was read
    message = _stored_message(message_id, values, user)
    attached = files.attach(user, attachments, body=body, message=message)  # no query if none
    notifications.notify_chat_mentions(user, message, room,
                                       mentions.linked_ids(rendered.mentions))
    # Keep the author loaded after the commit: the ack is built from it, and a reload
    # would take a database connection again for the rest of the socket event.
    keep_loaded_after_commit()
    after_commit(chat_emits.chat_message, message,
                 payload=message_json(message, attachments=attached))
    return message, True


@transactional
def send_and_mark_read(user, room_id, body, client_id, *, attachments=None
                       ) -> tuple[ChatMessage, bool]:
    """send_message(), then the sender has read the room up to the message (the page form):
    one transaction. Raises as send_message()."""
    message, created = send_message(user, room_id, body, client_id, attachments=attachments)
    mark_read(user, message.room_id, message.id)
    return message, created


def _stored_message(message_id: int, values: dict, author: User) -> ChatMessage:
    """The message just inserted, as a detached object: every column set, the author
    attached, nothing left to load (so no query, and no database connection, after the
    commit)."""
    message = ChatMessage(id=message_id, edited_at=None, deleted_at=None, deleted_by_id=None,
                          promoted_question_id=None, author=author, **values)
    make_transient_to_detached(message)
    return message


def _same_room(original: ChatMessage, room: ChatRoom) -> ChatMessage:
    if original.room_id != room.id:
        raise Conflict(_("This client_id was used for another message."),
                       fields={"client_id": _("Already used for another message.")})
    return original


def history(user, room_id, *, before=None, after=None, limit=HISTORY_DEFAULT
            ) -> tuple[list[ChatMessage], bool]:
    """Messages of a room, oldest first, and whether there are more in the paging direction.

    Without `after`: the latest messages (before the id `before`, if given), has_more
    meaning older ones exist. With `after`: the messages following that id (up to `before`,
    if given), has_more meaning newer ones exist. Deleted messages keep their place.
    Raises InvalidInput, NotFound, PermissionDenied.
    """
    errors: dict = {}
    if before is not None:
        id_field(before, "before", errors)
    if after is not None:
        id_field(after, "after", errors, minimum=0)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= HISTORY_MAX:
        errors["limit"] = _("Choose a number from 1 to %(n)d.", n=HISTORY_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    room = get_room(user, room_id)
    stmt = (select(ChatMessage).where(ChatMessage.room_id == room.id)
            .options(selectinload(ChatMessage.author)))
    if before is not None:
        stmt = stmt.where(ChatMessage.id < before)
    if after is not None:
        stmt = stmt.where(ChatMessage.id > after)
        rows = list(db.session.scalars(stmt.order_by(ChatMessage.id).limit(limit + 1)))
        return _without_hidden(user, room, rows[:limit]), len(rows) > limit
    rows = list(db.session.scalars(stmt.order_by(ChatMessage.id.desc()).limit(limit + 1)))
    return _without_hidden(user, room, list(reversed(rows[:limit]))), len(rows) > limit


def _without_hidden(user, room: ChatRoom, messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages as `user` may read them: a message a moderator hid keeps its place, but
    comes without its text or author to all but its author and the room's moderators (pages,
    the API and the socket acks all read history through here)."""
    if not any(m.hidden_at is not None and m.author_id != user.id for m in messages) \
            or moderates_room(user, room):
        return messages
    return [_hidden_copy(m) if m.hidden_at is not None and m.author_id != user.id else m
            for m in messages]


def _hidden_copy(message: ChatMessage) -> ChatMessage:
    """A detached stand-in for a hidden message: its place, time and mark, nothing it said."""
    copy = ChatMessage(id=message.id, room_id=message.room_id, author_id=None, author=None,
                       client_id=message.client_id, body_source="", body_html="",
                       markup_version=message.markup_version, created_at=message.created_at,
                       edited_at=None, deleted_at=None, deleted_by_id=None,
                       promoted_question_id=message.promoted_question_id,
                       hidden_at=message.hidden_at, hidden_reason="")
    return copy  # transient: never added to the session, nothing of it is ever written


def get_message(user, message_id) -> ChatMessage:
    """A message of a room `user` may enter. Raises NotFound, for site moderators and admins
    too: nobody outside a room reads (or deletes, or learns of) its messages."""
    require_user(user)
    ident = as_id(message_id)
    message = db.session.get(ChatMessage, ident) if ident else None
    if message is None:
        raise NotFound(_("No such message."))
    if not can_enter(user, message.room):
        raise NotFound(_("No such message."))
    return message


def may_edit(user, message: ChatMessage) -> bool:
    """Authors edit their own messages (pages ask this to offer the form)."""
    return permissions.is_user(user) and message.author_id == user.id


def may_delete(user, message: ChatMessage) -> bool:
    """Authors delete their own messages, moderators any message of a room they may enter
    (get_message() refuses the others first)."""
    return permissions.is_user(user) and (message.author_id == user.id
                                          or permissions.is_moderator(user))


def moderates_room(user, room: ChatRoom) -> bool:
    """Whether `user` moderates a room (its group's moderators; direct rooms: site
    moderators and admins): they see hidden messages and may hide or restore them. Asked
    once per page and room (kept on the request)."""
    if not permissions.is_user(user) or room is None:
        return False
    key = ("moderates_room", user.id, room.id)
    known = g.get("chat_moderates")
    if known is None:
        known = g.chat_moderates = {}
    if key not in known:
        known[key] = permissions.moderates_group_id(user, room.group_id if room.is_group
                                                    else None)
    return known[key]


def may_see_hidden(user, message: ChatMessage, room: ChatRoom) -> bool:
    """A message hidden by a moderator is shown to its author and the room's moderators."""
    return (message.hidden_at is None
            or (permissions.is_user(user) and message.author_id == user.id)
            or moderates_room(user, room))


def may_promote(user, message: ChatMessage) -> bool:
    """Moderators, or the author of the message that becomes the question."""
    return permissions.is_user(user) and (permissions.is_moderator(user)
                                          or message.author_id == user.id)


@transactional
def edit_message(user, message_id, body, *, system: bool = False) -> ChatMessage:
    """Change the text of your own message; the text it replaces is kept as a revision.

    Raises NotFound, PermissionDenied, InvalidInput or RateLimited: an edit counts against
    LIMIT_CHAT_PER_USER like a message (skipped for system work and for an unchanged text).
    """
    inputs.require_active(user)
    errors: dict = {}
    body = clean_body(body, errors)
    message = get_message(user, message_id)
    if not may_edit(user, message):
        raise PermissionDenied(_("You can only edit your own messages."))
    if message.is_deleted:
        raise NotFound(_("No such message."))
    if errors:
        raise InvalidInput(fields=errors)
    if body == message.body_source:
        return message
    if not system:
        trust.check_links(user, body)
        _rate_limit(user)
    mentions = notifications.find_mentions(body)
    rendered = render_markdown(body, mentions=mentions.links)
    added = notifications.added_mentions(mentions, rendered.mentions, message.body_source)
    if added:  # people the previous text did not name
        notifications.notify_chat_mentions(user, message, message.room, added)
    db.session.add(ChatMessageRevision(
        message_id=message.id, body_source=message.body_source,
        created_at=message.edited_at or message.created_at, editor_id=user.id))
    message.body_source, message.body_html = body, rendered.html
    message.markup_version = rendered.version
    message.edited_at = utcnow()
    after_commit(chat_emits.message_updated, message)
    return message


@transactional
def delete_message(user, message_id) -> ChatMessage:
    """Soft-delete a message: its author, or a moderator who may enter its room. Raises
    NotFound or PermissionDenied; deleting twice changes nothing."""
    inputs.require_active(user)
    message = get_message(user, message_id)
    if not may_delete(user, message):
        raise PermissionDenied(_("You can only delete your own messages."))
    if message.is_deleted:
        return message
    message.deleted_at = utcnow()
    message.deleted_by_id = user.id
    after_commit(chat_emits.message_updated, message)
    return message


def revisions_of(user, message_id) -> tuple[ChatMessage, list[ChatMessageRevision]]:
    """A message and the earlier texts it replaced, oldest first (readers of the room only).
    Raises NotFound."""
    message = get_message(user, message_id)
    revisions = list(db.session.scalars(
        select(ChatMessageRevision).where(ChatMessageRevision.message_id == message.id)
        .order_by(ChatMessageRevision.id)))
    return message, revisions


@transactional
def mark_read(user, room_id, message_id) -> int:
    """Mark a room read up to a message of it (positions only move forward); returns the
    position. Raises InvalidInput, NotFound, PermissionDenied."""
    errors: dict = {}
    id_field(message_id, "message_id", errors)
    if errors:
        raise InvalidInput(fields=errors)
    room = get_room(user, room_id)
    if db.session.scalar(select(ChatMessage.room_id).where(ChatMessage.id == message_id)) \
            != room.id:
        raise InvalidInput(fields={"message_id": _("Choose a message of this room.")})
    where = and_(ChatRoomMember.room_id == room.id, ChatRoomMember.user_id == user.id)
    moved = db.session.execute(
        update(ChatRoomMember).where(where, or_(
            ChatRoomMember.last_read_message_id.is_(None),
            ChatRoomMember.last_read_message_id < message_id))
        .values(last_read_message_id=message_id))
    if moved.rowcount == 0 and db.session.scalar(select(ChatRoomMember.id).where(where)) is None:
        # Group rooms get their read-state row on first use.
        try:
            with savepoint():
                db.session.add(ChatRoomMember(room_id=room.id, user_id=user.id,
                                              last_read_message_id=message_id,
                                              created_at=utcnow()))
        except IntegrityError:  # a concurrent first read created it: move it forward
            return mark_read(user, room_id, message_id)
    return db.session.scalar(select(ChatRoomMember.last_read_message_id).where(where))


# -- promotion to a question ------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _markdown_text(value: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def _may_post(user: User | None, group: Group) -> bool:
    return user is not None and not user.is_deleted and permissions.can_post_in(user, group)


@transactional
def promote(actor, room_id, question_message_id, answer_message_ids, title, tags) -> Question:
    """Make a question of a group chat message, with later messages as its answers, each
    credited to its own author; the messages then point at the question.

    Moderators, or the author of the question message. Raises NotFound, PermissionDenied,
    InvalidInput (naming the field) or Conflict (a message was promoted already). One
    transaction: the question, its answers and the messages' marks are written together or
    not at all.
    """
    inputs.require_active(actor)
    room = get_room(actor, room_id)
    errors: dict = {}
    question_id = id_field(question_message_id, "question_message_id", errors)
    answer_ids: list[int] = []
    if not isinstance(answer_message_ids, list):
        errors["answer_message_ids"] = _("Give a list of message ids.")
    elif len(answer_message_ids) > PROMOTE_ANSWERS_MAX:
        errors["answer_message_ids"] = _("At most %(n)d items.", n=PROMOTE_ANSWERS_MAX)
    else:
        for value in answer_message_ids:
            ident = id_field(value, "answer_message_ids", errors)
            if ident is None:
                break
            if ident in answer_ids or ident == question_id:
                errors["answer_message_ids"] = _("Each message once.")
                break
            answer_ids.append(ident)
    if errors:
        raise InvalidInput(fields=errors)
    if not room.is_group:
        raise InvalidInput(_("Only group chats can become questions."),
                           fields={"room": _("Only group chats can become questions.")})
    wanted = [question_id, *answer_ids]
    found = {m.id: m for m in db.session.scalars(
        select(ChatMessage).where(ChatMessage.id.in_(wanted))
        .options(joinedload(ChatMessage.author)))}
    asked = found.get(question_id)
    if asked is None or asked.room_id != room.id or asked.is_deleted:
        raise InvalidInput(fields={"question_message_id": _("Choose a message of this room.")})
    if not may_promote(actor, asked):
        raise PermissionDenied(
            _("Only moderators or the author of the question can turn chat into a question."))
    answers = sorted((found.get(i) for i in answer_ids), key=lambda m: m.id if m else 0)
    if any(m is None or m.room_id != room.id or m.is_deleted or m.id < asked.id
           for m in answers):
        raise InvalidInput(fields={"answer_message_ids": _(
            "Choose later messages of this room that are not deleted.")})
    if any(m.promoted_question_id is not None for m in [asked, *answers]):
        raise Conflict(_("Some of these messages were made into a question already."))
    group = room.group
    if not _may_post(asked.author, group):
        raise InvalidInput(fields={"question_message_id": _(
            "The author of this message can no longer post in this group.")})
    if any(not _may_post(m.author, group) for m in answers):
        raise InvalidInput(fields={"answer_message_ids": _(
            "The author of one of these messages can no longer post in this group.")})
    footer = _("From the chat of %(group)s on %(date)s", group=_markdown_text(group.name),
               date=asked.created_at.date().isoformat())
    body = f"{asked.body_source.rstrip()}\n\n*{footer}*"
    # Asking's duplicate check, on the chat text (the footer would make every body new).
    qa.check_duplicate(asked.author, asked.body_source)
    # The Q&A services join this unit of work: if any of them refuses, nothing is kept.
    question = qa.ask_question(asked.author, title=title, body=body, group=group.slug,
                               tags=tags, system=True)
    for message in answers:
        qa.post_answer(message.author, question.id, message.body_source, system=True)
    # A promotion counts as one post of whoever made it, once the title and tags passed
    # (a typo must not cost the limit); refused, it takes the question with it.
    qa.count_post(actor)
    promoted_ids = [asked.id, *(m.id for m in answers)]
    db.session.execute(update(ChatMessage).where(ChatMessage.id.in_(promoted_ids))
                       .values(promoted_question_id=question.id))
    after_commit(_announce_promoted, promoted_ids)
    return question


def _announce_promoted(message_ids: list[int]) -> None:
    """Tell the room which messages now point at a question (after the commit)."""
    for message in db.session.scalars(select(ChatMessage).where(
            ChatMessage.id.in_(message_ids)).order_by(ChatMessage.id)
            .options(selectinload(ChatMessage.author))):
        chat_emits.message_updated(message)


def chat_source_of(question_id: int) -> tuple[int, int] | None:
    """(room id, message id) of the chat a question was made from, or None."""
    row = db.session.execute(
        select(ChatMessage.room_id, ChatMessage.id)
        .where(ChatMessage.promoted_question_id == question_id)
        .order_by(ChatMessage.id).limit(1)).first()
    return (row[0], row[1]) if row else None


# -- ending sockets (accounts call these after their commit) ------------------------------


def end_sockets_for_session(token: str | None) -> int:
    """Disconnect the /chat and /live sockets opened with one login session (by its raw
    token), on every process. Call after the session ended (logout)."""
    if not token or not isinstance(token, str):
        return 0
    return registry.end_session_sockets(token_hash(token))


def end_sockets_for_user(user_id: int) -> int:
    """Disconnect every /chat and signed-in /live socket of a user, on every process
    (password change or reset, account deletion, all sessions ended)."""
    return registry.end_user_sockets(user_id)


def end_sockets_for_api_token(token_id: int) -> int:
    """Disconnect the /chat sockets opened with one API token (after it was revoked)."""
    return registry.end_token_sockets(token_id)


def end_room_access(user_id: int, group_id: int) -> None:
    """Take a user's sockets out of a group's room after they left the group (no more
    broadcasts reach them; their next event there is refused anyway)."""
    room_id = db.session.scalar(select(ChatRoom.id).where(ChatRoom.group_id == group_id))
    if room_id is not None:
        presence.leave_room_everywhere(user_id, room_id)


# -- what the chat pages show besides messages (forum/chat/views.py) ----------------------


def last_activity(room_ids: list[int]) -> dict[int, datetime]:
    """When each of these rooms got its latest message (rooms without any are left out);
    one query."""
    if not room_ids:
        return {}
    latest = (select(func.max(ChatMessage.id).label("id"))
              .where(ChatMessage.room_id.in_(room_ids)).group_by(ChatMessage.room_id)
              .subquery())
    rows = db.session.execute(select(ChatMessage.room_id, ChatMessage.created_at)
                              .join(latest, latest.c.id == ChatMessage.id))
    return {room_id: created_at for room_id, created_at in rows}


@dataclass
class Promotion:
    """A question made from chat, as a room page shows it at the messages it came from."""

    question_id: int
    first_message_id: int  # the question message: the stretch's smallest id
    title: str | None  # None once the question is deleted


def promotions_in(messages: list[ChatMessage]) -> dict[int, Promotion]:
    """The questions these messages were promoted into, by question id; at most one query."""
    ids = {m.promoted_question_id for m in messages if m.promoted_question_id is not None}
    if not ids:
        return {}
    first = (select(ChatMessage.promoted_question_id.label("qid"),
                    func.min(ChatMessage.id).label("first"))
             .where(ChatMessage.promoted_question_id.in_(ids))
             .group_by(ChatMessage.promoted_question_id).subquery())
    rows = db.session.execute(
        select(first.c.qid, first.c.first, Question.title, Question.deleted_at)
        .join(Question, Question.id == first.c.qid))
    return {qid: Promotion(question_id=qid, first_message_id=first_id,
                           title=None if deleted_at is not None else title)
            for qid, first_id, title, deleted_at in rows}
