"""Notifications in the app: who hears about a write, in their language, and live.

Services call the `notify_*` helpers after the write they describe, inside the same unit of
work: the rows are added with it (and rolled back with it), and the live push to each
recipient's /live sockets leaves only after the commit (`after_commit`).

Every event costs a fixed number of statements however many people follow the thing: one
SELECT of the recipients (access, mutes and the actor filtered in SQL), one INSERT of all
their rows, one SELECT of their unread counts. The rules, for every kind:

- nobody hears about their own action, nor about something they cannot read (a private
  group they are not in, a deleted question, a chat room they cannot enter);
- nobody hears from a thing they muted (the question, the group, a tag, the person acting);
  followers at "digest" level hear nothing here (the digest carries it);
- at most one notification per recipient per event, the most personal kind winning
  (reply, then mention, then answer or new question).

`text` is written once, in the recipient's language, short; `url` leads to the item.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, insert, or_, select, true, update

from forum.errors import NotFound
from forum.extensions import db
from forum.markup import mentioned_names
from forum.models import (
    LANGUAGES,
    ChatMessage,
    ChatRoom,
    Follow,
    Group,
    GroupMembership,
    Notification,
    Post,
    Question,
    User,
    utcnow,
)
from forum.realtime import live
from forum.schemas import iso
from forum.services import mailing
from forum.services.follows import followers_of
from forum.services.inputs import as_id, require_user
from forum.services.uow import after_commit, transactional

TITLE_SHOWN = 80  # characters of a title in a notification's text
REMIND_AFTER = timedelta(days=7)
COUNT_CHUNK = 5000
# When one event reaches someone for several reasons, the first kind listed wins.
PRIORITY = ("accepted", "reply", "mention", "answer", "new_question", "accept_reminder")


# -- links ------------------------------------------------------------------------------


def user_url(username: str) -> str:
    """Where an @mention links: the person's profile page."""
    return f"/u/{username}"


def question_link(question_id: int, post_id: int | None = None) -> str:
    """The question page, at the post's anchor when there is one."""
    return f"/questions/{int(question_id)}" + (f"#post-{int(post_id)}" if post_id else "")


def group_link(slug: str) -> str:
    return f"/groups/{slug}"


def chat_link(room_id: int, message_id: int) -> str:
    """The chat room page, at the message's anchor."""
    return f"/chat/rooms/{int(room_id)}#m-{int(message_id)}"


# -- mentions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mentions:
    """The people a text names with `@username` who exist: lower-cased name -> id, and the
    links render_markdown() puts on them."""

    ids: dict[str, int]
    links: dict[str, str]

    def linked_ids(self, names: Iterable[str]) -> set[int]:
        """The ids of the names that were linked (not those inside code)."""
        return {self.ids[name] for name in names if name in self.ids}


NO_MENTIONS = Mentions({}, {})


def find_mentions(source) -> Mentions:
    """Look up the `@names` of a Markdown source: no query when it names nobody, else one
    (at most markup.MAX_MENTIONS names). Deleted accounts are not linked."""
    return mentions_of_names(mentioned_names(source))


def mentions_of_names(names: Iterable[str]) -> Mentions:
    """Mentions of lower-cased usernames: one query (none for no names)."""
    names = list(names)
    if not names:
        return NO_MENTIONS
    rows = db.session.execute(
        select(User.id, User.username_key, User.username)
        .where(User.username_key.in_(names), User.deleted_at.is_(None))).all()
    return Mentions({row.username_key: row.id for row in rows},
                    {row.username_key: user_url(row.username) for row in rows})


# -- the fan-out ------------------------------------------------------------------------


def _locale_now() -> str:
    """The language force_locale() set (group names have a French form)."""
    return str(get_locale())


def _short(title: str) -> str:
    title = " ".join((title or "").split())
    return title if len(title) <= TITLE_SHOWN else title[:TITLE_SHOWN - 1].rstrip() + "…"


def _locale(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


def _muted(targets: list[tuple[str, int]]):
    """SQL condition on User: has muted none of `targets`."""
    if not targets:
        return true()
    return User.id.not_in(select(Follow.user_id).where(
        Follow.level == "muted",
        or_(*(and_(Follow.target_type == kind, Follow.target_id == int(ident))
              for kind, ident in targets))))


def _may_read_group(group: Group):
    """SQL condition on User: may read the questions of `group` (as can_view_group)."""
    if not group.private:
        return true()
    return or_(User.role == "admin", User.id.in_(
        select(GroupMembership.user_id).where(GroupMembership.group_id == group.id)))


def _may_enter_room(room: ChatRoom):
    """SQL condition on User: may enter the chat room (as chat.can_enter: site roles add
    nothing)."""
    if room.is_group:
        return User.id.in_(select(GroupMembership.user_id)
                           .where(GroupMembership.group_id == room.group_id))
    ids = room.direct_user_ids()
    return User.id.in_(list(ids)) if ids else false()


def _deliver(*, actor: User | None, personal: dict[int, str], followers=None,
             follower_kind: str | None = None, audience, mutes: list[tuple[str, int]],
             texts, url: str, question_id=None, post_id=None, chat_message_id=None,
             group_id=None) -> int:
    """Write one notification per recipient of one event and queue their live push.

    `personal`: user id -> kind (a reply to them, a mention); `followers`: select()s of user
    ids who hear of it as `follower_kind`. Only live accounts in `audience` (an SQL condition
    on User), other than the actor, who muted none of `mutes`, are written to. `texts(kind)`
    gives the text, called once per kind and language. Returns how many were written.
    """
    candidates = []
    if personal:
        candidates.append(User.id.in_(list(personal)))
    candidates.extend(User.id.in_(select_ids) for select_ids in followers or ())
    if not candidates:
        return 0
    mutes = [*mutes, ("user", actor.id)] if actor is not None else mutes
    stmt = select(User.id, User.locale).where(
        or_(*candidates), User.deleted_at.is_(None), audience, _muted(mutes))
    if actor is not None:
        stmt = stmt.where(User.id != actor.id)
    recipients = db.session.execute(stmt).all()
    if not recipients:
        return 0
    now = utcnow()
    written: dict[tuple[str, str], str] = {}
    rows = []
    for user_id, locale in recipients:
        kind = personal.get(user_id, follower_kind)
        key = (_locale(locale), kind)
        if key not in written:
            with force_locale(key[0]):
                written[key] = texts(kind)[:300]
        rows.append({"user_id": user_id, "kind": kind, "actor_id": actor.id if actor else None,
                     "question_id": question_id, "post_id": post_id,
                     "chat_message_id": chat_message_id, "group_id": group_id,
                     "text": written[key], "url": url, "created_at": now})
    after_commit(live.notifications_sent, _inserted(rows))
    return len(rows)


def _inserted(rows: list[dict]) -> list[tuple[int, dict, int]]:
    """Insert the rows of one event (one per recipient) in one statement; returns what to
    push live: (user id, notification payload, unread count), the counts in one query."""
    # One statement for every row: RETURNING without sort_by_parameter_order, which SQLite
    # would answer one INSERT per row; each recipient has one row, so user_id finds it.
    ids = dict((user_id, ident) for ident, user_id in db.session.execute(
        insert(Notification).returning(Notification.id, Notification.user_id), rows))
    # Those whose kind their recipient set to go at once by mail: queued for the commit.
    mailing.mail_immediately(ids.values())
    counts = _unread_counts(ids)
    return [(row["user_id"], {"id": ids[row["user_id"]], "kind": row["kind"],
                              "text": row["text"], "url": row["url"],
                              "created_at": iso(row["created_at"])},
             counts.get(row["user_id"], 1)) for row in rows]


def _strongest(*pairs: tuple[Iterable[int], str]) -> dict[int, str]:
    """User id -> kind, the kind earliest in PRIORITY winning."""
    found: dict[int, str] = {}
    for ids, kind in pairs:
        for user_id in ids:
            if user_id is None:
                continue
            old = found.get(user_id)
            if old is None or PRIORITY.index(kind) < PRIORITY.index(old):
                found[user_id] = kind
    return found


# -- events -----------------------------------------------------------------------------


def notify_question(author: User, question: Question, mentioned: set[int]) -> int:
    """A new question: the followers of its group, of its tags and of its author hear of it
    (new_question), the people it mentions too (mention). Call after the question's flush."""
    group = question.group
    tag_ids = [tag.id for tag in question.tags]
    # At most 2 + 5 index ranges in one statement, whatever the number of followers.
    followers = [followers_of("group", group.id), followers_of("user", author.id),
                 *(followers_of("tag", tag_id) for tag_id in tag_ids)]
    title = _short(question.title)
    name = author.name

    def texts(kind):
        if kind == "mention":
            return _("%(name)s mentioned you: %(title)s", name=name, title=title)
        return _("%(name)s asked in %(group)s: %(title)s", name=name,
                 group=group.name_in(_locale_now()), title=title)

    return _deliver(actor=author, personal=_strongest((mentioned, "mention")),
                    followers=followers, follower_kind="new_question",
                    audience=_may_read_group(group),
                    mutes=[("group", group.id), *(("tag", t) for t in tag_ids)],
                    texts=texts, url=question_link(question.id), question_id=question.id,
                    group_id=group.id)


def notify_post(author: User, post: Post, question: Question, parent: Post | None,
                mentioned: set[int]) -> int:
    """A new answer (its question's followers hear: answer) or reply (the parent's author
    hears: reply); the people it mentions hear too (mention). Call after the post's flush."""
    if question.is_deleted:  # nobody hears about what only moderators still read
        return 0
    personal = _strongest(([parent.author_id] if parent is not None else [], "reply"),
                          (mentioned, "mention"))
    followers = None
    if parent is None:
        # Askers follow their questions by default (a follow row since issue 11); one
        # asked before, with no row, still hears of its answers.
        asker_default = select(User.id).where(
            User.id == question.author_id,
            ~exists().where(Follow.user_id == User.id, Follow.target_type == "question",
                            Follow.target_id == question.id))
        followers = [followers_of("question", question.id), asker_default]
    title = _short(question.title)
    name = author.name

    def texts(kind):
        if kind == "reply":
            return _("%(name)s replied to you: %(title)s", name=name, title=title)
        if kind == "mention":
            return _("%(name)s mentioned you: %(title)s", name=name, title=title)
        return _("%(name)s answered: %(title)s", name=name, title=title)

    return _deliver(actor=author, personal=personal, followers=followers,
                    follower_kind="answer", audience=_may_read_group(question.group),
                    mutes=[("question", question.id)], texts=texts,
                    url=question_link(question.id, post.id), question_id=question.id,
                    post_id=post.id, group_id=question.group_id)


def added_mentions(mentions: Mentions, linked: Iterable[str], old_source) -> set[int]:
    """The people an edit mentions that its previous text did not: they hear of it."""
    before = set(mentioned_names(old_source))
    return mentions.linked_ids(name for name in linked if name not in before)


def notify_mentions(author: User, question: Question, post: Post | None,
                    mentioned: set[int]) -> int:
    """An edited question or post that names new people: they hear (mention); nobody else
    does (no query when it names nobody new)."""
    if not mentioned or question.is_deleted or (post is not None and post.is_deleted):
        return 0
    title = _short(question.title)
    name = author.name

    def texts(kind):
        return _("%(name)s mentioned you: %(title)s", name=name, title=title)

    return _deliver(actor=author, personal=_strongest((mentioned, "mention")),
                    audience=_may_read_group(question.group),
                    mutes=[("question", question.id)], texts=texts,
                    url=question_link(question.id, post.id if post else None),
                    question_id=question.id, post_id=post.id if post else None,
                    group_id=question.group_id)


def notify_join_request(asker: User, group: Group) -> int:
    """Someone asked to join a private group: its moderators hear (join_request)."""
    moderators = select(GroupMembership.user_id).where(GroupMembership.group_id == group.id,
                                                       GroupMembership.role == "moderator")
    name = asker.name

    def texts(kind):
        return _("%(name)s asks to join %(group)s", name=name,
                 group=group.name_in(_locale_now()))

    return _deliver(actor=asker, personal={}, followers=[moderators],
                    follower_kind="join_request", audience=true(),
                    mutes=[("group", group.id)], texts=texts, url=group_link(group.slug),
                    group_id=group.id)


def notify_held(author: User, group: Group, question: Question, post: Post | None) -> int:
    """A first post waits for approval in a pre-moderated group: the group's moderators
    hear (held); a group without moderators has its site moderators and admins hear."""
    moderators = select(GroupMembership.user_id).where(GroupMembership.group_id == group.id,
                                                       GroupMembership.role == "moderator")
    if not db.session.scalar(select(exists(moderators))):
        moderators = select(User.id).where(User.role.in_(("moderator", "admin")))
    name = author.name
    title = _short(question.title)

    def texts(kind):
        if post is None:
            return _("%(name)s's question waits for your approval: %(title)s", name=name,
                     title=title)
        return _("%(name)s's answer waits for your approval: %(title)s", name=name,
                 title=title)

    return _deliver(actor=author, personal={}, followers=[moderators], follower_kind="held",
                    audience=true(), mutes=[], texts=texts,
                    url=f"/moderation/flags?group={quote(group.slug)}#held",
                    question_id=question.id, post_id=post.id if post is not None else None,
                    group_id=group.id)


def notify_join_decision(actor: User, group: Group, asker: User, approved: bool) -> int:
    """A join request was decided: the asker hears (join_decision)."""
    def texts(kind):
        name = group.name_in(_locale_now())
        if approved:
            return _("You are now a member of %(group)s", group=name)
        return _("Your request to join %(group)s was declined", group=name)

    return _deliver(actor=actor, personal={asker.id: "join_decision"}, audience=true(),
                    mutes=[], texts=texts,
                    url=group_link(group.slug) if approved else "/groups", group_id=group.id)


def notify_accepted(actor: User, question: Question, answer: Post) -> int:
    """An accepted answer: its author hears (accepted), unless they accepted it themself."""
    if question.is_deleted:
        return 0
    title = _short(question.title)

    def texts(kind):
        return _("Your answer was accepted: %(title)s", title=title)

    return _deliver(actor=actor, personal={answer.author_id: "accepted"}
                    if answer.author_id else {},
                    audience=_may_read_group(question.group),
                    mutes=[("question", question.id)], texts=texts,
                    url=question_link(question.id, answer.id), question_id=question.id,
                    post_id=answer.id, group_id=question.group_id)


def notify_routed(actor: User, question: Question, user_ids: Iterable[int]) -> int:
    """People asked to answer a question (routed): they hear of it, if they may read it."""
    if question.is_deleted:
        return 0
    title = _short(question.title)
    name = actor.name

    def texts(kind):
        return _("%(name)s asks for your help: %(title)s", name=name, title=title)

    return _deliver(actor=actor, personal={user_id: "routed" for user_id in user_ids},
                    audience=_may_read_group(question.group),
                    mutes=[("question", question.id)], texts=texts,
                    url=question_link(question.id), question_id=question.id,
                    group_id=question.group_id)


def notify_chat_mentions(author: User, message: ChatMessage, room: ChatRoom,
                         mentioned: set[int]) -> int:
    """A chat message naming people: those who may enter its room hear (mention)."""
    if not mentioned:
        return 0
    name = author.name
    group = room.group if room.is_group else None

    def texts(kind):
        if group is None:
            return _("%(name)s mentioned you in a direct message", name=name)
        return _("%(name)s mentioned you in the chat of %(group)s", name=name,
                 group=group.name_in(_locale_now()))

    return _deliver(actor=author, personal=_strongest((mentioned, "mention")),
                    audience=_may_enter_room(room), mutes=[], texts=texts,
                    url=chat_link(room.id, message.id), chat_message_id=message.id,
                    group_id=room.group_id)


# -- the accept reminder ----------------------------------------------------------------


@transactional
def remind_to_accept(*, now=None, limit: int = 1000) -> int:
    """Remind the askers of questions at least a week old, with answers but none accepted,
    to accept the one that helped: once per question, and only askers who may still read
    it and did not mute it. Returns how many reminders were written (at most `limit`)."""
    now = now or utcnow()
    already = select(Notification.question_id).where(Notification.kind == "accept_reminder",
                                                      Notification.question_id.is_not(None))
    member = select(GroupMembership.id).where(GroupMembership.group_id == Question.group_id,
                                              GroupMembership.user_id == User.id)
    muted = select(Follow.id).where(Follow.user_id == User.id, Follow.level == "muted",
                                    Follow.target_type == "question",
                                    Follow.target_id == Question.id)
    rows = db.session.execute(
        select(Question.id, Question.title, User.id, User.locale)
        .join(User, User.id == Question.author_id)
        .join(Group, Group.id == Question.group_id)
        .where(Question.created_at <= now - REMIND_AFTER, Question.answer_count > 0,
               Question.accepted_answer_id.is_(None), Question.deleted_at.is_(None),
               Question.closed_at.is_(None), User.deleted_at.is_(None),
               Question.id.not_in(already), ~exists(muted),
               or_(Group.private.is_(False), User.role == "admin", exists(member)))
        .order_by(Question.id).limit(limit)).all()
    if not rows:
        return 0
    values = []
    for question_id, title, user_id, locale in rows:
        with force_locale(_locale(locale)):
            text = _("Did an answer help you? Accept it: %(title)s", title=_short(title))
        values.append({"user_id": user_id, "kind": "accept_reminder", "question_id": question_id,
                       "text": text[:300], "url": question_link(question_id),
                       "created_at": now})
    # One asker may have several old questions: one INSERT per reminder of the same person.
    pushes = []
    while values:
        seen, batch, later = set(), [], []
        for row in values:
            (later if row["user_id"] in seen else batch).append(row)
            seen.add(row["user_id"])
        pushes.extend(_inserted(batch))
        values = later
    after_commit(live.notifications_sent, pushes)
    return len(rows)


def _unread_counts(user_ids) -> dict[int, int]:
    """Each user's unread count, as unread_count() counts it: one query per 5,000 users
    (bound parameters stay under every database's limit)."""
    user_ids, counts = list(user_ids), {}
    for start in range(0, len(user_ids), COUNT_CHUNK):
        counts.update(db.session.execute(
            select(Notification.user_id, func.count())
            .where(Notification.user_id.in_(user_ids[start:start + COUNT_CHUNK]),
                   Notification.read_at.is_(None), _still_readable())
            .group_by(Notification.user_id)).all())
    return counts


# -- reading ----------------------------------------------------------------------------


def _still_readable():
    """SQL condition on Notification: about nothing its recipient can no longer read (a
    deleted question; a private group they left or were removed from, administrators
    excepted). Correlated on the recipient, so the pushed counts of many recipients (one
    query) and a member's own list and count agree."""
    deleted = exists().where(Question.id == Notification.question_id,
                             Question.deleted_at.is_not(None))
    private = exists().where(Group.id == Notification.group_id, Group.private.is_(True))
    member = exists().where(GroupMembership.group_id == Notification.group_id,
                            GroupMembership.user_id == Notification.user_id)
    admin = exists().where(User.id == Notification.user_id, User.role == "admin")
    return and_(or_(Notification.question_id.is_(None), ~deleted),
                or_(Notification.group_id.is_(None), ~private, member, admin))


def _shown(user):
    """SQL condition on Notification: `user`'s, about what they can still read."""
    return and_(Notification.user_id == user.id, _still_readable())


def notifications_query(user, *, unread_only: bool = False):
    """A select() of `user`'s notifications, newest first (PermissionDenied if anonymous)."""
    require_user(user)
    stmt = select(Notification).where(_shown(user))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def unread_count(user) -> int:
    """How many of `user`'s notifications are unread (0 for anonymous visitors): one query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        _shown(user), Notification.read_at.is_(None))) or 0


def get_notification(user, notification_id) -> Notification:
    """One of `user`'s notifications; NotFound for anyone else's, or about something they
    can no longer read."""
    require_user(user)
    ident = as_id(notification_id)
    found = db.session.scalar(select(Notification).where(Notification.id == ident,
                                                         _shown(user))) if ident else None
    if found is None:
        raise NotFound(_("No such notification."))
    return found


@transactional
def mark_read(user, notification_id) -> Notification:
    """Mark one notification read; NotFound as get_notification()."""
    found = get_notification(user, notification_id)
    if found.read_at is None:
        found.read_at = utcnow()
        db.session.flush()
        after_commit(live.notifications_unread, user.id, unread_count(user))
    return found


@transactional
def mark_all_read(user) -> int:
    """Mark every notification of `user` read; returns how many were unread."""
    require_user(user)
    changed = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow())).rowcount or 0
    if changed:
        after_commit(live.notifications_unread, user.id, 0)
    return changed


# -- the curated FAQ --------------------------------------------------------------------


def faq_link(entry_id: int) -> str:
    """An FAQ entry's page."""
    return f"/faq/{int(entry_id)}"


def notify_faq_promoted(actor: User, entry) -> int:
    """An answer promoted into the FAQ: its author hears (faq), unless they promoted it."""
    answer = db.session.get(Post, entry.answer_id) if entry.answer_id else None
    if answer is None or not answer.author_id:
        return 0
    group = db.session.get(Group, entry.group_id)
    title = _short(entry.title)

    def texts(kind):
        return _("Your answer is now in the FAQ: %(title)s", title=title)

    return _deliver(actor=actor, personal={answer.author_id: "faq"},
                    audience=_may_read_group(group), mutes=[], texts=texts,
                    url=faq_link(entry.id), question_id=entry.question_id, post_id=answer.id,
                    group_id=entry.group_id)


def notify_faq_review(entry, user_ids: Iterable[int]) -> int:
    """People invited to check an FAQ entry due for review (faq): those who may read it."""
    group = db.session.get(Group, entry.group_id)
    title = _short(entry.title)

    def texts(kind):
        return _("Please check this FAQ entry: %(title)s", title=title)

    return _deliver(actor=None, personal={user_id: "faq" for user_id in user_ids if user_id},
                    audience=_may_read_group(group), mutes=[], texts=texts,
                    url=faq_link(entry.id), group_id=entry.group_id)
