"""Flags members raise on questions, answers and replies, chat messages and profiles; the
moderation queue that gathers them, one row per item; dismissing an item's flags; and the
reading of the audit log.

Who sees what: a flag carries the group of its item (NULL for profiles and direct chat
rooms). Admins see every flag and audit entry; site moderators those of the groups they can
see and those without a group; a group's own moderators those of their groups only
(`_scope`). A flagged chat message is read outside its room only through
`open_flagged_chat`, which writes what it showed to the audit log.

Every list is loaded in a fixed number of queries, whatever its length.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, false, func, or_, select, true, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forum import permissions, ratelimit
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    FLAG_REASONS,
    FLAG_TARGETS,
    AuditEntry,
    ChatMessage,
    ChatRoom,
    Flag,
    Group,
    GroupMembership,
    Post,
    Question,
    User,
)
from forum.services import audit, chat, inputs, qa
from forum.services.groups import get_visible_group
from forum.services.paging import MAX_PAGE, Page, fetch_page
from forum.services.uow import savepoint, transactional

TEXT_MAX = 500
EXCERPT = 240
NEIGHBOURS = 2  # chat messages shown before and after a flagged one
STATUSES = ("open", "resolved")
QUEUE_PER_PAGE = 50
AUDIT_PER_PAGE = 50
DISMISS_REASON_MAX = 1000


# -- who moderates what ------------------------------------------------------------------


def _moderated_group_ids(user):
    """A subquery of the groups `user` moderates as a group moderator."""
    return select(GroupMembership.group_id).where(GroupMembership.user_id == user.id,
                                                  GroupMembership.role == "moderator")


def _scope(user, column):
    """SQL condition on a group id column (of flags or audit entries): what `user`
    moderates. Raises PermissionDenied for those who moderate nothing."""
    inputs.require_user(user)
    if permissions.is_admin(user):
        return true()
    if permissions.is_moderator(user):
        visible = select(Group.id).where(permissions.visible_group_clause(user))
        return or_(column.is_(None), column.in_(visible))
    moderates = db.session.scalar(select(exists(_moderated_group_ids(user))))
    if not moderates:
        raise PermissionDenied(_("Only moderators see this."))
    return and_(column.is_not(None), column.in_(_moderated_group_ids(user)))


def moderates_anything(user) -> bool:
    """Whether `user` is a site moderator, an admin or a group moderator (one query at most,
    none for anonymous readers and members of no group): the header's Moderation link."""
    if not permissions.is_user(user):
        return False
    if permissions.is_moderator(user):
        return True
    return bool(db.session.scalar(select(exists(_moderated_group_ids(user)))))


def open_flag_count(user) -> int | None:
    """How many items with open flags `user` moderates, or None for those who moderate
    nothing (anonymous visitors: no query; everyone else: one query)."""
    if not permissions.is_user(user):
        return None
    if permissions.is_moderator(user):
        moderates = true()
        scope = _scope(user, Flag.group_id)
    else:  # one statement asks both whether they moderate a group and what is flagged there
        moderates = exists(_moderated_group_ids(user))
        scope = and_(Flag.group_id.is_not(None), Flag.group_id.in_(_moderated_group_ids(user)))
    items = (select(Flag.target_type, Flag.target_id)
             .where(Flag.resolved_at.is_(None), scope).distinct().subquery())
    row = db.session.execute(select(
        moderates.label("moderates"),
        select(func.count()).select_from(items).scalar_subquery().label("count"))).one()
    return int(row.count or 0) if row.moderates else None


def _visible_group(user, slug) -> Group | None:
    """The group `slug` (a filter) if `user` may see it; None for no filter; NotFound."""
    if slug in (None, ""):
        return None
    return get_visible_group(user, slug)


# -- flagging ------------------------------------------------------------------------------


def _target(actor, target_type: str, target_id) -> tuple[object, int | None, int | None]:
    """The item `actor` may read, its group id and its author's id; NotFound otherwise."""
    if target_type == "question":
        item = qa.get_question(actor, target_id)
        if item.is_deleted:
            raise NotFound(_("No such question."))
        return item, item.group_id, item.author_id
    if target_type == "post":
        item = qa.get_post(actor, target_id)
        if item.is_deleted:
            raise NotFound(_("No such post."))
        return item, item.question.group_id, item.author_id
    if target_type == "chat_message":
        item = chat.get_message(actor, target_id)
        if item.is_deleted:
            raise NotFound(_("No such message."))
        return item, item.room.group_id, item.author_id
    ident = inputs.as_id(target_id)
    item = db.session.get(User, ident) if ident else None
    if item is None or item.is_deleted:
        raise NotFound(_("No such user."))
    return item, None, item.id


def flag_target(actor, target_type, target_id) -> tuple[object, int | None, int | None]:
    """The item a flag would be about, if `actor` may read it: (item, its group id, its
    author's id). Raises NotFound (unknown or unreadable items, unknown types)."""
    inputs.require_user(actor)
    if target_type not in FLAG_TARGETS:
        raise NotFound(_("Not found."))
    return _target(actor, target_type, target_id)


def clean_flag(reason, text_value) -> tuple[str, str]:
    """A valid reason and its text (required for "other", at most 500 characters);
    InvalidInput naming the fields otherwise."""
    errors: dict = {}
    if not isinstance(reason, str) or reason not in FLAG_REASONS:
        errors["reason"] = _("Choose one of the reasons.")
    body = inputs.text(text_value, "text", errors).strip()
    if "text" not in errors:
        if len(body) > TEXT_MAX:
            errors["text"] = _("Use at most %(n)d characters.", n=TEXT_MAX)
        elif reason == "other" and not body:
            errors["text"] = _("Say what is wrong.")
    if errors:
        raise InvalidInput(fields=errors)
    return reason, body


@transactional
def flag(actor, target_type, target_id, reason, text="") -> Flag:
    """`actor` flags an item they may read (not their own) for a reason; once per item.

    Raises PermissionDenied (anonymous, suspended), InvalidInput (unknown type, reason or
    text; one's own item), NotFound (unknown or unreadable items), Conflict (flagged
    already) or RateLimited (LIMIT_FLAG_PER_USER).
    """
    inputs.require_active(actor)
    if target_type not in FLAG_TARGETS:
        raise InvalidInput(fields={"target": _("Choose one of: %(names)s.",
                                               names=", ".join(FLAG_TARGETS))})
    reason, body = clean_flag(reason, text)
    item, group_id, author_id = flag_target(actor, target_type, target_id)
    if author_id == actor.id:
        raise InvalidInput(_("You cannot flag your own contributions."),
                           fields={"target": _("You cannot flag your own contributions.")})
    already = db.session.scalar(select(Flag.id).where(
        Flag.target_type == target_type, Flag.target_id == item.id, Flag.user_id == actor.id))
    if already is not None:
        raise Conflict(_("You flagged this already."))
    ratelimit.hit("LIMIT_FLAG_PER_USER", "flag", str(actor.id))
    record = Flag(target_type=target_type, target_id=item.id, group_id=group_id,
                  user_id=actor.id, reason=reason, text=body)
    try:
        with savepoint():  # the same flag sent twice at once: the unique constraint decides
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("You flagged this already.")) from None
    return record


# -- the queue -----------------------------------------------------------------------------


@dataclass
class QueueItem:
    """One flagged item in the queue: its flags summed up and the item in context."""

    target_type: str
    target_id: int
    count: int
    reasons: dict[str, int]
    first_at: datetime
    last_at: datetime
    group_id: int | None
    resolution: str | None = None  # resolved flags: what the moderator did
    group: Group | None = None
    item: object | None = None  # the Question, Post, ChatMessage or User (None: gone)
    question: Question | None = None  # a post's question
    before: list = field(default_factory=list)  # a chat message's neighbours
    after: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # (username, reason, text) of flags with text

    @property
    def reason(self) -> str:
        """The most common reason (ties: the order of FLAG_REASONS)."""
        return max(FLAG_REASONS, key=lambda name: (self.reasons.get(name, 0),
                                                   -FLAG_REASONS.index(name)))

    @property
    def excerpt(self) -> str:
        """Plain text of the item, at most EXCERPT characters."""
        item = self.item
        if item is None:
            return ""
        if self.target_type == "question":
            text_value = f"{item.title}: {item.body_text}"
        elif self.target_type == "post":
            text_value = item.body_text
        elif self.target_type == "chat_message":
            text_value = item.body_source
        else:
            text_value = f"{item.name} (@{item.username}): {item.bio_source}"
        return _cut(text_value)


def _cut(value: str) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= EXCERPT else value[:EXCERPT - 1].rstrip() + "…"


def _neighbours(messages: list[ChatMessage]) -> dict[int, tuple[list, list]]:
    """{message id: (the NEIGHBOURS messages before it, those after)} in its room: one
    query whatever the number of messages (a UNION of small index ranges)."""
    if not messages:
        return {}
    parts = []
    for message in messages:
        for older in (True, False):
            stmt = select(ChatMessage.id).where(ChatMessage.room_id == message.room_id)
            if older:
                stmt = stmt.where(ChatMessage.id < message.id).order_by(ChatMessage.id.desc())
            else:
                stmt = stmt.where(ChatMessage.id > message.id).order_by(ChatMessage.id)
            parts.append(select(stmt.limit(NEIGHBOURS).subquery().c.id))
    found = list(db.session.scalars(
        select(ChatMessage).where(ChatMessage.id.in_(union_all(*parts).scalar_subquery()))
        .options(selectinload(ChatMessage.author)).order_by(ChatMessage.id)))
    result = {}
    for message in messages:
        same = [m for m in found if m.room_id == message.room_id]
        result[message.id] = ([m for m in same if m.id < message.id][-NEIGHBOURS:],
                              [m for m in same if m.id > message.id][:NEIGHBOURS])
    return result


def _status_clause(status):
    if status not in STATUSES:
        raise InvalidInput(fields={"status": _("Choose one of: %(names)s.",
                                               names=", ".join(STATUSES))})
    return Flag.resolved_at.is_(None) if status == "open" else Flag.resolved_at.is_not(None)


def queue(actor, *, status="open", group=None, page=1, per_page=QUEUE_PER_PAGE) -> Page:
    """One page of the items with flags that `actor` moderates, most-flagged first, then
    the oldest: QueueItems with their item in context (a chat message with its neighbours).

    `status`: "open" or "resolved" flags; `group`: a group's slug. Raises PermissionDenied
    (not a moderator), NotFound (a group `actor` cannot see) or InvalidInput (a status).
    A fixed number of queries whatever the page's length.
    """
    scope = _scope(actor, Flag.group_id)
    conditions = [scope, _status_clause(status)]
    chosen = _visible_group(actor, group)
    if chosen is not None:
        conditions.append(Flag.group_id == chosen.id)
    page = min(max(1, inputs.as_int(page) or 1), MAX_PAGE)
    count = func.count(Flag.id)
    first_at = func.min(Flag.created_at)
    stmt = (select(Flag.target_type, Flag.target_id, count.label("count"),
                   first_at.label("first_at"), func.max(Flag.created_at).label("last_at"),
                   func.max(Flag.group_id).label("group_id"),
                   func.max(Flag.resolution).label("resolution"),
                   *(func.count(case((Flag.reason == name, 1))).label(f"r_{name}")
                     for name in FLAG_REASONS))
            .where(*conditions)
            .group_by(Flag.target_type, Flag.target_id)
            .order_by(count.desc(), first_at, Flag.target_type, Flag.target_id))
    found = fetch_page(stmt, page=page, per_page=per_page, rows=True)
    items = [QueueItem(target_type=row.target_type, target_id=row.target_id, count=row.count,
                       reasons={name: getattr(row, f"r_{name}") for name in FLAG_REASONS
                                if getattr(row, f"r_{name}")},
                       first_at=row.first_at, last_at=row.last_at, group_id=row.group_id,
                       resolution=row.resolution)
             for row in found.items]
    _load_context(items, conditions)
    found.items = items
    return found


def _ids(items, target_type) -> list[int]:
    return [entry.target_id for entry in items if entry.target_type == target_type]


def _load_context(items: list[QueueItem], conditions) -> None:
    """Fill in each queue item's group, item, question, chat neighbours and flag notes:
    one query per kind of thing present on the page."""
    if not items:
        return
    group_ids = {entry.group_id for entry in items if entry.group_id is not None}
    groups = ({g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(group_ids)))}
              if group_ids else {})
    loaded: dict[tuple[str, int], object] = {}
    if ids := _ids(items, "question"):
        for question in db.session.scalars(select(Question).where(Question.id.in_(ids))
                                           .options(selectinload(Question.author))):
            loaded["question", question.id] = question
    if ids := _ids(items, "post"):
        for post in db.session.scalars(select(Post).where(Post.id.in_(ids)).options(
                selectinload(Post.author), selectinload(Post.question))):
            loaded["post", post.id] = post
    messages = []
    if ids := _ids(items, "chat_message"):
        messages = list(db.session.scalars(
            select(ChatMessage).where(ChatMessage.id.in_(ids)).options(
                selectinload(ChatMessage.author),
                selectinload(ChatMessage.room).selectinload(ChatRoom.group))))
        for message in messages:
            loaded["chat_message", message.id] = message
    if ids := _ids(items, "user"):
        for person in db.session.scalars(select(User).where(User.id.in_(ids))):
            loaded["user", person.id] = person
    context = _neighbours(messages)
    notes: dict[tuple[str, int], list] = {}
    pairs = [(entry.target_type, entry.target_id) for entry in items]
    for target_type, target_id, username, reason, text_value in db.session.execute(
            select(Flag.target_type, Flag.target_id, User.username, Flag.reason, Flag.text)
            .join(User, User.id == Flag.user_id)
            .where(*conditions, Flag.text != "",
                   or_(*(and_(Flag.target_type == t, Flag.target_id == i) for t, i in pairs)))
            .order_by(Flag.created_at, Flag.id)):
        notes.setdefault((target_type, target_id), []).append((username, reason, text_value))
    for entry in items:
        key = (entry.target_type, entry.target_id)
        entry.group = groups.get(entry.group_id)
        entry.item = loaded.get(key)
        if entry.item is not None and entry.target_type == "user" and entry.item.is_deleted:
            entry.item = None
        if entry.target_type == "post" and entry.item is not None:
            entry.question = entry.item.question
        if entry.target_type == "chat_message" and entry.item is not None:
            entry.before, entry.after = context.get(entry.target_id, ([], []))
        entry.notes = notes.get(key, [])


# -- a flagged chat message, read through the queue ---------------------------------------


@dataclass
class FlaggedChat:
    message: ChatMessage
    before: list
    after: list
    group: Group | None


@transactional
def open_flagged_chat(actor, message_id) -> FlaggedChat:
    """A flagged chat message with its neighbours, for a moderator of its flags (even one
    who is not in the room); the reading is written to the audit log.

    Raises PermissionDenied for messages without flags in `actor`'s scope (unknown ones
    included: nothing is told about a message outside this path).
    """
    scope = _scope(actor, Flag.group_id)
    ident = inputs.as_id(message_id)
    flagged = ident is not None and db.session.scalar(select(exists().where(
        Flag.target_type == "chat_message", Flag.target_id == ident, scope)))
    message = db.session.get(ChatMessage, ident) if flagged else None
    if message is None:
        raise PermissionDenied(_("This message has no flags you moderate."))
    before, after = _neighbours([message])[message.id]
    room = message.room
    audit.record(actor, "read_flagged_chat", "chat_message", message.id,
                 group_id=room.group_id,
                 after={"room": room.id, "messages": [m.id for m in (*before, message, *after)]})
    return FlaggedChat(message=message, before=before, after=after, group=room.group)


# -- dismissing ---------------------------------------------------------------------------


@transactional
def dismiss(actor, target_type, target_id, reason="") -> int:
    """Resolve an item's open flags as "dismissed" (nothing wrong with it) and audit it;
    returns how many. Raises PermissionDenied (not a moderator) or NotFound (no open flags
    on that item that `actor` moderates)."""
    inputs.require_active(actor)
    scope = _scope(actor, Flag.group_id)
    errors: dict = {}
    note = inputs.text(reason, "reason", errors).strip()
    if errors:
        raise InvalidInput(fields=errors)
    ident = inputs.as_id(target_id)
    if target_type not in FLAG_TARGETS or ident is None:
        raise NotFound(_("No open flags on this item."))
    group_ids = db.session.execute(select(Flag.group_id).where(
        Flag.target_type == target_type, Flag.target_id == ident,
        Flag.resolved_at.is_(None), scope)).scalars().all()
    if not group_ids:
        raise NotFound(_("No open flags on this item."))
    count = audit.resolve_flags(actor, target_type, ident, "dismissed")
    audit.record(actor, "dismiss_flags", target_type, ident, group_id=group_ids[0],
                 reason=note[:DISMISS_REASON_MAX], before={"open_flags": count},
                 after={"resolution": "dismissed"})
    return count


# -- the audit log ------------------------------------------------------------------------


def _day(value, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors[name] = _("Use a date such as 2026-03-31.")
    return None


@dataclass
class AuditPage:
    """One page of audit entries, with the groups and users their targets name."""

    page: Page
    groups: dict = field(default_factory=dict)  # {group id: Group}
    people: dict = field(default_factory=dict)  # {user id: User} of "user" targets


def audit_entries(actor, *, action=None, actor_name=None, target_type=None, group=None,
                  since=None, until=None, page=1, per_page=AUDIT_PER_PAGE,
                  count: bool = False) -> AuditPage:
    """The audit entries `actor` may read (admins and site moderators: all of the groups they
    can see and those without a group; group moderators: their groups'), newest first,
    filtered by action, acting username, target type, group slug and dates (`since` and
    `until`: days, inclusive). Read only: the log has no write path but audit.record().

    Raises PermissionDenied (not a moderator), NotFound (a group `actor` cannot see) or
    InvalidInput (a malformed date). Four queries at most (five with `count`).
    """
    scope = _scope(actor, AuditEntry.group_id)
    conditions = [scope]
    errors: dict = {}
    start, end = _day(since, "since", errors), _day(until, "until", errors)
    if errors:
        raise InvalidInput(fields=errors)
    if action:
        conditions.append(AuditEntry.action == str(action)[:40])
    if target_type:
        conditions.append(AuditEntry.target_type == str(target_type)[:20])
    if actor_name:
        name = str(actor_name).strip().lstrip("@").lower()
        conditions.append(AuditEntry.actor_id.in_(
            select(User.id).where(User.username_key == name)) if name else false())
    chosen = _visible_group(actor, group)
    if chosen is not None:
        conditions.append(AuditEntry.group_id == chosen.id)
    if start is not None:
        conditions.append(AuditEntry.created_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        conditions.append(AuditEntry.created_at
                          < datetime.combine(end + timedelta(days=1), time(), UTC))
    stmt = (select(AuditEntry).where(*conditions)
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    page = min(max(1, inputs.as_int(page) or 1), MAX_PAGE)
    found = fetch_page(stmt, page=page, per_page=per_page, count=count)
    group_ids = {entry.group_id for entry in found.items if entry.group_id is not None}
    user_ids = {entry.target_id for entry in found.items
                if entry.target_type == "user" and entry.target_id is not None}
    groups = ({g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(group_ids)))}
              if group_ids else {})
    people = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
              if user_ids else {})
    return AuditPage(page=found, groups=groups, people=people)


def audit_actions(actor) -> list[str]:
    """The actions named in the audit entries `actor` may read (the filter's choices)."""
    scope = _scope(actor, AuditEntry.group_id)
    return list(db.session.scalars(select(AuditEntry.action).where(scope).distinct()
                                   .order_by(AuditEntry.action)))


def moderated_groups(actor) -> list[Group]:
    """The groups whose flags and audit entries `actor` reads (the group filter's choices)."""
    scope = _scope(actor, Group.id)
    return list(db.session.scalars(select(Group).where(scope).order_by(Group.name)))
