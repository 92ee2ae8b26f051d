"""What the admin pages read and the group changes only administrators make.

- People: a search by name, username or email (email only for administrators), filtered by
  role and suspension, for administrators and site moderators (who suspend members
  already, forum.services.moderation). Role changes, suspensions and the verified badge go
  through their own services (accounts.set_role, moderation.suspend, profiles.set_verified),
  which authorize and write the audit log.
- Groups: creating and editing every setting of a group (names, descriptions, region,
  private, pre-moderation of new members), administrators only, with an audit entry;
  group moderators through groups.set_group_moderator.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from forum import permissions
from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import ROLES, Follow, Group, GroupMembership, Question, User, utcnow
from forum.services import audit, groups, inputs
from forum.services.uow import transactional

SEARCH_MAX = 100


def _require_admin(actor) -> None:
    inputs.require_active(actor)
    if not permissions.is_admin(actor):
        raise PermissionDenied(_("Only administrators can do this."))


def can_see_people(user) -> bool:
    """Administrators and site moderators use the people page."""
    return permissions.is_moderator(user)


def require_people_page(actor) -> None:
    """Raise PermissionDenied unless `actor` may use the people page."""
    inputs.require_active(actor)
    if not can_see_people(actor):
        raise PermissionDenied(_("Only administrators and site moderators can see this."))


@dataclass(frozen=True)
class PeopleFilters:
    q: str = ""
    role: str = ""
    suspended: bool = False


def people_filters(q=None, role=None, suspended=None) -> PeopleFilters:
    """The people page's filters from raw query arguments; unknown values are dropped (a
    list is always shown), a long search is cut."""
    text = q if isinstance(q, str) and not inputs.unstorable(q) else ""
    text = " ".join(text.split())[:SEARCH_MAX]
    return PeopleFilters(q=text, role=role if role in ROLES else "",
                         suspended=suspended in ("1", "true", "on", True))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people_query(actor, filters: PeopleFilters):
    """A select() of the accounts matching `filters`, by username (one query a page): the
    search looks in usernames and display names, and in email addresses for
    administrators. Raises PermissionDenied."""
    require_people_page(actor)
    stmt = select(User).where(User.deleted_at.is_(None))
    if filters.q:
        pattern = _like(filters.q)
        found = [User.username_key.like(pattern, escape="\\"),
                 db.func.lower(User.display_name).like(pattern, escape="\\")]
        if permissions.is_admin(actor):
            found.append(User.email_key.like(pattern, escape="\\"))
        stmt = stmt.where(or_(*found))
    if filters.role:
        stmt = stmt.where(User.role == filters.role)
    if filters.suspended:
        stmt = stmt.where(User.suspended_until > utcnow())
    return stmt.order_by(User.username_key)


def person(actor, username) -> User:
    """One account for the people page. Raises PermissionDenied, NotFound."""
    require_people_page(actor)
    if not isinstance(username, str) or inputs.unstorable(username):
        raise NotFound(_("No such user."))
    user = db.session.scalar(select(User).where(User.username_key == username.lower(),
                                                User.deleted_at.is_(None)))
    if user is None:
        raise NotFound(_("No such user."))
    return user


# -- groups -------------------------------------------------------------------------------


def groups_query(actor):
    """A select() of every group, by region then name (administrators). Raises
    PermissionDenied."""
    _require_admin(actor)
    return select(Group).order_by(Group.region, Group.name)


def admin_group(actor, slug) -> Group:
    """A group for the admin pages. Raises PermissionDenied, NotFound."""
    _require_admin(actor)
    return groups.get_visible_group(actor, slug)  # administrators see every group


def group_moderators(group: Group) -> list[User]:
    """The group's own moderators, by username (one query)."""
    return list(db.session.scalars(
        select(User).join(GroupMembership, GroupMembership.user_id == User.id)
        .where(GroupMembership.group_id == group.id, GroupMembership.role == "moderator")
        .order_by(User.username_key)))


def _flag(value, field: str, errors: dict) -> bool:
    if value in (True, False):
        return value
    errors[field] = _("Must be true or false.")
    return False


def _group_state(group: Group) -> dict:
    return {"name": group.name, "name_fr": group.name_fr, "region": group.region,
            "description": group.description_source,
            "description_fr": group.description_fr_source, "private": group.private,
            "premoderate_new_members": group.premoderate_new_members}


@transactional
def create_group(actor, *, slug, name, region, description="", name_fr="",
                 description_fr="", private=False, premoderate_new_members=False) -> Group:
    """Create a group with every setting (administrators). Writes an audit entry. Raises
    PermissionDenied, InvalidInput, Conflict (slug taken)."""
    _require_admin(actor)
    errors: dict = {}
    premoderate = _flag(premoderate_new_members, "premoderate_new_members", errors)
    if errors:
        raise InvalidInput(fields=errors)
    group = groups.create_group(actor, slug, name, region, description, private=private,
                                name_fr=name_fr, description_fr=description_fr)
    group.premoderate_new_members = premoderate
    db.session.flush()
    audit.record(actor, "create_group", "group", group.id, group_id=group.id,
                 after=_group_state(group))
    return group


@transactional
def update_group(actor, slug, *, name, name_fr, region, description, description_fr,
                 private, premoderate_new_members) -> Group:
    """Change every setting of a group (administrators); writes an audit entry with what
    changed. A public group made private: people who are not members stop following it
    and its questions (they can no longer read them). Raises PermissionDenied, NotFound,
    InvalidInput."""
    group = admin_group(actor, slug)
    errors: dict = {}
    private = _flag(private, "private", errors)
    premoderate = _flag(premoderate_new_members, "premoderate_new_members", errors)
    if errors:
        raise InvalidInput(fields=errors)
    before = _group_state(group)
    groups.update_group(actor, group.slug, name=name, name_fr=name_fr, region=region,
                        description=description, description_fr=description_fr)
    if private and not group.private:
        _drop_outsiders_follows(group)
    group.private = private
    group.premoderate_new_members = premoderate
    after = _group_state(group)
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        audit.record(actor, "edit_group", "group", group.id, group_id=group.id,
                     before={key: before[key] for key in changed},
                     after={key: after[key] for key in changed})
    return group


def _drop_outsiders_follows(group: Group) -> None:
    """Follows of the group and of its questions by people who are not its members (nor
    administrators, who read every group) go: they could no longer read what they
    follow."""
    outsiders = select(User.id).where(
        User.role != "admin",
        User.id.not_in(select(GroupMembership.user_id)
                       .where(GroupMembership.group_id == group.id)))
    db.session.execute(delete(Follow).where(
        Follow.user_id.in_(outsiders),
        or_((Follow.target_type == "group") & (Follow.target_id == group.id),
            (Follow.target_type == "question")
            & Follow.target_id.in_(select(Question.id).where(Question.group_id == group.id)))),
        execution_options={"synchronize_session": False})


def overview(actor) -> dict:
    """What the admin overview counts (administrators: a few numbers, four queries)."""
    _require_admin(actor)
    now = utcnow()
    return {
        "people": db.session.scalar(select(db.func.count(User.id))
                                    .where(User.deleted_at.is_(None))),
        "suspended": db.session.scalar(select(db.func.count(User.id))
                                       .where(User.suspended_until > now)),
        "groups": db.session.scalar(select(db.func.count(Group.id))),
        "private": db.session.scalar(select(db.func.count(Group.id))
                                     .where(Group.private.is_(True))),
    }

