"""Pre-moderation of first posts (issue 14): a group can hold the first questions, answers
and replies of people new to it until a moderator approves them.

In a group with `premoderate_new_members` on, a post is held while its author has fewer
than PREMODERATE_FIRST_POSTS published contributions (questions, answers, replies not held,
hidden or deleted) in the group. Moderators of the group, site moderators, admins and
verified experts are never held.

A held item is written whole but kept out of sight: `held_at` and `hidden_at` are both set,
so every reader's filter (lists, search, feeds, digests) already leaves it out; its author
sees it with "waiting for approval", its group's moderators see it in the queue. What a
published post sets off waits for the approval: the group's and the answer counts, the
notifications to followers, mentioned and invited people, live readers.

Approving publishes it as if it were posted then (one unit of work, audited). Rejecting
keeps it hidden with the reason, which its author sees, like a moderator's hide: the counts
take it as a post that was published and hidden, so restoring it later is an ordinary
restore; nobody is notified of it.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, literal, select, true, union_all, update
from sqlalchemy.orm import joinedload

from forum import permissions
from forum.errors import Conflict, InvalidInput, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    Group,
    GroupMembership,
    Post,
    Question,
    QuestionRoute,
    Tag,
    User,
    utcnow,
)
from forum.realtime import live
from forum.services import audit, inputs, moderation, notifications, search
from forum.services.uow import after_commit, transactional

DEFAULT_FIRST_POSTS = 2
HELD_LIMIT = 50  # held items the queue shows at once, oldest first
EXCERPT = 240


def first_posts() -> int:
    """How many of a member's contributions to a pre-moderated group are held."""
    return int(current_app.config.get("PREMODERATE_FIRST_POSTS", DEFAULT_FIRST_POSTS))


def _published_in(user_id: int, group_id: int, limit: int) -> int:
    """How many of the user's contributions to the group are published (at most `limit`:
    the query stops there)."""
    questions = select(literal(1).label("one")).where(
        Question.author_id == user_id, Question.group_id == group_id,
        Question.held_at.is_(None), Question.hidden_at.is_(None),
        Question.deleted_at.is_(None)).limit(limit)
    posts = select(literal(1).label("one")).select_from(Post) \
        .join(Question, Question.id == Post.question_id) \
        .where(Post.author_id == user_id, Question.group_id == group_id,
               Post.held_at.is_(None), Post.hidden_at.is_(None),
               Post.deleted_at.is_(None)).limit(limit)
    both = union_all(select(questions.subquery()), select(posts.subquery())).subquery()
    return db.session.scalar(select(func.count()).select_from(both)) or 0


def must_hold(author: User, group: Group) -> bool:
    """True when `author`'s new question or post in `group` waits for a moderator."""
    if not group.premoderate_new_members or not permissions.is_user(author):
        return False
    if author.verified_expert or permissions.moderates_group_id(author, group.id):
        return False
    limit = first_posts()
    return limit > 0 and _published_in(author.id, group.id, limit) < limit


def hold(item: Question | Post) -> None:
    """Mark a new item held (inside the write that creates it)."""
    item.held_at = item.hidden_at = utcnow()
    item.hidden_reason = ""


def check_not_held(question: Question, parent: Post | None = None) -> None:
    """Conflict when answering a held question or replying to a held post: nothing builds
    on a post before it is approved."""
    if question.held_at is not None or (parent is not None and parent.held_at is not None):
        raise Conflict(_("This is waiting for a moderator's approval; replies can follow "
                         "once it is published."))


def mentioned_ids(body_source: str) -> set[int]:
    """The people a Markdown text mentions (as the write that stored it linked them)."""
    mentions = notifications.find_mentions(body_source)
    rendered = render_markdown(body_source, mentions=mentions.links)
    return mentions.linked_ids(rendered.mentions)


# -- counts a published item carries ---------------------------------------------------


def _count_question(question: Question) -> None:
    db.session.execute(update(Group).where(Group.id == question.group_id)
                       .values(question_count=Group.question_count + 1))
    tag_ids = [tag.id for tag in question.tags]
    if tag_ids:
        db.session.execute(update(Tag).where(Tag.id.in_(tag_ids))
                           .values(question_count=Tag.question_count + 1))


def _count_post(post: Post, now: datetime) -> None:
    values = {"last_activity_at": now}
    if post.parent_id is None:
        values["answer_count"] = Question.answer_count + 1
    db.session.execute(update(Question).where(Question.id == post.question_id).values(**values))


# -- approve and reject ----------------------------------------------------------------


def _load_held(actor, target_type, target_id):
    if target_type == "question":
        item = moderation.moderated_question(actor, target_id)
    elif target_type == "post":
        item = moderation.moderated_post(actor, target_id)
    else:
        raise InvalidInput(fields={"target": _("Choose a question or a post.")})
    if item.held_at is None:
        raise Conflict(_("This is not waiting for approval."))
    if item.is_deleted:
        raise Conflict(_("This was deleted."))
    return item


def _group_id(target_type: str, item) -> int:
    return item.group_id if target_type == "question" else item.question.group_id


@transactional
def approve(actor, target_type, target_id, reason=None):
    """Publish a held question or post: it shows, counts and is announced as if posted now
    (followers, mentioned and invited people are notified; live readers see it). Raises
    InvalidInput, NotFound, PermissionDenied or Conflict (not held)."""
    errors: dict = {}
    reason = moderation.clean_reason(reason, errors, required=False)
    item = _load_held(actor, target_type, target_id)
    moderation.check_errors(errors)
    now = utcnow()
    item.held_at = item.hidden_at = None
    item.hidden_reason = ""
    author = item.author
    group_id = _group_id(target_type, item)
    audit.record(actor, "approve", target_type, item.id, group_id=group_id, reason=reason,
                 before={"held": True}, after={"held": False})
    audit.resolve_flags(actor, target_type, item.id, "approved")
    if target_type == "question":
        _count_question(item)
        item.last_activity_at = now
        db.session.flush()
        search.index_question(item.id)
        if author is not None:
            notifications.notify_question(author, item, mentioned_ids(item.body_source))
            asked = list(db.session.scalars(select(QuestionRoute.user_id).where(
                QuestionRoute.question_id == item.id, QuestionRoute.state == "asked")))
            if asked:
                notifications.notify_routed(author, item, asked)
        after_commit(live.question_updated, item)
    else:
        _count_post(item, now)
        db.session.flush()
        if item.parent_id is None:
            search.index_question(item.question_id)
        question = item.question
        parent = db.session.get(Post, item.parent_id) if item.parent_id else None
        if author is not None:
            notifications.notify_post(author, item, question, parent,
                                      mentioned_ids(item.body_source))
        after_commit(live.post_created, item)
    return item


@transactional
def reject(actor, target_type, target_id, reason):
    """Refuse a held question or post: it stays hidden, and its author sees `reason`
    (required). Nobody is notified. Raises InvalidInput, NotFound, PermissionDenied or
    Conflict (not held)."""
    errors: dict = {}
    reason = moderation.clean_reason(reason, errors)
    item = _load_held(actor, target_type, target_id)
    moderation.check_errors(errors)
    item.held_at = None
    item.hidden_reason = reason
    if target_type == "question":
        _count_question(item)
    else:
        # Counted as a published post that was then hidden (answer_count counts hidden
        # answers), so a later restore is an ordinary one; the thread's activity is not
        # bumped by something nobody saw.
        if item.parent_id is None:
            db.session.execute(update(Question).where(Question.id == item.question_id)
                               .values(answer_count=Question.answer_count + 1))
    audit.record(actor, "reject", target_type, item.id, group_id=_group_id(target_type, item),
                 reason=reason, before={"held": True}, after={"held": False, "hidden": True})
    audit.resolve_flags(actor, target_type, item.id, "rejected")
    return item


# -- what moderators see ------------------------------------------------------------------


@dataclass
class HeldItem:
    """One held question or post, for the moderation queue."""

    target_type: str
    id: int
    question_id: int
    title: str
    excerpt: str
    author: User | None
    group: Group
    created_at: datetime
    is_reply: bool = False


def _scope(actor, column):
    """SQL condition on a question's group id: the groups `actor` moderates."""
    inputs.require_user(actor)
    if permissions.is_admin(actor):
        return true()
    if permissions.is_moderator(actor):
        return column.in_(select(Group.id).where(permissions.visible_group_clause(actor)))
    return column.in_(select(GroupMembership.group_id).where(
        GroupMembership.user_id == actor.id, GroupMembership.role == "moderator"))


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "\u2026"


def held_items(actor, *, group: str | None = None, limit: int = HELD_LIMIT) -> list[HeldItem]:
    """The held questions and posts `actor` moderates (in the group of slug `group` only,
    when given), oldest first (at most `limit`); a fixed number of queries whatever their
    number. Raises PermissionDenied for those who moderate nothing (an empty list for a
    moderator with nothing held)."""
    if not permissions.is_moderator(actor) and not db.session.scalar(
            select(GroupMembership.id).where(GroupMembership.user_id == actor.id,
                                             GroupMembership.role == "moderator").limit(1)):
        raise PermissionDenied(_("Only moderators see this."))
    scope = _scope(actor, Question.group_id)
    extra = []
    if group:  # a slug: only that group (still only within what `actor` moderates)
        extra.append(Question.group_id == select(Group.id).where(Group.slug == str(group))
                     .scalar_subquery())
    questions = db.session.scalars(
        select(Question).where(Question.held_at.is_not(None), Question.deleted_at.is_(None),
                               scope, *extra)
        .options(joinedload(Question.author), joinedload(Question.group))
        .order_by(Question.held_at, Question.id).limit(limit)).all()
    posts = db.session.execute(
        select(Post, Question.title, Question.group_id)
        .join(Question, Question.id == Post.question_id)
        .where(Post.held_at.is_not(None), Post.deleted_at.is_(None),
               Question.deleted_at.is_(None), scope, *extra)
        .options(joinedload(Post.author))
        .order_by(Post.held_at, Post.id).limit(limit)).all()
    group_ids = {row.group_id for row in posts} - {q.group_id for q in questions}
    groups = {q.group_id: q.group for q in questions}
    if group_ids:
        groups.update({g.id: g for g in db.session.scalars(
            select(Group).where(Group.id.in_(group_ids)))})
    items = [HeldItem("question", q.id, q.id, q.title, _excerpt(q.body_text), q.author,
                      q.group, q.held_at) for q in questions]
    items += [HeldItem("post", row.Post.id, row.Post.question_id, row.title,
                       _excerpt(row.Post.body_text), row.Post.author, groups[row.group_id],
                       row.Post.held_at, is_reply=row.Post.parent_id is not None)
              for row in posts]
    items.sort(key=lambda item: (item.created_at, item.target_type, item.id))
    return items[:limit]


def held_count(actor) -> int:
    """How many held items `actor` moderates (0 for those who moderate nothing)."""
    if not permissions.is_user(actor):
        return 0
    scope = _scope(actor, Question.group_id)
    questions = select(Question.id).where(Question.held_at.is_not(None),
                                          Question.deleted_at.is_(None), scope)
    posts = select(Post.id).join(Question, Question.id == Post.question_id).where(
        Post.held_at.is_not(None), Post.deleted_at.is_(None), Question.deleted_at.is_(None),
        scope)
    both = union_all(questions, posts).subquery()
    return db.session.scalar(select(func.count()).select_from(both)) or 0

