"""Regional groups: creation by admins, joining and leaving, private-group members."""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from forum import permissions, ratelimit
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import ChatRoom, Group, GroupJoinRequest, GroupMembership, User, utcnow
from forum.services import audit, chat, follows, inputs, notifications, watchers
from forum.services.accounts import get_user_by_username
from forum.services.inputs import require_user
from forum.services.uow import after_commit, savepoint, transactional

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DESCRIPTION_MAX = 5000
RESERVED_SLUGS = {"new", "edit", "delete", "join", "leave", "members"}  # page addresses


def _text(value, field, errors, *, required=True, max_len=None):
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Must be text.")
        return ""
    reason = inputs.unstorable(value)
    if reason:
        errors[field] = reason
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif max_len and len(value) > max_len:
        errors[field] = _("Use at most %(n)d characters.", n=max_len)
    return value


@transactional
def create_group(actor: User | None, slug, name, region, description="", *, private=False,
                 name_fr="", description_fr="", system: bool = False) -> Group:
    """Create a group; admins only (or system work). Raises PermissionDenied, InvalidInput,
    Conflict."""
    if not system and not permissions.can_manage_groups(actor):
        raise PermissionDenied(_("Only administrators can create groups."))
    errors: dict = {}
    slug = _text(slug, "slug", errors, max_len=50)
    if "slug" not in errors and not (3 <= len(slug) and SLUG_RE.match(slug)):
        errors["slug"] = _("3 to 50 characters: lower-case letters, digits and single hyphens.")
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("This slug is reserved.")
    name = _text(name, "name", errors, max_len=100)
    region = _text(region, "region", errors, max_len=80)
    description = _text(description, "description", errors, required=False,
                        max_len=DESCRIPTION_MAX)
    name_fr = _text(name_fr, "name_fr", errors, required=False, max_len=100)
    description_fr = _text(description_fr, "description_fr", errors, required=False,
                           max_len=DESCRIPTION_MAX)
    if not isinstance(private, bool):
        errors["private"] = _("Must be true or false.")
    if errors:
        raise InvalidInput(fields=errors)
    if db.session.scalar(select(Group.id).where(Group.slug == slug)):
        raise Conflict(_("A group with this slug exists already."),
                       fields={"slug": _("This slug is taken.")})
    rendered = render_markdown(description)
    rendered_fr = render_markdown(description_fr)
    group = Group(slug=slug, name=name, region=region, description_source=description,
                  description_html=rendered.html, markup_version=rendered.version,
                  name_fr=name_fr, description_fr_source=description_fr,
                  description_fr_html=rendered_fr.html,
                  private=private, created_by_id=actor.id if actor else None)
    try:
        with savepoint():
            db.session.add(group)
            # The group's chat room comes with it (pages only read rooms; see services.chat).
            db.session.add(ChatRoom(kind="group", group=group))
    except IntegrityError as exc:  # the same slug, created at the same moment
        raise Conflict(_("A group with this slug exists already.")) from exc
    return group


def is_member(user, group: Group) -> bool:
    if not permissions.is_user(user):
        return False
    return db.session.scalar(
        select(GroupMembership.id).where(GroupMembership.group_id == group.id,
                                         GroupMembership.user_id == user.id)) is not None


def get_visible_group(user, slug) -> Group:
    """The group `slug` if `user` may see it; NotFound otherwise (private groups included)."""
    if not isinstance(slug, str):
        raise NotFound(_("No such group."))
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None or not permissions.can_view_group(user, group):
        raise NotFound(_("No such group."))
    return group


def visible_groups_query(user):
    """A select() of the groups `user` may see, by region then name."""
    return (select(Group).where(permissions.visible_group_clause(user))
            .order_by(Group.region, Group.name))


def member_group_ids_of(user) -> set[int]:
    """The ids of every group `user` belongs to (one query)."""
    if not permissions.is_user(user):
        return set()
    return set(db.session.scalars(
        select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)))


def _add_membership(group: Group, user: User) -> bool:
    """Insert a membership and bump the counter; False when it existed already."""
    if is_member(user, group):
        return False
    try:
        with savepoint():
            db.session.add(GroupMembership(group_id=group.id, user_id=user.id))
    except IntegrityError:  # a concurrent join won
        return False
    db.session.execute(update(Group).where(Group.id == group.id)
                       .values(member_count=Group.member_count + 1))
    follows.follow_by_default(user.id, "group", group.id)  # joining follows, by default
    return True


def _remove_membership(group: Group, user: User) -> bool:
    result = db.session.execute(delete(GroupMembership).where(
        GroupMembership.group_id == group.id, GroupMembership.user_id == user.id))
    if result.rowcount:
        db.session.execute(update(Group).where(Group.id == group.id)
                           .values(member_count=Group.member_count - 1))
        after_commit(chat.end_room_access, user.id, group.id)
        # Leaving stops hearing from the group; without access (a private group, unless an
        # administrator) the follows of its questions go too.
        if group.private and not permissions.can_view_group(user, group, is_member=False):
            follows.drop_lost_access(user.id, group.id)
        else:
            follows.drop_group_follow(user.id, group.id)
        if group.private:  # a public group's questions stay readable to everyone
            after_commit(watchers.end_lost_access, user.id)
    return bool(result.rowcount)


@transactional
def join_group(user: User, slug) -> Group:
    """Join a public group (idempotent). A private group answers NotFound to non-members."""
    if not permissions.is_user(user):
        raise PermissionDenied(_("Log in to join groups."))
    group = get_visible_group(user, slug)
    if group.private and not is_member(user, group):
        raise NotFound(_("No such group."))
    _add_membership(group, user)
    return group


@transactional
def leave_group(user: User, slug) -> Group:
    """Leave a group (idempotent)."""
    if not permissions.is_user(user):
        raise PermissionDenied(_("Log in to leave groups."))
    group = get_visible_group(user, slug)
    _remove_membership(group, user)
    return group


@transactional
def add_member(actor: User | None, slug, username, *, system: bool = False) -> Group:
    """Add someone to a group (private groups take members this way); admins and the
    group's moderators. Raises NotFound, PermissionDenied."""
    if system:
        group = db.session.scalar(select(Group).where(Group.slug == slug))
        if group is None:
            raise NotFound(_("No such group."))
    else:
        group = _moderated_group(actor, slug, _("Only administrators and the group's"
                                                " moderators can add members."))
    _add_membership(group, get_user_by_username(username))
    return group


@transactional
def remove_member(actor: User, slug, username) -> Group:
    """Remove someone from a group; admins and the group's moderators. Raises NotFound,
    PermissionDenied."""
    group = _moderated_group(actor, slug, _("Only administrators and the group's moderators"
                                            " can remove members."))
    _remove_membership(group, get_user_by_username(username))
    return group


# -- group moderators, descriptions, members and join requests ----------------------------

MEMBERS_PREVIEW = 12
REQUEST_MESSAGE_MAX = 1000


def membership_of(user, group: Group) -> GroupMembership | None:
    """`user`'s membership of `group`, or None (anonymous included)."""
    if not permissions.is_user(user):
        return None
    return db.session.scalar(select(GroupMembership).where(
        GroupMembership.group_id == group.id, GroupMembership.user_id == user.id))


def _group_by_slug(slug) -> Group | None:
    if not isinstance(slug, str) or inputs.unstorable(slug):
        return None
    return db.session.scalar(select(Group).where(Group.slug == slug))


def _moderated_group(actor, slug, refusal: str) -> Group:
    """The group `slug` if `actor` moderates it, else PermissionDenied: the same answer for
    a group that does not exist and a private one they may not see, so that it tells no
    outsider which private groups exist. Admins, who see every group, get NotFound."""
    group = _group_by_slug(slug)
    if group is None and permissions.is_admin(actor):
        raise NotFound(_("No such group."))
    if group is None or not permissions.can_moderate_group(actor, group,
                                                           membership_of(actor, group)):
        raise PermissionDenied(refusal)
    return group


def can_moderate(user, group: Group) -> bool:
    """Whether `user` moderates `group` (one query at most)."""
    return permissions.can_moderate_group(user, group, membership_of(user, group))


@transactional
def update_group(actor: User, slug, *, name=None, name_fr=None, region=None,
                 description=None, description_fr=None) -> Group:
    """Change a group's names, region or descriptions (None: unchanged). Its moderators
    change the descriptions; only administrators change the names and the region.
    Raises NotFound, PermissionDenied, InvalidInput."""
    group = _moderated_group(actor, slug, _("Only the group's moderators can edit it."))
    if (name is not None or name_fr is not None or region is not None) \
            and not permissions.can_manage_groups(actor):
        raise PermissionDenied(_("Only administrators can rename a group."))
    errors: dict = {}
    values = {}
    if name is not None:
        values["name"] = _text(name, "name", errors, max_len=100)
    if name_fr is not None:
        values["name_fr"] = _text(name_fr, "name_fr", errors, required=False, max_len=100)
    if region is not None:
        values["region"] = _text(region, "region", errors, max_len=80)
    if description is not None:
        values["description"] = _text(description, "description", errors, required=False,
                                      max_len=DESCRIPTION_MAX)
    if description_fr is not None:
        values["description_fr"] = _text(description_fr, "description_fr", errors,
                                         required=False, max_len=DESCRIPTION_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    for field in ("name", "name_fr", "region"):
        if field in values:
            setattr(group, field, values[field])
    if "description" in values:
        rendered = render_markdown(values["description"])
        group.description_source = values["description"]
        group.description_html = rendered.html
        group.markup_version = rendered.version
    if "description_fr" in values:
        rendered = render_markdown(values["description_fr"])
        group.description_fr_source = values["description_fr"]
        group.description_fr_html = rendered.html
        group.markup_version = rendered.version
    return group


@transactional
def set_group_moderator(actor: User, slug, username, moderator: bool = True
                        ) -> tuple[GroupMembership, User]:
    """Appoint (adding them as a member when they are not one) or remove a group moderator;
    admins, and site moderators for the groups they can see. Removing a moderator keeps
    them a member. Raises NotFound, PermissionDenied."""
    group = _group_by_slug(slug)
    if group is None and permissions.is_admin(actor):
        raise NotFound(_("No such group."))
    if group is None or not permissions.can_appoint_group_moderators(actor, group):
        raise PermissionDenied(_("Only site moderators can appoint group moderators."))
    target = get_user_by_username(username)
    if moderator:
        _add_membership(group, target)
    membership = membership_of(target, group)
    if membership is None:
        raise NotFound(_("This person is not a member of the group."))
    role = "moderator" if moderator else "member"
    if membership.role != role:
        audit.record(actor, "appoint_group_moderator" if moderator
                     else "remove_group_moderator", "user", target.id, group_id=group.id,
                     before={"group_role": membership.role}, after={"group_role": role})
    membership.role = role
    return membership, target


def members_query(user, slug):
    """A select() of (membership, user) rows of a group `user` may see: its moderators
    first, then by joining date. Raises NotFound."""
    group = get_visible_group(user, slug)
    return (select(GroupMembership, User)
            .join(User, User.id == GroupMembership.user_id)
            .where(GroupMembership.group_id == group.id)
            .order_by((GroupMembership.role == "moderator").desc(), GroupMembership.id))


def pending_requests_query(actor, slug):
    """A select() of (request, user) rows of a group's pending join requests, oldest first;
    its moderators only. Raises NotFound, PermissionDenied."""
    group = _moderated_group(actor, slug, _("Only the group's moderators see join requests."))
    return _pending(group.id)


def _pending(group_id: int):
    return (select(GroupJoinRequest, User)
            .join(User, User.id == GroupJoinRequest.user_id)
            .where(GroupJoinRequest.group_id == group_id, GroupJoinRequest.state == "pending")
            .order_by(GroupJoinRequest.id))


@dataclass
class GroupPage:
    """What the group page shows, read in a fixed number of queries."""

    group: Group
    membership: GroupMembership | None
    moderates: bool
    can_appoint: bool
    members: list  # (membership, user) rows, moderators first
    requests: list  # (join request, user) rows, for its moderators
    room_id: int | None  # the chat room's id, for members


def group_page(user, slug) -> GroupPage:
    """The group page's data (the question list is read separately). Raises NotFound."""
    group = _group_by_slug(slug)
    membership = membership_of(user, group) if group is not None else None
    if group is None or not permissions.can_view_group(user, group,
                                                       is_member=membership is not None):
        raise NotFound(_("No such group."))
    moderates = permissions.can_moderate_group(user, group, membership)
    members = db.session.execute(
        select(GroupMembership, User).join(User, User.id == GroupMembership.user_id)
        .where(GroupMembership.group_id == group.id)
        .order_by((GroupMembership.role == "moderator").desc(), GroupMembership.id)
        .limit(MEMBERS_PREVIEW)).all()
    requests = db.session.execute(_pending(group.id)).all() if moderates else []
    room_id = None
    if membership is not None or (permissions.is_moderator(user) and not group.private):
        # Site moderators take part in public groups' rooms openly (forum.services.chat).
        room_id = db.session.scalar(select(ChatRoom.id).where(ChatRoom.group_id == group.id,
                                                              ChatRoom.kind == "group"))
    return GroupPage(group=group, membership=membership, moderates=moderates,
                     can_appoint=permissions.can_appoint_group_moderators(
                         user, group, is_member=membership is not None),
                     members=members, requests=requests, room_id=room_id)


@dataclass
class RequestState:
    """What the join-request page may show of a group: its name, and where the asker is."""

    group: Group
    member: bool
    pending: GroupJoinRequest | None


def join_request_state(user, slug) -> RequestState:
    """The join link's view of a group, for a signed-in user: the name (nothing of its
    content), whether they are a member and their pending request. Raises NotFound."""
    require_user(user)
    group = _group_by_slug(slug)
    if group is None:
        raise NotFound(_("No such group."))
    pending = db.session.scalar(select(GroupJoinRequest).where(
        GroupJoinRequest.group_id == group.id, GroupJoinRequest.user_id == user.id,
        GroupJoinRequest.state == "pending"))
    return RequestState(group=group, member=is_member(user, group), pending=pending)


@transactional
def request_to_join(user: User, slug, message="") -> GroupJoinRequest:
    """Ask to join a private group (one pending request per person). Public groups are
    joined directly. Raises NotFound, InvalidInput, Conflict, RateLimited."""
    require_user(user)
    group = _group_by_slug(slug)
    if group is None:
        raise NotFound(_("No such group."))
    errors: dict = {}
    message = _text(message, "message", errors, required=False, max_len=REQUEST_MESSAGE_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    if not group.private:
        raise Conflict(_("This group is open: join it directly."))
    if is_member(user, group):
        raise Conflict(_("You are a member of this group already."))
    ratelimit.hit("LIMIT_JOIN_REQUEST_PER_USER", "join-request", str(user.id))
    request = GroupJoinRequest(group_id=group.id, user_id=user.id, message=message)
    try:
        with savepoint():
            db.session.add(request)
    except IntegrityError as exc:  # the partial unique index: one pending request each
        raise Conflict(_("You asked to join this group already.")) from exc
    notifications.notify_join_request(user, group)
    return request


@transactional
def decide_join_request(actor: User, slug, request_id, *, approve: bool
                        ) -> tuple[GroupJoinRequest, User]:
    """Approve (the asker becomes a member) or refuse a pending join request; the group's
    moderators only. Returns the request and its asker. Raises NotFound, PermissionDenied,
    Conflict."""
    group = _moderated_group(actor, slug, _("Only the group's moderators decide join requests."))
    ident = inputs.as_id(request_id)
    request = db.session.get(GroupJoinRequest, ident) if ident is not None else None
    if request is None or request.group_id != group.id:
        raise NotFound(_("No such request."))
    if request.state != "pending":
        raise Conflict(_("This request was decided already."))
    asker = db.session.get(User, request.user_id)
    updated = db.session.execute(
        update(GroupJoinRequest)
        .where(GroupJoinRequest.id == request.id, GroupJoinRequest.state == "pending")
        .values(state="approved" if approve else "refused", decided_by_id=actor.id,
                decided_at=utcnow()))
    if not updated.rowcount:  # another moderator decided it at the same moment
        raise Conflict(_("This request was decided already."))
    if approve and asker is not None and not asker.is_deleted:
        _add_membership(group, asker)
    if asker is not None and not asker.is_deleted:
        notifications.notify_join_decision(actor, group, asker, approve)
    db.session.refresh(request)
    return request, asker
