"""Threaded Q&A: ask, answer, reply, edit with history, soft delete, accept, tags.

Every write of questions and posts goes through these functions, whether it comes from a
page, the JSON API or the demo seed. Each validates, authorizes (forum.permissions), commits
once, and only then tells live readers (forum.realtime).
"""

from datetime import timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from forum import permissions, ratelimit
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    LANGUAGES,
    Group,
    Post,
    Question,
    QuestionTag,
    Revision,
    Tag,
    User,
    utcnow,
)
from forum.realtime import live
from forum.services import attachments as files
from forum.services import follows, inputs, notifications, premoderation, routing, search, trust
from forum.services.inputs import TAG_MAX_LEN, as_id, clean_tag_name
from forum.services.reputation import ACCEPTED_ANSWER, adjust_reputation
from forum.services.uow import after_commit, transactional

TITLE_MIN, TITLE_MAX = 10, 200
BODY_MAX = 50_000
TAGS_MIN, TAGS_MAX = 1, 5
TAG_DESCRIPTION_MAX = 500
DUPLICATE_WINDOW = timedelta(minutes=5)


# -- validation -------------------------------------------------------------------------


def clean_title(value, errors: dict) -> str:
    title = " ".join(inputs.text(value, "title", errors).split())
    if "title" in errors:
        return title
    if len(title) < TITLE_MIN:
        errors["title"] = _("Write a title of at least %(n)d characters.", n=TITLE_MIN)
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(n)d characters.", n=TITLE_MAX)
    return title


def clean_body(value, errors: dict) -> str:
    """Markdown of 1 to 50,000 characters (not only spaces)."""
    return inputs.clean_body(value, errors, max_len=BODY_MAX)


def clean_tags(value, errors: dict) -> list[str]:
    """1 to 5 distinct valid tag names, synonyms replaced by their tags
    (search.canonical_tag_names); a string is split on commas and spaces."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list):
        errors["tags"] = _("Give a list of tags.")
        return []
    names: list[str] = []
    for raw in value:
        name = clean_tag_name(raw.lower() if isinstance(raw, str) else raw)
        if name is None:
            errors["tags"] = _(
                "Tags use lower-case letters (accents allowed), digits and hyphens, "
                "at most %(n)d characters.", n=TAG_MAX_LEN)
            return []
        if name not in names:
            names.append(name)
    names = search.canonical_tag_names(names)  # moderators' synonyms: counseling -> counselling
    if len(names) < TAGS_MIN:
        errors["tags"] = _("Add at least one tag.")
    elif len(names) > TAGS_MAX:
        errors["tags"] = _("Use at most %(n)d tags.", n=TAGS_MAX)
    return names


def clean_lang(value, author: User, errors: dict) -> str:
    """English or French; by default the writer's interface language."""
    if value in (None, ""):
        if author.locale in LANGUAGES:
            return author.locale
        try:
            current = str(get_locale())
        except Exception:
            current = "en"
        return current if current in LANGUAGES else "en"
    if value not in LANGUAGES:
        errors["lang"] = _("Choose English (en) or French (fr).")
        return "en"
    return value


def _check_posting(author: User, body: str, *, system: bool) -> None:
    """Posting rate limit and the duplicate check; both skipped for system work."""
    if system:
        return
    check_duplicate(author, body)
    count_post(author)


def check_duplicate(author: User, body: str) -> None:
    """Raise Conflict when `author` posted this same text in the last few minutes (asking,
    answering, replying, and chat made into a question all check this)."""
    stripped = body.strip()
    since = utcnow() - DUPLICATE_WINDOW
    recent = db.session.scalars(
        select(Question.body_source).where(Question.author_id == author.id,
                                           Question.created_at >= since)
        .union_all(select(Post.body_source).where(Post.author_id == author.id,
                                                  Post.created_at >= since))
    ).all()
    if any(text.strip() == stripped for text in recent):
        raise Conflict(_("You posted this same text a moment ago."),
                       fields={"body": _("Duplicate of your recent post.")})


def count_post(user: User) -> None:
    """Count one post against `user`'s posting rate limit; raises RateLimited when over."""
    ratelimit.hit("LIMIT_POST_PER_USER", "post", str(user.id))


def check_unlocked(user, question: Question) -> None:
    """Raise Conflict when the thread is locked and `user` does not moderate its group."""
    if question.locked_at is not None and not permissions.moderates_question(user, question):
        raise Conflict(_("This thread is locked."))


def _check_editing(editor: User, *, system: bool) -> None:
    """Editing rate limit (each edit renders Markdown again); skipped for system work."""
    if not system:
        ratelimit.hit("LIMIT_EDIT_PER_USER", "edit", str(editor.id))


# -- loading ----------------------------------------------------------------------------


def get_question(user, question_id) -> Question:
    """A question `user` may read; NotFound otherwise (private groups included)."""
    ident = as_id(question_id)
    question = db.session.get(Question, ident) if ident else None
    if question is None or not permissions.can_view_question(user, question):
        raise NotFound(_("No such question."))
    return question


def get_post(user, post_id) -> Post:
    """A post `user` may read (its question visible); NotFound otherwise."""
    ident = as_id(post_id)
    post = db.session.get(Post, ident) if ident else None
    if post is None or not permissions.can_view_question(user, post.question):
        raise NotFound(_("No such post."))
    if post.is_deleted and not permissions.is_moderator(user):
        raise NotFound(_("No such post."))
    if post.hidden_at is not None and not permissions.is_author(user, post) \
            and not permissions.moderates_question(user, post.question):
        raise NotFound(_("No such post."))
    return post


def tags_for(names: list[str]) -> list[Tag]:
    """The tags of these (clean) names, created when new; shared by questions and the FAQ."""
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name, description="", question_count=0)
            db.session.add(tag)
        tags.append(tag)
    db.session.flush()
    return tags


def _bump_tag_counts(tag_ids, delta: int) -> None:
    if tag_ids:
        db.session.execute(update(Tag).where(Tag.id.in_(list(tag_ids)))
                           .values(question_count=Tag.question_count + delta))


def _revision(*, question: Question | None = None, post: Post | None = None, editor: User,
              body: str, title: str | None = None, tags: list[str] | None = None) -> None:
    target = Revision.question_id == question.id if question else Revision.post_id == post.id
    last = db.session.scalar(select(Revision.number).where(target)
                             .order_by(Revision.number.desc()).limit(1)) or 0
    db.session.add(Revision(question_id=question.id if question else None,
                            post_id=post.id if post else None, number=last + 1,
                            editor_id=editor.id if editor else None, title=title,
                            tags=tags, body_source=body))


# -- writes -----------------------------------------------------------------------------


@transactional
def ask_question(author: User, *, title, body, group, tags, lang=None, invite=None,
                 attachments=None, system: bool = False) -> Question:
    """Ask a question in a group, and route it: its best answerers are suggested
    (routing.suggest) and the people `invite` names (usernames) are asked at once.
    `attachments`: ids of the author's pending uploads (those the body links to are
    attached too). Raises InvalidInput (naming fields; `invite` for someone who cannot be
    asked; `attachments`), PermissionDenied, Conflict (duplicate) or RateLimited."""
    inputs.require_active(author)
    errors: dict = {}
    title = clean_title(title, errors)
    body = clean_body(body, errors)
    names = clean_tags(tags, errors)
    lang = clean_lang(lang, author, errors)
    group_obj = None
    if not isinstance(group, str) or not group:
        errors["group"] = _("Choose a group.")
    else:
        group_obj = db.session.scalar(select(Group).where(Group.slug == group))
        if group_obj is None or not permissions.can_view_group(author, group_obj):
            errors["group"] = _("No such group.")
        elif not permissions.can_post_in(author, group_obj):
            errors["group"] = _("You cannot post in this group.")
    invited = routing.check_invite(author, None if "group" in errors else group_obj, invite,
                                   errors)
    if errors:
        raise InvalidInput(fields=errors)
    if not system:
        trust.check_new_member_post(author, body, kind="question")
    _check_posting(author, body, system=system)
    mentions = notifications.find_mentions(body)
    rendered = render_markdown(body, mentions=mentions.links)
    now = utcnow()
    question = Question(group_id=group_obj.id, author_id=author.id, title=title,
                        body_source=body, body_html=rendered.html, body_text=rendered.text,
                        markup_version=rendered.version, lang=lang, created_at=now,
                        updated_at=now, last_activity_at=now)
    question.tags = tags_for(names)
    held = not system and premoderation.must_hold(author, group_obj)
    if held:  # counted, announced and notified when a moderator approves it
        premoderation.hold(question)
    db.session.add(question)
    db.session.flush()
    files.attach(author, attachments, body=body, question=question)
    if not held:
        _bump_tag_counts([t.id for t in question.tags], +1)
        db.session.execute(update(Group).where(Group.id == group_obj.id)
                           .values(question_count=Group.question_count + 1))
    _revision(question=question, editor=author, body=body, title=title, tags=names)
    search.index_question(question.id)
    follows.follow_by_default(author.id, "question", question.id)  # askers follow, by default
    if held:
        notifications.notify_held(author, group_obj, question, None)
    else:
        notifications.notify_question(author, question, mentions.linked_ids(rendered.mentions))
    routing.suggest(question)
    routing.ask_invited(author, question, invited, notify=not held)
    return question


@transactional
def post_answer(author: User, question_id, body, *, lang=None, attachments=None,
                system: bool = False) -> Post:
    """Answer a question (`attachments`: ids of the author's pending uploads). Raises
    NotFound, InvalidInput, PermissionDenied, Conflict, RateLimited."""
    inputs.require_active(author)
    question = get_question(author, question_id)
    return _create_post(author, question, None, body, lang=lang, attachments=attachments,
                        system=system)


@transactional
def post_reply(author: User, parent_id, body, *, lang=None, attachments=None,
               system: bool = False) -> Post:
    """Reply to an answer or to a reply (`attachments`: ids of the author's pending
    uploads). Replying to a deleted or missing post: NotFound."""
    inputs.require_active(author)
    try:
        parent = get_post(author, parent_id)
    except NotFound:
        raise NotFound(_("The post you reply to does not exist or was deleted."),
                       fields={"parent_id": _("No such post.")}) from None
    if parent.is_deleted:
        raise NotFound(_("The post you reply to does not exist or was deleted."),
                       fields={"parent_id": _("No such post.")})
    question = get_question(author, parent.question_id)
    return _create_post(author, question, parent, body, lang=lang, attachments=attachments,
                        system=system)


def _create_post(author: User, question: Question, parent: Post | None, body, *, lang,
                 attachments=None, system: bool) -> Post:
    if question.is_deleted:
        raise NotFound(_("No such question."))
    if question.closed_at is not None:
        raise Conflict(_("This question is closed."))
    if not permissions.can_post_in(author, question.group):
        raise NotFound(_("No such question."))
    check_unlocked(author, question)
    premoderation.check_not_held(question, parent)
    errors: dict = {}
    body = clean_body(body, errors)
    lang = clean_lang(lang, author, errors)
    if errors:
        raise InvalidInput(fields=errors)
    if not system:
        trust.check_new_member_post(author, body, kind="reply" if parent else "answer")
    _check_posting(author, body, system=system)
    mentions = notifications.find_mentions(body)
    rendered = render_markdown(body, mentions=mentions.links)
    now = utcnow()
    post = Post(question_id=question.id, parent_id=parent.id if parent else None,
                author_id=author.id, depth=(parent.depth + 1) if parent else 0,
                body_source=body, body_html=rendered.html, body_text=rendered.text,
                markup_version=rendered.version, lang=lang, created_at=now)
    held = not system and premoderation.must_hold(author, question.group)
    if held:  # counted, announced and notified when a moderator approves it
        premoderation.hold(post)
    db.session.add(post)
    db.session.flush()
    files.attach(author, attachments, body=body, post=post)
    if not held:
        values = {"last_activity_at": now}
        if parent is None:
            values["answer_count"] = Question.answer_count + 1
        db.session.execute(update(Question).where(Question.id == question.id)
                           .values(**values))
    _revision(post=post, editor=author, body=body)
    if parent is None:
        if not held:
            search.index_question(question.id)
        follows.follow_by_default(author.id, "question", question.id)  # so do answerers
    if held:
        notifications.notify_held(author, question.group, question, post)
    else:
        notifications.notify_post(author, post, question, parent,
                                  mentions.linked_ids(rendered.mentions))
        after_commit(live.post_created, post)
    return post


@transactional
def edit_question(editor: User, question_id, *, title=None, body=None, tags=None,
                  attachments=None, system: bool = False) -> Question:
    """Edit title, body or tags; authors and moderators. Every version is kept.

    Raises NotFound, PermissionDenied, InvalidInput or RateLimited (LIMIT_EDIT_PER_USER,
    skipped for system work; an edit that changes nothing does not count).
    """
    inputs.require_active(editor)
    question = get_question(editor, question_id)
    if not permissions.can_edit(editor, question):
        raise PermissionDenied(_("You can only edit your own posts."))
    check_unlocked(editor, question)
    errors: dict = {}
    new_title = clean_title(title, errors) if title is not None else question.title
    new_body = clean_body(body, errors) if body is not None else question.body_source
    names = clean_tags(tags, errors) if tags is not None else [t.name for t in question.tags]
    if errors:
        raise InvalidInput(fields=errors)
    old_names = [t.name for t in question.tags]
    # The editor's new uploads join the question's files (pending ones the body links to).
    added = files.attach(editor, attachments,
                         body=new_body if new_body != question.body_source else "",
                         question=question)
    if (new_title, new_body, names) == (question.title, question.body_source, old_names):
        if added:
            search.index_question(question.id)
            after_commit(live.question_updated, question)
        return question
    if not system and new_body != question.body_source:
        trust.check_links(editor, new_body)
    _check_editing(editor, system=system)
    now = utcnow()
    mentioned: set[int] = set()
    if new_body != question.body_source:
        mentions = notifications.find_mentions(new_body)
        rendered = render_markdown(new_body, mentions=mentions.links)
        mentioned = notifications.added_mentions(mentions, rendered.mentions,
                                                 question.body_source)
        question.body_source, question.body_html = new_body, rendered.html
        question.body_text, question.markup_version = rendered.text, rendered.version
    question.title = new_title
    if names != old_names:
        old_ids = {t.id for t in question.tags}
        question.tags = tags_for(names)
        new_ids = {t.id for t in question.tags}
        _bump_tag_counts(old_ids - new_ids, -1)
        _bump_tag_counts(new_ids - old_ids, +1)
    question.edited_at = question.updated_at = question.last_activity_at = now
    _revision(question=question, editor=editor, body=new_body, title=new_title, tags=names)
    search.index_question(question.id)
    notifications.notify_mentions(editor, question, None, mentioned)
    after_commit(live.question_updated, question)
    return question


@transactional
def edit_post(editor: User, post_id, body, *, attachments=None, system: bool = False) -> Post:
    """Edit an answer or reply; authors and moderators. The old text stays in the history.

    Raises NotFound, PermissionDenied, InvalidInput or RateLimited (LIMIT_EDIT_PER_USER,
    skipped for system work; an edit that changes nothing does not count).
    """
    inputs.require_active(editor)
    post = get_post(editor, post_id)
    if not permissions.can_edit(editor, post):
        raise PermissionDenied(_("You can only edit your own posts."))
    check_unlocked(editor, post.question)
    errors: dict = {}
    body = clean_body(body, errors)
    if errors:
        raise InvalidInput(fields=errors)
    added = files.attach(editor, attachments, body=body if body != post.body_source else "",
                         post=post)
    if body == post.body_source:
        if added:
            if post.is_answer:
                search.index_question(post.question_id)
            after_commit(live.post_updated, post)
        return post
    if not system:
        trust.check_links(editor, body)
    _check_editing(editor, system=system)
    mentions = notifications.find_mentions(body)
    rendered = render_markdown(body, mentions=mentions.links)
    mentioned = notifications.added_mentions(mentions, rendered.mentions, post.body_source)
    now = utcnow()
    post.body_source, post.body_html = body, rendered.html
    post.body_text, post.markup_version = rendered.text, rendered.version
    post.edited_at = now
    db.session.execute(update(Question).where(Question.id == post.question_id)
                       .values(last_activity_at=now))
    _revision(post=post, editor=editor, body=body)
    if post.is_answer:
        search.index_question(post.question_id)
    notifications.notify_mentions(editor, post.question, post, mentioned)
    after_commit(live.post_updated, post)
    return post


@transactional
def delete_question(actor: User, question_id) -> None:
    """Soft-delete a question; authors and moderators."""
    inputs.require_active(actor)
    question = get_question(actor, question_id)
    if not permissions.can_delete(actor, question):
        raise PermissionDenied(_("You can only delete your own posts."))
    question.deleted_at = utcnow()
    _bump_tag_counts([t.id for t in question.tags], -1)
    db.session.execute(update(Group).where(Group.id == question.group_id)
                       .values(question_count=Group.question_count - 1))
    search.remove_question(question.id)
    after_commit(live.question_updated, question)


@transactional
def delete_post(actor: User, post_id) -> None:
    """Soft-delete an answer or reply; authors and moderators. Replies keep their context."""
    inputs.require_active(actor)
    post = get_post(actor, post_id)
    if not permissions.can_delete(actor, post):
        raise PermissionDenied(_("You can only delete your own posts."))
    post.deleted_at = utcnow()
    question = post.question
    if post.is_answer:
        db.session.execute(update(Question).where(Question.id == question.id)
                           .values(answer_count=Question.answer_count - 1))
        if question.accepted_answer_id == post.id:
            question.accepted_answer_id = None
            _accept_reputation(question, post, -1)
        search.index_question(question.id)
    after_commit(live.post_updated, post)
    if post.is_answer:  # its answer count changed (the question is reloaded by then)
        after_commit(live.question_updated, question)


def _accept_reputation(question: Question, answer: Post, sign: int) -> None:
    # Accepting your own answer earns nothing; in a private group, private points.
    if answer.author_id and answer.author_id != question.author_id:
        adjust_reputation(answer.author_id, sign * ACCEPTED_ANSWER,
                          private=question.group.private)


@transactional
def accept_answer(actor: User, question_id, answer_id) -> Question:
    """Mark an answer as accepted (replacing any earlier one); the asker or a moderator.

    Raises NotFound, PermissionDenied, or InvalidInput when the answer is not an answer of
    this question.
    """
    inputs.require_active(actor)
    question = get_question(actor, question_id)
    if not permissions.can_accept(actor, question):
        raise PermissionDenied(_("Only the asker or a moderator can accept an answer."))
    check_unlocked(actor, question)
    ident = as_id(answer_id)
    answer = db.session.get(Post, ident) if ident else None
    if (answer is None or answer.question_id != question.id or not answer.is_answer
            or answer.is_deleted):
        raise InvalidInput(fields={"answer_id": _("Choose an answer of this question.")})
    if question.accepted_answer_id == answer.id:
        return question
    if question.accepted_answer_id is not None:
        previous = db.session.get(Post, question.accepted_answer_id)
        if previous is not None:
            _accept_reputation(question, previous, -1)
    question.accepted_answer_id = answer.id
    question.updated_at = utcnow()
    _accept_reputation(question, answer, +1)
    search.index_question(question.id)
    notifications.notify_accepted(actor, question, answer)
    after_commit(live.question_updated, question)
    return question


@transactional
def unaccept_answer(actor: User, question_id) -> Question:
    """Withdraw the accepted answer; the asker or a moderator."""
    inputs.require_active(actor)
    question = get_question(actor, question_id)
    if not permissions.can_accept(actor, question):
        raise PermissionDenied(_("Only the asker or a moderator can accept an answer."))
    check_unlocked(actor, question)
    if question.accepted_answer_id is None:
        return question
    previous = db.session.get(Post, question.accepted_answer_id)
    question.accepted_answer_id = None
    question.updated_at = utcnow()
    if previous is not None:
        _accept_reputation(question, previous, -1)
    search.index_question(question.id)
    after_commit(live.question_updated, question)
    return question


def tag_counts_query(user):
    """A select() of (Tag, count of the questions `user` may see with it), most used first.

    Counted from the visible questions rather than Tag.question_count (which counts every
    group's), so a tag used only in a private group is not shown to outsiders, and a tag no
    visible question uses is not listed at all.
    """
    visible = select(Question.id).where(permissions.visible_question_clause(user))
    used = func.count(QuestionTag.question_id).label("used")
    return (select(Tag, used).join(QuestionTag, QuestionTag.tag_id == Tag.id)
            .where(QuestionTag.question_id.in_(visible))
            .group_by(Tag.id).order_by(used.desc(), Tag.name))


def visible_tag(user, name) -> tuple[Tag, int]:
    """The tag `name` and how many of the questions `user` may see carry it.

    Raises NotFound when none does: a tag used only in private groups the user is not in
    does not exist for them (moderators included), on the tag page, in the API and when
    describing it.
    """
    tag_name = clean_tag_name(name)
    row = db.session.execute(tag_counts_query(user).where(Tag.name == tag_name)).first() \
        if tag_name else None
    if row is None:
        raise NotFound(_("No such tag."))
    return row[0], row[1]


@transactional
def set_tag_description(actor: User, name, description) -> Tag:
    """Set a tag's short description; moderators only, and only of a tag they can see.
    Raises PermissionDenied, NotFound or InvalidInput."""
    if not permissions.can_edit_tags(actor):
        raise PermissionDenied(_("Only moderators can describe tags."))
    tag, _count = visible_tag(actor, name)
    errors: dict = {}
    description = " ".join(inputs.text(description, "description", errors).split())
    if len(description) > TAG_DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(n)d characters.", n=TAG_DESCRIPTION_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    tag.description = description
    return tag


def revisions_of(user, *, question_id=None, post_id=None) -> tuple[object, list[Revision]]:
    """The item and its revisions, oldest first, if `user` may read it."""
    if question_id is not None:
        item = get_question(user, question_id)
        where = Revision.question_id == item.id
    else:
        item = get_post(user, post_id)
        where = Revision.post_id == item.id
    revisions = db.session.scalars(select(Revision).where(where)
                                   .options(joinedload(Revision.editor))
                                   .order_by(Revision.number)).all()
    return item, revisions
