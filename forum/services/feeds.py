"""Atom feeds of new questions: a public group's and a tag's.

Feeds are read anonymously (feed readers and mail-forwarding tools send no cookie), so they
show only what an anonymous visitor may read: a private group has no feed at all, and a tag's
feed never carries a question of a private group.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forum import permissions
from forum.errors import NotFound
from forum.extensions import db
from forum.models import FaqEntry, Group, Question, QuestionTag, Tag
from forum.models.user import author_columns
from forum.services.inputs import clean_tag_name, unstorable

FEED_SIZE = 30


def _newest(stmt) -> list[Question]:
    return list(db.session.scalars(
        stmt.where(permissions.visible_question_clause(None))
        .order_by(Question.created_at.desc(), Question.id.desc())
        .options(joinedload(Question.author).load_only(*author_columns()),
                 joinedload(Question.group), selectinload(Question.tags))
        .limit(FEED_SIZE)))


def group_feed(slug) -> tuple[Group, list[Question]]:
    """A public group and its newest questions. Raises NotFound (private groups too, for
    everyone: members included)."""
    group = None
    if isinstance(slug, str) and not unstorable(slug):
        group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None or group.private:
        raise NotFound(_("No such group."))
    return group, _newest(select(Question).where(Question.group_id == group.id))


def tag_feed(name) -> tuple[Tag, list[Question]]:
    """A tag and the newest public questions carrying it. Raises NotFound when no public
    question does (a tag used only in private groups has no feed)."""
    tag_name = clean_tag_name(name) if isinstance(name, str) else None
    tag = db.session.scalar(select(Tag).where(Tag.name == tag_name)) if tag_name else None
    if tag is None:
        raise NotFound(_("No such tag."))
    questions = _newest(select(Question).where(Question.id.in_(
        select(QuestionTag.question_id).where(QuestionTag.tag_id == tag.id))))
    if not questions:
        raise NotFound(_("No such tag."))
    return tag, questions


def faq_feed() -> list[FaqEntry]:
    """The most recently promoted or updated FAQ entries of public groups, newest first
    (current ones, due for review included: obsolete and withdrawn entries leave it)."""
    return list(db.session.scalars(
        select(FaqEntry).join(Group, Group.id == FaqEntry.group_id)
        .where(FaqEntry.status == "current", Group.private.is_(False))
        .order_by(FaqEntry.updated_at.desc(), FaqEntry.id.desc())
        .options(selectinload(FaqEntry.tags))
        .limit(FEED_SIZE)))
