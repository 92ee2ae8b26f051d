"""What moderators do to questions, posts, chat messages and people: hide and restore, lock
and unlock, close and reopen, move, suspend, ban and unsuspend.

Each action is one unit of work: it authorizes (group moderators in their groups, site
moderators and admins everywhere; direct chat rooms and people: site moderators and admins
only), changes the item, writes one audit entry with the values before and after
(forum.services.audit), settles the item's open flags, and tells live readers after the
commit.
"""

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from forum import permissions
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    BANNED_UNTIL,
    CLOSE_REASONS,
    ChatMessage,
    Flag,
    Group,
    Post,
    Question,
    User,
    utcnow,
)
from forum.realtime import chat as chat_emits
from forum.realtime import live, registry, room_channel
from forum.schemas import message_json, post_json, question_json
from forum.services import audit, inputs, search
from forum.services.accounts import get_user_by_username
from forum.services.inputs import as_id
from forum.services.uow import after_commit, transactional

HIDE_TARGETS = ("question", "post", "chat_message")
REASON_MAX = 500
SUSPEND_DAYS_MAX = 365


# -- input ------------------------------------------------------------------------------


def clean_reason(value, errors: dict, *, required: bool = True) -> str:
    """A short text saying why (1 to 500 characters; optional where `required` is False)."""
    if value is None and not required:
        return ""
    reason = " ".join(inputs.text(value, "reason", errors).split())
    if "reason" in errors:
        return reason
    if required and not reason:
        errors["reason"] = _("Say why, in a short note.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("Use at most %(n)d characters.", n=REASON_MAX)
    return reason


def check_errors(errors: dict) -> None:
    """InvalidInput naming the fields of `errors`, when there are any."""
    if errors:
        raise InvalidInput(fields=errors)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# -- loading and authorizing ------------------------------------------------------------


def _refuse() -> PermissionDenied:
    return PermissionDenied(_("Only the moderators of this group can do this."))


def moderated_question(actor, question_id) -> Question:
    """A question `actor` moderates. NotFound when they may not read it at all (a private
    group's question to an outsider), PermissionDenied when they read it but do not
    moderate its group."""
    inputs.require_active(actor)
    ident = as_id(question_id)
    question = db.session.get(Question, ident) if ident else None
    if question is None or (question.is_deleted and not permissions.is_moderator(actor)) \
            or not permissions.can_view_group(actor, question.group):
        raise NotFound(_("No such question."))
    if not permissions.moderates_question(actor, question):
        if question.hidden_at is not None and not permissions.is_author(actor, question):
            raise NotFound(_("No such question."))
        raise _refuse()
    return question


def moderated_post(actor, post_id) -> Post:
    """An answer or reply `actor` moderates (its question's group); NotFound, or
    PermissionDenied as moderated_question()."""
    inputs.require_active(actor)
    ident = as_id(post_id)
    post = db.session.get(Post, ident) if ident else None
    if post is None or post.is_deleted:
        raise NotFound(_("No such post."))
    question = post.question
    if (question.is_deleted and not permissions.is_moderator(actor)) \
            or not permissions.can_view_group(actor, question.group):
        raise NotFound(_("No such post."))
    if not permissions.moderates_question(actor, question):
        raise _refuse()
    return post


def moderated_message(actor, message_id) -> ChatMessage:
    """A chat message `actor` moderates: a group room's, for those who moderate the group;
    a direct room's, for site moderators and admins. NotFound for a private group's message
    to an outsider; PermissionDenied otherwise."""
    inputs.require_active(actor)
    ident = as_id(message_id)
    message = db.session.get(ChatMessage, ident) if ident else None
    if message is None or message.is_deleted:
        raise NotFound(_("No such message."))
    room = message.room
    if room.is_group and not permissions.can_view_group(actor, room.group):
        raise NotFound(_("No such message."))
    if not permissions.moderates_group_id(actor, room.group_id if room.is_group else None):
        if not room.is_group and actor.id not in (room.direct_user_ids() or ()):
            raise NotFound(_("No such message."))  # someone else's conversation
        raise _refuse()
    return message


def _group_of(target_type: str, item) -> int | None:
    if target_type == "question":
        return item.group_id
    if target_type == "post":
        return item.question.group_id
    return item.room.group_id if item.room.is_group else None


def _load(actor, target_type, target_id):
    if target_type == "question":
        return moderated_question(actor, target_id)
    if target_type == "post":
        return moderated_post(actor, target_id)
    if target_type == "chat_message":
        return moderated_message(actor, target_id)
    raise InvalidInput(fields={"target": _("Choose a question, a post or a chat message.")})


# -- live events (after the commit) -----------------------------------------------------


def hidden_message_json(message: ChatMessage) -> dict:
    """A chat message as the room hears about it: a hidden one without its text or author."""
    data = message_json(message)
    data["hidden"] = message.hidden_at is not None
    if message.hidden_at is not None:
        data.update(author=None, body_html="")
    return data


def hidden_post_json(post: Post) -> dict:
    """A post as its readers hear about it: a hidden one without its text or author."""
    data = post_json(post, accepted_id=post.question.accepted_answer_id)
    data["hidden"] = post.hidden_at is not None
    if post.hidden_at is not None:
        data.update(author=None, body_html="")
    return data


def _announce_message(message_id: int, payload: dict, room_id: int) -> None:
    chat_emits.emit("message_updated", payload, room_channel(room_id))


def _announce_post(payload: dict, question_id: int) -> None:
    live.post_payload_updated(payload, question_id)


def _announce_question(question: Question) -> None:
    if question.hidden_at is None:
        live.question_updated(question)
    else:  # its readers learn that it changed, not what it says
        data = question_json(question)
        data.update(hidden=True, title="", body_html="", author=None)
        live.question_payload_updated(data, question.id)


# -- hide and restore -------------------------------------------------------------------


@transactional
def hide(actor, target_type, target_id, reason):
    """Hide a question, an answer or reply, or a chat message (soft and reversible): its
    readers see that it was hidden, its author sees it with `reason`. Raises InvalidInput,
    NotFound, PermissionDenied or Conflict (hidden already)."""
    errors: dict = {}
    reason = clean_reason(reason, errors)
    item = _load(actor, target_type, target_id)
    check_errors(errors)
    if item.hidden_at is not None:
        raise Conflict(_("This is hidden already."))
    item.hidden_at = utcnow()
    item.hidden_reason = reason
    audit.record(actor, "hide", target_type, item.id, group_id=_group_of(target_type, item),
                 reason=reason, before={"hidden": False}, after={"hidden": True})
    audit.resolve_flags(actor, target_type, item.id, "hidden")
    _reindex_and_announce(target_type, item)
    return item


@transactional
def restore(actor, target_type, target_id, reason=None):
    """Show a hidden item again. Raises InvalidInput, NotFound, PermissionDenied or
    Conflict (not hidden)."""
    errors: dict = {}
    reason = clean_reason(reason, errors, required=False)
    item = _load(actor, target_type, target_id)
    check_errors(errors)
    if item.hidden_at is None:
        raise Conflict(_("This is not hidden."))
    if getattr(item, "held_at", None) is not None:
        raise Conflict(_("This is waiting for approval: approve or reject it."))
    before = {"hidden": True, "hidden_reason": item.hidden_reason}
    item.hidden_at = None
    item.hidden_reason = ""
    audit.record(actor, "restore", target_type, item.id,
                 group_id=_group_of(target_type, item), reason=reason, before=before,
                 after={"hidden": False})
    _reindex_and_announce(target_type, item)
    return item


def _reindex_and_announce(target_type: str, item) -> None:
    if target_type == "question":
        after_commit(_announce_question, item)
    elif target_type == "post":
        if item.is_answer:  # a hidden answer's words leave the search index
            search.index_question(item.question_id)
        after_commit(_announce_post, hidden_post_json(item), item.question_id)
    else:
        after_commit(_announce_message, item.id, hidden_message_json(item), item.room_id)


# -- lock, close, move ------------------------------------------------------------------


@transactional
def lock(actor, question_id, reason) -> Question:
    """Lock a thread: no new answers, replies, votes, edits or accept changes but from those
    who moderate its group. Raises InvalidInput, NotFound, PermissionDenied, Conflict."""
    errors: dict = {}
    reason = clean_reason(reason, errors)
    question = moderated_question(actor, question_id)
    check_errors(errors)
    if question.locked_at is not None:
        raise Conflict(_("This thread is locked already."))
    question.locked_at = utcnow()
    audit.record(actor, "lock", "question", question.id, group_id=question.group_id,
                 reason=reason, before={"locked": False}, after={"locked": True})
    audit.resolve_flags(actor, "question", question.id, "locked")
    after_commit(_announce_question, question)
    return question


@transactional
def unlock(actor, question_id, reason=None) -> Question:
    """Unlock a thread. Raises NotFound, PermissionDenied, Conflict (not locked)."""
    errors: dict = {}
    reason = clean_reason(reason, errors, required=False)
    question = moderated_question(actor, question_id)
    check_errors(errors)
    if question.locked_at is None:
        raise Conflict(_("This thread is not locked."))
    question.locked_at = None
    audit.record(actor, "unlock", "question", question.id, group_id=question.group_id,
                 reason=reason, before={"locked": True}, after={"locked": False})
    after_commit(_announce_question, question)
    return question


def _closed_state(question: Question) -> dict:
    return {"closed": question.closed_at is not None, "close_reason": question.close_reason,
            "duplicate_of": question.duplicate_of_id}


@transactional
def close(actor, question_id, reason, *, duplicate_of=None, note=None) -> Question:
    """Close a question to new answers: `reason` one of CLOSE_REASONS; "duplicate" names the
    question it duplicates (`duplicate_of`, one the actor can read, not itself). Raises
    InvalidInput, NotFound, PermissionDenied, Conflict (closed already)."""
    errors: dict = {}
    if reason not in CLOSE_REASONS:
        errors["reason"] = _("Choose duplicate, off_topic or resolved_elsewhere.")
    note = clean_reason(note, errors, required=False)
    question = moderated_question(actor, question_id)
    original = None
    if reason == "duplicate":
        ident = as_id(duplicate_of)
        original = db.session.get(Question, ident) if ident else None
        if original is None or original.id == question.id or original.is_deleted \
                or not permissions.can_view_question(actor, original):
            errors["duplicate_of"] = _("Give the number of another question you can read.")
    elif duplicate_of not in (None, ""):
        errors["duplicate_of"] = _("Only a duplicate names another question.")
    check_errors(errors)
    if question.closed_at is not None:
        raise Conflict(_("This question is closed already."))
    before = _closed_state(question)
    question.closed_at = utcnow()
    question.close_reason = reason
    question.duplicate_of_id = original.id if original is not None else None
    audit.record(actor, "close", "question", question.id, group_id=question.group_id,
                 reason=note or reason, before=before, after=_closed_state(question))
    audit.resolve_flags(actor, "question", question.id, "closed")
    after_commit(_announce_question, question)
    return question


@transactional
def reopen(actor, question_id, reason=None) -> Question:
    """Reopen a closed question (its reason and duplicate link go). Raises NotFound,
    PermissionDenied, Conflict (not closed)."""
    errors: dict = {}
    reason = clean_reason(reason, errors, required=False)
    question = moderated_question(actor, question_id)
    check_errors(errors)
    if question.closed_at is None:
        raise Conflict(_("This question is not closed."))
    before = _closed_state(question)
    question.closed_at = None
    question.close_reason = None
    question.duplicate_of_id = None
    audit.record(actor, "reopen", "question", question.id, group_id=question.group_id,
                 reason=reason, before=before, after=_closed_state(question))
    after_commit(_announce_question, question)
    return question


def move_targets(actor, question: Question) -> list[Group]:
    """The groups `actor` may move `question` to (moderated by them, not its own group, and
    for group moderators never from a private group to a public one)."""
    groups = db.session.scalars(select(Group).where(
        permissions.visible_group_clause(actor), Group.id != question.group_id)
        .order_by(Group.name)).all()
    return [g for g in groups if _may_move(actor, question.group, g)]


def _may_move(actor, source: Group, target: Group) -> bool:
    if not permissions.moderates_group_id(actor, target.id):
        return False
    # A private group's question in a public group exposes what its members wrote there:
    # only site moderators and admins decide that.
    return not (source.private and not target.private) or permissions.is_moderator(actor)


@transactional
def move(actor, question_id, group_slug, reason) -> Question:
    """Move a question to another group; `actor` moderates both, and only site moderators
    and admins move a private group's question into a public group. Group counts and the
    search index follow; follows stay. Raises InvalidInput, NotFound, PermissionDenied."""
    errors: dict = {}
    reason = clean_reason(reason, errors)
    question = moderated_question(actor, question_id)
    target = None
    if not isinstance(group_slug, str) or not group_slug or inputs.unstorable(group_slug):
        errors["group"] = _("Choose a group.")
    else:
        target = db.session.scalar(select(Group).where(Group.slug == group_slug))
        if target is None or not permissions.can_view_group(actor, target):
            errors["group"] = _("No such group.")
        elif target.id == question.group_id:
            errors["group"] = _("The question is in this group already.")
    check_errors(errors)
    source = question.group
    if not _may_move(actor, source, target):
        if source.private and not target.private:
            raise PermissionDenied(_("Only site moderators can move a question of a private "
                                     "group into a public one."))
        raise PermissionDenied(_("You can only move questions to groups you moderate."))
    question.group_id = target.id
    question.group = target
    if not question.is_deleted:
        db.session.execute(update(Group).where(Group.id == source.id)
                           .values(question_count=Group.question_count - 1))
        db.session.execute(update(Group).where(Group.id == target.id)
                           .values(question_count=Group.question_count + 1))
    audit.record(actor, "move", "question", question.id, group_id=source.id, reason=reason,
                 before={"group": source.slug}, after={"group": target.slug})
    audit.resolve_flags(actor, "question", question.id, "moved")
    # The flags still open on its answers and replies go with it to the new group's
    # moderators (the question's own were just resolved).
    db.session.execute(update(Flag).where(
        Flag.target_type == "post",
        Flag.target_id.in_(select(Post.id).where(Post.question_id == question.id)))
        .values(group_id=target.id))
    db.session.flush()
    search.index_question(question.id)
    after_commit(_announce_question, question)
    return question


# -- people -----------------------------------------------------------------------------


def _suspension_state(user: User) -> dict:
    return {"suspended_until": _iso(user.suspended_until),
            "suspension_reason": user.suspension_reason or ""}


def check_suspendable(actor, user: User) -> None:
    """Raise PermissionDenied unless `actor` may suspend (or unsuspend) `user`: site
    moderators and admins, never an admin, never themselves."""
    inputs.require_active(actor)
    if not permissions.can_suspend(actor):
        raise PermissionDenied(_("Only site moderators can suspend members."))
    if user.id == actor.id:
        raise PermissionDenied(_("You cannot suspend yourself."))
    if user.role == "admin":
        raise PermissionDenied(_("Administrators cannot be suspended."))


def may_suspend(actor, user: User) -> bool:
    """Whether `actor` may suspend `user` (pages ask this to offer the form)."""
    try:
        check_suspendable(actor, user)
    except PermissionDenied:
        return False
    return True


def _suspendable(actor, username) -> User:
    user = get_user_by_username(username)
    check_suspendable(actor, user)
    return user


@transactional
def suspend(actor, username, *, days=None, ban: bool = False, reason) -> User:
    """Suspend a member for 1 to 365 days, or ban them (`ban`, no end): they read but do
    not write, and their open sockets are disconnected on every process after the commit.
    Site moderators and admins only; never an admin, never yourself. Raises InvalidInput,
    NotFound, PermissionDenied."""
    errors: dict = {}
    reason = clean_reason(reason, errors)
    if ban is not True and ban not in (False, None):
        errors["ban"] = _("Must be true or false.")
    elif ban is True:
        if days not in (None, ""):
            errors["days"] = _("A ban has no number of days.")
    else:
        number = inputs.as_int(days)
        if number is None or not 1 <= number <= SUSPEND_DAYS_MAX:
            errors["days"] = _("Choose a number of days from 1 to %(n)d.", n=SUSPEND_DAYS_MAX)
        else:
            days = number
    user = _suspendable(actor, username)
    check_errors(errors)
    before = _suspension_state(user)
    user.suspended_until = BANNED_UNTIL if ban else utcnow() + timedelta(days=days)
    user.suspension_reason = reason
    action = "ban" if ban else "suspend"
    audit.record(actor, action, "user", user.id, reason=reason, before=before,
                 after=_suspension_state(user))
    audit.resolve_flags(actor, "user", user.id, "banned" if ban else "suspended")
    after_commit(registry.end_user_sockets, user.id)
    return user


@transactional
def unsuspend(actor, username, reason) -> User:
    """Lift a suspension or a ban. Raises InvalidInput, NotFound, PermissionDenied, Conflict
    (not suspended)."""
    errors: dict = {}
    reason = clean_reason(reason, errors)
    user = _suspendable(actor, username)
    check_errors(errors)
    if not is_suspended(user):
        raise Conflict(_("This account is not suspended."))
    before = _suspension_state(user)
    user.suspended_until = None
    user.suspension_reason = ""
    audit.record(actor, "unsuspend", "user", user.id, reason=reason, before=before,
                 after=_suspension_state(user))
    return user


def is_suspended(user) -> bool:
    """Whether `user` is suspended or banned now."""
    until = getattr(user, "suspended_until", None)
    return until is not None and until > utcnow()


def is_banned(user) -> bool:
    until = getattr(user, "suspended_until", None)
    return until is not None and until >= BANNED_UNTIL
