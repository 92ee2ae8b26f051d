"""Exports: the public content of the site as one JSON document (administrators, for a
hand-over if the community moves) and a person's own data (each signed-in user).

The public export is a generator of JSON text chunks: it reads its tables in batches by id
(BATCH rows at a time) so a large forum never sits in memory. It holds public groups only,
and in them what everyone may read (no deleted or hidden questions and posts); private
groups and everything in them never appear, nor chat (conversations are not public
content), nor anything private about people (email, password hash, tokens, sessions,
private reputation).

The personal export is a plain dict: a person's own data is small.
"""

import json
from collections.abc import Iterator
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, union

from forum import permissions
from forum.errors import PermissionDenied
from forum.extensions import db
from forum.models import (
    ChatMessage,
    ChatRoom,
    FaqContributor,
    FaqEntry,
    FaqEntryTag,
    Flag,
    Follow,
    Group,
    Post,
    PostVote,
    Question,
    QuestionTag,
    QuestionVote,
    Tag,
    User,
    UserExpertise,
    UserLanguage,
    utcnow,
)
from forum.services import mailing
from forum.services.inputs import require_user

BATCH = 500
FORMAT = "tacit-export"
VERSION = 1
PUBLIC_FAQ_STATUSES = ("current", "obsolete")


def _time(value):
    """Dates and times as ISO 8601 text (None stays None)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def dump(value) -> str:
    """JSON text (UTF-8 kept, dates as ISO 8601)."""
    return json.dumps(value, ensure_ascii=False, default=_time)


# -- what is public ----------------------------------------------------------------------


def _public_group_ids():
    return select(Group.id).where(Group.private.is_(False))


def _public_questions():
    """The questions everyone may read: public groups, not deleted, not hidden."""
    return (Question.group_id.in_(_public_group_ids()) & Question.deleted_at.is_(None)
            & Question.hidden_at.is_(None))


def _public_faq():
    return FaqEntry.group_id.in_(_public_group_ids()) & FaqEntry.status.in_(
        PUBLIC_FAQ_STATUSES)


def _public_question_ids():
    return select(Question.id).where(_public_questions())


def _public_posts():
    return (Post.question_id.in_(_public_question_ids()) & Post.deleted_at.is_(None)
            & Post.hidden_at.is_(None))


def _public_tag_ids():
    """Tags that public content carries (a tag only private questions carry stays out)."""
    return union(
        select(QuestionTag.tag_id).where(QuestionTag.question_id.in_(_public_question_ids())),
        select(FaqEntryTag.tag_id).join(FaqEntry, FaqEntry.id == FaqEntryTag.entry_id)
        .where(_public_faq()),
    )


def _public_author_ids():
    """People who wrote public content: questions, answers and replies, FAQ entries."""
    return union(
        select(Question.author_id).where(_public_questions(), Question.author_id.is_not(None)),
        select(Post.author_id).where(_public_posts(), Post.author_id.is_not(None)),
        select(FaqContributor.user_id).join(FaqEntry, FaqEntry.id == FaqContributor.entry_id)
        .where(_public_faq()),
    )


def _batches(statement, id_column, batch_size: int) -> Iterator[list]:
    """The rows of `statement` in order of id, batch_size at a time (keyset paging)."""
    last = 0
    while True:
        rows = db.session.scalars(statement.where(id_column > last).order_by(id_column)
                                  .limit(batch_size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id
        if len(rows) < batch_size:
            return


def _array(name: str, items: Iterator[dict], first: bool = False) -> Iterator[str]:
    """`"name": [item, item, ...]` as chunks, one per item."""
    yield ("" if first else ",") + dump(name) + ":["
    separator = ""
    for item in items:
        yield separator + dump(item)
        separator = ","
    yield "]"


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(
        User.id.in_(ids), User.deleted_at.is_(None)))
    return {row.id: row.username for row in rows}


def _tag_names(link, key, ids) -> dict[int, list[str]]:
    """{owner id: [tag names]} through a link table (QuestionTag, FaqEntryTag...)."""
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    rows = db.session.execute(select(key, Tag.name).join(Tag, Tag.id == link.tag_id)
                              .where(key.in_(ids)).order_by(Tag.name))
    for owner, name in rows:
        found.setdefault(owner, []).append(name)
    return found


# -- the public export -------------------------------------------------------------------


def _groups(batch_size: int) -> Iterator[dict]:
    for rows in _batches(select(Group).where(Group.private.is_(False)), Group.id, batch_size):
        for group in rows:
            yield {"slug": group.slug, "name": group.name, "name_fr": group.name_fr,
                   "region": group.region, "description_source": group.description_source,
                   "created_at": group.created_at}


def _tags(batch_size: int) -> Iterator[dict]:
    statement = select(Tag).where(Tag.id.in_(_public_tag_ids()))
    for rows in _batches(statement, Tag.id, batch_size):
        for tag in rows:
            yield {"name": tag.name, "description": tag.description}


def _users(batch_size: int) -> Iterator[dict]:
    statement = select(User).where(User.id.in_(_public_author_ids()), User.deleted_at.is_(None))
    public_tags = set(db.session.scalars(select(Tag.id).where(Tag.id.in_(_public_tag_ids()))))
    for rows in _batches(statement, User.id, batch_size):
        ids = [user.id for user in rows]
        languages: dict[int, list[str]] = {}
        for user_id, code in db.session.execute(
                select(UserLanguage.user_id, UserLanguage.code)
                .where(UserLanguage.user_id.in_(ids))
                .order_by(UserLanguage.user_id, UserLanguage.position)):
            languages.setdefault(user_id, []).append(code)
        expertise: dict[int, list[str]] = {}
        for user_id, tag_id, name in db.session.execute(
                select(UserExpertise.user_id, Tag.id, Tag.name)
                .join(Tag, Tag.id == UserExpertise.tag_id)
                .where(UserExpertise.user_id.in_(ids)).order_by(Tag.name)):
            if tag_id in public_tags:
                expertise.setdefault(user_id, []).append(name)
        for user in rows:
            yield {"username": user.username, "display_name": user.display_name,
                   "title": user.title, "organization": user.organization,
                   "region": user.region, "country": user.country,
                   "languages": languages.get(user.id, []),
                   "expertise": expertise.get(user.id, []),
                   "verified_expert": user.verified_expert, "created_at": user.created_at}


def _answers(question_ids: list[int]) -> dict[int, list[dict]]:
    """{question id: [its public posts]}; a reply whose parent is not exported stays out."""
    posts = db.session.scalars(select(Post).where(Post.question_id.in_(question_ids),
                                                  Post.deleted_at.is_(None),
                                                  Post.hidden_at.is_(None))
                               .order_by(Post.depth, Post.id)).all()
    names = _usernames(post.author_id for post in posts)
    kept: set[int] = set()
    found: dict[int, list[dict]] = {}
    for post in posts:
        if post.parent_id is not None and post.parent_id not in kept:
            continue
        kept.add(post.id)
        found.setdefault(post.question_id, []).append({
            "id": post.id, "parent_id": post.parent_id, "author": names.get(post.author_id),
            "body_source": post.body_source, "lang": post.lang,
            "created_at": post.created_at, "score": post.score})
    for items in found.values():
        items.sort(key=lambda item: item["id"])
    return found


def _questions(batch_size: int) -> Iterator[dict]:
    statement = select(Question, Group.slug).join(Group, Group.id == Question.group_id)
    last = 0
    while True:
        rows = db.session.execute(statement.where(_public_questions(), Question.id > last)
                                  .order_by(Question.id).limit(batch_size)).all()
        if not rows:
            return
        ids = [question.id for question, _slug in rows]
        answers = _answers(ids)
        tags = _tag_names(QuestionTag, QuestionTag.question_id, ids)
        names = _usernames(question.author_id for question, _slug in rows)
        for question, slug in rows:
            items = answers.get(question.id, [])
            accepted = question.accepted_answer_id
            if accepted not in {item["id"] for item in items}:
                accepted = None
            yield {"id": question.id, "group": slug, "author": names.get(question.author_id),
                   "title": question.title, "body_source": question.body_source,
                   "lang": question.lang, "tags": tags.get(question.id, []),
                   "created_at": question.created_at, "accepted_answer_id": accepted,
                   "answers": items}
        last = ids[-1]
        if len(rows) < batch_size:
            return


def _faq(batch_size: int) -> Iterator[dict]:
    statement = select(FaqEntry).where(_public_faq())
    for rows in _batches(statement, FaqEntry.id, batch_size):
        ids = [entry.id for entry in rows]
        tags = _tag_names(FaqEntryTag, FaqEntryTag.entry_id, ids)
        contributors: dict[int, list[dict]] = {}
        for entry_id, username, role in db.session.execute(
                select(FaqContributor.entry_id, User.username, FaqContributor.role)
                .join(User, User.id == FaqContributor.user_id)
                .where(FaqContributor.entry_id.in_(ids), User.deleted_at.is_(None))
                .order_by(FaqContributor.entry_id, User.username, FaqContributor.role)):
            contributors.setdefault(entry_id, []).append({"username": username, "role": role})
        slugs = dict(db.session.execute(select(Group.id, Group.slug).where(
            Group.id.in_({entry.group_id for entry in rows}))).all())
        for entry in rows:
            yield {"id": entry.id, "group": slugs.get(entry.group_id), "title": entry.title,
                   "summary_source": entry.summary_source,
                   "question_source": entry.question_source,
                   "answer_source": entry.answer_source, "lang": entry.lang,
                   "tags": tags.get(entry.id, []), "source_question_id": entry.question_id,
                   "source_answer_id": entry.answer_id,
                   "contributors": contributors.get(entry.id, []),
                   "review_by": entry.review_by, "status": entry.status}


def public_export(actor, batch_size: int = BATCH) -> Iterator[str]:
    """The public content as chunks of one JSON document; administrators only.

    The permission is checked now (PermissionDenied before anything is sent); the chunks
    are produced as the caller reads them (a view streams them inside its request).
    """
    require_user(actor)
    if not permissions.is_admin(actor):
        raise PermissionDenied(_("Only administrators can export the site."))
    return _public_chunks(batch_size)


def _public_chunks(batch_size: int) -> Iterator[str]:
    head = {"format": FORMAT, "version": VERSION, "generated_at": utcnow(),
            "site": {"base_url": current_app.config.get("BASE_URL") or ""}}
    yield dump(head)[:-1]  # the object stays open for the lists
    yield from _array("groups", _groups(batch_size))
    yield from _array("tags", _tags(batch_size))
    yield from _array("users", _users(batch_size))
    yield from _array("questions", _questions(batch_size))
    yield from _array("faq", _faq(batch_size))
    yield "}\n"


# -- the personal export -----------------------------------------------------------------


def _slugs(group_ids) -> dict[int, str]:
    ids = {i for i in group_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Group.id, Group.slug).where(Group.id.in_(ids))).all())


def personal_export(user) -> dict:
    """The signed-in person's own data: account, profile, writing (in private groups too:
    it is theirs), chat messages, follows, settings, FAQ work, flags and votes. Nothing of
    other people beyond ids, and no password hash, token or session."""
    require_user(user)
    questions = db.session.scalars(select(Question).where(Question.author_id == user.id)
                                   .order_by(Question.id)).all()
    posts = db.session.execute(select(Post, Question.group_id)
                               .join(Question, Question.id == Post.question_id)
                               .where(Post.author_id == user.id).order_by(Post.id)).all()
    slugs = _slugs([q.group_id for q in questions] + [group_id for _post, group_id in posts])
    tags = _tag_names(QuestionTag, QuestionTag.question_id, [q.id for q in questions])
    messages = db.session.execute(select(ChatMessage, ChatRoom.kind)
                                  .join(ChatRoom, ChatRoom.id == ChatMessage.room_id)
                                  .where(ChatMessage.author_id == user.id)
                                  .order_by(ChatMessage.id)).all()
    faq = db.session.execute(select(FaqEntry.id, FaqEntry.title, FaqContributor.role)
                             .join(FaqContributor, FaqContributor.entry_id == FaqEntry.id)
                             .where(FaqContributor.user_id == user.id)
                             .order_by(FaqEntry.id, FaqContributor.role)).all()
    votes = [{"target_type": "question", "target_id": vote.question_id, "value": vote.value,
              "created_at": _time(vote.created_at)}
             for vote in db.session.scalars(select(QuestionVote).where(
                 QuestionVote.user_id == user.id).order_by(QuestionVote.id))]
    votes += [{"target_type": "post", "target_id": vote.post_id, "value": vote.value,
               "created_at": _time(vote.created_at)}
              for vote in db.session.scalars(select(PostVote).where(
                  PostVote.user_id == user.id).order_by(PostVote.id))]
    data = {
        "format": "tacit-personal-export", "version": VERSION,
        "generated_at": utcnow(),
        "account": {"username": user.username, "email": user.email,
                    "display_name": user.display_name, "locale": user.locale,
                    "role": user.role, "created_at": user.created_at,
                    "email_confirmed": user.email_confirmed_at is not None},
        "profile": {"display_name": user.display_name, "title": user.title,
                    "organization": user.organization, "region": user.region,
                    "country": user.country, "bio_source": user.bio_source,
                    "languages": user.languages, "expertise": user.expertise,
                    "verified_expert": user.verified_expert,
                    "directory_hidden": user.directory_hidden,
                    "routing_paused": user.routing_paused, "reputation": user.reputation,
                    "private_reputation": user.private_reputation},
        "questions": [{"id": q.id, "group": slugs.get(q.group_id), "title": q.title,
                       "body_source": q.body_source, "lang": q.lang,
                       "tags": tags.get(q.id, []), "created_at": q.created_at,
                       "edited_at": q.edited_at, "hidden": q.hidden_at is not None,
                       "deleted": q.deleted_at is not None} for q in questions],
        "posts": [{"id": post.id, "question_id": post.question_id,
                   "parent_id": post.parent_id, "group": slugs.get(group_id),
                   "kind": "answer" if post.parent_id is None else "reply",
                   "body_source": post.body_source, "lang": post.lang,
                   "created_at": post.created_at, "edited_at": post.edited_at,
                   "hidden": post.hidden_at is not None,
                   "deleted": post.deleted_at is not None} for post, group_id in posts],
        "chat_messages": [{"id": message.id, "room_id": message.room_id, "room_kind": kind,
                           "body_source": message.body_source,
                           "created_at": message.created_at,
                           "deleted": message.deleted_at is not None}
                          for message, kind in messages],
        "follows": [{"target_type": follow.target_type, "target_id": follow.target_id,
                     "level": follow.level, "created_at": follow.created_at}
                    for follow in db.session.scalars(select(Follow).where(
                        Follow.user_id == user.id).order_by(Follow.id))],
        "mail_settings": mailing.mail_settings(user),
        "faq_contributions": [{"entry_id": entry_id, "title": title, "role": role}
                              for entry_id, title, role in faq],
        "flags": [{"target_type": flag.target_type, "target_id": flag.target_id,
                   "reason": flag.reason, "text": flag.text, "created_at": flag.created_at,
                   "resolved_at": flag.resolved_at, "resolution": flag.resolution}
                  for flag in db.session.scalars(select(Flag).where(
                      Flag.user_id == user.id).order_by(Flag.id))],
        "votes": votes,
    }
    return json.loads(dump(data))  # dates as text, like the public export
