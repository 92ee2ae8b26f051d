"""The curated FAQ: promotion of answered threads with their provenance, curation (edit,
verify, take or keep a changed source, obsolete, restore, withdraw, translations, pins),
the review invitations, and the reads the pages, the API and the home page share.

Every write here authorizes with permissions.can_curate_faq() on the entry's group (the
question's group for a promotion): admins, site moderators, the group's own moderators.
An entry keeps its own sanitized copy of the question and answer, so that later edits to
the thread never change curated text silently: the moderators see the difference
(source_change) and take it in or keep the curated text. Every change is a revision.
"""

import difflib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from forum import permissions
from forum.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied, Unauthorized
from forum.extensions import db
from forum.markup import MARKUP_VERSION, render_markdown
from forum.models import (
    LANGUAGES,
    FaqContributor,
    FaqEntry,
    FaqEntryTag,
    FaqPin,
    FaqRevision,
    Group,
    GroupMembership,
    Notification,
    Post,
    Question,
    Tag,
    User,
    UserExpertise,
    utcnow,
)
from forum.schemas import author_json, iso, question_url
from forum.services import chat, inputs, notifications, search
from forum.services.paging import MAX_PAGE, Page, fetch_page
from forum.services.qa import clean_tags, clean_title, tags_for
from forum.services.uow import lock_for_write, transactional, unit_of_work

REVIEW_AFTER_DAYS = 365
INVITE_EVERY_DAYS = 30
EXPERTS_INVITED = 3
SUMMARY_MAX = 2000
NOTE_MAX = 1000
BODY_MAX = 50_000
PER_PAGE_MAX = 100
LIVE = ("current", "obsolete")  # statuses whose entry still answers at its URL for everyone


@dataclass
class PromotionContext:
    """What the promotion form shows: the question, its live answers, the default answer."""

    question: Question
    answers: list[Post]
    default_answer_id: int | None
    tags: list[str]


@dataclass
class ReviewItem:
    """An entry in the moderators' review queue, and why it is there."""

    entry: FaqEntry
    due: bool
    source_changed: bool


# -- small helpers ----------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def _require_user(user) -> None:
    """Anonymous visitors and deleted accounts: 401."""
    if not permissions.is_user(user):
        raise Unauthorized(_("Log in to do this."))


def _membership(user, group_id: int) -> GroupMembership | None:
    if not permissions.is_user(user):
        return None
    return db.session.scalar(select(GroupMembership).where(
        GroupMembership.group_id == group_id, GroupMembership.user_id == user.id))


def _can_curate_group(user, group: Group) -> bool:
    return permissions.can_curate_faq(user, group, _membership(user, group.id))


def can_curate_entry(user, entry: FaqEntry) -> bool:
    """Whether `user` curates `entry` (its group's curators): for templates."""
    return permissions.is_user(user) and _can_curate_group(user, entry.group)


def curated_group_ids(user) -> set[int] | None:
    """The ids of the groups whose entries `user` curates: None for every group (admins
    and site moderators; readable groups still apply), an empty set for anonymous visitors
    and members. At most one query."""
    if not permissions.is_user(user):
        return set()
    if permissions.is_moderator(user):
        return None
    return set(db.session.scalars(select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.role == "moderator")))


_UNKNOWN = object()


def can_curate_question(user, question: Question, *, membership=_UNKNOWN) -> bool:
    """Whether `user` may promote `question` into the FAQ (the "promote" button).
    `membership`: the user's membership of the question's group when the caller has it
    (None for none), else it is looked up."""
    if not permissions.is_user(user) or question.is_deleted:
        return False
    if membership is _UNKNOWN:
        membership = _membership(user, question.group_id)
    return permissions.can_curate_faq(user, question.group, membership)


def _check_curator(actor, group: Group) -> None:
    _require_user(actor)
    if not _can_curate_group(actor, group):
        raise PermissionDenied(_("Only the moderators of this group curate its FAQ."))


def entry_status(entry: FaqEntry, today: date | None = None) -> str:
    """"current", "due" (current, past its review-by date), "obsolete" or "withdrawn"."""
    if entry.status != "current":
        return entry.status
    return "due" if entry.review_by < (today or _today()) else "current"


def _load_entry(entry_id) -> FaqEntry:
    ident = inputs.as_id(entry_id)
    entry = db.session.get(FaqEntry, ident) if ident else None
    if entry is None:
        raise NotFound(_("No such FAQ entry."))
    return entry


def get_entry(viewer, entry_id) -> FaqEntry:
    """An entry `viewer` may read: NotFound for a private group they are not in, Gone (410,
    with the note) for a withdrawn entry unless they curate it."""
    entry = _load_entry(entry_id)
    if not permissions.can_view_group(viewer, entry.group):
        raise NotFound(_("No such FAQ entry."))
    if entry.status == "withdrawn" and not can_curate_entry(viewer, entry):
        raise Gone(entry.note or None)
    return entry


def _check_changeable(entry: FaqEntry) -> None:
    if entry.status == "withdrawn":
        raise Conflict(_("This entry was withdrawn: restore it first."))


def get_entry_for_curation(actor, entry_id) -> FaqEntry:
    """An entry `actor` curates (withdrawn ones included); 401, 404 or 403 otherwise."""
    _require_user(actor)
    entry = _load_entry(entry_id)
    if not permissions.can_view_group(actor, entry.group):
        raise NotFound(_("No such FAQ entry."))
    _check_curator(actor, entry.group)
    return entry


def _get_question(actor, question_id) -> Question:
    ident = inputs.as_id(question_id)
    question = db.session.get(Question, ident) if ident else None
    if question is None or question.is_deleted \
            or not permissions.can_view_question(actor, question):
        raise NotFound(_("No such question."))
    return question


# -- validation -------------------------------------------------------------------------


def _clean_review_by(value, errors: dict, *, field: str = "review_by") -> date:
    """A date after today (a date, or ISO text); None or "" is today + one year."""
    today = _today()
    if value is None or value == "":
        return today + timedelta(days=REVIEW_AFTER_DAYS)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()) if len(value) <= 10 else None
        except ValueError:
            value = None
    if not isinstance(value, date):
        errors[field] = _("Give a date as YYYY-MM-DD.")
        return today
    if value <= today:
        errors[field] = _("Choose a date in the future.")
    return value


def _clean_summary(value, errors: dict) -> str:
    summary = inputs.text(value, "summary", errors).replace("\r\n", "\n").strip()
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = _("Use at most %(n)d characters.", n=SUMMARY_MAX)
    return summary


def _clean_markdown(value, field: str, errors: dict) -> str:
    return inputs.clean_body(value, errors, max_len=BODY_MAX, field=field)


def _clean_note(value, errors: dict, *, required: bool = True) -> str:
    note = " ".join(inputs.text(value, "note", errors).split())
    if "note" in errors:
        return ""
    if required and not note:
        errors["note"] = _("Say why, in a short note.")
    elif len(note) > NOTE_MAX:
        errors["note"] = _("Use at most %(n)d characters.", n=NOTE_MAX)
    return note


def _clean_lang(value, errors: dict, default: str) -> str:
    if value is None or value == "":
        return default if default in LANGUAGES else "en"
    if value not in LANGUAGES:
        errors["lang"] = _("Choose English (en) or French (fr).")
        return default
    return value


def _usernames(value, errors: dict) -> list[User]:
    """The live accounts named by a list (or a comma- or space-separated text) of
    usernames; an unknown name is refused in errors["credited"]."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors["credited"] = _("Give a list of usernames.")
        return []
    keys = []
    for raw in value:
        key = raw.strip().lstrip("@").lower()
        if key and key not in keys:
            keys.append(key)
    if len(keys) > 20:
        errors["credited"] = _("Credit at most %(n)d people.", n=20)
        return []
    if not keys:
        return []
    found = {u.username_key: u for u in db.session.scalars(select(User).where(
        User.username_key.in_(keys), User.deleted_at.is_(None)))}
    unknown = [k for k in keys if k not in found]
    if unknown:
        errors["credited"] = _("Unknown user: %(name)s", name=", ".join(unknown))
        return []
    return [found[k] for k in keys]


def _set_tags(entry: FaqEntry, names: list[str]) -> None:
    tags = tags_for(names)
    db.session.execute(delete(FaqEntryTag).where(FaqEntryTag.entry_id == entry.id))
    db.session.add_all(FaqEntryTag(entry_id=entry.id, tag_id=tag.id) for tag in tags)
    db.session.flush()
    db.session.expire(entry, ["tags"])


def _render(source: str):
    return render_markdown(source, mentions=notifications.find_mentions(source).links)


def _search_text(entry: FaqEntry, summary_text: str, question_text: str,
                 answer_text: str) -> str:
    return "\n".join(part for part in (entry.title, summary_text, question_text, answer_text)
                     if part)


def _set_texts(entry: FaqEntry, *, summary: str | None = None, question: str | None = None,
               answer: str | None = None) -> None:
    """Set and re-render the curated texts given, and rebuild search_text (without
    flushing: the mention lookups must not take the write lock before rendering)."""
    with db.session.no_autoflush:
        _render_texts(entry, summary=summary, question=question, answer=answer)


def _render_texts(entry: FaqEntry, *, summary: str | None, question: str | None,
                  answer: str | None) -> None:
    if summary is not None:
        entry.summary_source = summary
    if question is not None:
        entry.question_source = question
    if answer is not None:
        entry.answer_source = answer
    rendered = [_render(entry.summary_source) if entry.summary_source else None,
                _render(entry.question_source), _render(entry.answer_source)]
    summary_r, question_r, answer_r = rendered
    entry.summary_html = summary_r.html if summary_r else ""
    entry.question_html = question_r.html
    entry.answer_html = answer_r.html
    entry.markup_version = question_r.version
    entry.search_text = _search_text(entry, summary_r.text if summary_r else "",
                                     question_r.text, answer_r.text)


def _snapshot(entry: FaqEntry, tag_names: list[str] | None = None) -> dict:
    if tag_names is None:
        tag_names = [t.name for t in entry.tags]
    return {
        "title": entry.title,
        "summary_source": entry.summary_source,
        "question_source": entry.question_source,
        "answer_source": entry.answer_source,
        "tags": list(tag_names),
        "lang": entry.lang,
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "status": entry.status,
        "note": entry.note,
        "replaced_by_id": entry.replaced_by_id,
        "translation_id": entry.translation_id,
    }


def _revise(entry: FaqEntry, action: str, editor, *, note: str = "",
            tag_names: list[str] | None = None) -> FaqRevision:
    db.session.flush()
    last = db.session.scalar(select(func.max(FaqRevision.number))
                             .where(FaqRevision.entry_id == entry.id)) or 0
    revision = FaqRevision(entry_id=entry.id, number=last + 1, action=action,
                           editor_id=editor.id if editor is not None else None,
                           note=note[:NOTE_MAX], snapshot=_snapshot(entry, tag_names))
    db.session.add(revision)
    return revision


def _touch(entry: FaqEntry) -> None:
    entry.updated_at = utcnow()


def _reindex(entry: FaqEntry) -> None:
    db.session.flush()
    search.index_faq_entry(entry.id)


def _reply_authors(answer: Post) -> list[int]:
    """The authors of the live replies under `answer` (at any depth), in reply order."""
    rows = db.session.execute(
        select(Post.id, Post.parent_id, Post.author_id, Post.deleted_at)
        .where(Post.question_id == answer.question_id, Post.parent_id.is_not(None))
        .order_by(Post.id)).all()
    under = {answer.id}
    authors: list[int] = []
    for row in rows:  # a reply always comes after its parent
        if row.parent_id in under:
            under.add(row.id)
            if row.deleted_at is None and row.author_id and row.author_id not in authors:
                authors.append(row.author_id)
    return authors


def _refresh_in_faq(question_id: int | None) -> None:
    """Question.in_faq: whether some entry that is not withdrawn comes from it."""
    if question_id is None:
        return
    db.session.flush()
    live = db.session.scalar(select(func.count()).select_from(FaqEntry).where(
        FaqEntry.question_id == question_id, FaqEntry.status != "withdrawn")) or 0
    db.session.execute(update(Question).where(Question.id == question_id)
                       .values(in_faq=live > 0))


# -- promotion --------------------------------------------------------------------------


def _live_answers(question: Question) -> list[Post]:
    return list(db.session.scalars(
        select(Post).options(joinedload(Post.author))
        .where(Post.question_id == question.id, Post.parent_id.is_(None),
               Post.deleted_at.is_(None))
        .order_by((Post.id == question.accepted_answer_id).desc(), Post.score.desc(),
                  Post.id)))


def promotion_context(actor, question_id) -> PromotionContext:
    """What the promotion form needs; raises as promote() would (401, 404, 403)."""
    _require_user(actor)
    question = _get_question(actor, question_id)
    _check_curator(actor, question.group)
    answers = _live_answers(question)
    default = question.accepted_answer_id if any(
        a.id == question.accepted_answer_id for a in answers) else None
    return PromotionContext(question=question, answers=answers, default_answer_id=default,
                            tags=[t.name for t in question.tags])


@transactional
def promote(actor, question_id, *, answer_id=None, title=None, summary=None, review_by=None,
            tags=None, lang=None, credited=None) -> FaqEntry:
    """Promote an answered thread into the FAQ (see the module's docstring).

    Raises Unauthorized, NotFound, PermissionDenied, InvalidInput (naming the fields) or
    Conflict when that answer already has an entry.
    """
    _require_user(actor)
    question = _get_question(actor, question_id)
    _check_curator(actor, question.group)
    errors: dict = {}
    answer = None
    if answer_id is None or answer_id == "":
        if question.accepted_answer_id is None:
            errors["answer_id"] = _("This question has no accepted answer: choose one.")
        else:
            answer = db.session.get(Post, question.accepted_answer_id)
    else:
        ident = inputs.as_id(answer_id)
        answer = db.session.get(Post, ident) if ident else None
    if "answer_id" not in errors and (answer is None or answer.question_id != question.id
                                      or not answer.is_answer or answer.is_deleted):
        errors["answer_id"] = _("Choose an answer of this question.")
    title = clean_title(question.title if title is None or title == "" else title, errors)
    summary = _clean_summary(summary, errors)
    review_date = _clean_review_by(review_by, errors)
    if tags is None or tags == "" or tags == []:
        tag_names = [t.name for t in question.tags]
    else:
        tag_names = clean_tags(tags, errors)
    lang = _clean_lang(lang, errors, question.lang)
    credited_users = _usernames(credited, errors)
    if errors:
        raise InvalidInput(fields=errors)
    source = chat.chat_source_of(question.id)
    now = utcnow()
    entry = FaqEntry(
        question_id=question.id, answer_id=answer.id, group_id=question.group_id,
        chat_room_id=source[0] if source else None,
        chat_message_id=source[1] if source else None,
        title=title, lang=lang, summary_source=summary, question_source=question.body_source,
        answer_source=answer.body_source, source_answer_seen=answer.body_source,
        promoted_by_id=actor.id, promoted_at=now, reviewed_at=now, reviewed_by_id=actor.id,
        review_by=review_date, updated_at=now, status="current", note="")
    _set_texts(entry)  # rendered before the write lock is taken
    # Two moderators promoting the same answer at once: the second waits, then conflicts.
    lock_for_write()
    db.session.execute(select(Post.id).where(Post.id == answer.id).with_for_update())
    existing = db.session.scalar(select(FaqEntry).where(
        FaqEntry.answer_id == answer.id, FaqEntry.status != "withdrawn").limit(1))
    if existing is not None:
        raise Conflict(_("This answer is already in the FAQ: entry %(id)d, “%(title)s”.",
                         id=existing.id, title=existing.title))
    db.session.add(entry)
    db.session.flush()
    _set_tags(entry, tag_names)
    roles: list[tuple[int, str]] = []
    if question.author_id:
        roles.append((question.author_id, "asker"))
    if answer.author_id:
        roles.append((answer.author_id, "answerer"))
    named = {user_id for user_id, _role in roles}
    for user_id in [u.id for u in credited_users] + _reply_authors(answer):
        if user_id not in named:
            named.add(user_id)
            roles.append((user_id, "credited"))
    db.session.add_all(FaqContributor(entry_id=entry.id, user_id=user_id, role=role)
                       for user_id, role in roles)
    question.in_faq = True
    _revise(entry, "promoted", actor, tag_names=tag_names)
    _reindex(entry)
    notifications.notify_faq_promoted(actor, entry)
    return entry


# -- curation ---------------------------------------------------------------------------


@transactional
def edit_entry(actor, entry_id, *, title=None, summary=None, question=None, answer=None,
               review_by=None, tags=None, lang=None) -> FaqEntry:
    """Change the curated text, tags, language or review date (None: unchanged)."""
    entry = get_entry_for_curation(actor, entry_id)
    _check_changeable(entry)
    errors: dict = {}
    new_title = clean_title(title, errors) if title is not None else None
    new_summary = _clean_summary(summary, errors) if summary is not None else None
    new_question = _clean_markdown(question, "question", errors) \
        if question is not None else None
    new_answer = _clean_markdown(answer, "answer", errors) if answer is not None else None
    new_review = _clean_review_by(review_by, errors) \
        if review_by is not None and review_by != "" else None
    tag_names = clean_tags(tags, errors) if tags is not None else None
    new_lang = _clean_lang(lang, errors, entry.lang) if lang is not None else None
    if new_lang is not None and entry.translation_id is not None and "lang" not in errors:
        other = db.session.get(FaqEntry, entry.translation_id)
        if other is not None and other.lang == new_lang:
            errors["lang"] = _("Its translation is in that language: unlink it first.")
    if errors:
        raise InvalidInput(fields=errors)
    if new_title is not None:
        entry.title = new_title
    if new_review is not None:
        entry.review_by = new_review
    if new_lang is not None:
        entry.lang = new_lang
    _set_texts(entry, summary=new_summary, question=new_question, answer=new_answer)
    if tag_names is not None:
        _set_tags(entry, tag_names)
        _drop_stale_tag_pins(entry, tag_names)
    _touch(entry)
    _revise(entry, "edited", actor, tag_names=tag_names)
    _reindex(entry)
    return entry


@transactional
def verify(actor, entry_id, *, review_by=None) -> FaqEntry:
    """Mark an entry reviewed now, due again at `review_by` (default: in a year)."""
    entry = get_entry_for_curation(actor, entry_id)
    if entry.status != "current":
        raise Conflict(_("Only a current entry can be verified."))
    errors: dict = {}
    review_date = _clean_review_by(review_by, errors)
    if errors:
        raise InvalidInput(fields=errors)
    entry.reviewed_at = utcnow()
    entry.reviewed_by_id = actor.id
    entry.review_by = review_date
    _touch(entry)
    _revise(entry, "verified", actor)
    return entry


def source_change(entry: FaqEntry) -> list[tuple[str, str]] | None:
    """The differences between the source answer's Markdown as last seen and as it is now,
    line by line: [(kind, text)] with kind "same", "added" or "removed"; None when it did
    not change or the answer is gone."""
    answer = db.session.get(Post, entry.answer_id) if entry.answer_id else None
    if answer is None or answer.is_deleted or answer.body_source == entry.source_answer_seen:
        return None
    old = entry.source_answer_seen.splitlines()
    new = answer.body_source.splitlines()
    lines: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False) \
            .get_opcodes():
        if op == "equal":
            lines.extend(("same", line) for line in old[i1:i2])
            continue
        lines.extend(("removed", line) for line in old[i1:i2])
        lines.extend(("added", line) for line in new[j1:j2])
    if not any(kind != "same" for kind, _text in lines):  # only line ends changed
        lines.append(("added", ""))
    return lines


def _live_source(entry: FaqEntry) -> Post:
    answer = db.session.get(Post, entry.answer_id) if entry.answer_id else None
    if answer is None or answer.is_deleted:
        raise Conflict(_("The source answer is gone."))
    return answer


@transactional
def take_source_change(actor, entry_id) -> FaqEntry:
    """Copy the live source answer into the curated answer."""
    entry = get_entry_for_curation(actor, entry_id)
    _check_changeable(entry)
    answer = _live_source(entry)
    entry.source_answer_seen = answer.body_source
    _set_texts(entry, answer=answer.body_source)
    _touch(entry)
    _revise(entry, "source_taken", actor)
    _reindex(entry)
    return entry


@transactional
def keep_curated(actor, entry_id) -> FaqEntry:
    """Acknowledge the changed source answer and keep the curated text."""
    entry = get_entry_for_curation(actor, entry_id)
    _check_changeable(entry)
    answer = _live_source(entry)
    entry.source_answer_seen = answer.body_source
    _touch(entry)
    _revise(entry, "source_kept", actor)
    return entry


@transactional
def mark_obsolete(actor, entry_id, note, *, replaced_by=None) -> FaqEntry:
    """Obsolete an entry: it leaves every list and the search, keeps its URL, shows the
    note and points to its replacement (another current entry), if any."""
    entry = get_entry_for_curation(actor, entry_id)
    _check_changeable(entry)
    errors: dict = {}
    note = _clean_note(note, errors)
    replacement = None
    if replaced_by is not None and replaced_by != "":
        ident = inputs.as_id(replaced_by)
        replacement = db.session.get(FaqEntry, ident) if ident else None
        if (replacement is None or replacement.id == entry.id
                or replacement.status != "current"
                or not permissions.can_view_group(actor, replacement.group)):
            errors["replaced_by"] = _("Choose another current FAQ entry.")
    if errors:
        raise InvalidInput(fields=errors)
    entry.status = "obsolete"
    entry.note = note
    entry.replaced_by_id = replacement.id if replacement else None
    _touch(entry)
    _revise(entry, "obsolete", actor, note=note)
    db.session.execute(delete(FaqPin).where(FaqPin.entry_id == entry.id))
    _reindex(entry)
    return entry


@transactional
def restore(actor, entry_id) -> FaqEntry:
    """Bring an obsolete (or withdrawn) entry back to current."""
    entry = get_entry_for_curation(actor, entry_id)
    if entry.status == "current":
        return entry
    if entry.answer_id is not None and entry.status == "withdrawn":
        clash = db.session.scalar(select(FaqEntry.id).where(
            FaqEntry.answer_id == entry.answer_id, FaqEntry.id != entry.id,
            FaqEntry.status != "withdrawn").limit(1))
        if clash is not None:
            raise Conflict(_("This answer is already in the FAQ: entry %(id)d.", id=clash))
    entry.status = "current"
    entry.note = ""
    entry.replaced_by_id = None
    _touch(entry)
    _revise(entry, "restored", actor)
    _refresh_in_faq(entry.question_id)
    _reindex(entry)
    return entry


@transactional
def withdraw(actor, entry_id, note) -> FaqEntry:
    """Withdraw an entry made by mistake: its revisions stay, its URL answers 410 with the
    note (curators still see it)."""
    entry = get_entry_for_curation(actor, entry_id)
    errors: dict = {}
    note = _clean_note(note, errors)
    if errors:
        raise InvalidInput(fields=errors)
    entry.status = "withdrawn"
    entry.note = note
    _touch(entry)
    _unlink(entry, actor)
    db.session.execute(delete(FaqPin).where(FaqPin.entry_id == entry.id))
    _revise(entry, "withdrawn", actor, note=note)
    _refresh_in_faq(entry.question_id)
    _reindex(entry)
    return entry


def _unlink(entry: FaqEntry, actor) -> None:
    if entry.translation_id is None:
        return
    other = db.session.get(FaqEntry, entry.translation_id)
    entry.translation_id = None
    if other is not None and other.translation_id == entry.id:
        other.translation_id = None
        _touch(other)
        _revise(other, "translation", actor)


@transactional
def link_translation(actor, entry_id, other_id) -> FaqEntry:
    """Link an English and a French entry as translations of each other (both sides)."""
    entry = get_entry_for_curation(actor, entry_id)
    _check_changeable(entry)
    errors: dict = {}
    ident = inputs.as_id(other_id)
    other = db.session.get(FaqEntry, ident) if ident else None
    if (other is None or other.id == entry.id or other.status == "withdrawn"
            or not permissions.can_view_group(actor, other.group)):
        errors["entry_id"] = _("Choose another FAQ entry.")
    elif other.lang == entry.lang:
        errors["entry_id"] = _("A translation is in the other language.")
    if errors:
        raise InvalidInput(fields=errors)
    _check_curator(actor, other.group)
    if entry.translation_id == other.id and other.translation_id == entry.id:
        return entry
    _unlink(entry, actor)
    _unlink(other, actor)
    entry.translation_id = other.id
    other.translation_id = entry.id
    _touch(entry)
    _touch(other)
    _revise(entry, "translation", actor)
    _revise(other, "translation", actor)
    return entry


@transactional
def unlink_translation(actor, entry_id) -> FaqEntry:
    """Undo a translation link, on both sides."""
    entry = get_entry_for_curation(actor, entry_id)
    if entry.translation_id is None:
        return entry
    _unlink(entry, actor)
    _touch(entry)
    _revise(entry, "translation", actor)
    return entry


# -- pins -------------------------------------------------------------------------------


def _scope_id(actor, entry: FaqEntry | None, scope, key) -> int:
    """The id of the tag or group a pin scope names (NotFound / InvalidInput otherwise)."""
    if scope == "tag":
        name = inputs.clean_tag_name(key)
        tag = db.session.scalar(select(Tag).where(Tag.name == name)) if name else None
        if tag is None:
            raise NotFound(_("No such tag."))
        return tag.id
    if scope == "group":
        group = db.session.scalar(select(Group).where(Group.slug == key)) \
            if isinstance(key, str) else None
        if group is None or not permissions.can_view_group(actor, group):
            raise NotFound(_("No such group."))
        return group.id
    raise InvalidInput(fields={"scope": _("Choose tag or group.")})


def _check_pin_curator(actor, entry: FaqEntry, scope: str) -> None:
    _require_user(actor)
    if scope == "tag" and permissions.is_moderator(actor):
        return
    _check_curator(actor, entry.group)


def _pinned(scope: str, scope_id: int) -> list[FaqPin]:
    return list(db.session.scalars(select(FaqPin).where(
        FaqPin.scope == scope, FaqPin.scope_id == scope_id)
        .order_by(FaqPin.position, FaqPin.id)))


@transactional
def pin(actor, entry_id, scope, key) -> FaqPin:
    """Pin a current entry at the end of a tag's or a group's list (it must carry that tag
    or belong to that group)."""
    _require_user(actor)
    entry = _load_entry(entry_id)
    if not permissions.can_view_group(actor, entry.group):
        raise NotFound(_("No such FAQ entry."))
    scope_id = _scope_id(actor, entry, scope, key)
    _check_pin_curator(actor, entry, scope)
    if entry.status != "current":
        raise InvalidInput(fields={"entry_id": _("Only current entries can be pinned.")})
    if scope == "group" and entry.group_id != scope_id:
        raise InvalidInput(fields={"key": _("This entry is not in that group.")})
    if scope == "tag" and scope_id not in {t.id for t in entry.tags}:
        raise InvalidInput(fields={"key": _("This entry does not have that tag.")})
    pins = _pinned(scope, scope_id)
    for found in pins:
        if found.entry_id == entry.id:
            return found
    made = FaqPin(scope=scope, scope_id=scope_id, entry_id=entry.id,
                  position=(pins[-1].position + 1) if pins else 0)
    db.session.add(made)
    db.session.flush()
    return made


@transactional
def unpin(actor, entry_id, scope, key) -> None:
    """Take an entry out of a tag's or a group's pins."""
    _require_user(actor)
    entry = _load_entry(entry_id)
    if not permissions.can_view_group(actor, entry.group):
        raise NotFound(_("No such FAQ entry."))
    scope_id = _scope_id(actor, entry, scope, key)
    _check_pin_curator(actor, entry, scope)
    db.session.execute(delete(FaqPin).where(FaqPin.scope == scope, FaqPin.scope_id == scope_id,
                                            FaqPin.entry_id == entry.id))


@transactional
def move_pin(actor, scope, key, entry_id, direction) -> None:
    """Move a pinned entry one place up or down within its tag's or group's pins."""
    _require_user(actor)
    entry = _load_entry(entry_id)
    if not permissions.can_view_group(actor, entry.group):
        raise NotFound(_("No such FAQ entry."))
    scope_id = _scope_id(actor, entry, scope, key)
    _check_pin_curator(actor, entry, scope)
    if direction not in ("up", "down"):
        raise InvalidInput(fields={"direction": _("Choose up or down.")})
    pins = _pinned(scope, scope_id)
    index = next((i for i, p in enumerate(pins) if p.entry_id == entry.id), None)
    if index is None:
        raise NotFound(_("This entry is not pinned there."))
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(pins):
        return
    pins[index], pins[other] = pins[other], pins[index]
    for position, found in enumerate(pins):
        found.position = position


def _drop_stale_tag_pins(entry: FaqEntry, tag_names: list[str]) -> None:
    """An entry that lost a tag leaves that tag's pins."""
    keep = select(Tag.id).where(Tag.name.in_(tag_names))
    db.session.execute(delete(FaqPin).where(FaqPin.entry_id == entry.id, FaqPin.scope == "tag",
                                            FaqPin.scope_id.not_in(keep)))


def pins(scope: str, key) -> list[int]:
    """The entry ids pinned within a tag (by name) or a group (by slug), in order."""
    if scope == "tag":
        scope_id = db.session.scalar(select(Tag.id).where(Tag.name == key))
    elif scope == "group":
        scope_id = db.session.scalar(select(Group.id).where(Group.slug == key))
    else:
        return []
    if scope_id is None:
        return []
    return list(db.session.scalars(select(FaqPin.entry_id).where(
        FaqPin.scope == scope, FaqPin.scope_id == scope_id)
        .order_by(FaqPin.position, FaqPin.id)))


# -- reads ------------------------------------------------------------------------------


def _visible(viewer):
    """SQL condition on FaqEntry: in a group `viewer` may read."""
    if permissions.is_admin(viewer):
        return FaqEntry.id.is_not(None)
    return FaqEntry.group_id.not_in(permissions.hidden_group_ids(viewer))


def _listed(viewer):
    """SQL condition on FaqEntry: current (or due), readable by `viewer`."""
    return and_(FaqEntry.status == "current", _visible(viewer))


def _with_relations(stmt):
    return stmt.options(selectinload(FaqEntry.tags), joinedload(FaqEntry.group))


def list_entries(viewer, *, q=None, group=None, tag=None, lang=None, prefer_lang=None,
                 page=1, per_page=50, count=False) -> Page:
    """One page of the current (and due) entries `viewer` may read.

    `group` (a slug) and `tag` (a name) filter, and within them pinned entries come first in
    their order; `lang` filters by language; `prefer_lang` puts that language first; then
    the newest. `q`: every word must appear in the title or the text (case-insensitive).
    Three queries: the page, its tags, its groups (contributors: contributors()); with
    `count`, a count first (Page.total).
    """
    stmt = select(FaqEntry).where(_listed(viewer))
    order = []
    pin_scope = None
    if group:
        group_id = db.session.scalar(select(Group.id).where(Group.slug == str(group)))
        stmt = stmt.where(FaqEntry.group_id == (group_id or -1))
        pin_scope = ("group", group_id or -1)
    if tag:
        name = inputs.clean_tag_name(tag.lower() if isinstance(tag, str) else tag)
        tag_ids = select(FaqEntryTag.entry_id).join(Tag, Tag.id == FaqEntryTag.tag_id) \
            .where(Tag.name == (name or ""))
        stmt = stmt.where(FaqEntry.id.in_(tag_ids))
        if pin_scope is None:
            tag_id = select(Tag.id).where(Tag.name == (name or "")).scalar_subquery()
            pin_scope = ("tag", tag_id)
    if lang:
        stmt = stmt.where(FaqEntry.lang == (lang if lang in LANGUAGES else ""))
    if q and isinstance(q, str):
        for word in q.lower().split()[:10]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%") \
                .replace("_", "\\_") + "%"
            stmt = stmt.where(or_(func.lower(FaqEntry.title).like(pattern, escape="\\"),
                                  func.lower(FaqEntry.search_text).like(pattern, escape="\\")))
    if pin_scope is not None:
        position = select(FaqPin.position).where(
            FaqPin.scope == pin_scope[0], FaqPin.scope_id == pin_scope[1],
            FaqPin.entry_id == FaqEntry.id).correlate(FaqEntry).scalar_subquery()
        order += [case((position.is_(None), 1), else_=0), position]
    if prefer_lang in LANGUAGES:
        order.append(case((FaqEntry.lang == prefer_lang, 0), else_=1))
    order += [FaqEntry.promoted_at.desc(), FaqEntry.id.desc()]
    page = min(max(inputs.as_int(page) or 1, 1), MAX_PAGE)
    per_page = min(max(inputs.as_int(per_page) or 50, 1), PER_PAGE_MAX)
    return fetch_page(_with_relations(stmt.order_by(*order)), page=page, per_page=per_page,
                      count=count)


def contributors(entry_ids) -> dict[int, list[tuple[User, str]]]:
    """Entry id -> [(user, role)] (asker, answerer, then credited): one query."""
    ids = list(entry_ids)
    found: dict[int, list[tuple[User, str]]] = {ident: [] for ident in ids}
    if not ids:
        return found
    rank = case((FaqContributor.role == "asker", 0), (FaqContributor.role == "answerer", 1),
                else_=2)
    rows = db.session.execute(
        select(FaqContributor.entry_id, FaqContributor.role, User)
        .join(User, User.id == FaqContributor.user_id)
        .where(FaqContributor.entry_id.in_(ids), User.deleted_at.is_(None))
        .order_by(FaqContributor.entry_id, rank, User.id)).all()
    for entry_id, role, user in rows:
        found[entry_id].append((user, role))
    return found


def review_queue(actor) -> list[ReviewItem]:
    """The current entries `actor` curates that are due for review or whose source answer
    changed since it was last seen: due first, oldest review date first."""
    _require_user(actor)
    today = _today()
    stmt = select(FaqEntry).where(FaqEntry.status == "current", _visible(actor))
    if not permissions.is_moderator(actor):
        moderated = select(GroupMembership.group_id).where(
            GroupMembership.user_id == actor.id, GroupMembership.role == "moderator")
        if db.session.scalar(select(func.count()).select_from(moderated.subquery())) == 0:
            raise PermissionDenied(_("Only moderators review the FAQ."))
        stmt = stmt.where(FaqEntry.group_id.in_(moderated))
    changed = and_(FaqEntry.answer_id.is_not(None), Post.deleted_at.is_(None),
                   Post.body_source != FaqEntry.source_answer_seen)
    stmt = stmt.outerjoin(Post, Post.id == FaqEntry.answer_id).where(
        or_(FaqEntry.review_by < today, changed)).add_columns(changed.label("changed"))
    rows = db.session.execute(_with_relations(stmt).order_by(
        FaqEntry.review_by, FaqEntry.id).limit(500)).all()
    return [ReviewItem(entry=row[0], due=row[0].review_by < today,
                       source_changed=bool(row[1])) for row in rows]


def entries_for_question(viewer, question_id) -> list[FaqEntry]:
    """The entries (current, due or obsolete) promoted from a question `viewer` may read."""
    ident = inputs.as_id(question_id)
    if ident is None:
        return []
    return list(db.session.scalars(_with_relations(select(FaqEntry).where(
        FaqEntry.question_id == ident, FaqEntry.status.in_(LIVE), _visible(viewer))
        .order_by(FaqEntry.id))))


def entries_for_group(viewer, group_id, limit=10) -> list[FaqEntry]:
    """A group's current entries, pinned first, then the newest."""
    position = select(FaqPin.position).where(
        FaqPin.scope == "group", FaqPin.scope_id == FaqEntry.group_id,
        FaqPin.entry_id == FaqEntry.id).correlate(FaqEntry).scalar_subquery()
    return list(db.session.scalars(_with_relations(
        select(FaqEntry).where(FaqEntry.group_id == group_id, _listed(viewer))
        .order_by(case((position.is_(None), 1), else_=0), position,
                  FaqEntry.promoted_at.desc(), FaqEntry.id.desc())
        .limit(limit))))


def top_entries(viewer, limit=5) -> list[FaqEntry]:
    """The home page's entries: the most recently reviewed current ones `viewer` may read."""
    return list(db.session.scalars(_with_relations(
        select(FaqEntry).where(_listed(viewer))
        .order_by(FaqEntry.reviewed_at.desc(), FaqEntry.id.desc()).limit(limit))))


def revisions(viewer, entry_id) -> list[FaqRevision]:
    """An entry's revisions, newest first (as get_entry: curators see withdrawn ones)."""
    entry = get_entry(viewer, entry_id)
    return list(db.session.scalars(select(FaqRevision).options(joinedload(FaqRevision.editor))
                                   .where(FaqRevision.entry_id == entry.id)
                                   .order_by(FaqRevision.number.desc())))


# -- review invitations -----------------------------------------------------------------


def _invited_today(entry: FaqEntry, today: date) -> bool:
    """Due entries are invited on the day after their review-by date and every 30 days
    after (computed, so that nothing needs storing)."""
    days = (today - entry.review_by).days
    return days >= 1 and (days - 1) % INVITE_EVERY_DAYS == 0


def _experts(entry: FaqEntry, exclude: set[int]) -> list[int]:
    tag_ids = [t.id for t in entry.tags]
    if not tag_ids:
        return []
    stmt = (select(UserExpertise.user_id, func.count().label("matches"))
            .join(User, User.id == UserExpertise.user_id)
            .where(UserExpertise.tag_id.in_(tag_ids), User.deleted_at.is_(None))
            .group_by(UserExpertise.user_id)
            .order_by(func.count().desc(), UserExpertise.user_id))
    if exclude:
        stmt = stmt.where(UserExpertise.user_id.not_in(list(exclude)))
    if entry.group.private:
        stmt = stmt.where(or_(User.role == "admin", User.id.in_(
            select(GroupMembership.user_id).where(GroupMembership.group_id == entry.group_id))))
    return [row[0] for row in db.session.execute(stmt.limit(EXPERTS_INVITED))]


@transactional
def invite_reviews(now=None) -> int:
    """Invite the original answerer and up to three people with matching expertise to
    check each entry that falls due today (or 30, 60, ... days ago). Returns how many
    entries were invited."""
    now = now or utcnow()
    today = now.date() if isinstance(now, datetime) else now
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    entries = db.session.scalars(_with_relations(select(FaqEntry).where(
        FaqEntry.status == "current", FaqEntry.review_by < today)
        .order_by(FaqEntry.id))).all()
    invited = 0
    for entry in entries:
        if not _invited_today(entry, today):
            continue
        answerer = db.session.scalar(select(FaqContributor.user_id).where(
            FaqContributor.entry_id == entry.id, FaqContributor.role == "answerer"))
        people = [answerer] if answerer else []
        people += _experts(entry, set(people))
        # A second run on the same day invites nobody twice (invitations have no actor).
        already = set(db.session.scalars(select(Notification.user_id).where(
            Notification.kind == "faq", Notification.url == notifications.faq_link(entry.id),
            Notification.actor_id.is_(None), Notification.created_at >= start)))
        people = [user_id for user_id in people if user_id not in already]
        if people and notifications.notify_faq_review(entry, people):
            invited += 1
    return invited


def rerender_entries(*, batch: int = 200, force: bool = False) -> int:
    """Re-render the curated summary, question and answer of every entry older than
    MARKUP_VERSION (all with `force`), and their search documents; returns how many.
    One unit of work per batch, as maintenance.rerender_markup does for the other bodies.
    """
    changed = 0
    last_id = 0
    while True:
        stmt = select(FaqEntry).where(FaqEntry.id > last_id).order_by(FaqEntry.id).limit(batch)
        if not force:
            stmt = stmt.where(FaqEntry.markup_version < MARKUP_VERSION)
        with unit_of_work():
            rows = db.session.scalars(stmt).all()
            if not rows:
                return changed
            for entry in rows:
                _set_texts(entry)
                _reindex(entry)
                changed += 1
            last_id = rows[-1].id


# -- the entry object (API and JSON packets) ---------------------------------------------


def entry_object(entry: FaqEntry, contributors: list, *, viewer=None,
                 curator: bool = False) -> dict:
    """The faq entry object of docs/api.md (GET /api/v1/faq/{id}); `contributors`:
    [(user, role)] as contributors() gives them. Curators (`curator`) also get
    `source_changed` (one query) and `reviewed_by`."""
    source_url = None
    if entry.question_id is not None:
        source_url = question_url(entry.question_id) + (
            f"#post-{entry.answer_id}" if entry.answer_id else "")
    people = []
    for person, role in contributors:
        shown = author_json(person)
        if shown is not None:
            people.append({**shown, "role": role})
    data = {
        "id": entry.id,
        "title": entry.title,
        "question_html": entry.question_html,
        "answer_html": entry.answer_html,
        "summary_html": entry.summary_html,
        "source": {"question_id": entry.question_id, "answer_id": entry.answer_id,
                   "url": source_url},
        "contributors": people,
        "promoted_by": author_json(entry.promoted_by),
        "promoted_at": iso(entry.promoted_at),
        "reviewed_at": iso(entry.reviewed_at),
        "review_by": entry.review_by.isoformat(),
        "group": entry.group.slug,
        "tags": [tag.name for tag in entry.tags],
        "lang": entry.lang,
        "status": entry_status(entry),
        "replaced_by": entry.replaced_by_id,
        "note": entry.note,
        "translation": entry.translation_id,
        "url": notifications.faq_link(entry.id),
    }
    if curator:
        data["source_changed"] = source_change(entry) is not None
        data["reviewed_by"] = author_json(entry.reviewed_by)
    return data
