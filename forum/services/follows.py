"""Following groups, tags, questions and people, each at a level (every new item, digest
only, muted).

Following is separate from membership. Joining a group follows it, and asking or answering
a question follows it, by default: those defaults are written in the unit of work of the
join, the question or the answer (`follow_by_default`), and never change a level the member
chose. Leaving a group drops its follow; losing access to a private group drops the follows
of the group and of its questions (`drop_lost_access`). Unfollowing or muting never leaves a
group.

Who may follow what: a public group anyone signed in, a private group its members only; a
question whoever may read it; a tag whoever may see a question carrying it (a tag only
private questions carry does not exist for outsiders); a live account other than one's own.
Everything else answers NotFound, as the thing's own page does.

This module sits below forum.services.qa and forum.services.groups (they call its defaults,
and notifications read `followers_of`), so it checks access with forum.permissions directly,
the same predicates `qa.get_question`, `qa.visible_tag` and `groups.get_visible_group` use.

For other services:

- `followers_of(target_type, target_id, *, levels=("all",))`: a select() of the ids of the
  users following one thing at one of `levels`. It filters nothing else: the caller checks
  access, live accounts and the actor, in the same SQL.
- `follows_of(user)`: what `user` follows and can still see, grouped by kind, in four
  queries whatever the count (the Following page and `GET /api/v1/following`).
- `level_of(user, target_type, target_id)` (one query) and `followed_ids(user, target_type)`
  (one query, for lists).
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from forum import permissions
from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Group, GroupMembership, Question, QuestionTag, Tag, User
from forum.models.social import FOLLOW_LEVELS, FOLLOW_TARGETS, Follow
from forum.services import inputs
from forum.services.accounts import get_user_by_username
from forum.services.inputs import require_user
from forum.services.uow import transactional

TARGET_TYPES = FOLLOW_TARGETS  # "group", "tag", "question", "user"
LEVELS = FOLLOW_LEVELS  # "all", "digest", "muted"
DEFAULT_LEVEL = "all"


# -- reading ----------------------------------------------------------------------------


def followers_of(target_type: str, target_id: int, *, levels=("all",)):
    """A select() of the ids of the users who follow (`target_type`, `target_id`) at one of
    `levels`; one index range (ix_follows_target). Access, live accounts and the actor are
    the caller's to filter, in the same statement."""
    return select(Follow.user_id).where(Follow.target_type == target_type,
                                        Follow.target_id == target_id,
                                        Follow.level.in_(list(levels)))


def level_of(user, target_type: str, target_id: int) -> str | None:
    """The level at which `user` follows the thing, or None (anonymous: None); one query."""
    if not permissions.is_user(user) or target_id is None:
        return None
    return db.session.scalar(select(Follow.level).where(
        Follow.user_id == user.id, Follow.target_type == target_type,
        Follow.target_id == target_id))


def followed_ids(user, target_type: str) -> set[int]:
    """The ids of the things of one type `user` follows, at any level; one query."""
    if not permissions.is_user(user):
        return set()
    return set(db.session.scalars(select(Follow.target_id).where(
        Follow.user_id == user.id, Follow.target_type == target_type)))


@dataclass
class Followed:
    """One followed thing: its type, the model (Group, Tag, Question or User) and the level."""

    type: str
    target: object
    level: str


@dataclass
class Following:
    """What one member follows and may still see, by kind, each list in name order."""

    groups: list[Followed] = field(default_factory=list)
    tags: list[Followed] = field(default_factory=list)
    questions: list[Followed] = field(default_factory=list)
    users: list[Followed] = field(default_factory=list)

    def all(self) -> list[Followed]:
        return [*self.groups, *self.tags, *self.questions, *self.users]


def _follow_join(user, target_type: str, model):
    return (select(model, Follow.level)
            .join(Follow, (Follow.target_id == model.id) & (Follow.target_type == target_type))
            .where(Follow.user_id == user.id))


def follows_of(user) -> Following:
    """What `user` follows, grouped by kind, leaving out what they can no longer see (a
    private group they left, a question deleted or out of reach, a tag no question they may
    read carries, a deleted account); four queries whatever the count. Anonymous: empty."""
    found = Following()
    if not permissions.is_user(user):
        return found
    rows = db.session.execute(
        _follow_join(user, "group", Group)
        # A private group only while a member (admins see every group but follow as members).
        .where(Group.private.is_(False) | Group.id.in_(permissions.member_group_ids(user)))
        .order_by(Group.name, Group.id))
    found.groups = [Followed("group", group, level) for group, level in rows]
    visible = select(Question.id).where(permissions.visible_question_clause(user))
    rows = db.session.execute(
        _follow_join(user, "tag", Tag)
        .where(exists().where(QuestionTag.tag_id == Tag.id,
                              QuestionTag.question_id.in_(visible)))
        .order_by(Tag.name))
    found.tags = [Followed("tag", tag, level) for tag, level in rows]
    rows = db.session.execute(
        _follow_join(user, "question", Question)
        .where(permissions.visible_question_clause(user))
        .order_by(Question.last_activity_at.desc(), Question.id.desc()))
    found.questions = [Followed("question", question, level) for question, level in rows]
    rows = db.session.execute(
        _follow_join(user, "user", User).where(User.deleted_at.is_(None))
        .order_by(User.username_key))
    found.users = [Followed("user", person, level) for person, level in rows]
    return found


# -- resolving what a key names, for someone ----------------------------------------------


def resolve_target(user, target_type, key):
    """The thing (`target_type`, `key`) names if `user` may follow it: a Group by slug, a Tag
    by name, a Question by id, a User by username. Raises NotFound (an unknown type
    included, and whatever the thing's own page would not show), PermissionDenied (a
    private group seen but not joined: administrators), InvalidInput (oneself)."""
    if target_type == "group":
        group = None
        if isinstance(key, str) and not inputs.unstorable(key):
            group = db.session.scalar(select(Group).where(Group.slug == key))
        member = group is not None and group.private and _is_member(user, group)
        if group is None or not permissions.can_view_group(user, group, is_member=member):
            raise NotFound(_("No such group."))
        if group.private and not member:  # an administrator, who sees every group
            raise PermissionDenied(_("Join this group to follow it."))
        return group
    if target_type == "tag":
        name = inputs.clean_tag_name(key)
        visible = select(Question.id).where(permissions.visible_question_clause(user))
        tag = db.session.scalar(select(Tag).where(
            Tag.name == name, exists().where(QuestionTag.tag_id == Tag.id,
                                             QuestionTag.question_id.in_(visible)))) \
            if name else None
        if tag is None:
            raise NotFound(_("No such tag."))
        return tag
    if target_type == "question":
        ident = inputs.as_id(key)
        question = db.session.get(Question, ident) if ident else None
        if question is None or not permissions.can_view_question(user, question):
            raise NotFound(_("No such question."))
        return question
    if target_type == "user":
        if not isinstance(key, str) or inputs.unstorable(key):
            raise NotFound(_("No such user."))
        person = get_user_by_username(key)
        if person.id == user.id:
            raise InvalidInput(_("You cannot follow yourself."))
        return person
    raise NotFound(_("Nothing to follow here."))


def _is_member(user, group: Group) -> bool:
    return db.session.scalar(select(GroupMembership.id).where(
        GroupMembership.group_id == group.id, GroupMembership.user_id == user.id)) is not None


def _clean_level(level) -> str:
    if level not in LEVELS:  # also refuses what is not a string
        raise InvalidInput(fields={"level": _("Choose all, digest or muted.")})
    return level


# -- writing ----------------------------------------------------------------------------


def _insert(user_id: int, target_type: str, target_id: int, level: str, *,
            keep_level: bool) -> None:
    """INSERT ... ON CONFLICT: a concurrent follow of the same thing never fails; with
    `keep_level` an existing follow keeps its level, otherwise it takes `level`."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Follow).values(user_id=user_id, target_type=target_type,
                                 target_id=target_id, level=level)
    keys = [Follow.user_id, Follow.target_type, Follow.target_id]
    if keep_level:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    else:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={"level": level})
    db.session.execute(stmt)


def follow_by_default(user_id: int, target_type: str, target_id: int) -> None:
    """Follow a thing at the default level unless already following it (then the chosen
    level stays). For services that just authorized the write that causes it (asking,
    answering, joining); joins their unit of work."""
    _insert(user_id, target_type, target_id, DEFAULT_LEVEL, keep_level=True)


def drop_group_follow(user_id: int, group_id: int) -> None:
    """Stop following a group (leaving it); joins the caller's unit of work."""
    db.session.execute(delete(Follow).where(
        Follow.user_id == user_id, Follow.target_type == "group", Follow.target_id == group_id))


def drop_lost_access(user_id: int, group_id: int) -> None:
    """Drop a user's follows of a private group and of its questions, which they can no
    longer read (removed, or left); joins the caller's unit of work."""
    drop_group_follow(user_id, group_id)
    db.session.execute(delete(Follow).where(
        Follow.user_id == user_id, Follow.target_type == "question",
        Follow.target_id.in_(select(Question.id).where(Question.group_id == group_id))))


@transactional
def follow(user: User, target_type, key, *, level=None) -> tuple[object, str]:
    """Follow a thing, or change the level of a follow (idempotent). `level` None: a new
    follow is at "all", an existing one keeps its level. Returns the thing and the level.
    Raises PermissionDenied, NotFound, InvalidInput (a bad level, oneself)."""
    require_user(user)
    if level is not None:
        level = _clean_level(level)
    target = resolve_target(user, target_type, key)
    _insert(user.id, target_type, target.id, level or DEFAULT_LEVEL, keep_level=level is None)
    return target, level_of(user, target_type, target.id)


@transactional
def unfollow(user: User, target_type, key) -> object:
    """Stop following a thing (idempotent); a group stays joined. Returns the thing.
    Raises PermissionDenied, NotFound."""
    require_user(user)
    target = resolve_target(user, target_type, key)
    db.session.execute(delete(Follow).where(
        Follow.user_id == user.id, Follow.target_type == target_type,
        Follow.target_id == target.id))
    return target
