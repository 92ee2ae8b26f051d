"""Tag synonyms that moderators manage: `counseling` is written `counselling` everywhere.

A synonym is a tag name folded into another tag: tags given when asking, editing or
curating (qa.clean_tags), and the search's tag filter, use the tag it names. Adding a
synonym for a tag that exists merges it into the other: its questions, FAQ entries,
followers, experts and FAQ pins move over (once each), the tag's own synonyms follow, and
the tag is deleted.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.orm import aliased, joinedload

from forum import permissions
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import (
    FaqEntryTag,
    FaqPin,
    Follow,
    Question,
    QuestionTag,
    Tag,
    TagSynonym,
    UserExpertise,
)
from forum.services.inputs import clean_tag_name
from forum.services.uow import transactional


def canonical_tag_names(names: list[str]) -> list[str]:
    """`names` (clean tag names) with synonyms replaced by their tags, each once, in order."""
    if not names:
        return []
    mapped = dict(db.session.execute(
        select(TagSynonym.name, Tag.name).join(Tag, Tag.id == TagSynonym.tag_id)
        .where(TagSynonym.name.in_(names))).all())
    found: list[str] = []
    for name in names:
        name = mapped.get(name, name)
        if name not in found:
            found.append(name)
    return found


def tag_synonyms() -> list[TagSynonym]:
    """Every synonym with its tag, by tag then name."""
    return list(db.session.scalars(
        select(TagSynonym).join(Tag, Tag.id == TagSynonym.tag_id)
        .options(joinedload(TagSynonym.tag)).order_by(Tag.name, TagSynonym.name)))


def _require_moderator(user) -> None:
    if not permissions.can_edit_tags(user):
        raise PermissionDenied(_("Only moderators manage tag synonyms."))


def _clean(value, field: str, errors: dict) -> str | None:
    name = clean_tag_name(value.lower() if isinstance(value, str) else value)
    if name is None:
        errors[field] = _("Not a valid tag.")
    return name


def _move(model, owner, tag_column, old_id: int, new_id: int, *where) -> None:
    """Rows of `model` pointing at tag old_id point at new_id, unless their owner already
    has new_id (those are dropped)."""
    other = aliased(model)
    taken = exists().where(getattr(other, owner.key) == owner,
                           getattr(other, tag_column.key) == new_id,
                           *(getattr(other, w.left.key) == w.right for w in where))
    db.session.execute(update(model).where(tag_column == old_id, *where, ~taken)
                       .values({tag_column.key: new_id}).execution_options(
                           synchronize_session=False))
    db.session.execute(delete(model).where(tag_column == old_id, *where)
                       .execution_options(synchronize_session=False))


def _merge(old: Tag, new: Tag) -> None:
    both = aliased(QuestionTag)
    overlap = db.session.scalar(
        select(func.count()).select_from(QuestionTag)
        .join(both, and_(both.question_id == QuestionTag.question_id, both.tag_id == new.id))
        .join(Question, Question.id == QuestionTag.question_id)
        .where(QuestionTag.tag_id == old.id, Question.deleted_at.is_(None))) or 0
    _move(QuestionTag, QuestionTag.question_id, QuestionTag.tag_id, old.id, new.id)
    _move(FaqEntryTag, FaqEntryTag.entry_id, FaqEntryTag.tag_id, old.id, new.id)
    _move(UserExpertise, UserExpertise.user_id, UserExpertise.tag_id, old.id, new.id)
    _move(Follow, Follow.user_id, Follow.target_id, old.id, new.id, Follow.target_type == "tag")
    _move(FaqPin, FaqPin.entry_id, FaqPin.scope_id, old.id, new.id, FaqPin.scope == "tag")
    db.session.execute(update(Tag).where(Tag.id == new.id).values(
        question_count=Tag.question_count + max(0, old.question_count - overlap)))
    db.session.execute(update(TagSynonym).where(TagSynonym.tag_id == old.id)
                       .values(tag_id=new.id))
    if not new.description and old.description:
        new.description = old.description
    db.session.delete(old)


@transactional
def add_tag_synonym(moderator, name, tag) -> TagSynonym:
    """Make the tag name `name` a synonym of the tag `tag` (created if new), merging the
    tag `name` into it when it exists. Raises PermissionDenied (not a moderator),
    InvalidInput (fields name, tag) and Conflict (already a synonym)."""
    _require_moderator(moderator)
    errors: dict = {}
    name = _clean(name, "name", errors)
    target = _clean(tag, "tag", errors)
    if errors:
        raise InvalidInput(fields=errors)
    target = canonical_tag_names([target])[0]  # a synonym of a synonym names the tag
    if name == target:
        raise InvalidInput(fields={"name": _("A tag cannot be its own synonym.")})
    if db.session.scalar(select(TagSynonym.id).where(TagSynonym.name == name)):
        raise Conflict(_("%(name)s is already a synonym.", name=name))
    new = db.session.scalar(select(Tag).where(Tag.name == target))
    if new is None:
        new = Tag(name=target, description="", question_count=0)
        db.session.add(new)
        db.session.flush()
    old = db.session.scalar(select(Tag).where(Tag.name == name))
    if old is not None:
        _merge(old, new)
    row = TagSynonym(name=name, tag_id=new.id, created_by_id=moderator.id)
    db.session.add(row)
    db.session.flush()
    return row


@transactional
def remove_tag_synonym(moderator, synonym_id) -> None:
    """Forget a synonym (tags already merged stay merged). Raises PermissionDenied and
    NotFound."""
    _require_moderator(moderator)
    row = db.session.get(TagSynonym, synonym_id) if isinstance(synonym_id, int) else None
    if row is None:
        raise NotFound(_("No such tag synonym."))
    db.session.delete(row)
