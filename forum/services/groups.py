"""Regional groups: creation by admins, joining and leaving, private-group members."""

import re

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from forum import permissions
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import ChatRoom, Group, GroupMembership, User
from forum.services import chat, watchers
from forum.services.accounts import get_user_by_username
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
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif max_len and len(value) > max_len:
        errors[field] = _("Use at most %(n)d characters.", n=max_len)
    return value


@transactional
def create_group(actor: User | None, slug, name, region, description="", *, private=False,
                 system: bool = False) -> Group:
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
    if not isinstance(private, bool):
        errors["private"] = _("Must be true or false.")
    if errors:
        raise InvalidInput(fields=errors)
    if db.session.scalar(select(Group.id).where(Group.slug == slug)):
        raise Conflict(_("A group with this slug exists already."),
                       fields={"slug": _("This slug is taken.")})
    rendered = render_markdown(description)
    group = Group(slug=slug, name=name, region=region, description_source=description,
                  description_html=rendered.html, markup_version=rendered.version,
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
    return True


def _remove_membership(group: Group, user: User) -> bool:
    result = db.session.execute(delete(GroupMembership).where(
        GroupMembership.group_id == group.id, GroupMembership.user_id == user.id))
    if result.rowcount:
        db.session.execute(update(Group).where(Group.id == group.id)
                           .values(member_count=Group.member_count - 1))
        after_commit(chat.end_room_access, user.id, group.id)
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
    """Add someone to a group (private groups take members this way); admins only."""
    if not system and not permissions.can_manage_groups(actor):
        raise PermissionDenied(_("Only administrators can add members."))
    if system:
        group = db.session.scalar(select(Group).where(Group.slug == slug))
        if group is None:
            raise NotFound(_("No such group."))
    else:
        group = get_visible_group(actor, slug)
    _add_membership(group, get_user_by_username(username))
    return group


@transactional
def remove_member(actor: User, slug, username) -> Group:
    """Remove someone from a group; admins only."""
    if not permissions.can_manage_groups(actor):
        raise PermissionDenied(_("Only administrators can remove members."))
    group = get_visible_group(actor, slug)
    _remove_membership(group, get_user_by_username(username))
    return group
